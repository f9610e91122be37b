//go:build unix

package bench_test

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time the process has used (user and system,
// every thread). On a shared machine it moves less than wall time with
// other processes' load, so rows compared by it stay comparable.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
