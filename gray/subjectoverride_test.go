package gray_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

func TestSubjectOverrides(t *testing.T) {
	e := mustEngine(t, `
rollouts:
  - name: checkout
    variants: [{name: canary, percent: 0}, {name: blue, percent: 0}]
    rules: [{name: everyone, when: {field: key, present: true}, serve: canary}]
`)
	require.NoError(t, e.SetSubjectOverrides("checkout", map[string]string{"u-1": "blue", "u-2": "stable"}))
	tests := []struct {
		name       string
		give       string
		wantVar    string
		wantReason gray.Reason
	}{
		{"put on blue", "u-1", "blue", gray.ReasonOverride},
		{"put on the default", "u-2", "stable", gray.ReasonOverride},
		{"others as configured", "u-3", "canary", gray.ReasonRule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.Decide("checkout", gray.Subject{Key: tt.give})
			assert.Equal(t, tt.wantVar, d.Variant)
			assert.Equal(t, tt.wantReason, d.Reason)
		})
	}
	assert.Equal(t, "override", gray.ReasonOverride.String())
	assert.Equal(t, map[string]map[string]string{"checkout": {"u-1": "blue", "u-2": "stable"}}, e.SubjectOverrides())

	// The brake wins.
	off := false
	require.NoError(t, e.SetOverride("checkout", gray.Override{Enabled: &off}))
	assert.Equal(t, gray.ReasonOff, e.Decide("checkout", gray.Subject{Key: "u-1"}).Reason)
	e.ClearOverride("checkout")
	assert.Equal(t, "blue", e.Decide("checkout", gray.Subject{Key: "u-1"}).Variant)

	// A reload keeps them; one that drops the variant ignores its keys.
	require.NoError(t, e.Update(e.Config()))
	assert.Equal(t, "blue", e.Decide("checkout", gray.Subject{Key: "u-1"}).Variant)
	cfg, err := gray.ParseConfig([]byte("rollouts: [{name: checkout, percent: 0}]"))
	require.NoError(t, err)
	require.NoError(t, e.Update(cfg))
	assert.Equal(t, gray.ReasonDefault, e.Decide("checkout", gray.Subject{Key: "u-1"}).Reason)
	assert.NotEqual(t, "blue", e.Decide("checkout", gray.Subject{Key: "u-1"}).Variant)
	assert.Equal(t, gray.ReasonOverride, e.Decide("checkout", gray.Subject{Key: "u-2"}).Reason, "stable is still declared")

	// Clearing.
	require.NoError(t, e.SetSubjectOverrides("checkout", nil))
	assert.Empty(t, e.SubjectOverrides())
	assert.NotEqual(t, gray.ReasonOverride, e.Decide("checkout", gray.Subject{Key: "u-2"}).Reason)
}

func TestSubjectOverrideErrors(t *testing.T) {
	e := mustEngine(t, "rollouts: [{name: checkout, percent: 5}]")
	tests := []struct {
		name string
		give map[string]string
		want string
	}{
		{"undeclared variant", map[string]string{"u": "blue"}, `gray: subject override of "checkout" for key "u": variant "blue" is not declared (declared: stable, canary)`},
		{"empty key", map[string]string{"": "canary"}, `gray: subject override of "checkout": empty key`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.EqualError(t, e.SetSubjectOverrides("checkout", tt.give), tt.want)
			assert.Empty(t, e.SubjectOverrides())
		})
	}
	require.ErrorIs(t, e.SetSubjectOverrides("nope", map[string]string{"u": "canary"}), gray.ErrUnknownRollout)
	require.ErrorIs(t, e.CheckSubjectOverride("nope", "u", "canary"), gray.ErrUnknownRollout)
	require.NoError(t, e.CheckSubjectOverride("checkout", "u", "canary"))
	assert.Empty(t, e.SubjectOverrides(), "a check changes nothing")
}

func TestSubjectOverrideExplainAndAllocs(t *testing.T) {
	e := mustEngine(t, "rollouts: [{name: checkout, percent: 5, rules: [{name: r, when: {field: 'attr:x', eq: y}, serve: canary}]}]")
	require.NoError(t, e.SetSubjectOverrides("checkout", map[string]string{"u-1": "canary"}))
	d, trace := e.Explain("checkout", gray.Subject{Key: "u-1"})
	assert.Equal(t, gray.ReasonOverride, d.Reason)
	assert.Empty(t, trace, "an override decides before any rule")
	for _, k := range []string{"u-1", "u-2"} {
		s := gray.Subject{Key: k}
		assert.Zero(t, testing.AllocsPerRun(200, func() { _ = e.Decide("checkout", s) }), k)
	}
}
