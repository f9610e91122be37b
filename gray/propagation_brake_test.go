package gray_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// TestLocalBrakeBeatsPropagatedCanary: a trusted upstream can put a request
// on the canary of a lagging service, but not of one that pulled its brake.
func TestLocalBrakeBeatsPropagatedCanary(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 0}]`)
	p := mustPropagator(t, [][]byte{propNew})
	h := gray.NewHook(e, gray.WithPropagator(p))
	v, err := p.Sign("u-7", []gray.Decision{{Rollout: "checkout", Variant: "canary"}})
	require.NoError(t, err)
	start := func() gray.Decision {
		s := h.Start(t.Context(), &gray.Values{Headers: map[string]string{gray.PropagationHeader: v}})
		return s.Decisions().Get("checkout")
	}

	d := start()
	assert.Equal(t, "canary", d.Variant, "a stale local config follows the edge")
	assert.Equal(t, gray.ReasonPropagated, d.Reason)

	require.NoError(t, e.SetOverride("checkout", gray.Override{Enabled: new(false)}))
	d = start()
	assert.Equal(t, "stable", d.Variant, "the local brake wins")
	assert.Equal(t, gray.ReasonOff, d.Reason)
}
