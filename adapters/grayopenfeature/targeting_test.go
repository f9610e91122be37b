package grayopenfeature_test

import (
	"context"
	"testing"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/adapters/grayopenfeature"
)

// TestTargetingDepthReasons maps issue 20's reasons: a subject override and
// a prerequisite are targeting; no bucketing value is the default.
func TestTargetingDepthReasons(t *testing.T) {
	e := newEngine(t, `
rollouts:
  - {name: base, percent: 0}
  - {name: needs-base, percent: 100, prerequisites: [{rollout: base, variants: [canary]}]}
  - {name: by-org, percent: 100, bucket_by: "attr:org"}
`)
	require.NoError(t, e.SetSubjectOverrides("base", map[string]string{"pinned": "canary"}))
	_, client := newClient(t, grayopenfeature.New(e))
	ctx := context.Background()
	tests := []struct {
		name        string
		flag, key   string
		wantVariant string
		wantReason  of.Reason
	}{
		{"override", "base", "pinned", "canary", of.TargetingMatchReason},
		{"prerequisite met through the override", "needs-base", "pinned", "canary", of.SplitReason},
		{"prerequisite failed", "needs-base", "other", "stable", of.TargetingMatchReason},
		{"no bucketing value", "by-org", "other", "stable", of.DefaultReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := client.StringValueDetails(ctx, tt.flag, "x", of.NewEvaluationContext(tt.key, nil))
			require.NoError(t, err)
			assert.Equal(t, tt.wantVariant, d.Variant)
			assert.Equal(t, tt.wantReason, d.Reason)
		})
	}
}
