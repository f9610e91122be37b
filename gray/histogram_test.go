package gray

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHistogramBuckets pins the bucket layout other processes merge with
// (10µs growing by 1.25×, +Inf last) and checks that every duration lands in
// the bucket whose bounds enclose it.
func TestHistogramBuckets(t *testing.T) {
	b := HistogramBounds()
	require.Len(t, b, histBuckets)
	assert.Equal(t, 10*time.Microsecond, b[0])
	assert.Equal(t, 12500*time.Nanosecond, b[1])
	assert.Equal(t, time.Duration(float64(10*time.Microsecond)*math.Pow(1.25, 50)), b[50])
	assert.Equal(t, time.Duration(math.MaxInt64), b[histBuckets-1])
	b[0] = 0
	assert.Equal(t, 10*time.Microsecond, HistogramBounds()[0], "a copy: callers cannot change the layout")

	check := func(d time.Duration) {
		t.Helper()
		i := histIndex(d)
		require.LessOrEqual(t, d, histBounds[i], "%v in bucket %d", d, i)
		if i > 0 {
			require.Greater(t, d, histBounds[i-1], "%v in bucket %d", d, i)
		}
	}
	for _, d := range []time.Duration{-time.Second, 0, 1, 10 * time.Microsecond, 10*time.Microsecond + 1, time.Millisecond, time.Hour, math.MaxInt64} {
		check(d)
	}
	for i := range histBuckets - 1 {
		check(histBounds[i])
		check(histBounds[i] + 1)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 100000 {
		check(time.Duration(rng.Int64N(int64(5 * time.Minute))))
	}
}

func TestHistogramQuantileAndMerge(t *testing.T) {
	var h, other Histogram
	for i := 1; i <= 100; i++ {
		h.Observe(time.Duration(i) * time.Millisecond)
	}
	other.Observe(time.Hour)
	s := h.Snapshot()
	p90 := s.Quantile(0.9)
	assert.GreaterOrEqual(t, p90, 90*time.Millisecond)
	assert.LessOrEqual(t, p90, time.Duration(float64(90*time.Millisecond)*histGrowth), "within one bucket's width")
	s.Add(other.Snapshot())
	assert.Equal(t, uint64(101), s.Total())
	assert.Greater(t, s.Quantile(1), time.Hour)
	s.Sub(other.Snapshot())
	assert.Equal(t, h.Snapshot(), s)
	var empty HistogramSnapshot
	assert.Zero(t, empty.Quantile(0.5))
	assert.Zero(t, testing.AllocsPerRun(100, func() { h.Observe(3 * time.Millisecond) }))
}

// TestHistogramEstimate: interpolated quantiles and counts above a
// threshold stay close to the truth wherever it falls in its bucket, where
// Quantile's bucket upper bound is off by up to a bucket's width.
func TestHistogramEstimate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const n, sigma, z90 = 200000, 0.5, 1.2815515655446004
	for _, pos := range []float64{0.05, 0.5, 0.95} {
		lo, hi := float64(histBounds[44]), float64(histBounds[45])
		p90 := lo * math.Pow(hi/lo, pos)
		median := p90 / math.Exp(z90*sigma)
		var s HistogramSnapshot
		for range n {
			s.Counts[histIndex(time.Duration(median*math.Exp(sigma*rng.NormFloat64())))]++
		}
		got := float64(s.Estimate(0.9))
		assert.InDelta(t, 1, got/p90, 0.01, "p90 at %.0f%% of its bucket: estimate %v, true %v", 100*pos, time.Duration(got), time.Duration(p90))
		// The share above 1.2 × p90 is P(Z > z90 + ln 1.2/σ).
		want := 0.5 * math.Erfc((z90+math.Log(1.2)/sigma)/math.Sqrt2)
		assert.InDelta(t, want, s.Above(time.Duration(1.2*p90))/n, 0.003, "share above 1.2×p90")
	}
	var s HistogramSnapshot
	assert.Zero(t, s.Estimate(0.9))
	assert.Zero(t, s.Above(time.Second))
	s.Counts[histBuckets-1] = 10
	assert.Equal(t, histBounds[histBuckets-2], s.Estimate(0.5), "the unbounded bucket answers its lower bound")
	assert.InDelta(t, 10, s.Above(time.Hour), 1e-9)
	s = HistogramSnapshot{}
	s.Counts[0] = 4
	assert.Equal(t, 5*time.Microsecond, s.Estimate(0.5), "the first bucket is linear from 0")
	assert.InDelta(t, 2, s.Above(5*time.Microsecond), 1e-9)
}
