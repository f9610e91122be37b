package guard_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// onlyStore hides every method but Store's, as a store without subject
// overrides would have.
type onlyStore struct{ guard.Store }

func newSubjectEngine(t *testing.T) *gray.Engine {
	t.Helper()
	cfg, err := gray.ParseConfig([]byte("rollouts: [{name: checkout, variants: [{name: canary, percent: 0}, {name: blue, percent: 0}]}]"))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	return e
}

// TestSubjectOverridesReachEveryReplica: a subject put on a variant through
// one replica's actions is applied by every replica at its next tick, and
// removed the same way, with both changes audited.
func TestSubjectOverridesReachEveryReplica(t *testing.T) {
	ctx := t.Context()
	store := guard.NewMemoryStore()
	engines := []*gray.Engine{newSubjectEngine(t), newSubjectEngine(t)}
	var ctrls []*guard.Controller
	for i, e := range engines {
		c, err := guard.New(e, store, guard.WithReplica("r"+string(rune('0'+i))))
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		ctrls = append(ctrls, c)
	}
	o, err := ctrls[0].PutSubject(ctx, "checkout", "u-42", "blue", "alice", "debugging ticket 7")
	require.NoError(t, err)
	assert.Equal(t, "blue", o.Variant)
	for i, e := range engines {
		require.NotEqual(t, "blue", e.Decide("checkout", gray.Subject{Key: "u-42"}).Variant, "replica %d before its poll", i)
	}
	for _, c := range ctrls {
		require.NoError(t, c.Tick(ctx))
	}
	for i, e := range engines {
		d := e.Decide("checkout", gray.Subject{Key: "u-42"})
		assert.Equal(t, "blue", d.Variant, "replica %d", i)
		assert.Equal(t, gray.ReasonOverride, d.Reason)
	}
	list, err := ctrls[1].Subjects(ctx, "checkout")
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "alice", list[0].Actor)

	removed, err := ctrls[1].RemoveSubject(ctx, "checkout", "u-42", "bob", "fixed")
	require.NoError(t, err)
	assert.True(t, removed)
	removed, err = ctrls[1].RemoveSubject(ctx, "checkout", "u-42", "bob", "again")
	require.NoError(t, err)
	assert.False(t, removed)
	for _, c := range ctrls {
		require.NoError(t, c.Tick(ctx))
	}
	for i, e := range engines {
		assert.NotEqual(t, gray.ReasonOverride, e.Decide("checkout", gray.Subject{Key: "u-42"}).Reason, "replica %d", i)
		assert.Empty(t, e.SubjectOverrides())
	}

	audit, err := store.Audit(ctx, "checkout", 0)
	require.NoError(t, err)
	require.Len(t, audit, 2)
	assert.Equal(t, guard.ActionRemoveSubject, audit[0].Action)
	assert.Equal(t, "bob", audit[0].Actor)
	assert.Equal(t, "u-42", audit[0].Subject)
	assert.Equal(t, "blue", audit[0].Variant)
	assert.Equal(t, guard.ActionPutSubject, audit[1].Action)
	assert.Equal(t, "debugging ticket 7", audit[1].Reason)
}

func TestPutSubjectRefusals(t *testing.T) {
	ctx := t.Context()
	e := newSubjectEngine(t)
	a, err := guard.NewActions(guard.NewMemoryStore(), guard.PlansFromEngine(e), guard.WithEngine(e))
	require.NoError(t, err)
	tests := []struct {
		name    string
		rollout string
		key     string
		variant string
		want    error
	}{
		{"undeclared variant", "checkout", "u", "green", guard.ErrInvalidAction},
		{"empty key", "checkout", "", "blue", guard.ErrInvalidAction},
		{"no variant", "checkout", "u", "", guard.ErrInvalidAction},
		{"unknown rollout", "nope", "u", "blue", gray.ErrUnknownRollout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := a.PutSubject(ctx, tt.rollout, tt.key, tt.variant, "ops", "r")
			require.ErrorIs(t, err, tt.want)
		})
	}
	list, err := a.Subjects(ctx, "")
	require.NoError(t, err)
	assert.Empty(t, list)

	plain, err := guard.NewActions(onlyStore{guard.NewMemoryStore()}, guard.PlansFromEngine(e))
	require.NoError(t, err)
	_, err = plain.PutSubject(ctx, "checkout", "u", "blue", "ops", "r")
	require.ErrorIs(t, err, guard.ErrNoSubjectStore)
}

// TestSubjectOverridesForAnotherService: a store shared by services holds
// rollouts this engine does not have; the controller skips them quietly.
func TestSubjectOverridesForAnotherService(t *testing.T) {
	ctx := context.Background()
	store := guard.NewMemoryStore()
	require.NoError(t, store.PutSubject(ctx, guard.SubjectOverride{Rollout: "elsewhere", Key: "k", Variant: "v", At: time.Now()}))
	e := newSubjectEngine(t)
	c, err := guard.New(e, store)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.Tick(ctx))
	assert.Empty(t, e.SubjectOverrides())
}
