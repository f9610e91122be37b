package gray

import (
	"fmt"
	"strings"
	"text/template"
	"text/template/parse"
)

// PlanMetric is a metric the guard's judge weighs besides errors and
// latency, declared under plan.guard.metrics. Two sources:
//
//   - outcomes the application tracks ([Track], [TrackValue]), judged by
//     the same always-valid sequential test as errors (kind "rate" or
//     "mean");
//   - a Prometheus query per variant (kind "prometheus"), judged against
//     fixed thresholds.
//
// For example:
//
//	metrics:
//	  - {name: checkout_completed, kind: rate, direction: higher, tolerance: 0.02}
//	  - {name: order_value, kind: mean, direction: higher}
//	  - name: upstream_errors
//	    kind: prometheus
//	    query: sum(rate(upstream_errors_total{variant="{{.Variant}}"}[5m]))
//	    max: 0.5
type PlanMetric struct {
	// Name is the name tracked with [Track] (kinds rate and mean), or the
	// metric's name in evidence and logs (prometheus). Required, unique
	// within the plan.
	Name string `yaml:"name" json:"name"`
	// Kind is "rate" (the default): occurrences per request of the
	// variant, each request counting as converting or not, so track such
	// an outcome at most once per request; "mean": the mean of the values
	// given to TrackValue, with their variance; or "prometheus": Query's
	// result for the canary.
	Kind string `yaml:"kind,omitempty" json:"kind,omitempty"`
	// Direction is which way is better: "higher" (the default; e.g.
	// conversions, order value) or "lower" (e.g. refunds). Kinds rate and
	// mean only.
	Direction string `yaml:"direction,omitempty" json:"direction,omitempty"`
	// Tolerance is the change for the worse a team accepts, relative to
	// the stable variant (0.02: 2% worse): the judge rolls back only when
	// the canary is worse than that with confidence 1−alpha. Default 0,
	// in [0, 1). Kinds rate and mean only.
	Tolerance float64 `yaml:"tolerance,omitempty" json:"tolerance,omitempty"`
	// Effect is the relative change the test is tuned to detect fastest
	// (the scale of its mixture, as error_effect is for errors); any
	// change beyond Tolerance is detected eventually. Default 0.1, in
	// (0, 10]. Kinds rate and mean only.
	Effect float64 `yaml:"effect,omitempty" json:"effect,omitempty"`
	// MinCount is the least number of tracked values per variant (kind
	// mean) before the metric is judged; default 30.
	MinCount uint64 `yaml:"min_count,omitempty" json:"min_count,omitempty"`
	// Query is a PromQL expression as a Go text/template, run once per
	// variant with {{.Rollout}} and {{.Variant}} (and {{.Interval}}, the
	// guard interval as a PromQL duration such as "10s"). Required for
	// kind prometheus, not allowed otherwise.
	Query string `yaml:"query,omitempty" json:"query,omitempty"`
	// Min and Max are the canary's allowed range for kind prometheus: the
	// judge rolls back when the query's value for the canary is below Min
	// or above Max. At least one is required.
	Min *float64 `yaml:"min,omitempty" json:"min,omitempty"`
	Max *float64 `yaml:"max,omitempty" json:"max,omitempty"`
}

// PlanMetric kinds and directions.
const (
	MetricRate       = "rate"
	MetricMean       = "mean"
	MetricPrometheus = "prometheus"
	DirectionHigher  = "higher"
	DirectionLower   = "lower"

	DefaultMetricEffect   = 0.1
	DefaultMetricMinCount = 30
)

// WithDefaults returns m with its zero fields set to their defaults.
func (m PlanMetric) WithDefaults() PlanMetric {
	if m.Kind == "" {
		m.Kind = MetricRate
	}
	if m.Kind != MetricPrometheus {
		if m.Direction == "" {
			m.Direction = DirectionHigher
		}
		if m.Effect == 0 {
			m.Effect = DefaultMetricEffect
		}
		if m.MinCount == 0 {
			m.MinCount = DefaultMetricMinCount
		}
	}
	return m
}

// QueryData is what a PlanMetric's Query template sees.
type QueryData struct {
	Rollout, Variant string
	// Interval is the guard interval as a PromQL duration, e.g. "10s".
	Interval string
}

// RenderQuery returns m's Query for one variant.
func (m PlanMetric) RenderQuery(data QueryData) (string, error) {
	t, err := template.New(m.Name).Option("missingkey=error").Parse(m.Query)
	if err != nil {
		return "", fmt.Errorf("gray: metric %q: query: %w", m.Name, err)
	}
	// A query template fills in values; one that defines or calls
	// templates could call itself, and a configuration must not be able to
	// make the guard recurse.
	if len(t.Templates()) > 1 || callsTemplate(t.Root) {
		return "", fmt.Errorf("gray: metric %q: query: define, block and template are not allowed", m.Name)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("gray: metric %q: query: %w", m.Name, err)
	}
	return b.String(), nil
}

// callsTemplate reports whether the parse tree under n holds a
// {{template}} call.
func callsTemplate(n parse.Node) bool {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return false
		}
		for _, c := range n.Nodes {
			if callsTemplate(c) {
				return true
			}
		}
	case *parse.TemplateNode:
		return true
	case *parse.IfNode:
		return callsTemplate(n.List) || callsTemplate(n.ElseList)
	case *parse.RangeNode:
		return callsTemplate(n.List) || callsTemplate(n.ElseList)
	case *parse.WithNode:
		return callsTemplate(n.List) || callsTemplate(n.ElseList)
	}
	return false
}

// validateMetrics adds the problems of a plan's metrics, under at
// (plan.guard.metrics).
func validateMetrics(ms []PlanMetric, at *path, ps *problems) {
	seen := map[string]bool{}
	for i, m := range ms {
		mp := at.elem(i)
		switch {
		case m.Name == "":
			ps.add(mp.field("name"), "a metric needs a name")
		case seen[m.Name]:
			ps.add(mp.field("name"), "%q is declared twice", m.Name)
		}
		seen[m.Name] = true
		tracked := true
		switch m.Kind {
		case "", MetricRate, MetricMean:
		case MetricPrometheus:
			tracked = false
		default:
			ps.add(mp.field("kind"), "%q is not rate, mean or prometheus", m.Kind)
			continue
		}
		if tracked {
			switch m.Direction {
			case "", DirectionHigher, DirectionLower:
			default:
				ps.add(mp.field("direction"), "%q is not higher or lower", m.Direction)
			}
			if bad(m.Tolerance) || m.Tolerance < 0 || m.Tolerance >= 1 {
				ps.add(mp.field("tolerance"), "%v is not in [0, 1)", m.Tolerance)
			}
			if bad(m.Effect) || m.Effect < 0 || m.Effect > 10 {
				ps.add(mp.field("effect"), "%v is not in (0, 10]", m.Effect)
			}
			for _, f := range []struct {
				name string
				set  bool
			}{{"query", m.Query != ""}, {"min", m.Min != nil}, {"max", m.Max != nil}} {
				if f.set {
					ps.add(mp.field(f.name), "only a metric of kind prometheus has a %s", f.name)
				}
			}
			continue
		}
		if m.Direction != "" || m.Tolerance != 0 || m.Effect != 0 || m.MinCount != 0 {
			ps.add(mp, "direction, tolerance, effect and min_count are for kinds rate and mean; a prometheus metric is judged by min and max")
		}
		if strings.TrimSpace(m.Query) == "" {
			ps.add(mp.field("query"), "a prometheus metric needs a query")
		} else if _, err := m.RenderQuery(QueryData{Rollout: "r", Variant: "v", Interval: "10s"}); err != nil {
			_, msg, _ := strings.Cut(err.Error(), "query: ")
			ps.add(mp.field("query"), "%s", msg)
		}
		if m.Min == nil && m.Max == nil {
			ps.add(mp, "a prometheus metric needs min or max")
		}
		if (m.Min != nil && bad(*m.Min)) || (m.Max != nil && bad(*m.Max)) {
			ps.add(mp, "min and max are finite numbers")
		} else if m.Min != nil && m.Max != nil && *m.Min > *m.Max {
			ps.add(mp.field("min"), "%v is above max (%v)", *m.Min, *m.Max)
		}
	}
}
