package grayopenfeature_test

import (
	"bytes"
	"context"
	"testing"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/adapters/grayopenfeature"
	"github.com/graykit/graykit/gray"
)

// An upstream's signed decision is followed, with its own reason; its
// variant's value is this service's value for that variant.
func TestPropagatedDecision(t *testing.T) {
	e := newEngine(t, testConfig)
	p, err := gray.NewPropagator([][]byte{bytes.Repeat([]byte("k"), 32)})
	require.NoError(t, err)
	h := gray.NewHook(e, gray.WithPropagator(p))
	signed, err := p.Sign("user-1", []gray.Decision{
		{Rollout: "flag-string", Variant: "parting"}, {Rollout: "elsewhere", Variant: "blue"},
	})
	require.NoError(t, err)
	s := h.Start(context.Background(), &gray.Values{Headers: map[string]string{gray.PropagationHeader: signed}})
	defer s.End(gray.Outcome{Status: 200})
	prov := grayopenfeature.New(e)
	_, client := newClient(t, prov)

	d, err := client.StringValueDetails(s.Context(), "flag-string", "x", of.EvaluationContext{})
	require.NoError(t, err)
	assert.Equal(t, "bye", d.Value, "the upstream's variant, this service's value")
	assert.Equal(t, "parting", d.Variant)
	assert.Equal(t, grayopenfeature.ReasonPropagated, d.Reason)
	assert.Equal(t, gray.Variant(s.Context(), "flag-string"), d.Variant)

	// A rollout this service does not configure: followed by name.
	v, err := client.StringValueDetails(s.Context(), "elsewhere", "x", of.EvaluationContext{})
	require.NoError(t, err)
	assert.Equal(t, "blue", v.Value)
	assert.Equal(t, grayopenfeature.ReasonPropagated, v.Reason)
}
