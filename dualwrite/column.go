package dualwrite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// UnmappablePolicy decides what happens to a value a converter reports as unmappable
// ([ErrUnmappable]).
type UnmappablePolicy uint8

// The unmappable policies.
const (
	// FailUnmappable returns a [*ConvertError]; nothing is written.
	FailUnmappable UnmappablePolicy = iota
	// UseFallback writes the declared fallback value (OldFallback or NewFallback) instead.
	UseFallback
)

// Columns migrates one value between two columns of the same row, e.g. status (int 0/1) to
// status_v2 (varchar active/banned/pending), with typed converters. On write it gives both column
// values for one statement, so both change atomically; on read it picks the column the phase reads,
// falling back to the old column while the new one is still NULL.
//
// Up and Down return an error wrapping [ErrUnmappable] for a value without an equivalent; the
// policy then decides. Any other converter error is returned as is. Columns is safe for concurrent
// use once built; do not change its fields afterwards.
type Columns[O, N any] struct {
	// Phase resolves the phase per call. Required.
	Phase Phaser
	// SafePhase is used when Phase fails. Default [DualWrite].
	SafePhase Phase
	// Up converts old to new; Down converts new to old. Both required.
	Up   func(O) (N, error)
	Down func(N) (O, error)
	// OnUnmappable is the policy for unmappable values. Default [FailUnmappable].
	OnUnmappable UnmappablePolicy
	// OldFallback is written to the old column for a new value Down cannot map (UseFallback).
	OldFallback O
	// NewFallback is written to the new column for an old value Up cannot map (UseFallback).
	NewFallback N
	// Observer receives PhaseFallback events. Optional.
	Observer Observer
	// Usage counts the column each read used and the columns each write sets (contract
	// readiness). Optional. In [Complete] a read still falls back to the old column of a row
	// whose new column is NULL (a row the backfill missed), and counts it: the old column is
	// then still in use.
	Usage *Usage
}

// Values are the two column values for one write. A side the phase does not write is NULL
// (Valid false): the new column in [Off] (so a later backfill recomputes it) and the old column in
// [Complete].
type Values[O, N any] struct {
	Phase Phase
	Old   sql.Null[O]
	New   sql.Null[N]
}

// Args returns the old and the new value, ready as statement arguments.
func (v Values[O, N]) Args() (old, new any) { return v.Old, v.New }

func (c *Columns[O, N]) phase(ctx context.Context) (Phase, error) {
	if c.Phase == nil || c.Up == nil || c.Down == nil {
		return "", configError("columns: Phase, Up and Down are required")
	}
	safe, err := safePhase("columns", c.SafePhase)
	if err != nil {
		return "", err
	}
	p, err := resolve(ctx, c.Phase, safe)
	if err != nil && c.Observer != nil {
		c.Observer.Observe(ctx, Event{Kind: PhaseFallback, Phase: p, Err: err})
	}
	return p, nil
}

// ToNew converts an old value with Up, applying the policy.
func (c *Columns[O, N]) ToNew(o O) (N, error) {
	n, err := c.Up(o)
	if err == nil {
		return n, nil
	}
	if errors.Is(err, ErrUnmappable) && c.OnUnmappable == UseFallback {
		return c.NewFallback, nil
	}
	return n, &ConvertError{Value: fmt.Sprint(o), Err: err}
}

// ToOld converts a new value with Down, applying the policy.
func (c *Columns[O, N]) ToOld(n N) (O, error) {
	o, err := c.Down(n)
	if err == nil {
		return o, nil
	}
	if errors.Is(err, ErrUnmappable) && c.OnUnmappable == UseFallback {
		return c.OldFallback, nil
	}
	return o, &ConvertError{Value: fmt.Sprint(n), Err: err}
}

func (c *Columns[O, N]) values(p Phase, o O, n N) Values[O, N] {
	first, second := p.Writes()
	v := Values[O, N]{Phase: p}
	if first == SideOld || second == SideOld {
		v.Old = sql.Null[O]{V: o, Valid: true}
		c.Usage.Add(SideOld, OpWrite)
	}
	if first == SideNew || second == SideNew {
		v.New = sql.Null[N]{V: n, Valid: true}
		c.Usage.Add(SideNew, OpWrite)
	}
	return v
}

// FromOld returns the column values for a write of old value o (old code's view).
func (c *Columns[O, N]) FromOld(ctx context.Context, o O) (Values[O, N], error) {
	p, err := c.phase(ctx)
	if err != nil {
		return Values[O, N]{}, err
	}
	var n N
	if p != Off {
		if n, err = c.ToNew(o); err != nil {
			return Values[O, N]{}, err
		}
	}
	return c.values(p, o, n), nil
}

// FromNew returns the column values for a write of new value n (new code's view).
func (c *Columns[O, N]) FromNew(ctx context.Context, n N) (Values[O, N], error) {
	p, err := c.phase(ctx)
	if err != nil {
		return Values[O, N]{}, err
	}
	var o O
	if p != Complete {
		if o, err = c.ToOld(n); err != nil {
			return Values[O, N]{}, err
		}
	}
	return c.values(p, o, n), nil
}

// ReadNew returns the value as new code sees it: the new column when the phase reads new and it is
// set, else the old column converted with Up. Neither set is [ErrNoValue].
func (c *Columns[O, N]) ReadNew(ctx context.Context, old sql.Null[O], new sql.Null[N]) (N, error) {
	p, err := c.phase(ctx)
	if err != nil {
		var zero N
		return zero, err
	}
	read, _ := p.Reads()
	switch {
	case read == SideNew && new.Valid:
		c.Usage.Add(SideNew, OpRead)
		return new.V, nil
	case old.Valid:
		c.Usage.Add(SideOld, OpRead)
		return c.ToNew(old.V)
	case new.Valid:
		c.Usage.Add(SideNew, OpRead)
		return new.V, nil
	}
	var zero N
	return zero, ErrNoValue
}

// ReadOld returns the value as old code sees it: the old column when the phase reads old and it is
// set, else the new column converted with Down. Neither set is [ErrNoValue].
func (c *Columns[O, N]) ReadOld(ctx context.Context, old sql.Null[O], new sql.Null[N]) (O, error) {
	p, err := c.phase(ctx)
	if err != nil {
		var zero O
		return zero, err
	}
	read, _ := p.Reads()
	switch {
	case (read == SideOld || !new.Valid) && old.Valid:
		c.Usage.Add(SideOld, OpRead)
		return old.V, nil
	case new.Valid:
		c.Usage.Add(SideNew, OpRead)
		return c.ToOld(new.V)
	}
	var zero O
	return zero, ErrNoValue
}

// Convert converts a raw old column value as a database driver returns it (e.g. int64 for an
// integer column) with Up; it is the Go conversion for a [Backfill]. A NULL old value gives nil,
// which a backfill leaves alone.
func (c *Columns[O, N]) Convert(src any) (any, error) {
	if src == nil {
		return nil, nil
	}
	var o sql.Null[O]
	if err := o.Scan(src); err != nil {
		return nil, &ConvertError{Value: fmt.Sprint(src), Err: err}
	}
	return c.ToNew(o.V)
}
