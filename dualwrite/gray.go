package dualwrite

import (
	"context"

	"github.com/graykit/graykit/gray"
)

// FromRollout binds the phase to a gray rollout: subjects the rollout puts in a non-default
// variant (e.g. "canary") get phase inNew, everyone else gets otherwise. A context without gray
// decisions (see [gray.NewContext] and [gray.Middleware]) gets otherwise. Typical use is
// FromRollout("users-status-v2", Live, Shadow): gray users read the new side first, the rest keep
// reading the old side, and both sides are written for everyone. An invalid phase resolves to an
// error, so the caller's safe phase is used.
func FromRollout(rollout string, inNew, otherwise Phase) Phaser {
	return rolloutPhaser{rollout: rollout, inNew: inNew, otherwise: otherwise}
}

type rolloutPhaser struct {
	rollout          string
	inNew, otherwise Phase
}

func (r rolloutPhaser) Phase(ctx context.Context) (Phase, error) {
	p := r.otherwise
	if d, ok := gray.FromContext(ctx); ok && d.Get(r.rollout).IsNew() {
		p = r.inNew
	}
	if !p.Valid() {
		return "", &PhaseError{Value: string(p)}
	}
	return p, nil
}
