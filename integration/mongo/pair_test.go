package mongo_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/dualwrite/mongostore"
	"github.com/graykit/graykit/integration/internal/mongoserver"
	"github.com/graykit/graykit/integration/sqltest"
)

// failing fails the MongoDB side's writes while on, as an outage would.
type failing struct {
	dualwrite.Store[int64, string]
	on atomic.Bool
}

var errOutage = errors.New("mongodb outage")

func (f *failing) Put(ctx context.Context, k int64, v string) error {
	if f.on.Load() {
		return errOutage
	}
	return f.Store.Put(ctx, k, v)
}

func (f *failing) Delete(ctx context.Context, k int64) error {
	if f.on.Load() {
		return errOutage
	}
	return f.Store.Delete(ctx, k)
}

func (f *failing) Unwrap() dualwrite.Store[int64, string] { return f.Store }

// TestPairSQLToMongo runs the move of a SQL column to MongoDB through a Pair with the outbox in the
// SQL database, on every SQL database: history copied by a walk, a MongoDB outage during dual
// writes that the outbox repairs, reads that follow the outbox while a key differs, deletes, and
// Verify equal at the end.
func TestPairSQLToMongo(t *testing.T) {
	sqltest.Each(t, func(t *testing.T, db sqltest.DB) {
		ctx := context.Background()
		db.Exec(t, "CREATE TABLE users (id BIGINT PRIMARY KEY, status VARCHAR(16))")
		for id := 1; id <= 25; id++ {
			db.Exec(t, "INSERT INTO users (id, status) VALUES (?, ?)", id, "active")
		}
		old, err := dualwrite.NewSQLStore[int64, string](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: "users", KeyColumn: "id", ValueColumn: "status"})
		require.NoError(t, err)
		docs, err := mongostore.New[int64, string](mongoserver.Database(t).Collection("users"), mongostore.Config{ValueField: "status"})
		require.NoError(t, err)
		nw := &failing{Store: docs}
		q, err := dualwrite.NewQueue(db.DB, db.Dialect, "user_repairs")
		require.NoError(t, err)
		require.NoError(t, q.CreateTable(ctx))
		phase, err := dualwrite.NewSwitch(dualwrite.DualWrite)
		require.NoError(t, err)
		pair, err := dualwrite.NewPair[int64, string](old, nw, dualwrite.Config[int64, string]{
			Phase: phase, OnWriteFailure: dualwrite.RecordRepair, Repairs: q,
		})
		require.NoError(t, err)

		// The walk copies the history.
		rep, err := dualwrite.Verify[int64, string](ctx, old, docs, dualwrite.VerifyConfig[int64, string]{
			BatchSize: 7,
			Repair:    func(ctx context.Context, k int64) error { return pair.Repair(ctx, k, dualwrite.SideOld) },
		})
		require.NoError(t, err)
		assert.Equal(t, int64(25), rep.MissingNew)
		assert.Equal(t, int64(25), rep.Repaired)

		// MongoDB is down: writes still succeed for users (SQL is first), the outbox keeps them.
		nw.on.Store(true)
		require.NoError(t, pair.Put(ctx, 3, "banned"))
		require.NoError(t, pair.Delete(ctx, 4))
		require.NoError(t, pair.Put(ctx, 26, "pending"))
		n, err := q.Pending(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(3), n)
		v, err := docs.Get(ctx, 3)
		require.NoError(t, err)
		assert.Equal(t, "active", v, "MongoDB missed the write")

		// Reads follow the outbox: moved to live, the key is still read from the side with the
		// latest value while MongoDB is behind.
		require.NoError(t, phase.Set(dualwrite.Live))
		v, err = pair.Get(ctx, 3)
		require.NoError(t, err)
		assert.Equal(t, "banned", v)
		_, err = pair.Get(ctx, 4)
		require.ErrorIs(t, err, dualwrite.ErrNotFound)

		// A gray user's write in live goes to MongoDB first: during the outage it fails, and
		// neither side changes.
		err = pair.Put(ctx, 5, "banned")
		require.ErrorIs(t, err, errOutage)
		sv, err := old.Get(ctx, 5)
		require.NoError(t, err)
		assert.Equal(t, "active", sv)

		// MongoDB is back; a repairer drains the outbox.
		nw.on.Store(false)
		r, err := dualwrite.NewRepairer(dualwrite.RepairerConfig{
			Queue: q, Target: pair, Owner: "t", Interval: 5 * time.Millisecond, Backoff: time.Millisecond,
			IntentTimeout: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		require.NoError(t, err)
		rctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = r.Run(rctx) }()
		require.Eventually(t, func() bool {
			n, err := q.Pending(ctx)
			return err == nil && n == 0
		}, time.Minute, 10*time.Millisecond)
		stop()
		<-done

		final, err := dualwrite.Verify[int64, string](ctx, old, docs, dualwrite.VerifyConfig[int64, string]{})
		require.NoError(t, err)
		assert.True(t, final.OK(), "%s", final)
		assert.Equal(t, int64(25), final.Matched) // 1..25 without 4, with 26
		for k, want := range map[int64]string{3: "banned", 26: "pending", 5: "active"} {
			got, err := docs.Get(ctx, k)
			require.NoError(t, err)
			assert.Equal(t, want, got, "key %d", k)
		}
		_, err = docs.Get(ctx, 4)
		require.ErrorIs(t, err, dualwrite.ErrNotFound)
	})
}
