package dualwrite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
)

func newBackfill(t *testing.T, db testDB, table string, mode string, batch int, progress func(dualwrite.Progress)) *dualwrite.Backfill {
	t.Helper()
	cps, err := dualwrite.NewCheckpoints(db.DB, db.Dialect, "dw_checkpoints")
	require.NoError(t, err)
	require.NoError(t, cps.CreateTable(context.Background()))
	cfg := dualwrite.BackfillConfig{
		DB: db.DB, Dialect: db.Dialect, Checkpoints: cps,
		Table: table, KeyColumn: "id", OldColumn: "status", NewColumn: "status_v2",
		BatchSize: batch, Progress: progress, Logger: quiet,
	}
	if mode == "sql" {
		cfg.SQL = statusSQL
	} else {
		cfg.Convert = statusColumns(dualwrite.Fixed(dualwrite.DualWrite)).Convert
	}
	bf, err := dualwrite.NewBackfill(cfg)
	require.NoError(t, err)
	return bf
}

func readStatusV2(t *testing.T, db testDB, table string) map[int64]string {
	t.Helper()
	rows, err := db.DB.Query("SELECT id, status_v2 FROM " + table)
	require.NoError(t, err)
	defer rows.Close()
	out := map[int64]string{}
	for rows.Next() {
		var id int64
		var v sql.NullString
		require.NoError(t, rows.Scan(&id, &v))
		out[id] = v.String
	}
	require.NoError(t, rows.Err())
	return out
}

func TestBackfillResumesAfterKill(t *testing.T) {
	for _, mode := range []string{"sql", "go"} {
		t.Run(mode, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db testDB) {
				ctx := context.Background()
				const rows, batch = 4000, 100
				for _, table := range []string{"users_ref", "users"} {
					createUsers(t, db, table, rows)
					db.Exec(t, "ALTER TABLE "+table+" ADD COLUMN status_v2 VARCHAR(16)")
				}
				// Reference: an uninterrupted run on an identical table.
				ref := newBackfill(t, db, "users_ref", mode, batch, nil)
				p, err := ref.Run(ctx)
				require.NoError(t, err)
				require.True(t, p.Finished)
				assert.Equal(t, int64(rows), p.Done)
				assert.Equal(t, int64(rows), p.Updated)
				want := readStatusV2(t, db, "users_ref")

				// Concurrent dual writes: a pending user (status 0 → status_v2 pending) that a
				// backfill would turn into "banned" if it ever overwrote it.
				wctx, stopWriter := context.WithCancel(ctx)
				defer stopWriter()
				var (
					wg      sync.WaitGroup
					mu      sync.Mutex
					written = map[int64]bool{}
					werr    error
				)
				wg.Go(func() {
					rnd := rand.New(rand.NewPCG(1, 2))
					upd := db.Rebind("UPDATE users SET status = 0, status_v2 = 'pending' WHERE id = ?")
					for wctx.Err() == nil {
						id := 1 + rnd.Int64N(rows)
						if _, err := db.DB.ExecContext(context.Background(), upd, id); err != nil {
							werr = err
							return
						}
						mu.Lock()
						written[id] = true
						mu.Unlock()
						time.Sleep(200 * time.Microsecond)
					}
				})

				// Kill the backfill after 10 batches.
				kctx, kill := context.WithCancel(ctx)
				var batches atomic.Int64
				first := newBackfill(t, db, "users", mode, batch, func(dualwrite.Progress) {
					if batches.Add(1) == 10 {
						kill()
					}
				})
				p1, err := first.Run(kctx)
				require.ErrorIs(t, err, context.Canceled)
				assert.False(t, p1.Finished)
				assert.Equal(t, int64(10*batch), p1.Done)

				var starts []int64
				second := newBackfill(t, db, "users", mode, batch, func(p dualwrite.Progress) { starts = append(starts, p.Done) })
				p2, err := second.Run(ctx)
				require.NoError(t, err)
				stopWriter()
				wg.Wait()
				require.NoError(t, werr)
				assert.True(t, p2.Finished)
				assert.Equal(t, int64(11*batch), starts[0], "the second run resumed after the checkpoint")
				assert.Equal(t, int64(rows), p2.Done, "every row walked exactly once over both runs")
				assert.Positive(t, p2.Rate)

				got := readStatusV2(t, db, "users")
				mu.Lock()
				defer mu.Unlock()
				require.NotEmpty(t, written)
				for id := range written {
					assert.Equal(t, "pending", got[id], "row %d: backfill overwrote a dual write", id)
					want[id] = "pending"
				}
				assertSameMap(t, want, got)

				// Running a finished backfill again does nothing.
				p3, err := newBackfill(t, db, "users", mode, batch, nil).Run(ctx)
				require.NoError(t, err)
				assert.True(t, p3.Finished)
				assert.Zero(t, p3.Updated)
			})
		})
	}
}

func TestBackfillThrottleAndPause(t *testing.T) {
	db := openSQLite(t)
	ctx := context.Background()
	createUsers(t, db, "users", 500)
	db.Exec(t, "ALTER TABLE users ADD COLUMN status_v2 VARCHAR(16)")
	cps, err := dualwrite.NewCheckpoints(db.DB, db.Dialect, "cp")
	require.NoError(t, err)
	require.NoError(t, cps.CreateTable(ctx))
	var pauses atomic.Int64
	var last dualwrite.Progress
	bf, err := dualwrite.NewBackfill(dualwrite.BackfillConfig{
		DB: db.DB, Dialect: db.Dialect, Checkpoints: cps, Name: "throttled",
		Table: "users", KeyColumn: "id", OldColumn: "status", NewColumn: "status_v2", SQL: statusSQL,
		BatchSize: 100, RowsPerSecond: 2500, Logger: quiet,
		Pause: func(context.Context) (time.Duration, error) {
			if pauses.Add(1) == 2 {
				return 30 * time.Millisecond, nil // e.g. replica lag: wait, then ask again
			}
			return 0, nil
		},
		Progress: func(p dualwrite.Progress) { last = p },
	})
	require.NoError(t, err)
	start := time.Now()
	p, err := bf.Run(ctx)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond, "500 rows at 2500 rows/s take at least ~0.16s")
	assert.Equal(t, int64(7), pauses.Load(), "asked before each of 6 batches, twice before the paused one")
	assert.Equal(t, p, last)
	assert.Equal(t, int64(500), last.Total)
	cp, ok, err := cps.Get(ctx, "throttled")
	require.NoError(t, err)
	require.True(t, ok)
	assert.True(t, cp.Finished)
	assert.Equal(t, int64(500), cp.LastKey)

	require.NoError(t, cps.Reset(ctx, "throttled"))
	stop := errors.New("replica lag too high")
	bf2, err := dualwrite.NewBackfill(dualwrite.BackfillConfig{
		DB: db.DB, Dialect: db.Dialect, Checkpoints: cps, Name: "throttled",
		Table: "users", KeyColumn: "id", OldColumn: "status", NewColumn: "status_v2", SQL: statusSQL, Logger: quiet,
		Pause: func(context.Context) (time.Duration, error) { return 0, stop },
	})
	require.NoError(t, err)
	_, err = bf2.Run(ctx)
	assert.ErrorIs(t, err, stop)
}

func TestBackfillConvertErrorStops(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		createUsers(t, db, "users", 10)
		db.Exec(t, "ALTER TABLE users ADD COLUMN status_v2 VARCHAR(16)")
		db.Exec(t, "UPDATE users SET status = 7 WHERE id = 5")
		cps, err := dualwrite.NewCheckpoints(db.DB, db.Dialect, "cp")
		require.NoError(t, err)
		require.NoError(t, cps.CreateTable(ctx))
		cols := statusColumns(dualwrite.Fixed(dualwrite.DualWrite))
		cols.OnUnmappable = dualwrite.FailUnmappable
		bf, err := dualwrite.NewBackfill(dualwrite.BackfillConfig{
			DB: db.DB, Dialect: db.Dialect, Checkpoints: cps, BatchSize: 3, Logger: quiet,
			Table: "users", KeyColumn: "id", OldColumn: "status", NewColumn: "status_v2", Convert: cols.Convert,
		})
		require.NoError(t, err)
		p, err := bf.Run(ctx)
		var ce *dualwrite.ConvertError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "5", ce.Key)
		assert.ErrorIs(t, err, dualwrite.ErrUnmappable)
		assert.Equal(t, 1, strings.Count(err.Error(), "convert"), "wrapped once: %v", err)
		assert.Equal(t, int64(3), p.Done, "the batch with the bad row rolled back")
		got := readStatusV2(t, db, "users")
		assert.Equal(t, "", got[4], "no silent wrong value")
	})
}

func TestNewBackfillErrors(t *testing.T) {
	db := openSQLite(t)
	cps, err := dualwrite.NewCheckpoints(db.DB, db.Dialect, "cp")
	require.NoError(t, err)
	base := dualwrite.BackfillConfig{DB: db.DB, Dialect: db.Dialect, Checkpoints: cps,
		Table: "users", KeyColumn: "id", OldColumn: "status", NewColumn: "status_v2", SQL: statusSQL}
	tests := []struct {
		name string
		give func(c *dualwrite.BackfillConfig)
	}{
		{"bad table name", func(c *dualwrite.BackfillConfig) { c.Table = "users where 1=1" }},
		{"both conversions", func(c *dualwrite.BackfillConfig) { c.Convert = func(any) (any, error) { return nil, nil } }},
		{"no conversion", func(c *dualwrite.BackfillConfig) { c.SQL = "" }},
		{"negative batch", func(c *dualwrite.BackfillConfig) { c.BatchSize = -1 }},
		{"no checkpoints", func(c *dualwrite.BackfillConfig) { c.Checkpoints = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.give(&cfg)
			_, err := dualwrite.NewBackfill(cfg)
			assert.ErrorIs(t, err, dualwrite.ErrInvalidConfig)
		})
	}
}

func TestBackfillConcurrentRunners(t *testing.T) {
	for _, mode := range []string{"sql", "go"} {
		t.Run(mode, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db testDB) {
				ctx := context.Background()
				const rows, batch = 3000, 37
				createUsers(t, db, "users", rows)
				db.Exec(t, "ALTER TABLE users ADD COLUMN status_v2 VARCHAR(16)")
				// Dual writes that must survive, and rows without an old value that stay unset.
				db.Exec(t, "UPDATE users SET status_v2 = 'pending' WHERE id % 7 = 0")
				db.Exec(t, "UPDATE users SET status = NULL WHERE id % 11 = 0 AND id % 7 <> 0")
				want := map[int64]string{}
				for id := int64(1); id <= rows; id++ {
					switch {
					case id%7 == 0:
						want[id] = "pending"
					case id%11 == 0:
						want[id] = ""
					default:
						want[id], _ = statusUp(int(id % 2))
					}
				}

				var (
					wg      sync.WaitGroup
					results [2]dualwrite.Progress
					errs    [2]error
				)
				for i := range results {
					bf := newBackfill(t, db, "users", mode, batch, nil)
					wg.Go(func() { results[i], errs[i] = bf.Run(ctx) })
				}
				wg.Wait()
				for i := range results {
					require.NoError(t, errs[i])
					assert.True(t, results[i].Finished)
					assert.Equal(t, int64(rows), results[i].Done)
				}
				assert.Equal(t, int64(len(want)-rows/7-(rows/11-rows/77)), results[0].Updated+results[1].Updated,
					"every unset row written by exactly one runner")
				cps, err := dualwrite.NewCheckpoints(db.DB, db.Dialect, "dw_checkpoints")
				require.NoError(t, err)
				cp, ok, err := cps.Get(ctx, "users.status_v2")
				require.NoError(t, err)
				require.True(t, ok)
				assert.True(t, cp.Finished)
				assert.Equal(t, int64(rows), cp.Done, "every batch counted once")
				assert.Equal(t, int64(rows), cp.LastKey)
				assertSameMap(t, want, readStatusV2(t, db, "users"))
			})
		})
	}
}

func TestBackfillTextKeys(t *testing.T) {
	for _, mode := range []string{"sql", "go"} {
		t.Run(mode, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db testDB) {
				ctx := context.Background()
				db.Exec(t, "CREATE TABLE accounts (id VARCHAR(16) PRIMARY KEY, status INTEGER, status_v2 VARCHAR(16))")
				want := map[string]string{}
				for i := 1; i <= 300; i++ {
					id := fmt.Sprintf("acct-%04d", i)
					db.Exec(t, "INSERT INTO accounts (id, status) VALUES (?, ?)", id, i%2)
					want[id], _ = statusUp(i % 2)
				}
				bf := newBackfill(t, db, "accounts", mode, 64, nil)
				p, err := bf.Run(ctx)
				require.NoError(t, err)
				assert.True(t, p.Finished)
				assert.Equal(t, int64(300), p.Updated)
				cps, err := dualwrite.NewCheckpoints(db.DB, db.Dialect, "dw_checkpoints")
				require.NoError(t, err)
				cp, _, err := cps.Get(ctx, "accounts.status_v2")
				require.NoError(t, err)
				assert.Equal(t, "acct-0300", cp.LastKey)

				rows, err := db.DB.Query("SELECT id, status_v2 FROM accounts")
				require.NoError(t, err)
				defer rows.Close()
				got := map[string]string{}
				for rows.Next() {
					var id, v string
					require.NoError(t, rows.Scan(&id, &v))
					got[id] = v
				}
				require.NoError(t, rows.Err())
				assertSameMap(t, want, got)
			})
		})
	}
}

// TestBackfillNeverWritesAStaleConversion: a Go-mode backfill reads a batch, and while it converts,
// a writer in phase off changes the old column and sets the new one to NULL. The backfill must not
// write the conversion of the value it read over that.
func TestBackfillNeverWritesAStaleConversion(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		ctx := context.Background()
		createUsers(t, db, "users", 10) // user 1: status 1 (active)
		db.Exec(t, "ALTER TABLE users ADD COLUMN status_v2 VARCHAR(16)")
		cps, err := dualwrite.NewCheckpoints(db.DB, db.Dialect, "dw_checkpoints")
		require.NoError(t, err)
		require.NoError(t, cps.CreateTable(ctx))
		off := statusColumns(dualwrite.Fixed(dualwrite.Off))
		var (
			once            sync.Once
			paused, resumed = make(chan struct{}), make(chan struct{})
		)
		bf, err := dualwrite.NewBackfill(dualwrite.BackfillConfig{
			DB: db.DB, Dialect: db.Dialect, Checkpoints: cps, BatchSize: 5, Logger: quiet,
			Table: "users", KeyColumn: "id", OldColumn: "status", NewColumn: "status_v2",
			Convert: func(old any) (any, error) {
				once.Do(func() { close(paused); <-resumed })
				return off.Convert(old)
			},
		})
		require.NoError(t, err)
		done := make(chan error, 1)
		go func() { _, err := bf.Run(ctx); done <- err }()
		<-paused

		// Old code bans user 1 meanwhile; in phase off the new column is set to NULL.
		v, err := off.FromOld(ctx, 0)
		require.NoError(t, err)
		imp := db.Impatient(t)
		ban := "UPDATE users SET status = ?, status_v2 = ? WHERE id = 1"
		_, werr := imp.DB.ExecContext(ctx, imp.Rebind(ban), v.Old, v.New)
		close(resumed)
		require.NoError(t, <-done)
		if werr != nil {
			db.Exec(t, ban, v.Old, v.New) // SQLite: the batch held the database; the ban goes in after it
		}

		var (
			o sql.Null[int]
			n sql.Null[string]
		)
		require.NoError(t, db.DB.QueryRowContext(ctx, db.Rebind("SELECT status, status_v2 FROM users WHERE id = ?"), 1).Scan(&o, &n))
		got, err := statusColumns(dualwrite.Fixed(dualwrite.Live)).ReadNew(ctx, o, n)
		require.NoError(t, err)
		assert.Equal(t, "banned", got, "a live read of the banned user (status=%v status_v2=%v)", o, n)
	})
}
