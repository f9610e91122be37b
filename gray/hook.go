package gray

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"
)

// Hook is the request side of graykit, shared by [Middleware] and every
// framework adapter so that they behave identically: it finds the subject,
// opens the request's [Decisions], and reports outcomes to observers.
// Adapters translate their framework's request into a [Request] and call
// Start and [Scope.End]; they hold no bucketing or rule logic. A Hook is
// safe for concurrent use.
type Hook struct {
	e    *Engine
	cfg  hookConfig
	anon *anonIDs // nil without WithAnonymousCookie
	// trackers are the observers that receive tracked outcomes.
	trackers []MetricObserver
	born     time.Time // request start times are offsets from it: 8 bytes, monotonic
	warned   atomic.Bool
}

// NewHook evaluates opts once and returns a hook for e.
//
// A nil e — most often the error of [New] left unchecked — gives a hook
// that opens no decisions, so that a wrong setup degrades to the default
// variant rather than a panic on the first request: its [Hook.Middleware]
// returns next unchanged, [Hook.Start] and [Hook.StartHTTP] return a scope
// whose Context is the parent itself (no decisions, so [Variant] answers
// the default) and whose End does nothing. It logs one warning with
// slog.Default, when its middleware is built or at its first request.
// [Hook.Inject] works as usual: the client side decides nothing. [Middleware]
// and every adapter are built on NewHook and behave the same way.
func NewHook(e *Engine, opts ...Option) *Hook {
	h := &Hook{e: e, born: time.Now()}
	for _, o := range opts {
		if o != nil {
			o.apply(&h.cfg)
		}
	}
	for _, o := range h.cfg.observers {
		if t, ok := o.(MetricObserver); ok {
			h.trackers = append(h.trackers, t)
		}
	}
	if h.cfg.anonCookie != "" {
		secrets := h.cfg.anonSecrets
		if secrets != nil {
			if err := checkAnonSecrets(secrets); err != nil {
				h.logger().Error(err.Error() + "; using a random secret of this process instead")
				secrets = nil
			}
		}
		if secrets == nil {
			secrets = [][]byte{processAnonSecret()}
		}
		h.anon = newAnonIDs(h.cfg.anonCookie, secrets, h.cfg.anonSecure)
	}
	return h
}

// warnNoEngine logs, once, that the hook has no engine.
func (h *Hook) warnNoEngine() {
	if h.warned.CompareAndSwap(false, true) {
		slog.Default().Warn("gray: hook without an engine: requests pass through without decisions, every variant is the default (check the error of gray.New)")
	}
}

// passThrough is the scope of a request to a hook without an engine.
func (h *Hook) passThrough(parent context.Context) *Scope {
	h.warnNoEngine()
	s := &Scope{}
	s.rc.Context = parent
	return s
}

// logger is the engine's logger, for what goes wrong off the request path.
func (h *Hook) logger() *slog.Logger {
	if h.e != nil && h.e.log != nil {
		return h.e.log
	}
	return slog.Default()
}

// Engine returns the hook's engine.
func (h *Hook) Engine() *Engine { return h.e }

// Scope is one request in flight, as an adapter sees it.
type Scope struct {
	rc reqCtx // the request's state lives in the scope: one allocation
}

// extScope is a Scope with its decisionsExt in the same allocation, for
// hooks that observe outcomes or accept propagated decisions.
type extScope struct {
	Scope
	ext decisionsExt
}

// Context returns the request's context: the parent given to Start, with the
// request's [Decisions] on it (the parent itself for a hook without an
// engine).
func (s *Scope) Context() context.Context {
	if s.rc.d.hook == nil {
		return s.rc.Context
	}
	return &s.rc
}

// Decisions returns the request's decisions; nil for a hook without an
// engine.
func (s *Scope) Decisions() *Decisions {
	if s.rc.d.hook == nil {
		return nil
	}
	return &s.rc.d
}

// Start opens a request for a non-HTTP protocol (gRPC): req gives the
// request's values. The returned scope's Context is what the handler must
// see; End must be called when the request ends.
func (h *Hook) Start(ctx context.Context, req Request) *Scope {
	if h.e == nil {
		return h.passThrough(ctx)
	}
	s := h.newScope(ctx)
	h.open(&s.rc, req, nil, nil)
	return s
}

// StartHTTP opens an HTTP request. Values are read from r; w is used only
// to set the anonymous-stickiness cookie. The handler must run with
// r.WithContext(scope.Context()); End must be called when it returns.
func (h *Hook) StartHTTP(w http.ResponseWriter, r *http.Request) *Scope {
	if h.e == nil {
		return h.passThrough(r.Context())
	}
	s := h.newScope(r.Context())
	s.rc.hr = r
	h.open(&s.rc, (*httpView)(&s.rc), r, w)
	return s
}

// newScope allocates a request's state; the clock is read only when an
// observer will want the latency.
func (h *Hook) newScope(parent context.Context) *Scope {
	var s *Scope
	if len(h.cfg.observers) > 0 || h.cfg.acceptPropagated {
		x := &extScope{}
		x.rc.d.ext = &x.ext
		s = &x.Scope
	} else {
		s = &Scope{}
	}
	s.rc.Context = parent
	if len(h.cfg.observers) > 0 {
		s.rc.d.ext.start = time.Since(h.born)
	}
	return s
}

func (h *Hook) open(rc *reqCtx, req Request, hr *http.Request, w http.ResponseWriter) {
	s := Subject{Request: req}
	for _, k := range h.cfg.keys {
		if s.Key = k.key(rc.Context, req, hr); s.Key != "" {
			break
		}
	}
	var pinned map[string]string
	if h.cfg.acceptPropagated {
		// Verified propagated decisions are pinned before anything is
		// decided; the raw set is kept (and forwarded), rollouts this
		// service does not know included. They were made for the key
		// they were signed with: on a request with another key of its
		// own they would pin one user's variants on another, and be
		// re-signed for that other user onward.
		var key string
		var ok bool
		key, pinned, ok = h.cfg.propagator.receive(req)
		switch {
		case !ok:
		case s.Key == "":
			s.Key = key
		case key != s.Key:
			pinned = nil
			h.cfg.propagator.keyMismatch.Add(1)
		}
	}
	if s.Key == "" && h.anon != nil && hr != nil {
		s.Key = h.anon.key(req, hr, w)
	}
	if h.cfg.attrLookup != nil && hr == nil { // HTTP: httpView answers itself
		s.Request = &lookupRequest{Request: req, ctx: rc.Context, fn: h.cfg.attrLookup}
	}
	if h.cfg.attrs != nil {
		s.Attrs = h.cfg.attrs(rc.Context, req)
	}
	rc.d.init(h.e, s, h)
	if pinned != nil {
		rc.d.extLocked().pinned = pinned // before the handler runs: no lock needed
	}
	if h.cfg.eager {
		rc.d.decideAll()
	}
}

// End reports the request's outcome to the observers, once per rollout the
// request decided. The adapter fills Status, Code, Error and Panic; End fills
// the rest. A panic is always an error. Without a Code (HTTP), a status of
// 500 or above is an error too; with a Code, the adapter's Error stands, so
// a protocol can classify its own codes (graygrpc.WithErrorCodes).
func (s *Scope) End(o Outcome) {
	d := &s.rc.d
	if d.hook == nil || len(d.hook.cfg.observers) == 0 {
		return
	}
	d.mu.Lock()
	first, ok, more := d.decidedLocked()
	start := d.ext.start // observing hooks always have ext
	d.mu.Unlock()
	o.Latency = time.Since(d.hook.born) - start
	o.Error = o.Error || o.Panic || o.Code == "" && o.Status >= 500
	if ok {
		s.report(o, first)
	}
	for _, dec := range more {
		s.report(o, dec)
	}
}

func (s *Scope) report(o Outcome, dec Decision) {
	o.Rollout, o.Variant = dec.Rollout, dec.Variant
	for _, ob := range s.rc.d.hook.cfg.observers {
		ob.ObserveOutcome(o)
	}
}

// Inject writes into c what a service behind this one needs to follow the
// decisions in ctx, as [Propagator.Inject] does: every graykit value c
// held is replaced, and other baggage members are kept. It signs with the
// hook's propagator ([WithPropagator], [WithOutboundPropagator]) or, if the
// hook has none, with the propagator of the middleware that opened ctx's
// decisions — the rule [Transport] and [Proxy] follow, so a client built
// with the engine alone signs wherever its caller's middleware does. With
// no propagator at all, or no decisions in ctx, it only removes graykit
// values from c. The gRPC client interceptors call it.
func (h *Hook) Inject(ctx context.Context, c Carrier) {
	inject(ctx, c, h.cfg.propagator)
}
