//go:build cgo && !graykit_nopg

package ddlcheck

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/internal/testenv"
)

// flagged reports whether the checker gives the PostgreSQL statement the
// rule (lock_timeout set first, so only the statement itself counts).
func flagged(t *testing.T, stmt, rule string) bool {
	t.Helper()
	rep, err := Check(Postgres, "s.sql", "SET lock_timeout = '2s';\n"+stmt, Options{})
	require.NoError(t, err)
	for _, f := range rep.Findings {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// TestPostgresLockRulesMatchTheServer checks on PostgreSQL what each
// locking rule claims: a plain CREATE INDEX holds a lock that blocks
// writes, a CHECK without NOT VALID scans the table, a type change
// rewrites it, and without lock_timeout an ALTER waits behind a reader.
func TestPostgresLockRulesMatchTheServer(t *testing.T) {
	db, err := sql.Open("pgx", testenv.PostgresDSN(t))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	ctx := t.Context()
	exec := func(q string) {
		t.Helper()
		_, err := db.ExecContext(ctx, q)
		require.NoError(t, err, q)
	}
	reset := func() {
		exec("DROP TABLE IF EXISTS ddlcheck_users")
		exec("CREATE TABLE ddlcheck_users (id bigint PRIMARY KEY, email text, age int, status int)")
		exec("INSERT INTO ddlcheck_users VALUES (1, 'a@x', -1, 0), (2, 'b@x', 30, 1)")
	}
	t.Cleanup(func() { _, _ = db.Exec("DROP TABLE IF EXISTS ddlcheck_users") })

	// lockIn runs stmt in a transaction and returns the lock modes it
	// holds on the table before rolling back.
	lockIn := func(stmt string) []string {
		t.Helper()
		tx, err := db.BeginTx(ctx, nil)
		require.NoError(t, err)
		defer tx.Rollback() //nolint:errcheck // rolled back on purpose
		_, err = tx.ExecContext(ctx, stmt)
		require.NoError(t, err, stmt)
		rows, err := tx.QueryContext(ctx, `SELECT mode FROM pg_locks WHERE relation = 'ddlcheck_users'::regclass AND pid = pg_backend_pid()`)
		require.NoError(t, err)
		defer rows.Close()
		var modes []string
		for rows.Next() {
			var m string
			require.NoError(t, rows.Scan(&m))
			modes = append(modes, m)
		}
		return modes
	}

	t.Run("index", func(t *testing.T) {
		reset()
		stmt := "CREATE INDEX ddlcheck_email ON ddlcheck_users (email)"
		assert.Contains(t, lockIn(stmt), "ShareLock", "blocks INSERT/UPDATE/DELETE (RowExclusiveLock)")
		assert.True(t, flagged(t, stmt, RulePGIndexNotConcurrent))
		assert.False(t, flagged(t, "CREATE INDEX CONCURRENTLY ddlcheck_email ON ddlcheck_users (email)", RulePGIndexNotConcurrent))
	})
	t.Run("unique constraint", func(t *testing.T) {
		reset()
		stmt := "ALTER TABLE ddlcheck_users ADD CONSTRAINT ddlcheck_email_key UNIQUE (email)"
		assert.Contains(t, lockIn(stmt), "AccessExclusiveLock", "blocks reads too while the index builds")
		assert.True(t, flagged(t, stmt, RulePGUniqueConstraint))
	})
	t.Run("check scans unless NOT VALID", func(t *testing.T) {
		reset() // holds a row with age -1
		unsafe := "ALTER TABLE ddlcheck_users ADD CONSTRAINT ddlcheck_age CHECK (age > 0)"
		_, err := db.ExecContext(ctx, unsafe)
		require.Error(t, err, "validating reads every row (and finds -1)")
		assert.True(t, flagged(t, unsafe, RulePGConstraintNotValid))
		safe := unsafe + " NOT VALID"
		exec(safe) // no scan
		assert.False(t, flagged(t, safe, RulePGConstraintNotValid))
	})
	t.Run("type change rewrites", func(t *testing.T) {
		reset()
		node := func() (n int64) {
			require.NoError(t, db.QueryRowContext(ctx, `SELECT pg_relation_filenode('ddlcheck_users')`).Scan(&n))
			return n
		}
		before := node()
		stmt := "ALTER TABLE ddlcheck_users ALTER COLUMN status TYPE varchar(20)"
		exec(stmt)
		assert.NotEqual(t, before, node(), "the table was rewritten")
		assert.True(t, flagged(t, stmt, RuleChangeColumnType))
	})
	t.Run("lock_timeout", func(t *testing.T) {
		reset()
		reader, err := db.BeginTx(ctx, nil) // a long transaction that read the table
		require.NoError(t, err)
		defer reader.Rollback() //nolint:errcheck // rolled back on purpose
		_, err = reader.ExecContext(ctx, "SELECT count(*) FROM ddlcheck_users")
		require.NoError(t, err)

		stmt := "ALTER TABLE ddlcheck_users ADD COLUMN note text"
		rep, err := Check(Postgres, "s.sql", stmt, Options{})
		require.NoError(t, err)
		require.Len(t, rep.Findings, 1)
		assert.Equal(t, RulePGLockTimeout, rep.Findings[0].Rule)

		conn, err := db.Conn(ctx)
		require.NoError(t, err)
		defer conn.Close()
		// With lock_timeout it gives up on its own.
		_, err = conn.ExecContext(ctx, "SET lock_timeout = '100ms'")
		require.NoError(t, err)
		_, err = conn.ExecContext(ctx, stmt)
		require.Error(t, err)
		assert.True(t, strings.Contains(err.Error(), "lock timeout"), err.Error())
		// Without it the ALTER waits (here until a 1s deadline ends it).
		_, err = conn.ExecContext(ctx, "RESET lock_timeout")
		require.NoError(t, err)
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		_, err = conn.ExecContext(wctx, stmt)
		require.Error(t, err, "the ALTER must wait behind the reader")
		assert.ErrorIs(t, wctx.Err(), context.DeadlineExceeded, "it failed only because the deadline ended its wait: %v", err)
	})
}
