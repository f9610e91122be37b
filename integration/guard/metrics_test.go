package guard_test

import (
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// TestStoreWindowMetrics: tracked outcomes round-trip through every store,
// and windows without them read back as nil.
func TestStoreWindowMetrics(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			st := newStore(t, kind)
			t0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			m := map[string]gray.MetricSums{
				"checkout_completed": {Count: 12, Sum: 12, SumSq: 12},
				"order_value":        {Count: 3, Sum: 121.5, SumSq: 5000.25},
			}
			require.NoError(t, st.PutWindow(ctx, guard.Window{Rollout: "r", Replica: "a", Variant: "canary", Start: t0, Requests: 100, Metrics: m}))
			require.NoError(t, st.PutWindow(ctx, guard.Window{Rollout: "r", Replica: "b", Variant: "canary", Start: t0, Requests: 5}))
			ws, err := st.Windows(ctx, "r", t0)
			require.NoError(t, err)
			require.Len(t, ws, 2)
			for _, w := range ws {
				if w.Replica == "a" {
					assert.Equal(t, m, w.Metrics)
				} else {
					assert.Nil(t, w.Metrics)
				}
			}
		})
	}
}

// TestSQLStoreAddsMetricsColumn: a windows table created before tracked
// metrics gets its column from CreateTables, and keeps its rows.
func TestSQLStoreAddsMetricsColumn(t *testing.T) {
	ctx := t.Context()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "old.db"))
	require.NoError(t, err)
	defer db.Close()
	_, err = db.ExecContext(ctx, `CREATE TABLE old_windows (
	rollout TEXT NOT NULL, replica TEXT NOT NULL, variant TEXT NOT NULL, start BIGINT NOT NULL,
	requests BIGINT NOT NULL, errors BIGINT NOT NULL, latency TEXT NOT NULL,
	PRIMARY KEY (rollout, replica, variant, start))`)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `INSERT INTO old_windows VALUES ('r', 'a', 'canary', 0, 7, 1, '')`)
	require.NoError(t, err)
	st, err := guard.NewSQLStore(db, guard.SQLite, guard.SQLTables{State: "old_state", Windows: "old_windows", Audit: "old_audit"})
	require.NoError(t, err)
	require.NoError(t, st.CreateTables(ctx))
	require.NoError(t, st.CreateTables(ctx), "idempotent")
	ws, err := st.Windows(ctx, "r", time.Unix(0, 0))
	require.NoError(t, err)
	require.Len(t, ws, 1)
	assert.Equal(t, uint64(7), ws[0].Requests)
	require.NoError(t, st.PutWindow(ctx, guard.Window{Rollout: "r", Replica: "a", Variant: "canary", Start: time.Unix(0, 0), Requests: 8,
		Metrics: map[string]gray.MetricSums{"x": {Count: 1, Sum: 1, SumSq: 1}}}))
	ws, err = st.Windows(ctx, "r", time.Unix(0, 0))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), ws[0].Metrics["x"].Count)
}

// TestTrackedMetricsAcrossReplicas: outcomes tracked through the
// middleware of two replicas are summed, through a shared SQL store, in
// the evidence each replica's judge weighs.
func TestTrackedMetricsAcrossReplicas(t *testing.T) {
	ctx := t.Context()
	st := newStore(t, "sqlite")
	clock := newFakeClock()
	cfg := replicaConfig()
	cfg.Rollouts[0].Plan.Guard.Metrics = []gray.PlanMetric{{Name: "checkout_completed"}}
	type proc struct {
		eng  *gray.Engine
		ctrl *guard.Controller
		h    http.Handler
	}
	var ps []proc
	for _, name := range []string{"a", "b"} {
		eng, err := gray.New(cfg)
		require.NoError(t, err)
		ctrl, err := guard.New(eng, st, guard.WithReplica(name), guard.WithClock(clock.Now),
			guard.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		require.NoError(t, err)
		require.NoError(t, ctrl.Tick(ctx)) // state at the first step, applied
		h := gray.Middleware(eng, gray.WithKeyFromHeader("X-User"), gray.WithObserver(ctrl.Counters()))(
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gray.Variant(r.Context(), "search")
				if r.URL.Query().Get("buy") == "1" {
					gray.Track(r.Context(), "checkout_completed")
				}
			}))
		ps = append(ps, proc{eng, ctrl, h})
	}
	want := map[string]uint64{}
	for i := range 600 {
		p := ps[i%2]
		url := "/"
		if i%3 == 0 {
			url = "/?buy=1"
		}
		req := httptest.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("X-User", "u-"+strconv.Itoa(i))
		p.h.ServeHTTP(httptest.NewRecorder(), req)
		if i%3 == 0 {
			want[gray.Variant(gray.NewContext(ctx, ps[0].eng, gray.Subject{Key: "u-" + strconv.Itoa(i)}), "search")]++
		}
	}
	clock.Add(10 * time.Second)
	for _, p := range ps {
		require.NoError(t, p.ctrl.Tick(ctx))
	}
	clock.Add(10 * time.Second)
	require.NoError(t, ps[0].ctrl.Tick(ctx))
	require.NoError(t, ps[1].ctrl.Tick(ctx))
	ev, ok := ps[1].ctrl.Evidence("search")
	require.True(t, ok)
	require.Len(t, ev.Metrics, 1)
	assert.Equal(t, want["canary"], ev.Metrics[0].CanaryCount)
	assert.Equal(t, want["stable"], ev.Metrics[0].StableCount)
	assert.Equal(t, uint64(200), ev.Metrics[0].CanaryCount+ev.Metrics[0].StableCount, "both replicas' outcomes")
}
