package dualwrite_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"sync"
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
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return testDB{DB: db, Dialect: dualwrite.SQLite}
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
	return testDB{DB: db, Dialect: dualwrite.Postgres}
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

// memStore is an in-memory store that logs operations and can be made to fail.
type memStore struct {
	name string
	log  *opLog
	mu   sync.Mutex
	m    map[string]string
	fail error // returned by every call while set
}

type opLog struct {
	mu  sync.Mutex
	ops []string
}

func (l *opLog) add(s string) {
	l.mu.Lock()
	l.ops = append(l.ops, s)
	l.mu.Unlock()
}

func (l *opLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ops := l.ops
	l.ops = nil
	return ops
}

func newMem(name string, log *opLog) *memStore {
	return &memStore{name: name, log: log, m: map[string]string{}}
}

func (s *memStore) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func (s *memStore) Get(_ context.Context, k string) (string, error) {
	s.log.add("get " + s.name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return "", s.fail
	}
	v, ok := s.m[k]
	if !ok {
		return "", dualwrite.ErrNotFound
	}
	return v, nil
}

func (s *memStore) Put(_ context.Context, k, v string) error {
	s.log.add("put " + s.name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.m[k] = v
	return nil
}

func (s *memStore) Delete(_ context.Context, k string) error {
	s.log.add("delete " + s.name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	delete(s.m, k)
	return nil
}

func (s *memStore) Scan(_ context.Context, after *string, limit int) ([]dualwrite.Entry[string, string], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		if after == nil || k > *after {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) > limit {
		keys = keys[:limit]
	}
	out := make([]dualwrite.Entry[string, string], len(keys))
	for i, k := range keys {
		out[i] = dualwrite.Entry[string, string]{Key: k, Value: s.m[k]}
	}
	return out, nil
}
