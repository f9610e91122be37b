package dualwrite

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound is returned by a [Store] when a key has no value.
	ErrNotFound = errors.New("dualwrite: not found")
	// ErrUnknownPhase is wrapped by errors about a phase value that is not one of the six phases.
	ErrUnknownPhase = errors.New("dualwrite: unknown phase")
	// ErrUnknownSide is wrapped by errors about a side value other than "old" or "new".
	ErrUnknownSide = errors.New("dualwrite: unknown side")
	// ErrUnmappable is returned (wrapped) by a converter that has no equivalent for a value on
	// the other side, e.g. status_v2 "pending" has no old status.
	ErrUnmappable = errors.New("dualwrite: no equivalent value")
	// ErrNoValue is returned when neither side holds a value.
	ErrNoValue = errors.New("dualwrite: no value on either side")
	// ErrConcurrentChange is returned by an uncoordinated repair that kept seeing the authoritative
	// value change, and by a write whose intent kept being consumed by repairs before it got the
	// key's lock; the repairer retries the repair later, the caller the write.
	ErrConcurrentChange = errors.New("dualwrite: value kept changing during repair")
	// ErrTxUnsupported is returned by a [Pair] that has a store outside its [Queue]'s database when
	// the call's context carries a transaction ([ContextWithTx]): a write outside the transaction
	// cannot roll back with it. Call it outside the transaction. On MySQL every coordinated call
	// returns it for such a context: the key's lock there is a named lock, which cannot be held
	// until the caller's transaction ends (see [Dialect]).
	ErrTxUnsupported = errors.New("dualwrite: the call cannot join the caller's transaction")
	// ErrInvalidConfig is wrapped by every configuration error.
	ErrInvalidConfig = errors.New("dualwrite: invalid config")
)

// PhaseError reports a phase value that is not one of the six phases.
type PhaseError struct {
	Value string
}

func (e *PhaseError) Error() string {
	return fmt.Sprintf("dualwrite: unknown phase %q", e.Value)
}

// Unwrap returns [ErrUnknownPhase].
func (e *PhaseError) Unwrap() error { return ErrUnknownPhase }

// WriteError reports a failed write of the non-authoritative side (see [FailCall] for what the
// authoritative side keeps).
type WriteError struct {
	Side  Side   // the side whose write failed
	Key   string // the key, encoded
	Phase Phase
	Err   error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("dualwrite: %s write of key %q in phase %s: %v", e.Side, e.Key, e.Phase, e.Err)
}

// Unwrap returns the store's error.
func (e *WriteError) Unwrap() error { return e.Err }

// ConvertError reports a value a converter could not map.
type ConvertError struct {
	Key   string // the row's key when known
	Value string // the value, formatted
	Err   error
}

func (e *ConvertError) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("dualwrite: convert %s: %v", e.Value, e.Err)
	}
	return fmt.Sprintf("dualwrite: convert key %s value %s: %v", e.Key, e.Value, e.Err)
}

// Unwrap returns the converter's error.
func (e *ConvertError) Unwrap() error { return e.Err }

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}
