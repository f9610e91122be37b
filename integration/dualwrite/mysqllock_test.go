package dualwrite_test

import (
	"context"
	"database/sql"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/integration/sqltest"
)

// On MySQL a Pair's per-key lock is a named lock (GET_LOCK), which belongs to a connection, not
// to a transaction. These tests hold it to its contract on every path: released after an error,
// never leaked by a call canceled while it waited, and gone with a connection that dies. A lock
// left behind on a pooled connection would make the key unwritable from any other connection, so
// each test ends by writing the key through a second handle that waits at most 1s for it.

// blocking holds the next Put, once armed, until released: the call holds the key's lock meanwhile.
type blocking struct {
	dualwrite.Store[int64, string]
	armed            atomic.Bool
	entered, release chan struct{}
}

func newBlocking(s dualwrite.Store[int64, string]) *blocking {
	b := &blocking{Store: s, entered: make(chan struct{}), release: make(chan struct{})}
	b.armed.Store(true)
	return b
}

func (b *blocking) Unwrap() dualwrite.Store[int64, string] { return b.Store }

func (b *blocking) Put(ctx context.Context, k int64, v string) error {
	if b.armed.CompareAndSwap(true, false) {
		close(b.entered)
		<-b.release
	}
	return b.Store.Put(ctx, k, v)
}

// mysqlPairs returns a pair over two tables of a fresh MySQL database, with old wrapped by wrap,
// and a pair over the same tables through an impatient handle.
func mysqlPairs(t *testing.T, wrap func(dualwrite.Store[int64, string]) dualwrite.Store[int64, string]) (db testDB, p, imp *dualwrite.Pair[int64, string], nw *dualwrite.SQLStore[int64, string]) {
	t.Helper()
	db = sqltest.OpenMySQL(t)
	old, nw, _ := twoTables(t, db)
	cfg := dualwrite.Config[int64, string]{Phase: dualwrite.Fixed(dualwrite.DualWrite)}
	p, err := dualwrite.NewPair(wrap(old), dualwrite.Store[int64, string](nw), cfg)
	require.NoError(t, err)
	idb := db.Impatient(t)
	io, in := sqlStores(t, idb)
	imp, err = dualwrite.NewPair(io, in, cfg)
	require.NoError(t, err)
	return db, p, imp, nw
}

func sqlStores(t *testing.T, db testDB) (old, nw dualwrite.Store[int64, string]) {
	t.Helper()
	o, err := dualwrite.NewSQLStore[int64, string](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: "users_old", KeyColumn: "id", ValueColumn: "status"})
	require.NoError(t, err)
	n, err := dualwrite.NewSQLStore[int64, string](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: "users_new", KeyColumn: "id", ValueColumn: "status_v2"})
	require.NoError(t, err)
	return o, n
}

// assertKeyFree writes key 1 through the impatient pair: it fails if any connection still holds
// the key's lock.
func assertKeyFree(t *testing.T, imp *dualwrite.Pair[int64, string], value string) {
	t.Helper()
	require.NoError(t, imp.Put(context.Background(), 1, value), "the key's lock was left behind")
	got, err := imp.Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, value, got)
}

func TestMySQLKeyLockReleasedAfterFailedCalls(t *testing.T) {
	var fl *flaky[int64, string]
	_, p, imp, _ := mysqlPairs(t, func(s dualwrite.Store[int64, string]) dualwrite.Store[int64, string] {
		fl = &flaky[int64, string]{Store: s}
		return fl
	})
	fl.down.Store(true)
	for range 20 { // more calls than the pool keeps idle connections
		err := p.Put(context.Background(), 1, "lost")
		require.ErrorIs(t, err, errDown)
	}
	fl.down.Store(false)
	assertKeyFree(t, imp, "after failures")
}

func TestMySQLKeyLockExcludesAndSurvivesCancellation(t *testing.T) {
	var b *blocking
	_, p, imp, nw := mysqlPairs(t, func(s dualwrite.Store[int64, string]) dualwrite.Store[int64, string] {
		b = newBlocking(s)
		return b
	})
	ctx := context.Background()
	holder := make(chan error, 1)
	go func() { holder <- p.Put(ctx, 1, "holder") }()
	<-b.entered

	// Held: another handle gives up after its innodb_lock_wait_timeout (1s).
	start := time.Now()
	err := imp.Put(ctx, 1, "intruder")
	require.Error(t, err, "the key is held")
	assert.Contains(t, err.Error(), "Lock wait timeout")
	assert.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "it waited for the lock")

	// A call canceled while it waits for the lock returns the cancellation and leaves no lock
	// behind, even if the server granted it as the wait was given up.
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	err = p.Put(cctx, 1, "canceled")
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded) || errors.Is(err, sql.ErrConnDone) || cctx.Err() != nil, "%v", err)

	close(b.release)
	require.NoError(t, <-holder)
	got, err := nw.Get(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, "holder", got, "the canceled call wrote nothing")
	assertKeyFree(t, imp, "after cancellation")
}

func TestMySQLKeyLockGoesWithADeadConnection(t *testing.T) {
	var b *blocking
	db, p, imp, nw := mysqlPairs(t, func(s dualwrite.Store[int64, string]) dualwrite.Store[int64, string] {
		b = newBlocking(s)
		return b
	})
	ctx := context.Background()
	holder := make(chan error, 1)
	go func() { holder <- p.Put(ctx, 1, "holder") }()
	<-b.entered

	// Kill every connection of the pair's pool to this database: the one holding the lock and
	// its transaction dies with them.
	admin, err := sql.Open("mysql", db.DSN)
	require.NoError(t, err)
	defer admin.Close()
	rows, err := admin.QueryContext(ctx, "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()")
	require.NoError(t, err)
	var ids []int64
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	require.NoError(t, rows.Err())
	require.NoError(t, rows.Close())
	require.NotEmpty(t, ids)
	for _, id := range ids {
		_, _ = admin.ExecContext(ctx, "KILL ?", id)
	}

	// The server released the lock with the session: another handle gets the key at once.
	assertKeyFree(t, imp, "after the holder died")
	close(b.release)
	require.Error(t, <-holder, "the holder's connection is gone: its call fails")
	got, err := nw.Get(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, "after the holder died", got, "the dead call's transaction rolled back")
	// The pool recovers: the pair works again on fresh connections.
	require.NoError(t, p.Put(ctx, 1, "recovered"))
}
