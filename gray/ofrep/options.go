package ofrep

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Option configures [NewHandler].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	auth          func(*http.Request) error
	origins       map[string]bool // nil: no CORS
	anyOrigin     bool
	corsHeaders   string // Access-Control-Allow-Headers
	corsMaxAge    string // Access-Control-Max-Age, seconds
	maxBody       int64
	cacheControl  string
	extraCORSHdrs []string
	requireKey    bool
}

// ErrForbidden, returned (or wrapped) by a [WithAuth] function, answers 403
// Forbidden instead of 401 Unauthorized.
var ErrForbidden = errors.New("ofrep: forbidden")

// WithAuth makes every evaluation request pass auth first. A nil error lets
// the request through; an error refuses it with 401 Unauthorized, or with
// 403 Forbidden when it is [ErrForbidden] (errors.Is). Refusals carry no
// body. CORS preflight requests are answered without auth, as browsers send
// them without credentials. The default is no check.
func WithAuth(auth func(r *http.Request) error) Option {
	return optionFunc(func(c *config) { c.auth = auth })
}

// WithCORS lets pages on the listed origins (scheme://host[:port], as the
// Origin header reads) call the handler: preflight requests are answered,
// and responses carry Access-Control-Allow-Origin for that origin,
// Access-Control-Allow-Credentials (so a session cookie identifies the user)
// and Access-Control-Expose-Headers: ETag. The origin "*" allows any origin,
// without credentials. Requests from other origins get no CORS headers, so
// the browser withholds the answer. The default is no CORS headers at all
// (same-origin pages only).
func WithCORS(origins ...string) Option {
	return optionFunc(func(c *config) {
		if c.origins == nil {
			c.origins = map[string]bool{}
		}
		for _, o := range origins {
			if o == "*" {
				c.anyOrigin = true
				continue
			}
			c.origins[strings.TrimSuffix(o, "/")] = true
		}
	})
}

// WithCORSHeaders adds request headers a cross-origin page may send, beyond
// Content-Type, If-None-Match, Authorization and X-API-Key (for example a
// header a provider's headersFactory sets).
func WithCORSHeaders(names ...string) Option {
	return optionFunc(func(c *config) { c.extraCORSHdrs = append(c.extraCORSHdrs, names...) })
}

// WithCORSMaxAge sets how long browsers may cache a preflight answer. The
// default is 10 minutes.
func WithCORSMaxAge(d time.Duration) Option {
	return optionFunc(func(c *config) { c.corsMaxAge = strconv.FormatInt(int64(d/time.Second), 10) })
}

// WithRequireKey refuses requests whose subject has no key (no signed-in
// user, no anonymous cookie) with 400 TARGETING_KEY_MISSING, so the client
// falls back to its code defaults. Without it, such requests are answered
// as the middleware decides for them: the default variant, unless a rule
// that needs no key matches.
func WithRequireKey() Option {
	return optionFunc(func(c *config) { c.requireKey = true })
}

// WithMaxBody sets the largest request body read, in bytes; a larger one is
// refused with 400 PARSE_ERROR. The default is 64 KiB.
func WithMaxBody(n int64) Option {
	return optionFunc(func(c *config) { c.maxBody = n })
}

func newConfig(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		o.apply(c)
	}
	if c.maxBody <= 0 {
		c.maxBody = 64 << 10
	}
	if c.corsMaxAge == "" {
		c.corsMaxAge = "600"
	}
	c.corsHeaders = strings.Join(append([]string{"Content-Type", "If-None-Match", "Authorization", "X-API-Key"}, c.extraCORSHdrs...), ", ")
	// Answers are per user: shared caches must not keep them, and the
	// browser revalidates (If-None-Match) each time.
	c.cacheControl = "private, no-cache"
	return c
}
