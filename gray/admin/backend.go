package admin

import (
	"context"
	"fmt"
	"time"

	"github.com/graykit/graykit/gray/guard"
)

// Backend is the shared state behind the console: each rollout's state,
// the manual actions on it, the audit trail and the outcome windows every
// replica records. Actions must go through state that every replica
// applies, so that a brake pressed on one replica's console holds on all.
// [GuardBackend] is the implementation over package guard; tests and
// other stores may supply their own. Implementations must be safe for
// concurrent use.
type Backend interface {
	// State returns the rollout's state. An error wrapping
	// [guard.ErrNoPlan] or [gray.ErrUnknownRollout] means the backend does
	// not manage the rollout, which the console then shows read-only.
	State(ctx context.Context, rollout string) (guard.State, error)
	// Act applies one manual action on behalf of actor, audited with
	// reason. share is used by [guard.ActionSetShare] only; opts carry the
	// caller's [guard.ExpectVersion], which must be honoured. An action
	// that does not apply to the rollout's phase, or a bad share, is an
	// error wrapping [guard.ErrInvalidAction]; one that needs a plan the
	// rollout does not have (advance, pause) wraps [guard.ErrNoPlan]; one
	// that changed nothing because the state moved after it was decided
	// wraps [guard.ErrConflict], as a [*guard.ConflictError] when it knows
	// the current state. All become 409 Conflict with the error's text, the
	// last with the current state too (ErrorResponse.State).
	Act(ctx context.Context, rollout string, act guard.Action, share float64, actor, reason string, opts ...guard.ActOption) (guard.State, error)
	// Audit returns up to limit entries of the rollout ("" for all),
	// newest first.
	Audit(ctx context.Context, rollout string, limit int) ([]guard.AuditEntry, error)
	// Windows returns the rollout's outcome windows from every replica that
	// start at or after since.
	Windows(ctx context.Context, rollout string, since time.Time) ([]guard.Window, error)
}

// GuardBackend returns a [Backend] over the guard's shared store and manual
// actions: the same store every replica's guard controller reads, so an
// action taken here reaches every replica at its next poll. It manages
// every rollout: brake, resume, set-share and promote work with or without
// a plan (see [guard.State]); advance and pause need one. Pass a
// controller's Actions, or ones made with [guard.WithEngine], so that the
// state of a rollout without a plan records its configured share.
func GuardBackend(store guard.Store, actions *guard.Actions) (Backend, error) {
	if store == nil || actions == nil {
		return nil, fmt.Errorf("admin: GuardBackend needs a store and actions")
	}
	return &guardBackend{store: store, actions: actions}, nil
}

type guardBackend struct {
	store   guard.Store
	actions *guard.Actions
}

func (g *guardBackend) State(ctx context.Context, rollout string) (guard.State, error) {
	return g.actions.State(ctx, rollout)
}

func (g *guardBackend) Act(ctx context.Context, rollout string, act guard.Action, share float64, actor, reason string, opts ...guard.ActOption) (guard.State, error) {
	switch act {
	case guard.ActionStart:
		return g.actions.Start(ctx, rollout, actor, reason, opts...)
	case guard.ActionApprove:
		return g.actions.Approve(ctx, rollout, actor, reason, opts...)
	case guard.ActionAdvance:
		return g.actions.Advance(ctx, rollout, actor, reason, opts...)
	case guard.ActionPause:
		return g.actions.Pause(ctx, rollout, actor, reason, opts...)
	case guard.ActionResume:
		return g.actions.Resume(ctx, rollout, actor, reason, opts...)
	case guard.ActionBrake:
		return g.actions.Brake(ctx, rollout, actor, reason, opts...)
	case guard.ActionPromote:
		return g.actions.Promote(ctx, rollout, actor, reason, opts...)
	case guard.ActionSetShare:
		return g.actions.SetShare(ctx, rollout, share, actor, reason, opts...)
	default:
		return guard.State{}, fmt.Errorf("admin: %w: %q is not a manual action", guard.ErrInvalidAction, act)
	}
}

func (g *guardBackend) Audit(ctx context.Context, rollout string, limit int) ([]guard.AuditEntry, error) {
	return g.store.Audit(ctx, rollout, limit)
}

func (g *guardBackend) Windows(ctx context.Context, rollout string, since time.Time) ([]guard.Window, error) {
	return g.store.Windows(ctx, rollout, since)
}
