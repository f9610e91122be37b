package dualwrite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/gray"
)

func TestGrayBinding(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: users-status-v2
    percent: 30
    rules:
      - name: staff
        when: {field: key, in: [user-staff]}
        serve: canary
`))
		require.NoError(t, err)
		engine, err := gray.New(cfg)
		require.NoError(t, err)

		old, nw, _ := twoTables(t, db)
		counter := &dualwrite.Counter{}
		pair, err := dualwrite.NewPair[int64, string](old, nw, dualwrite.Config[int64, string]{
			Phase:    dualwrite.FromRollout("users-status-v2", dualwrite.Live, dualwrite.Shadow),
			Observer: counter,
		})
		require.NoError(t, err)

		// Every key holds different values on the two sides, so every shadow read mismatches.
		const users = 200
		for i := range int64(users) {
			require.NoError(t, old.Put(ctx, i, "old"))
			require.NoError(t, nw.Put(ctx, i, "new"))
		}
		var canary int
		for i := range int64(users) {
			key := fmt.Sprintf("user-%d", i)
			if i == 0 {
				key = "user-staff"
			}
			uctx := gray.NewContext(ctx, engine, gray.Subject{Key: key})
			isNew := gray.Variant(uctx, "users-status-v2") != "stable"
			want := "old"
			if isNew {
				want = "new"
				canary++
			}
			got, err := pair.Get(uctx, i)
			require.NoError(t, err, "a shadow mismatch never reaches the caller")
			assert.Equal(t, want, got, "user %s (canary %v)", key, isNew)
		}
		assert.True(t, canary > 20 && canary < 110, "about 30%% of users are canary: %d", canary)
		c := counter.Counts()
		assert.Equal(t, int64(users), c.Mismatched, "every read compared the other side")
		assert.Zero(t, c.PhaseFallback)

		// Writes: canary users write new first, others old first; both sides end equal.
		uctx := gray.NewContext(ctx, engine, gray.Subject{Key: "user-staff"})
		require.NoError(t, pair.Put(uctx, 0, "written"))
		for _, s := range []dualwrite.Store[int64, string]{old, nw} {
			v, err := s.Get(ctx, 0)
			require.NoError(t, err)
			assert.Equal(t, "written", v)
		}
		// Without gray decisions in the context: the non-gray phase.
		p, err := dualwrite.FromRollout("users-status-v2", dualwrite.Live, dualwrite.Shadow).Phase(ctx)
		require.NoError(t, err)
		assert.Equal(t, dualwrite.Shadow, p)
		_, err = dualwrite.FromRollout("users-status-v2", dualwrite.Live, "shadw").Phase(ctx)
		assert.ErrorIs(t, err, dualwrite.ErrUnknownPhase)
	})
}
