package graygin

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/graykit/graykit/gray"
)

// Middleware returns Gin middleware that opens each request's
// [gray.Decisions] exactly as [gray.Middleware] does for net/http, with the
// same options: handlers ask [gray.Variant](c.Request.Context(), …),
// [Variant](c, …) or [FromContext](c). It works on the engine, on a router
// group and on a single route.
//
// While the rest of the chain runs, c.Request is a copy of the request
// carrying the decisions on its context; the original is put back on the
// way out, so a middleware that wants the decisions after c.Next (an
// access log of the variant served) must run after this one. The decisions
// are deliberately not stored with c.Set: Gin allocates a fresh Keys map per
// request for that, which would double the adapter's allocations. When the
// chain ends, the middleware reports every decided
// rollout's outcome (the status written; 500 and Panic on a panic, which
// it re-raises untouched) to the observers given with [gray.WithObserver].
// With a nil engine the chain runs without decisions, as [gray.NewHook]
// says.
func Middleware(e *gray.Engine, opts ...gray.Option) gin.HandlerFunc {
	h := gray.NewHook(e, opts...)
	return func(c *gin.Context) {
		saved := c.Request
		sc := h.StartHTTP(c.Writer, saved)
		c.Request = saved.WithContext(sc.Context())
		panicked := true
		defer func() {
			c.Request = saved
			if panicked {
				sc.End(gray.Outcome{Status: http.StatusInternalServerError, Panic: true})
				return
			}
			sc.End(gray.Outcome{Status: c.Writer.Status()})
		}()
		c.Next()
		panicked = false
	}
}

// FromContext returns the request's decisions, from c.Request's context:
// those [Middleware] opened, or any other, e.g. from [gray.NewContext] in a
// test. It is the Gin-side spelling of [gray.FromContext].
func FromContext(c *gin.Context) (*gray.Decisions, bool) {
	if c == nil || c.Request == nil {
		return nil, false
	}
	return gray.FromContext(c.Request.Context())
}

// Variant returns the variant of the named rollout for the request, as
// [gray.Variant] does: [gray.DefaultVariant] without decisions.
func Variant(c *gin.Context, rollout string) string {
	d, ok := FromContext(c)
	if !ok {
		return gray.DefaultVariant
	}
	return d.Variant(rollout)
}
