package gray

import (
	"context"
	"math"
	"net/http"
	"sync"
	"time"
	"unsafe"
)

// Decisions are one request's decisions: a pinned configuration snapshot, the
// subject, and each rollout decided at most once, lazily on first ask. A
// request never sees two answers for one rollout, even across a reload.
// Decisions are safe for concurrent use by the request's goroutines.
//
// The struct is laid out for size: every request allocates one, and in the
// middleware's benchmarks each byte of it costs about half a nanosecond
// (allocation, zeroing, collection). The first decision is kept compactly
// (its rollout's name and default come from the compiled rollout); further
// decisions, pinned propagated ones and the outcome bookkeeping live in ext,
// which only requests that need it carry.
type Decisions struct {
	snap    *snapshot
	subject Subject
	hook    *Hook         // nil outside a middleware: no observers
	ext     *decisionsExt // nil until needed; set under mu once requests run

	mu          sync.Mutex
	firstR      *rollout // the first decision's rollout; nil while there is none
	firstVar    string
	firstBucket int32
	firstRule   uint16 // 1 + index in firstR.rules; 0 for none
	firstReason Reason
}

// decisionsExt is what only some requests need.
type decisionsExt struct {
	more   []Decision        // decisions after the first, in order
	pinned map[string]string // rollout → variant, from a trusted upstream
	rw     responseWriter    // HTTP, when observing
	start  time.Duration     // since the hook's creation (monotonic), when observing
}

// reqCtx is the request's context. Embedding the parent and serving its own
// values keeps a request's graykit state to one allocation.
type reqCtx struct {
	context.Context
	d  Decisions
	hr *http.Request // HTTP requests: read through httpView
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
	if d.firstR != nil && d.firstR.name == rollout {
		v := d.firstVar
		d.mu.Unlock()
		return v
	}
	dec, fresh := d.getLocked(rollout)
	d.mu.Unlock()
	if fresh {
		d.notify(&dec)
	}
	return dec.Variant
}

// Value returns Get(rollout).Value(): the value the request's variant of
// the rollout serves, or the zero Value when it has none.
func (d *Decisions) Value(rollout string) Value {
	return d.Get(rollout).Value()
}

// Get returns the decision for the named rollout, deciding it on first ask
// and returning the same decision on every later ask.
func (d *Decisions) Get(rollout string) Decision {
	d.mu.Lock()
	dec, fresh := d.getLocked(rollout)
	d.mu.Unlock()
	if fresh {
		d.notify(&dec)
	}
	return dec
}

// notify tells the observers, if any, of a new decision for a rollout the
// configuration has.
func (d *Decisions) notify(dec *Decision) {
	if d.hook == nil || dec.Reason == ReasonUnknownRollout {
		return
	}
	for _, o := range d.hook.cfg.observers {
		if x, ok := o.(ExposureObserver); ok {
			x.ObserveExposure(d.requestContext(), &d.subject, *dec)
			continue
		}
		o.ObserveDecision(*dec)
	}
}

// requestContext returns the context of the request d belongs to, for a
// hook with observers. Such a hook allocates every request as an extScope
// and points d.ext at its ext field, and never replaces d.ext, so the
// extScope is found from d.ext (also from a copy of d). Storing the
// context instead would cost 8 bytes on every observed request and move
// extScope past the 192-byte size class (TestRequestStateSize).
func (d *Decisions) requestContext() context.Context {
	x := (*extScope)(unsafe.Add(unsafe.Pointer(d.ext), -int(unsafe.Offsetof(extScope{}.ext))))
	return &x.rc
}

// getLocked returns the decision for rollout, deciding and recording it on
// first ask (fresh). d.mu must be held.
func (d *Decisions) getLocked(rollout string) (dec Decision, fresh bool) {
	if d.firstR != nil && d.firstR.name == rollout {
		return d.first(), false
	}
	var pinned map[string]string
	if d.ext != nil {
		for i := range d.ext.more {
			if d.ext.more[i].Rollout == rollout {
				return d.ext.more[i], false
			}
		}
		pinned = d.ext.pinned
	}
	// A trusted upstream decision wins over the local split and rules, but
	// never over a local brake: a service that switched a rollout off must
	// not be put back on the new version from outside.
	r := d.snap.find(rollout)
	if v, ok := pinned[rollout]; ok && (r == nil || r.enabled) {
		dec = d.propagated(r, rollout, v)
	} else if r != nil {
		ev := evalCtx{s: &d.subject, snap: d.snap, clock: d.snap.clock}
		variant, reason, rule, bucket := r.decide(&ev)
		dec = Decision{Rollout: r.name, Variant: variant, Default: r.def, Bucket: bucket, Reason: reason, Rule: r.ruleName(rule), val: r.valueOf(variant)}
		if d.firstR == nil && (d.ext == nil || len(d.ext.more) == 0) && rule < math.MaxUint16-1 {
			d.firstR, d.firstVar, d.firstRule, d.firstBucket, d.firstReason = r, variant, uint16(rule+1), int32(bucket), reason
			return dec, true
		}
	} else {
		// Not remembered: nothing to record or report, and names are unbounded.
		return Decision{Rollout: rollout, Variant: DefaultVariant, Default: DefaultVariant, Bucket: -1, Reason: ReasonUnknownRollout}, true
	}
	x := d.extLocked()
	x.more = append(x.more, dec)
	return dec, true
}

// first returns the first decision. d.mu must be held and there must be one.
func (d *Decisions) first() Decision {
	r := d.firstR
	return Decision{Rollout: r.name, Variant: d.firstVar, Default: r.def, Bucket: int(d.firstBucket), Reason: d.firstReason, Rule: r.ruleName(int(d.firstRule) - 1), val: r.valueOf(d.firstVar)}
}

// extLocked returns d.ext, allocating it on first need. d.mu must be held,
// or the request not yet handed to its handler.
func (d *Decisions) extLocked() *decisionsExt {
	if d.ext == nil {
		d.ext = new(decisionsExt)
	}
	return d.ext
}

// decidedLocked returns the decisions made so far, in order: the first one
// (if any) and the slice of the rest, which callers must not modify. Since
// decisions are only ever appended, both stay valid after d.mu is released.
func (d *Decisions) decidedLocked() (first Decision, ok bool, more []Decision) {
	if d.ext != nil {
		more = d.ext.more
	}
	if d.firstR == nil {
		return Decision{}, false, more
	}
	return d.first(), true, more
}

// propagated builds the decision an upstream made for rollout, which r
// configures here (nil if it does not). A variant the local configuration
// does not declare is still honoured, so the request stays in its lane
// further down the chain.
func (d *Decisions) propagated(r *rollout, rollout, variant string) Decision {
	dec := Decision{Rollout: rollout, Variant: variant, Default: DefaultVariant, Bucket: -1, Reason: ReasonPropagated}
	if r != nil {
		dec.Default = r.def
		dec.val = r.valueOf(variant)
		ev := evalCtx{s: &d.subject, snap: d.snap, clock: d.snap.clock}
		dec.Bucket = r.bucket(&ev, &r.by)
	}
	return dec
}

// Decided returns the decisions made so far, in the order they were made.
func (d *Decisions) Decided() []Decision {
	d.mu.Lock()
	first, ok, more := d.decidedLocked()
	d.mu.Unlock()
	out := make([]Decision, 0, len(more)+1)
	if ok {
		out = append(out, first)
	}
	return append(out, more...)
}

// decideAll decides every configured rollout (eager mode).
func (d *Decisions) decideAll() {
	for _, r := range d.snap.rollouts {
		d.Get(r.name)
	}
}
