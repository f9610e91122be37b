package grayecho

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/graykit/graykit/adapters/internal/adapteropt"
	"github.com/graykit/graykit/gray"
)

type config struct {
	skipper func(echo.Context) bool
}

// WithSkipper makes [Middleware] pass the requests for which skip returns
// true straight to the next handler, without decisions (Echo's Skipper
// convention; a middleware.Skipper fits). It is an Echo-only setting that
// travels in the same option list as the core's options; elsewhere it is
// ignored.
func WithSkipper(skip func(c echo.Context) bool) gray.Option {
	return adapteropt.New(func(c *config) { c.skipper = skip })
}

// Middleware returns Echo middleware that opens each request's
// [gray.Decisions] exactly as [gray.Middleware] does for net/http, with the
// same options: handlers ask [gray.Variant](c.Request().Context(), …),
// [Variant](c, …) or [FromContext](c).
//
// While the rest of the chain runs, c.Request() is a copy of the request
// carrying the decisions on its context; the original is put back on the
// way out. When the chain ends, the middleware reports every decided
// rollout's outcome to the observers given with [gray.WithObserver]: the
// status written, or, when the chain returns an error, the status Echo's
// HTTPErrorHandler writes for it (the middleware calls c.Error, as Echo's
// request logger does, and still returns the error); 500 and Panic on a
// panic, which it re-raises untouched. Requests that [WithSkipper]'s
// function skips get no decisions. With a nil engine the chain runs without
// decisions, as [gray.NewHook] says.
func Middleware(e *gray.Engine, opts ...gray.Option) echo.MiddlewareFunc {
	var cfg config
	core := adapteropt.Split(opts, &cfg)
	h := gray.NewHook(e, core...)
	skip := cfg.skipper
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			if skip != nil && skip(c) {
				return next(c)
			}
			saved := c.Request()
			res := c.Response()
			sc := h.StartHTTP(res, saved)
			c.SetRequest(saved.WithContext(sc.Context()))
			panicked := true
			defer func() {
				c.SetRequest(saved)
				if panicked {
					sc.End(gray.Outcome{Status: http.StatusInternalServerError, Panic: true})
					return
				}
				sc.End(gray.Outcome{Status: status(res)})
			}()
			err = next(c)
			if err != nil && !res.Committed {
				c.Error(err) // the error handler decides the status
			}
			panicked = false
			return err
		}
	}
}

func status(res *echo.Response) int {
	if res.Status == 0 {
		return http.StatusOK
	}
	return res.Status
}

// FromContext returns the request's decisions, from c.Request()'s context:
// those [Middleware] opened, or any other, e.g. from [gray.NewContext] in a
// test. It is the Echo-side spelling of [gray.FromContext].
func FromContext(c echo.Context) (*gray.Decisions, bool) {
	if c == nil || c.Request() == nil {
		return nil, false
	}
	return gray.FromContext(c.Request().Context())
}

// Variant returns the variant of the named rollout for the request, as
// [gray.Variant] does: [gray.DefaultVariant] without decisions.
func Variant(c echo.Context, rollout string) string {
	d, ok := FromContext(c)
	if !ok {
		return gray.DefaultVariant
	}
	return d.Variant(rollout)
}
