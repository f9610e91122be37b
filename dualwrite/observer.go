package dualwrite

import (
	"context"
	"sync"
)

// EventKind says what an [Event] reports.
type EventKind uint8

// The event kinds.
const (
	// Matched: a shadow read found the same value on both sides.
	Matched EventKind = iota + 1
	// Mismatched: a shadow read found different values (or a value on one side only).
	Mismatched
	// Ignored: a mismatch that the ignore rule accepted.
	Ignored
	// Errored: the shadow read failed; the caller's result is unaffected.
	Errored
	// WriteFailed: the non-authoritative write failed.
	WriteFailed
	// RepairRecorded: a failed write was recorded for repair.
	RepairRecorded
	// PhaseFallback: the phase could not be resolved and the safe phase was used.
	PhaseFallback
)

var eventKindNames = [...]string{"", "matched", "mismatched", "ignored", "errored", "write-failed", "repair-recorded", "phase-fallback"}

// String returns the kind's name, e.g. "mismatched".
func (k EventKind) String() string {
	if int(k) < len(eventKindNames) && k != 0 {
		return eventKindNames[k]
	}
	return "unknown"
}

// Event is one observation of a [Pair]: a shadow comparison, a failed write, a phase fallback.
type Event struct {
	Kind  EventKind
	Phase Phase
	Key   string // encoded key; empty for PhaseFallback
	// Read and Shadow are the authoritative and the shadow value, passed through the pair's
	// Clean function; set for Mismatched and Ignored only.
	Read, Shadow any
	Err          error // for Errored, WriteFailed, RepairRecorded, PhaseFallback
}

// Observer receives events. Observe is called synchronously on the caller's goroutine, must be safe
// for concurrent use and should return quickly.
type Observer interface {
	Observe(ctx context.Context, e Event)
}

// ObserverFunc adapts a function to [Observer].
type ObserverFunc func(ctx context.Context, e Event)

// Observe calls f.
func (f ObserverFunc) Observe(ctx context.Context, e Event) { f(ctx, e) }

// Counter is an [Observer] that counts events by kind and keeps the first sample keys of each kind.
// Its zero value keeps up to 10 sample keys per kind. It is safe for concurrent use.
type Counter struct {
	// MaxSamples is the number of sample keys kept per kind; 0 means 10, negative means none.
	MaxSamples int

	mu      sync.Mutex
	counts  [len(eventKindNames)]int64
	samples [len(eventKindNames)][]string
}

var _ Observer = (*Counter)(nil)

// Observe counts e.
func (c *Counter) Observe(_ context.Context, e Event) {
	if e.Kind == 0 || int(e.Kind) >= len(eventKindNames) {
		return
	}
	max := c.MaxSamples
	if max == 0 {
		max = 10
	}
	c.mu.Lock()
	c.counts[e.Kind]++
	if e.Key != "" && len(c.samples[e.Kind]) < max {
		c.samples[e.Kind] = append(c.samples[e.Kind], e.Key)
	}
	c.mu.Unlock()
}

// Counts is a snapshot of a [Counter].
type Counts struct {
	Matched, Mismatched, Ignored, Errored      int64
	WriteFailed, RepairRecorded, PhaseFallback int64
	// Samples holds sample keys by kind.
	Samples map[EventKind][]string
}

// Counts returns a snapshot of the counts so far.
func (c *Counter) Counts() Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := Counts{
		Matched:        c.counts[Matched],
		Mismatched:     c.counts[Mismatched],
		Ignored:        c.counts[Ignored],
		Errored:        c.counts[Errored],
		WriteFailed:    c.counts[WriteFailed],
		RepairRecorded: c.counts[RepairRecorded],
		PhaseFallback:  c.counts[PhaseFallback],
		Samples:        map[EventKind][]string{},
	}
	for k, v := range c.samples {
		if len(v) > 0 {
			s.Samples[EventKind(k)] = append([]string(nil), v...)
		}
	}
	return s
}
