package admin_test

import (
	"net/http"
	"strconv"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/integration/sqltest"
)

// newStore opens a fresh guard store of the kind: "memory", or a SQL store on a fresh database of
// a sqltest kind (PostgreSQL and MySQL skipped without their DSNs).
func newStore(t *testing.T, kind string) guard.Store {
	t.Helper()
	if kind == "memory" {
		return guard.NewMemoryStore()
	}
	db := sqltest.Open(t, sqltest.Kind(kind))
	dialect := map[sqltest.Kind]guard.Dialect{sqltest.SQLite: guard.SQLite, sqltest.Postgres: guard.Postgres, sqltest.MySQL: guard.MySQL}[db.Kind]
	st, err := guard.NewSQLStore(db.DB, dialect, guard.SQLTables{State: "gk_state", Windows: "gk_windows", Audit: "gk_audit"})
	require.NoError(t, err)
	require.NoError(t, st.CreateTables(t.Context()))
	return st
}

// storeKinds are the stores the admin tests run on: memory and every sqltest database.
func storeKinds() []string {
	kinds := []string{"memory"}
	for _, k := range sqltest.Kinds {
		kinds = append(kinds, string(k))
	}
	return kinds
}

// bannerSplit is the share of 2,000 users each replica puts on banner's
// canary, in percent, and whether every decision was ReasonOff.
func bannerSplit(f *fixture) (shares []float64, allOff []bool) {
	for _, e := range f.Engines {
		in, off := 0, true
		for i := range 2000 {
			d := e.Decide("banner", gray.Subject{Key: "u-" + strconv.Itoa(i)})
			if d.Variant == "canary" {
				in++
			}
			off = off && d.Variant == "stable" && d.Reason == gray.ReasonOff
		}
		shares = append(shares, float64(in)/20)
		allOff = append(allOff, off)
	}
	return shares, allOff
}

// TestUnplannedRolloutThroughTheAPI: on a rollout without a plan, brake,
// resume, set-share and promote go through the API on one replica, every
// replica obeys after one poll, and each action is audited; advance and
// pause still get 409 with a clear message.
func TestUnplannedRolloutThroughTheAPI(t *testing.T) {
	for _, kind := range storeKinds() {
		t.Run(kind, func(t *testing.T) {
			f := newFixtureStore(t, fixtureConfig, 3, newStore(t, kind))
			act := func(action string, body any) admin.ActionResponse {
				t.Helper()
				status, res := f.Call(t, "POST", "/api/rollouts/banner/"+action, operatorToken, body, nil)
				require.Equal(t, http.StatusOK, status, "%s: %s", action, res)
				return decode[admin.ActionResponse](t, res)
			}
			shares, _ := bannerSplit(f)
			for i, s := range shares {
				assert.InDelta(t, 10, s, 2, "replica %d follows its configuration", i)
			}

			res := act("brake", map[string]string{"reason": "banner hides the pay button"})
			assert.Equal(t, guard.PhaseRolledBack, res.State.Phase)
			f.Tick(t)
			shares, off := bannerSplit(f)
			assert.Equal(t, []float64{0, 0, 0}, shares)
			assert.Equal(t, []bool{true, true, true}, off, "every replica decides the default variant with ReasonOff")
			v := decode[admin.RolloutView](t, mustGet(t, f, "/api/rollouts/banner", viewerToken))
			assert.False(t, v.Enabled)
			assert.Equal(t, guard.PhaseRolledBack, v.State.Phase)

			res = act("resume", nil)
			assert.Equal(t, guard.PhaseRunning, res.State.Phase)
			assert.Equal(t, 10.0, res.State.Share, "back to the configured share")
			f.Tick(t)
			shares, _ = bannerSplit(f)
			for i, s := range shares {
				assert.InDelta(t, 10, s, 2, "replica %d", i)
			}

			res = act("set-share", map[string]any{"share": 30})
			assert.Equal(t, guard.PhaseManual, res.State.Phase)
			f.Tick(t)
			shares, _ = bannerSplit(f)
			for i, s := range shares {
				assert.InDelta(t, 30, s, 3, "replica %d", i)
			}

			act("promote", nil)
			f.Tick(t)
			shares, _ = bannerSplit(f)
			assert.Equal(t, []float64{100, 100, 100}, shares)

			for _, action := range []string{"advance", "pause"} {
				status, body := f.Call(t, "POST", "/api/rollouts/banner/"+action, operatorToken, nil, nil)
				assert.Equal(t, http.StatusConflict, status, action)
				e := decode[admin.ErrorResponse](t, body)
				assert.Contains(t, e.Error, "rollout has no plan: "+action+" walks a plan's steps and its judge")
			}

			audit := decode[admin.AuditResponse](t, mustGet(t, f, "/api/audit?rollout=banner", viewerToken))
			require.Len(t, audit.Entries, 4, "four actions, the refused ones not audited")
			var acts []guard.Action
			for _, e := range audit.Entries {
				acts = append(acts, e.Action)
				assert.Equal(t, "olga", e.Actor)
			}
			assert.Equal(t, []guard.Action{guard.ActionPromote, guard.ActionSetShare, guard.ActionResume, guard.ActionBrake}, acts)
			assert.Equal(t, "banner hides the pay button", audit.Entries[3].Reason)
		})
	}
}
