package contract

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/gray/guard"
)

// Prefix starts the pseudo-rollout name under which a migration's
// windows are stored.
const Prefix = "dualwrite:"

// Variants of the stored windows.
const (
	VariantOldRead  = "old-read"
	VariantOldWrite = "old-write"
	VariantNewRead  = "new-read"
	VariantNewWrite = "new-write"
	// VariantSeen is written by every flush, with or without traffic, so
	// that a replica that reports and sees no old-side use is told apart
	// from a replica that does not report at all.
	VariantSeen = "seen"
)

// DefaultWindow is the length of a stored window.
const DefaultWindow = time.Minute

// Reporter writes the [dualwrite.Usage] of this replica's migrations to a
// shared [guard.Store]. Call [Reporter.Flush] periodically, or run
// [Reporter.Run] in a goroutine you own. It is safe for concurrent use.
type Reporter struct {
	store   guard.Store
	replica string
	window  time.Duration
	now     func() time.Time

	mu     sync.Mutex
	usages map[string]*dualwrite.Usage
	last   map[string]dualwrite.UsageCounts // counts at the previous flush
	start  time.Time                        // the current window
	sums   map[string]dualwrite.UsageCounts // this window's counts so far
	seen   map[string]uint64                // this window's flushes so far
}

// ReporterOption configures a [Reporter].
type ReporterOption interface{ apply(*Reporter) }

type reporterOption func(*Reporter)

func (f reporterOption) apply(r *Reporter) { f(r) }

// WithWindow sets the window length (default [DefaultWindow]). Use the
// same value in every replica.
func WithWindow(d time.Duration) ReporterOption {
	return reporterOption(func(r *Reporter) {
		if d > 0 {
			r.window = d
		}
	})
}

// WithClock replaces time.Now (for tests).
func WithClock(now func() time.Time) ReporterOption {
	return reporterOption(func(r *Reporter) {
		if now != nil {
			r.now = now
		}
	})
}

// NewReporter returns a Reporter for this replica. The replica name must be
// unique among the replicas sharing the store (a host name, a pod name).
func NewReporter(store guard.Store, replica string, opts ...ReporterOption) (*Reporter, error) {
	if store == nil {
		return nil, errors.New("contract: a store is required")
	}
	if replica == "" {
		return nil, errors.New("contract: a replica name is required")
	}
	r := &Reporter{store: store, replica: replica, window: DefaultWindow, now: time.Now,
		usages: map[string]*dualwrite.Usage{}, last: map[string]dualwrite.UsageCounts{},
		sums: map[string]dualwrite.UsageCounts{}, seen: map[string]uint64{}}
	for _, o := range opts {
		o.apply(r)
	}
	return r, nil
}

// Track adds a migration's usage to what the Reporter writes. What u has
// counted so far lands in the next flush's window (late, never early).
// Tracking the same name again replaces its usage.
func (r *Reporter) Track(migration string, u *dualwrite.Usage) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.usages[migration] = u
	r.last[migration] = dualwrite.UsageCounts{}
}

func sub(a, b dualwrite.UsageCounts) dualwrite.UsageCounts {
	return dualwrite.UsageCounts{OldReads: a.OldReads - b.OldReads, OldWrites: a.OldWrites - b.OldWrites,
		NewReads: a.NewReads - b.NewReads, NewWrites: a.NewWrites - b.NewWrites}
}

func add(a, b dualwrite.UsageCounts) dualwrite.UsageCounts {
	return dualwrite.UsageCounts{OldReads: a.OldReads + b.OldReads, OldWrites: a.OldWrites + b.OldWrites,
		NewReads: a.NewReads + b.NewReads, NewWrites: a.NewWrites + b.NewWrites}
}

// Flush writes the current window of every tracked migration. Traffic
// since the previous flush is put in the window of this flush: late, never
// early, so it can only make a side look in use for longer.
func (r *Reporter) Flush(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	start := r.now().UTC().Truncate(r.window)
	if !start.Equal(r.start) {
		r.start = start
		r.sums = map[string]dualwrite.UsageCounts{}
		r.seen = map[string]uint64{}
	}
	names := make([]string, 0, len(r.usages))
	for name := range r.usages {
		names = append(names, name)
	}
	sort.Strings(names)
	var errs []error
	for _, name := range names {
		cur := r.usages[name].Counts()
		sum := add(r.sums[name], sub(cur, r.last[name]))
		r.sums[name], r.last[name] = sum, cur
		r.seen[name]++
		seen := r.seen[name]
		for _, v := range []struct {
			variant string
			n       uint64
		}{
			{VariantOldRead, sum.OldReads}, {VariantOldWrite, sum.OldWrites},
			{VariantNewRead, sum.NewReads}, {VariantNewWrite, sum.NewWrites}, {VariantSeen, seen},
		} {
			if v.n == 0 {
				continue
			}
			w := guard.Window{Rollout: Prefix + name, Replica: r.replica, Variant: v.variant, Start: start, Requests: v.n}
			if err := r.store.PutWindow(ctx, w); err != nil {
				errs = append(errs, fmt.Errorf("contract: %s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Run flushes every interval until ctx is done, then flushes once more
// (with a context that is not canceled) and returns. Errors go to onErr
// when it is not nil; a failed flush is retried at the next tick.
func (r *Reporter) Run(ctx context.Context, interval time.Duration, onErr func(error)) {
	if interval <= 0 {
		interval = r.window / 2
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := r.Flush(context.WithoutCancel(ctx)); err != nil && onErr != nil {
				onErr(err)
			}
			return
		case <-t.C:
			if ctx.Err() != nil {
				continue // the final flush above runs next
			}
			// A flush cut short by cancellation is redone by the final one.
			if err := r.Flush(ctx); err != nil && ctx.Err() == nil && onErr != nil {
				onErr(err)
			}
		}
	}
}

// Verdict is the answer of [Check].
type Verdict string

// The verdicts.
const (
	// InUse: some replica read or wrote the old side within the period.
	InUse Verdict = "in-use"
	// Unused: replicas reported during the period and none touched the old side.
	Unused Verdict = "unused"
	// NoData: no replica reported during the period; nothing is known.
	NoData Verdict = "no-data"
)

// ReplicaUsage is one replica's share of a [Readiness].
type ReplicaUsage struct {
	Replica string `json:"replica"`
	dualwrite.UsageCounts
	// LastOldUse is the end of the latest window in which this replica
	// touched the old side (zero if it did not).
	LastOldUse time.Time `json:"last_old_use,omitzero"`
	// LastSeen is the end of the latest window this replica reported.
	LastSeen time.Time `json:"last_seen,omitzero"`
}

// Readiness says whether a migration's old side is still used.
type Readiness struct {
	Migration string    `json:"migration"`
	Verdict   Verdict   `json:"verdict"`
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	dualwrite.UsageCounts
	// LastOldUse is the end of the latest window with old-side use on any
	// replica; the old side becomes unused for this period at LastOldUse+period.
	LastOldUse time.Time      `json:"last_old_use,omitzero"`
	Replicas   []ReplicaUsage `json:"replicas"`
}

// Ready reports whether the old side may be contracted: replicas reported
// and none touched it.
func (r Readiness) Ready() bool { return r.Verdict == Unused }

// WindowReader is the part of [guard.Store] that [Check] needs.
type WindowReader interface {
	Windows(ctx context.Context, rollout string, since time.Time) ([]guard.Window, error)
}

// Check reads every replica's windows of the migration for the period
// before now. A window counts when any part of it falls in the period, so
// the answer errs towards in use.
func Check(ctx context.Context, store WindowReader, migration string, period time.Duration, now time.Time, opts ...ReporterOption) (Readiness, error) {
	if migration == "" {
		return Readiness{}, fmt.Errorf("contract: bad migration name %q", migration)
	}
	if period <= 0 {
		return Readiness{}, fmt.Errorf("contract: period %v must be positive", period)
	}
	cfg := Reporter{window: DefaultWindow}
	for _, o := range opts {
		o.apply(&cfg)
	}
	from := now.Add(-period)
	ws, err := store.Windows(ctx, Prefix+migration, from.Add(-cfg.window))
	if err != nil {
		return Readiness{}, fmt.Errorf("contract: %w", err)
	}
	res := Readiness{Migration: migration, From: from, To: now, Replicas: []ReplicaUsage{}}
	byReplica := map[string]*ReplicaUsage{}
	for _, w := range ws {
		end := w.Start.Add(cfg.window)
		if !end.After(from) || w.Start.After(now) {
			continue
		}
		ru := byReplica[w.Replica]
		if ru == nil {
			ru = &ReplicaUsage{Replica: w.Replica}
			byReplica[w.Replica] = ru
		}
		if end.After(ru.LastSeen) {
			ru.LastSeen = end
		}
		switch w.Variant {
		case VariantOldRead:
			ru.OldReads += w.Requests
		case VariantOldWrite:
			ru.OldWrites += w.Requests
		case VariantNewRead:
			ru.NewReads += w.Requests
		case VariantNewWrite:
			ru.NewWrites += w.Requests
		}
		if (w.Variant == VariantOldRead || w.Variant == VariantOldWrite) && w.Requests > 0 && end.After(ru.LastOldUse) {
			ru.LastOldUse = end
		}
	}
	for _, ru := range byReplica {
		res.UsageCounts = add(res.UsageCounts, ru.UsageCounts)
		if ru.LastOldUse.After(res.LastOldUse) {
			res.LastOldUse = ru.LastOldUse
		}
		res.Replicas = append(res.Replicas, *ru)
	}
	sort.Slice(res.Replicas, func(i, j int) bool { return res.Replicas[i].Replica < res.Replicas[j].Replica })
	switch {
	case res.OldReads+res.OldWrites > 0:
		res.Verdict = InUse
	case len(res.Replicas) == 0:
		res.Verdict = NoData
	default:
		res.Verdict = Unused
	}
	return res, nil
}
