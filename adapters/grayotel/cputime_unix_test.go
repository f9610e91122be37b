//go:build unix

package grayotel_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used, all threads, user and
// system: on a shared machine it moves far less with other processes' load
// than the wall clock behind ns/op does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
