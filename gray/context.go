package gray

import (
	"context"
	"sync"
	"time"
)

// Decisions are one request's decisions: a pinned configuration snapshot, the
// subject, and each rollout decided at most once, lazily on first ask. A
// request never sees two answers for one rollout, even across a reload.
// Decisions are safe for concurrent use by the request's goroutines.
type Decisions struct {
	snap    *snapshot
	subject Subject
	hook    *Hook // nil outside a middleware: no observers

	mu     sync.Mutex
	n      int
	inline [1]Decision // most requests ask one rollout; keeps reqCtx small
	more   []Decision
	pinned map[string]string // rollout → variant, from a trusted upstream
}

// reqCtx is the request's context. Embedding the parent and serving its own
// values keeps a request's graykit state to one allocation.
type reqCtx struct {
	context.Context
	d     Decisions
	sc    Scope
	hreq  http1Request
	rw    responseWriter
	start time.Duration // since the hook's creation (monotonic); set only when observing
}

type ctxKey struct{}

func (c *reqCtx) Value(key any) any {
	if key == (ctxKey{}) {
		return &c.d
	}
	return c.Context.Value(key)
}

// NewContext returns a context carrying [Decisions] for subject s under e's
// current configuration, for code that runs outside a request: a job, a
// consumer, a test. [Variant] and [FromContext] then work on it as under the
// middleware. Observers are not notified.
func NewContext(ctx context.Context, e *Engine, s Subject) context.Context {
	rc := &reqCtx{Context: ctx}
	rc.d.init(e, s, nil)
	return rc
}

// FromContext returns the request's decisions, if ctx carries any.
func FromContext(ctx context.Context) (*Decisions, bool) {
	if ctx == nil {
		return nil, false
	}
	d, ok := ctx.Value(ctxKey{}).(*Decisions)
	return d, ok
}

// Variant returns the variant of the named rollout for the request in ctx,
// deciding it on first ask. Without decisions in ctx it returns
// [DefaultVariant]; for a rollout the configuration does not have, too.
func Variant(ctx context.Context, rollout string) string {
	d, ok := FromContext(ctx)
	if !ok {
		return DefaultVariant
	}
	return d.Variant(rollout)
}

func (d *Decisions) init(e *Engine, s Subject, h *Hook) {
	d.snap = e.cur.Load()
	d.subject = s
	d.hook = h
}

// Subject returns the subject the decisions are for.
func (d *Decisions) Subject() Subject { return d.subject }

// Variant returns Get(rollout).Variant.
func (d *Decisions) Variant(rollout string) string {
	d.mu.Lock()
	x, fresh := d.slotLocked(rollout)
	v := x.Variant
	if !fresh || !d.observed(x) {
		d.mu.Unlock()
		return v
	}
	dec := *x
	d.mu.Unlock()
	d.notify(dec)
	return v
}

// Get returns the decision for the named rollout, deciding it on first ask
// and returning the same decision on every later ask.
func (d *Decisions) Get(rollout string) Decision {
	d.mu.Lock()
	x, fresh := d.slotLocked(rollout)
	dec := *x
	d.mu.Unlock()
	if fresh && d.observed(&dec) {
		d.notify(dec)
	}
	return dec
}

// observed reports whether a new decision goes to observers.
func (d *Decisions) observed(dec *Decision) bool {
	return d.hook != nil && len(d.hook.cfg.observers) > 0 && dec.Reason != ReasonUnknownRollout
}

func (d *Decisions) notify(dec Decision) {
	for _, o := range d.hook.cfg.observers {
		o.ObserveDecision(dec)
	}
}

// slotLocked returns the decision for rollout, deciding it on first ask
// (fresh). d.mu must be held; the pointer is good until it is released.
//
// A new decision is written straight into its slot: building it elsewhere
// and copying it in costs a store-forwarding stall per copy.
func (d *Decisions) slotLocked(rollout string) (x *Decision, fresh bool) {
	for i := range d.n {
		if x := d.at(i); x.Rollout == rollout {
			return x, false
		}
	}
	if d.n < len(d.inline) {
		x = &d.inline[d.n]
	} else {
		d.more = append(d.more, Decision{})
		x = &d.more[len(d.more)-1]
	}
	// A trusted upstream decision wins over the local split and rules, but
	// never over a local brake: a service that switched a rollout off must
	// not be put back on the new version from outside.
	if v, ok := d.pinned[rollout]; ok && !d.snap.braked(rollout) {
		*x = d.propagated(rollout, v)
	} else {
		d.snap.decideInto(rollout, &d.subject, x)
	}
	if x.Reason == ReasonUnknownRollout && d.pinned == nil {
		// Not remembered: nothing to record, and names are unbounded. The
		// slot stays free (or is dropped) for the next decision.
		if d.n >= len(d.inline) {
			d.more = d.more[:len(d.more)-1]
		}
		return x, true
	}
	d.n++
	return x, true
}

// propagated builds the decision an upstream made. A variant the local
// configuration does not declare is still honoured, so the request stays in
// its lane further down the chain.
func (d *Decisions) propagated(rollout, variant string) Decision {
	dec := Decision{Rollout: rollout, Variant: variant, Default: d.snap.defaultOf(rollout), Bucket: -1, Reason: ReasonPropagated}
	if r := d.snap.find(rollout); r != nil && d.subject.Key != "" {
		dec.Bucket = SaltedBucket(r.salt, d.subject.Key)
	}
	return dec
}

func (d *Decisions) at(i int) *Decision {
	if i < len(d.inline) {
		return &d.inline[i]
	}
	return &d.more[i-len(d.inline)]
}

// Decided returns the decisions made so far, in the order they were made.
func (d *Decisions) Decided() []Decision {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]Decision, d.n)
	for i := range d.n {
		out[i] = *d.at(i)
	}
	return out
}

// decideAll decides every configured rollout (eager mode).
func (d *Decisions) decideAll() {
	for _, r := range d.snap.rollouts {
		d.Get(r.name)
	}
}
