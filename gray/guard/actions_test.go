package guard_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

func TestActions(t *testing.T) {
	type step struct {
		act   func(a *guard.Actions) (guard.State, error)
		phase guard.Phase
		share float64
	}
	ctx := t.Context()
	adv := func(a *guard.Actions) (guard.State, error) { return a.Advance(ctx, "search", "ops", "r") }
	pause := func(a *guard.Actions) (guard.State, error) { return a.Pause(ctx, "search", "ops", "r") }
	resume := func(a *guard.Actions) (guard.State, error) { return a.Resume(ctx, "search", "ops", "r") }
	brake := func(a *guard.Actions) (guard.State, error) { return a.Brake(ctx, "search", "ops", "r") }
	promote := func(a *guard.Actions) (guard.State, error) { return a.Promote(ctx, "search", "ops", "r") }
	start := func(a *guard.Actions) (guard.State, error) { return a.Start(ctx, "search", "ops", "r") }
	share := func(p float64) func(a *guard.Actions) (guard.State, error) {
		return func(a *guard.Actions) (guard.State, error) { return a.SetShare(ctx, "search", p, "ops", "r") }
	}
	tests := []struct {
		name    string
		give    []step
		wantErr error
	}{
		{name: "advance through to promote", give: []step{
			{adv, guard.PhaseRunning, 20}, {adv, guard.PhaseRunning, 50}, {adv, guard.PhasePromoted, 100},
		}, wantErr: nil},
		{name: "pause keeps share, resume continues", give: []step{
			{pause, guard.PhasePaused, 5}, {adv, guard.PhasePaused, 20}, {resume, guard.PhaseRunning, 20},
		}},
		{name: "brake then resume starts over", give: []step{
			{adv, guard.PhaseRunning, 20}, {brake, guard.PhaseRolledBack, 0}, {resume, guard.PhaseRunning, 5},
		}},
		{name: "set share between steps, advance to the next step", give: []step{
			{share(12.5), guard.PhaseRunning, 12.5}, {adv, guard.PhaseRunning, 20},
		}},
		{name: "promote from the first step", give: []step{{promote, guard.PhasePromoted, 100}}},
		{name: "start on nothing stored is the plan's start", give: []step{{start, guard.PhaseRunning, 5}}},
		{name: "start after promote begins a new run", give: []step{
			{promote, guard.PhasePromoted, 100}, {start, guard.PhaseRunning, 5}, {adv, guard.PhaseRunning, 20},
		}},
		{name: "start after a brake, a pause or midway", give: []step{
			{brake, guard.PhaseRolledBack, 0}, {start, guard.PhaseRunning, 5}, {adv, guard.PhaseRunning, 20},
			{start, guard.PhaseRunning, 5}, {pause, guard.PhasePaused, 5}, {start, guard.PhaseRunning, 5},
		}},
		{name: "advance after brake is invalid", give: []step{{brake, guard.PhaseRolledBack, 0}, {adv, "", 0}}, wantErr: guard.ErrInvalidAction},
		{name: "pause twice is invalid", give: []step{{pause, guard.PhasePaused, 5}, {pause, "", 0}}, wantErr: guard.ErrInvalidAction},
		{name: "share above 100 is invalid", give: []step{{share(101), "", 0}}, wantErr: guard.ErrInvalidAction},
		{name: "share with three decimals is invalid", give: []step{{share(1.005), "", 0}}, wantErr: guard.ErrInvalidAction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := guard.NewMemoryStore()
			clock := newFakeClock()
			var seen []guard.State
			a, err := guard.NewActions(st, func(r string) (gray.Plan, bool) {
				return gray.Plan{Steps: []float64{5, 20, 50, 100}}, r == "search"
			}, guard.WithClock(clock.Now), guard.WithOnTransition(func(s guard.State) { seen = append(seen, s) }))
			require.NoError(t, err)
			var last error
			for i, s := range tt.give {
				clock.Add(time.Second)
				got, err := s.act(a)
				last = err
				if err != nil {
					require.Equal(t, len(tt.give)-1, i, "only the last step may fail: %v", err)
					break
				}
				assert.Equal(t, s.phase, got.Phase, "step %d", i)
				assert.Equal(t, s.share, got.Share, "step %d", i)
				assert.Equal(t, "ops", got.Last.Actor)
				assert.True(t, got.StepStarted.Equal(clock.Now()))
			}
			if tt.wantErr != nil {
				require.ErrorIs(t, last, tt.wantErr)
			} else {
				require.NoError(t, last)
			}
			audit, err := st.Audit(t.Context(), "search", 0)
			require.NoError(t, err)
			assert.Len(t, audit, len(seen), "every stored transition is audited and reported")
		})
	}
}

func TestActionsUnknownRollout(t *testing.T) {
	a, err := guard.NewActions(guard.NewMemoryStore(), func(string) (gray.Plan, bool) { return gray.Plan{}, false })
	require.NoError(t, err)
	_, err = a.Advance(t.Context(), "nope", "ops", "")
	require.ErrorIs(t, err, guard.ErrNoPlan)
	_, err = guard.NewActions(nil, nil)
	require.Error(t, err)
}

func TestStartClose(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	eng, err := gray.New(replicaConfig())
	require.NoError(t, err)
	st := guard.NewMemoryStore()
	ctrl, err := guard.New(eng, st, guard.WithPollInterval(5*time.Millisecond))
	require.NoError(t, err)
	require.NoError(t, ctrl.Start(t.Context()))
	require.Error(t, ctrl.Start(t.Context()), "started twice")
	require.Eventually(t, func() bool {
		_, ok := eng.Overrides()["search"]
		return ok
	}, 2*time.Second, 5*time.Millisecond, "the loop ticks and applies the first step")
	// A brake pulled elsewhere is followed within a poll.
	other, err := guard.NewActions(st, guard.PlansFromEngine(eng))
	require.NoError(t, err)
	_, err = other.Brake(t.Context(), "search", "ops", "test")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		o := eng.Overrides()["search"]
		return o.Enabled != nil && !*o.Enabled
	}, 2*time.Second, 5*time.Millisecond)
	require.NoError(t, ctrl.Close())
	require.NoError(t, ctrl.Close(), "idempotent")
	require.ErrorIs(t, ctrl.Start(t.Context()), guard.ErrClosed)
}

func TestStartStopsOnContext(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	eng, err := gray.New(replicaConfig())
	require.NoError(t, err)
	ctrl, err := guard.New(eng, guard.NewMemoryStore(), guard.WithPollInterval(time.Millisecond))
	require.NoError(t, err)
	ctx, cancel := contextWithCancel(t)
	require.NoError(t, ctrl.Start(ctx))
	cancel()
	require.NoError(t, ctrl.Close())
}

func TestJudge(t *testing.T) {
	plan := gray.Plan{Hold: time.Minute, MinRequests: 100}.WithDefaults()
	counts := func(n, e uint64) guard.Counts { return guard.Counts{Requests: n, Errors: e} }
	tests := []struct {
		name string
		give guard.Reading
		want guard.Verdict
	}{
		{name: "too little data holds even if terrible", give: guard.Reading{Stable: counts(10000, 100), Canary: counts(150, 150), StepRequests: 150, StepAge: time.Hour}, want: guard.VerdictHold},
		{name: "clearly worse regresses", give: guard.Reading{Stable: counts(100000, 1000), Canary: counts(5000, 150), StepRequests: 5000, StepAge: time.Hour}, want: guard.VerdictRegress},
		{name: "equal and enough advances", give: guard.Reading{Stable: counts(100000, 1000), Canary: counts(5000, 50), StepRequests: 5000, StepAge: time.Hour}, want: guard.VerdictAdvance},
		{name: "equal but hold not over", give: guard.Reading{Stable: counts(100000, 1000), Canary: counts(5000, 50), StepRequests: 5000, StepAge: time.Second}, want: guard.VerdictHold},
		{name: "equal but too few step requests", give: guard.Reading{Stable: counts(100000, 1000), Canary: counts(5000, 50), StepRequests: 10, StepAge: time.Hour}, want: guard.VerdictHold},
		{name: "not yet confident enough to advance", give: guard.Reading{Stable: counts(100000, 1000), Canary: counts(300, 3), StepRequests: 300, StepAge: time.Hour}, want: guard.VerdictHold},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := guard.Judge(plan, tt.give)
			assert.Equal(t, tt.want, ev.Verdict, ev.Why)
			assert.NotEmpty(t, ev.Why)
			if tt.give.Canary.Requests >= plan.Guard.MinRequests {
				assert.LessOrEqual(t, ev.ErrorLower, ev.ErrorDiff)
				assert.GreaterOrEqual(t, ev.ErrorUpper, ev.ErrorDiff)
			}
		})
	}
}

// TestJudgeIntervalShrinks checks the confidence sequence narrows as data
// grows, and that it is wider than a fixed-sample 95% interval (the price
// of looking at every tick).
func TestJudgeIntervalShrinks(t *testing.T) {
	plan := gray.Plan{}.WithDefaults()
	prev := 1.0
	for _, n := range []uint64{1000, 4000, 16000, 64000} {
		ev := guard.Judge(plan, guard.Reading{Stable: guard.Counts{Requests: 10 * n, Errors: n / 10}, Canary: guard.Counts{Requests: n, Errors: n / 50}})
		width := ev.ErrorUpper - ev.ErrorLower
		assert.Less(t, width, prev)
		fixed := 2 * 1.96 * (ev.ErrorDiff / ev.ErrorZ)
		assert.Greater(t, width, fixed)
		prev = width
	}
}

func contextWithCancel(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithCancel(t.Context())
}

// TestStartFreshRun checks that a start after a finished run weighs only
// new evidence (Started moves) and needs a plan.
func TestStartFreshRun(t *testing.T) {
	clock := newFakeClock()
	st := guard.NewMemoryStore()
	a, err := guard.NewActions(st, func(r string) (gray.Plan, bool) {
		return gray.Plan{Steps: []float64{10, 100}}, r == "search"
	}, guard.WithClock(clock.Now))
	require.NoError(t, err)
	first, err := a.Start(t.Context(), "search", "ci", "deploy 1")
	require.NoError(t, err)
	assert.Equal(t, int64(1), first.Version, "nothing stored: the start is the state's creation")
	assert.Equal(t, "deploy 1", first.Last.Reason)
	_, err = a.Promote(t.Context(), "search", "ci", "done")
	require.NoError(t, err)
	clock.Add(time.Hour)
	again, err := a.Start(t.Context(), "search", "ci", "deploy 2")
	require.NoError(t, err)
	assert.Equal(t, guard.ActionStart, again.Last.Action)
	assert.Equal(t, guard.PhasePromoted, again.Last.FromPhase)
	assert.True(t, again.Started.Equal(clock.Now()), "the judge weighs evidence from the new run only")
	assert.Equal(t, 0, again.Step)

	_, err = a.Start(t.Context(), "banner", "ci", "")
	require.ErrorIs(t, err, guard.ErrNoPlan)
}
