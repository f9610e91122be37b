package guard_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// planned is a controller and a person's actions over "search" with plan.
type planned struct {
	clock *fakeClock
	stats *fakeStats
	store guard.Store
	ctrl  *guard.Controller
	ops   *guard.Actions
}

func newPlanned(t *testing.T, mutate func(p *gray.Plan)) *planned {
	t.Helper()
	cfg := replicaConfig()
	mutate(cfg.Rollouts[0].Plan)
	eng, err := gray.New(cfg)
	require.NoError(t, err)
	p := &planned{clock: newFakeClock(), stats: &fakeStats{}, store: guard.NewMemoryStore()}
	quiet := guard.WithLogger(slog.New(slog.DiscardHandler))
	p.ctrl, err = guard.New(eng, p.store, guard.WithClock(p.clock.Now), guard.WithCounters(p.stats), quiet)
	require.NoError(t, err)
	p.ops, err = guard.NewActions(p.store, guard.PlansFromEngine(eng), guard.WithClock(p.clock.Now), quiet)
	require.NoError(t, err)
	require.NoError(t, p.ctrl.Tick(t.Context()), "the first tick starts the plan at 5%")
	return p
}

// tick feeds a minute and ten seconds of traffic, the canary's with
// canaryErrors errors in 5000, and ticks; it returns the state after.
func (p *planned) tick(t *testing.T, canaryErrors uint64) guard.State {
	t.Helper()
	p.stats.mu.Lock()
	p.stats.get("search", "stable").Requests += 100000
	p.stats.get("search", "stable").Errors += 1000
	p.stats.get("search", "canary").Requests += 5000
	p.stats.get("search", "canary").Errors += canaryErrors
	p.stats.mu.Unlock()
	p.clock.Add(70 * time.Second)
	require.NoError(t, p.ctrl.Tick(t.Context()))
	st, err := p.store.Load(t.Context(), "search")
	require.NoError(t, err)
	return st
}

func TestApprovalStep(t *testing.T) {
	p := newPlanned(t, func(pl *gray.Plan) { pl.Approve = []float64{20, 100} })
	ctx := t.Context()

	st := p.tick(t, 50)
	require.Equal(t, guard.PhaseAwaiting, st.Phase, "the judge would enter 20%%, which needs approval")
	assert.Equal(t, 5.0, st.Share)
	assert.Equal(t, guard.ActionRequestApproval, st.Last.Action)
	assert.Contains(t, st.Last.Reason, "20% awaits approval: held")
	require.NotNil(t, st.Last.Evidence, "the request shows the evidence")
	requested := st

	st = p.tick(t, 50)
	assert.Equal(t, requested.Version, st.Version, "awaiting, the judge never advances")
	ev, ok := p.ctrl.Evidence("search")
	require.True(t, ok)
	assert.Equal(t, guard.VerdictHold, ev.Verdict)
	assert.Contains(t, ev.Why, "awaiting approval to enter 20%")

	st, err := p.ops.Approve(ctx, "search", "olga", "dashboards agree")
	require.NoError(t, err)
	assert.Equal(t, guard.PhaseRunning, st.Phase)
	assert.Equal(t, 20.0, st.Share)
	assert.Equal(t, guard.ActionApprove, st.Last.Action)
	assert.Equal(t, requested.Last.Evidence, st.Last.Evidence, "the audit says what the approval was given on")
	_, err = p.ops.Approve(ctx, "search", "olga", "")
	require.ErrorIs(t, err, guard.ErrInvalidAction, "nothing awaits approval")

	st = p.tick(t, 50)
	assert.Equal(t, 50.0, st.Share, "50% needs no approval")
	st = p.tick(t, 50)
	assert.Equal(t, guard.PhaseAwaiting, st.Phase, "promotion (100) needs approval")
	st, err = p.ops.Approve(ctx, "search", "olga", "ship it")
	require.NoError(t, err)
	assert.Equal(t, guard.PhasePromoted, st.Phase)
	assert.Equal(t, 100.0, st.Share)
}

func TestApprovalWaitRollsBackAWorseCanary(t *testing.T) {
	p := newPlanned(t, func(pl *gray.Plan) { pl.Approve = []float64{20} })
	require.Equal(t, guard.PhaseAwaiting, p.tick(t, 50).Phase)
	st := p.tick(t, 1500)
	assert.Equal(t, guard.PhaseRolledBack, st.Phase)
	assert.Equal(t, guard.ActionRollback, st.Last.Action)
	_, err := p.ops.Approve(t.Context(), "search", "olga", "")
	require.ErrorIs(t, err, guard.ErrInvalidAction, "a rolled-back rollout has nothing to approve")
}

func TestApprovalStaleVersionChangesNothing(t *testing.T) {
	p := newPlanned(t, func(pl *gray.Plan) { pl.Approve = []float64{20} })
	seen := p.tick(t, 50)
	_, err := p.ops.SetShare(t.Context(), "search", 10, "vera", "less for now")
	require.NoError(t, err)
	_, err = p.ops.Approve(t.Context(), "search", "olga", "", guard.ExpectVersion(seen.Version))
	require.ErrorIs(t, err, guard.ErrConflict)
}

func TestAdvanceWindow(t *testing.T) {
	// The fake clock starts on Sunday 2026-03-01 at 09:00 UTC.
	p := newPlanned(t, func(pl *gray.Plan) {
		pl.Window = &gray.PlanWindow{Days: []string{"mon", "tue", "wed", "thu", "fri"}, From: "09:00", To: "18:00"}
	})
	require.Equal(t, time.Sunday, p.clock.Now().Weekday())
	st := p.tick(t, 50)
	assert.Equal(t, 5.0, st.Share, "a healthy canary does not advance on a Sunday")
	ev, _ := p.ctrl.Evidence("search")
	assert.Contains(t, ev.Why, "outside the advance window (mon,tue,wed,thu,fri 09:00-18:00 UTC)")

	p.clock.Add(24 * time.Hour) // Monday 09:0x
	st = p.tick(t, 50)
	assert.Equal(t, 20.0, st.Share, "inside the window it advances")

	p.clock.Add(12 * time.Hour) // Monday night
	st = p.tick(t, 3000)
	assert.Equal(t, guard.PhaseRolledBack, st.Phase, "outside the window a worse canary is still rolled back")
}
