package grayprom

import (
	"context"
	"math"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// StateSource lists guarded rollouts' states; every [guard.Store] is one.
type StateSource interface {
	States(ctx context.Context) ([]guard.State, error)
}

// Option configures a [Collector].
type Option interface {
	apply(*Collector)
}

type optionFunc func(*Collector)

func (f optionFunc) apply(c *Collector) { f(c) }

// WithStates adds the guard series (share, step, phase, version) read from
// src at every scrape.
func WithStates(src StateSource) Option {
	return optionFunc(func(c *Collector) { c.states = src })
}

// WithTimeout bounds how long a scrape waits for the state source. The
// default is 5s.
func WithTimeout(d time.Duration) Option {
	return optionFunc(func(c *Collector) { c.timeout = d })
}

// Collector is a [prometheus.Collector] over a [gray.Counters] and,
// optionally, the states of guarded rollouts. It reads both at scrape time
// and keeps nothing; it is safe for concurrent use.
type Collector struct {
	counters *gray.Counters
	states   StateSource
	timeout  time.Duration

	decisions, requests, errors, panics, latency *prometheus.Desc
	tracked                                      *prometheus.Desc
	share, step, phase, version, statesUp        *prometheus.Desc
	bounds                                       []float64
}

var _ prometheus.Collector = (*Collector)(nil)

// New returns a collector over counters; a nil counters gives only the
// guard series (with [WithStates]).
func New(counters *gray.Counters, opts ...Option) *Collector {
	c := &Collector{counters: counters}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if c.timeout <= 0 {
		c.timeout = 5 * time.Second
	}
	rv := []string{"rollout", "variant"}
	c.decisions = prometheus.NewDesc("graykit_decisions_total", "Decisions made, per rollout and variant.", rv, nil)
	c.requests = prometheus.NewDesc("graykit_requests_total", "Requests that ended, per rollout and the variant that served them.", rv, nil)
	c.errors = prometheus.NewDesc("graykit_request_errors_total", "Requests that failed (5xx, gRPC error codes, panics), per rollout and variant.", rv, nil)
	c.panics = prometheus.NewDesc("graykit_request_panics_total", "Requests whose handler panicked, per rollout and variant.", rv, nil)
	c.latency = prometheus.NewDesc("graykit_request_duration_seconds", "Request latency, per rollout and variant; the sum is estimated from the bucket bounds.", rv, nil)
	c.tracked = prometheus.NewDesc("graykit_tracked", "Business outcomes tracked with gray.Track and gray.TrackValue, per rollout, variant and outcome name: _count is how many, _sum the sum of their values.", []string{"rollout", "variant", "outcome"}, nil)
	c.share = prometheus.NewDesc("graykit_guard_share_ratio", "The guarded rollout's canary share in force, 0 to 1 (0.05 is 5%).", []string{"rollout"}, nil)
	c.step = prometheus.NewDesc("graykit_guard_step", "Index of the plan step in force (-1 below the first step).", []string{"rollout"}, nil)
	c.phase = prometheus.NewDesc("graykit_guard_phase", "1 for the guarded rollout's current phase (running, paused, rolled-back, promoted, manual), else 0.", []string{"rollout", "phase"}, nil)
	c.version = prometheus.NewDesc("graykit_guard_state_version", "Version of the guarded rollout's shared state; it grows with every transition.", []string{"rollout"}, nil)
	c.statesUp = prometheus.NewDesc("graykit_guard_states_up", "1 if the last scrape read the guarded rollouts' states, 0 if the state store failed (the guard series are then left out).", nil, nil)
	for _, b := range gray.HistogramBounds() {
		if b == time.Duration(math.MaxInt64) {
			continue // +Inf is implicit
		}
		c.bounds = append(c.bounds, b.Seconds())
	}
	return c
}

// Describe implements [prometheus.Collector].
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.decisions, c.requests, c.errors, c.panics, c.latency, c.tracked, c.share, c.step, c.phase, c.version, c.statesUp} {
		ch <- d
	}
}

// Collect implements [prometheus.Collector].
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if c.counters != nil {
		for _, s := range c.counters.Snapshot() {
			lv := []string{s.Rollout, s.Variant}
			ch <- prometheus.MustNewConstMetric(c.decisions, prometheus.CounterValue, float64(s.Decisions), lv...)
			ch <- prometheus.MustNewConstMetric(c.requests, prometheus.CounterValue, float64(s.Requests), lv...)
			ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(s.Errors), lv...)
			ch <- prometheus.MustNewConstMetric(c.panics, prometheus.CounterValue, float64(s.Panics), lv...)
			count, sum, buckets := c.histogram(&s.Latency)
			ch <- prometheus.MustNewConstHistogram(c.latency, count, sum, buckets, lv...)
			for name, m := range s.Metrics {
				ch <- prometheus.MustNewConstSummary(c.tracked, m.Count, m.Sum, nil, s.Rollout, s.Variant, name)
			}
		}
	}
	if c.states == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	states, err := c.states.States(ctx)
	if err != nil {
		// A failing store must not fail the whole scrape (and with it the
		// application's own metrics): the guard series are left out and
		// graykit_guard_states_up says why.
		ch <- prometheus.MustNewConstMetric(c.statesUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.statesUp, prometheus.GaugeValue, 1)
	for _, st := range states {
		ch <- prometheus.MustNewConstMetric(c.share, prometheus.GaugeValue, st.Share/100, st.Rollout)
		ch <- prometheus.MustNewConstMetric(c.step, prometheus.GaugeValue, float64(st.Step), st.Rollout)
		ch <- prometheus.MustNewConstMetric(c.version, prometheus.GaugeValue, float64(st.Version), st.Rollout)
		for _, p := range []guard.Phase{guard.PhaseRunning, guard.PhaseAwaiting, guard.PhasePaused, guard.PhaseRolledBack, guard.PhasePromoted, guard.PhaseManual} {
			v := 0.0
			if st.Phase == p {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(c.phase, prometheus.GaugeValue, v, st.Rollout, string(p))
		}
	}
}

// histogram turns a snapshot into cumulative Prometheus buckets. Each
// duration counts at the geometric middle of its bucket in the sum.
func (c *Collector) histogram(h *gray.HistogramSnapshot) (uint64, float64, map[float64]uint64) {
	buckets := make(map[float64]uint64, len(c.bounds))
	var cum uint64
	var sum float64
	for i, n := range h.Counts {
		cum += n
		if i < len(c.bounds) {
			buckets[c.bounds[i]] = cum
			lo := c.bounds[i] / 1.25
			if i == 0 {
				lo = c.bounds[0] / 2
			}
			sum += float64(n) * math.Sqrt(lo*c.bounds[i])
		} else {
			sum += float64(n) * c.bounds[len(c.bounds)-1]
		}
	}
	return cum, sum, buckets
}
