// Command dualwrite runs the users.status (int 0/1) → users.status_v2 (varchar
// active/banned/pending) migration end to end, printing a short report of each phase: expand,
// dual-write, backfill, verify, shadow, live (switch reads), ramp-down, complete and contract.
//
// By default it runs on an embedded SQLite file. Given a DSN (-dsn, or GRAYKIT_EXAMPLE_DSN) it runs
// on that database instead, in tables named graykit_example_*, which it drops at the end:
//
//	go run ./examples/dualwrite -dsn 'postgres://user@127.0.0.1:5432/app?sslmode=disable'
//	go run ./examples/dualwrite -dsn 'root@tcp(127.0.0.1:3306)/app?parseTime=true'   # MySQL or MariaDB
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "github.com/go-sql-driver/mysql" // driver "mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	_ "modernc.org/sqlite"             // driver "sqlite"

	"github.com/graykit/graykit/dualwrite"
)

func main() {
	dsn := flag.String("dsn", os.Getenv("GRAYKIT_EXAMPLE_DSN"),
		"database to run on: postgres://… (PostgreSQL), user@tcp(host:port)/db (MySQL/MariaDB); empty: a temporary SQLite file")
	flag.Parse()
	if err := run(os.Stdout, *dsn, "graykit_example_"); err != nil {
		fmt.Fprintln(os.Stderr, "dualwrite example:", err)
		os.Exit(1)
	}
}

// open opens dsn with the driver and dialect its form names, or a temporary SQLite file when it
// is empty; done closes it and removes what it created.
func open(dsn string) (db *sql.DB, d dualwrite.Dialect, done func(), err error) {
	driver := "sqlite"
	d = dualwrite.SQLite
	var dir string
	switch {
	case dsn == "":
		if dir, err = os.MkdirTemp("", "graykit-dualwrite-"); err != nil {
			return nil, 0, nil, err
		}
		dsn = "file:" + filepath.Join(dir, "app.db") + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		driver, d = "pgx", dualwrite.Postgres
	case strings.Contains(dsn, "@tcp("), strings.Contains(dsn, "@unix("), strings.HasPrefix(dsn, "mysql:"):
		driver, d = "mysql", dualwrite.MySQL
		dsn = strings.TrimPrefix(dsn, "mysql:")
	default:
		return nil, 0, nil, fmt.Errorf("dsn %q: want postgres://…, user@tcp(host:port)/db or nothing", dsn)
	}
	if db, err = sql.Open(driver, dsn); err != nil {
		return nil, 0, nil, err
	}
	return db, d, func() {
		_ = db.Close()
		if dir != "" {
			_ = os.RemoveAll(dir)
		}
	}, nil
}

// rebind turns ? placeholders into $n for PostgreSQL.
func rebind(d dualwrite.Dialect, q string) string {
	if d != dualwrite.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func statusUp(s int) (string, error) {
	switch s {
	case 1:
		return "active", nil
	case 0:
		return "banned", nil
	}
	return "", fmt.Errorf("status %d: %w", s, dualwrite.ErrUnmappable)
}

func statusDown(s string) (int, error) {
	switch s {
	case "active":
		return 1, nil
	case "banned":
		return 0, nil
	}
	return 0, fmt.Errorf("status_v2 %q: %w", s, dualwrite.ErrUnmappable) // pending has no old value
}

// StatusColumns is the status → status_v2 migration helper, for use by any code that writes users.
func StatusColumns(phase dualwrite.Phaser) *dualwrite.Columns[int, string] {
	return &dualwrite.Columns[int, string]{
		Phase: phase, Up: statusUp, Down: statusDown,
		OnUnmappable: dualwrite.UseFallback, OldFallback: 0, // old code sees pending users as not active
	}
}

// run runs the migration on dsn (see open) in tables whose names start with prefix.
func run(w io.Writer, dsn, prefix string) (err error) {
	ctx := context.Background()
	db, d, done, err := open(dsn)
	if err != nil {
		return err
	}
	defer done()
	users, cpTable := prefix+"users", prefix+"checkpoints"
	// Statements name the users table as "users" and use ? placeholders.
	exec := func(q string, args ...any) error {
		_, err := db.ExecContext(ctx, rebind(d, strings.ReplaceAll(q, "users", users)), args...)
		return err
	}
	drop := func() (err error) {
		for _, t := range []string{users, cpTable} {
			_, e := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+t)
			err = errors.Join(err, e)
		}
		return err
	}
	if err := drop(); err != nil {
		return err
	}
	defer func() { err = errors.Join(err, drop()) }()

	const n = 10000
	if err := exec("CREATE TABLE users (id BIGINT PRIMARY KEY, name VARCHAR(64) NOT NULL, status INTEGER)"); err != nil {
		return err
	}
	if err := insertUsers(ctx, db, d, users, n); err != nil {
		return err
	}
	fmt.Fprintf(w, "off:        %d users with status 0/1\n", n)

	phase, _ := dualwrite.NewSwitch(dualwrite.Off)
	cols := StatusColumns(phase)
	write := func(id int64, v dualwrite.Values[int, string]) error {
		return exec("UPDATE users SET status = ?, status_v2 = ? WHERE id = ?", v.Old, v.New, id)
	}

	// Expand: add the new column, nullable, so old code keeps working.
	if err := exec("ALTER TABLE users ADD COLUMN status_v2 VARCHAR(16)"); err != nil {
		return err
	}
	fmt.Fprintln(w, "expand:     added users.status_v2 (NULL)")

	// Dual-write: every write sets both columns in one statement.
	if err := phase.Set(dualwrite.DualWrite); err != nil {
		return err
	}
	v2, err := cols.FromOld(ctx, 1) // old code activates user 2
	if err != nil {
		return err
	}
	if err := write(2, v2); err != nil {
		return err
	}
	v, err := cols.FromNew(ctx, "pending") // new code marks user 3 pending
	if err != nil {
		return err
	}
	if err := write(3, v); err != nil {
		return err
	}
	fmt.Fprintf(w, "dual-write: user 2 → status=%d status_v2=%s; user 3 → status=%d status_v2=%s\n", v2.Old.V, v2.New.V, v.Old.V, v.New.V)

	// Backfill the history; rows a dual write already set are left alone.
	cps, err := dualwrite.NewCheckpoints(db, d, cpTable)
	if err != nil {
		return err
	}
	if err := cps.CreateTable(ctx); err != nil {
		return err
	}
	bf, err := dualwrite.NewBackfill(dualwrite.BackfillConfig{
		DB: db, Dialect: d, Checkpoints: cps,
		Table: users, KeyColumn: "id", OldColumn: "status", NewColumn: "status_v2",
		Convert: cols.Convert, BatchSize: 1000, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return err
	}
	p, err := bf.Run(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "backfill:   walked %d rows, wrote %d, finished=%v\n", p.Done, p.Updated, p.Finished)

	// Verify, comparing in old terms (pending counts as its declared fallback).
	rep, err := verify(ctx, db, d, users, cols)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "verify:     %s\n", rep)
	if !rep.OK() {
		return fmt.Errorf("verify found differences: %s", rep)
	}

	// Shadow, then live: reads move to the new column.
	read := func(id int64) (string, error) {
		var o sql.Null[int]
		var n sql.Null[string]
		if err := db.QueryRowContext(ctx, rebind(d, "SELECT status, status_v2 FROM "+users+" WHERE id = ?"), id).Scan(&o, &n); err != nil {
			return "", err
		}
		return cols.ReadNew(ctx, o, n)
	}
	for _, ph := range []dualwrite.Phase{dualwrite.Shadow, dualwrite.Live, dualwrite.RampDown} {
		if err := phase.Set(ph); err != nil {
			return err
		}
		got, err := read(3)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-11s user 3 reads %q\n", string(ph)+":", got)
	}

	// Complete and contract: drop the old column.
	if err := phase.Set(dualwrite.Complete); err != nil {
		return err
	}
	if err := exec("ALTER TABLE users DROP COLUMN status"); err != nil {
		return err
	}
	v, err = cols.FromNew(ctx, "banned")
	if err != nil {
		return err
	}
	if err := exec("UPDATE users SET status_v2 = ? WHERE id = ?", v.New, 4); err != nil {
		return err
	}
	var nulls, active, banned, pending int
	if err := db.QueryRowContext(ctx, `SELECT
		SUM(CASE WHEN status_v2 IS NULL THEN 1 ELSE 0 END), SUM(CASE WHEN status_v2 = 'active' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status_v2 = 'banned' THEN 1 ELSE 0 END), SUM(CASE WHEN status_v2 = 'pending' THEN 1 ELSE 0 END)
		FROM `+users).Scan(&nulls, &active, &banned, &pending); err != nil {
		return err
	}
	fmt.Fprintf(w, "complete:   dropped users.status; active=%d banned=%d pending=%d null=%d\n", active, banned, pending, nulls)
	return nil
}

// insertUsers inserts n users, status alternating 1, 0, a few hundred rows a statement.
func insertUsers(ctx context.Context, db *sql.DB, d dualwrite.Dialect, table string, n int) error {
	const per = 500
	for lo := 1; lo <= n; lo += per {
		var (
			q    strings.Builder
			args []any
		)
		q.WriteString("INSERT INTO " + table + " (id, name, status) VALUES ")
		for i := lo; i < lo+per && i <= n; i++ {
			if i > lo {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?)")
			args = append(args, i, "user-"+strconv.Itoa(i), i%2)
		}
		if _, err := db.ExecContext(ctx, rebind(d, q.String()), args...); err != nil {
			return err
		}
	}
	return nil
}

func verify(ctx context.Context, db *sql.DB, d dualwrite.Dialect, table string, cols *dualwrite.Columns[int, string]) (dualwrite.Report[int64], error) {
	oldS, err := dualwrite.NewSQLStore[int64, int](db, d, dualwrite.SQLStoreConfig{Table: table, KeyColumn: "id", ValueColumn: "status"})
	if err != nil {
		return dualwrite.Report[int64]{}, err
	}
	newS, err := dualwrite.NewSQLStore[int64, string](db, d, dualwrite.SQLStoreConfig{Table: table, KeyColumn: "id", ValueColumn: "status_v2"})
	if err != nil {
		return dualwrite.Report[int64]{}, err
	}
	return dualwrite.Verify[int64, int](ctx, oldS, dualwrite.Mapped[int64, int, string](newS, cols.ToNew, cols.ToOld),
		dualwrite.VerifyConfig[int64, int]{})
}
