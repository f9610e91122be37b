package guard_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/internal/guardtest"
)

// fakeClock is the tests' settable clock.
type fakeClock = guardtest.Clock

func newFakeClock() *fakeClock {
	return guardtest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
}

// replicaConfig is the guarded "search" rollout the action tests drive.
func replicaConfig() *gray.Config { return guardtest.SearchConfig() }

// fakeStats is a StatsSource fed in bulk by the simulation.
type fakeStats struct {
	mu sync.Mutex
	m  map[string]*gray.VariantStats
}

func (f *fakeStats) Stats(rollout, variant string) gray.VariantStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.m[rollout+"/"+variant]; s != nil {
		c := *s
		c.Metrics = maps.Clone(s.Metrics) // a snapshot, as gray.Counters gives
		return c
	}
	return gray.VariantStats{Rollout: rollout, Variant: variant}
}

func (f *fakeStats) get(rollout, variant string) *gray.VariantStats {
	if f.m == nil {
		f.m = map[string]*gray.VariantStats{}
	}
	k := rollout + "/" + variant
	if f.m[k] == nil {
		f.m[k] = &gray.VariantStats{Rollout: rollout, Variant: variant}
	}
	return f.m[k]
}

// profile is a variant's behaviour: error probability and log-normal
// latency (median, sigma).
type profile struct {
	errRate float64
	median  time.Duration
	sigma   float64
	// convert is the share of requests that track "checkout_completed";
	// each such conversion tracks an "order_value" drawn from
	// Normal(value, valueSD) when value > 0.
	convert        float64
	value, valueSD float64
}

var bounds = gray.HistogramBounds()

// drawN adds n requests of profile p to s, sampling counts in bulk.
func (p profile) drawN(rng *rand.Rand, n uint64, s *gray.VariantStats) {
	s.Requests += n
	s.Errors += binomial(rng, n, p.errRate)
	// Latency: multinomial over the histogram buckets by conditional
	// binomials.
	left, mass, prev := n, 1.0, 0.0
	for i := range bounds {
		if left == 0 {
			break
		}
		cdf := 1.0
		if i < len(bounds)-1 {
			cdf = 0.5 * math.Erfc(-math.Log(float64(bounds[i])/float64(p.median))/p.sigma/math.Sqrt2)
		}
		q := cdf - prev
		prev = cdf
		k := left
		if mass > 1e-12 && q < mass {
			k = binomial(rng, left, q/mass)
		}
		s.Latency.Counts[i] += k
		left -= k
		mass -= q
	}
	if p.convert > 0 {
		if s.Metrics == nil {
			s.Metrics = map[string]gray.MetricSums{}
		}
		k := binomial(rng, n, p.convert)
		c := s.Metrics["checkout_completed"]
		c.Add(gray.MetricSums{Count: k, Sum: float64(k), SumSq: float64(k)})
		s.Metrics["checkout_completed"] = c
		if p.value > 0 {
			o := s.Metrics["order_value"]
			for range k {
				x := p.value + p.valueSD*rng.NormFloat64()
				o.Add(gray.MetricSums{Count: 1, Sum: x, SumSq: x * x})
			}
			s.Metrics["order_value"] = o
		}
	}
}

// binomial samples Binomial(n, p): by inversion when the mean is small, by
// the normal approximation otherwise.
func binomial(rng *rand.Rand, n uint64, p float64) uint64 {
	switch {
	case n == 0 || p <= 0:
		return 0
	case p >= 1:
		return n
	case p > 0.5:
		return n - binomial(rng, n, 1-p)
	}
	mean := float64(n) * p
	if mean < 30 {
		q := 1 - p
		pmf := math.Pow(q, float64(n))
		u := rng.Float64()
		var k uint64
		for u > pmf && k < n {
			u -= pmf
			pmf *= float64(n-k) / float64(k+1) * p / q
			k++
		}
		return k
	}
	x := math.Round(mean + math.Sqrt(mean*(1-p))*rng.NormFloat64())
	return uint64(min(max(x, 0), float64(n)))
}

// sim is one replica-less world: a controller over fake stats that the
// simulation fills with seeded traffic at the share the controller set.
type sim struct {
	t        testing.TB
	clock    *fakeClock
	store    guard.Store
	engine   *gray.Engine
	ctrl     *guard.Controller
	stats    *fakeStats
	rng      *rand.Rand
	plan     gray.Plan
	perTick  int // requests per tick, all variants
	stable   profile
	canary   func(tick int) profile
	events   []guard.State
	maxShare float64
	canaryN  uint64 // canary requests served so far
}

const simRollout = "checkout"

func simPlan() gray.Plan {
	return gray.Plan{
		Steps: []float64{1, 5, 20, 50, 100}, Hold: 5 * time.Minute, MinRequests: 1000,
		Guard: gray.PlanGuard{Interval: time.Minute},
	}
}

func newSim(t testing.TB, seed uint64, plan gray.Plan, perTick int, stable profile, canary func(int) profile) *sim {
	t.Helper()
	return newSimWith(t, seed, plan, perTick, stable, canary)
}

// newSimWith is newSim with more controller options.
func newSimWith(t testing.TB, seed uint64, plan gray.Plan, perTick int, stable profile, canary func(int) profile, opts ...guard.Option) *sim {
	t.Helper()
	s := &sim{
		t: t, clock: newFakeClock(), store: guard.NewMemoryStore(), stats: &fakeStats{},
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), plan: plan,
		perTick: perTick, stable: stable, canary: canary,
	}
	p := plan
	eng, err := gray.New(&gray.Config{Rollouts: []gray.Rollout{{Name: simRollout, Plan: &p}}})
	require.NoError(t, err)
	s.engine = eng
	s.ctrl, err = guard.New(eng, s.store, append([]guard.Option{
		guard.WithClock(s.clock.Now), guard.WithCounters(s.stats), guard.WithReplica("sim"),
		guard.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		guard.WithOnTransition(func(st guard.State) { s.events = append(s.events, st) }),
	}, opts...)...)
	require.NoError(t, err)
	return s
}

// run ticks until the rollout is rolled back or promoted, or maxTicks.
func (s *sim) run(ctx context.Context, maxTicks int) guard.State {
	require.NoError(s.t, s.ctrl.Tick(ctx))
	for tick := range maxTicks {
		st, err := s.store.Load(ctx, simRollout)
		require.NoError(s.t, err)
		if st.Phase == guard.PhaseRolledBack || st.Phase == guard.PhasePromoted {
			return st
		}
		s.maxShare = max(s.maxShare, st.Share)
		s.traffic(tick, st)
		s.clock.Add(s.plan.Guard.Interval)
		require.NoError(s.t, s.ctrl.Tick(ctx))
	}
	st, err := s.store.Load(ctx, simRollout)
	require.NoError(s.t, err)
	return st
}

func (s *sim) traffic(tick int, st guard.State) {
	share := st.Share / 100
	if !st.Enabled() {
		share = 0
	}
	cp := s.canary(tick)
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	cs, ss := s.stats.get(simRollout, "canary"), s.stats.get(simRollout, "stable")
	nc := binomial(s.rng, uint64(s.perTick), share)
	cp.drawN(s.rng, nc, cs)
	s.stable.drawN(s.rng, uint64(s.perTick)-nc, ss)
	s.canaryN += nc
}

var (
	healthy = profile{errRate: 0.01, median: 40 * time.Millisecond, sigma: 0.5}
	erring  = profile{errRate: 0.02, median: 40 * time.Millisecond, sigma: 0.5}
	slow    = profile{errRate: 0.01, median: 80 * time.Millisecond, sigma: 0.5}
)

func always(p profile) func(int) profile { return func(int) profile { return p } }

func TestSimulation(t *testing.T) {
	tests := []struct {
		name      string
		perTick   int
		canary    func(int) profile
		maxTicks  int
		wantPhase guard.Phase
		wantBelow float64 // the largest share reached is at most this
	}{
		{name: "healthy walks every step", perTick: 20000, canary: always(healthy), maxTicks: 200, wantPhase: guard.PhasePromoted, wantBelow: 100},
		{name: "2x errors rolled back before passing 5%", perTick: 20000, canary: always(erring), maxTicks: 200, wantPhase: guard.PhaseRolledBack, wantBelow: 5},
		{name: "slower at p90 rolled back", perTick: 20000, canary: always(slow), maxTicks: 200, wantPhase: guard.PhaseRolledBack, wantBelow: 5},
		{name: "low traffic holds at the first step", perTick: 500, canary: always(erring), maxTicks: 60, wantPhase: guard.PhaseRunning, wantBelow: 1},
		{
			name: "one bad window early is not enough", perTick: 4000,
			canary: func(tick int) profile {
				if tick == 0 {
					return profile{errRate: 0.08, median: 40 * time.Millisecond, sigma: 0.5}
				}
				return healthy
			},
			maxTicks: 400, wantPhase: guard.PhasePromoted, wantBelow: 100,
		},
		{
			name: "one bad window later is not enough", perTick: 20000,
			canary: func(tick int) profile {
				if tick == 3 {
					return profile{errRate: 0.04, median: 40 * time.Millisecond, sigma: 0.5}
				}
				return healthy
			},
			maxTicks: 200, wantPhase: guard.PhasePromoted, wantBelow: 100,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSim(t, 7, simPlan(), tt.perTick, healthy, tt.canary)
			st := s.run(t.Context(), tt.maxTicks)
			require.Equal(t, tt.wantPhase, st.Phase, "last transition: %+v", st.Last)
			require.LessOrEqual(t, s.maxShare, tt.wantBelow)
			for i := 1; i < len(s.events); i++ {
				require.Greater(t, s.events[i].Version, s.events[i-1].Version)
			}
		})
	}
}

func TestSimulationWalksStepsInOrder(t *testing.T) {
	s := newSim(t, 11, simPlan(), 20000, healthy, always(healthy))
	st := s.run(t.Context(), 200)
	require.Equal(t, guard.PhasePromoted, st.Phase)
	var shares []float64
	for _, e := range s.events {
		shares = append(shares, e.Share)
		if e.Last.Action == guard.ActionAdvance || e.Last.Action == guard.ActionPromote {
			require.NotNil(t, e.Last.Evidence, "judge transitions carry evidence")
			require.Equal(t, guard.VerdictAdvance, e.Last.Evidence.Verdict)
			require.GreaterOrEqual(t, e.Last.Evidence.StepRequests, s.plan.MinRequests)
			require.GreaterOrEqual(t, e.Last.Evidence.StepAge, s.plan.Hold)
		}
	}
	require.Equal(t, []float64{1, 5, 20, 50, 100}, shares)
	audit, err := s.store.Audit(t.Context(), simRollout, 0)
	require.NoError(t, err)
	require.Len(t, audit, len(s.events))
	require.Equal(t, guard.ActionPromote, audit[0].Action, "newest first")
}

// TestOperatingCharacteristics runs many seeded rollouts and bounds the
// false rollback rate of a healthy canary and the detection rate of a
// canary with twice the error rate.
func TestOperatingCharacteristics(t *testing.T) {
	runs := 200
	if testing.Short() {
		runs = 40
	}
	var falseRollbacks, detected, passed5 int
	var toDetect []float64
	for seed := range runs {
		h := newSim(t, uint64(1000+seed), simPlan(), 20000, healthy, always(healthy))
		if h.run(t.Context(), 300).Phase == guard.PhaseRolledBack {
			falseRollbacks++
		}
		b := newSim(t, uint64(5000+seed), simPlan(), 20000, healthy, always(erring))
		st := b.run(t.Context(), 300)
		if b.maxShare > 5 {
			passed5++
		}
		if st.Phase == guard.PhaseRolledBack && b.maxShare <= 5 {
			detected++
			toDetect = append(toDetect, float64(b.canaryN))
		}
	}
	sort.Float64s(toDetect)
	median := math.NaN()
	if len(toDetect) > 0 {
		median = toDetect[len(toDetect)/2]
	}
	falseRate := float64(falseRollbacks) / float64(runs)
	detectRate := float64(detected) / float64(runs)
	t.Logf("runs=%d false rollback rate=%.3f detection rate (before passing 5%%)=%.3f median canary requests to detect=%.0f passed 5%%=%d",
		runs, falseRate, detectRate, median, passed5)
	require.LessOrEqual(t, falseRate, 0.05)
	require.GreaterOrEqual(t, detectRate, 0.90)
}
