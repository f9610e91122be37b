package dualwrite_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	_ "modernc.org/sqlite"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/internal/testenv"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testDB is one real database for a test, with its own tables.
type testDB struct {
	DB      *sql.DB
	Dialect dualwrite.Dialect
	dsn     string // how DB was opened, for a second handle on the same tables
}

// impatient opens a second handle on the same tables, as another process would, that gives up at
// once instead of waiting for a lock another handle holds (SQLite: busy_timeout 0; PostgreSQL:
// lock_timeout 1ms). A call through it that needs a key another call holds fails, which is how a
// test observes that the key is held without waiting for anything.
func (db testDB) impatient(t testing.TB) testDB {
	t.Helper()
	dsn := strings.Replace(db.dsn, "busy_timeout(5000)", "busy_timeout(0)", 1)
	if db.Dialect == dualwrite.Postgres {
		dsn += "&lock_timeout=1"
	}
	h, err := sql.Open(db.driver(), dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close() })
	return testDB{DB: h, Dialect: db.Dialect, dsn: dsn}
}

func (db testDB) driver() string {
	if db.Dialect == dualwrite.Postgres {
		return "pgx"
	}
	return "sqlite"
}

// forEachDB runs f on a fresh SQLite file and, when GRAYKIT_TEST_POSTGRES_DSN is set, on a fresh
// PostgreSQL schema.
func forEachDB(t *testing.T, f func(t *testing.T, db testDB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { f(t, openSQLite(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, openPostgres(t)) })
}

func openSQLite(t testing.TB) testDB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	dsn := "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return testDB{DB: db, Dialect: dualwrite.SQLite, dsn: dsn}
}

func openPostgres(t testing.TB) testDB {
	t.Helper()
	dsn := testenv.PostgresDSN(t)
	admin, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "dw_" + hex.EncodeToString(b[:])
	_, err = admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return testDB{DB: db, Dialect: dualwrite.Postgres, dsn: u.String()}
}

func (db testDB) exec(t testing.TB, query string, args ...any) {
	t.Helper()
	_, err := db.DB.ExecContext(context.Background(), db.rebind(query), args...)
	require.NoError(t, err, query)
}

// rebind turns ? placeholders into $n on PostgreSQL.
func (db testDB) rebind(q string) string {
	if db.Dialect != dualwrite.Postgres {
		return q
	}
	out, n := make([]byte, 0, len(q)+8), 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			out = append(out, fmt.Sprintf("$%d", n)...)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}
