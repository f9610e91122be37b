package dualwrite_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
)

// statusScanners returns old and new scanners over users, both in the new column's terms: the old
// status converted Up, the new status_v2 converted Down and Up again, so a pending user whose old
// status is the declared fallback counts as matching.
func statusScanners(t *testing.T, db testDB, table string) (dualwrite.Scanner[int64, string], dualwrite.Scanner[int64, string]) {
	t.Helper()
	cols := statusColumns(dualwrite.Fixed(dualwrite.Shadow))
	oldS, err := dualwrite.NewSQLStore[int64, int](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: table, KeyColumn: "id", ValueColumn: "status"})
	require.NoError(t, err)
	newS, err := dualwrite.NewSQLStore[int64, string](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: table, KeyColumn: "id", ValueColumn: "status_v2"})
	require.NoError(t, err)
	up := func(o int) (string, error) { return cols.ToNew(o) }
	down := func(n string) (int, error) { return cols.ToOld(n) }
	oldV := dualwrite.Mapped[int64, string, int](oldS, down, up)
	newV := dualwrite.Mapped[int64, string, string](newS,
		func(s string) (string, error) { return s, nil },
		func(s string) (string, error) {
			o, err := cols.ToOld(s)
			if err != nil {
				return "", err
			}
			return cols.ToNew(o)
		})
	return oldV, newV
}

// writerSet runs writers that update and insert users with Columns values, old-code and new-code
// style, and remembers what each row's new column must end up as.
type writerSet struct {
	db     testDB
	cols   *dualwrite.Columns[int, string]
	mu     sync.Mutex
	want   map[int64]string
	nextID atomic.Int64
	writes atomic.Int64
	errs   chan error

	// epoch counts phase changes; seen[i] is the epoch writer i read
	// before computing the values of its last completed write. A writer
	// that computed its values just before a phase change may write them
	// after it, so "every writer made writes since" is no proof that every
	// writer writes in the new phase; seen is.
	epoch  atomic.Int64
	seen   [8]atomic.Int64
	active int // writers started by the last start
}

func (w *writerSet) run(ctx context.Context, idx int, seed uint64, lo, hi int64) {
	rnd := rand.New(rand.NewPCG(seed, 7))
	upd := w.db.Rebind("UPDATE users SET status = ?, status_v2 = ? WHERE id = ?")
	ins := w.db.Rebind("INSERT INTO users (id, name, status, status_v2) VALUES (?, 'new', ?, ?)")
	for ctx.Err() == nil {
		var (
			v   dualwrite.Values[int, string]
			err error
		)
		epoch := w.epoch.Load()
		if rnd.IntN(2) == 0 {
			v, err = w.cols.FromOld(ctx, rnd.IntN(2))
		} else {
			v, err = w.cols.FromNew(ctx, []string{"active", "banned", "pending"}[rnd.IntN(3)])
		}
		if err != nil {
			w.errs <- err
			return
		}
		id := lo + rnd.Int64N(hi-lo)
		q := upd
		args := []any{v.Old, v.New, id}
		if rnd.IntN(10) == 0 {
			id = w.nextID.Add(1)
			q, args = ins, []any{id, v.Old, v.New}
		}
		// Hold the lock across the statement so want[id] matches the order writes hit the table.
		w.mu.Lock()
		// Not ctx: a canceled statement may still have committed, which would blur want.
		_, err = w.db.DB.ExecContext(context.Background(), q, args...)
		if err == nil {
			if v.New.Valid {
				w.want[id] = v.New.V
			} else {
				w.want[id], _ = w.cols.ToNew(v.Old.V)
			}
		}
		w.mu.Unlock()
		if err != nil {
			w.errs <- err
			return
		}
		w.seen[idx].Store(epoch)
		w.writes.Add(1)
	}
}

// start runs n writers until the returned stop is called; stop returns after they finished.
func (w *writerSet) start(t *testing.T, n int, rows int64) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	w.active = n
	for i := range n {
		w.seen[i].Store(-1)
		wg.Go(func() { w.run(ctx, i, uint64(i)+uint64(time.Now().UnixNano()), 1, rows+1) })
	}
	return func() {
		cancel()
		wg.Wait()
		select {
		case err := <-w.errs:
			t.Fatalf("writer: %v", err)
		default:
		}
	}
}

// changedPhase records a phase change: writers must write in the new phase
// before waitPhase returns.
func (w *writerSet) changedPhase() { w.epoch.Add(1) }

// waitPhase waits until every running writer completed a write whose values
// it computed after the last phase change.
func (w *writerSet) waitPhase(t *testing.T) {
	t.Helper()
	want := w.epoch.Load()
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < w.active; {
		if w.seen[i].Load() >= want {
			i++
			continue
		}
		select {
		case err := <-w.errs:
			t.Fatalf("writer: %v", err)
		default:
		}
		require.True(t, time.Now().Before(deadline), "writer %d made no write in the new phase", i)
		time.Sleep(2 * time.Millisecond)
	}
}

// waitWrites waits until the writers made n more writes.
func (w *writerSet) waitWrites(t *testing.T, n int64) {
	t.Helper()
	start := w.writes.Load()
	deadline := time.Now().Add(20 * time.Second)
	for w.writes.Load() < start+n {
		select {
		case err := <-w.errs:
			t.Fatalf("writer: %v", err)
		default:
		}
		require.True(t, time.Now().Before(deadline), "writers made no progress")
		time.Sleep(2 * time.Millisecond)
	}
}

func createUsers(t *testing.T, db testDB, table string, rows int) {
	t.Helper()
	db.Exec(t, "CREATE TABLE "+table+" (id BIGINT PRIMARY KEY, name TEXT NOT NULL, status INTEGER)")
	tx, err := db.DB.Begin()
	require.NoError(t, err)
	stmt, err := tx.Prepare(db.Rebind("INSERT INTO " + table + " (id, name, status) VALUES (?, ?, ?)"))
	require.NoError(t, err)
	for i := 1; i <= rows; i++ {
		_, err := stmt.Exec(i, "user", i%2)
		require.NoError(t, err)
	}
	require.NoError(t, stmt.Close())
	require.NoError(t, tx.Commit())
}

func TestSeedMigrationEndToEnd(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		const rows = 3000
		createUsers(t, db, "users", rows)
		phase, err := dualwrite.NewSwitch(dualwrite.Off)
		require.NoError(t, err)
		w := &writerSet{db: db, cols: statusColumns(phase), want: map[int64]string{}, errs: make(chan error, 8)}
		w.nextID.Store(rows)
		for i := int64(1); i <= rows; i++ {
			w.want[i], _ = statusUp(int(i % 2))
		}

		// Expand: the new column, nullable. Off: old code only, the new column stays NULL.
		db.Exec(t, "ALTER TABLE users ADD COLUMN status_v2 VARCHAR(16)")
		stop := w.start(t, 3, rows)
		w.waitWrites(t, 50)

		// Dual-write, and once every writer writes both columns, backfill while they keep writing.
		require.NoError(t, phase.Set(dualwrite.DualWrite))
		w.changedPhase()
		w.waitPhase(t)
		w.waitWrites(t, 50)
		cps, err := dualwrite.NewCheckpoints(db.DB, db.Dialect, "dw_checkpoints")
		require.NoError(t, err)
		require.NoError(t, cps.CreateTable(ctx))
		bf, err := dualwrite.NewBackfill(dualwrite.BackfillConfig{
			DB: db.DB, Dialect: db.Dialect, Checkpoints: cps,
			Table: "users", KeyColumn: "id", OldColumn: "status", NewColumn: "status_v2",
			Convert: statusColumns(phase).Convert, BatchSize: 200,
		})
		require.NoError(t, err)
		prog, err := bf.Run(ctx)
		require.NoError(t, err)
		assert.True(t, prog.Finished)
		stop()

		oldS, newS := statusScanners(t, db, "users")
		rep, err := dualwrite.Verify(ctx, oldS, newS, dualwrite.VerifyConfig[int64, string]{})
		require.NoError(t, err)
		assert.True(t, rep.OK(), "after backfill: %s %v %v", rep, rep.MismatchedKeys, rep.MissingNewKeys)
		assert.GreaterOrEqual(t, rep.Matched, int64(rows))

		// Shadow, then live (switch reads), with writers going on.
		for _, p := range []dualwrite.Phase{dualwrite.Shadow, dualwrite.Live, dualwrite.RampDown} {
			require.NoError(t, phase.Set(p))
			stop = w.start(t, 2, rows)
			w.waitWrites(t, 100)
			stop()
			rep, err = dualwrite.Verify(ctx, oldS, newS, dualwrite.VerifyConfig[int64, string]{})
			require.NoError(t, err)
			assert.True(t, rep.OK(), "in %s: %s", p, rep)
		}

		// Reads: a pending user reads pending once reads moved to the new column.
		db.Exec(t, "UPDATE users SET status = 0, status_v2 = 'pending' WHERE id = 1")
		w.want[1] = "pending"
		var o sql.Null[int]
		var n sql.Null[string]
		require.NoError(t, db.DB.QueryRow(db.Rebind("SELECT status, status_v2 FROM users WHERE id = ?"), 1).Scan(&o, &n))
		got, err := statusColumns(dualwrite.Fixed(dualwrite.Live)).ReadNew(ctx, o, n)
		require.NoError(t, err)
		assert.Equal(t, "pending", got)
		got, err = statusColumns(dualwrite.Fixed(dualwrite.Shadow)).ReadNew(ctx, o, n)
		require.NoError(t, err)
		assert.Equal(t, "banned", got, "before the switch the old column is the truth")

		// Complete, then contract: drop the old column. Writers still work without it.
		require.NoError(t, phase.Set(dualwrite.Complete))
		db.Exec(t, "ALTER TABLE users DROP COLUMN status")
		v, err := w.cols.FromNew(ctx, "active")
		require.NoError(t, err)
		assert.False(t, v.Old.Valid)
		db.Exec(t, "UPDATE users SET status_v2 = ? WHERE id = 2", v.New)
		w.want[2] = "active"

		// No write was lost: every row holds the last value written to it.
		final := map[int64]string{}
		rs, err := db.DB.Query("SELECT id, status_v2 FROM users")
		require.NoError(t, err)
		for rs.Next() {
			var id int64
			var s sql.NullString
			require.NoError(t, rs.Scan(&id, &s))
			require.True(t, s.Valid, "row %d has no status_v2", id)
			final[id] = s.String
		}
		require.NoError(t, rs.Err())
		require.NoError(t, rs.Close())
		assertSameMap(t, w.want, final)
		t.Logf("%d writes by concurrent writers; %d rows", w.writes.Load(), len(final))
	})
}

// assertSameMap reports up to 10 differences instead of printing whole maps.
func assertSameMap[K comparable, V comparable](t *testing.T, want, got map[K]V) {
	t.Helper()
	var diffs []string
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			diffs = append(diffs, fmt.Sprintf("%v: want %v, got %v (present %v)", k, v, g, ok))
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			diffs = append(diffs, fmt.Sprintf("%v: unexpected %v", k, v))
		}
	}
	if len(diffs) > 10 {
		diffs = diffs[:10]
	}
	assert.Empty(t, diffs, "%d want, %d got", len(want), len(got))
}
