package guard_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray/guard"
)

// TestStoreSubjects runs the subject overrides of every store kind: put
// replaces, remove reports whether there was one, both are audited with
// the rollout's state version, and the list is sorted.
func TestStoreSubjects(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			st := newStore(t, kind)
			ss, ok := st.(guard.SubjectStore)
			require.True(t, ok, "%s keeps subject overrides", kind)
			at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
			// A state at version 1 for "a", so audit entries carry it.
			_, err := st.CompareAndSwap(ctx, 0, guard.State{Rollout: "a", Phase: guard.PhaseManual, Step: -1, Share: 5}, guard.Transition{Action: guard.ActionSetShare, At: at})
			require.NoError(t, err)

			require.NoError(t, ss.PutSubject(ctx, guard.SubjectOverride{Rollout: "a", Key: "u-2", Variant: "canary", Actor: "alice", Reason: "try", At: at}))
			require.NoError(t, ss.PutSubject(ctx, guard.SubjectOverride{Rollout: "a", Key: "u-1", Variant: "canary", Actor: "alice", Reason: "try", At: at}))
			require.NoError(t, ss.PutSubject(ctx, guard.SubjectOverride{Rollout: "b", Key: "u-1", Variant: "blue", Actor: "bob", Reason: "x", At: at}))
			require.NoError(t, ss.PutSubject(ctx, guard.SubjectOverride{Rollout: "a", Key: "u-2", Variant: "stable", Actor: "carol", Reason: "back", At: at.Add(time.Minute)}))

			all, err := ss.Subjects(ctx, "")
			require.NoError(t, err)
			require.Len(t, all, 3)
			assert.Equal(t, []string{"a/u-1", "a/u-2", "b/u-1"}, []string{all[0].Rollout + "/" + all[0].Key, all[1].Rollout + "/" + all[1].Key, all[2].Rollout + "/" + all[2].Key})
			assert.Equal(t, guard.SubjectOverride{Rollout: "a", Key: "u-2", Variant: "stable", Actor: "carol", Reason: "back", At: at.Add(time.Minute)}, all[1])
			onlyA, err := ss.Subjects(ctx, "a")
			require.NoError(t, err)
			assert.Len(t, onlyA, 2)

			removed, err := ss.RemoveSubject(ctx, "a", "u-2", "dave", "done", at.Add(2*time.Minute))
			require.NoError(t, err)
			assert.True(t, removed)
			removed, err = ss.RemoveSubject(ctx, "a", "u-2", "dave", "done", at.Add(2*time.Minute))
			require.NoError(t, err)
			assert.False(t, removed)

			audit, err := st.Audit(ctx, "a", 0)
			require.NoError(t, err)
			require.Len(t, audit, 5) // set-share, three puts on a, one remove
			assert.Equal(t, guard.ActionRemoveSubject, audit[0].Action)
			assert.Equal(t, "u-2", audit[0].Subject)
			assert.Equal(t, "stable", audit[0].Variant)
			assert.Equal(t, int64(1), audit[0].Version)
			assert.Equal(t, guard.ActionPutSubject, audit[1].Action)
			assert.Equal(t, "carol", audit[1].Actor)
		})
	}
}
