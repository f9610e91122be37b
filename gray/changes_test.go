package gray_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestChangedClosesOnEverySwap(t *testing.T) {
	e, err := gray.New(&gray.Config{Rollouts: []gray.Rollout{{Name: "r", Percent: 5}}})
	require.NoError(t, err)

	ch := e.Changed()
	assert.False(t, closed(ch))
	require.Error(t, e.Update(&gray.Config{Rollouts: []gray.Rollout{{Name: "r", Percent: 101}}}))
	assert.False(t, closed(ch), "a refused config changes nothing")
	e.ClearOverride("r")
	assert.False(t, closed(ch), "clearing no override changes nothing")

	require.NoError(t, e.Update(&gray.Config{Rollouts: []gray.Rollout{{Name: "r", Percent: 10}}}))
	assert.True(t, closed(ch))

	ch = e.Changed()
	assert.False(t, closed(ch))
	require.NoError(t, e.SetOverride("r", gray.Override{Enabled: new(bool)}))
	assert.True(t, closed(ch))

	ch = e.Changed()
	e.ClearOverride("r")
	assert.True(t, closed(ch))
	assert.False(t, closed(e.Changed()))
}
