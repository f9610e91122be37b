package dualwrite

import (
	"context"
	"fmt"
	"sync/atomic"
)

// Phase is a step of a migration from an old side (column, table, store) to a new side.
// The zero value is not a valid phase.
type Phase string

// The phases, in migration order. Moving back one phase is always possible until [Complete].
const (
	// Off writes and reads the old side only.
	Off Phase = "off"
	// DualWrite writes old then new and reads old.
	DualWrite Phase = "dual-write"
	// Shadow writes old then new, reads old and compares new.
	Shadow Phase = "shadow"
	// Live writes new then old, reads new and compares old.
	Live Phase = "live"
	// RampDown writes new then old and reads new.
	RampDown Phase = "ramp-down"
	// Complete writes and reads the new side only.
	Complete Phase = "complete"
)

// Phases lists every phase in migration order.
func Phases() []Phase { return []Phase{Off, DualWrite, Shadow, Live, RampDown, Complete} }

// Side names one of the two sides of a migration.
type Side uint8

// The two sides.
const (
	SideOld Side = 1
	SideNew Side = 2
)

// String returns "old" or "new" ("none" for the zero value).
func (s Side) String() string {
	switch s {
	case SideOld:
		return "old"
	case SideNew:
		return "new"
	}
	return "none"
}

// Other returns the opposite side.
func (s Side) Other() Side {
	if s == SideOld {
		return SideNew
	}
	return SideOld
}

// ParseSide parses "old" or "new".
func ParseSide(s string) (Side, error) {
	switch s {
	case "old":
		return SideOld, nil
	case "new":
		return SideNew, nil
	}
	return 0, fmt.Errorf("dualwrite: side %q: %w", s, ErrUnknownSide)
}

// ParsePhase parses a phase name such as "shadow". An unknown name is an error wrapping
// [ErrUnknownPhase].
func ParsePhase(s string) (Phase, error) {
	p := Phase(s)
	if !p.Valid() {
		return "", &PhaseError{Value: s}
	}
	return p, nil
}

// Valid reports whether p is one of the six phases.
func (p Phase) Valid() bool {
	switch p {
	case Off, DualWrite, Shadow, Live, RampDown, Complete:
		return true
	}
	return false
}

// Authoritative returns the side whose value wins in p: old up to [Shadow], new from [Live] on.
// It returns 0 for an invalid phase.
func (p Phase) Authoritative() Side {
	switch p {
	case Off, DualWrite, Shadow:
		return SideOld
	case Live, RampDown, Complete:
		return SideNew
	}
	return 0
}

// Writes returns the sides p writes, in order. second is 0 when p writes one side only.
func (p Phase) Writes() (first, second Side) {
	switch p {
	case Off:
		return SideOld, 0
	case DualWrite, Shadow:
		return SideOld, SideNew
	case Live, RampDown:
		return SideNew, SideOld
	case Complete:
		return SideNew, 0
	}
	return 0, 0
}

// Reads returns the side p reads and the side it compares against (0 when it does not compare).
func (p Phase) Reads() (read, compare Side) {
	switch p {
	case Off, DualWrite:
		return SideOld, 0
	case Shadow:
		return SideOld, SideNew
	case Live:
		return SideNew, SideOld
	case RampDown, Complete:
		return SideNew, 0
	}
	return 0, 0
}

// Phaser resolves the phase for one call. Implementations must be safe for concurrent use.
// A returned error, or an invalid phase, makes the caller use its safe phase.
type Phaser interface {
	Phase(ctx context.Context) (Phase, error)
}

// PhaseFunc adapts a function to [Phaser].
type PhaseFunc func(ctx context.Context) (Phase, error)

// Phase calls f.
func (f PhaseFunc) Phase(ctx context.Context) (Phase, error) { return f(ctx) }

// Fixed returns a [Phaser] that always resolves to p. An invalid p resolves to an error, so the
// caller's safe phase is used.
func Fixed(p Phase) Phaser { return fixed(p) }

type fixed Phase

func (f fixed) Phase(context.Context) (Phase, error) {
	p := Phase(f)
	if !p.Valid() {
		return "", &PhaseError{Value: string(f)}
	}
	return p, nil
}

// Switch is a [Phaser] whose phase can be changed at run time, e.g. from an admin endpoint.
// Its zero value resolves to [Off]. It is safe for concurrent use.
type Switch struct {
	p atomic.Pointer[Phase]
}

// NewSwitch returns a Switch set to p. An invalid p is an error.
func NewSwitch(p Phase) (*Switch, error) {
	s := &Switch{}
	if err := s.Set(p); err != nil {
		return nil, err
	}
	return s, nil
}

// Set changes the phase for all later calls. An invalid p is an error and leaves the phase as is.
func (s *Switch) Set(p Phase) error {
	if !p.Valid() {
		return &PhaseError{Value: string(p)}
	}
	s.p.Store(&p)
	return nil
}

// Phase returns the current phase.
func (s *Switch) Phase(context.Context) (Phase, error) {
	if p := s.p.Load(); p != nil {
		return *p, nil
	}
	return Off, nil
}

// resolve returns the phase for ctx, or safe when ph fails; the error says why safe was used.
func resolve(ctx context.Context, ph Phaser, safe Phase) (Phase, error) {
	p, err := ph.Phase(ctx)
	if err != nil {
		return safe, err
	}
	if !p.Valid() {
		return safe, &PhaseError{Value: string(p)}
	}
	return p, nil
}
