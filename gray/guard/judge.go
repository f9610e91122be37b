package guard

import (
	"fmt"
	"math"
	"time"

	"github.com/graykit/graykit/gray"
)

// Verdict is the judge's answer at one tick.
type Verdict string

// The judge's verdicts.
const (
	// VerdictHold: stay at this step (too little data, hold time not
	// over, or not yet confident enough to move on).
	VerdictHold Verdict = "hold"
	// VerdictAdvance: move to the next step (or promote past the last).
	VerdictAdvance Verdict = "advance"
	// VerdictRegress: the canary is worse; roll back (or pause, per the
	// plan's on_regression).
	VerdictRegress Verdict = "regress"
)

// Sample is one variant's counts over the evidence the judge weighed.
type Sample struct {
	Requests  uint64  `json:"requests"`
	Errors    uint64  `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	// Latency is the plan's latency quantile (e.g. p90), interpolated
	// within its histogram bucket ([gray.HistogramSnapshot.Estimate]).
	Latency time.Duration `json:"latency"`
}

// Evidence is what the judge saw and concluded at one tick: the counts
// since the run started, over all replicas, and the test statistics.
type Evidence struct {
	Verdict Verdict `json:"verdict"`
	Why     string  `json:"why"`
	Stable  Sample  `json:"stable"`
	Canary  Sample  `json:"canary"`
	// StepRequests is the number of canary requests during the current step.
	StepRequests uint64 `json:"step_requests"`
	// StepAge is how long the current step has lasted.
	StepAge time.Duration `json:"step_age"`
	// Alpha is the tests' error probability (see [gray.PlanGuard]).
	Alpha float64 `json:"alpha"`

	// ErrorDiff is the canary's error rate minus the stable one, and
	// [ErrorLower, ErrorUpper] its 1−Alpha confidence sequence: it holds
	// at every tick at once.
	ErrorDiff  float64 `json:"error_diff"`
	ErrorLower float64 `json:"error_lower"`
	ErrorUpper float64 `json:"error_upper"`
	// ErrorZ is ErrorDiff over its standard error.
	ErrorZ float64 `json:"error_z"`
	// ErrorTolerance is the plan's tolerated error increase: the canary
	// is rolled back only when ErrorLower is above it.
	ErrorTolerance float64 `json:"error_tolerance,omitempty"`

	// LatencyThreshold is the plan's latency ratio times the stable
	// variant's latency quantile. SlowFraction is the share of canary
	// requests above it and SlowLower its lower confidence bound; the
	// canary is too slow when SlowLower exceeds 1 − the quantile.
	LatencyThreshold time.Duration `json:"latency_threshold"`
	SlowFraction     float64       `json:"slow_fraction"`
	SlowLower        float64       `json:"slow_lower"`

	// Metrics are the readings of the plan's metrics (gray.PlanMetric),
	// in the plan's order.
	Metrics []MetricEvidence `json:"metrics,omitempty"`
}

// MetricEvidence is the judge's reading of one of the plan's metrics.
type MetricEvidence struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Stable and Canary are the variants' rates (occurrences per request),
	// means or query results.
	Stable float64 `json:"stable"`
	Canary float64 `json:"canary"`
	// StableCount and CanaryCount are the values tracked (kinds rate and
	// mean).
	StableCount uint64 `json:"stable_count,omitempty"`
	CanaryCount uint64 `json:"canary_count,omitempty"`
	// Change is Canary/Stable − 1, and [Lower, Upper] its confidence
	// sequence at level 1−Alpha (kinds rate and mean).
	Change float64 `json:"change"`
	Lower  float64 `json:"lower"`
	Upper  float64 `json:"upper"`
	// Worse is true when the canary is, with confidence, worse than the
	// metric's tolerance allows (kinds rate and mean) or outside its
	// min and max (prometheus).
	Worse bool `json:"worse"`
	// Unread says why the metric could not be judged at this tick (too
	// few values, a failed query); the rollout then does not advance on a
	// prometheus metric, and is judged without a tracked one.
	Unread string `json:"unread,omitempty"`
}

// Reading is the input of [Judge]: outcome counts of the stable and canary
// variants since the current run started, and of the canary during the
// current step.
type Reading struct {
	Stable, Canary Counts
	// Queries are the results of the plan's prometheus metrics by name,
	// read at this tick; a metric missing here is unread.
	Queries map[string]QueryResult
	// StepRequests is the number of canary requests during the current step.
	StepRequests uint64
	// StepAge is how long the current step has lasted.
	StepAge time.Duration
}

// QueryResult is a prometheus metric's value for each variant, or why it
// could not be read.
type QueryResult struct {
	Stable, Canary float64
	Err            error
}

// Counts are one variant's outcome counts, summed over windows and
// replicas.
type Counts struct {
	Requests, Errors uint64
	Latency          gray.HistogramSnapshot
	// Metrics are the tracked outcomes by name (gray.Track).
	Metrics map[string]gray.MetricSums
}

func (c *Counts) add(w *Window) {
	c.Requests += w.Requests
	c.Errors += w.Errors
	c.Latency.Add(w.Latency)
	addMetrics(&c.Metrics, w.Metrics)
}

// addMetrics merges from into *to, allocating it on first need.
func addMetrics(to *map[string]gray.MetricSums, from map[string]gray.MetricSums) {
	for k, v := range from {
		if *to == nil {
			*to = make(map[string]gray.MetricSums, len(from))
		}
		s := (*to)[k]
		s.Add(v)
		(*to)[k] = s
	}
}

// mixtureRadius is the half-width of the two-sided normal-mixture
// confidence sequence for an estimate with variance v, mixture variance tau2
// and level alpha:
//
//	r = sqrt( 2·v·(v+τ²)/τ² · log( sqrt((v+τ²)/v) / α ) )
//
// With the estimate's information in place of time, this is Robbins'
// normal mixture boundary, |S_t| < sqrt((V_t+ρ)·log((V_t+ρ)/(ρ·α²))), in
// Howard, Ramdas, McAuliffe and Sekhon, "Time-uniform, nonparametric,
// nonasymptotic confidence sequences", Annals of Statistics 49(2), 2021,
// Section 3.2 (normal mixture), which holds at all times at once by Ville's
// inequality; inverted, it is the always-valid confidence interval of the
// mixture SPRT of Johari, Pekelis and Walsh, "Always valid inference:
// continuous monitoring of A/B tests", Operations Research 70(3), 2022,
// Section 4 (with V = variance per pair, v = V/n).
func mixtureRadius(v, tau2, alpha float64) float64 {
	if v <= 0 {
		return 0
	}
	return math.Sqrt(2 * v * (v + tau2) / tau2 * math.Log(math.Sqrt((v+tau2)/v)/alpha))
}

// Judge compares the canary with the stable variant and says advance,
// hold or regress, with the evidence. plan must have its defaults filled
// ([gray.Plan.WithDefaults]).
//
// The error test is the confidence sequence of [mixtureRadius] on the
// difference of error rates d = p_canary − p_stable, with the variance
// estimated under the null (pooled rate p̄, smoothed as (E+1)/(N+2)):
// v = p̄(1−p̄)(1/n_canary + 1/n_stable), τ = plan.Guard.ErrorEffect; with
// a tolerance t > 0 the variance at the null's edge, p_c = p_s + t, if it
// is larger: v = p_c(1−p_c)/n_canary + p_s(1−p_s)/n_stable. It
// regresses when the lower bound is above plan.Guard.ErrorTolerance (0 by
// default) and lets the rollout advance only when the upper bound is at
// most plan.Guard.MaxErrorIncrease.
//
// The latency test takes the threshold T = LatencyRatio × the stable
// variant's LatencyQuantile q and the fraction f of canary requests slower
// than T. Both are read from the histograms with interpolation inside a
// bucket ([gray.HistogramSnapshot.Estimate], [gray.HistogramSnapshot.Above]),
// so that T does not jump with the bucket edges (reading q as its bucket's
// upper bound and counting only buckets wholly above T made the effective
// cut-off 1.25 to 1.56 times the ratio asked for). A canary whose
// q-quantile is at most T has f ≤ 1−q; the judge regresses when the lower
// bound of the same mixture confidence sequence on f, with v =
// q(1−q)/n_canary and τ = 1−q, is above 1−q.
//
// The plan's metrics (plan.Guard.Metrics) are read into Evidence.Metrics:
// tracked ones by the same sequence on canary − (1−tolerance)·stable
// (direction higher; (1+tolerance)·stable − canary for lower), prometheus
// ones from r.Queries against their min and max. The first metric the
// canary is worse on regresses; a prometheus metric that could not be read
// holds.
//
// Under the null each test's chance of ever raising a false alarm, however
// many ticks it looks at, is at most Alpha (asymptotically: the variances
// are estimated). Below plan.Guard.MinRequests canary or stable requests it
// holds: no rollback, no advance.
func Judge(plan gray.Plan, r Reading) Evidence {
	g := plan.Guard
	ev := Evidence{
		Stable: sample(r.Stable, g.LatencyQuantile), Canary: sample(r.Canary, g.LatencyQuantile),
		StepRequests: r.StepRequests, StepAge: r.StepAge, Alpha: g.Alpha, ErrorTolerance: g.ErrorTolerance,
	}
	hold := func(format string, args ...any) Evidence {
		ev.Verdict, ev.Why = VerdictHold, fmt.Sprintf(format, args...)
		return ev
	}
	nc, ns := float64(r.Canary.Requests), float64(r.Stable.Requests)
	if r.Canary.Requests < g.MinRequests || r.Stable.Requests < g.MinRequests {
		judgeMetrics(&ev, g, r) // for the record only
		return hold("too little data: %d canary and %d stable requests, %d each needed", r.Canary.Requests, r.Stable.Requests, g.MinRequests)
	}

	pooled := (float64(r.Canary.Errors+r.Stable.Errors) + 1) / (nc + ns + 2)
	v := pooled * (1 - pooled) * (1/nc + 1/ns)
	if tol := g.ErrorTolerance; tol > 0 {
		// The null is now d ≤ tol: at its edge the canary's rate is the
		// stable one plus tol, and its variance is larger than pooled.
		ps := (float64(r.Stable.Errors) + 1) / (ns + 2)
		pc := min(ps+tol, 1)
		v = max(v, pc*(1-pc)/nc+ps*(1-ps)/ns)
	}
	ev.ErrorDiff = ev.Canary.ErrorRate - ev.Stable.ErrorRate
	rad := mixtureRadius(v, g.ErrorEffect*g.ErrorEffect, g.Alpha)
	ev.ErrorLower, ev.ErrorUpper = ev.ErrorDiff-rad, ev.ErrorDiff+rad
	ev.ErrorZ = ev.ErrorDiff / math.Sqrt(v)

	if !g.DisableLatency {
		p0 := 1 - g.LatencyQuantile
		ev.LatencyThreshold = time.Duration(float64(ev.Stable.Latency) * g.LatencyRatio)
		ev.SlowFraction = min(r.Canary.Latency.Above(ev.LatencyThreshold)/nc, 1)
		ev.SlowLower = ev.SlowFraction - mixtureRadius(p0*(1-p0)/nc, p0*p0, g.Alpha)
	}

	switch {
	case ev.ErrorLower > g.ErrorTolerance:
		ev.Verdict = VerdictRegress
		ev.Why = fmt.Sprintf("error rate %.4f vs stable %.4f: the difference is above %.4f with confidence %.0f%% (lower bound %.4f)",
			ev.Canary.ErrorRate, ev.Stable.ErrorRate, g.ErrorTolerance, 100*(1-g.Alpha), ev.ErrorLower)
		return ev
	case !g.DisableLatency && ev.SlowLower > 1-g.LatencyQuantile:
		ev.Verdict = VerdictRegress
		ev.Why = fmt.Sprintf("latency: %.1f%% of canary requests are slower than %v (%.2f× the stable p%.0f of %v), more than %.1f%% with confidence %.0f%%",
			100*ev.SlowFraction, ev.LatencyThreshold, g.LatencyRatio, 100*g.LatencyQuantile, ev.Stable.Latency, 100*(1-g.LatencyQuantile), 100*(1-g.Alpha))
		return ev
	}
	if m := judgeMetrics(&ev, g, r); m != nil {
		ev.Verdict = VerdictRegress
		if m.Kind == gray.MetricPrometheus {
			ev.Why = fmt.Sprintf("metric %s: canary %.6g, outside its allowed range", m.Name, m.Canary)
		} else {
			ev.Why = fmt.Sprintf("metric %s: canary %.6g vs stable %.6g (%+.2f%%), worse than tolerated with confidence %.0f%% (change at best %+.2f%%)",
				m.Name, m.Canary, m.Stable, 100*m.Change, 100*(1-g.Alpha), 100*bestChange(m, g))
		}
		return ev
	}
	for _, m := range ev.Metrics {
		if m.Kind == gray.MetricPrometheus && m.Unread != "" {
			return hold("metric %s: %s", m.Name, m.Unread)
		}
	}
	switch {
	case r.StepAge < plan.Hold:
		return hold("step held %v of %v", r.StepAge, plan.Hold)
	case r.StepRequests < plan.MinRequests:
		return hold("step saw %d of %d canary requests", r.StepRequests, plan.MinRequests)
	case ev.ErrorUpper > g.MaxErrorIncrease:
		return hold("error rate increase may still be up to %.4f, above %.4f allowed", ev.ErrorUpper, g.MaxErrorIncrease)
	}
	ev.Verdict = VerdictAdvance
	ev.Why = fmt.Sprintf("held %v with %d canary requests; error rate increase at most %.4f", r.StepAge, r.StepRequests, ev.ErrorUpper)
	for _, m := range ev.Metrics {
		switch {
		case m.Unread != "":
			ev.Why += fmt.Sprintf("; %s not judged: %s", m.Name, m.Unread)
		case m.Kind == gray.MetricPrometheus:
			ev.Why += fmt.Sprintf("; %s %.6g within range", m.Name, m.Canary)
		default:
			ev.Why += fmt.Sprintf("; %s %+.2f%% in [%+.2f%%, %+.2f%%]", m.Name, 100*m.Change, 100*m.Lower, 100*m.Upper)
		}
	}
	return ev
}

// judgeMetrics reads the plan's metrics into ev.Metrics and returns the
// first the canary is worse on, or nil.
func judgeMetrics(ev *Evidence, g gray.PlanGuard, r Reading) *MetricEvidence {
	if len(g.Metrics) == 0 {
		return nil
	}
	ev.Metrics = make([]MetricEvidence, len(g.Metrics))
	var worst *MetricEvidence
	for i, pm := range g.Metrics {
		pm = pm.WithDefaults()
		m := &ev.Metrics[i]
		m.Name, m.Kind = pm.Name, pm.Kind
		if pm.Kind == gray.MetricPrometheus {
			q, ok := r.Queries[pm.Name]
			switch {
			case !ok:
				m.Unread = "not queried (no Prometheus source: guard.WithPrometheus)"
			case q.Err != nil:
				m.Unread = q.Err.Error()
			default:
				m.Stable, m.Canary = q.Stable, q.Canary
				m.Change = relChange(q.Canary, q.Stable)
				m.Worse = (pm.Min != nil && q.Canary < *pm.Min) || (pm.Max != nil && q.Canary > *pm.Max)
			}
		} else {
			trackedTest(m, pm, g.Alpha, r)
		}
		if m.Worse && worst == nil {
			worst = m
		}
	}
	return worst
}

// trackedTest is the sequential test of a tracked metric: the confidence
// sequence of mixtureRadius on D = m_c − (1−t)·m_s (direction higher;
// D = (1+t)·m_s − m_c for lower), t the tolerance, which is ≥ 0 while the
// canary is within it. The canary is worse when D's upper bound is below
// 0. Variances: for a rate p(1−p) per request (p the occurrences per
// request, smoothed; p itself above 1), for a mean the values' sample
// variance; the canary's is at least what it would be at the edge of
// the tolerance, so that the variance is not underestimated where the
// false-alarm guarantee is at stake. τ = effect × the stable value.
func trackedTest(m *MetricEvidence, pm gray.PlanMetric, alpha float64, r Reading) {
	sc, cc := r.Stable.Metrics[pm.Name], r.Canary.Metrics[pm.Name]
	m.StableCount, m.CanaryCount = sc.Count, cc.Count
	k := 1 - pm.Tolerance
	if pm.Direction == gray.DirectionLower {
		k = 1 + pm.Tolerance
	}
	var ms, mc, vs, vc, ns, nc float64
	switch pm.Kind {
	case gray.MetricMean:
		if sc.Count < pm.MinCount || cc.Count < pm.MinCount {
			m.Unread = fmt.Sprintf("too few values: %d canary and %d stable, %d each needed", cc.Count, sc.Count, pm.MinCount)
			return
		}
		ms, mc, ns, nc = sc.Mean(), cc.Mean(), float64(sc.Count), float64(cc.Count)
		vs, vc = sc.Variance(), max(cc.Variance(), sc.Variance())
	default: // rate
		if r.Stable.Requests == 0 || r.Canary.Requests == 0 {
			m.Unread = "no requests yet"
			return
		}
		ns, nc = float64(r.Stable.Requests), float64(r.Canary.Requests)
		// Occurrences: the count, whatever values TrackValue gave.
		cs, ccnt := float64(sc.Count), float64(cc.Count)
		ms, mc = cs/ns, ccnt/nc
		vs = rateVariance((cs + 1) / (ns + 2))
		vc = max(rateVariance((ccnt+1)/(nc+2)), rateVariance(k*(cs+1)/(ns+2)))
	}
	m.Stable, m.Canary, m.Change = ms, mc, relChange(mc, ms)
	v := vc/nc + k*k*vs/ns
	tau := pm.Effect * math.Abs(ms)
	if tau == 0 {
		tau = pm.Effect * math.Sqrt(vs)
	}
	rad := mixtureRadius(v, tau*tau, alpha)
	if ms != 0 {
		m.Lower, m.Upper = (mc-rad)/ms-1, (mc+rad)/ms-1
	}
	d := mc - k*ms
	if pm.Direction == gray.DirectionLower {
		d = k*ms - mc
	}
	m.Worse = d+rad < 0
}

func rateVariance(p float64) float64 {
	if p > 1 {
		return p // several occurrences per request: Poisson-like
	}
	return p * (1 - p)
}

func relChange(c, s float64) float64 {
	if s == 0 {
		return 0
	}
	return c/s - 1
}

// bestChange is the most favourable change the confidence sequence still
// allows for a worse metric.
func bestChange(m *MetricEvidence, g gray.PlanGuard) float64 {
	for _, pm := range g.Metrics {
		if pm.Name == m.Name && pm.WithDefaults().Direction == gray.DirectionLower {
			return m.Lower
		}
	}
	return m.Upper
}

func sample(c Counts, q float64) Sample {
	s := Sample{Requests: c.Requests, Errors: c.Errors, Latency: c.Latency.Estimate(q)}
	if c.Requests > 0 {
		s.ErrorRate = float64(c.Errors) / float64(c.Requests)
	}
	return s
}
