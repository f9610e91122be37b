package gray

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Observer receives every decision a request makes and every outcome of a
// request, per rollout and variant. Methods are called on the request's
// goroutine, so they must be fast and must not block: count, sample, or hand
// off to a buffered channel that drops when full. They must be safe for
// concurrent use.
type Observer interface {
	// ObserveDecision is called once per rollout decided in a request.
	ObserveDecision(Decision)
	// ObserveOutcome is called when a request ends, once per rollout that
	// was decided during it.
	ObserveOutcome(Outcome)
}

// Outcome is how a request ended, for one rollout it decided.
type Outcome struct {
	Rollout string
	Variant string
	// Status is the HTTP status written (200 if none was written); adapters
	// for other protocols map their codes (gRPC: the HTTP status a gateway
	// would give) and keep the original in Code.
	Status int
	// Code is the protocol's own status, e.g. "OK" or "Unavailable" for gRPC;
	// empty for HTTP.
	Code string
	// Error is true when the request failed: a 5xx status, an error code, or a panic.
	Error bool
	// Panic is true when the handler panicked (the panic is re-raised).
	Panic bool
	// Latency is the time from the start of the request to its end.
	Latency time.Duration
}

// Counters is an [Observer] that keeps per rollout and variant counts of
// decisions, requests, errors and panics, a latency histogram and the
// tracked business outcomes ([Track]). It is
// readable at any time with Snapshot; counting takes no lock and allocates
// only the first time a rollout and variant pair is seen.
type Counters struct {
	cells atomic.Pointer[map[cellKey]*cell]
	mu    sync.Mutex // serializes adding cells
}

type cellKey struct{ rollout, variant string }

type cell struct {
	decisions, requests, errors, panics atomic.Uint64
	latency                             Histogram
	metrics                             metricCells
}

var (
	_ Observer       = (*Counters)(nil)
	_ MetricObserver = (*Counters)(nil)
)

// NewCounters returns an empty counter set.
func NewCounters() *Counters { return &Counters{} }

func (c *Counters) cell(rollout, variant string) *cell {
	k := cellKey{rollout, variant}
	if m := c.cells.Load(); m != nil {
		if x := (*m)[k]; x != nil {
			return x
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.cells.Load()
	if old != nil {
		if x := (*old)[k]; x != nil {
			return x
		}
	}
	m := make(map[cellKey]*cell, 1+lenMap(old))
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	x := &cell{}
	m[k] = x
	c.cells.Store(&m)
	return x
}

func lenMap(m *map[cellKey]*cell) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// ObserveDecision counts a decision.
func (c *Counters) ObserveDecision(d Decision) { c.cell(d.Rollout, d.Variant).decisions.Add(1) }

// ObserveOutcome counts a request's outcome.
func (c *Counters) ObserveOutcome(o Outcome) {
	x := c.cell(o.Rollout, o.Variant)
	x.requests.Add(1)
	if o.Error {
		x.errors.Add(1)
	}
	if o.Panic {
		x.panics.Add(1)
	}
	x.latency.Observe(o.Latency)
}

// ObserveMetric adds a tracked outcome ([Track], [TrackValue]) to its
// rollout, variant and name. A rollout and variant keep at most 64 names;
// further names are dropped.
func (c *Counters) ObserveMetric(m Metric) {
	if x := c.cell(m.Rollout, m.Variant).metrics.get(m.Name); x != nil {
		x.count.Add(1)
		x.sum.add(m.Value)
		x.sumSq.add(m.Value * m.Value)
	}
}

// VariantStats are the counts for one rollout and variant.
type VariantStats struct {
	Rollout   string
	Variant   string
	Decisions uint64
	Requests  uint64
	Errors    uint64
	Panics    uint64
	Latency   HistogramSnapshot
	// Metrics are the tracked outcomes ([Track], [TrackValue]) by name;
	// nil when none was tracked.
	Metrics map[string]MetricSums
}

// ErrorRate returns Errors/Requests, or 0 with no requests.
func (v VariantStats) ErrorRate() float64 {
	if v.Requests == 0 {
		return 0
	}
	return float64(v.Errors) / float64(v.Requests)
}

// Snapshot returns the counts so far, sorted by rollout then variant.
func (c *Counters) Snapshot() []VariantStats {
	m := c.cells.Load()
	if m == nil {
		return nil
	}
	out := make([]VariantStats, 0, len(*m))
	for k, x := range *m {
		out = append(out, VariantStats{
			Rollout: k.rollout, Variant: k.variant,
			Decisions: x.decisions.Load(), Requests: x.requests.Load(),
			Errors: x.errors.Load(), Panics: x.panics.Load(),
			Latency: x.latency.Snapshot(), Metrics: x.metrics.snapshot(),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Rollout != out[j].Rollout {
			return out[i].Rollout < out[j].Rollout
		}
		return out[i].Variant < out[j].Variant
	})
	return out
}

// Stats returns the counts for one rollout and variant (zero if none).
func (c *Counters) Stats(rollout, variant string) VariantStats {
	s := VariantStats{Rollout: rollout, Variant: variant}
	if m := c.cells.Load(); m != nil {
		if x := (*m)[cellKey{rollout, variant}]; x != nil {
			s.Decisions, s.Requests = x.decisions.Load(), x.requests.Load()
			s.Errors, s.Panics = x.errors.Load(), x.panics.Load()
			s.Latency = x.latency.Snapshot()
			s.Metrics = x.metrics.snapshot()
		}
	}
	return s
}
