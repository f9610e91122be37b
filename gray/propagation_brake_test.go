package gray_test

import (
	"net/http"
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

	off := false
	require.NoError(t, e.SetOverride("checkout", gray.Override{Enabled: &off}))
	d = start()
	assert.Equal(t, "stable", d.Variant, "the local brake wins")
	assert.Equal(t, gray.ReasonOff, d.Reason)
}

// TestLocalBrakeHoldsDownstream: a service that braked a rollout forwards
// its default to the services behind it, also when this request never asked
// for the rollout.
func TestLocalBrakeHoldsDownstream(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout, enabled: false, percent: 100}, {name: search, percent: 0}]`)
	p := mustPropagator(t, [][]byte{propNew})
	h := gray.NewHook(e, gray.WithPropagator(p))
	in, err := p.Sign("u-7", []gray.Decision{{Rollout: "checkout", Variant: "canary"}, {Rollout: "search", Variant: "canary"}})
	require.NoError(t, err)
	s := h.Start(t.Context(), &gray.Values{Headers: map[string]string{gray.PropagationHeader: in}})

	sent := http.Header{}
	h.Inject(s.Context(), gray.HeaderCarrier(sent))
	pv, err := p.Verify(sent.Get(gray.PropagationHeader))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"checkout": "stable", "search": "canary"}, pv.Variants,
		"the brake holds downstream; an unbraked rollout follows the edge")
}

// TestUnknownRolloutNotRecordedWithPropagation: asking for a rollout this
// service does not configure leaves no trace, whether or not the request
// carried propagated decisions.
func TestUnknownRolloutNotRecordedWithPropagation(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 0}]`)
	p := mustPropagator(t, [][]byte{propNew})
	counters := gray.NewCounters()
	h := gray.NewHook(e, gray.WithPropagator(p), gray.WithObserver(counters))
	in, err := p.Sign("u-7", []gray.Decision{{Rollout: "checkout", Variant: "canary"}})
	require.NoError(t, err)
	s := h.Start(t.Context(), &gray.Values{Headers: map[string]string{gray.PropagationHeader: in}})
	for _, name := range []string{"nope-1", "nope-2"} {
		assert.Equal(t, gray.ReasonUnknownRollout, s.Decisions().Get(name).Reason)
	}
	assert.Equal(t, "canary", s.Decisions().Variant("checkout"))
	s.End(gray.Outcome{Status: 200})

	var rollouts []string
	for _, d := range s.Decisions().Decided() {
		rollouts = append(rollouts, d.Rollout)
	}
	assert.Equal(t, []string{"checkout"}, rollouts)
	for _, st := range counters.Snapshot() {
		assert.Equal(t, "checkout", st.Rollout, "outcomes only for configured or propagated rollouts")
	}
}
