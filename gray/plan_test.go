package gray_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

func TestPlanParse(t *testing.T) {
	tests := []struct {
		name string
		give string
		want gray.Plan
	}{
		{
			name: "yaml durations",
			give: "rollouts: [{name: r, plan: {steps: [1, 5, 100], hold: 90s, min_requests: 50, guard: {interval: 5s, alpha: 0.01, on_regression: pause}}}]",
			want: gray.Plan{Steps: []float64{1, 5, 100}, Hold: 90 * time.Second, MinRequests: 50, Guard: gray.PlanGuard{Interval: 5 * time.Second, Alpha: 0.01, OnRegression: "pause"}},
		},
		{
			name: "json",
			give: `{"rollouts": [{"name": "r", "plan": {"hold": "10m", "guard": {"latency_ratio": 1.5, "disable_latency": true}}}]}`,
			want: gray.Plan{Hold: 10 * time.Minute, Guard: gray.PlanGuard{LatencyRatio: 1.5, DisableLatency: true}},
		},
		{
			name: "approvals and a window",
			give: `rollouts: [{name: r, plan: {steps: [5, 50], approve: [50, 100], window: {days: [mon, fri], from: "09:00", to: "18:00", time_zone: Asia/Shanghai}}}]`,
			want: gray.Plan{Steps: []float64{5, 50}, Approve: []float64{50, 100},
				Window: &gray.PlanWindow{Days: []string{"mon", "fri"}, From: "09:00", To: "18:00", TimeZone: "Asia/Shanghai"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := gray.ParseConfig([]byte(tt.give))
			require.NoError(t, err)
			require.NotNil(t, cfg.Rollouts[0].Plan)
			assert.Equal(t, tt.want, *cfg.Rollouts[0].Plan)
		})
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "decreasing step", give: "rollouts: [{name: r, plan: {steps: [1, 5, 2]}}]", want: "gray: rollouts[0].plan.steps[2]: 2 is not above the step before (5); steps increase"},
		{name: "step above 100", give: "rollouts: [{name: r}, {name: s, plan: {steps: [101]}}]", want: "gray: rollouts[1].plan.steps[0]: 101 is above 100"},
		{name: "zero step", give: "rollouts: [{name: r, plan: {steps: [0, 5]}}]", want: "gray: rollouts[0].plan.steps[0]: 0 is not a step (steps are above 0)"},
		{name: "bad duration", give: "rollouts: [{name: r, plan: {hold: soon}}]", want: "rollouts[0].plan.hold"},
		{name: "negative hold", give: "rollouts: [{name: r, plan: {hold: -1m}}]", want: "gray: rollouts[0].plan.hold: -1m0s is negative"},
		{name: "alpha", give: "rollouts: [{name: r, plan: {guard: {alpha: 0.7}}}]", want: "gray: rollouts[0].plan.guard.alpha: 0.7 is not in (0, 0.5]"},
		{name: "quantile", give: "rollouts: [{name: r, plan: {guard: {latency_quantile: 1}}}]", want: "gray: rollouts[0].plan.guard.latency_quantile: 1 is not in (0, 1)"},
		{name: "ratio", give: "rollouts: [{name: r, plan: {guard: {latency_ratio: 0.5}}}]", want: "gray: rollouts[0].plan.guard.latency_ratio: 0.5 is below 1"},
		{name: "on_regression", give: "rollouts: [{name: r, plan: {guard: {on_regression: panic}}}]", want: `gray: rollouts[0].plan.guard.on_regression: "panic" is not rollback or pause`},
		{name: "unknown field", give: "rollouts: [{name: r, plan: {stepz: [1]}}]", want: "gray: rollouts[0].plan.stepz: unknown field"},
		{name: "approve a share that is no step", give: "rollouts: [{name: r, plan: {steps: [5, 50], approve: [20]}}]", want: "gray: rollouts[0].plan.approve[0]: 20 is not one of the steps ([5 50]) nor 100"},
		{name: "window day", give: "rollouts: [{name: r, plan: {window: {days: [monday]}}}]", want: `gray: rollouts[0].plan.window.days: "monday" is not mon, tue, wed, thu, fri, sat or sun`},
		{name: "window zone", give: "rollouts: [{name: r, plan: {window: {time_zone: Mars/Olympus}}}]", want: `gray: rollouts[0].plan.window.time_zone: "Mars/Olympus" is not a known time zone`},
		{name: "window hour", give: `rollouts: [{name: r, plan: {window: {from: "9am"}}}]`, want: `gray: rollouts[0].plan.window.from: "9am" is not a time of day such as "09:00"`},
		{name: "window order", give: `rollouts: [{name: r, plan: {window: {from: "18:00", to: "09:00"}}}]`, want: "gray: rollouts[0].plan.window.from: 18:00 is not before to (09:00)"},
		{name: "negative tolerance", give: "rollouts: [{name: r, plan: {guard: {error_tolerance: -0.01}}}]", want: "gray: rollouts[0].plan.guard.error_tolerance: -0.01 is not in [0, 1)"},
		{name: "tolerance above max increase", give: "rollouts: [{name: r, plan: {guard: {error_tolerance: 0.02}}}]", want: "gray: rollouts[0].plan.guard.error_tolerance: 0.02 is above max_error_increase (0.01): such a canary would hold forever"},
		{name: "metric without name", give: "rollouts: [{name: r, plan: {guard: {metrics: [{kind: rate}]}}}]", want: "gray: rollouts[0].plan.guard.metrics[0].name: a metric needs a name"},
		{name: "metric twice", give: "rollouts: [{name: r, plan: {guard: {metrics: [{name: a}, {name: a, kind: mean}]}}}]", want: `gray: rollouts[0].plan.guard.metrics[1].name: "a" is declared twice`},
		{name: "metric kind", give: "rollouts: [{name: r, plan: {guard: {metrics: [{name: a, kind: median}]}}}]", want: `gray: rollouts[0].plan.guard.metrics[0].kind: "median" is not rate, mean or prometheus`},
		{name: "metric direction", give: "rollouts: [{name: r, plan: {guard: {metrics: [{name: a, direction: up}]}}}]", want: `gray: rollouts[0].plan.guard.metrics[0].direction: "up" is not higher or lower`},
		{name: "metric tolerance", give: "rollouts: [{name: r, plan: {guard: {metrics: [{name: a, tolerance: 1.5}]}}}]", want: "gray: rollouts[0].plan.guard.metrics[0].tolerance: 1.5 is not in [0, 1)"},
		{name: "metric effect", give: "rollouts: [{name: r, plan: {guard: {metrics: [{name: a, effect: -1}]}}}]", want: "gray: rollouts[0].plan.guard.metrics[0].effect: -1 is not in (0, 10]"},
		{name: "metric unknown field", give: "rollouts: [{name: r, plan: {guard: {metrics: [{name: a, threshold: 1}]}}}]", want: "gray: rollouts[0].plan.guard.metrics[0].threshold: unknown field"},
		{name: "tracked metric with a query", give: "rollouts: [{name: r, plan: {guard: {metrics: [{name: a, query: up}]}}}]", want: "gray: rollouts[0].plan.guard.metrics[0].query: only a metric of kind prometheus has a query"},
		{name: "prometheus without query", give: "rollouts: [{name: r, plan: {guard: {metrics: [{name: a, kind: prometheus, max: 1}]}}}]", want: "gray: rollouts[0].plan.guard.metrics[0].query: a prometheus metric needs a query"},
		{name: "prometheus bad template", give: `rollouts: [{name: r, plan: {guard: {metrics: [{name: a, kind: prometheus, max: 1, query: "up{v=\"{{.Variant\"}"}]}}}]`, want: "gray: rollouts[0].plan.guard.metrics[0].query: template: a:1: "},
		{name: "prometheus unknown template field", give: `rollouts: [{name: r, plan: {guard: {metrics: [{name: a, kind: prometheus, max: 1, query: "up{v=\"{{.Service}}\"}"}]}}}]`, want: "gray: rollouts[0].plan.guard.metrics[0].query: template: a:1:"},
		{name: "prometheus recursive template", give: `rollouts: [{name: r, plan: {guard: {metrics: [{name: a, kind: prometheus, max: 1, query: "{{template \"a\"}}"}]}}}]`, want: "gray: rollouts[0].plan.guard.metrics[0].query: define, block and template are not allowed"},
		{name: "prometheus template define", give: `rollouts: [{name: r, plan: {guard: {metrics: [{name: a, kind: prometheus, max: 1, query: "{{define \"x\"}}{{template \"x\"}}{{end}}up"}]}}}]`, want: "gray: rollouts[0].plan.guard.metrics[0].query: define, block and template are not allowed"},
		{name: "prometheus nested template call", give: `rollouts: [{name: r, plan: {guard: {metrics: [{name: a, kind: prometheus, max: 1, query: "{{if .Variant}}{{template \"a\"}}{{end}}"}]}}}]`, want: "gray: rollouts[0].plan.guard.metrics[0].query: define, block and template are not allowed"},
		{name: "prometheus without thresholds", give: "rollouts: [{name: r, plan: {guard: {metrics: [{name: a, kind: prometheus, query: up}]}}}]", want: "gray: rollouts[0].plan.guard.metrics[0]: a prometheus metric needs min or max"},
		{name: "prometheus min above max", give: "rollouts: [{name: r, plan: {guard: {metrics: [{name: a, kind: prometheus, query: up, min: 2, max: 1}]}}}]", want: "gray: rollouts[0].plan.guard.metrics[0].min: 2 is above max (1)"},
		{name: "prometheus with tolerance", give: "rollouts: [{name: r, plan: {guard: {metrics: [{name: a, kind: prometheus, query: up, max: 1, tolerance: 0.1}]}}}]", want: "gray: rollouts[0].plan.guard.metrics[0]: direction, tolerance, effect and min_count are for kinds rate and mean"},
		{name: "interval too short", give: "rollouts: [{name: r, plan: {guard: {interval: 1ms}}}]", want: "gray: rollouts[0].plan.guard.interval: 1ms is below 100ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gray.ParseConfig([]byte(tt.give))
			require.Error(t, err)
			var ce *gray.ConfigError
			require.True(t, errors.As(err, &ce))
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestPlanValidateAndDefaults(t *testing.T) {
	require.NoError(t, (&gray.Plan{}).Validate())
	err := (&gray.Plan{Steps: []float64{5, 5}}).Validate()
	require.EqualError(t, err, "gray: plan.steps[1]: 5 is not above the step before (5); steps increase")

	// A Go-built config goes through the same validation in New.
	_, err = gray.New(&gray.Config{Rollouts: []gray.Rollout{{Name: "r", Plan: &gray.Plan{Steps: []float64{50, 10}}}}})
	require.ErrorContains(t, err, "rollouts[0].plan.steps[1]")

	d := gray.Plan{Steps: []float64{2, 10}}.WithDefaults()
	assert.Equal(t, []float64{2, 10}, d.Steps)
	assert.Equal(t, gray.DefaultPlanHold, d.Hold)
	assert.Equal(t, uint64(gray.DefaultPlanMinRequests), d.MinRequests)
	assert.Equal(t, gray.DefaultGuardAlpha, d.Guard.Alpha)
	assert.Equal(t, gray.OnRegressionRollback, d.Guard.OnRegression)
	assert.Equal(t, gray.DefaultPlanSteps(), gray.Plan{}.WithDefaults().Steps)
	require.NoError(t, d.Validate(), "defaults are valid")
}

func TestPlanRoundTripsThroughJSON(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: checkout-v2
    plan:
      steps: [1, 5, 20]
      hold: 90s
      guard: {interval: 15s, alpha: 0.01}
`))
	require.NoError(t, err)
	data, err := json.Marshal(cfg)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"hold":"1m30s"`)
	assert.Contains(t, string(data), `"interval":"15s"`)
	again, err := gray.ParseConfig(data)
	require.NoError(t, err, "%s", data)
	assert.Equal(t, cfg, again)
}

func TestPlanJSONDecoding(t *testing.T) {
	tests := []struct {
		name string
		give string
		want gray.Plan
	}{
		{"text", `{"hold":"90s","guard":{"interval":"15s"}}`, gray.Plan{Hold: 90 * time.Second, Guard: gray.PlanGuard{Interval: 15 * time.Second}}},
		{"nanoseconds", `{"hold":90000000000}`, gray.Plan{Hold: 90 * time.Second}},
		{"other fields kept", `{"steps":[1,5],"min_requests":7}`, gray.Plan{Steps: []float64{1, 5}, MinRequests: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got gray.Plan
			require.NoError(t, json.Unmarshal([]byte(tt.give), &got))
			assert.Equal(t, tt.want, got)
		})
	}
	var bad gray.Plan
	assert.Error(t, json.Unmarshal([]byte(`{"hold":"soon"}`), &bad))
}

func TestPlanWindowContains(t *testing.T) {
	// Working hours in Shanghai (UTC+8).
	w := &gray.PlanWindow{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "09:00", To: "18:00", TimeZone: "Asia/Shanghai"}
	tests := []struct {
		name string
		give time.Time
		want bool
	}{
		{name: "Monday 09:00 in Shanghai", give: time.Date(2025, 12, 1, 1, 0, 0, 0, time.UTC), want: true},
		{name: "Monday 08:59 in Shanghai", give: time.Date(2025, 12, 1, 0, 59, 0, 0, time.UTC), want: false},
		{name: "Monday 17:59 in Shanghai", give: time.Date(2025, 12, 1, 9, 59, 0, 0, time.UTC), want: true},
		{name: "Monday 18:00 in Shanghai", give: time.Date(2025, 12, 1, 10, 0, 0, 0, time.UTC), want: false},
		{name: "Friday in UTC, Saturday in Shanghai", give: time.Date(2025, 12, 5, 17, 0, 0, 0, time.UTC), want: false},
		{name: "Sunday 23:00 in UTC is Monday 07:00 in Shanghai", give: time.Date(2025, 11, 30, 23, 0, 0, 0, time.UTC), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, w.Contains(tt.give))
		})
	}
	var none *gray.PlanWindow
	assert.True(t, none.Contains(time.Now()), "no window: any time")
	assert.Equal(t, "mon,tue,wed,thu,fri 09:00-18:00 Asia/Shanghai", w.String())
	assert.True(t, gray.Plan{Approve: []float64{100}}.NeedsApproval(100))
	assert.False(t, gray.Plan{Approve: []float64{100}}.NeedsApproval(50))
}

func TestPlanMetrics(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: checkout
    plan:
      guard:
        metrics:
          - {name: checkout_completed}
          - {name: refunds, kind: rate, direction: lower, tolerance: 0.05, effect: 0.2}
          - {name: order_value, kind: mean, min_count: 50}
          - name: upstream_errors
            kind: prometheus
            query: 'sum(rate(upstream_errors_total{rollout="{{.Rollout}}", variant="{{.Variant}}"}[{{.Interval}}]))'
            max: 0.5
`))
	require.NoError(t, err)
	ms := cfg.Rollouts[0].Plan.WithDefaults().Guard.Metrics
	require.Len(t, ms, 4)
	assert.Equal(t, gray.PlanMetric{Name: "checkout_completed", Kind: gray.MetricRate, Direction: gray.DirectionHigher, Effect: 0.1, MinCount: 30}, ms[0])
	assert.Equal(t, gray.PlanMetric{Name: "refunds", Kind: gray.MetricRate, Direction: gray.DirectionLower, Tolerance: 0.05, Effect: 0.2, MinCount: 30}, ms[1])
	assert.Equal(t, uint64(50), ms[2].MinCount)
	require.NotNil(t, ms[3].Max)
	assert.InDelta(t, 0.5, *ms[3].Max, 0)
	assert.Zero(t, ms[3].Effect, "no test defaults for a prometheus metric")
	q, err := ms[3].RenderQuery(gray.QueryData{Rollout: "checkout", Variant: "canary", Interval: "10s"})
	require.NoError(t, err)
	assert.Equal(t, `sum(rate(upstream_errors_total{rollout="checkout", variant="canary"}[10s]))`, q)

	data, err := json.Marshal(cfg)
	require.NoError(t, err)
	back, err := gray.ParseConfig(data)
	require.NoError(t, err)
	assert.Equal(t, cfg.Rollouts[0].Plan.Guard.Metrics, back.Rollouts[0].Plan.Guard.Metrics, "round-trips through JSON")
}
