package gray

import (
	"context"
	"net/http"
	"net/textproto"
)

// Option configures [Middleware], [NewHook] and the framework adapters, which
// all take the same options and apply them the same way.
type Option interface {
	apply(*hookConfig)
}

type optionFunc func(*hookConfig)

func (f optionFunc) apply(c *hookConfig) { f(c) }

type hookConfig struct {
	keys       []keySource
	attrs      func(ctx context.Context, r Request) map[string]string
	anonCookie string
	observers  []Observer
	eager      bool
	clientIP   func(*http.Request) string

	propagator       *Propagator // signs outbound decisions; see propagation.go
	acceptPropagated bool        // verify and pin inbound propagated decisions
}

// keySource is one way to find a subject's key; the first non-empty wins.
type keySource struct {
	header string                           // canonical header (metadata for gRPC)
	cookie string                           // cookie name
	fn     func(*http.Request) string       // HTTP requests only
	ctxFn  func(ctx context.Context) string // any request
}

func (k keySource) key(ctx context.Context, req Request, hr *http.Request) string {
	switch {
	case k.header != "":
		v, _ := req.Header(k.header)
		return v
	case k.cookie != "":
		v, _ := req.Cookie(k.cookie)
		return v
	case k.fn != nil:
		if hr == nil {
			return ""
		}
		return k.fn(hr)
	case k.ctxFn != nil:
		return k.ctxFn(ctx)
	}
	return ""
}

// WithKeyFromHeader takes the subject key from the named request header (for
// gRPC: the metadata key). Key options are tried in the order given; the
// first that yields a non-empty key wins. With no key option, subjects have
// no key and only rules (or anonymous stickiness) can put them on a new
// variant.
func WithKeyFromHeader(name string) Option {
	name = textproto.CanonicalMIMEHeaderKey(name)
	return optionFunc(func(c *hookConfig) { c.keys = append(c.keys, keySource{header: name}) })
}

// WithKeyFromCookie takes the subject key from the named cookie.
func WithKeyFromCookie(name string) Option {
	return optionFunc(func(c *hookConfig) { c.keys = append(c.keys, keySource{cookie: name}) })
}

// WithKeyFunc takes the subject key from a function of the HTTP request, for
// example the user ID an authentication middleware put in its context. It
// applies to HTTP adapters (net/http, Gin, Echo); for gRPC use
// [WithKeyFromContext].
func WithKeyFunc(fn func(*http.Request) string) Option {
	return optionFunc(func(c *hookConfig) { c.keys = append(c.keys, keySource{fn: fn}) })
}

// WithKeyFromContext takes the subject key from the request's context, in
// every adapter.
func WithKeyFromContext(fn func(ctx context.Context) string) Option {
	return optionFunc(func(c *hookConfig) { c.keys = append(c.keys, keySource{ctxFn: fn}) })
}

// WithAttributes supplies the subject's attributes (for "attr:NAME" rules)
// from the request: region, platform, app version, tenant, … It is called
// once per request.
func WithAttributes(fn func(ctx context.Context, r Request) map[string]string) Option {
	return optionFunc(func(c *hookConfig) { c.attrs = fn })
}

// WithAnonymousCookie makes subjects without a key sticky too: the key comes
// from the named cookie, and a request without it gets a new random ID, set
// as that cookie on the response (Path=/, HttpOnly, SameSite=Lax, Secure on
// TLS, one year). It applies to HTTP adapters; it is tried after every other
// key option.
func WithAnonymousCookie(name string) Option {
	return optionFunc(func(c *hookConfig) { c.anonCookie = name })
}

// WithObserver adds an observer of decisions and outcomes. Several may be
// given; each sees everything.
func WithObserver(o Observer) Option {
	return optionFunc(func(c *hookConfig) {
		if o != nil {
			c.observers = append(c.observers, o)
		}
	})
}

// WithEager decides every rollout when the request starts, instead of on
// first ask, so that every rollout's outcome is recorded for every request.
func WithEager() Option {
	return optionFunc(func(c *hookConfig) { c.eager = true })
}

// WithClientIP sets how the client's IP is found (for "ip" rules), e.g. from
// X-Forwarded-For behind a proxy you trust. The default is the host part of
// http.Request.RemoteAddr.
func WithClientIP(fn func(*http.Request) string) Option {
	return optionFunc(func(c *hookConfig) { c.clientIP = fn })
}
