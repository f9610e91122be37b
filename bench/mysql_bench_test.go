package bench_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
)

// openMySQL opens a fresh database on the MySQL or MariaDB server of GRAYKIT_TEST_MYSQL_DSN, dropped
// when b ends; without the variable the benchmark is skipped (.ci/run and bench/run.sh users set it
// to include these rows).
func openMySQL(b *testing.B) *sql.DB {
	b.Helper()
	dsn := os.Getenv("GRAYKIT_TEST_MYSQL_DSN")
	if dsn == "" {
		b.Skip("set GRAYKIT_TEST_MYSQL_DSN (e.g. root@tcp(127.0.0.1:3306)/graykit_test?parseTime=true) for the MySQL rows")
	}
	cfg, err := mysql.ParseDSN(dsn)
	require.NoError(b, err)
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	require.NoError(b, err)
	b.Cleanup(func() { _ = admin.Close() })
	var r [6]byte
	_, _ = rand.Read(r[:])
	name := "bench_" + hex.EncodeToString(r[:])
	_, err = admin.Exec("CREATE DATABASE " + name)
	require.NoError(b, err)
	b.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE IF EXISTS " + name) })
	cfg.DBName = name
	db, err := sql.Open("mysql", cfg.FormatDSN())
	require.NoError(b, err)
	b.Cleanup(func() { _ = db.Close() })
	return db
}

// BenchmarkMySQLPut is BenchmarkDualwritePut on MySQL/MariaDB: one write to the old table only,
// the two upserts by hand (each its own autocommit transaction, as most code writes them), the two
// upserts by hand in one transaction (what the Pair's all-or-nothing promise costs at the least),
// and dualwrite.Pair in the shadow phase (the two upserts in one transaction that holds the key's
// named lock: GET_LOCK before, RELEASE_LOCK after).
func BenchmarkMySQLPut(b *testing.B) {
	ctx := context.Background()
	const (
		upsertOld = "INSERT INTO users_old (id, status) VALUES (?, ?) ON DUPLICATE KEY UPDATE status = VALUES(status)"
		upsertNew = "INSERT INTO users_new (id, status_v2) VALUES (?, ?) ON DUPLICATE KEY UPDATE status_v2 = VALUES(status_v2)"
	)
	setup := func(b *testing.B) (*sql.DB, *dualwrite.Pair[int64, string]) {
		db := openMySQL(b)
		for _, q := range []string{
			"CREATE TABLE users_old (id BIGINT PRIMARY KEY, status VARCHAR(20))",
			"CREATE TABLE users_new (id BIGINT PRIMARY KEY, status_v2 VARCHAR(20))",
		} {
			_, err := db.ExecContext(ctx, q)
			require.NoError(b, err)
		}
		old, err := dualwrite.NewSQLStore[int64, string](db, dualwrite.MySQL, dualwrite.SQLStoreConfig{Table: "users_old", KeyColumn: "id", ValueColumn: "status"})
		require.NoError(b, err)
		nw, err := dualwrite.NewSQLStore[int64, string](db, dualwrite.MySQL, dualwrite.SQLStoreConfig{Table: "users_new", KeyColumn: "id", ValueColumn: "status_v2"})
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
		{"raw/both-in-tx", func(db *sql.DB, _ *dualwrite.Pair[int64, string], k int64, v string) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer func() { _ = tx.Rollback() }()
			if _, err := tx.ExecContext(ctx, upsertOld, k, v); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, upsertNew, k, v); err != nil {
				return err
			}
			return tx.Commit()
		}},
		{"dualwrite/Pair.Put", func(_ *sql.DB, pair *dualwrite.Pair[int64, string], k int64, v string) error {
			return pair.Put(ctx, k, v)
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			db, pair := setup(b)
			value := strings.Clone("active")
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

// BenchmarkMySQLBackfill is BenchmarkBackfill on MySQL/MariaDB: 200,000 rows in batches of 1,000,
// by hand (UPDATE … WHERE id BETWEEN, each batch autocommitted) and with dualwrite.Backfill
// (keyset batches, a checkpoint moved in every batch's transaction, the NULL guard), with the
// conversion in SQL and in Go. Each iteration starts from a fresh copy of the same table.
func BenchmarkMySQLBackfill(b *testing.B) {
	rows := 200_000
	if quick() {
		rows = 2_000
	}
	const (
		batch     = 1000
		statusSQL = "CASE status WHEN 1 THEN 'active' WHEN 0 THEN 'banned' END"
	)
	ctx := context.Background()
	db := openMySQL(b)
	_, err := db.ExecContext(ctx, "CREATE TABLE template (id BIGINT PRIMARY KEY, name VARCHAR(32) NOT NULL, status INTEGER, status_v2 VARCHAR(16))")
	require.NoError(b, err)
	for lo := 1; lo <= rows; lo += batch {
		var q strings.Builder
		q.WriteString("INSERT INTO template (id, name, status) VALUES ")
		args := make([]any, 0, 2*batch)
		for i := lo; i < lo+batch && i <= rows; i++ {
			if i > lo {
				q.WriteString(", ")
			}
			q.WriteString("(?, 'user', ?)")
			args = append(args, i, i%2)
		}
		_, err := db.ExecContext(ctx, q.String(), args...)
		require.NoError(b, err)
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
		return nil, dualwrite.ErrUnmappable
	}
	backfill := func(sqlExpr string, goConvert func(any) (any, error)) func() (int64, error) {
		return func() (int64, error) {
			cps, err := dualwrite.NewCheckpoints(db, dualwrite.MySQL, "dw_checkpoints")
			if err != nil {
				return 0, err
			}
			if err := cps.CreateTable(ctx); err != nil {
				return 0, err
			}
			bf, err := dualwrite.NewBackfill(dualwrite.BackfillConfig{
				DB: db, Dialect: dualwrite.MySQL, Checkpoints: cps, BatchSize: batch,
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
		run  func() (int64, error)
	}{
		{"hand-written/batched-UPDATE", func() (int64, error) {
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
				for _, q := range []string{
					"DROP TABLE IF EXISTS users", "DROP TABLE IF EXISTS dw_checkpoints",
					"CREATE TABLE users LIKE template", "INSERT INTO users SELECT * FROM template",
				} {
					_, err := db.ExecContext(ctx, q)
					require.NoError(b, err)
				}
				b.StartTimer()
				start := time.Now()
				n, err := c.run()
				elapsed += time.Since(start)
				require.NoError(b, err)
				require.Equal(b, int64(rows), n)
			}
			b.ReportMetric(float64(rows)*float64(b.N)/elapsed.Seconds(), "rows/s")
		})
	}
}

// BenchmarkMySQLRatio measures the two targets as ratios, each iteration timing the reference and
// dualwrite back to back on the same database, in alternating order, so load from other work on a
// shared machine falls on both alike:
//   - put: Pair.Put (shadow) against the two upserts by hand, autocommitted (x-both), in one
//     transaction (x-both-in-tx), and in one transaction under the key's named lock as the Pair
//     takes it (x-locked-by-hand); target: within 1.1× of the two writes by hand.
//   - backfill: Backfill in SQL mode against the hand-written batched UPDATE over 50,000 rows
//     (%hand = hand time / Backfill time × 100); target: at least 80.
func BenchmarkMySQLRatio(b *testing.B) {
	ctx := context.Background()
	b.Run("put", func(b *testing.B) {
		db := openMySQL(b)
		for _, q := range []string{
			"CREATE TABLE users_old (id BIGINT PRIMARY KEY, status VARCHAR(20))",
			"CREATE TABLE users_new (id BIGINT PRIMARY KEY, status_v2 VARCHAR(20))",
		} {
			_, err := db.ExecContext(ctx, q)
			require.NoError(b, err)
		}
		old, err := dualwrite.NewSQLStore[int64, string](db, dualwrite.MySQL, dualwrite.SQLStoreConfig{Table: "users_old", KeyColumn: "id", ValueColumn: "status"})
		require.NoError(b, err)
		nw, err := dualwrite.NewSQLStore[int64, string](db, dualwrite.MySQL, dualwrite.SQLStoreConfig{Table: "users_new", KeyColumn: "id", ValueColumn: "status_v2"})
		require.NoError(b, err)
		pair, err := dualwrite.NewPair[int64, string](old, nw, dualwrite.Config[int64, string]{Phase: dualwrite.Fixed(dualwrite.Shadow)})
		require.NoError(b, err)
		const (
			upsertOld = "INSERT INTO users_old (id, status) VALUES (?, ?) ON DUPLICATE KEY UPDATE status = VALUES(status)"
			upsertNew = "INSERT INTO users_new (id, status_v2) VALUES (?, ?) ON DUPLICATE KEY UPDATE status_v2 = VALUES(status_v2)"
		)
		both := func(k int64) error {
			if _, err := db.ExecContext(ctx, upsertOld, k, "active"); err != nil {
				return err
			}
			_, err := db.ExecContext(ctx, upsertNew, k, "active")
			return err
		}
		inTx := func(k int64) error {
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				return err
			}
			defer func() { _ = tx.Rollback() }()
			if _, err := tx.ExecContext(ctx, upsertOld, k, "active"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, upsertNew, k, "active"); err != nil {
				return err
			}
			return tx.Commit()
		}
		// What the Pair does, by hand: the key's named lock on a connection of its own, the two
		// upserts in one READ COMMITTED transaction, the lock released after the commit.
		locked := func(k int64) error {
			c, err := db.Conn(ctx)
			if err != nil {
				return err
			}
			defer c.Close()
			var got int
			name := "'bench:" + strconv.FormatInt(k, 10) + "'"
			if err := c.QueryRowContext(ctx, "SELECT GET_LOCK("+name+", 50)").Scan(&got); err != nil {
				return err
			}
			tx, err := c.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
			if err != nil {
				return err
			}
			defer func() { _ = tx.Rollback() }()
			if _, err := tx.ExecContext(ctx, upsertOld, k, "active"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, upsertNew, k, "active"); err != nil {
				return err
			}
			if err := tx.Commit(); err != nil {
				return err
			}
			return c.QueryRowContext(ctx, "SELECT RELEASE_LOCK("+name+")").Scan(&got)
		}
		put := func(k int64) error { return pair.Put(ctx, k, "active") }
		var t [4]time.Duration
		fns := [4]func(int64) error{both, inTx, locked, put}
		for i := int64(0); b.Loop(); i++ {
			for j := range fns {
				f := (int(i) + j) % len(fns) // rotate the order
				start := time.Now()
				require.NoError(b, fns[f](i%1000))
				t[f] += time.Since(start)
			}
		}
		b.ReportMetric(t[3].Seconds()/t[0].Seconds(), "x-both")
		b.ReportMetric(t[3].Seconds()/t[1].Seconds(), "x-both-in-tx")
		b.ReportMetric(t[3].Seconds()/t[2].Seconds(), "x-locked-by-hand")
	})
	b.Run("backfill", func(b *testing.B) {
		rows := 50_000
		if quick() {
			rows = 2_000
		}
		const (
			batch     = 1000
			statusSQL = "CASE status WHEN 1 THEN 'active' WHEN 0 THEN 'banned' END"
		)
		db := openMySQL(b)
		_, err := db.ExecContext(ctx, "CREATE TABLE template (id BIGINT PRIMARY KEY, name VARCHAR(32) NOT NULL, status INTEGER, status_v2 VARCHAR(16))")
		require.NoError(b, err)
		_, err = db.ExecContext(ctx, "INSERT INTO template (id, name, status) SELECT seq, 'user', seq % 2 FROM seq_1_to_"+strconv.Itoa(rows))
		if err != nil { // MySQL has no sequence engine: insert in batches
			for lo := 1; lo <= rows; lo += batch {
				var q strings.Builder
				q.WriteString("INSERT INTO template (id, name, status) VALUES ")
				for i := lo; i < lo+batch && i <= rows; i++ {
					if i > lo {
						q.WriteString(", ")
					}
					q.WriteString("(" + strconv.Itoa(i) + ", 'user', " + strconv.Itoa(i%2) + ")")
				}
				_, err := db.ExecContext(ctx, q.String())
				require.NoError(b, err)
			}
		}
		fresh := func(table string) {
			for _, q := range []string{"DROP TABLE IF EXISTS " + table, "CREATE TABLE " + table + " LIKE template", "INSERT INTO " + table + " SELECT * FROM template"} {
				_, err := db.ExecContext(ctx, q)
				require.NoError(b, err)
			}
		}
		hand := func() (int64, error) {
			var total int64
			for lo := 1; lo <= rows; lo += batch {
				res, err := db.ExecContext(ctx, "UPDATE hand SET status_v2 = "+statusSQL+
					" WHERE id BETWEEN ? AND ? AND status_v2 IS NULL", lo, lo+batch-1)
				if err != nil {
					return total, err
				}
				n, _ := res.RowsAffected()
				total += n
			}
			return total, nil
		}
		fill := func() (int64, error) {
			cps, err := dualwrite.NewCheckpoints(db, dualwrite.MySQL, "dw_checkpoints")
			if err != nil {
				return 0, err
			}
			if err := cps.CreateTable(ctx); err != nil {
				return 0, err
			}
			if err := cps.Reset(ctx, "fill.status_v2"); err != nil {
				return 0, err
			}
			bf, err := dualwrite.NewBackfill(dualwrite.BackfillConfig{
				DB: db, Dialect: dualwrite.MySQL, Checkpoints: cps, BatchSize: batch,
				Table: "fill", KeyColumn: "id", OldColumn: "status", NewColumn: "status_v2", SQL: statusSQL,
				Logger: slog.New(slog.DiscardHandler),
			})
			if err != nil {
				return 0, err
			}
			p, err := bf.Run(ctx)
			return p.Updated, err
		}
		var th, tf time.Duration
		timed := func(run func() (int64, error), acc *time.Duration) {
			start := time.Now()
			n, err := run()
			*acc += time.Since(start)
			require.NoError(b, err)
			require.Equal(b, int64(rows), n)
		}
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			fresh("hand")
			fresh("fill")
			b.StartTimer()
			if i%2 == 0 {
				timed(hand, &th)
				timed(fill, &tf)
			} else {
				timed(fill, &tf)
				timed(hand, &th)
			}
		}
		b.ReportMetric(100*th.Seconds()/tf.Seconds(), "%hand")
		b.ReportMetric(float64(rows)*float64(b.N)/tf.Seconds(), "rows/s")
		b.ReportMetric(float64(rows)*float64(b.N)/th.Seconds(), "hand-rows/s")
	})
}
