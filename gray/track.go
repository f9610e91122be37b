package gray

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
)

// Track records one occurrence of the named business outcome (a checkout
// completed, a sign-up) for the request in ctx: its observers that
// implement [MetricObserver] receive it once per rollout the request has
// decided so far, with the variant that served it. It is TrackValue(ctx,
// name, 1).
//
// Decide first: an outcome is recorded against the rollouts decided
// before the call ([Variant], or [WithEager] to decide every rollout when
// the request starts), so that a conversion on a later request of the
// same user counts only if that request decides the rollout too. Without
// decisions in ctx (no middleware, [NewContext]), or with no observer
// that tracks, it does nothing. It is safe for concurrent use by the
// request's goroutines, takes one short lock of the request's own and
// allocates nothing.
//
// The guard's judge reads tracked outcomes per rollout and variant (see
// [PlanMetric]): a "rate" metric is occurrences per request, so track such
// an outcome at most once per request; a "mean" metric is the mean of
// the values given to [TrackValue].
func Track(ctx context.Context, name string) { TrackValue(ctx, name, 1) }

// TrackValue records value v of the named business metric (an order's
// value, items in a basket) for the request in ctx, as [Track] does. A
// NaN or infinite v, or an empty name, is dropped.
func TrackValue(ctx context.Context, name string, v float64) {
	if name == "" || math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	d, ok := FromContext(ctx)
	if !ok || d.hook == nil || len(d.hook.trackers) == 0 {
		return
	}
	d.mu.Lock()
	first, ok, more := d.decidedLocked()
	d.mu.Unlock()
	if ok {
		d.hook.track(&first, name, v)
	}
	for i := range more {
		d.hook.track(&more[i], name, v)
	}
}

func (h *Hook) track(dec *Decision, name string, v float64) {
	if dec.Reason == ReasonUnknownRollout {
		return
	}
	for _, t := range h.trackers {
		t.ObserveMetric(Metric{Rollout: dec.Rollout, Variant: dec.Variant, Name: name, Value: v})
	}
}

// MetricObserver is an [Observer] that also receives the business outcomes
// application code records with [Track] and [TrackValue]. The middleware
// and every adapter pass them to each observer given with [WithObserver]
// that implements it. ObserveMetric is called on the request's goroutine:
// like the other methods it must be fast, must not block and must be safe
// for concurrent use.
type MetricObserver interface {
	ObserveMetric(Metric)
}

// Metric is one tracked outcome, for one rollout the request decided.
type Metric struct {
	Rollout string
	Variant string
	// Name is the name given to Track or TrackValue.
	Name string
	// Value is 1 for Track, the value given for TrackValue.
	Value float64
}

// MetricSums are the sums that judge a tracked metric, mergeable across
// windows and replicas by adding them: how many values were recorded,
// their sum and the sum of their squares.
type MetricSums struct {
	Count uint64  `json:"count"`
	Sum   float64 `json:"sum"`
	SumSq float64 `json:"sum_sq"`
}

// Add merges o into s.
func (s *MetricSums) Add(o MetricSums) {
	s.Count += o.Count
	s.Sum += o.Sum
	s.SumSq += o.SumSq
}

// Sub removes o from s (for the difference between two snapshots of the
// same counters); the count never goes below zero.
func (s *MetricSums) Sub(o MetricSums) {
	if s.Count < o.Count {
		*s = MetricSums{}
		return
	}
	s.Count -= o.Count
	s.Sum -= o.Sum
	s.SumSq -= o.SumSq
}

// Mean returns Sum/Count, or 0 with no values.
func (s MetricSums) Mean() float64 {
	if s.Count == 0 {
		return 0
	}
	return s.Sum / float64(s.Count)
}

// Variance returns the sample variance of the values (divisor Count−1),
// or 0 with fewer than two.
func (s MetricSums) Variance() float64 {
	if s.Count < 2 {
		return 0
	}
	n := float64(s.Count)
	return max(0, (s.SumSq-s.Sum*s.Sum/n)/(n-1))
}

// maxTrackedNames bounds the metric names one rollout and variant keeps,
// so that names built from request data cannot grow memory without
// bound; further names are dropped.
const maxTrackedNames = 64

// metricCells are one rollout and variant's tracked metrics by name,
// copied on write like the cells of [Counters].
type metricCells struct {
	m  atomic.Pointer[map[string]*metricCell]
	mu sync.Mutex
}

type metricCell struct {
	count      atomic.Uint64
	sum, sumSq atomicFloat
}

func (mc *metricCells) get(name string) *metricCell {
	if m := mc.m.Load(); m != nil {
		if x := (*m)[name]; x != nil {
			return x
		}
	}
	mc.mu.Lock()
	defer mc.mu.Unlock()
	old := mc.m.Load()
	n := 0
	if old != nil {
		if x := (*old)[name]; x != nil {
			return x
		}
		n = len(*old)
	}
	if n >= maxTrackedNames {
		return nil
	}
	m := make(map[string]*metricCell, n+1)
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	x := &metricCell{}
	m[name] = x
	mc.m.Store(&m)
	return x
}

func (mc *metricCells) snapshot() map[string]MetricSums {
	m := mc.m.Load()
	if m == nil {
		return nil
	}
	out := make(map[string]MetricSums, len(*m))
	for k, x := range *m {
		out[k] = MetricSums{Count: x.count.Load(), Sum: x.sum.load(), SumSq: x.sumSq.load()}
	}
	return out
}

// atomicFloat is a float64 added to without a lock.
type atomicFloat struct{ bits atomic.Uint64 }

func (f *atomicFloat) add(v float64) {
	for {
		old := f.bits.Load()
		if f.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+v)) {
			return
		}
	}
}

func (f *atomicFloat) load() float64 { return math.Float64frombits(f.bits.Load()) }
