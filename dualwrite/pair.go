package dualwrite

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
)

// WritePolicy decides what a [Pair] does when the non-authoritative write fails.
type WritePolicy uint8

// The write policies.
const (
	// FailCall returns a [*WriteError] to the caller. The authoritative side keeps the new value.
	FailCall WritePolicy = iota
	// RecordRepair records the key with the pair's [Recorder] and returns success; a [Repairer]
	// later copies the authoritative value. If recording fails too, the call fails.
	RecordRepair
)

// Recorder durably records a key whose non-authoritative side must be repaired from side from.
// [*Queue] is the SQL implementation.
type Recorder interface {
	Record(ctx context.Context, key string, from Side) error
}

// Config configures a [Pair]. Only Phase is required; every other field's zero value is valid.
type Config[K comparable, V any] struct {
	// Phase resolves the phase per call. Required.
	Phase Phaser
	// SafePhase is used when Phase fails or returns an unknown phase. Default [DualWrite]:
	// write both sides, read the old one.
	SafePhase Phase
	// Equal compares the two sides in shadow reads. Default: reflect.DeepEqual.
	Equal func(a, b V) bool
	// Ignore, when it returns true for a mismatch, counts it as Ignored instead of Mismatched
	// (known, accepted differences).
	Ignore func(key K, read, shadow V) bool
	// Clean prepares values for mismatch events, e.g. to redact personal data. Default: none
	// (values are not put into events).
	Clean func(V) any
	// SampleRate is the share of reads that also read and compare the shadow side, in [0, 1].
	// Default 0 means 1 (every read); use a phase without comparison to compare none.
	SampleRate float64
	// OnWriteFailure is the policy for a failed non-authoritative write. Default [FailCall].
	OnWriteFailure WritePolicy
	// Repairs records keys to repair; required with [RecordRepair].
	Repairs Recorder
	// Keys encodes keys for events and repair records. Default: built in for string, int and
	// int64 keys; required for other key types.
	Keys KeyCodec[K]
	// Observer receives shadow comparisons, failed writes and phase fallbacks. Optional.
	Observer Observer
}

// Pair is a store over two stores, old and new, that writes and reads them as the phase of each call
// says. It is safe for concurrent use when both stores are.
type Pair[K comparable, V any] struct {
	old, new Store[K, V]
	cfg      Config[K, V]
}

// NewPair returns a Pair over old and new. It fails on an incomplete or contradictory config.
func NewPair[K comparable, V any](old, new Store[K, V], cfg Config[K, V]) (*Pair[K, V], error) {
	if old == nil || new == nil {
		return nil, configError("pair: old and new store are required")
	}
	if cfg.Phase == nil {
		return nil, configError("pair: Phase is required")
	}
	safe, err := safePhase("pair", cfg.SafePhase)
	if err != nil {
		return nil, err
	}
	cfg.SafePhase = safe
	if cfg.SampleRate < 0 || cfg.SampleRate > 1 {
		return nil, configError("pair: SampleRate %v is outside [0, 1]", cfg.SampleRate)
	}
	if cfg.SampleRate == 0 {
		cfg.SampleRate = 1
	}
	if cfg.Equal == nil {
		cfg.Equal = func(a, b V) bool { return reflect.DeepEqual(a, b) }
	}
	if cfg.Keys.Encode == nil || cfg.Keys.Decode == nil {
		cfg.Keys = defaultCodec[K]()
		if cfg.Keys.Encode == nil {
			var k K
			return nil, configError("pair: Keys is required for key type %T", k)
		}
	}
	switch cfg.OnWriteFailure {
	case FailCall:
	case RecordRepair:
		if cfg.Repairs == nil {
			return nil, configError("pair: Repairs is required with RecordRepair")
		}
	default:
		return nil, configError("pair: unknown OnWriteFailure %d", cfg.OnWriteFailure)
	}
	return &Pair[K, V]{old: old, new: new, cfg: cfg}, nil
}

// safePhase returns a configured SafePhase, DualWrite when it is empty, or
// an error for one that is not a phase.
func safePhase(who string, p Phase) (Phase, error) {
	if p == "" {
		return DualWrite, nil
	}
	if !p.Valid() {
		return "", fmt.Errorf("%w: %s: SafePhase: %w", ErrInvalidConfig, who, &PhaseError{Value: string(p)})
	}
	return p, nil
}

func (p *Pair[K, V]) store(s Side) Store[K, V] {
	if s == SideNew {
		return p.new
	}
	return p.old
}

// Phase returns the phase that applies to ctx (the safe phase when it cannot be resolved).
func (p *Pair[K, V]) Phase(ctx context.Context) Phase {
	ph, err := resolve(ctx, p.cfg.Phase, p.cfg.SafePhase)
	if err != nil {
		p.observe(ctx, Event{Kind: PhaseFallback, Phase: ph, Err: err})
	}
	return ph
}

func (p *Pair[K, V]) observe(ctx context.Context, e Event) {
	if p.cfg.Observer != nil {
		p.cfg.Observer.Observe(ctx, e)
	}
}

// Put writes value under key to the sides the phase writes, authoritative side first. A failure of
// the authoritative write is returned as is and the other side is not written. A failure of the
// other write is handled by the OnWriteFailure policy.
func (p *Pair[K, V]) Put(ctx context.Context, key K, value V) error {
	return p.write(ctx, key, value, false)
}

// Delete deletes key from the sides the phase writes, in the same order and with the same failure
// handling as [Pair.Put].
func (p *Pair[K, V]) Delete(ctx context.Context, key K) error {
	var zero V
	return p.write(ctx, key, zero, true)
}

func (p *Pair[K, V]) op(ctx context.Context, s Side, key K, value V, del bool) error {
	if del {
		return p.store(s).Delete(ctx, key)
	}
	return p.store(s).Put(ctx, key, value)
}

// secondWrite writes the non-authoritative side. When a failure will be
// recorded for repair in the caller's transaction, the write runs inside a
// savepoint: PostgreSQL aborts a whole transaction at a failed statement,
// which would make the repair record, and the caller's commit, fail too.
func (p *Pair[K, V]) secondWrite(ctx context.Context, s Side, key K, value V, del bool) error {
	tx, ok := TxFromContext(ctx)
	if !ok || p.cfg.OnWriteFailure != RecordRepair {
		return p.op(ctx, s, key, value, del)
	}
	const sp = "dualwrite_second_write"
	if _, err := tx.ExecContext(ctx, "SAVEPOINT "+sp); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	err := p.op(ctx, s, key, value, del)
	if err != nil {
		if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+sp); rerr != nil {
			return errors.Join(err, fmt.Errorf("rollback to savepoint: %w", rerr))
		}
	}
	if _, rerr := tx.ExecContext(ctx, "RELEASE SAVEPOINT "+sp); rerr != nil {
		return errors.Join(err, fmt.Errorf("release savepoint: %w", rerr))
	}
	return err
}

func (p *Pair[K, V]) write(ctx context.Context, key K, value V, del bool) error {
	ph := p.Phase(ctx)
	first, second := ph.Writes()
	if err := p.op(ctx, first, key, value, del); err != nil {
		return err
	}
	if second == 0 {
		return nil
	}
	err := p.secondWrite(ctx, second, key, value, del)
	if err == nil {
		return nil
	}
	we := &WriteError{Side: second, Key: p.cfg.Keys.Encode(key), Phase: ph, Err: err}
	p.observe(ctx, Event{Kind: WriteFailed, Phase: ph, Key: we.Key, Err: err})
	if p.cfg.OnWriteFailure != RecordRepair {
		return we
	}
	if rerr := p.cfg.Repairs.Record(ctx, we.Key, first); rerr != nil {
		return errors.Join(we, fmt.Errorf("dualwrite: record repair of key %q: %w", we.Key, rerr))
	}
	p.observe(ctx, Event{Kind: RepairRecorded, Phase: ph, Key: we.Key, Err: err})
	return nil
}

// Get reads key from the side the phase reads. In [Shadow] and [Live] it also reads the other side
// for a sampled share of calls and reports the comparison to the observer; nothing about the shadow
// read (error, mismatch, panic in Equal) changes what Get returns.
func (p *Pair[K, V]) Get(ctx context.Context, key K) (V, error) {
	ph := p.Phase(ctx)
	read, compare := ph.Reads()
	v, err := p.store(read).Get(ctx, key)
	if compare != 0 && (err == nil || errors.Is(err, ErrNotFound)) &&
		(p.cfg.SampleRate >= 1 || rand.Float64() < p.cfg.SampleRate) {
		p.shadow(ctx, ph, compare, key, v, err == nil)
	}
	return v, err
}

func (p *Pair[K, V]) shadow(ctx context.Context, ph Phase, side Side, key K, v V, found bool) {
	e := Event{Phase: ph}
	defer func() {
		if r := recover(); r != nil {
			p.observe(ctx, Event{Kind: Errored, Phase: ph, Key: e.Key, Err: fmt.Errorf("dualwrite: shadow compare panicked: %v", r)})
		}
	}()
	e.Key = p.cfg.Keys.Encode(key)
	sv, err := p.store(side).Get(ctx, key)
	sfound := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		e.Kind, e.Err = Errored, err
		p.observe(ctx, e)
		return
	}
	switch {
	case !found && !sfound:
		e.Kind = Matched
	case found && sfound && p.cfg.Equal(v, sv):
		e.Kind = Matched
	case p.cfg.Ignore != nil && p.cfg.Ignore(key, v, sv):
		e.Kind = Ignored
	default:
		e.Kind = Mismatched
	}
	if e.Kind != Matched && p.cfg.Clean != nil {
		if found {
			e.Read = p.cfg.Clean(v)
		}
		if sfound {
			e.Shadow = p.cfg.Clean(sv)
		}
	}
	p.observe(ctx, e)
}

// Repair copies the value of key from side from to the other side (or deletes it there when from
// has none). It is idempotent and safe against concurrent writes: it reads from again after copying
// and copies again when the value moved, returning [ErrConcurrentChange] if it keeps moving.
func (p *Pair[K, V]) Repair(ctx context.Context, key K, from Side) error {
	if from != SideOld && from != SideNew {
		return fmt.Errorf("dualwrite: repair: side %d: %w", from, ErrUnknownSide)
	}
	src, dst := p.store(from), p.store(from.Other())
	v, err := src.Get(ctx, key)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("dualwrite: repair read %s: %w", from, err)
	}
	for range 5 {
		if found {
			err = dst.Put(ctx, key, v)
		} else {
			err = dst.Delete(ctx, key)
		}
		if err != nil {
			return fmt.Errorf("dualwrite: repair write %s: %w", from.Other(), err)
		}
		v2, err := src.Get(ctx, key)
		found2 := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("dualwrite: repair read %s: %w", from, err)
		}
		if found == found2 && (!found || p.cfg.Equal(v, v2)) {
			return nil
		}
		v, found = v2, found2
	}
	return ErrConcurrentChange
}

// RepairKey is [Pair.Repair] for an encoded key; it makes a Pair a [RepairTarget].
func (p *Pair[K, V]) RepairKey(ctx context.Context, key string, from Side) error {
	k, err := p.cfg.Keys.Decode(key)
	if err != nil {
		return err
	}
	return p.Repair(ctx, k, from)
}
