package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"time"

	"github.com/graykit/graykit/gray"
)

// PlanFunc returns the plan of the named rollout, defaults not yet filled,
// and false when the rollout has none.
type PlanFunc func(rollout string) (gray.Plan, bool)

// PlansFromEngine returns a [PlanFunc] that reads the plans of the
// configuration currently in force in e, so that a reloaded configuration
// takes effect at once.
func PlansFromEngine(e *gray.Engine) PlanFunc {
	return func(rollout string) (gray.Plan, bool) {
		for _, r := range e.Config().Rollouts {
			if r.Name == rollout && r.Plan != nil {
				return *r.Plan, true
			}
		}
		return gray.Plan{}, false
	}
}

// Actions changes the shared state of rollouts on behalf of a person or a
// program: every action is a compare-and-swap on the [Store] with an audit
// entry that says who, when, what and why. Replicas apply the new state at
// their next poll. An Actions is safe for concurrent use.
//
// When another writer (the judge on some replica, another person) changes
// the state between an action's load and its compare-and-swap, what
// happens depends on the action. Brake, Promote, SetShare and Pause are
// absolute: they mean the same on any state, so they reload and apply to
// the state in force (a few times at most). Advance and Resume are
// relative: "the next step", "go on from here" mean something only for the
// state they were decided on, so they change nothing and fail with a
// [*ConflictError] carrying the current state; decide again from it. A
// caller that decided on a state shown earlier (a console page, a status
// command) passes [ExpectVersion], and then any action fails that way if
// the state has moved since.
//
// Brake, Resume, SetShare and Promote work on every configured rollout;
// Advance and Pause need a plan (they walk its steps and stop its judge)
// and fail with [ErrNoPlan] on a rollout without one. See [State] for what
// each phase means for a rollout without a plan.
//
// A [Controller] embeds one; an operator console that runs no controller
// makes its own with [NewActions].
type Actions struct {
	store Store
	plans PlanFunc
	cfg   config
}

// NewActions returns the manual actions on the rollouts that plans knows,
// through store. Options [WithClock], [WithLogger], [WithOnTransition] and
// [WithEngine] apply; others are ignored.
func NewActions(store Store, plans PlanFunc, opts ...Option) (*Actions, error) {
	if store == nil {
		return nil, errors.New("guard: nil store")
	}
	if plans == nil {
		return nil, errors.New("guard: nil plans")
	}
	return &Actions{store: store, plans: plans, cfg: newConfig(opts)}, nil
}

// casRetries is how many times an absolute action reloads and retries
// after a conflict before giving up with a [*ConflictError].
const casRetries = 8

// State returns the rollout's stored state or, when nothing is stored yet,
// the state it would start in (Version 0): a plan's first step, or for a
// rollout without a plan running as configured (Step -1). For a rollout
// without a plan in phase running, Share is the configured share in force
// (see [WithEngine]). The error wraps [gray.ErrUnknownRollout] for a
// rollout the engine does not have.
func (a *Actions) State(ctx context.Context, rollout string) (State, error) {
	plan, planned := a.plans(rollout)
	configured, err := a.configured(rollout, planned)
	if err != nil {
		return State{}, err
	}
	s, err := a.store.Load(ctx, rollout)
	switch {
	case errors.Is(err, ErrNoState) && planned:
		return initialState(rollout, plan.WithDefaults(), a.cfg.now()), nil
	case errors.Is(err, ErrNoState):
		return unplannedState(rollout, configured), nil
	case err == nil && !planned && s.Phase == PhaseRunning && a.cfg.engine != nil:
		s.Share = configured
	}
	return s, err
}

// Start begins a new run of the rollout's plan: its first step, with
// fresh evidence (the judge weighs only what it sees from now on) and the
// hold starting over, whatever the phase: promoted or rolled back by an
// earlier release, paused, or running at any step. It is what a deploy
// pipeline calls once the new version is out. It needs a plan. It is
// absolute: on a conflict it applies to the state in force (see
// [Actions]).
func (a *Actions) Start(ctx context.Context, rollout, actor, reason string, opts ...ActOption) (State, error) {
	return a.do(ctx, rollout, ActionStart, 0, actor, reason, opts)
}

// Advance moves a running or paused rollout to the next step after the
// one it loaded, or promotes it when that is the last. It needs a plan. It
// is relative: if the state moves before it is stored, it changes nothing
// and fails with a [*ConflictError] (see [Actions]).
func (a *Actions) Advance(ctx context.Context, rollout, actor, reason string, opts ...ActOption) (State, error) {
	return a.do(ctx, rollout, ActionAdvance, 0, actor, reason, opts)
}

// Approve lets a rollout awaiting approval ([PhaseAwaiting]) enter the
// step it awaits (or be promoted, when that is 100%), recording the
// judge's evidence the approval was given on. It needs a plan. It is
// relative: if the state moves before it is stored, it changes nothing
// and fails with a [*ConflictError].
func (a *Actions) Approve(ctx context.Context, rollout, actor, reason string, opts ...ActOption) (State, error) {
	return a.do(ctx, rollout, ActionApprove, 0, actor, reason, opts)
}

// Pause keeps a running rollout's share and stops the judge until
// [Actions.Resume]. It needs a plan.
func (a *Actions) Pause(ctx context.Context, rollout, actor, reason string, opts ...ActOption) (State, error) {
	return a.do(ctx, rollout, ActionPause, 0, actor, reason, opts)
}

// Resume restarts the judge on a paused rollout (same share, the step's
// hold starts over) or restarts a rolled-back rollout at its first step
// with fresh evidence. On a rollout without a plan it lifts the brake and
// returns to what the brake stopped: the configuration's own share
// (running), a share set by hand (manual) or 100% (promoted). It is
// relative: if the state moves before it is stored, it changes nothing and
// fails with a [*ConflictError] (see [Actions]).
func (a *Actions) Resume(ctx context.Context, rollout, actor, reason string, opts ...ActOption) (State, error) {
	return a.do(ctx, rollout, ActionResume, 0, actor, reason, opts)
}

// Brake rolls the rollout back: share 0, the canary off (everyone gets
// the default variant), for every replica at its next poll. It works in
// any phase but rolled-back, with or without a plan.
func (a *Actions) Brake(ctx context.Context, rollout, actor, reason string, opts ...ActOption) (State, error) {
	return a.do(ctx, rollout, ActionBrake, 0, actor, reason, opts)
}

// Promote moves the rollout to 100% and ends the judging. With a plan it
// works when running or paused; without one in any phase but rolled-back
// and promoted.
func (a *Actions) Promote(ctx context.Context, rollout, actor, reason string, opts ...ActOption) (State, error) {
	return a.do(ctx, rollout, ActionPromote, 0, actor, reason, opts)
}

// SetShare sets the rollout's share to percent (0 to 100, at most two
// decimals). With a plan it works when running or paused, the phase stays,
// and the next advance goes to the first step above it. Without a plan it
// works in any phase but rolled-back (resume first) and puts the rollout in
// [PhaseManual]: the share holds over the configuration's until the next
// action.
func (a *Actions) SetShare(ctx context.Context, rollout string, percent float64, actor, reason string, opts ...ActOption) (State, error) {
	return a.do(ctx, rollout, ActionSetShare, percent, actor, reason, opts)
}

// do loads, applies and stores one action. An absolute action retries on
// a conflict; a relative one, or one given [ExpectVersion], is bound to
// the version it was decided on (see [relative]).
func (a *Actions) do(ctx context.Context, rollout string, act Action, share float64, actor, reason string, opts []ActOption) (State, error) {
	ac := newActConfig(opts)
	if ac.expected && ac.version < 0 {
		return State{}, fmt.Errorf("guard: %s %q: %w: expected version %d is negative", act, rollout, ErrInvalidAction, ac.version)
	}
	plan, planned := a.plans(rollout)
	if !planned && (act == ActionAdvance || act == ActionPause || act == ActionStart || act == ActionApprove) {
		return State{}, fmt.Errorf("guard: %s %q: %w: %s walks a plan's steps and its judge; brake, resume, set-share and promote work without one",
			act, rollout, ErrNoPlan, act)
	}
	plan = plan.WithDefaults()
	if act == ActionSetShare && a.cfg.engine != nil {
		// Refuse here a share the configuration cannot take, rather than
		// store it and have every replica fail to apply it at each tick.
		if err := a.cfg.engine.CheckOverride(rollout, gray.Override{Percent: &share}); err != nil {
			return State{}, fmt.Errorf("guard: %s %q: %w: %w", act, rollout, ErrInvalidAction, err)
		}
	}
	bound := ac.expected || relative(act)
	seen := int64(-1) // the version decided on, once known
	if ac.expected {
		seen = ac.version
	}
	for range casRetries {
		configured, err := a.configured(rollout, planned)
		if err != nil {
			return State{}, err
		}
		cur, err := a.store.Load(ctx, rollout)
		stored := err == nil
		switch {
		case errors.Is(err, ErrNoState) && planned:
			cur, err = initialState(rollout, plan, a.cfg.now()), nil
		case errors.Is(err, ErrNoState):
			cur, err = unplannedState(rollout, configured), nil
		}
		if err != nil {
			return State{}, fmt.Errorf("guard: %s %q: %w", act, rollout, err)
		}
		if bound {
			if seen < 0 {
				seen = cur.Version
			} else if !sameState(seen, cur) {
				return a.conflict(ctx, rollout, act, seen)
			}
		}
		if !stored && planned {
			// Store the plan's start first: it is the state seen at
			// version 0, and the action applies to it. A start has
			// nothing more to do.
			now := a.cfg.now()
			t := startTransition(plan, actor, now)
			if act == ActionStart {
				t.Reason = reason
			}
			cur, err = a.store.CompareAndSwap(ctx, 0, initialState(rollout, plan, now), t)
			if errors.Is(err, ErrConflict) {
				continue // someone else stored it; sameState tells if it moved on
			}
			if err != nil {
				return State{}, fmt.Errorf("guard: %s %q: %w", act, rollout, err)
			}
			a.cfg.emit(cur)
			if act == ActionStart {
				return cur, nil
			}
		}
		var next State
		var t Transition
		if planned {
			next, t, err = transit(cur, plan, act, share, a.cfg.now())
		} else {
			if cur.Phase == PhaseRunning && a.cfg.engine != nil {
				cur.Share = configured // the configuration decides: record what it says
			}
			next, t, err = transitUnplanned(cur, act, share, configured, a.cfg.now())
		}
		if err != nil {
			return cur, fmt.Errorf("guard: %s %q: %w", act, rollout, err)
		}
		t.Actor, t.Reason = actor, reason
		if act == ActionApprove && cur.Last.Action == ActionRequestApproval {
			t.Evidence = cur.Last.Evidence // what the person approved on
		}
		st, err := a.store.CompareAndSwap(ctx, cur.Version, next, t)
		if errors.Is(err, ErrConflict) {
			if bound {
				return a.conflict(ctx, rollout, act, cur.Version)
			}
			seen = cur.Version
			continue
		}
		if err != nil {
			return cur, fmt.Errorf("guard: %s %q: %w", act, rollout, err)
		}
		a.cfg.emit(st)
		return st, nil
	}
	return a.conflict(ctx, rollout, act, seen)
}

// conflict returns the [*ConflictError] of act, decided on version, with
// the state in force; or, when that cannot be loaded, an error wrapping
// both [ErrConflict] and the load's error.
func (a *Actions) conflict(ctx context.Context, rollout string, act Action, version int64) (State, error) {
	cur, err := a.State(ctx, rollout)
	if err != nil {
		return State{}, fmt.Errorf("guard: %s %q: %w; loading the state in force: %w", act, rollout, ErrConflict, err)
	}
	return State{}, &ConflictError{Rollout: rollout, Action: act, Version: max(version, 0), Current: cur}
}

// configured returns the share of the rollout's first new variant in the
// engine's configuration in force (see [WithEngine]), or 0 without an
// engine. For a rollout without a plan it is an error wrapping
// [gray.ErrUnknownRollout] when the engine does not have it; a rollout with
// a plan is known to exist.
func (a *Actions) configured(rollout string, planned bool) (float64, error) {
	e := a.cfg.engine
	if e == nil {
		return 0, nil
	}
	cfg := e.Config()
	for i := range cfg.Rollouts {
		if r := &cfg.Rollouts[i]; r.Name == rollout {
			return configuredShare(r), nil
		}
	}
	if planned {
		return 0, nil
	}
	return 0, fmt.Errorf("guard: %w: %q", gray.ErrUnknownRollout, rollout)
}

// configuredShare is the share of r's first new variant: what
// [gray.Override] Percent replaces.
func configuredShare(r *gray.Rollout) float64 {
	_, share, _ := r.NewVariant()
	return share
}

// unplannedState is the state of a rollout without a plan that has none
// stored: running as configured.
func unplannedState(rollout string, share float64) State {
	return State{Rollout: rollout, Phase: PhaseRunning, Step: -1, Share: share}
}

func initialState(rollout string, plan gray.Plan, now time.Time) State {
	return State{
		Rollout: rollout, Phase: PhaseRunning, Step: 0, Share: plan.Steps[0],
		Started: now, StepStarted: now,
	}
}

func startTransition(plan gray.Plan, actor string, now time.Time) Transition {
	return Transition{
		Action: ActionStart, Actor: actor, Reason: "first step of the plan", At: now,
		ToPhase: PhaseRunning, ToShare: plan.Steps[0],
	}
}

// transit computes the state after act, or an error wrapping
// [ErrInvalidAction]. It does not fill the transition's actor, reason and
// evidence.
func transit(cur State, plan gray.Plan, act Action, share float64, now time.Time) (State, Transition, error) {
	next := cur
	next.Last = Transition{}
	invalid := func() (State, Transition, error) {
		return cur, Transition{}, fmt.Errorf("%w: %s when %s", ErrInvalidAction, act, cur.Phase)
	}
	phase := cur.Phase
	if phase == PhaseManual { // set by hand before the rollout had a plan: held like paused
		phase, next.Phase = PhasePaused, PhasePaused
	}
	switch act {
	case ActionStart: // any phase: a new run from the first step
		next.Phase, next.Share, next.Started = PhaseRunning, plan.Steps[0], now
	case ActionAdvance:
		if phase != PhaseRunning && phase != PhasePaused && phase != PhaseAwaiting {
			return invalid()
		}
		if phase == PhaseAwaiting { // a person's advance is an approval
			next.Phase = PhaseRunning
		}
		next.Share = nextStep(plan.Steps, cur.Share)
		if next.Share >= 100 { // past the last step, or onto a last step of 100
			act, next.Phase = ActionPromote, PhasePromoted
		}
	case ActionRequestApproval:
		if phase != PhaseRunning {
			return invalid()
		}
		next.Phase = PhaseAwaiting
	case ActionApprove:
		if phase != PhaseAwaiting {
			return invalid()
		}
		next.Phase, next.Share = PhaseRunning, nextStep(plan.Steps, cur.Share)
		if next.Share >= 100 {
			next.Phase = PhasePromoted
		}
	case ActionPause:
		if phase != PhaseRunning && phase != PhaseAwaiting {
			return invalid()
		}
		next.Phase = PhasePaused
	case ActionResume:
		switch phase {
		case PhasePaused:
			next.Phase = PhaseRunning
		case PhaseRolledBack:
			next.Phase, next.Share, next.Started = PhaseRunning, plan.Steps[0], now
		default:
			return invalid()
		}
	case ActionBrake, ActionRollback:
		if phase == PhaseRolledBack {
			return invalid()
		}
		next.Phase, next.Share = PhaseRolledBack, 0
	case ActionPromote:
		if phase != PhaseRunning && phase != PhasePaused && phase != PhaseAwaiting {
			return invalid()
		}
		next.Phase, next.Share = PhasePromoted, 100
	case ActionSetShare:
		if phase != PhaseRunning && phase != PhasePaused && phase != PhaseAwaiting {
			return invalid()
		}
		if err := checkShare(share); err != nil {
			return cur, Transition{}, err
		}
		next.Share = share
		if phase == PhaseAwaiting { // the approval asked for is moot
			next.Phase = PhaseRunning
		}
	default:
		return cur, Transition{}, fmt.Errorf("%w: unknown action %q", ErrInvalidAction, act)
	}
	next.Step = stepIndex(plan.Steps, next.Share)
	if act != ActionRequestApproval { // awaiting approval, the step goes on
		next.StepStarted = now
	}
	t := Transition{
		Action: act, At: now,
		FromPhase: cur.Phase, ToPhase: next.Phase, FromShare: cur.Share, ToShare: next.Share,
	}
	return next, t, nil
}

// transitUnplanned is [transit] for a rollout without a plan (see
// [State]); configured is the configuration's share, where resume goes
// back to when the brake stopped a running rollout.
func transitUnplanned(cur State, act Action, share, configured float64, now time.Time) (State, Transition, error) {
	next := cur
	next.Last = Transition{}
	invalid := func() (State, Transition, error) {
		return cur, Transition{}, fmt.Errorf("%w: %s when %s", ErrInvalidAction, act, cur.Phase)
	}
	switch act {
	case ActionBrake, ActionRollback:
		if cur.Phase == PhaseRolledBack {
			return invalid()
		}
		next.Phase, next.Share = PhaseRolledBack, 0
	case ActionResume:
		if cur.Phase != PhaseRolledBack {
			return invalid()
		}
		// Undo the brake: Last is the brake (or a judge's rollback from
		// when the rollout had a plan), nothing else leaves rolled-back.
		switch from := cur.Last.FromPhase; from {
		case PhaseManual, PhasePaused:
			next.Phase, next.Share = PhaseManual, cur.Last.FromShare
		case PhasePromoted:
			next.Phase, next.Share = PhasePromoted, 100
		default:
			next.Phase, next.Share = PhaseRunning, configured
		}
		next.Started = now
	case ActionPromote:
		if cur.Phase == PhaseRolledBack || cur.Phase == PhasePromoted {
			return invalid()
		}
		next.Phase, next.Share = PhasePromoted, 100
	case ActionSetShare:
		if cur.Phase == PhaseRolledBack {
			return invalid()
		}
		if err := checkShare(share); err != nil {
			return cur, Transition{}, err
		}
		next.Phase, next.Share = PhaseManual, share
	default:
		return cur, Transition{}, fmt.Errorf("%w: %s on a rollout without a plan", ErrInvalidAction, act)
	}
	next.Step = -1
	next.StepStarted = now
	if next.Started.IsZero() {
		next.Started = now
	}
	t := Transition{
		Action: act, At: now,
		FromPhase: cur.Phase, ToPhase: next.Phase, FromShare: cur.Share, ToShare: next.Share,
	}
	return next, t, nil
}

func checkShare(share float64) error {
	if math.IsNaN(share) || share < 0 || share > 100 || math.Abs(share*100-math.Round(share*100)) > 1e-6 {
		return fmt.Errorf("%w: share %v is not a percentage with at most two decimals", ErrInvalidAction, share)
	}
	return nil
}

// nextStep returns the first step above share, or 100 past the last.
func nextStep(steps []float64, share float64) float64 {
	for _, s := range steps {
		if s > share {
			return s
		}
	}
	return 100
}

// stepIndex returns the index of the largest step not above share, or -1.
func stepIndex(steps []float64, share float64) int {
	i := -1
	for j, s := range steps {
		if s <= share {
			i = j
		}
	}
	return i
}

func logTransition(log *slog.Logger, s State) {
	t := s.Last
	attrs := []any{
		"rollout", s.Rollout, "action", string(t.Action), "actor", t.Actor, "reason", t.Reason,
		"from_phase", string(t.FromPhase), "to_phase", string(t.ToPhase),
		"from_share", t.FromShare, "to_share", t.ToShare, "version", s.Version,
	}
	if e := t.Evidence; e != nil {
		attrs = append(attrs,
			"canary_requests", e.Canary.Requests, "canary_errors", e.Canary.Errors,
			"stable_requests", e.Stable.Requests, "stable_errors", e.Stable.Errors,
			"error_diff", e.ErrorDiff, "error_lower", e.ErrorLower, "error_upper", e.ErrorUpper,
			"canary_latency", e.Canary.Latency, "stable_latency", e.Stable.Latency,
			"slow_fraction", e.SlowFraction, "slow_lower", e.SlowLower,
		)
	}
	level := slog.LevelInfo
	if t.Action == ActionRollback || t.Action == ActionBrake {
		level = slog.LevelWarn
	}
	log.Log(context.Background(), level, "guard: "+string(t.Action)+" "+strconv.Quote(s.Rollout), attrs...)
}
