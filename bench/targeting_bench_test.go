package bench_test

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// bySubject is the hand-written reference for issue 20: the three rules of
// the peers' job evaluated by hand from the same gray.Subject graykit
// reads (two lookups in its attribute map, the key in a 100-key set), then
// the same bucketing. What Decide must stay within 1.5× of.
type bySubject struct {
	staff map[string]struct{}
}

func (h bySubject) decide(s *gray.Subject) string {
	if slices.Contains(ruleRegions, s.Attrs["region"]) || slices.Contains(rulePlatforms, s.Attrs["platform"]) {
		return "canary"
	}
	if _, ok := h.staff[s.Key]; ok {
		return "canary"
	}
	if s.Key != "" && gray.SaltedBucket(rolloutName, s.Key) < canaryBuckets {
		return "canary"
	}
	return "stable"
}

// targetingConfig is the three-rule rollout with one of issue 20's features
// added, in a form that decides the same job (no rule matches; a 5% split).
func targetingConfig(feature string) *gray.Config {
	cfg := threeRulesConfig(canaryPct)
	r := &cfg.Rollouts[0]
	switch feature {
	case "segments": // the rules' conditions declared once as segments
		for i := range r.Rules {
			name := r.Rules[i].Name
			cfg.Segments = append(cfg.Segments, gray.Segment{Name: name, When: r.Rules[i].When})
			r.Rules[i].When = gray.Condition{Segment: name}
		}
	case "bucket_by": // bucketed by an attribute, with the key as fallback
		r.BucketBy, r.BucketFallback = "attr:org_id", "key"
	case "layer": // in a layer with a second rollout
		cfg.Rollouts = append(cfg.Rollouts, gray.Rollout{Name: "other", Percent: 10})
		cfg.Layers = []gray.Layer{{Name: "page", Rollouts: []gray.LayerSlot{
			{Rollout: rolloutName, Percent: 50}, {Rollout: "other", Percent: 50},
		}}}
	case "prerequisite": // needs another rollout's variant (which every user has)
		cfg.Rollouts = append(cfg.Rollouts, gray.Rollout{Name: "base", Percent: 0})
		r = &cfg.Rollouts[0]
		r.Prerequisites = []gray.Prerequisite{{Rollout: "base", Variants: []string{"stable"}}}
	}
	return cfg
}

// BenchmarkTargeting measures issue 20's features on the peers' job: Decide
// with each feature, the hand-written reference reading the same subject,
// LaunchDarkly with a context per call, and the middleware with attributes
// from a map and from a lookup.
func BenchmarkTargeting(b *testing.B) {
	keys := benchKeys()
	attrs := userAttrs()
	subjects := make([]gray.Subject, len(keys))
	for i, k := range keys {
		subjects[i] = gray.Subject{Key: k, Attrs: attrs}
	}
	orgAttrs := map[string]string{"region": userRegion, "platform": userPlatform, "org_id": "org-7"}
	orgSubjects := make([]gray.Subject, len(keys))
	for i, k := range keys {
		orgSubjects[i] = gray.Subject{Key: k, Attrs: orgAttrs}
	}
	hand := bySubject{staff: newByHand().staff}
	ld := newLDPeer(keys)

	engine := func(feature string) *gray.Engine {
		e, err := gray.New(targetingConfig(feature))
		require.NoError(b, err)
		return e
	}
	decide := func(e *gray.Engine, subs []gray.Subject) func(b *testing.B) {
		return func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkStr = e.Decide(rolloutName, subs[i&keyMask]).Variant
			}
		}
	}
	handler := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		sinkStr = gray.Variant(r.Context(), rolloutName)
	})
	base := engine("")
	mwMap := gray.Middleware(base, gray.WithKeyFromHeader("X-User-Id"),
		gray.WithAttributes(func(_ context.Context, r gray.Request) map[string]string {
			region, _ := r.Header("X-Region")
			platform, _ := r.Header("X-Platform")
			return map[string]string{"region": region, "platform": platform}
		}))(handler)
	mwLookup := gray.Middleware(base, gray.WithKeyFromHeader("X-User-Id"),
		gray.WithAttributeLookup(func(_ context.Context, r gray.Request, name string) (string, bool) {
			switch name {
			case "region":
				return r.Header("X-Region")
			case "platform":
				return r.Header("X-Platform")
			}
			return "", false
		}))(handler)
	reqs := benchRequests(b, keys)
	w := newNopWriter()

	cases := []struct {
		name  string
		bench func(b *testing.B)
	}{
		{"hand-written/subject", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkStr = hand.decide(&subjects[i&keyMask])
			}
		}},
		{"graykit/Decide", decide(base, subjects)},
		{"graykit/Decide/segments", decide(engine("segments"), subjects)},
		{"graykit/Decide/bucket_by", decide(engine("bucket_by"), orgSubjects)},
		{"graykit/Decide/layer", decide(engine("layer"), subjects)},
		{"graykit/Decide/prerequisite", decide(engine("prerequisite"), subjects)},
		{"launchdarkly/context-per-call", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkStr, _ = ld.decide(ldContext(keys[i&keyMask], userRegion, userPlatform))
			}
		}},
		{"graykit/Middleware/attrs-map", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				mwMap.ServeHTTP(w, reqs[i&keyMask])
			}
		}},
		{"graykit/Middleware/attrs-lookup", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				mwLookup.ServeHTTP(w, reqs[i&keyMask])
			}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			// cpu-ns/op: the process's CPU time per op, which waiting for
			// a core on a loaded machine does not inflate as it does ns/op.
			start := processCPU()
			c.bench(b)
			if b.N > 0 {
				b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// TestTargetingDoesTheSameJob checks that every row of BenchmarkTargeting
// gives each benchmark user the same variant as the reference.
func TestTargetingDoesTheSameJob(t *testing.T) {
	keys := benchKeys()
	hand := bySubject{staff: newByHand().staff}
	for _, feature := range []string{"", "segments", "prerequisite"} {
		e, err := gray.New(targetingConfig(feature))
		require.NoError(t, err)
		for _, k := range keys {
			s := gray.Subject{Key: k, Attrs: userAttrs()}
			require.Equal(t, hand.decide(&s), e.Decide(rolloutName, s).Variant, "%s %s", feature, k)
		}
	}
	// Every user of one org gets the org's variant; a layer keeps the
	// rollout's 5% inside its slice.
	e, err := gray.New(targetingConfig("bucket_by"))
	require.NoError(t, err)
	want := e.Decide(rolloutName, gray.Subject{Key: keys[0], Attrs: map[string]string{"org_id": "org-7"}}).Variant
	for _, k := range keys {
		require.Equal(t, want, e.Decide(rolloutName, gray.Subject{Key: k, Attrs: map[string]string{"org_id": "org-7"}}).Variant)
	}
	e, err = gray.New(targetingConfig("layer"))
	require.NoError(t, err)
	in := 0
	for _, k := range keys {
		if e.Decide(rolloutName, gray.Subject{Key: k, Attrs: userAttrs()}).IsNew() {
			in++
		}
	}
	require.InDelta(t, 51, in, 30)
}
