package dualwrite_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/integration/sqltest"
)

var quiet = slog.New(slog.DiscardHandler)

// flaky fails Put and Delete while down is set, without writing; while late is set it writes and
// then reports a failure (a timeout after the write went through).
type flaky[K comparable, V any] struct {
	dualwrite.Store[K, V]
	down, late atomic.Bool
}

var errDown = errors.New("store down")

// Unwrap lets a Pair see the store's table through the wrapper.
func (f *flaky[K, V]) Unwrap() dualwrite.Store[K, V] { return f.Store }

func (f *flaky[K, V]) Put(ctx context.Context, k K, v V) error {
	if f.down.Load() {
		return errDown
	}
	if err := f.Store.Put(ctx, k, v); err != nil || !f.late.Load() {
		return err
	}
	return errDown
}

func (f *flaky[K, V]) Delete(ctx context.Context, k K) error {
	if f.down.Load() {
		return errDown
	}
	if err := f.Store.Delete(ctx, k); err != nil || !f.late.Load() {
		return err
	}
	return errDown
}

// exclusive checks that no key is repaired by two repairers at the same moment.
type exclusive struct {
	target   dualwrite.RepairTarget
	inFlight sync.Map
	overlaps atomic.Int64
	calls    atomic.Int64
}

func (e *exclusive) RepairKey(ctx context.Context, key string, from dualwrite.Side) error {
	e.calls.Add(1)
	if _, busy := e.inFlight.LoadOrStore(key, true); busy {
		e.overlaps.Add(1)
	}
	defer e.inFlight.Delete(key)
	time.Sleep(100 * time.Microsecond)
	return e.target.RepairKey(ctx, key, from)
}

func twoTables(t *testing.T, db testDB) (old, nw *dualwrite.SQLStore[int64, string], q *dualwrite.Queue) {
	t.Helper()
	db.Exec(t, "CREATE TABLE users_old (id BIGINT PRIMARY KEY, status TEXT)")
	db.Exec(t, "CREATE TABLE users_new (id BIGINT PRIMARY KEY, status_v2 TEXT)")
	var err error
	old, err = dualwrite.NewSQLStore[int64, string](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: "users_old", KeyColumn: "id", ValueColumn: "status"})
	require.NoError(t, err)
	nw, err = dualwrite.NewSQLStore[int64, string](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: "users_new", KeyColumn: "id", ValueColumn: "status_v2"})
	require.NoError(t, err)
	q, err = dualwrite.NewQueue(db.DB, db.Dialect, "dw_repairs")
	require.NoError(t, err)
	require.NoError(t, q.CreateTable(context.Background()))
	require.NoError(t, q.CreateTable(context.Background()), "CreateTable is idempotent")
	return old, nw, q
}

func TestFaultInjectionRepair(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		old, nw, q := twoTables(t, db)
		newSide := &flaky[int64, string]{Store: nw}
		counter := &dualwrite.Counter{}
		pair, err := dualwrite.NewPair[int64, string](old, newSide, dualwrite.Config[int64, string]{
			Phase: dualwrite.Fixed(dualwrite.Shadow), OnWriteFailure: dualwrite.RecordRepair, Repairs: q, Observer: counter,
		})
		require.NoError(t, err)

		// Two repairers work the queue the whole time, as two app instances would.
		target := &exclusive{target: pair}
		rctx, stopRepairers := context.WithCancel(ctx)
		var rwg sync.WaitGroup
		for i := range 2 {
			r, err := dualwrite.NewRepairer(dualwrite.RepairerConfig{
				Queue: q, Target: target, Owner: "r" + strconv.Itoa(i), BatchSize: 20,
				Backoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxAttempts: 1000,
				Interval: 5 * time.Millisecond, Logger: quiet,
			})
			require.NoError(t, err)
			rwg.Go(func() { _ = r.Run(rctx) })
		}

		// Writers: 4 goroutines, 150 writes each over 200 keys; the new store is down for writes
		// 100..399 (counted over all writers).
		const keys = 200
		var (
			mu   sync.Mutex
			want = map[int64]string{}
			n    atomic.Int64
			wg   sync.WaitGroup
		)
		for w := range 4 {
			wg.Go(func() {
				rnd := rand.New(rand.NewPCG(uint64(w), 1))
				for range 150 {
					i := n.Add(1)
					newSide.down.Store(i >= 100 && i < 400)
					k := rnd.Int64N(keys)
					v := fmt.Sprintf("v%d", i)
					var err error
					mu.Lock()
					if rnd.IntN(20) == 0 {
						err = pair.Delete(ctx, k)
						delete(want, k)
					} else {
						err = pair.Put(ctx, k, v)
						want[k] = v
					}
					mu.Unlock()
					assert.NoError(t, err)
				}
			})
		}
		wg.Wait()
		newSide.down.Store(false)
		require.Eventually(t, func() bool {
			p, err := q.Pending(ctx)
			return err == nil && p == 0
		}, 30*time.Second, 10*time.Millisecond)
		stopRepairers()
		rwg.Wait()

		c := counter.Counts()
		assert.Positive(t, c.RepairRecorded, "the outage caused repairs")
		assert.Equal(t, c.WriteFailed, c.RepairRecorded)
		assert.Zero(t, target.overlaps.Load(), "a key was repaired by two repairers at once")
		rep, err := dualwrite.Verify[int64, string](ctx, old, nw, dualwrite.VerifyConfig[int64, string]{BatchSize: 37})
		require.NoError(t, err)
		assert.True(t, rep.OK(), rep.String())
		// No write lost: the new side holds the last write of every key.
		got := map[int64]string{}
		entries, err := nw.Scan(ctx, nil, 10*keys)
		require.NoError(t, err)
		for _, e := range entries {
			got[e.Key] = e.Value
		}
		assertSameMap(t, want, got)
		dead, err := q.DeadLetters(ctx, 10)
		require.NoError(t, err)
		assert.Empty(t, dead)
		t.Logf("write failures %d, repair calls %d, verify %s", c.WriteFailed, target.calls.Load(), rep)
	})
}

type failingTarget struct {
	fail  atomic.Bool
	calls atomic.Int64
	pair  dualwrite.RepairTarget
}

func (f *failingTarget) RepairKey(ctx context.Context, key string, from dualwrite.Side) error {
	f.calls.Add(1)
	if f.fail.Load() {
		return errDown
	}
	return f.pair.RepairKey(ctx, key, from)
}

func TestRepairBackoffDeadLetterReplay(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		old, nw, q := twoTables(t, db)
		pair, err := dualwrite.NewPair[int64, string](old, nw, dualwrite.Config[int64, string]{Phase: dualwrite.Fixed(dualwrite.Shadow)})
		require.NoError(t, err)
		require.NoError(t, old.Put(ctx, 7, "active"))
		require.NoError(t, q.Record(ctx, "7", dualwrite.SideOld))
		require.NoError(t, q.Record(ctx, "7", dualwrite.SideOld), "recording twice keeps one entry")
		target := &failingTarget{pair: pair}
		target.fail.Store(true)
		r, err := dualwrite.NewRepairer(dualwrite.RepairerConfig{
			Queue: q, Target: target, Backoff: 30 * time.Millisecond, MaxAttempts: 3, Logger: quiet,
		})
		require.NoError(t, err)

		st, err := r.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, dualwrite.RepairStats{Failed: 1}, st)
		st, err = r.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, dualwrite.RepairStats{}, st, "backoff: not due yet")
		time.Sleep(40 * time.Millisecond)
		st, err = r.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, dualwrite.RepairStats{Failed: 1}, st)
		time.Sleep(70 * time.Millisecond) // second backoff doubles to 60ms
		st, err = r.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, dualwrite.RepairStats{Dead: 1}, st)
		assert.Equal(t, int64(3), target.calls.Load())

		dead, err := q.DeadLetters(ctx, 10)
		require.NoError(t, err)
		require.Len(t, dead, 1)
		assert.Equal(t, "7", dead[0].Key)
		assert.Equal(t, dualwrite.SideOld, dead[0].From)
		assert.Equal(t, 3, dead[0].Attempts)
		assert.Contains(t, dead[0].LastError, "store down")
		pending, err := q.Pending(ctx)
		require.NoError(t, err)
		assert.Zero(t, pending)

		target.fail.Store(false)
		n, err := q.Replay(ctx, "7")
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)
		st, err = r.RunOnce(ctx)
		require.NoError(t, err)
		assert.Equal(t, dualwrite.RepairStats{Repaired: 1}, st)
		v, err := nw.Get(ctx, 7)
		require.NoError(t, err)
		assert.Equal(t, "active", v)
		n, err = q.Replay(ctx)
		require.NoError(t, err)
		assert.Zero(t, n)
	})
}

func TestRepairRecordInCallersTransaction(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		old, nw, q := twoTables(t, db)
		newSide := &flaky[int64, string]{Store: nw}
		newSide.down.Store(true)
		pair, err := dualwrite.NewPair[int64, string](old, newSide, dualwrite.Config[int64, string]{
			Phase: dualwrite.Fixed(dualwrite.DualWrite), OnWriteFailure: dualwrite.RecordRepair, Repairs: q,
		})
		require.NoError(t, err)
		if db.Kind == sqltest.MySQL {
			refusedOnMySQL(t, db, func(ctx context.Context) error { return pair.Put(ctx, 1, "active") })
			return
		}
		for _, commit := range []bool{false, true} {
			tx, err := db.DB.BeginTx(ctx, nil)
			require.NoError(t, err)
			require.NoError(t, pair.Put(dualwrite.ContextWithTx(ctx, tx), 1, "active"))
			if commit {
				require.NoError(t, tx.Commit())
			} else {
				require.NoError(t, tx.Rollback())
			}
			pending, err := q.Pending(ctx)
			require.NoError(t, err)
			_, getErr := old.Get(ctx, 1)
			if commit {
				assert.Equal(t, int64(1), pending)
				assert.NoError(t, getErr)
			} else {
				assert.Zero(t, pending, "the repair record rolls back with the caller's write")
				assert.ErrorIs(t, getErr, dualwrite.ErrNotFound)
			}
		}
	})
}

func TestQueueAndRepairerConfigErrors(t *testing.T) {
	db := openSQLite(t)
	_, err := dualwrite.NewQueue(db.DB, db.Dialect, "repairs; DROP TABLE users")
	assert.ErrorIs(t, err, dualwrite.ErrInvalidConfig)
	_, err = dualwrite.NewQueue(nil, db.Dialect, "repairs")
	assert.ErrorIs(t, err, dualwrite.ErrInvalidConfig)
	_, err = dualwrite.NewRepairer(dualwrite.RepairerConfig{})
	assert.ErrorIs(t, err, dualwrite.ErrInvalidConfig)
	q, err := dualwrite.NewQueue(db.DB, db.Dialect, "repairs")
	require.NoError(t, err)
	assert.ErrorIs(t, q.Record(context.Background(), "k", 0), dualwrite.ErrUnknownSide)
}

// slowTarget repairs every key in d, recording which it finished.
type slowTarget struct {
	d    time.Duration
	mu   sync.Mutex
	done []string
}

func (s *slowTarget) RepairKey(ctx context.Context, key string, _ dualwrite.Side) error {
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = append(s.done, key)
	return nil
}

// TestRepairerStopsAtTheLease: a batch that takes longer than its lease is
// not worked past the lease's end (another repairer may hold those keys by
// then); the keys left over are repaired by the next round.
func TestRepairerStopsAtTheLease(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		_, _, q := twoTables(t, db)
		const keys = 8
		for i := range keys {
			require.NoError(t, q.Record(ctx, strconv.Itoa(i), dualwrite.SideOld))
		}
		const lease = 200 * time.Millisecond
		target := &slowTarget{d: 50 * time.Millisecond}
		r, err := dualwrite.NewRepairer(dualwrite.RepairerConfig{
			Queue: q, Target: target, Owner: "r", BatchSize: keys, Lease: lease,
			Backoff: time.Millisecond, MaxBackoff: time.Millisecond, Logger: quiet,
		})
		require.NoError(t, err)
		st, err := r.RunOnce(ctx)
		require.NoError(t, err)
		assert.Less(t, st.Repaired, keys, "stopped at the lease (8 keys × 50ms > 200ms)")

		for range 50 {
			if n, err := q.Pending(ctx); err == nil && n == 0 {
				break
			}
			time.Sleep(lease) // the unworked keys' leases end
			_, err := r.RunOnce(ctx)
			require.NoError(t, err)
		}
		n, err := q.Pending(ctx)
		require.NoError(t, err)
		assert.Zero(t, n, "the rest is repaired by later rounds")
	})
}

// TestRepairRecordAfterDatabaseFailureInTransaction: the second write fails
// in the database itself (a constraint), inside the caller's transaction.
// PostgreSQL aborts the transaction at such an error, so without a savepoint
// around the second write the repair record, and the caller's commit, fail
// with it.
func TestRepairRecordAfterDatabaseFailureInTransaction(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		db.Exec(t, "CREATE TABLE users_old (id BIGINT PRIMARY KEY, status TEXT)")
		db.Exec(t, "CREATE TABLE users_new (id BIGINT PRIMARY KEY, status_v2 TEXT CHECK (status_v2 <> 'bad'))")
		old, err := dualwrite.NewSQLStore[int64, string](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: "users_old", KeyColumn: "id", ValueColumn: "status"})
		require.NoError(t, err)
		nw, err := dualwrite.NewSQLStore[int64, string](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: "users_new", KeyColumn: "id", ValueColumn: "status_v2"})
		require.NoError(t, err)
		q, err := dualwrite.NewQueue(db.DB, db.Dialect, "dw_repairs")
		require.NoError(t, err)
		require.NoError(t, q.CreateTable(ctx))
		pair, err := dualwrite.NewPair[int64, string](old, nw, dualwrite.Config[int64, string]{
			Phase: dualwrite.Fixed(dualwrite.DualWrite), OnWriteFailure: dualwrite.RecordRepair, Repairs: q,
		})
		require.NoError(t, err)
		if db.Kind == sqltest.MySQL {
			refusedOnMySQL(t, db, func(ctx context.Context) error { return pair.Put(ctx, 1, "bad") })
			return
		}

		tx, err := db.DB.BeginTx(ctx, nil)
		require.NoError(t, err)
		txCtx := dualwrite.ContextWithTx(ctx, tx)
		require.NoError(t, pair.Put(txCtx, 1, "bad"), "the new side's failure is recorded, not returned")
		require.NoError(t, pair.Put(txCtx, 2, "good"), "the transaction is still usable")
		require.NoError(t, tx.Commit())

		pending, err := q.Pending(ctx)
		require.NoError(t, err)
		assert.Equal(t, int64(1), pending)
		for k, want := range map[int64]string{1: "bad", 2: "good"} {
			got, err := old.Get(ctx, k)
			require.NoError(t, err)
			assert.Equal(t, want, got)
		}
		got, err := nw.Get(ctx, 2)
		require.NoError(t, err)
		assert.Equal(t, "good", got)
	})
}

// refusedOnMySQL asserts that a call needing a key's lock refuses the caller's transaction on
// MySQL, whose named locks belong to a connection and cannot be held until the caller's
// transaction ends, and that it wrote nothing.
func refusedOnMySQL(t *testing.T, db testDB, call func(ctx context.Context) error) {
	t.Helper()
	tx, err := db.DB.BeginTx(t.Context(), nil)
	require.NoError(t, err)
	assert.ErrorIs(t, call(dualwrite.ContextWithTx(t.Context(), tx)), dualwrite.ErrTxUnsupported)
	require.NoError(t, tx.Commit())
}
