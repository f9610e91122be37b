package gray_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// recordingTracker keeps every tracked outcome it is given.
type recordingTracker struct {
	mu  sync.Mutex
	got []gray.Metric
}

func (r *recordingTracker) ObserveDecision(gray.Decision) {}
func (r *recordingTracker) ObserveOutcome(gray.Outcome)   {}
func (r *recordingTracker) ObserveMetric(m gray.Metric) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m)
}

const trackYAML = `
rollouts:
  - name: checkout
    percent: 0
    rules: [{name: testers, when: {field: "header:X-Gray", eq: canary}, serve: canary}]
  - name: search
    percent: 100
`

func TestTrack(t *testing.T) {
	e := mustEngine(t, trackYAML)
	counters := gray.NewCounters()
	rec := &recordingTracker{}
	h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithObserver(counters), gray.WithObserver(rec))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			gray.Track(ctx, "before_any_decision") // recorded against nothing
			gray.Variant(ctx, "checkout")
			gray.Variant(ctx, "search")
			gray.Variant(ctx, "no-such-rollout")
			gray.Track(ctx, "checkout_completed")
			gray.TrackValue(ctx, "order_value", 40)
			gray.TrackValue(ctx, "order_value", math.NaN()) // dropped
			gray.TrackValue(ctx, "", 1)                     // dropped
		}))
	for i, canary := range []bool{true, true, false} {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
		req.Header.Set("X-User", fmt.Sprint("u-", i))
		if canary {
			req.Header.Set("X-Gray", "canary")
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	canary := counters.Stats("checkout", "canary")
	assert.Equal(t, uint64(2), canary.Requests)
	assert.Equal(t, map[string]gray.MetricSums{
		"checkout_completed": {Count: 2, Sum: 2, SumSq: 2},
		"order_value":        {Count: 2, Sum: 80, SumSq: 3200},
	}, canary.Metrics)
	assert.Equal(t, gray.MetricSums{Count: 1, Sum: 1, SumSq: 1}, counters.Stats("checkout", "stable").Metrics["checkout_completed"])
	assert.Equal(t, uint64(3), counters.Stats("search", "canary").Metrics["checkout_completed"].Count, "every decided rollout")
	assert.Nil(t, counters.Stats("no-such-rollout", "stable").Metrics)

	require.Len(t, rec.got, 3*2*2, "3 requests × 2 rollouts × 2 outcomes")
	assert.Equal(t, gray.Metric{Rollout: "checkout", Variant: "canary", Name: "checkout_completed", Value: 1}, rec.got[0])
	assert.Equal(t, gray.Metric{Rollout: "search", Variant: "canary", Name: "order_value", Value: 40}, rec.got[3])
}

func TestTrackWithoutMiddleware(t *testing.T) {
	e := mustEngine(t, trackYAML)
	ctx := gray.NewContext(t.Context(), e, gray.Subject{Key: "u-1"})
	gray.Variant(ctx, "search")
	gray.Track(ctx, "x")                              // no observers: nothing, no panic
	gray.Track(context.Background(), "x")             // no decisions
	gray.TrackValue(context.TODO(), "x", math.Inf(1)) // dropped
}

func TestTrackNamesAreBounded(t *testing.T) {
	c := gray.NewCounters()
	for i := range 100 {
		c.ObserveMetric(gray.Metric{Rollout: "r", Variant: "v", Name: fmt.Sprint("m", i), Value: 1})
	}
	assert.Len(t, c.Stats("r", "v").Metrics, 64)
}

func TestMetricSums(t *testing.T) {
	var s gray.MetricSums
	for _, v := range []float64{2, 4, 4, 4, 5, 5, 7, 9} {
		s.Add(gray.MetricSums{Count: 1, Sum: v, SumSq: v * v})
	}
	assert.InDelta(t, 5, s.Mean(), 1e-12)
	assert.InDelta(t, 32.0/7, s.Variance(), 1e-12)
	s.Sub(gray.MetricSums{Count: 1, Sum: 9, SumSq: 81})
	assert.Equal(t, uint64(7), s.Count)
	s.Sub(gray.MetricSums{Count: 8})
	assert.Equal(t, gray.MetricSums{}, s, "never below zero")
	assert.Zero(t, s.Mean())
	assert.Zero(t, s.Variance())
}

func TestTrackAllocatesNothing(t *testing.T) {
	e := mustEngine(t, trackYAML)
	counters := gray.NewCounters()
	var allocs float64
	h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithObserver(counters))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			gray.Variant(ctx, "checkout")
			gray.Variant(ctx, "search")
			gray.Track(ctx, "warm") // the first time a name is seen, its cell is made
			gray.TrackValue(ctx, "order_value", 1)
			allocs = testing.AllocsPerRun(100, func() {
				gray.Track(ctx, "checkout_completed")
				gray.TrackValue(ctx, "order_value", 42.5)
			})
		}))
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req.Header.Set("X-User", "u-1")
	h.ServeHTTP(httptest.NewRecorder(), req)
	assert.Zero(t, allocs)
}
