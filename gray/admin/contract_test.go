package admin_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/dualwrite/contract"
	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/internal/admintest"
)

func getJSON(t *testing.T, h http.Handler, path string, v any) int {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+viewerToken)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if v != nil && rec.Code == http.StatusOK {
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), v))
	}
	return rec.Code
}

// TestContractReadinessInTheRolloutView: a migration bound to a rollout
// shows in its view whether any replica still uses the old side, and
// api/contract answers the CLI's question for any period.
func TestContractReadinessInTheRolloutView(t *testing.T) {
	f := newFixture(t, 2)
	backend, err := admin.GuardBackend(f.Store, f.Ctrls[0].Actions)
	require.NoError(t, err)
	h, err := admin.New(admin.Config{
		Engine: f.Engines[0], Backend: backend, Clock: f.Clock.Now, Logger: admintest.Quiet,
		Tokens:     []admin.Token{{Name: "vera", Secret: viewerToken, Role: admin.RoleViewer}},
		Migrations: map[string][]string{"checkout-v2": {"orders-total"}},
	})
	require.NoError(t, err)

	var view admin.RolloutView
	require.Equal(t, http.StatusOK, getJSON(t, h, "/api/rollouts/checkout-v2", &view))
	require.Len(t, view.Contract, 1)
	assert.Equal(t, contract.NoData, view.Contract[0].Verdict, "no reporter yet")

	live, stale := &dualwrite.Usage{}, &dualwrite.Usage{}
	for name, u := range map[string]*dualwrite.Usage{"replica-a": live, "replica-b": stale} {
		rep, err := contract.NewReporter(f.Store, name, contract.WithClock(f.Clock.Now))
		require.NoError(t, err)
		rep.Track("orders-total", u)
		live.Add(dualwrite.SideNew, dualwrite.OpRead)
		if name == "replica-b" {
			stale.Add(dualwrite.SideOld, dualwrite.OpRead)
		}
		require.NoError(t, rep.Flush(t.Context()))
	}
	require.Equal(t, http.StatusOK, getJSON(t, h, "/api/rollouts/checkout-v2", &view))
	require.Len(t, view.Contract, 1)
	c := view.Contract[0]
	assert.Equal(t, contract.InUse, c.Verdict)
	assert.Equal(t, uint64(1), c.OldReads)
	require.Len(t, c.Replicas, 2)
	assert.Equal(t, "replica-b", c.Replicas[1].Replica)
	assert.Equal(t, uint64(1), c.Replicas[1].OldReads)

	var rd contract.Readiness
	require.Equal(t, http.StatusOK, getJSON(t, h, "/api/contract/orders-total?period=1h", &rd))
	assert.Equal(t, contract.InUse, rd.Verdict)
	f.Clock.Add(2 * time.Hour)
	require.Equal(t, http.StatusOK, getJSON(t, h, "/api/contract/orders-total?period=1h", &rd))
	assert.Equal(t, contract.NoData, rd.Verdict, "nobody reported in the last hour")

	assert.Equal(t, http.StatusBadRequest, getJSON(t, h, "/api/contract/orders-total?period=soon", nil))
	assert.Equal(t, http.StatusBadRequest, getJSON(t, h, "/api/contract/orders-total?period=-1h", nil))
	assert.Equal(t, http.StatusBadRequest, getJSON(t, h, "/api/contract/orders-total?period=9000h", nil))
}

func TestContractNeedsABackend(t *testing.T) {
	f := newFixture(t, 1)
	h, err := admin.New(admin.Config{Engine: f.Engines[0], Logger: admintest.Quiet,
		Tokens: []admin.Token{{Name: "vera", Secret: viewerToken, Role: admin.RoleViewer}}})
	require.NoError(t, err)
	assert.Equal(t, http.StatusConflict, getJSON(t, h, "/api/contract/orders-total", nil))
}
