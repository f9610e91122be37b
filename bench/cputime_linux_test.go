//go:build linux

package bench_test

import "syscall"

// threadCPU returns the CPU time (user and system) the calling OS thread
// has used, in nanoseconds, and true. On a shared machine it is steadier
// than wall time: time the thread spends waiting for a core is not in it.
func threadCPU() (int64, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
