// Command dualwrite runs the users.status (int 0/1) → users.status_v2 (varchar
// active/banned/pending) migration end to end on an embedded SQLite file, printing a short report
// of each phase: expand, dual-write, backfill, verify, shadow, live (switch reads), ramp-down,
// complete and contract.
package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite"

	"github.com/graykit/graykit/dualwrite"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "dualwrite example:", err)
		os.Exit(1)
	}
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

func run(w io.Writer) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "graykit-dualwrite-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "app.db")+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return err
	}
	defer db.Close()
	exec := func(q string, args ...any) error {
		_, err := db.ExecContext(ctx, q, args...)
		return err
	}

	const users = 10000
	if err := exec("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, status INTEGER)"); err != nil {
		return err
	}
	if err := exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO users (id, name, status) SELECT i, 'user-' || i, i % 2 FROM n`, users); err != nil {
		return err
	}
	fmt.Fprintf(w, "off:        %d users with status 0/1\n", users)

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
	cps, err := dualwrite.NewCheckpoints(db, dualwrite.SQLite, "dualwrite_checkpoints")
	if err != nil {
		return err
	}
	if err := cps.CreateTable(ctx); err != nil {
		return err
	}
	bf, err := dualwrite.NewBackfill(dualwrite.BackfillConfig{
		DB: db, Dialect: dualwrite.SQLite, Checkpoints: cps,
		Table: "users", KeyColumn: "id", OldColumn: "status", NewColumn: "status_v2",
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
	rep, err := verify(ctx, db, cols)
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
		if err := db.QueryRowContext(ctx, "SELECT status, status_v2 FROM users WHERE id = ?", id).Scan(&o, &n); err != nil {
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
		SUM(status_v2 IS NULL), SUM(status_v2 = 'active'), SUM(status_v2 = 'banned'), SUM(status_v2 = 'pending')
		FROM users`).Scan(&nulls, &active, &banned, &pending); err != nil {
		return err
	}
	fmt.Fprintf(w, "complete:   dropped users.status; active=%d banned=%d pending=%d null=%d\n", active, banned, pending, nulls)
	return nil
}

func verify(ctx context.Context, db *sql.DB, cols *dualwrite.Columns[int, string]) (dualwrite.Report[int64], error) {
	oldS, err := dualwrite.NewSQLStore[int64, int](db, dualwrite.SQLite, dualwrite.SQLStoreConfig{Table: "users", KeyColumn: "id", ValueColumn: "status"})
	if err != nil {
		return dualwrite.Report[int64]{}, err
	}
	newS, err := dualwrite.NewSQLStore[int64, string](db, dualwrite.SQLite, dualwrite.SQLStoreConfig{Table: "users", KeyColumn: "id", ValueColumn: "status_v2"})
	if err != nil {
		return dualwrite.Report[int64]{}, err
	}
	return dualwrite.Verify[int64, int](ctx, oldS, dualwrite.Mapped[int64, int, string](newS, cols.ToNew, cols.ToOld),
		dualwrite.VerifyConfig[int64, int]{})
}
