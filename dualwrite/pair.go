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
	// FailCall returns a [*WriteError] to the caller. When both stores are tables of one database
	// neither side keeps the new value (the call is one transaction); otherwise the authoritative
	// side keeps it, and with a [*Queue] the key is recorded for repair from that side.
	FailCall WritePolicy = iota
	// RecordRepair records the key with the pair's [Recorder] and returns success; a [Repairer]
	// later copies the latest value. If recording fails too, the call fails.
	RecordRepair
)

// Recorder durably records a key whose non-authoritative side must be repaired from side from.
// [*Queue] is the SQL implementation, and the only one a [Pair] can lock keys with (see the package
// doc); with a Recorder of your own a Pair only records failed writes.
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
	// Repairs records keys to repair; required with [RecordRepair]. A [*Queue] also locks keys
	// and records intents in its database, for either policy: give one whenever a store is not a
	// table of the database the other one is in.
	Repairs Recorder
	// Keys encodes keys for events and repair records. Default: built in for string, int and
	// int64 keys; required for other key types.
	Keys KeyCodec[K]
	// Observer receives shadow comparisons, failed writes and phase fallbacks. Optional.
	Observer Observer
	// Usage counts the reads and writes of each side (contract readiness). Optional.
	Usage *Usage
}

// Pair is a store over two stores, old and new, that writes and reads them as the phase of each call
// says. It is safe for concurrent use when both stores are.
//
// How far its calls are coordinated depends on the stores and the recorder (see the package doc's
// guarantees): both stores [SQLStore]s of one database, or a [*Queue] as Repairs, make every write
// and repair of a key exclusive and crash-safe; other stores without a Queue are written as the
// phase says and nothing more.
type Pair[K comparable, V any] struct {
	old, new Store[K, V]
	cfg      Config[K, V]
	co       *coordinator // nil: calls are not coordinated
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
	bo, okOld := bindingOf(old)
	bn, okNew := bindingOf(new)
	co, err := newCoordinator(bo, bn, okOld, okNew, cfg.Repairs)
	if err != nil {
		return nil, err
	}
	return &Pair[K, V]{old: old, new: new, cfg: cfg, co: co}, nil
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
// the authoritative write is returned and the other side is not written. A failure of the other
// write is handled by the OnWriteFailure policy.
//
// With both stores in one database the call is one transaction: all or nothing (the caller's
// transaction when the context carries one, [ContextWithTx]). With a [*Queue] and a store outside
// the Queue's database, the call records its intent in the Queue before it writes, so that a crash
// between the two writes is repaired; such a call cannot join the caller's transaction and fails
// with [ErrTxUnsupported] when the context carries one.
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

func (p *Pair[K, V]) write(ctx context.Context, key K, value V, del bool) error {
	ph := p.Phase(ctx)
	if first, second := ph.Writes(); p.cfg.Usage != nil {
		p.cfg.Usage.Add(first, OpWrite)
		p.cfg.Usage.Add(second, OpWrite)
	}
	switch {
	case p.co == nil:
		return p.writeAlone(ctx, ph, key, value, del)
	case p.co.how == oneTx:
		return p.writeTx(ctx, ph, key, value, del)
	}
	if _, second := ph.Writes(); second != 0 {
		return p.writeIntent(ctx, ph, key, value, del)
	}
	return p.writeOne(ctx, ph, key, value, del)
}

// writeFailed reports a failed second write.
func (p *Pair[K, V]) writeFailed(ctx context.Context, ph Phase, second Side, key string, err error) *WriteError {
	we := &WriteError{Side: second, Key: key, Phase: ph, Err: err}
	p.observe(ctx, Event{Kind: WriteFailed, Phase: ph, Key: key, Err: err})
	return we
}

// writeTx writes both stores of one database in one transaction holding the key's lock: the call is
// all or nothing, except that with RecordRepair a failed second write is rolled back alone and
// recorded in the same transaction.
func (p *Pair[K, V]) writeTx(ctx context.Context, ph Phase, key K, value V, del bool) error {
	first, second := ph.Writes()
	ekey := p.cfg.Keys.Encode(key)
	// The first statement is a write, which takes SQLite's lock by itself.
	sec, err := p.co.begin(ctx, ekey, false, true)
	if err != nil {
		return err
	}
	defer sec.release()
	if err := sec.enclose(); err != nil {
		return err
	}
	if err := p.op(sec.ctx, first, key, value, del); err != nil {
		return sec.abandon(err)
	}
	if second == 0 {
		// A pending repair of the key now repairs from the side written last.
		if q := p.co.q; q != nil {
			if err := q.settle(sec.ctx, sec.tx, ekey, first, false); err != nil {
				return sec.abandon(err)
			}
		}
		return sec.commit()
	}
	if p.cfg.OnWriteFailure != RecordRepair {
		if err := p.op(sec.ctx, second, key, value, del); err != nil {
			return sec.abandon(p.writeFailed(ctx, ph, second, ekey, err))
		}
		return sec.commit()
	}
	err = sec.guard(true, func() error { return p.op(sec.ctx, second, key, value, del) })
	if err == nil {
		return sec.commit()
	}
	we := p.writeFailed(ctx, ph, second, ekey, err)
	if rerr := p.cfg.Repairs.Record(sec.ctx, ekey, first); rerr != nil {
		return sec.abandon(errors.Join(we, fmt.Errorf("dualwrite: record repair of key %q: %w", ekey, rerr)))
	}
	if err := sec.commit(); err != nil {
		return errors.Join(we, err)
	}
	p.observe(ctx, Event{Kind: RepairRecorded, Phase: ph, Key: ekey, Err: err})
	return nil
}

// maxIntentRounds bounds the rounds of a call that writes a store outside the database: a round
// ends without writing when a repair consumed the call's intent before it held the key's lock, or
// when it first had to bring the store outside up to date (see writeUnderIntent).
const maxIntentRounds = 8

// round is how one round of a call under an intent ended.
type round uint8

const (
	written round = iota // the call is done (err says how)
	gone                 // the key's row was gone: record a new intent
	led                  // the row now names the lead side: write in the next round
)

// writeIntent writes both sides when a store is outside the Queue's database: it records its intent
// durably, takes the key's lock, writes, and settles the key's record, all before it returns. A
// crash at any point leaves the record, and the repair copies from the side it names.
func (p *Pair[K, V]) writeIntent(ctx context.Context, ph Phase, key K, value V, del bool) error {
	first, second := ph.Writes()
	ekey := p.cfg.Keys.Encode(key)
	if _, ok := TxFromContext(ctx); ok {
		return fmt.Errorf("dualwrite: key %q: %w", ekey, ErrTxUnsupported)
	}
	lead := p.co.lead(first)
	intent := true
	for range maxIntentRounds {
		if intent {
			if err := p.co.q.intent(ctx, ekey, lead); err != nil {
				return fmt.Errorf("dualwrite: record intent for key %q: %w", ekey, err)
			}
		}
		out, err := p.writeUnderIntent(ctx, ph, key, ekey, value, del, first, second, lead)
		if out == written {
			return err
		}
		intent = out == gone
	}
	return fmt.Errorf("dualwrite: write key %q: %w", ekey, ErrConcurrentChange)
}

// writeUnderIntent is one round of writeIntent, after the intent was recorded.
func (p *Pair[K, V]) writeUnderIntent(ctx context.Context, ph Phase, key K, ekey string, value V, del bool, first, second, lead Side) (round, error) {
	co, q := p.co, p.co.q
	sec, err := co.begin(ctx, ekey, true, false)
	if err != nil {
		return written, err // the intent stays; the repairer takes the call for crashed
	}
	defer sec.release()
	r, ok, err := q.row(sec.ctx, sec.tx, ekey)
	if err != nil {
		return written, err
	}
	if !ok {
		return gone, nil
	}
	if r.src != lead {
		return led, p.takeLead(sec, key, ekey, r.src, lead)
	}
	if err := sec.guard(co.in[first], func() error { return p.op(sec.ctx, first, key, value, del) }); err != nil {
		// The first side may or may not hold the value now; lead holds it or the latest value
		// before it, and the repair copies lead over.
		if serr := q.settle(sec.ctx, sec.tx, ekey, lead, true); serr != nil {
			return written, errors.Join(err, serr)
		}
		return written, errors.Join(err, sec.commit())
	}
	err = sec.guard(co.in[second], func() error { return p.op(sec.ctx, second, key, value, del) })
	if err == nil {
		if err := q.finish(sec.ctx, sec.tx, ekey); err != nil {
			return written, err
		}
		return written, sec.commit()
	}
	// The first side holds the value (inside the database, from this commit on); the second may
	// hold it too, never anything newer.
	we := p.writeFailed(ctx, ph, second, ekey, err)
	if serr := q.settle(sec.ctx, sec.tx, ekey, first, true); serr != nil {
		return written, errors.Join(we, serr)
	}
	if cerr := sec.commit(); cerr != nil {
		return written, errors.Join(we, cerr)
	}
	p.observe(ctx, Event{Kind: RepairRecorded, Phase: ph, Key: ekey, Err: err})
	if p.cfg.OnWriteFailure != RecordRepair {
		return written, we
	}
	return written, nil
}

// takeLead copies the key's latest value, from the side its record names, to lead, makes the
// record name lead, and ends the section. A store outside the database is written only while the
// committed record names it and it holds the latest value: its writes show at once, so a crash or a
// failed write must never leave it ahead of the side a repair copies from, or the repair would take
// back a value a reader may have seen.
func (p *Pair[K, V]) takeLead(sec *section, key K, ekey string, src, lead Side) error {
	v, err := p.store(src).Get(sec.ctx, key)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("dualwrite: read %s: %w", src, err)
	}
	if found {
		err = p.store(lead).Put(sec.ctx, key, v)
	} else {
		err = p.store(lead).Delete(sec.ctx, key)
	}
	if err != nil {
		return fmt.Errorf("dualwrite: bring %s up to date: %w", lead, err)
	}
	if err := p.co.q.lead(sec.ctx, sec.tx, ekey, lead); err != nil {
		return err
	}
	return sec.commit()
}

// writeOne writes the one side a phase writes (off, complete) under the key's lock. A pending
// repair of the key then repairs from that side, which holds the latest value.
func (p *Pair[K, V]) writeOne(ctx context.Context, ph Phase, key K, value V, del bool) error {
	first, _ := ph.Writes()
	ekey := p.cfg.Keys.Encode(key)
	for range maxIntentRounds {
		if done, err := p.writeOneRound(ctx, key, ekey, value, del, first); done {
			return err
		}
	}
	return fmt.Errorf("dualwrite: write key %q: %w", ekey, ErrConcurrentChange)
}

// writeOneRound is one round of writeOne; done is false when it only brought a store outside the
// database up to date (see takeLead).
func (p *Pair[K, V]) writeOneRound(ctx context.Context, key K, ekey string, value V, del bool, first Side) (bool, error) {
	co, q := p.co, p.co.q
	// The caller's transaction can hold the section when the side written is inside the database.
	sec, err := co.begin(ctx, ekey, true, co.in[first])
	if err != nil {
		return true, err
	}
	defer sec.release()
	r, ok, err := q.row(sec.ctx, sec.tx, ekey)
	if err != nil {
		return true, err
	}
	if ok && !co.in[first] && r.src != first {
		return false, p.takeLead(sec, key, ekey, r.src, first)
	}
	werr := sec.guard(co.in[first], func() error { return p.op(sec.ctx, first, key, value, del) })
	if !ok {
		if werr != nil {
			return true, sec.abandon(werr)
		}
		return true, sec.commit()
	}
	// Outside the database the row names first already. Inside, a failed write was rolled back
	// and the row's side keeps the latest value; a write commits with the row naming first.
	src := r.src
	if werr == nil {
		src = first
	}
	if err := q.settle(sec.ctx, sec.tx, ekey, src, false); err != nil {
		return true, errors.Join(werr, err)
	}
	return true, errors.Join(werr, sec.commit())
}

// writeAlone writes without coordination: the phase's order and the failure policy, nothing more.
func (p *Pair[K, V]) writeAlone(ctx context.Context, ph Phase, key K, value V, del bool) error {
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
	we := p.writeFailed(ctx, ph, second, p.cfg.Keys.Encode(key), err)
	if p.cfg.OnWriteFailure != RecordRepair {
		return we
	}
	if rerr := p.cfg.Repairs.Record(ctx, we.Key, first); rerr != nil {
		return errors.Join(we, fmt.Errorf("dualwrite: record repair of key %q: %w", we.Key, rerr))
	}
	p.observe(ctx, Event{Kind: RepairRecorded, Phase: ph, Key: we.Key, Err: err})
	return nil
}

// secondWrite writes the non-authoritative side of an uncoordinated pair. When a failure will be
// recorded for repair in the caller's transaction, the write runs inside a savepoint: PostgreSQL
// aborts a whole transaction at a failed statement, which would make the repair record, and the
// caller's commit, fail too.
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

// Get reads key from the side the phase reads. In [Shadow] and [Live] it also reads the other side
// for a sampled share of calls and reports the comparison to the observer; nothing about the shadow
// read (error, mismatch, panic in Equal) changes what Get returns.
//
// With a [*Queue], Get first looks up the key's record: while a repair of the key is pending or a
// write is in flight it reads the side the record names, which holds the latest acknowledged
// value, so that moving a key to another phase never shows it an older value.
func (p *Pair[K, V]) Get(ctx context.Context, key K) (V, error) {
	ph := p.Phase(ctx)
	read, compare := ph.Reads()
	if p.co != nil && p.co.q != nil {
		// While the key's sides may differ (a repair pending, a write in flight), its record names
		// the side with the latest acknowledged value, whatever side this phase reads.
		src, ok, err := p.co.q.source(ctx, p.cfg.Keys.Encode(key))
		if err != nil {
			var zero V
			return zero, err
		}
		if ok && src != read {
			read = src
			if compare != 0 {
				compare = src.Other()
			}
		}
	}
	v, err := p.store(read).Get(ctx, key)
	p.cfg.Usage.Add(read, OpRead)
	if compare != 0 && (err == nil || errors.Is(err, ErrNotFound)) &&
		(p.cfg.SampleRate >= 1 || rand.Float64() < p.cfg.SampleRate) {
		p.cfg.Usage.Add(compare, OpRead)
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

// Repair makes both sides of key hold the same value. It copies from side from to the other side
// (or deletes it there when from has none), unless the pair's [*Queue] has a record of the key:
// then it copies from the side the record names, which holds the latest acknowledged value, and
// removes the record. With coordination (see the package doc) it runs under the key's lock, so a
// write of the key never runs in between and an older value never overwrites a newer one; without,
// it reads from again after copying and copies again when the value moved, returning
// [ErrConcurrentChange] if it keeps moving. It is idempotent.
func (p *Pair[K, V]) Repair(ctx context.Context, key K, from Side) error {
	if from != SideOld && from != SideNew {
		return fmt.Errorf("dualwrite: repair: side %d: %w", from, ErrUnknownSide)
	}
	if p.co == nil {
		return p.repairAlone(ctx, key, from)
	}
	return p.repair(ctx, key, p.cfg.Keys.Encode(key), from, false)
}

// repair copies under the key's lock; queued repairs only what the queue still records.
func (p *Pair[K, V]) repair(ctx context.Context, key K, ekey string, from Side, queued bool) error {
	co := p.co
	sec, err := co.begin(ctx, ekey, true, co.in[SideOld] && co.in[SideNew])
	if err != nil {
		return err
	}
	defer sec.release()
	recorded := false
	if co.q != nil {
		r, ok, err := co.q.row(sec.ctx, sec.tx, ekey)
		if err != nil {
			return err
		}
		if ok {
			from, recorded = r.src, true
		}
	}
	if queued && !recorded {
		return sec.commit() // a write of both sides or another repair got there first
	}
	v, err := p.store(from).Get(sec.ctx, key)
	found := err == nil
	if err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("dualwrite: repair read %s: %w", from, err)
	}
	dst := p.store(from.Other())
	if found {
		err = dst.Put(sec.ctx, key, v)
	} else {
		err = dst.Delete(sec.ctx, key)
	}
	if err != nil {
		return fmt.Errorf("dualwrite: repair write %s: %w", from.Other(), err)
	}
	if recorded {
		if err := co.q.remove(sec.ctx, sec.tx, ekey); err != nil {
			return err
		}
	}
	return sec.commit()
}

// repairAlone is Repair without coordination.
func (p *Pair[K, V]) repairAlone(ctx context.Context, key K, from Side) error {
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

// repairQueued repairs a key a [Repairer] claimed from q: from the side q's record names, and not
// at all when the record is gone.
func (p *Pair[K, V]) repairQueued(ctx context.Context, q *Queue, key string, from Side) (bool, error) {
	if p.co == nil || p.co.q == nil || p.co.q.db != q.db || p.co.q.table != q.table {
		return false, p.RepairKey(ctx, key, from)
	}
	k, err := p.cfg.Keys.Decode(key)
	if err != nil {
		return false, err
	}
	return true, p.repair(ctx, k, key, from, true)
}
