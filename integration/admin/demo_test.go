package admin_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// demoConfig is a realistic application: a healthy guarded rollout the
// judge advances, a bad one it rolls back, one an operator paused, and one
// without a plan.
const demoConfig = `rollouts:
  - name: checkout-v2
    plan: {steps: [1, 5, 20, 50], hold: 4m, min_requests: 300}
    rules:
      - name: testers
        when: {field: "header:X-Gray", in: [canary]}
        serve: canary
      - name: staff
        when: {field: key, in: [alice, bob]}
        serve: canary
      - name: new-ios-app
        when:
          all:
            - {field: "attr:platform", eq: ios}
            - {field: "attr:app_version", semver_gte: "5.2.0"}
        serve: canary
        percent: 50
  - name: search-v3
    plan: {steps: [5, 25, 50], hold: 3m}
    rules:
      - name: beta-cookie
        when: {field: "cookie:version", eq: beta}
        serve: canary
  - name: recommendations
    plan: {steps: [10, 30, 60], hold: 5m}
  - name: banner
    percent: 10
`

// variantProfile is how a variant of a rollout behaves in the demo.
type variantProfile struct {
	errRate float64
	latency time.Duration // median
}

var demoProfiles = map[string][2]variantProfile{ // [stable, canary]
	"checkout-v2":     {{0.004, 45 * time.Millisecond}, {0.005, 48 * time.Millisecond}},
	"search-v3":       {{0.006, 80 * time.Millisecond}, {0.07, 190 * time.Millisecond}},
	"recommendations": {{0.002, 30 * time.Millisecond}, {0.003, 33 * time.Millisecond}},
	"banner":          {{0.001, 5 * time.Millisecond}, {0.001, 5 * time.Millisecond}},
}

// newDemo runs a three-replica application through eleven minutes of
// simulated traffic, ticking every controller every ten seconds, with an
// operator pausing one rollout on the way.
func newDemo(t *testing.T) *fixture {
	t.Helper()
	f := newFixtureConfig(t, demoConfig, 3)
	rng := rand.New(rand.NewPCG(1, 2))
	for tick := range 66 {
		for _, ro := range []string{"checkout-v2", "search-v3", "recommendations", "banner"} {
			share := 10.0
			if st, err := f.Store.Load(t.Context(), ro); err == nil {
				share = st.Share
				if !st.Enabled() {
					share = 0
				}
			}
			prof := demoProfiles[ro]
			for _, cs := range f.Counters {
				total := 180 + rng.IntN(40)
				canary := int(math.Round(float64(total) * share / 100))
				canary = max(canary, min(12, int(share*10)))
				demoRequests(cs, rng, ro, "stable", total-canary, prof[0])
				demoRequests(cs, rng, ro, "canary", canary, prof[1])
			}
		}
		if tick == 20 {
			status, body := f.Call(t, "POST", "/api/rollouts/recommendations/pause", operatorToken,
				map[string]string{"reason": "waiting for the cache warm-up (OPS-1432)"}, nil)
			require.Equal(t, 200, status, "%s", body)
		}
		f.Clock.Add(10 * time.Second)
		f.Tick(t)
		mustGet(t, f, "/api/rollouts", viewerToken) // someone is watching: local counters are sampled
	}
	return f
}

func demoRequests(cs *gray.Counters, rng *rand.Rand, rollout, variant string, n int, p variantProfile) {
	for range n {
		failed := rng.Float64() < p.errRate
		status := 200
		if failed {
			status = 503
		}
		lat := time.Duration(float64(p.latency) * math.Exp(rng.NormFloat64()*0.35))
		cs.ObserveOutcome(gray.Outcome{Rollout: rollout, Variant: variant, Status: status, Error: failed, Latency: lat})
	}
}
