package bench_test

import (
	"testing"

	"github.com/launchdarkly/go-sdk-common/v3/ldcontext"
	"github.com/launchdarkly/go-sdk-common/v3/ldreason"
	"github.com/open-feature/go-sdk/openfeature"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// TestPeersDoTheSameJob checks that every peer sees the benchmark users the
// same way: no rule matches any of them, and about 5% get the canary. The
// peers hash differently, so individual users may differ between graykit and
// LaunchDarkly or Unleash; graykit, the floor, the hand-written code and the
// OpenFeature flag share graykit's bucketing and must agree user by user.
func TestPeersDoTheSameJob(t *testing.T) {
	keys := benchKeys()
	e, err := gray.New(threeRulesConfig(canaryPct))
	require.NoError(t, err)
	ld := newLDPeer(keys)
	of := newOFPeer(t)
	hand := newByHand()
	unleash := unleashRollout{h: hand}
	attrs := userAttrs()

	canary := map[string]int{}
	for i, k := range keys {
		d := e.Decide(rolloutName, gray.Subject{Key: k, Attrs: attrs})
		require.Contains(t, []gray.Reason{gray.ReasonSplit, gray.ReasonDefault}, d.Reason, "graykit: no rule may match %s", k)
		if d.IsNew() {
			canary["graykit"]++
		}
		assert.Equal(t, d.IsNew(), floor(rolloutName+":"+k), "floor, %s", k)

		hv, matched := hand.decide(k, userRegion, userPlatform)
		require.False(t, matched, "by hand: no rule may match %s", k)
		assert.Equal(t, d.Variant, hv, "by hand, %s", k)

		for _, c := range []struct {
			name string
			give ldcontext.Context
		}{{"prebuilt", ld.ctxs[i]}, {"per-call", ldContext(k, userRegion, userPlatform)}} {
			v, reason := ld.decide(c.give)
			require.Equal(t, ldreason.EvalReasonFallthrough, reason.GetKind(), "LaunchDarkly %s: no rule may match %s", c.name, k)
			if v == "canary" && c.name == "prebuilt" {
				canary["launchdarkly"]++
			}
		}

		ov, oreason := of.decide(t.Context(), k, userRegion, userPlatform)
		require.Equal(t, openfeature.SplitReason, oreason, "OpenFeature: no rule may match %s", k)
		assert.Equal(t, d.Variant, ov, "OpenFeature, %s", k)

		uv, matched := unleash.decide(k, userRegion, userPlatform)
		require.False(t, matched, "Unleash: no rule may match %s", k)
		if uv == "canary" {
			canary["unleash"]++
		}
	}
	for _, name := range []string{"graykit", "launchdarkly", "unleash"} {
		share := float64(canary[name]) / float64(len(keys)) * 100
		t.Logf("%s: %d of %d users in the canary (%.1f%%)", name, canary[name], len(keys), share)
		assert.InDelta(t, canaryPct, share, 2, "%s canary share", name)
	}
}

// TestPeersRulesAreLive checks the rules are not dead code: a user who
// matches each rule gets the canary from every peer, by that rule.
func TestPeersRulesAreLive(t *testing.T) {
	e, err := gray.New(threeRulesConfig(canaryPct))
	require.NoError(t, err)
	ld := newLDPeer(nil)
	of := newOFPeer(t)
	hand := newByHand()
	unleash := unleashRollout{h: hand}
	// A key far outside the 5% for graykit, so only a rule can send it to canary.
	key := "user-000000"
	for d := e.Decide(rolloutName, gray.Subject{Key: key}); d.IsNew(); d = e.Decide(rolloutName, gray.Subject{Key: key}) {
		key += "x"
	}
	tests := []struct {
		name                  string
		key, region, platform string
		wantRule              string
	}{
		{"region", key, ruleRegions[1], userPlatform, "regions"},
		{"platform", key, userRegion, rulePlatforms[0], "platforms"},
		{"staff", staffKeys(100)[42], userRegion, userPlatform, "staff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.Decide(rolloutName, gray.Subject{Key: tt.key, Attrs: map[string]string{"region": tt.region, "platform": tt.platform}})
			assert.Equal(t, "canary", d.Variant)
			assert.Equal(t, tt.wantRule, d.Rule)

			v, reason := ld.decide(ldContext(tt.key, tt.region, tt.platform))
			assert.Equal(t, "canary", v)
			assert.Equal(t, ldreason.EvalReasonRuleMatch, reason.GetKind())
			assert.Equal(t, tt.wantRule, reason.GetRuleID())

			ov, oreason := of.decide(t.Context(), tt.key, tt.region, tt.platform)
			assert.Equal(t, "canary", ov)
			assert.Equal(t, openfeature.TargetingMatchReason, oreason)

			hv, matched := hand.decide(tt.key, tt.region, tt.platform)
			assert.Equal(t, "canary", hv)
			assert.True(t, matched)

			uv, matched := unleash.decide(tt.key, tt.region, tt.platform)
			assert.Equal(t, "canary", uv)
			assert.True(t, matched)
		})
	}
}
