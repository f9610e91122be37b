package guard_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// judgeRun is one rollout walked by guard.Judge alone, the way the
// controller walks it (steps, hold, requests per step), at a fixed request
// rate with one tick per guard interval. It is much cheaper than a
// controller over a store, so that thousands of runs fit in a test.
type judgeRun struct {
	plan   gray.Plan
	rate   float64 // requests per second, all variants
	stable profile
	canary profile
}

// judgeResult is how a run ended.
type judgeResult struct {
	verdict  guard.Verdict // regress, advance (promoted) or hold (ran out of time)
	canaryN  uint64        // canary requests seen when it ended
	maxShare float64
	why      string
}

func (j judgeRun) run(seed uint64, maxTicks int) judgeResult {
	rng := rand.New(rand.NewPCG(seed, seed^0x51afd7ed558ccd))
	plan := j.plan.WithDefaults()
	perTick := uint64(math.Round(j.rate * plan.Guard.Interval.Seconds()))
	var st, cn gray.VariantStats
	step, stepStart, stepN := 0, 0, uint64(0)
	res := judgeResult{verdict: guard.VerdictHold}
	for tick := range maxTicks {
		share := plan.Steps[step]
		res.maxShare = max(res.maxShare, share)
		nc := binomial(rng, perTick, share/100)
		j.canary.drawN(rng, nc, &cn)
		j.stable.drawN(rng, perTick-nc, &st)
		stepN += nc
		ev := guard.Judge(plan, guard.Reading{
			Stable:       guard.Counts{Requests: st.Requests, Errors: st.Errors, Latency: st.Latency, Metrics: st.Metrics},
			Canary:       guard.Counts{Requests: cn.Requests, Errors: cn.Errors, Latency: cn.Latency, Metrics: cn.Metrics},
			StepRequests: stepN,
			StepAge:      time.Duration(tick+1-stepStart) * plan.Guard.Interval,
		})
		res.canaryN, res.why = cn.Requests, ev.Why
		switch ev.Verdict {
		case guard.VerdictRegress:
			res.verdict = guard.VerdictRegress
			return res
		case guard.VerdictAdvance:
			if step == len(plan.Steps)-1 {
				res.verdict = guard.VerdictAdvance
				return res
			}
			step, stepStart, stepN = step+1, tick+1, 0
		}
	}
	return res
}

// judgeRates summarize n seeded runs.
type judgeRates struct {
	rolledBack float64            // share of runs rolled back
	by         map[string]float64 // share rolled back by each test ("error", "latency:", "metric")
	metric     map[string]float64 // share rolled back by each metric ("name:")
	promoted   float64
	median     float64 // median canary requests seen by the rollbacks
	// medianShare is the median largest share the rollbacks reached.
	medianShare float64
}

// rates runs n seeded rollouts.
func (j judgeRun) rates(seed0 uint64, n, maxTicks int) judgeRates {
	var toRegress, shares []float64
	out := judgeRates{by: map[string]float64{}, metric: map[string]float64{}, median: math.NaN(), medianShare: math.NaN()}
	for i := range n {
		r := j.run(seed0+uint64(i), maxTicks)
		switch r.verdict {
		case guard.VerdictRegress:
			out.rolledBack++
			test, rest, _ := strings.Cut(r.why, " ")
			out.by[test]++
			if test == "metric" {
				name, _, _ := strings.Cut(rest, " ")
				out.metric[name]++
			}
			toRegress = append(toRegress, float64(r.canaryN))
			shares = append(shares, r.maxShare)
		case guard.VerdictAdvance:
			out.promoted++
		}
	}
	if len(toRegress) > 0 {
		sort.Float64s(toRegress)
		out.median = toRegress[len(toRegress)/2]
		sort.Float64s(shares)
		out.medianShare = shares[len(shares)/2]
	}
	out.rolledBack /= float64(n)
	out.promoted /= float64(n)
	for k := range out.by {
		out.by[k] /= float64(n)
	}
	for k := range out.metric {
		out.metric[k] /= float64(n)
	}
	return out
}

// latencyProfile is a log-normal latency (σ = 0.5) whose p90 lies at
// position pos (0 = bottom, 1 = top, in log scale) of histogram bucket
// 45 (about 0.2 s), with a 1% error rate.
func latencyProfile(pos float64) profile {
	const z90, sigma = 1.2815515655446004, 0.5
	lo, hi := float64(bounds[44]), float64(bounds[45])
	p90 := lo * math.Pow(hi/lo, pos)
	return profile{errRate: 0.01, median: time.Duration(p90 / math.Exp(z90*sigma)), sigma: sigma}
}

func (p profile) slower(f float64) profile {
	p.median = time.Duration(float64(p.median) * f)
	return p
}

// TestLatencyOperatingCharacteristics: at 50 requests per second under
// the default plan, wherever the stable p90 falls in its histogram bucket,
// a canary 1.5× slower is rolled back in at least 95% of 200 seeded runs
// and an equally fast one in at most α of them.
func TestLatencyOperatingCharacteristics(t *testing.T) {
	runs := simRuns()
	const maxTicks = 6 * 360 // six hours of 10s ticks
	alpha := gray.Plan{}.WithDefaults().Guard.Alpha
	for _, pos := range []float64{0.05, 0.25, 0.5, 0.75, 0.95} {
		t.Run(fmt.Sprintf("p90 at %.0f%% of its bucket", 100*pos), func(t *testing.T) {
			stable := latencyProfile(pos)
			healthy := judgeRun{rate: 50, stable: stable, canary: stable}
			slowed := judgeRun{rate: 50, stable: stable, canary: stable.slower(1.5)}
			edge := judgeRun{rate: 50, stable: stable, canary: stable.slower(1.2)}.rates(uint64(30000+1000*pos), runs, maxTicks)
			h := healthy.rates(uint64(10000+1000*pos), runs, maxTicks)
			s := slowed.rates(uint64(20000+1000*pos), runs, maxTicks)
			t.Logf("runs=%d healthy: rolled back %.3f (latency test %.3f, error test %.3f) promoted %.3f; 1.5x slower: rolled back by the latency test %.3f after a median of %.0f canary requests",
				runs, h.rolledBack, h.by["latency:"], h.by["error"], h.promoted, s.by["latency:"], s.median)
			t.Logf("canary p90 exactly 1.2x (the edge of what is allowed): rolled back by the latency test %.3f", edge.by["latency:"])
			require.LessOrEqual(t, edge.by["latency:"], alpha, "false alarms of the latency test at the edge")
			require.LessOrEqual(t, h.by["latency:"], alpha, "false alarms of the latency test")
			require.LessOrEqual(t, h.rolledBack, alpha, "false alarms of both tests")
			require.GreaterOrEqual(t, s.by["latency:"], 0.95)
		})
	}
}

// TestErrorToleranceOperatingCharacteristics: with the default tolerance
// of 0 the judge rolls back any error increase it is confident of, a
// +0.2-point one too; with error_tolerance 0.5 points it rolls back such a
// canary in at most α of 200 runs (one exactly 0.5 points worse too) and still catches +2 points.
func TestErrorToleranceOperatingCharacteristics(t *testing.T) {
	runs := simRuns()
	const maxTicks = 6 * 360
	stable := latencyProfile(0.5)
	worse := func(points float64) profile {
		p := stable
		p.errRate += points / 100
		return p
	}
	tolerant := gray.Plan{Guard: gray.PlanGuard{ErrorTolerance: 0.005}}
	slightly0 := judgeRun{rate: 50, stable: stable, canary: worse(0.2)}.rates(40000, runs, maxTicks)
	slightly := judgeRun{plan: tolerant, rate: 50, stable: stable, canary: worse(0.2)}.rates(40000, runs, maxTicks)
	edge := judgeRun{plan: tolerant, rate: 50, stable: stable, canary: worse(0.5)}.rates(45000, runs, maxTicks)
	bad := judgeRun{plan: tolerant, rate: 50, stable: stable, canary: worse(2)}.rates(50000, runs, maxTicks)
	t.Logf("runs=%d +0.2 points: rolled back %.3f with tolerance 0, %.3f with 0.005 (promoted %.3f); +0.5 points (the edge) with 0.005: rolled back %.3f; +2 points with 0.005: rolled back %.3f after a median of %.0f canary requests",
		runs, slightly0.rolledBack, slightly.rolledBack, slightly.promoted, edge.rolledBack, bad.rolledBack, bad.median)
	edgeBound := gray.Plan{}.WithDefaults().Guard.Alpha
	if runs < 200 {
		edgeBound *= 3 // 40 runs measure a 5% rate only to about ±7 points
	}
	require.LessOrEqual(t, edge.rolledBack, edgeBound)
	require.LessOrEqual(t, slightly.rolledBack, gray.Plan{}.WithDefaults().Guard.Alpha)
	require.Greater(t, slightly0.rolledBack, slightly.rolledBack)
	require.GreaterOrEqual(t, bad.rolledBack, 0.95)
}

// TestMetricOperatingCharacteristics bounds, like TestOperatingCharacteristics
// and with its traffic (20,000 requests a minute, steps held 5 minutes and
// 1,000 canary requests), the false rollback rate of a canary that converts
// as well as stable and the detection rate of one converting 10% worse, for
// a rate metric (5% of requests convert) and a mean one (order value 40,
// sd 20, 10% lower for the worse canary).
func TestMetricOperatingCharacteristics(t *testing.T) {
	runs := simRuns()
	plan := simPlan()
	plan.Guard.Metrics = []gray.PlanMetric{{Name: "checkout_completed"}, {Name: "order_value", Kind: gray.MetricMean}}
	alpha := plan.WithDefaults().Guard.Alpha
	base := profile{errRate: 0.01, median: 40 * time.Millisecond, sigma: 0.5, convert: 0.05, value: 40, valueSD: 20}
	fewer, cheaper := base, base
	fewer.convert *= 0.9
	cheaper.value *= 0.9
	rate := 20000 / plan.Guard.Interval.Seconds()
	const maxTicks = 400
	tests := []struct {
		name     string
		canary   profile
		wantTest string // the metric that should catch it
	}{
		{name: "converts 10% less", canary: fewer, wantTest: "checkout_completed:"},
		{name: "orders 10% smaller", canary: cheaper, wantTest: "order_value:"},
	}
	h := judgeRun{plan: plan, rate: rate, stable: base, canary: base}.rates(60000, runs, maxTicks)
	t.Logf("runs=%d equal canary: rolled back %.3f (conversion %.3f, order value %.3f, errors %.3f, latency %.3f) promoted %.3f",
		runs, h.rolledBack, h.metric["checkout_completed:"], h.metric["order_value:"], h.by["error"], h.by["latency:"], h.promoted)
	require.LessOrEqual(t, h.metric["checkout_completed:"], alpha, "false alarms of the rate metric")
	require.LessOrEqual(t, h.metric["order_value:"], alpha, "false alarms of the mean metric")
	// At the edge of a tolerance: 5% fewer conversions and 5% smaller
	// orders, with 5% tolerated on both.
	tolerant := plan
	tolerant.Guard.Metrics = []gray.PlanMetric{{Name: "checkout_completed", Tolerance: 0.05}, {Name: "order_value", Kind: gray.MetricMean, Tolerance: 0.05}}
	edge := base
	edge.convert *= 0.95
	edge.value *= 0.95
	e := judgeRun{plan: tolerant, rate: rate, stable: base, canary: edge}.rates(65000, runs, maxTicks)
	t.Logf("runs=%d canary 5%% worse on both with 5%% tolerated: rolled back by conversion %.3f, by order value %.3f",
		runs, e.metric["checkout_completed:"], e.metric["order_value:"])
	require.LessOrEqual(t, e.metric["checkout_completed:"], alpha, "false alarms at the edge of the tolerance")
	require.LessOrEqual(t, e.metric["order_value:"], alpha, "false alarms at the edge of the tolerance")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := judgeRun{plan: plan, rate: rate, stable: base, canary: tt.canary}.rates(uint64(70000+10000*i), runs, maxTicks)
			t.Logf("runs=%d rolled back %.3f (by %s %.3f), median canary requests to detect %.0f, median share reached %.0f%%",
				runs, b.rolledBack, tt.wantTest, b.metric[tt.wantTest], b.median, b.medianShare)
			require.GreaterOrEqual(t, b.metric[tt.wantTest], 0.9)
		})
	}
}

// simRuns is how many seeded rollouts a simulation runs: 200, or 40 with
// -short or under the race detector, which slows the simulations about
// fivefold and adds nothing to single-goroutine arithmetic; the figures in
// the README come from the full runs (.ci/run also runs every module
// without -race).
func simRuns() int {
	if testing.Short() || raceDetector {
		return 40
	}
	return 200
}
