package admin_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/internal/admintest"
)

func TestExplainTargetingDepth(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(`
layers: [{name: page, rollouts: [{rollout: banner, percent: 40}, {rollout: hero, percent: 60}]}]
rollouts:
  - {name: base, percent: 0}
  - name: billing
    bucket_by: "attr:org_id"
    percent: 50
    prerequisites: [{rollout: base, variants: [stable]}]
    rules: [{name: staff, when: {field: key, eq: boss}, serve: canary}]
  - {name: paid, prerequisites: [{rollout: base, variants: [canary]}], rules: [{name: all, when: {present: true, field: key}, serve: canary}]}
  - {name: banner, percent: 10}
  - {name: hero, percent: 10}
`))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)

	got, err := admin.Explain(e, admin.ExplainRequest{Rollout: "billing", Key: "u1"})
	require.NoError(t, err)
	assert.Equal(t, "no bucket value", got.Decision.Reason)
	assert.Equal(t, "attr:org_id", got.BucketBy)
	assert.Equal(t, "no rule matched and the subject has no attr:org_id to bucket by: stable", got.Summary)
	require.Len(t, got.Prerequisites, 1)
	assert.True(t, got.Prerequisites[0].Matched)

	got, err = admin.Explain(e, admin.ExplainRequest{Rollout: "paid", Key: "u1"})
	require.NoError(t, err)
	assert.Equal(t, "prerequisite", got.Decision.Reason)
	assert.Equal(t, `prerequisite rollout:base in [canary] does not hold (the subject got stable there): stable`, got.Summary)
	assert.Equal(t, admin.OutcomeNotEvaluated, got.Rules[0].Outcome)

	// A user of hero's slice, outside banner's.
	var key string
	for i := 0; key == ""; i++ {
		if k := "k" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26)); gray.SaltedBucket("page", k) >= 4000 {
			key = k
		}
	}
	got, err = admin.Explain(e, admin.ExplainRequest{Rollout: "banner", Key: key})
	require.NoError(t, err)
	assert.Equal(t, "page", got.Salt)
	assert.Equal(t, "page", got.Layer)
	assert.Equal(t, "0-3999", got.Slice)
	assert.Contains(t, got.Summary, "of layer page is outside every variant's range (canary 0-999)")
}

func TestExplainRingLayout(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(`rollouts: [{name: r, layout: ring, variants: [{name: a, percent: 60}, {name: b, percent: 10}]}]`))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	var key string
	for i := 0; key == ""; i++ {
		k := "k" + string(rune('a'+i%26)) + string(rune('a'+i/26%26))
		if b := gray.SaltedBucket("r", k); b >= 6000 && b < 9000 {
			key = k
		}
	}
	got, err := admin.Explain(e, admin.ExplainRequest{Rollout: "r", Key: key})
	require.NoError(t, err)
	assert.Equal(t, "default", got.Decision.Reason)
	assert.Contains(t, got.Summary, "(a 0-4999, b 5000-5999, a 9000-9999)")
}

func TestRolloutViewTargeting(t *testing.T) {
	f := admintest.NewConfig(t, `
layers: [{name: page, bucket_by: "attr:org", rollouts: [{rollout: banner, percent: 40}]}]
rollouts:
  - {name: base, percent: 5}
  - {name: banner, percent: 10, prerequisites: [{rollout: base, variants: [canary]}]}
  - {name: pricing, layout: ring, variants: [{name: a, percent: 10}, {name: b, percent: 10}]}
`, 1)
	got := decode[admin.RolloutView](t, mustGet(t, f, "/api/rollouts/banner", viewerToken))
	assert.Equal(t, "page", got.Salt)
	assert.Equal(t, "attr:org", got.BucketBy)
	assert.Equal(t, "page", got.Layer)
	assert.Equal(t, "0-3999", got.Slice)
	assert.Equal(t, []gray.Prerequisite{{Rollout: "base", Variants: []string{"canary"}}}, got.Prerequisites)
	got = decode[admin.RolloutView](t, mustGet(t, f, "/api/rollouts/pricing", viewerToken))
	assert.Equal(t, "ring", got.Layout)
	assert.Equal(t, "key", got.BucketBy)
}
