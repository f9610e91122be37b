package guard_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

func TestJudgeMetrics(t *testing.T) {
	plan := gray.Plan{Hold: time.Minute, MinRequests: 100, Guard: gray.PlanGuard{
		DisableLatency: true,
		Metrics: []gray.PlanMetric{
			{Name: "refunds", Direction: gray.DirectionLower},
			{Name: "basket", Kind: gray.MetricMean, Tolerance: 0.1},
		},
	}}.WithDefaults()
	counts := func(n uint64, refunds uint64, basket gray.MetricSums) guard.Counts {
		return guard.Counts{Requests: n, Metrics: map[string]gray.MetricSums{
			"refunds": {Count: refunds, Sum: float64(refunds), SumSq: float64(refunds)},
			"basket":  basket,
		}}
	}
	// n values with mean m and standard deviation sd.
	values := func(n uint64, m, sd float64) gray.MetricSums {
		fn := float64(n)
		return gray.MetricSums{Count: n, Sum: fn * m, SumSq: (fn-1)*sd*sd + fn*m*m}
	}
	tests := []struct {
		name        string
		stable      guard.Counts
		canary      guard.Counts
		wantVerdict guard.Verdict
		wantWhy     string
	}{
		{name: "equal", stable: counts(50000, 1000, values(5000, 40, 10)), canary: counts(50000, 1000, values(5000, 40, 10)), wantVerdict: guard.VerdictAdvance},
		{name: "more refunds", stable: counts(50000, 1000, values(5000, 40, 10)), canary: counts(50000, 1300, values(5000, 40, 10)), wantVerdict: guard.VerdictRegress, wantWhy: "metric refunds:"},
		{name: "fewer refunds is fine", stable: counts(50000, 1000, values(5000, 40, 10)), canary: counts(50000, 700, values(5000, 40, 10)), wantVerdict: guard.VerdictAdvance},
		{name: "basket 5% smaller, within tolerance", stable: counts(50000, 1000, values(5000, 40, 10)), canary: counts(50000, 1000, values(5000, 38, 10)), wantVerdict: guard.VerdictAdvance},
		{name: "basket 20% smaller", stable: counts(50000, 1000, values(5000, 40, 10)), canary: counts(50000, 1000, values(5000, 32, 10)), wantVerdict: guard.VerdictRegress, wantWhy: "metric basket:"},
		{name: "too few basket values: not judged", stable: counts(50000, 1000, values(5000, 40, 10)), canary: counts(50000, 1000, values(10, 10, 1)), wantVerdict: guard.VerdictAdvance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := guard.Judge(plan, guard.Reading{Stable: tt.stable, Canary: tt.canary, StepRequests: 1000, StepAge: time.Hour})
			assert.Equal(t, tt.wantVerdict, ev.Verdict, ev.Why)
			assert.Contains(t, ev.Why, tt.wantWhy)
			require.Len(t, ev.Metrics, 2)
			_, err := json.Marshal(ev)
			require.NoError(t, err, "evidence is stored as JSON")
		})
	}
	ev := guard.Judge(plan, guard.Reading{})
	assert.Equal(t, guard.VerdictHold, ev.Verdict)
	require.Len(t, ev.Metrics, 2)
	assert.Equal(t, "no requests yet", ev.Metrics[0].Unread)
	_, err := json.Marshal(ev)
	require.NoError(t, err)
}
