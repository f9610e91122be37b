package bench_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a benchmark or test leaves a goroutine behind:
// the reloading goroutine of BenchmarkParallel and OpenFeature's event
// executor must both be stopped.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
