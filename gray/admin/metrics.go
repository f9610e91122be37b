package admin

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// Point is one time window of one variant's outcomes, summed over replicas.
type Point struct {
	// Start is when the window began.
	Start time.Time `json:"start"`
	// Requests and Errors are counts in the window.
	Requests uint64 `json:"requests"`
	Errors   uint64 `json:"errors"`
	// ErrorRate is Errors/Requests, 0 without requests.
	ErrorRate float64 `json:"error_rate"`
	// P50, P95 and P99 are latency quantiles in milliseconds, each the
	// upper bound of the histogram bucket that holds it (0 without requests).
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
}

// VariantMetrics are one variant's outcomes over the recent windows.
type VariantMetrics struct {
	Variant string `json:"variant"`
	// Total sums every window in Series.
	Total Point `json:"total"`
	// Series is one point per window, oldest first.
	Series []Point `json:"series"`
}

// Metrics are a rollout's outcomes per variant over the recent windows.
type Metrics struct {
	// Source is "store" (every replica, from the backend's windows),
	// "local" (this replica's counters) or "none".
	Source string `json:"source"`
	// Since is the start of the oldest window considered.
	Since    time.Time        `json:"since"`
	Variants []VariantMetrics `json:"variants"`
}

// aggregate sums windows by variant and by start truncated to step, over
// replicas, so that a chart has a bounded number of points and each point
// enough requests to mean something.
func aggregate(ws []guard.Window, step time.Duration) []VariantMetrics {
	type key struct {
		variant string
		start   int64
	}
	type acc struct {
		start            time.Time
		requests, errors uint64
		lat              gray.HistogramSnapshot
	}
	sums := map[key]*acc{}
	for _, w := range ws {
		start := w.Start.Truncate(step)
		k := key{w.Variant, start.UnixNano()}
		a := sums[k]
		if a == nil {
			a = &acc{start: start}
			sums[k] = a
		}
		a.requests += w.Requests
		a.errors += w.Errors
		a.lat.Add(w.Latency)
	}
	byVariant := map[string]*VariantMetrics{}
	totals := map[string]*gray.HistogramSnapshot{}
	for k, a := range sums {
		vm := byVariant[k.variant]
		if vm == nil {
			vm = &VariantMetrics{Variant: k.variant, Series: []Point{}}
			byVariant[k.variant] = vm
			totals[k.variant] = &gray.HistogramSnapshot{}
		}
		vm.Series = append(vm.Series, point(a.start, a.requests, a.errors, &a.lat))
		vm.Total.Requests += a.requests
		vm.Total.Errors += a.errors
		totals[k.variant].Add(a.lat)
	}
	out := make([]VariantMetrics, 0, len(byVariant))
	for name, vm := range byVariant {
		slices.SortFunc(vm.Series, func(a, b Point) int { return a.Start.Compare(b.Start) })
		if len(vm.Series) > 0 {
			vm.Total = point(vm.Series[0].Start, vm.Total.Requests, vm.Total.Errors, totals[name])
		}
		out = append(out, *vm)
	}
	slices.SortFunc(out, func(a, b VariantMetrics) int { return cmp.Compare(a.Variant, b.Variant) })
	return out
}

func point(start time.Time, requests, errors uint64, lat *gray.HistogramSnapshot) Point {
	p := Point{Start: start, Requests: requests, Errors: errors}
	if requests > 0 {
		p.ErrorRate = float64(errors) / float64(requests)
	}
	ms := func(q float64) float64 { return float64(lat.Quantile(q)) / float64(time.Millisecond) }
	p.P50, p.P95, p.P99 = ms(0.50), ms(0.95), ms(0.99)
	return p
}

// sampler turns this replica's cumulative counters into windows: it takes
// a snapshot when the console is read and at least every has passed since
// the last one, and keeps the differences between consecutive snapshots.
// It starts no goroutine: with nobody watching, nothing is sampled.
type sampler struct {
	counters *gray.Counters
	every    time.Duration
	keep     int

	mu      sync.Mutex
	last    map[[2]string]gray.VariantStats
	lastAt  time.Time
	windows []guard.Window // oldest first
}

func newSampler(c *gray.Counters, every time.Duration, keep int) *sampler {
	return &sampler{counters: c, every: every, keep: keep}
}

// sample records a window if one is due at now.
func (s *sampler) sample(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last != nil && now.Sub(s.lastAt) < s.every {
		return
	}
	cur := map[[2]string]gray.VariantStats{}
	for _, st := range s.counters.Snapshot() {
		k := [2]string{st.Rollout, st.Variant}
		cur[k] = st
		if s.last == nil {
			continue
		}
		prev := s.last[k]
		lat := st.Latency
		lat.Sub(prev.Latency)
		w := guard.Window{
			Rollout: st.Rollout, Replica: "local", Variant: st.Variant, Start: s.lastAt,
			Requests: st.Requests - min(prev.Requests, st.Requests),
			Errors:   st.Errors - min(prev.Errors, st.Errors),
			Latency:  lat,
		}
		s.windows = append(s.windows, w)
	}
	s.last, s.lastAt = cur, now
	// Drop windows older than keep sampling periods.
	cutoff := now.Add(-time.Duration(s.keep) * s.every)
	i := 0
	for i < len(s.windows) && s.windows[i].Start.Before(cutoff) {
		i++
	}
	s.windows = slices.Delete(s.windows, 0, i)
}

// windowsOf returns the rollout's windows starting at or after since.
func (s *sampler) windowsOf(rollout string, since time.Time) []guard.Window {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []guard.Window
	for _, w := range s.windows {
		if w.Rollout == rollout && !w.Start.Before(since) {
			out = append(out, w)
		}
	}
	return out
}
