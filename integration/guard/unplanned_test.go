package guard_test

import (
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// mixedConfig has a guarded rollout and one without a plan.
func mixedConfig(bannerPercent float64) *gray.Config {
	cfg := replicaConfig()
	cfg.Rollouts = append(cfg.Rollouts, gray.Rollout{Name: "banner", Percent: bannerPercent})
	return cfg
}

func newMixedReplica(t *testing.T, name string, st guard.Store, clock *fakeClock) *replica {
	t.Helper()
	eng, err := gray.New(mixedConfig(10))
	require.NoError(t, err)
	ctrl, err := guard.New(eng, st, guard.WithReplica(name), guard.WithClock(clock.Now),
		guard.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	require.NoError(t, err)
	return &replica{engine: eng, ctrl: ctrl}
}

// canaryShare is the share of 2,000 users the engine puts on canary, in
// percent, and the reasons it gave.
func canaryShare(e *gray.Engine, rollout string) (float64, map[gray.Reason]int) {
	const n = 2000
	reasons := map[gray.Reason]int{}
	in := 0
	for i := range n {
		d := e.Decide(rollout, gray.Subject{Key: "u-" + strconv.Itoa(i)})
		reasons[d.Reason]++
		if d.Variant == "canary" {
			in++
		}
	}
	return float64(in) * 100 / n, reasons
}

func TestUnplannedActions(t *testing.T) {
	type step struct {
		act     guard.Action
		share   float64
		phase   guard.Phase
		want    float64
		wantErr error
	}
	tests := []struct {
		name string
		give []step
	}{
		{"brake then resume goes back to the configuration", []step{
			{act: guard.ActionBrake, phase: guard.PhaseRolledBack, want: 0},
			{act: guard.ActionResume, phase: guard.PhaseRunning, want: 10},
		}},
		{"a share set by hand survives brake and resume", []step{
			{act: guard.ActionSetShare, share: 2.5, phase: guard.PhaseManual, want: 2.5},
			{act: guard.ActionBrake, phase: guard.PhaseRolledBack, want: 0},
			{act: guard.ActionResume, phase: guard.PhaseManual, want: 2.5},
		}},
		{"promote, brake, resume promoted", []step{
			{act: guard.ActionPromote, phase: guard.PhasePromoted, want: 100},
			{act: guard.ActionBrake, phase: guard.PhaseRolledBack, want: 0},
			{act: guard.ActionResume, phase: guard.PhasePromoted, want: 100},
			{act: guard.ActionSetShare, share: 50, phase: guard.PhaseManual, want: 50},
		}},
		{"advance needs a plan", []step{{act: guard.ActionAdvance, wantErr: guard.ErrNoPlan}}},
		{"pause needs a plan", []step{{act: guard.ActionPause, wantErr: guard.ErrNoPlan}}},
		{"resume when running is invalid", []step{{act: guard.ActionResume, wantErr: guard.ErrInvalidAction}}},
		{"brake twice is invalid", []step{
			{act: guard.ActionBrake, phase: guard.PhaseRolledBack, want: 0},
			{act: guard.ActionBrake, wantErr: guard.ErrInvalidAction},
		}},
		{"set share while braked is invalid", []step{
			{act: guard.ActionBrake, phase: guard.PhaseRolledBack, want: 0},
			{act: guard.ActionSetShare, share: 5, wantErr: guard.ErrInvalidAction},
		}},
		{"bad share", []step{{act: guard.ActionSetShare, share: 100.5, wantErr: guard.ErrInvalidAction}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			eng, err := gray.New(mixedConfig(10))
			require.NoError(t, err)
			st := guard.NewMemoryStore()
			a, err := guard.NewActions(st, guard.PlansFromEngine(eng), guard.WithEngine(eng))
			require.NoError(t, err)
			s, err := a.State(ctx, "banner")
			require.NoError(t, err)
			assert.Equal(t, guard.State{Rollout: "banner", Phase: guard.PhaseRunning, Step: -1, Share: 10}, s, "nothing stored: running as configured")
			do := map[guard.Action]func(share float64) (guard.State, error){
				guard.ActionAdvance: func(float64) (guard.State, error) { return a.Advance(ctx, "banner", "ops", "r") },
				guard.ActionPause:   func(float64) (guard.State, error) { return a.Pause(ctx, "banner", "ops", "r") },
				guard.ActionResume:  func(float64) (guard.State, error) { return a.Resume(ctx, "banner", "ops", "r") },
				guard.ActionBrake:   func(float64) (guard.State, error) { return a.Brake(ctx, "banner", "ops", "r") },
				guard.ActionPromote: func(float64) (guard.State, error) { return a.Promote(ctx, "banner", "ops", "r") },
				guard.ActionSetShare: func(p float64) (guard.State, error) {
					return a.SetShare(ctx, "banner", p, "ops", "r")
				},
			}
			var version int64
			for i, s := range tt.give {
				got, err := do[s.act](s.share)
				if s.wantErr != nil {
					require.ErrorIs(t, err, s.wantErr, "step %d", i)
					continue
				}
				require.NoError(t, err, "step %d", i)
				version++
				assert.Equal(t, s.phase, got.Phase, "step %d", i)
				assert.Equal(t, s.want, got.Share, "step %d", i)
				assert.Equal(t, -1, got.Step, "step %d", i)
				assert.Equal(t, version, got.Version, "step %d: no start transition without a plan", i)
			}
			audit, err := st.Audit(ctx, "banner", 0)
			require.NoError(t, err)
			assert.Len(t, audit, int(version), "every action audited, failed ones not")
		})
	}
}

func TestUnplannedErrors(t *testing.T) {
	ctx := t.Context()
	eng, err := gray.New(mixedConfig(10))
	require.NoError(t, err)
	a, err := guard.NewActions(guard.NewMemoryStore(), guard.PlansFromEngine(eng), guard.WithEngine(eng))
	require.NoError(t, err)
	_, err = a.Brake(ctx, "nope", "ops", "")
	require.ErrorIs(t, err, gray.ErrUnknownRollout, "with an engine, a typo is not a rollout")
	_, err = a.State(ctx, "nope")
	require.ErrorIs(t, err, gray.ErrUnknownRollout)
	_, err = a.Pause(ctx, "banner", "ops", "")
	require.ErrorIs(t, err, guard.ErrNoPlan)
	assert.Contains(t, err.Error(), "brake, resume, set-share and promote work without one")
}

// TestUnplannedReplicas: three replicas share a store; manual actions on a
// rollout without a plan reach every replica at its next tick, the
// rollout's configuration is untouched until someone acts, a restarted
// replica picks the state up, and a reload that drops the rollout breaks
// nothing.
func TestUnplannedReplicas(t *testing.T) {
	for _, kind := range storeKinds {
		t.Run(kind, func(t *testing.T) {
			ctx := t.Context()
			st := newStore(t, kind)
			clock := newFakeClock()
			rs := []*replica{newMixedReplica(t, "a", st, clock), newMixedReplica(t, "b", st, clock), newMixedReplica(t, "c", st, clock)}
			tickAll := func() {
				t.Helper()
				for _, r := range rs {
					require.NoError(t, r.ctrl.Tick(ctx))
				}
			}
			tickAll()
			for _, r := range rs {
				_, ok := r.engine.Overrides()["banner"]
				assert.False(t, ok, "no state: the configuration alone decides")
				share, _ := canaryShare(r.engine, "banner")
				assert.InDelta(t, 10, share, 2)
			}

			// Brake on one replica: every replica sends everyone to stable.
			_, err := rs[1].ctrl.Brake(ctx, "banner", "alice", "banner breaks checkout")
			require.NoError(t, err)
			tickAll()
			for i, r := range rs {
				share, reasons := canaryShare(r.engine, "banner")
				assert.Zero(t, share, "replica %d", i)
				assert.Equal(t, map[gray.Reason]int{gray.ReasonOff: 2000}, reasons, "replica %d", i)
			}
			share, _ := canaryShare(rs[0].engine, "search")
			assert.InDelta(t, 5, share, 2, "the guarded rollout is not touched")

			// Resume: back to the configuration's 10%.
			_, err = rs[2].ctrl.Resume(ctx, "banner", "alice", "fixed")
			require.NoError(t, err)
			tickAll()
			for i, r := range rs {
				share, _ := canaryShare(r.engine, "banner")
				assert.InDelta(t, 10, share, 2, "replica %d", i)
			}

			// A share set by hand changes every replica's split, and a
			// restarted replica picks it up from the store.
			_, err = rs[0].ctrl.SetShare(ctx, "banner", 40, "bob", "more")
			require.NoError(t, err)
			rs[2] = newMixedReplica(t, "c", st, clock)
			tickAll()
			for i, r := range rs {
				share, _ := canaryShare(r.engine, "banner")
				assert.InDelta(t, 40, share, 3, "replica %d", i)
			}

			_, err = rs[0].ctrl.Promote(ctx, "banner", "bob", "done")
			require.NoError(t, err)
			tickAll()
			for i, r := range rs {
				share, _ := canaryShare(r.engine, "banner")
				assert.Equal(t, 100.0, share, "replica %d", i)
			}

			audit, err := st.Audit(ctx, "banner", 0)
			require.NoError(t, err)
			var acts []guard.Action
			for i := len(audit) - 1; i >= 0; i-- {
				acts = append(acts, audit[i].Action)
			}
			assert.Equal(t, []guard.Action{guard.ActionBrake, guard.ActionResume, guard.ActionSetShare, guard.ActionPromote}, acts)
			assert.Equal(t, "alice", audit[3].Actor)
			assert.Equal(t, "banner breaks checkout", audit[3].Reason)
			assert.Equal(t, 10.0, audit[3].FromShare, "the brake records the configured share it stopped")

			// A reload that drops the rollout: ticks go on, actions say so,
			// and the stored state comes back with the rollout.
			for _, r := range rs {
				require.NoError(t, r.engine.Update(replicaConfig()))
			}
			tickAll()
			_, err = rs[0].ctrl.Brake(ctx, "banner", "alice", "")
			require.ErrorIs(t, err, gray.ErrUnknownRollout)
			for _, r := range rs {
				require.NoError(t, r.engine.Update(mixedConfig(10)))
			}
			tickAll()
			share, _ = canaryShare(rs[1].engine, "banner")
			assert.Equal(t, 100.0, share, "promoted still")
		})
	}
}

// TestPlanAddedAndRemoved: a rollout that gets a plan while a person holds
// its share keeps it until resumed; one that loses its plan goes back to
// its configuration unless a person acted.
func TestPlanAddedAndRemoved(t *testing.T) {
	ctx := t.Context()
	st := guard.NewMemoryStore()
	clock := newFakeClock()
	r := newMixedReplica(t, "a", st, clock)
	_, err := r.ctrl.SetShare(ctx, "banner", 3, "ops", "")
	require.NoError(t, err)
	require.NoError(t, r.ctrl.Tick(ctx))

	cfg := mixedConfig(10)
	cfg.Rollouts[1].Plan = &gray.Plan{Steps: []float64{5, 50}, Hold: time.Minute}
	require.NoError(t, r.engine.Update(cfg))
	require.NoError(t, r.ctrl.Tick(ctx))
	s, err := st.Load(ctx, "banner")
	require.NoError(t, err)
	assert.Equal(t, guard.PhaseManual, s.Phase, "the judge does not take over a share set by hand")
	o := r.engine.Overrides()["banner"]
	require.NotNil(t, o.Percent)
	require.NotNil(t, o.Enabled, "applied as a guarded rollout now")
	assert.Equal(t, 3.0, *o.Percent)
	s, err = r.ctrl.Resume(ctx, "banner", "ops", "let the judge run")
	require.NoError(t, err)
	assert.Equal(t, guard.PhaseRunning, s.Phase)
	assert.Equal(t, 3.0, s.Share)
	s, err = r.ctrl.Advance(ctx, "banner", "ops", "")
	require.NoError(t, err)
	assert.Equal(t, 5.0, s.Share)

	// The plan goes: the stored running state means "as configured".
	require.NoError(t, r.engine.Update(mixedConfig(10)))
	require.NoError(t, r.ctrl.Tick(ctx))
	share, _ := canaryShare(r.engine, "banner")
	assert.InDelta(t, 10, share, 2)
	s, err = r.ctrl.State(ctx, "banner")
	require.NoError(t, err)
	assert.Equal(t, 10.0, s.Share, "running without a plan shows the configured share")
}

// TestSetShareRefusesWhatTheEngineCannotTake: a share the configuration
// cannot hold (here: more than the other variants leave) is refused when it
// is asked for, not stored for every replica to fail on.
func TestSetShareRefusesWhatTheEngineCannotTake(t *testing.T) {
	ctx := t.Context()
	cfg := mixedConfig(10)
	cfg.Rollouts = append(cfg.Rollouts, gray.Rollout{Name: "colours", Variants: []gray.VariantSpec{{Name: "blue", Percent: 30}, {Name: "green", Percent: 60}}})
	eng, err := gray.New(cfg)
	require.NoError(t, err)
	st := guard.NewMemoryStore()
	a, err := guard.NewActions(st, guard.PlansFromEngine(eng), guard.WithEngine(eng))
	require.NoError(t, err)
	_, err = a.SetShare(ctx, "colours", 50, "ops", "too much")
	require.ErrorIs(t, err, guard.ErrInvalidAction)
	assert.Contains(t, err.Error(), "percentages add up to 110, above 100")
	_, err = st.Load(ctx, "colours")
	assert.ErrorIs(t, err, guard.ErrNoState, "nothing stored")
	got, err := a.SetShare(ctx, "colours", 40, "ops", "fits")
	require.NoError(t, err)
	assert.Equal(t, 40.0, got.Share)
}
