package gray_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

func TestRolloutClientSwitch(t *testing.T) {
	tests := []struct {
		name string
		give string
		want []bool
	}{
		{"yaml default off", "rollouts:\n  - name: a\n  - name: b\n    client: true\n", []bool{false, true}},
		{"json", `{"rollouts":[{"name":"a","client":false},{"name":"b","client":true}]}`, []bool{false, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := gray.ParseConfig([]byte(tt.give))
			require.NoError(t, err)
			var got []bool
			for _, r := range cfg.Rollouts {
				got = append(got, r.Client)
			}
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := gray.ParseConfig([]byte("rollouts:\n  - name: a\n    client: yes-please\n"))
	require.Error(t, err, "client is a boolean")
	assert.Contains(t, err.Error(), "rollouts[0].client")
}

func TestDecisionsConfigIsPinned(t *testing.T) {
	before := &gray.Config{Rollouts: []gray.Rollout{{Name: "a", Percent: 100, Client: true}}}
	e, err := gray.New(before)
	require.NoError(t, err)
	ctx := gray.NewContext(t.Context(), e, gray.Subject{Key: "u"})
	require.NoError(t, e.Update(&gray.Config{}))
	d, ok := gray.FromContext(ctx)
	require.True(t, ok)
	assert.Same(t, before, d.Config(), "the request keeps the configuration it started with")
	assert.Equal(t, "canary", d.Variant("a"))
	assert.Empty(t, e.Config().Rollouts)
}

func TestClientRolloutWithArrayValuesIsRefused(t *testing.T) {
	_, err := gray.ParseConfig([]byte(`
rollouts:
  - name: menu
    client: true
    default_value: [a, b]
    variants: [{name: canary, percent: 5, value: [a, b, c]}]
`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rollouts[0].client: clients read values over OFREP, which has no arrays")

	_, err = gray.ParseConfig([]byte(`
rollouts:
  - name: menu
    default_value: [a, b]
    variants: [{name: canary, percent: 5, value: [a, b, c]}]
  - name: menu-for-clients
    client: true
    default_value: {items: [a, b]}
    variants: [{name: canary, percent: 5, value: {items: [a, b, c]}}]
`))
	require.NoError(t, err, "arrays off clients, and objects on them, are fine")
}
