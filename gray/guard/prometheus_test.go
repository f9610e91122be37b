package guard_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

func TestPrometheusQuery(t *testing.T) {
	var gotQuery, gotPath, gotAuth string
	answers := map[string]string{
		"scalar":   `{"status":"success","data":{"resultType":"scalar","result":[1700000000.5,"0.25"]}}`,
		"vector":   `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"variant":"canary"},"value":[1700000000,"42"]}]}}`,
		"empty":    `{"status":"success","data":{"resultType":"vector","result":[]}}`,
		"two":      `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"1"]},{"metric":{"a":"b"},"value":[1,"2"]}]}}`,
		"nan":      `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"NaN"]}]}}`,
		"inf":      `{"status":"success","data":{"resultType":"scalar","result":[1,"+Inf"]}}`,
		"matrix":   `{"status":"success","data":{"resultType":"matrix","result":[]}}`,
		"bad_data": `{"status":"error","errorType":"bad_data","error":"parse error at char 3"}`,
		"html":     `<html>proxy error</html>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotQuery, gotPath, gotAuth = r.URL.Query().Get("query"), r.URL.Path, r.Header.Get("Authorization")
		if gotQuery == "bad_data" {
			w.WriteHeader(http.StatusBadRequest)
		}
		_, _ = io.WriteString(w, answers[gotQuery])
	}))
	defer srv.Close()
	p, err := guard.NewPrometheus(srv.URL+"/prom/", nil, http.Header{"Authorization": {"Bearer x"}})
	require.NoError(t, err)

	v, err := p.Query(t.Context(), "scalar")
	require.NoError(t, err)
	assert.InDelta(t, 0.25, v, 0)
	assert.Equal(t, "/prom/api/v1/query", gotPath)
	assert.Equal(t, "Bearer x", gotAuth)
	v, err = p.Query(t.Context(), "vector")
	require.NoError(t, err)
	assert.InDelta(t, 42, v, 0)
	v, err = p.Query(t.Context(), "inf")
	require.NoError(t, err)
	assert.Greater(t, v, 1e308)

	tests := []struct {
		give string
		want string
	}{
		{"empty", "no data"},
		{"nan", "no data"},
		{"two", "returned 2 series, not 1"},
		{"matrix", `result type "matrix"`},
		{"bad_data", "bad_data: parse error at char 3"},
		{"html", "HTTP 200, not an API answer"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			_, err := p.Query(t.Context(), tt.give)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err = p.Query(t.Context(), "empty")
	assert.ErrorIs(t, err, guard.ErrNoData)

	for _, bad := range []string{"", "localhost:9090", "ftp://x", "http://"} {
		_, err := guard.NewPrometheus(bad, nil, nil)
		assert.Error(t, err, bad)
	}
}

// fakeQuerier answers queries from a function, and records them.
type fakeQuerier struct {
	mu     sync.Mutex
	seen   []string
	answer func(q string) (float64, error)
}

func (f *fakeQuerier) Query(_ context.Context, q string) (float64, error) {
	f.mu.Lock()
	f.seen = append(f.seen, q)
	f.mu.Unlock()
	return f.answer(q)
}

func promPlan() gray.Plan {
	p := simPlan()
	limit := 0.5
	p.Guard.Metrics = []gray.PlanMetric{{
		Name: "upstream_errors", Kind: gray.MetricPrometheus, Max: &limit,
		Query: `sum(rate(upstream_errors_total{rollout="{{.Rollout}}",variant="{{.Variant}}"}[{{.Interval}}]))`,
	}}
	return p
}

func TestControllerPrometheusMetric(t *testing.T) {
	byVariant := func(stable, canary float64) func(string) (float64, error) {
		return func(q string) (float64, error) {
			if strings.Contains(q, `variant="canary"`) {
				return canary, nil
			}
			return stable, nil
		}
	}
	tests := []struct {
		name      string
		querier   guard.Querier
		wantPhase guard.Phase
		wantWhy   string
	}{
		{name: "within its range: promoted", querier: &fakeQuerier{answer: byVariant(0.1, 0.2)}, wantPhase: guard.PhasePromoted},
		{name: "above max: rolled back", querier: &fakeQuerier{answer: byVariant(0.1, 0.9)}, wantPhase: guard.PhaseRolledBack, wantWhy: "metric upstream_errors: canary 0.9, outside its allowed range"},
		{name: "query fails: holds", querier: &fakeQuerier{answer: func(string) (float64, error) { return 0, errors.New("connection refused") }}, wantPhase: guard.PhaseRunning, wantWhy: "connection refused"},
		{name: "no querier: holds", wantPhase: guard.PhaseRunning, wantWhy: "no Prometheus source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSimWith(t, 3, promPlan(), 20000, healthy, always(healthy), guard.WithQuerier(tt.querier))
			st := s.run(t.Context(), 100)
			require.Equal(t, tt.wantPhase, st.Phase, "last: %+v", st.Last)
			ev, ok := s.ctrl.Evidence(simRollout)
			require.True(t, ok)
			if tt.wantPhase == guard.PhaseRunning {
				assert.Equal(t, 1.0, st.Share, "never advanced")
				require.Len(t, ev.Metrics, 1)
				assert.Contains(t, ev.Metrics[0].Unread, tt.wantWhy)
				assert.Contains(t, ev.Why, tt.wantWhy)
			}
			if tt.wantWhy != "" && tt.wantPhase == guard.PhaseRolledBack {
				assert.Contains(t, st.Last.Reason, tt.wantWhy)
			}
		})
	}
	q := &fakeQuerier{answer: byVariant(0.1, 0.2)}
	s := newSimWith(t, 3, promPlan(), 20000, healthy, always(healthy), guard.WithQuerier(q))
	s.run(t.Context(), 2)
	assert.Contains(t, q.seen, fmt.Sprintf(`sum(rate(upstream_errors_total{rollout="%s",variant="canary"}[60s]))`, simRollout))
	assert.Contains(t, q.seen, fmt.Sprintf(`sum(rate(upstream_errors_total{rollout="%s",variant="stable"}[60s]))`, simRollout))
}

// TestControllerTrackedMetric: tracked outcomes travel from the counters
// through the store's windows to the judge, which rolls back a canary
// that converts 20% worse and promotes an equal one.
func TestControllerTrackedMetric(t *testing.T) {
	plan := simPlan()
	plan.Guard.Metrics = []gray.PlanMetric{{Name: "checkout_completed"}, {Name: "order_value", Kind: gray.MetricMean}}
	base := healthy
	base.convert, base.value, base.valueSD = 0.05, 40, 20
	worse := base
	worse.convert *= 0.8

	s := newSim(t, 5, plan, 20000, base, always(worse))
	st := s.run(t.Context(), 300)
	require.Equal(t, guard.PhaseRolledBack, st.Phase, "last: %+v", st.Last)
	assert.Contains(t, st.Last.Reason, "metric checkout_completed:")
	require.NotNil(t, st.Last.Evidence)
	m := st.Last.Evidence.Metrics[0]
	assert.True(t, m.Worse)
	assert.InDelta(t, -0.2, m.Change, 0.08)
	assert.Positive(t, m.CanaryCount)

	s = newSim(t, 6, plan, 20000, base, always(base))
	st = s.run(t.Context(), 300)
	require.Equal(t, guard.PhasePromoted, st.Phase, "last: %+v", st.Last)
	ev := st.Last.Evidence
	require.NotNil(t, ev)
	require.Len(t, ev.Metrics, 2)
	assert.InDelta(t, 0.05, ev.Metrics[0].Stable, 0.005)
	assert.InDelta(t, 40, ev.Metrics[1].Canary, 2)
}
