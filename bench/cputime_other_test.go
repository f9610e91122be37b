//go:build !linux

package bench_test

// threadCPU is not available here: no cpu-ns/op metric.
func threadCPU() (int64, bool) { return 0, false }
