package grayprom_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/adapters/grayprom"
	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

func scrape(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(c))
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError}))
	defer srv.Close()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
	require.NoError(t, err)
	req.Header.Set("Accept", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

func find(t *testing.T, f *dto.MetricFamily, labels map[string]string) *dto.Metric {
	t.Helper()
	require.NotNil(t, f)
next:
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
				continue next
			}
		}
		return m
	}
	t.Fatalf("no %s with %v", f.GetName(), labels)
	return nil
}

func TestScrape(t *testing.T) {
	cs := gray.NewCounters()
	for i := range 10 {
		cs.ObserveDecision(gray.Decision{Rollout: "checkout", Variant: "canary"})
		cs.ObserveOutcome(gray.Outcome{Rollout: "checkout", Variant: "canary", Status: 200, Error: i < 3, Latency: time.Duration(i+1) * time.Millisecond})
	}
	cs.ObserveOutcome(gray.Outcome{Rollout: "checkout", Variant: "stable", Status: 500, Error: true, Panic: true, Latency: time.Second})
	for _, v := range []float64{10, 32.5} {
		cs.ObserveMetric(gray.Metric{Rollout: "checkout", Variant: "canary", Name: "order_value", Value: v})
	}
	cs.ObserveMetric(gray.Metric{Rollout: "checkout", Variant: "stable", Name: "checkout_completed", Value: 1})
	st := guard.NewMemoryStore()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	_, err := st.CompareAndSwap(t.Context(), 0, guard.State{Rollout: "checkout", Phase: guard.PhasePaused, Step: 1, Share: 5, Started: at, StepStarted: at},
		guard.Transition{Action: guard.ActionStart, At: at})
	require.NoError(t, err)

	fams := scrape(t, grayprom.New(cs, grayprom.WithStates(st)))
	canary := map[string]string{"rollout": "checkout", "variant": "canary"}
	tests := []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		{name: "requests", metric: "graykit_requests_total", labels: canary, want: 10},
		{name: "decisions", metric: "graykit_decisions_total", labels: canary, want: 10},
		{name: "errors", metric: "graykit_request_errors_total", labels: canary, want: 3},
		{name: "stable panics", metric: "graykit_request_panics_total", labels: map[string]string{"variant": "stable"}, want: 1},
		{name: "share, a ratio", metric: "graykit_guard_share_ratio", labels: map[string]string{"rollout": "checkout"}, want: 0.05},
		{name: "step", metric: "graykit_guard_step", labels: map[string]string{"rollout": "checkout"}, want: 1},
		{name: "phase paused", metric: "graykit_guard_phase", labels: map[string]string{"phase": "paused"}, want: 1},
		{name: "phase running", metric: "graykit_guard_phase", labels: map[string]string{"phase": "running"}, want: 0},
		{name: "phase manual", metric: "graykit_guard_phase", labels: map[string]string{"phase": "manual"}, want: 0},
		{name: "phase awaiting approval", metric: "graykit_guard_phase", labels: map[string]string{"phase": "awaiting-approval"}, want: 0},
		{name: "version", metric: "graykit_guard_state_version", labels: map[string]string{"rollout": "checkout"}, want: 1},
		{name: "states up", metric: "graykit_guard_states_up", labels: map[string]string{}, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := find(t, fams[tt.metric], tt.labels)
			var got float64
			switch {
			case m.Counter != nil:
				got = m.GetCounter().GetValue()
			default:
				got = m.GetGauge().GetValue()
			}
			assert.Equal(t, tt.want, got)
		})
	}

	order := find(t, fams["graykit_tracked"], map[string]string{"variant": "canary", "outcome": "order_value"}).GetSummary()
	require.NotNil(t, order)
	assert.Equal(t, uint64(2), order.GetSampleCount())
	assert.InDelta(t, 42.5, order.GetSampleSum(), 0)
	done := find(t, fams["graykit_tracked"], map[string]string{"variant": "stable", "outcome": "checkout_completed"}).GetSummary()
	assert.Equal(t, uint64(1), done.GetSampleCount())

	h := find(t, fams["graykit_request_duration_seconds"], canary).GetHistogram()
	require.NotNil(t, h)
	assert.Equal(t, uint64(10), h.GetSampleCount())
	assert.InDelta(t, 0.055, h.GetSampleSum(), 0.055*0.15, "sum of 1..10ms, estimated")
	var below5ms uint64
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() <= 0.005 {
			below5ms = b.GetCumulativeCount()
		}
	}
	assert.Equal(t, uint64(4), below5ms, "1..4ms fall at or below the last bound under 5ms")
}

// TestMetricNamesUseBaseUnits: a share is a 0–1 ratio, as Prometheus'
// naming rules ask (base units), never a percentage.
func TestMetricNamesUseBaseUnits(t *testing.T) {
	cs := gray.NewCounters()
	cs.ObserveDecision(gray.Decision{Rollout: "checkout", Variant: "canary"})
	cs.ObserveOutcome(gray.Outcome{Rollout: "checkout", Variant: "canary", Status: 200, Latency: time.Millisecond})
	st := guard.NewMemoryStore()
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	_, err := st.CompareAndSwap(t.Context(), 0, guard.State{Rollout: "checkout", Phase: guard.PhaseRunning, Share: 20, Started: at, StepStarted: at},
		guard.Transition{Action: guard.ActionStart, At: at})
	require.NoError(t, err)
	c := grayprom.New(cs, grayprom.WithStates(st))

	fams := scrape(t, c)
	require.NotEmpty(t, fams)
	for name := range fams {
		assert.NotContains(t, name, "percent")
	}
	assert.Equal(t, 0.2, find(t, fams["graykit_guard_share_ratio"], map[string]string{"rollout": "checkout"}).GetGauge().GetValue())
}

type failing struct{}

func (failing) States(context.Context) ([]guard.State, error) { return nil, errors.New("db down") }

// TestScrapeStateError: a failing state store leaves the guard series out
// and says so in graykit_guard_states_up, without failing the scrape.
func TestScrapeStateError(t *testing.T) {
	cs := gray.NewCounters()
	cs.ObserveDecision(gray.Decision{Rollout: "checkout", Variant: "canary"})
	reg := prometheus.NewPedanticRegistry()
	require.NoError(t, reg.Register(grayprom.New(cs, grayprom.WithStates(failing{}))))
	fams, err := reg.Gather()
	require.NoError(t, err)
	names := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		names[f.GetName()] = f
	}
	require.Contains(t, names, "graykit_decisions_total", "the counters still scrape")
	require.Contains(t, names, "graykit_guard_states_up")
	assert.Equal(t, 0.0, names["graykit_guard_states_up"].GetMetric()[0].GetGauge().GetValue())
	assert.NotContains(t, names, "graykit_guard_share_ratio")
}
