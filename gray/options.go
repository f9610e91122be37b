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
	keys        []keySource
	attrs       func(ctx context.Context, r Request) map[string]string
	attrLookup  func(ctx context.Context, r Request, name string) (string, bool) // attrlookup.go
	anonCookie  string
	anonSecrets [][]byte // nil: the process's random secret
	anonSecure  bool
	observers   []Observer
	eager       bool
	clientIP    func(*http.Request) string

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
//
// Whoever writes the header chooses the key, and with it the bucket and any
// `key in [...]` rule. Where requests come from the public, take the key
// from the authenticated identity ([WithKeyFunc], [WithKeyFromContext]);
// use a header only when your own gateway sets it after authenticating and
// removes any copy the client sent.
func WithKeyFromHeader(name string) Option {
	name = textproto.CanonicalMIMEHeaderKey(name)
	return optionFunc(func(c *hookConfig) { c.keys = append(c.keys, keySource{header: name}) })
}

// WithKeyFromCookie takes the subject key from the named cookie. As with
// [WithKeyFromHeader], the client writes its cookies: at a public edge use it
// only for a key the client may choose.
func WithKeyFromCookie(name string) Option {
	return optionFunc(func(c *hookConfig) { c.keys = append(c.keys, keySource{cookie: name}) })
}

// WithKeyFunc takes the subject key from a function of the HTTP request, for
// example the user ID an authentication middleware put in its context: the
// way to key requests at a public edge. It
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
// from the named cookie, and a request without a valid one gets a new
// random ID, set as that cookie on the response (Path=/, HttpOnly,
// SameSite=Lax, one year; Secure when the request came over TLS, or always
// with [WithSecureAnonymousCookie]). It applies to HTTP adapters; it is
// tried after every other key option.
//
// The cookie carries a tag, an HMAC of the ID under a server secret, and a
// cookie whose tag does not verify is replaced by a new ID: a client cannot
// write an ID of its choosing and so pick its bucket (bucketing is public
// XXH64). It can still drop its cookie and get a new random ID, so an
// anonymous split keeps visitors sticky; it is no access control. The
// secret is given with [WithAnonymousSecret]; without one it is drawn at
// random once per process, so IDs survive neither a restart nor a request
// served by another replica: each such visitor gets a new ID, and perhaps a
// new variant. Give every replica the same secret.
func WithAnonymousCookie(name string) Option {
	return optionFunc(func(c *hookConfig) { c.anonCookie = name })
}

// WithAnonymousSecret sets the secrets that tag anonymous IDs
// ([WithAnonymousCookie]): the first tags new IDs, every one verifies, so a
// secret can rotate as a propagator's does (add the new one second
// everywhere, then move it first; an ID tagged with an older secret is
// re-tagged with the first, keeping its ID and so its bucket; then drop the
// old one). Each must be at least [MinSecretSize] bytes; otherwise the
// error is logged once, with the engine's logger, and the random secret of
// the process is used as if none had been given. The secrets are copied.
func WithAnonymousSecret(secrets ...[]byte) Option {
	cp := make([][]byte, len(secrets))
	for i, s := range secrets {
		cp[i] = append([]byte(nil), s...)
	}
	return optionFunc(func(c *hookConfig) { c.anonSecrets = cp })
}

// WithSecureAnonymousCookie sets Secure on the anonymous cookie
// ([WithAnonymousCookie]) whatever the request's scheme. Behind a proxy or
// load balancer that terminates TLS, requests reach the application over
// plain HTTP (http.Request.TLS is nil), so without this option the cookie
// would be sent back over plain HTTP too.
func WithSecureAnonymousCookie() Option {
	return optionFunc(func(c *hookConfig) { c.anonSecure = true })
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
