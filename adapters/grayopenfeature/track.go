package grayopenfeature

import (
	"context"
	"sort"
	"sync"

	of "github.com/open-feature/go-sdk/openfeature"

	"github.com/graykit/graykit/gray"
)

// TrackEvent is an OpenFeature tracking event (a conversion, a purchase,
// an error the user saw) attributed to one variant of one rollout.
type TrackEvent struct {
	// Name is the tracking event's name, e.g. "checkout-completed".
	Name string
	// Decision is the subject's decision in the rollout the event is
	// attributed to.
	Decision gray.Decision
	// Key is the subject's key.
	Key string
	// Value is the event's numeric value (0 when none was given).
	Value float64
	// Attributes are the event's other details; the observer may keep them.
	Attributes map[string]any
}

// TrackObserver receives tracking events. It is called on the goroutine
// that called Track, so it must be fast and safe for concurrent use.
type TrackObserver interface {
	ObserveTrack(TrackEvent)
}

// Track attributes a tracking event to the variants its subject got and
// sends it to the track observers ([WithTrackObserver], [WithObserver]),
// and, as an outcome, to graykit's observers when [WithTrackOutcome] says so.
// Inside a request behind graykit's middleware, it is attributed to every
// rollout the request decided so far (its pinned decisions), unless the
// evaluation context names another subject; otherwise to every configured
// rollout, decided for the evaluation context's subject. A subject without
// a key is attributed to nothing: it has no variant of its own.
func (p *Provider) Track(ctx context.Context, name string, ec of.EvaluationContext, details of.TrackingEventDetails) {
	var outcome gray.Outcome
	toOutcome := false
	if p.cfg.trackOutcome != nil && len(p.cfg.observers) > 0 {
		outcome, toOutcome = p.cfg.trackOutcome(name, details)
	}
	if len(p.cfg.trackers) == 0 && !toOutcome || p.e == nil {
		return
	}
	key := ec.TargetingKey()
	var decs []gray.Decision
	if d, ok := gray.FromContext(ctx); ok && (key == "" || key == d.Subject().Key) {
		key = d.Subject().Key
		decs = d.Decided()
	} else if key != "" {
		s := gray.Subject{Key: key, Attrs: attributes(ec.Attributes(), nil)}
		for _, r := range p.e.Rollouts() {
			decs = append(decs, p.e.Decide(r, s))
		}
	}
	if key == "" {
		return
	}
	attrs := details.Attributes()
	for _, dec := range decs {
		if dec.Reason == gray.ReasonUnknownRollout {
			continue
		}
		ev := TrackEvent{Name: name, Decision: dec, Key: key, Value: details.Value(), Attributes: attrs}
		for _, t := range p.cfg.trackers {
			t.ObserveTrack(ev)
		}
		if toOutcome {
			o := outcome
			o.Rollout, o.Variant = dec.Rollout, dec.Variant
			for _, obs := range p.cfg.observers {
				obs.ObserveOutcome(o)
			}
		}
	}
}

// TrackCounters is a [TrackObserver] that counts tracking events and sums
// their values per rollout, variant and event name: enough to compare a
// new variant's conversions with the default's. It is safe for concurrent
// use.
type TrackCounters struct {
	mu    sync.Mutex
	cells map[trackKey]*TrackStats
}

type trackKey struct{ rollout, variant, name string }

// TrackStats are the counts of one event in one rollout and variant.
type TrackStats struct {
	Rollout, Variant, Name string
	// Count is the number of events; Sum the sum of their values.
	Count uint64
	Sum   float64
}

var _ TrackObserver = (*TrackCounters)(nil)

// NewTrackCounters returns empty track counters.
func NewTrackCounters() *TrackCounters { return &TrackCounters{} }

// ObserveTrack counts ev.
func (c *TrackCounters) ObserveTrack(ev TrackEvent) {
	k := trackKey{ev.Decision.Rollout, ev.Decision.Variant, ev.Name}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cells == nil {
		c.cells = map[trackKey]*TrackStats{}
	}
	x := c.cells[k]
	if x == nil {
		x = &TrackStats{Rollout: k.rollout, Variant: k.variant, Name: k.name}
		c.cells[k] = x
	}
	x.Count++
	x.Sum += ev.Value
}

// Stats returns the counts of the named event in one rollout and variant.
func (c *TrackCounters) Stats(rollout, variant, name string) TrackStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	if x := c.cells[trackKey{rollout, variant, name}]; x != nil {
		return *x
	}
	return TrackStats{Rollout: rollout, Variant: variant, Name: name}
}

// Snapshot returns every count, sorted by rollout, variant and name.
func (c *TrackCounters) Snapshot() []TrackStats {
	c.mu.Lock()
	out := make([]TrackStats, 0, len(c.cells))
	for _, x := range c.cells {
		out = append(out, *x)
	}
	c.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Rollout != b.Rollout {
			return a.Rollout < b.Rollout
		}
		if a.Variant != b.Variant {
			return a.Variant < b.Variant
		}
		return a.Name < b.Name
	})
	return out
}
