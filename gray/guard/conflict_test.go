package guard_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/internal/guardtest"
)

// world is one guarded rollout ("search": 5, 20, 50, 100 %) on a store
// that lets a writer in between an action's load and its write: the judge
// of replica "b", or another person.
type world struct {
	clock *fakeClock
	stats *fakeStats
	store *guardtest.InterleavingStore
	judge *guard.Controller
	ops   *guard.Actions // the operator's
	other *guard.Actions // another person's
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{clock: newFakeClock(), stats: &fakeStats{}, store: guardtest.NewInterleavingStore(guard.NewMemoryStore())}
	eng, err := gray.New(replicaConfig())
	require.NoError(t, err)
	quiet := guard.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	w.judge, err = guard.New(eng, w.store, guard.WithClock(w.clock.Now), guard.WithCounters(w.stats), guard.WithReplica("b"), quiet)
	require.NoError(t, err)
	w.ops, err = guard.NewActions(w.store, guard.PlansFromEngine(eng), guard.WithClock(w.clock.Now), quiet)
	require.NoError(t, err)
	w.other, err = guard.NewActions(w.store, guard.PlansFromEngine(eng), guard.WithClock(w.clock.Now), quiet)
	require.NoError(t, err)
	require.NoError(t, w.judge.Tick(t.Context()), "the first tick starts the plan at 5%")
	return w
}

// judgeAdvances lets the judge see a healthy canary past its hold and
// advance one step, asserting that it did.
func (w *world) judgeAdvances(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	before, err := w.store.Load(ctx, "search")
	require.NoError(t, err)
	w.stats.mu.Lock()
	w.stats.get("search", "stable").Requests += 100000
	w.stats.get("search", "stable").Errors += 1000
	w.stats.get("search", "canary").Requests += 5000
	w.stats.get("search", "canary").Errors += 50
	w.stats.mu.Unlock()
	w.clock.Add(70 * time.Second) // past the one-minute hold
	require.NoError(t, w.judge.Tick(ctx))
	after, err := w.store.Load(ctx, "search")
	require.NoError(t, err)
	require.Equal(t, guard.ActionAdvance, after.Last.Action, "the judge advanced: %+v", after.Last)
	require.Equal(t, before.Version+1, after.Version)
}

// TestManualAdvanceMovesOneStep is issue 12: the judge advances between a
// manual advance's load and its compare-and-swap. The manual advance was
// decided on the step it loaded, so it must not be applied again to the
// step the judge moved to (5% → 20% → 50% when the operator meant 5% →
// 20%): it changes nothing and reports the state in force.
func TestManualAdvanceMovesOneStep(t *testing.T) {
	w := newWorld(t)
	ctx := t.Context()
	w.store.AfterNextLoad(func() { w.judgeAdvances(t) })
	_, err := w.ops.Advance(ctx, "search", "olga", "looks good")

	require.ErrorIs(t, err, guard.ErrConflict)
	var conflict *guard.ConflictError
	require.ErrorAs(t, err, &conflict)
	assert.Equal(t, "search", conflict.Rollout)
	assert.Equal(t, guard.ActionAdvance, conflict.Action)
	assert.Equal(t, int64(1), conflict.Version, "decided on the start at 5%")
	assert.Equal(t, int64(2), conflict.Current.Version)
	assert.Equal(t, 20.0, conflict.Current.Share)
	assert.Equal(t, 1, conflict.Current.Step)
	assert.Equal(t, "guard/b", conflict.Current.Last.Actor)
	assert.Contains(t, err.Error(), `guard: advance "search": state changed concurrently: decided on version 1, now at version 2 (running at 20%, after advance by guard/b); nothing was changed`)

	st, err := w.store.Load(ctx, "search")
	require.NoError(t, err)
	assert.Equal(t, 20.0, st.Share, "one step, the judge's")
	audit, err := w.store.Audit(ctx, "search", 0)
	require.NoError(t, err)
	require.Len(t, audit, 2, "start and the judge's advance; the operator's changed nothing")

	// Decided again on what is in force, it moves one step from there.
	st, err = w.ops.Advance(ctx, "search", "olga", "looks good", guard.ExpectVersion(conflict.Current.Version))
	require.NoError(t, err)
	assert.Equal(t, 50.0, st.Share)
}

// TestActionsUnderAConcurrentWrite goes through every manual action with
// another writer in between its load and its compare-and-swap. Absolute
// actions (the same target whatever the state: pause, brake, promote,
// set-share) retry on the new state; relative ones (advance, resume: their
// meaning depends on the state they saw) and any action given the version
// its caller saw fail with a conflict and change nothing.
func TestActionsUnderAConcurrentWrite(t *testing.T) {
	type act = func(ctx context.Context, w *world) (guard.State, error)
	advance := func(opts ...guard.ActOption) act {
		return func(ctx context.Context, w *world) (guard.State, error) {
			return w.ops.Advance(ctx, "search", "olga", "", opts...)
		}
	}
	pause := func(ctx context.Context, w *world) (guard.State, error) {
		return w.ops.Pause(ctx, "search", "olga", "")
	}
	resume := func(ctx context.Context, w *world) (guard.State, error) {
		return w.ops.Resume(ctx, "search", "olga", "")
	}
	brake := func(opts ...guard.ActOption) act {
		return func(ctx context.Context, w *world) (guard.State, error) {
			return w.ops.Brake(ctx, "search", "olga", "", opts...)
		}
	}
	promote := func(ctx context.Context, w *world) (guard.State, error) {
		return w.ops.Promote(ctx, "search", "olga", "")
	}
	setShare := func(p float64) act {
		return func(ctx context.Context, w *world) (guard.State, error) {
			return w.ops.SetShare(ctx, "search", p, "olga", "")
		}
	}
	judge := func(t *testing.T, w *world) { w.judgeAdvances(t) }
	otherPauses := func(t *testing.T, w *world) {
		_, err := w.other.Pause(t.Context(), "search", "ivan", "")
		require.NoError(t, err)
	}
	otherBrakes := func(t *testing.T, w *world) {
		_, err := w.other.Brake(t.Context(), "search", "ivan", "")
		require.NoError(t, err)
	}
	otherSets := func(p float64) func(t *testing.T, w *world) {
		return func(t *testing.T, w *world) {
			_, err := w.other.SetShare(t.Context(), "search", p, "ivan", "")
			require.NoError(t, err)
		}
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T, w *world) // before the action
		between func(t *testing.T, w *world) // after the action's load
		give    act
		// wantConflict: the action changes nothing; else it leaves
		// wantPhase and wantShare.
		wantConflict bool
		wantPhase    guard.Phase
		wantShare    float64
	}{
		{name: "advance, judge advances", between: judge, give: advance(), wantConflict: true},
		{name: "advance, another person advances", between: func(t *testing.T, w *world) {
			_, err := w.other.Advance(t.Context(), "search", "ivan", "")
			require.NoError(t, err)
		}, give: advance(), wantConflict: true},
		{name: "advance, another person sets a share", between: otherSets(30), give: advance(), wantConflict: true},
		{name: "resume from paused, another person brakes", setup: otherPauses, between: otherBrakes, give: resume, wantConflict: true},
		{name: "resume from paused, another person sets a share", setup: otherPauses, between: otherSets(30), give: resume, wantConflict: true},
		{name: "resume after the brake, another person resumes first", setup: otherBrakes, between: func(t *testing.T, w *world) {
			_, err := w.other.Resume(t.Context(), "search", "ivan", "")
			require.NoError(t, err)
		}, give: resume, wantConflict: true},
		{name: "pause, judge advances", between: judge, give: pause, wantPhase: guard.PhasePaused, wantShare: 20},
		{name: "brake, judge advances", between: judge, give: brake(), wantPhase: guard.PhaseRolledBack, wantShare: 0},
		{name: "brake, another person sets a share", between: otherSets(30), give: brake(), wantPhase: guard.PhaseRolledBack, wantShare: 0},
		{name: "promote, judge advances", between: judge, give: promote, wantPhase: guard.PhasePromoted, wantShare: 100},
		{name: "set-share, judge advances", between: judge, give: setShare(12.5), wantPhase: guard.PhaseRunning, wantShare: 12.5},
		{name: "set-share, another person pauses", between: otherPauses, give: setShare(12.5), wantPhase: guard.PhasePaused, wantShare: 12.5},
		{name: "brake at the version seen, judge advances", between: judge, give: brake(guard.ExpectVersion(1)), wantConflict: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			ctx := t.Context()
			if tt.setup != nil {
				tt.setup(t, w)
			}
			seen, err := w.store.Load(ctx, "search")
			require.NoError(t, err)
			var between guard.State
			w.store.AfterNextLoad(func() {
				tt.between(t, w)
				var err error
				between, err = w.store.Load(ctx, "search")
				require.NoError(t, err)
			})
			got, err := tt.give(ctx, w)
			if tt.wantConflict {
				var conflict *guard.ConflictError
				require.ErrorAs(t, err, &conflict)
				require.ErrorIs(t, err, guard.ErrConflict)
				assert.Equal(t, seen.Version, conflict.Version)
				assert.Equal(t, between, conflict.Current, "the state in force")
				now, err := w.store.Load(ctx, "search")
				require.NoError(t, err)
				assert.Equal(t, between, now, "nothing was changed")
				assert.Contains(t, conflict.Error(), fmt.Sprintf("now at version %d (%s", between.Version, between.Phase))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantPhase, got.Phase)
			assert.Equal(t, tt.wantShare, got.Share)
			assert.Equal(t, "olga", got.Last.Actor)
			assert.Equal(t, between.Version+1, got.Version, "applied once, on the state in force")
		})
	}
}

// TestExpectVersion: an action given the version its caller saw applies
// only to that version.
func TestExpectVersion(t *testing.T) {
	ctx := t.Context()
	t.Run("nothing stored yet: version 0", func(t *testing.T) {
		a, err := guard.NewActions(guard.NewMemoryStore(), func(r string) (gray.Plan, bool) {
			return gray.Plan{Steps: []float64{5, 20, 50, 100}}, r == "search"
		})
		require.NoError(t, err)
		seen, err := a.State(ctx, "search")
		require.NoError(t, err)
		require.Equal(t, int64(0), seen.Version)
		st, err := a.Advance(ctx, "search", "olga", "", guard.ExpectVersion(seen.Version))
		require.NoError(t, err)
		assert.Equal(t, 20.0, st.Share, "stored the start, then advanced from it")
		assert.Equal(t, int64(2), st.Version)
	})
	t.Run("version 0 and a controller started the plan since: nothing moved", func(t *testing.T) {
		w := newWorld(t) // the judge's first tick stored the start
		st, err := w.ops.Advance(ctx, "search", "olga", "", guard.ExpectVersion(0))
		require.NoError(t, err)
		assert.Equal(t, 20.0, st.Share)
	})
	t.Run("version 0 and the judge advanced since", func(t *testing.T) {
		w := newWorld(t)
		w.judgeAdvances(t)
		_, err := w.ops.Advance(ctx, "search", "olga", "", guard.ExpectVersion(0))
		var conflict *guard.ConflictError
		require.ErrorAs(t, err, &conflict)
		assert.Equal(t, int64(0), conflict.Version)
		assert.Equal(t, 20.0, conflict.Current.Share)
	})
	t.Run("a stale version changes nothing, for every action", func(t *testing.T) {
		w := newWorld(t)
		w.judgeAdvances(t)
		stale := guard.ExpectVersion(1)
		for name, act := range map[string]func() (guard.State, error){
			"advance":   func() (guard.State, error) { return w.ops.Advance(ctx, "search", "olga", "", stale) },
			"pause":     func() (guard.State, error) { return w.ops.Pause(ctx, "search", "olga", "", stale) },
			"resume":    func() (guard.State, error) { return w.ops.Resume(ctx, "search", "olga", "", stale) },
			"brake":     func() (guard.State, error) { return w.ops.Brake(ctx, "search", "olga", "", stale) },
			"promote":   func() (guard.State, error) { return w.ops.Promote(ctx, "search", "olga", "", stale) },
			"set-share": func() (guard.State, error) { return w.ops.SetShare(ctx, "search", 12.5, "olga", "", stale) },
		} {
			_, err := act()
			var conflict *guard.ConflictError
			require.ErrorAs(t, err, &conflict, name)
			assert.Equal(t, int64(2), conflict.Current.Version, name)
		}
		audit, err := w.store.Audit(ctx, "search", 0)
		require.NoError(t, err)
		assert.Len(t, audit, 2, "start and the judge's advance only")
	})
	t.Run("the current version applies", func(t *testing.T) {
		w := newWorld(t)
		st, err := w.ops.Brake(ctx, "search", "olga", "", guard.ExpectVersion(1))
		require.NoError(t, err)
		assert.Equal(t, guard.PhaseRolledBack, st.Phase)
	})
	t.Run("a rollout without a plan", func(t *testing.T) {
		a, err := guard.NewActions(guard.NewMemoryStore(), func(string) (gray.Plan, bool) { return gray.Plan{}, false })
		require.NoError(t, err)
		_, err = a.Brake(ctx, "banner", "olga", "", guard.ExpectVersion(0))
		require.NoError(t, err)
		_, err = a.Resume(ctx, "banner", "olga", "", guard.ExpectVersion(0))
		require.ErrorIs(t, err, guard.ErrConflict, "the brake moved it to version 1")
		st, err := a.Resume(ctx, "banner", "olga", "", guard.ExpectVersion(1))
		require.NoError(t, err)
		assert.Equal(t, guard.PhaseRunning, st.Phase)
	})
	t.Run("a negative version is invalid", func(t *testing.T) {
		w := newWorld(t)
		_, err := w.ops.Brake(ctx, "search", "olga", "", guard.ExpectVersion(-1))
		require.ErrorIs(t, err, guard.ErrInvalidAction)
	})
}
