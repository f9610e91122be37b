package guard

import (
	"fmt"
	"strconv"
)

// ConflictError is the error of a manual action that changed nothing
// because the rollout's state moved after the action was decided on it:
// the judge on some replica, or another person, acted first. Current is
// the state in force; decide again from it. errors.Is(err, [ErrConflict])
// holds for it.
//
// [Actions] returns one when an action given [ExpectVersion] finds another
// version, when a relative action (advance, resume: see [Actions]) loses
// its compare-and-swap, and when an absolute one still loses it after a
// few retries.
type ConflictError struct {
	Rollout string
	Action  Action
	// Version is the state version the action was decided on: the
	// caller's ([ExpectVersion]) or the one the action loaded.
	Version int64
	// Current is the state in force when the action gave up, as
	// [Actions.State] returns it.
	Current State
}

func (e *ConflictError) Error() string {
	c := e.Current
	now := string(c.Phase) // rolled-back says the share: 0, off
	if c.Phase != PhaseRolledBack {
		now += " at " + formatShare(c.Share)
	}
	if c.Last.Action != "" {
		now += ", after " + string(c.Last.Action) + " by " + c.Last.Actor
	}
	return fmt.Sprintf("guard: %s %q: state changed concurrently: decided on version %d, now at version %d (%s); nothing was changed",
		e.Action, e.Rollout, e.Version, c.Version, now)
}

// Unwrap returns [ErrConflict].
func (e *ConflictError) Unwrap() error { return ErrConflict }

func formatShare(p float64) string { return strconv.FormatFloat(p, 'f', -1, 64) + "%" }

// ActOption qualifies one manual action of [Actions].
type ActOption interface {
	applyAct(*actConfig)
}

type actConfig struct {
	version  int64
	expected bool // version was given
}

type actOptionFunc func(*actConfig)

func (f actOptionFunc) applyAct(c *actConfig) { f(c) }

// ExpectVersion makes the action apply only to the state at version v: the
// [State.Version] its caller saw when deciding, e.g. on a console page
// (0 for a rollout with nothing stored yet; a plan's start stored since,
// version 1, is that same state). If the state has moved on, the action
// changes nothing and fails with a [*ConflictError] that carries the
// current state. It applies to every action, absolute ones included; a
// negative v is an error wrapping [ErrInvalidAction].
func ExpectVersion(v int64) ActOption {
	return actOptionFunc(func(c *actConfig) { c.version, c.expected = v, true })
}

func newActConfig(opts []ActOption) actConfig {
	var c actConfig
	for _, o := range opts {
		if o != nil {
			o.applyAct(&c)
		}
	}
	return c
}

// relative reports whether act's meaning depends on the state it was
// decided on, so that re-applying it to a state that moved in between
// would do what nobody decided. Such an action is bound to the version it
// loaded: on a conflict it fails instead of retrying.
//
//   - advance: relative. "The next step" of the step the caller saw; on the
//     step the judge has moved to it skips one (1% → 20% for 1% → 5%).
//   - resume: relative. From paused it restarts the judge at the share
//     seen; from rolled-back it lifts the brake (with a plan, back to the
//     first step; without one, to what Last says the brake stopped).
//     Retried, it would lift a brake pulled after the caller looked, or
//     hand the judge a share set by someone else.
//   - pause: absolute. Its target is "the judge stops"; it never changes
//     the share, so on the new state it stops the judge where it is now,
//     as the same click a moment later would. A conflict would only let
//     the judge go on while the person clicks again.
//   - brake: absolute (rolled-back, share 0). It must hold whatever
//     happened in between: "stop it now" has one answer.
//   - promote: absolute (promoted, 100%).
//   - set-share: absolute (the share given). It lifts no brake: on a
//     rolled-back state it fails as invalid.
//   - approve: relative. It approves the step the caller saw awaiting,
//     with the evidence shown; after the judge rolled back or someone
//     set another share, that approval means nothing.
//   - start: absolute (a new run at the first step, fresh evidence). It
//     means the same on any state: the pipeline that calls it has just
//     deployed the version whatever the rollout did before.
//
// The judge's own transitions do not come here: start is a create at
// version 0 (on a conflict another replica created it, and the state is
// reloaded), and the judge's advance, pause and rollback rest on evidence
// read for the version it loaded, so on a conflict it reloads and acts at
// a later tick on fresh evidence ([Controller.Tick]).
func relative(act Action) bool {
	switch act {
	case ActionAdvance, ActionResume, ActionApprove:
		return true
	default:
		return false
	}
}

// sameState reports whether cur is the state a caller saw at version v:
// the same version, or for v = 0 (nothing stored) the plan's start stored
// since by a controller or another action.
func sameState(v int64, cur State) bool {
	return cur.Version == v || v == 0 && cur.Version == 1 && cur.Last.Action == ActionStart
}
