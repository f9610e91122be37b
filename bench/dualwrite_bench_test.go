package bench_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // driver "sqlite"

	"github.com/graykit/graykit/dualwrite"
)

// openSQLite opens a database file in a fresh temporary directory, with the
// settings dualwrite's own tests use.
func openSQLite(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// BenchmarkDualwritePut compares one write of a value as an application does
// it during a migration: to the old table only (before), to both tables by
// hand (two upserts), and through a dualwrite.Pair in the shadow phase (the
// same two upserts, in the phase's order, in one transaction that holds the
// key's lock, with the failure policy). Each row gets a fresh SQLite database.
func BenchmarkDualwritePut(b *testing.B) {
	ctx := context.Background()
	const (
		upsertOld = "INSERT INTO users_old (id, status) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status"
		upsertNew = "INSERT INTO users_new (id, status_v2) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET status_v2 = excluded.status_v2"
	)
	setup := func(b *testing.B) (*sql.DB, *dualwrite.Pair[int64, string]) {
		db := openSQLite(b, filepath.Join(b.TempDir(), "put.db"))
		for _, q := range []string{
			"CREATE TABLE users_old (id BIGINT PRIMARY KEY, status TEXT)",
			"CREATE TABLE users_new (id BIGINT PRIMARY KEY, status_v2 TEXT)",
		} {
			_, err := db.ExecContext(ctx, q)
			require.NoError(b, err)
		}
		old, err := dualwrite.NewSQLStore[int64, string](db, dualwrite.SQLite, dualwrite.SQLStoreConfig{Table: "users_old", KeyColumn: "id", ValueColumn: "status"})
		require.NoError(b, err)
		nw, err := dualwrite.NewSQLStore[int64, string](db, dualwrite.SQLite, dualwrite.SQLStoreConfig{Table: "users_new", KeyColumn: "id", ValueColumn: "status_v2"})
		require.NoError(b, err)
		pair, err := dualwrite.NewPair[int64, string](old, nw, dualwrite.Config[int64, string]{Phase: dualwrite.Fixed(dualwrite.Shadow)})
		require.NoError(b, err)
		return db, pair
	}
	cases := []struct {
		name string
		put  func(db *sql.DB, pair *dualwrite.Pair[int64, string], k int64, v string) error
	}{
		{"raw/old-only", func(db *sql.DB, _ *dualwrite.Pair[int64, string], k int64, v string) error {
			_, err := db.ExecContext(ctx, upsertOld, k, v)
			return err
		}},
		{"raw/both", func(db *sql.DB, _ *dualwrite.Pair[int64, string], k int64, v string) error {
			if _, err := db.ExecContext(ctx, upsertOld, k, v); err != nil {
				return err
			}
			_, err := db.ExecContext(ctx, upsertNew, k, v)
			return err
		}},
		{"dualwrite/Pair.Put", func(_ *sql.DB, pair *dualwrite.Pair[int64, string], k int64, v string) error {
			return pair.Put(ctx, k, v)
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			db, pair := setup(b)
			value := strings.Clone("active") // not a constant: every row passes a runtime string
			b.ReportAllocs()
			var err error
			for i := int64(0); b.Loop(); i++ {
				if err = c.put(db, pair, i%1000, value); err != nil {
					break
				}
			}
			require.NoError(b, err)
		})
	}
}

// BenchmarkBackfill fills a new column from an old one over a whole SQLite
// table, in batches of 1,000 rows: by hand (UPDATE … WHERE id BETWEEN, the
// loop a migration script would hold), and with dualwrite.Backfill, which adds
// keyset pagination, a checkpoint committed with every batch and the "new
// column still NULL" guard, with the conversion in SQL and in Go. Each
// iteration starts from a copy of the same table; rows/s is the figure to
// compare.
func BenchmarkBackfill(b *testing.B) {
	rows := 200_000
	if quick() {
		rows = 2_000
	}
	const (
		batch     = 1000
		statusSQL = "CASE status WHEN 1 THEN 'active' WHEN 0 THEN 'banned' END"
	)
	ctx := context.Background()
	template := filepath.Join(b.TempDir(), "template.db")
	{
		db := openSQLite(b, template)
		_, err := db.ExecContext(ctx, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, status INTEGER, status_v2 VARCHAR(16))")
		require.NoError(b, err)
		_, err = db.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
			INSERT INTO users (id, name, status) SELECT i, 'user', i % 2 FROM n`, rows)
		require.NoError(b, err)
		_, err = db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		require.NoError(b, err)
		require.NoError(b, db.Close())
	}
	convert := func(old any) (any, error) {
		switch old {
		case int64(1):
			return "active", nil
		case int64(0):
			return "banned", nil
		case nil:
			return nil, nil
		}
		return nil, fmt.Errorf("status %v has no equivalent: %w", old, dualwrite.ErrUnmappable)
	}
	backfill := func(sqlExpr string, goConvert func(any) (any, error)) func(*sql.DB) (int64, error) {
		return func(db *sql.DB) (int64, error) {
			cps, err := dualwrite.NewCheckpoints(db, dualwrite.SQLite, "dw_checkpoints")
			if err != nil {
				return 0, err
			}
			if err := cps.CreateTable(ctx); err != nil {
				return 0, err
			}
			bf, err := dualwrite.NewBackfill(dualwrite.BackfillConfig{
				DB: db, Dialect: dualwrite.SQLite, Checkpoints: cps, BatchSize: batch,
				Table: "users", KeyColumn: "id", OldColumn: "status", NewColumn: "status_v2",
				SQL: sqlExpr, Convert: goConvert,
				Logger: slog.New(slog.DiscardHandler),
			})
			if err != nil {
				return 0, err
			}
			p, err := bf.Run(ctx)
			return p.Updated, err
		}
	}
	cases := []struct {
		name string
		run  func(*sql.DB) (int64, error)
	}{
		{"hand-written/batched-UPDATE", func(db *sql.DB) (int64, error) {
			var total int64
			for lo := 1; lo <= rows; lo += batch {
				res, err := db.ExecContext(ctx, "UPDATE users SET status_v2 = "+statusSQL+
					" WHERE id BETWEEN ? AND ? AND status_v2 IS NULL", lo, lo+batch-1)
				if err != nil {
					return total, err
				}
				n, err := res.RowsAffected()
				if err != nil {
					return total, err
				}
				total += n
			}
			return total, nil
		}},
		{"dualwrite/Backfill/sql", backfill(statusSQL, nil)},
		{"dualwrite/Backfill/go", backfill("", convert)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var elapsed time.Duration
			for b.Loop() {
				b.StopTimer()
				path := filepath.Join(b.TempDir(), "run.db")
				copyFile(b, template, path)
				db := openSQLite(b, path)
				b.StartTimer()
				start := time.Now()
				n, err := c.run(db)
				elapsed += time.Since(start)
				require.NoError(b, err)
				require.Equal(b, int64(rows), n)
			}
			b.ReportMetric(float64(rows)*float64(b.N)/elapsed.Seconds(), "rows/s")
		})
	}
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	in, err := os.Open(from)
	require.NoError(tb, err)
	defer in.Close()
	out, err := os.Create(to)
	require.NoError(tb, err)
	_, err = io.Copy(out, in)
	require.NoError(tb, err)
	require.NoError(tb, out.Close())
}
