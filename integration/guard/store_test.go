package guard_test

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/internal/testenv"
)

// storeKinds lists the stores every store test runs on; PostgreSQL only
// when GRAYKIT_TEST_POSTGRES_DSN is set.
var storeKinds = []string{"memory", "sqlite", "postgres"}

// newStore opens a fresh store of the kind with tables unique to the test.
func newStore(t *testing.T, kind string) guard.Store {
	t.Helper()
	switch kind {
	case "memory":
		return guard.NewMemoryStore()
	case "sqlite":
		dsn := "file:" + filepath.Join(t.TempDir(), "guard.db") + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
		db, err := sql.Open("sqlite", dsn)
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		return newSQLStore(t, db, guard.SQLite, "gk")
	default:
		dsn := testenv.PostgresDSN(t)
		db, err := sql.Open("pgx", dsn)
		require.NoError(t, err)
		t.Cleanup(func() { _ = db.Close() })
		prefix := fmt.Sprintf("gk_%s_%08x", sanitize(t.Name()), rand.Uint32())
		st := newSQLStore(t, db, guard.Postgres, prefix)
		t.Cleanup(func() {
			for _, s := range []string{"_state", "_windows", "_audit", "_subjects"} {
				_, _ = db.Exec("DROP TABLE IF EXISTS " + prefix + s)
			}
		})
		return st
	}
}

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	s := b.String()
	if len(s) > 30 {
		s = s[len(s)-30:]
	}
	return s
}

func newSQLStore(t *testing.T, db *sql.DB, d guard.Dialect, prefix string) *guard.SQLStore {
	t.Helper()
	st, err := guard.NewSQLStore(db, d, guard.SQLTables{State: prefix + "_state", Windows: prefix + "_windows", Audit: prefix + "_audit"})
	require.NoError(t, err)
	require.NoError(t, st.CreateTables(t.Context()))
	require.NoError(t, st.CreateTables(t.Context()), "idempotent")
	return st
}

func TestStoreCompareAndSwap(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			st := newStore(t, kind)
			at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			_, err := st.Load(ctx, "r")
			require.ErrorIs(t, err, guard.ErrNoState)

			s1, err := st.CompareAndSwap(ctx, 0, guard.State{Rollout: "r", Phase: guard.PhaseRunning, Share: 1, Started: at, StepStarted: at},
				guard.Transition{Action: guard.ActionStart, Actor: "a", At: at, ToPhase: guard.PhaseRunning, ToShare: 1})
			require.NoError(t, err)
			assert.Equal(t, int64(1), s1.Version)

			_, err = st.CompareAndSwap(ctx, 0, guard.State{Rollout: "r"}, guard.Transition{Action: guard.ActionStart, At: at})
			require.ErrorIs(t, err, guard.ErrConflict, "creating twice")

			next := s1
			next.Share, next.Step = 5, 1
			ev := &guard.Evidence{Verdict: guard.VerdictAdvance, ErrorLower: -0.01, Canary: guard.Sample{Requests: 1200}}
			s2, err := st.CompareAndSwap(ctx, 1, next, guard.Transition{Action: guard.ActionAdvance, Actor: "guard/x", Reason: "ok", At: at.Add(time.Minute), FromShare: 1, ToShare: 5, Evidence: ev})
			require.NoError(t, err)
			_, err = st.CompareAndSwap(ctx, 1, next, guard.Transition{Action: guard.ActionAdvance, At: at})
			require.ErrorIs(t, err, guard.ErrConflict, "stale version")

			got, err := st.Load(ctx, "r")
			require.NoError(t, err)
			assert.Equal(t, s2, got)
			assert.Equal(t, 5.0, got.Share)
			require.NotNil(t, got.Last.Evidence)
			assert.Equal(t, uint64(1200), got.Last.Evidence.Canary.Requests)
			assert.True(t, got.StepStarted.Equal(at))

			audit, err := st.Audit(ctx, "r", 0)
			require.NoError(t, err)
			require.Len(t, audit, 2, "failed swaps are not audited")
			assert.Equal(t, guard.ActionAdvance, audit[0].Action)
			assert.Equal(t, int64(2), audit[0].Version)
			assert.Greater(t, audit[0].Seq, audit[1].Seq)
			one, err := st.Audit(ctx, "", 1)
			require.NoError(t, err)
			require.Len(t, one, 1)

			states, err := st.States(ctx)
			require.NoError(t, err)
			require.Len(t, states, 1)
			assert.Equal(t, "r", states[0].Rollout)
		})
	}
}

func TestStoreWindows(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			st := newStore(t, kind)
			t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			var h gray.HistogramSnapshot
			h.Counts[3], h.Counts[40] = 7, 2
			w := guard.Window{Rollout: "r", Replica: "a", Variant: "canary", Start: t0, Requests: 9, Errors: 1, Latency: h}
			require.NoError(t, st.PutWindow(ctx, w))
			w.Requests, w.Errors = 20, 3
			require.NoError(t, st.PutWindow(ctx, w), "replace")
			require.NoError(t, st.PutWindow(ctx, guard.Window{Rollout: "r", Replica: "b", Variant: "canary", Start: t0.Add(time.Minute), Requests: 4}))
			require.NoError(t, st.PutWindow(ctx, guard.Window{Rollout: "other", Replica: "a", Variant: "canary", Start: t0, Requests: 1}))

			ws, err := st.Windows(ctx, "r", t0)
			require.NoError(t, err)
			require.Len(t, ws, 2)
			var total uint64
			for _, x := range ws {
				total += x.Requests
				if x.Replica == "a" {
					assert.Equal(t, h, x.Latency)
					assert.Equal(t, uint64(3), x.Errors)
				}
			}
			assert.Equal(t, uint64(24), total)

			later, err := st.Windows(ctx, "r", t0.Add(time.Second))
			require.NoError(t, err)
			require.Len(t, later, 1)

			n, err := st.PruneWindows(ctx, t0.Add(time.Second))
			require.NoError(t, err)
			assert.Equal(t, int64(2), n)
		})
	}
}

func TestNewSQLStoreRejectsBadNames(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	require.NoError(t, err)
	defer db.Close()
	tests := []struct {
		name string
		give guard.SQLTables
	}{
		{name: "injection", give: guard.SQLTables{State: "x; DROP TABLE y"}},
		{name: "space", give: guard.SQLTables{Audit: "a b"}},
		{name: "too many dots", give: guard.SQLTables{Windows: "a.b.c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := guard.NewSQLStore(db, guard.SQLite, tt.give)
			require.ErrorIs(t, err, guard.ErrBadTableName)
		})
	}
	_, err = guard.NewSQLStore(db, guard.Dialect(9), guard.SQLTables{})
	require.Error(t, err)
}
