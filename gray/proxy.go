package gray

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// Proxy is an http.Handler that forwards each request to the upstream of the
// variant its subject got in one rollout: a whole new deployment behind an
// in-app gateway, with users (not requests) split between the upstreams and
// each user sticky to one. It is built on net/http/httputil.ReverseProxy and
// keeps its behaviour: hop-by-hop headers removed, X-Forwarded-For, -Host
// and -Proto set, responses streamed (event streams and responses of unknown
// length are flushed as they arrive), and protocol upgrades such as
// WebSocket passed through.
//
// Proxy must run behind [Middleware] (or an adapter): it reads the request's
// [Decisions], so the observers given to the middleware record each
// request's outcome under its variant, a 502 from an unreachable upstream
// included. Without decisions on the context, or for a variant with no
// upstream, it uses the default variant's upstream. If the middleware has a
// propagator ([WithPropagator], [WithOutboundPropagator]), the request's
// decisions are signed for the upstream. Either way, any graykit value the
// client sent ([PropagationHeader], or the baggage member [BaggageMember];
// other baggage members are kept) is removed before the request goes on.
//
// When an upstream cannot be reached, or fails before sending a response,
// the [UnreachablePolicy] decides; the default answers 502 Bad Gateway with
// the body "Bad Gateway" alone: the rollout, the variant, the address and
// the error are logged, never sent to the client. A request cancelled by its client gets status 499, which
// observers do not count as an error.
//
// A Proxy is safe for concurrent use.
type Proxy struct {
	rollout string
	def     *target
	targets map[string]*target
	policy  UnreachablePolicy
	log     *slog.Logger
	rewrite func(*httputil.ProxyRequest)
	rt      http.RoundTripper
	flush   time.Duration
	defName string
}

var _ http.Handler = (*Proxy)(nil)

// target is one upstream and the reverse proxy that serves it.
type target struct {
	variant string
	url     *url.URL
	rp      *httputil.ReverseProxy
}

// UnreachablePolicy says what [Proxy] does when an upstream cannot be
// reached.
type UnreachablePolicy uint8

const (
	// BadGateway answers 502 Bad Gateway; the observers record an error for
	// the variant. It is the default.
	BadGateway UnreachablePolicy = iota
	// RetryOnDefault sends a request that is safe to retry (GET or HEAD
	// without a body) to the default variant's upstream instead, and answers
	// others 502 as BadGateway does. The failed attempt is reported to the
	// observers as an extra outcome (status 502, error) for its variant, so
	// the variant's error rate shows it although the user was served. The
	// middleware's own outcome for the request still names the decided
	// variant (with the served status and the latency of both attempts), so
	// a variant whose upstream is down shows at most a 50% error rate.
	RetryOnDefault
)

// ProxyOption configures a [Proxy] in [NewProxy].
type ProxyOption interface {
	applyProxy(*Proxy)
}

type proxyOptionFunc func(*Proxy)

func (f proxyOptionFunc) applyProxy(p *Proxy) { f(p) }

// WithUnreachablePolicy sets what happens when an upstream cannot be
// reached. The default is [BadGateway].
func WithUnreachablePolicy(policy UnreachablePolicy) ProxyOption {
	return proxyOptionFunc(func(p *Proxy) { p.policy = policy })
}

// WithDefaultUpstream names the variant whose upstream serves requests
// without decisions, variants without an upstream, and retries. The default
// is [DefaultVariant]; the rollout's default variant is the usual choice.
func WithDefaultUpstream(variant string) ProxyOption {
	return proxyOptionFunc(func(p *Proxy) { p.defName = variant })
}

// WithProxyTransport sets the RoundTripper that reaches the upstreams. The
// default is http.DefaultTransport.
func WithProxyTransport(rt http.RoundTripper) ProxyOption {
	return proxyOptionFunc(func(p *Proxy) { p.rt = rt })
}

// WithProxyRewrite adds a step to the rewrite of each outbound request, run
// after the Proxy's own (target URL, X-Forwarded-*, propagation): to keep
// the inbound Host, to trust an X-Forwarded-For from a proxy in front, to
// add a header.
func WithProxyRewrite(fn func(*httputil.ProxyRequest)) ProxyOption {
	return proxyOptionFunc(func(p *Proxy) { p.rewrite = fn })
}

// WithProxyLogger sets the logger for upstream failures. The default is
// slog.Default().
func WithProxyLogger(l *slog.Logger) ProxyOption {
	return proxyOptionFunc(func(p *Proxy) { p.log = l })
}

// WithFlushInterval sets how often the response body is flushed to the
// client while it is copied, as httputil.ReverseProxy.FlushInterval: 0 (the
// default) flushes streaming responses at once and others when done; a
// negative interval flushes after every write.
func WithFlushInterval(d time.Duration) ProxyOption {
	return proxyOptionFunc(func(p *Proxy) { p.flush = d })
}

// ErrNoDefaultUpstream is returned by [NewProxy] when the default variant
// has no upstream.
var ErrNoDefaultUpstream = errors.New("gray: proxy: no upstream for the default variant")

// NewProxy returns a Proxy that forwards requests to upstreams[variant] for
// the variant each request gets in the named rollout. The default variant
// ([DefaultVariant] unless [WithDefaultUpstream] says otherwise) must have an
// upstream; every upstream must be an absolute http or https URL, whose path,
// if any, is prefixed to the request's. The URLs are copied.
func NewProxy(rollout string, upstreams map[string]*url.URL, opts ...ProxyOption) (*Proxy, error) {
	if rollout == "" {
		return nil, errors.New("gray: proxy: empty rollout name")
	}
	p := &Proxy{rollout: rollout, defName: DefaultVariant, targets: make(map[string]*target, len(upstreams))}
	for _, o := range opts {
		if o != nil {
			o.applyProxy(p)
		}
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	if p.rt == nil {
		p.rt = http.DefaultTransport
	}
	if p.policy > RetryOnDefault {
		return nil, fmt.Errorf("gray: proxy: unknown unreachable policy %d", p.policy)
	}
	for variant, u := range upstreams {
		switch {
		case variant == "":
			return nil, errors.New("gray: proxy: upstream with an empty variant name")
		case u == nil:
			return nil, fmt.Errorf("gray: proxy: upstreams[%q]: nil URL", variant)
		case u.Scheme != "http" && u.Scheme != "https":
			return nil, fmt.Errorf("gray: proxy: upstreams[%q]: scheme %q is not http or https", variant, u.Scheme)
		case u.Host == "":
			return nil, fmt.Errorf("gray: proxy: upstreams[%q]: no host", variant)
		}
		t := &target{variant: variant, url: new(url.URL)}
		*t.url = *u
		t.url.User = nil // credentials belong in a header set by WithProxyRewrite, not in a URL that gets logged
		t.rp = &httputil.ReverseProxy{
			Rewrite:       p.rewriteFor(t),
			Transport:     p.rt,
			FlushInterval: p.flush,
			ErrorHandler:  p.errorHandlerFor(t),
		}
		p.targets[variant] = t
	}
	if p.def = p.targets[p.defName]; p.def == nil {
		return nil, fmt.Errorf("%w %q", ErrNoDefaultUpstream, p.defName)
	}
	return p, nil
}

// ServeHTTP forwards r to the upstream of its variant.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.targetFor(r.Context()).rp.ServeHTTP(w, r)
}

func (p *Proxy) targetFor(ctx context.Context) *target {
	d, ok := FromContext(ctx)
	if !ok {
		return p.def
	}
	if t := p.targets[d.Get(p.rollout).Variant]; t != nil {
		return t
	}
	return p.def
}

// attempt is what a retry needs of the first try: the inbound request.
type attempt struct {
	in    *http.Request
	start time.Time
}

type attemptKey struct{}

func (p *Proxy) rewriteFor(t *target) func(*httputil.ProxyRequest) {
	return func(pr *httputil.ProxyRequest) {
		pr.SetURL(t.url)
		pr.SetXForwarded()
		// Always: without a propagator this only removes what the client
		// sent, which must never reach the upstream as if it were ours.
		inject(pr.In.Context(), HeaderCarrier(pr.Out.Header), nil)
		if p.rewrite != nil {
			p.rewrite(pr)
		}
		if p.policy == RetryOnDefault && t != p.def && safeToRetry(pr.In) {
			a := &attempt{in: pr.In, start: time.Now()}
			pr.Out = pr.Out.WithContext(context.WithValue(pr.Out.Context(), attemptKey{}, a))
		}
	}
}

// safeToRetry reports whether r can be sent again: GET or HEAD, no body.
func safeToRetry(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		r.ContentLength == 0 && (r.Body == nil || r.Body == http.NoBody)
}

// StatusClientClosedRequest is the status [Proxy] records when the client
// went away before the upstream answered (Nginx's 499).
const StatusClientClosedRequest = 499

func (p *Proxy) errorHandlerFor(t *target) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, out *http.Request, err error) {
		ctx := out.Context()
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			w.WriteHeader(StatusClientClosedRequest)
			return
		}
		if a, ok := ctx.Value(attemptKey{}).(*attempt); ok {
			p.log.LogAttrs(ctx, slog.LevelWarn, "gray: proxy: upstream unreachable, retrying on default",
				slog.String("rollout", p.rollout), slog.String("variant", t.variant),
				slog.String("upstream", t.url.Redacted()), slog.String("default", p.def.variant),
				slog.Any("err", err))
			p.observeFailedAttempt(a, t.variant)
			p.def.rp.ServeHTTP(w, a.in)
			return
		}
		p.log.LogAttrs(ctx, slog.LevelError, "gray: proxy: upstream unreachable",
			slog.String("rollout", p.rollout), slog.String("variant", t.variant),
			slog.String("upstream", t.url.Redacted()), slog.Any("err", err))
		// The rollout and the variant tell a public client which side of
		// the split it is on and what is being rolled out: they are logged
		// above, not sent.
		http.Error(w, http.StatusText(http.StatusBadGateway), http.StatusBadGateway)
	}
}

// observeFailedAttempt reports a retried attempt's failure to the
// middleware's observers.
func (p *Proxy) observeFailedAttempt(a *attempt, variant string) {
	d, ok := FromContext(a.in.Context())
	if !ok || d.hook == nil {
		return
	}
	o := Outcome{
		Rollout: p.rollout, Variant: variant, Status: http.StatusBadGateway,
		Error: true, Latency: time.Since(a.start),
	}
	for _, ob := range d.hook.cfg.observers {
		ob.ObserveOutcome(o)
	}
}
