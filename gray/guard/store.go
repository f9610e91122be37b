package guard

import (
	"context"
	"errors"
	"time"

	"github.com/graykit/graykit/gray"
)

// Phase is where a rollout under shared state stands.
type Phase string

// The phases of a rollout under shared state. A rollout with a plan uses
// running, awaiting-approval, paused, rolled-back and promoted; a rollout without one uses
// running, manual, rolled-back and promoted (see [State]).
const (
	// PhaseRunning: the judge looks at every tick and may advance, hold,
	// pause, roll back or promote.
	PhaseRunning Phase = "running"
	// PhasePaused: the share stays where it is and the judge does nothing
	// until a person resumes.
	PhasePaused Phase = "paused"
	// PhaseRolledBack: the brake is pulled; the share is 0 and the rollout
	// is off until a person resumes it, which starts over at the first step.
	PhaseRolledBack Phase = "rolled-back"
	// PhasePromoted: the share is 100 and the judge is done.
	PhasePromoted Phase = "promoted"
	// PhaseAwaiting: the judge would advance into a step that the plan
	// says needs a person's approval (gray.Plan Approve). The share holds;
	// the judge goes on watching and may still roll back or pause, but
	// the rollout enters the step only when someone approves
	// ([Actions.Approve]) or advances it.
	PhaseAwaiting Phase = "awaiting-approval"
	// PhaseManual: a rollout without a plan serves a share a person set
	// with [Actions.SetShare], whatever its configuration says, until the
	// next set-share, promote or brake. A rollout that gets a plan while
	// in this phase is treated as paused: it keeps the share, and the judge
	// starts when a person resumes it.
	PhaseManual Phase = "manual"
)

// Action is what a transition did.
type Action string

// The actions that change a rollout's [State]. Every one is a
// compare-and-swap on the [Store] with an audit entry.
const (
	ActionStart    Action = "start"     // a run begun at the first step: state created, or a person's restart
	ActionAdvance  Action = "advance"   // to the next step
	ActionPause    Action = "pause"     // share kept, judge stopped
	ActionResume   Action = "resume"    // from paused (same share) or rolled back (first step; without a plan: what the brake stopped)
	ActionRollback Action = "rollback"  // the judge pulled the brake
	ActionBrake    Action = "brake"     // a person pulled the brake
	ActionPromote  Action = "promote"   // to 100%, done
	ActionSetShare Action = "set-share" // a person set the share by hand
	// ActionRequestApproval: the judge would advance into a step that
	// needs approval; the rollout awaits it, with the evidence.
	ActionRequestApproval Action = "request-approval"
	ActionApprove         Action = "approve" // a person approved the awaited step: entered
)

// State is the shared state of one rollout: every replica applies its
// Share and Phase to its local engine. Version increases by one with every
// change and is what [Store.CompareAndSwap] compares.
//
// A rollout with a plan has state from the controller's first tick. A
// rollout without one has state only once a person acted on it (brake,
// resume, set-share, promote); until then its configuration alone decides
// and the controllers leave its engine override alone. Once it has state,
// every replica applies it with [gray.Engine.SetOverride]:
//
//   - running: the configuration decides (an empty override); Share is the
//     configured share as the acting replica saw it.
//   - manual: Override{Percent: Share}, the share set by hand.
//   - promoted: Override{Percent: 100}.
//   - rolled-back: Override{Enabled: false}, everyone on the default
//     variant; Share is 0. Resume returns to the phase and share the brake
//     stopped (State.Last.FromPhase and FromShare): running (the
//     configuration decides again), manual or promoted.
//
// Step is -1 for a rollout without a plan. The stored columns are the same
// for both kinds: no schema change.
type State struct {
	Rollout string `json:"rollout"`
	// Version is 0 for a state never stored, then 1, 2, … .
	Version int64 `json:"version"`
	Phase   Phase `json:"phase"`
	// Step is the index in the plan's steps of the largest step not above
	// Share, or -1 when Share is below the first step (e.g. after the brake)
	// and always for a rollout without a plan.
	Step int `json:"step"`
	// Share is the canary's percentage in force (0 to 100).
	Share float64 `json:"share"`
	// Started is when the current run began (creation, or resume after a
	// rollback): the judge weighs the evidence gathered since then.
	Started time.Time `json:"started"`
	// StepStarted is when the share last changed or the rollout was
	// resumed: hold time and requests per step count from here.
	StepStarted time.Time `json:"step_started"`
	// Last is the transition that produced this state.
	Last Transition `json:"last"`
}

// Enabled reports whether the rollout's canary should serve: false after
// the brake.
func (s State) Enabled() bool { return s.Phase != PhaseRolledBack }

// Transition is one change of a rollout's state, with who, when, what and
// why, and for the judge's decisions the evidence.
type Transition struct {
	Action Action `json:"action"`
	// Actor is who acted: a person's name for manual actions, "guard/<replica>"
	// for the judge.
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`

	FromPhase Phase   `json:"from_phase,omitempty"`
	ToPhase   Phase   `json:"to_phase"`
	FromShare float64 `json:"from_share"`
	ToShare   float64 `json:"to_share"`
	// Evidence is the judge's reading behind the transition; nil for
	// manual actions.
	Evidence *Evidence `json:"evidence,omitempty"`
	// Subject and Variant name the subject key and the variant of a
	// subject override (ActionPutSubject, ActionRemoveSubject).
	Subject string `json:"subject,omitempty"`
	Variant string `json:"variant,omitempty"`
}

// AuditEntry is a stored [Transition].
type AuditEntry struct {
	// Seq orders entries within a store; it increases.
	Seq     int64  `json:"seq"`
	Rollout string `json:"rollout"`
	// Version is the state version the transition produced.
	Version int64 `json:"version"`
	Transition
}

// Window is one replica's outcome counts for one variant of one rollout in
// one time window. A replica owns its rows: it writes the whole window each
// time (a replace, not an increment), so a retried write is harmless.
type Window struct {
	Rollout string    `json:"rollout"`
	Replica string    `json:"replica"`
	Variant string    `json:"variant"`
	Start   time.Time `json:"start"`
	// Requests, Errors and Latency are as in [gray.VariantStats].
	Requests uint64                 `json:"requests"`
	Errors   uint64                 `json:"errors"`
	Latency  gray.HistogramSnapshot `json:"latency"`
	// Metrics are the outcomes tracked with gray.Track and
	// gray.TrackValue, by name; nil when none.
	Metrics map[string]gray.MetricSums `json:"metrics,omitempty"`
}

// Store is the state that replicas of one application share: each
// rollout's [State], the outcome counts every replica records per window,
// and the audit log. Implementations must be safe for concurrent use, also
// from several processes when the backing store is shared (the SQL store).
//
// [NewMemoryStore] serves one process; [NewSQLStore] serves many through
// SQLite or PostgreSQL.
type Store interface {
	// Load returns the rollout's state, or an error wrapping [ErrNoState]
	// if it has none yet.
	Load(ctx context.Context, rollout string) (State, error)
	// States returns the state of every rollout, sorted by name.
	States(ctx context.Context) ([]State, error)
	// CompareAndSwap stores next as the rollout's state (next.Rollout) if
	// the stored version is version (0: there is none yet), and appends t
	// to the audit log, both or neither. The stored state gets Version
	// version+1 and Last t; it is returned. If the stored version differs,
	// the error wraps [ErrConflict] and nothing changes.
	CompareAndSwap(ctx context.Context, version int64, next State, t Transition) (State, error)
	// Audit returns up to limit audit entries of the rollout, newest
	// first; limit ≤ 0 means all. An empty rollout means every rollout.
	Audit(ctx context.Context, rollout string, limit int) ([]AuditEntry, error)
	// PutWindow stores w, replacing what the same replica stored for the
	// same rollout, variant and window start.
	PutWindow(ctx context.Context, w Window) error
	// Windows returns the rollout's windows that start at or after since,
	// from every replica.
	Windows(ctx context.Context, rollout string, since time.Time) ([]Window, error)
	// PruneWindows deletes windows of every rollout that start before
	// before and reports how many it deleted.
	PruneWindows(ctx context.Context, before time.Time) (int64, error)
}

// Errors of the store and of actions.
var (
	// ErrNoState: the rollout has no stored state yet.
	ErrNoState = errors.New("guard: no state")
	// ErrConflict: another writer changed the state first; load it again.
	// A [Store] wraps it when a compare-and-swap finds another version;
	// an action of [Actions] that changed nothing for that reason returns
	// a [*ConflictError], which matches it.
	ErrConflict = errors.New("guard: state changed concurrently")
	// ErrNoPlan: the action needs a plan (advance and pause do) and the
	// rollout has none.
	ErrNoPlan = errors.New("guard: rollout has no plan")
	// ErrInvalidAction: the action does not apply to the rollout's phase,
	// e.g. advancing a rollout that is rolled back.
	ErrInvalidAction = errors.New("guard: invalid action")
	// ErrClosed: the controller or store is closed.
	ErrClosed = errors.New("guard: closed")
)
