// Package sqltest is the one way the integration tests get a real SQL database: every SQL-backed
// test runs through [Each] (or loops over [Kinds]), so it runs on SQLite, PostgreSQL and
// MySQL/MariaDB and a new test cannot forget one of them. SQLite is an embedded file and always
// runs; PostgreSQL and MySQL run when GRAYKIT_TEST_POSTGRES_DSN and GRAYKIT_TEST_MYSQL_DSN are set,
// skip with a hint otherwise and fail under GRAYKIT_REQUIRE_ALL=1 (see internal/testenv). Each
// database a test opens is fresh (a temporary file, a PostgreSQL schema, a MySQL database) and is
// dropped when the test ends.
package sqltest

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

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib" // driver "pgx"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite" // driver "sqlite"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/internal/testenv"
)

// Kind names a database engine.
type Kind string

// The engines every SQL-backed test runs on.
const (
	SQLite   Kind = "sqlite"
	Postgres Kind = "postgres"
	MySQL    Kind = "mysql" // MySQL 8 or MariaDB 10.11+
)

// Kinds lists every engine, in the order tests run on them.
var Kinds = []Kind{SQLite, Postgres, MySQL}

// DB is one fresh database of a test.
type DB struct {
	DB      *sql.DB
	Kind    Kind
	Dialect dualwrite.Dialect
	Driver  string // the database/sql driver name
	DSN     string // how DB was opened, for a second handle on the same tables
}

// Each runs f as a subtest on a fresh database of every kind.
func Each(t *testing.T, f func(t *testing.T, db DB)) {
	t.Helper()
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) { f(t, Open(t, k)) })
	}
}

// Open opens a fresh database of kind k, or ends t by testenv.Missing when its server is not
// configured.
func Open(t testing.TB, k Kind) DB {
	t.Helper()
	switch k {
	case SQLite:
		return OpenSQLite(t)
	case Postgres:
		return OpenPostgres(t)
	case MySQL:
		return OpenMySQL(t)
	}
	t.Fatalf("sqltest: unknown kind %q", k)
	return DB{}
}

// OpenSQLite opens a fresh SQLite file in WAL mode with a 5 s busy timeout; transactions begin
// IMMEDIATE, so a writer never fails on a lock upgrade.
func OpenSQLite(t testing.TB) DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.db")
	dsn := "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	return open(t, DB{Kind: SQLite, Dialect: dualwrite.SQLite, Driver: "sqlite", DSN: dsn})
}

// OpenPostgres opens a fresh schema on the server of GRAYKIT_TEST_POSTGRES_DSN.
func OpenPostgres(t testing.TB) DB {
	t.Helper()
	dsn := testenv.PostgresDSN(t)
	admin, err := sql.Open("pgx", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	schema := "dw_" + randomName()
	_, err = admin.ExecContext(context.Background(), "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(dsn)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return open(t, DB{Kind: Postgres, Dialect: dualwrite.Postgres, Driver: "pgx", DSN: u.String()})
}

// OpenMySQL opens a fresh database on the server of GRAYKIT_TEST_MYSQL_DSN (MySQL 8 or MariaDB),
// as the DSN's user, which must be allowed to create databases.
func OpenMySQL(t testing.TB) DB {
	t.Helper()
	cfg, err := mysql.ParseDSN(testenv.MySQLDSN(t))
	require.NoError(t, err, "parse %s", testenv.MySQLDSNVar)
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	require.NoError(t, err)
	t.Cleanup(func() { _ = admin.Close() })
	name := "dw_" + randomName()
	_, err = admin.ExecContext(context.Background(), "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name) })
	cfg.DBName = name
	cfg.ParseTime = true
	return open(t, DB{Kind: MySQL, Dialect: dualwrite.MySQL, Driver: "mysql", DSN: cfg.FormatDSN()})
}

func open(t testing.TB, db DB) DB {
	t.Helper()
	h, err := sql.Open(db.Driver, db.DSN)
	require.NoError(t, err)
	t.Cleanup(func() { _ = h.Close() })
	require.NoError(t, h.PingContext(context.Background()), "%s", db.Kind)
	db.DB = h
	return db
}

func randomName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Impatient opens a second handle on the same tables, as another process would, that gives up
// instead of waiting long for a lock another handle holds (SQLite: busy_timeout 0; PostgreSQL:
// lock_timeout 1ms; MySQL: innodb_lock_wait_timeout 1s, which dualwrite's per-key lock obeys too).
// A call through it that needs a key another call holds fails, which is how a test observes that
// the key is held.
func (db DB) Impatient(t testing.TB) DB {
	t.Helper()
	dsn := db.DSN
	switch db.Kind {
	case SQLite:
		dsn = strings.Replace(dsn, "busy_timeout(5000)", "busy_timeout(0)", 1)
	case Postgres:
		dsn += "&lock_timeout=1"
	case MySQL:
		cfg, err := mysql.ParseDSN(dsn)
		require.NoError(t, err)
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params["innodb_lock_wait_timeout"] = "1"
		dsn = cfg.FormatDSN()
	}
	return open(t, DB{Kind: db.Kind, Dialect: db.Dialect, Driver: db.Driver, DSN: dsn})
}

// Exec runs query, written with ? placeholders, and fails t on an error.
func (db DB) Exec(t testing.TB, query string, args ...any) {
	t.Helper()
	_, err := db.DB.ExecContext(context.Background(), db.Rebind(query), args...)
	require.NoError(t, err, query)
}

// Rebind turns ? placeholders into $n on PostgreSQL.
func (db DB) Rebind(q string) string {
	if db.Kind != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// TextType is the column type for a text value that is part of a key or index: MySQL cannot index
// TEXT without a prefix length.
func (db DB) TextType() string {
	if db.Kind == MySQL {
		return "VARCHAR(255)"
	}
	return "TEXT"
}

// Concat returns the SQL that concatenates the text of each expression: CONCAT(...) with CAST(… AS
// CHAR) on MySQL, where || is a logical OR, and || with CAST(… AS TEXT) elsewhere.
func (db DB) Concat(exprs ...string) string {
	parts := make([]string, len(exprs))
	for i, e := range exprs {
		if db.Kind == MySQL {
			parts[i] = "CAST(" + e + " AS CHAR)"
		} else {
			parts[i] = "CAST(" + e + " AS TEXT)"
		}
	}
	if db.Kind == MySQL {
		return "CONCAT(" + strings.Join(parts, ", ") + ")"
	}
	return strings.Join(parts, " || ")
}
