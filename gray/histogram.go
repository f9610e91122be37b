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

// bucketLower returns bucket i's lower bound: 0 for the first.
func bucketLower(i int) time.Duration {
	if i == 0 {
		return 0
	}
	return histBounds[i-1]
}

// tilt returns k in [-1, 1] for bucket i: inside it, over the logarithm of
// duration scaled to [0, 1], the durations are taken to have the density
// that falls or rises linearly from one neighbour's level to the other's,
// so that the share at or below x is k·x² + (1−k)·x. A flat density (k = 0)
// would misplace a quantile in the steep tail of a latency distribution by
// a good part of the bucket's width. The first bucket (linear, from 0) and
// the last two get k = 0.
func (s *HistogramSnapshot) tilt(i int) float64 {
	c := float64(s.Counts[i])
	if i == 0 || i >= histBuckets-2 || c == 0 {
		return 0
	}
	slope := (float64(s.Counts[i+1]) - float64(s.Counts[i-1])) / 2
	return min(max(slope/(2*c), -1), 1)
}

// shareBelow returns the share of bucket i's durations at or below t (see
// tilt). Everything in the last, unbounded bucket counts as above any t.
func (s *HistogramSnapshot) shareBelow(i int, t time.Duration) float64 {
	lo, hi := bucketLower(i), histBounds[i]
	switch {
	case t <= lo, i == histBuckets-1:
		return 0
	case t >= hi:
		return 1
	case i == 0:
		return float64(t) / float64(hi)
	}
	x := math.Log(float64(t)/float64(lo)) / math.Log(float64(hi)/float64(lo))
	k := s.tilt(i)
	return k*x*x + (1-k)*x
}

// Estimate returns the q-th quantile (0 < q ≤ 1) interpolated within its
// bucket, from the bucket's count and its neighbours' (the density inside
// a bucket is taken to vary linearly over the logarithm of duration); 0
// when nothing was recorded. Unlike [HistogramSnapshot.Quantile], which
// answers the bucket's upper bound, its error does not depend on where the
// true quantile falls in its bucket: for smooth distributions it is a small
// fraction of a bucket's width. A quantile in the last, unbounded bucket is
// answered as that bucket's lower bound.
func (s *HistogramSnapshot) Estimate(q float64) time.Duration {
	total := s.Total()
	if total == 0 {
		return 0
	}
	rank := min(max(q, 0), 1) * float64(total)
	var seen float64
	for i, c := range s.Counts {
		if c == 0 {
			continue
		}
		if seen+float64(c) < rank {
			seen += float64(c)
			continue
		}
		f := (rank - seen) / float64(c)
		lo, hi := bucketLower(i), histBounds[i]
		switch {
		case i == histBuckets-1:
			return lo
		case i == 0:
			return time.Duration(f * float64(hi))
		}
		x := f
		if k := s.tilt(i); math.Abs(k) > 1e-9 { // solve k·x² + (1−k)·x = f
			x = (-(1 - k) + math.Sqrt((1-k)*(1-k)+4*k*f)) / (2 * k)
		}
		return time.Duration(float64(lo) * math.Pow(float64(hi)/float64(lo), min(max(x, 0), 1)))
	}
	return bucketLower(histBuckets - 1)
}

// Above returns the number of recorded durations above t, counting the
// bucket that holds t in part, as [HistogramSnapshot.Estimate] spreads it.
func (s *HistogramSnapshot) Above(t time.Duration) float64 {
	var n float64
	for i := histIndex(t); i < histBuckets; i++ {
		if c := s.Counts[i]; c > 0 {
			n += float64(c) * (1 - s.shareBelow(i, t))
		}
	}
	return n
}
