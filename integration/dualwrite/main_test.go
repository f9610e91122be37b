package dualwrite_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/graykit/graykit/integration/sqltest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testDB is one real database for a test, with its own tables.
type testDB = sqltest.DB

// forEachDB runs f on a fresh database of every kind sqltest knows (SQLite, PostgreSQL, MySQL).
func forEachDB(t *testing.T, f func(t *testing.T, db testDB)) {
	t.Helper()
	sqltest.Each(t, f)
}

func openSQLite(t testing.TB) testDB { return sqltest.OpenSQLite(t) }
