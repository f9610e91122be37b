package admin_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/internal/admintest"
	"github.com/graykit/graykit/internal/guardtest"
)

// newRacingFixture is the console's two-replica application on a store
// that lets the judge in between an action's load and its write.
func newRacingFixture(t *testing.T) (*fixture, *guardtest.InterleavingStore) {
	t.Helper()
	store := guardtest.NewInterleavingStore(guard.NewMemoryStore())
	return admintest.NewStore(t, fixtureConfig, 2, store), store
}

// judgeAdvances lets replica b's judge see a healthy checkout-v2 past its
// ten-minute hold and advance it one step, asserting that it did.
func judgeAdvances(t *testing.T, f *fixture) {
	t.Helper()
	before, err := f.Store.Load(t.Context(), "checkout-v2")
	require.NoError(t, err)
	f.Traffic("checkout-v2", 1500, 0, 40*time.Millisecond)
	f.Clock.Add(10*time.Minute + 10*time.Second)
	require.NoError(t, f.Ctrls[1].Tick(t.Context()))
	after, err := f.Store.Load(t.Context(), "checkout-v2")
	require.NoError(t, err)
	require.Equal(t, guard.ActionAdvance, after.Last.Action, "the judge advanced: %+v", after.Last)
	require.Equal(t, before.Version+1, after.Version)
}

// TestAdvanceRacingTheJudge is issue 12 through the console: the judge
// advances between the console's load and its write. The operator's
// advance changes nothing and the answer is 409 with the state in force,
// instead of a second step (1% → 5% → 20%).
func TestAdvanceRacingTheJudge(t *testing.T) {
	f, store := newRacingFixture(t)
	store.AfterNextLoad(func() { judgeAdvances(t, f) })
	status, body := f.Call(t, http.MethodPost, "/api/rollouts/checkout-v2/advance", operatorToken, map[string]any{"reason": "looks good"}, nil)

	require.Equal(t, http.StatusConflict, status, "body: %s", body)
	e := decode[admin.ErrorResponse](t, body)
	assert.Equal(t, http.StatusConflict, e.Status)
	assert.Contains(t, e.Error, `admin: guard: advance "checkout-v2": state changed concurrently: decided on version 1, now at version 2`)
	assert.Contains(t, e.Error, "nothing was changed")
	require.NotNil(t, e.State, "the state in force")
	assert.Equal(t, int64(2), e.State.Version)
	assert.Equal(t, 5.0, e.State.Share)
	assert.Equal(t, 1, e.State.Step)
	assert.Equal(t, "guard/replica-b", e.State.Last.Actor)

	audit := decode[admin.AuditResponse](t, mustGet(t, f, "/api/audit?rollout=checkout-v2", viewerToken))
	require.Len(t, audit.Entries, 2, "start and the judge's advance")
	for _, en := range audit.Entries {
		assert.NotEqual(t, "olga", en.Actor)
	}
}

// TestActionAtTheVersionSeen: an action sent with the version the page
// showed applies only to that version.
func TestActionAtTheVersionSeen(t *testing.T) {
	version := func(v int64) *int64 { return &v }
	tests := []struct {
		name       string
		rollout    string
		action     string
		give       admin.ActionRequest
		judge      bool // the judge advances after the page was read
		wantStatus int
		wantShare  float64 // of the state in the answer
	}{
		{"advance, nothing moved", "checkout-v2", "advance", admin.ActionRequest{Version: version(1)}, false, http.StatusOK, 5},
		{"advance, the judge moved", "checkout-v2", "advance", admin.ActionRequest{Version: version(1)}, true, http.StatusConflict, 5},
		{"brake, nothing moved", "checkout-v2", "brake", admin.ActionRequest{Version: version(1)}, false, http.StatusOK, 0},
		{"set-share, the judge moved", "checkout-v2", "set-share", admin.ActionRequest{Version: version(1), Share: ptr(30)}, true, http.StatusConflict, 5},
		{"set-share without a version, the judge moved", "checkout-v2", "set-share", admin.ActionRequest{Share: ptr(30)}, true, http.StatusOK, 30},
		{"brake without a version, the judge moved", "checkout-v2", "brake", admin.ActionRequest{}, true, http.StatusOK, 0},
		{"without a plan, nothing stored yet", "banner", "brake", admin.ActionRequest{Version: version(0)}, false, http.StatusOK, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newRacingFixture(t)
			view := decode[admin.RolloutView](t, mustGet(t, f, "/api/rollouts/"+tt.rollout, viewerToken))
			require.NotNil(t, view.State)
			if tt.give.Version != nil {
				require.Equal(t, *tt.give.Version, view.State.Version, "the page shows the version sent")
			}
			if tt.judge {
				judgeAdvances(t, f)
			}
			status, body := f.Call(t, http.MethodPost, "/api/rollouts/"+tt.rollout+"/"+tt.action, operatorToken, tt.give, nil)
			require.Equal(t, tt.wantStatus, status, "body: %s", body)
			if status == http.StatusOK {
				assert.Equal(t, tt.wantShare, decode[admin.ActionResponse](t, body).State.Share)
				return
			}
			e := decode[admin.ErrorResponse](t, body)
			require.NotNil(t, e.State)
			assert.Equal(t, tt.wantShare, e.State.Share)
			st, err := f.Store.Load(t.Context(), tt.rollout)
			require.NoError(t, err)
			assert.Equal(t, *e.State, st, "nothing was changed")
		})
	}
}

func TestActionVersionIsChecked(t *testing.T) {
	f := newFixture(t, 1)
	status, body := f.Call(t, http.MethodPost, "/api/rollouts/checkout-v2/brake", operatorToken, `{"version": -1}`, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, decode[admin.ErrorResponse](t, body).Error, "version -1 is negative")
	status, body = f.Call(t, http.MethodPost, "/api/rollouts/checkout-v2/brake", operatorToken, `{"version": "1"}`, nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, decode[admin.ErrorResponse](t, body).Error, "version must be int64")
	// Errors other than a conflict carry no state.
	status, body = f.Call(t, http.MethodPost, "/api/rollouts/checkout-v2/resume", operatorToken, nil, nil)
	assert.Equal(t, http.StatusConflict, status)
	assert.Nil(t, decode[admin.ErrorResponse](t, body).State)
}

func ptr(v float64) *float64 { return &v }
