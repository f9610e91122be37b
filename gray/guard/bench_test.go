package guard_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

var sink gray.VariantStats

// The request path a guarded rollout adds is the counting of outcomes in
// the controller's gray.Counters: no lock, no allocation.
func BenchmarkRecordOutcome(b *testing.B) {
	eng, err := gray.New(replicaConfig())
	require.NoError(b, err)
	ctrl, err := guard.New(eng, guard.NewMemoryStore())
	require.NoError(b, err)
	cs := ctrl.Counters()
	tests := []struct {
		name string
		give gray.Outcome
	}{
		{name: "ok", give: gray.Outcome{Rollout: "search", Variant: "canary", Status: 200, Latency: 3 * time.Millisecond}},
		{name: "error", give: gray.Outcome{Rollout: "search", Variant: "stable", Status: 503, Error: true, Latency: 40 * time.Millisecond}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					cs.ObserveOutcome(tt.give)
				}
			})
		})
	}
	sink = cs.Stats("search", "canary")
}

func TestRecordOutcomeAllocatesNothing(t *testing.T) {
	eng, err := gray.New(replicaConfig())
	require.NoError(t, err)
	ctrl, err := guard.New(eng, guard.NewMemoryStore())
	require.NoError(t, err)
	o := gray.Outcome{Rollout: "search", Variant: "canary", Status: 200, Latency: time.Millisecond}
	ctrl.Counters().ObserveOutcome(o) // the first sight of a pair allocates its cell
	require.Zero(t, testing.AllocsPerRun(100, func() { ctrl.Counters().ObserveOutcome(o) }))
}
