package gray

import (
	"math"
	"slices"
	"sync/atomic"
	"time"
)

// Latency histogram layout: bucket 0 holds durations up to histMin, and each
// following bucket is histGrowth times wider, up to about 2 minutes in the
// last bucket. Fixed bounds make histograms from different processes and
// time windows mergeable by adding counts.
const (
	histBuckets = 96
	histMin     = 10 * time.Microsecond
	histGrowth  = 1.25 // about 12% relative error at any percentile
)

// HistogramBounds returns the upper bound of every latency bucket, the
// last one being +Inf. They are the same in every process.
func HistogramBounds() []time.Duration { return slices.Clone(histBounds[:]) }

// histBounds holds bucket i's upper bound at i: histMin·histGrowth^i, and
// +Inf for the last. Computed once and only read, so that recording a
// duration is a binary search rather than a logarithm and a power.
var histBounds = func() (b [histBuckets]time.Duration) {
	for i := range b {
		b[i] = time.Duration(float64(histMin) * math.Pow(histGrowth, float64(i)))
	}
	b[histBuckets-1] = time.Duration(math.MaxInt64)
	return b
}()

func histUpper(i int) time.Duration { return histBounds[min(i, histBuckets-1)] }

// histIndex returns the bucket of d: the first whose upper bound is at
// least d.
func histIndex(d time.Duration) int {
	i, _ := slices.BinarySearch(histBounds[:], d)
	return i
}

// Histogram counts latencies in fixed, log-spaced buckets. The zero value is
// ready to use; Observe is safe for concurrent use and allocates nothing.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
}

// Observe records one duration.
func (h *Histogram) Observe(d time.Duration) { h.counts[histIndex(d)].Add(1) }

// Snapshot returns a copy of the counts.
func (h *Histogram) Snapshot() HistogramSnapshot {
	var s HistogramSnapshot
	for i := range h.counts {
		s.Counts[i] = h.counts[i].Load()
	}
	return s
}

// HistogramSnapshot is a point-in-time copy of a [Histogram]. Snapshots from
// any process can be merged with Add, and read with Quantile.
type HistogramSnapshot struct {
	// Counts[i] is the number of durations in bucket i; see
	// [HistogramBounds] for the bucket bounds.
	Counts [histBuckets]uint64
}

// Add merges o into s.
func (s *HistogramSnapshot) Add(o HistogramSnapshot) {
	for i := range s.Counts {
		s.Counts[i] += o.Counts[i]
	}
}

// Sub removes o from s (for the difference between two snapshots of one
// histogram); counts never go below zero.
func (s *HistogramSnapshot) Sub(o HistogramSnapshot) {
	for i := range s.Counts {
		if s.Counts[i] >= o.Counts[i] {
			s.Counts[i] -= o.Counts[i]
		} else {
			s.Counts[i] = 0
		}
	}
}

// Total returns the number of recorded durations.
func (s *HistogramSnapshot) Total() uint64 {
	var n uint64
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// Quantile returns the upper bound of the bucket holding the q-th quantile
// (0 < q ≤ 1), or 0 when nothing was recorded. The answer overestimates by
// at most one bucket's width (about 25%).
func (s *HistogramSnapshot) Quantile(q float64) time.Duration {
	total := s.Total()
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range s.Counts {
		seen += c
		if seen >= rank {
			return histUpper(i)
		}
	}
	return histUpper(histBuckets - 1)
}
