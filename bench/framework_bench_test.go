package bench_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/adapters/grayecho"
	"github.com/graykit/graykit/adapters/graygin"
	"github.com/graykit/graykit/gray"
)

// grayOptions are the options every framework row uses: the key and the
// attributes come from request headers.
func grayOptions() []gray.Option {
	return []gray.Option{
		gray.WithKeyFromHeader("X-User-Id"),
		gray.WithAttributes(func(_ context.Context, r gray.Request) map[string]string {
			region, _ := r.Header("X-Region")
			platform, _ := r.Header("X-Platform")
			return map[string]string{"region": region, "platform": platform}
		}),
	}
}

// BenchmarkFramework serves the same trivial handler through each framework,
// bare and behind graykit's middleware for it (the three-rule rollout, the
// handler asking for the variant). The difference between a framework's two
// rows is what graykit costs a request there.
func BenchmarkFramework(b *testing.B) {
	e, err := gray.New(threeRulesConfig(canaryPct))
	require.NoError(b, err)
	reqs := benchRequests(b, benchKeys())
	w := newNopWriter()

	bareHTTP := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	grayHTTP := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sinkStr = gray.Variant(r.Context(), rolloutName)
		w.WriteHeader(http.StatusNoContent)
	})

	gin.SetMode(gin.ReleaseMode)
	newGin := func(mw ...gin.HandlerFunc) http.Handler {
		r := gin.New()
		r.Use(mw...)
		r.GET("/checkout", func(c *gin.Context) {
			if len(mw) > 0 {
				sinkStr = gray.Variant(c.Request.Context(), rolloutName)
			}
			c.Status(http.StatusNoContent)
		})
		return r
	}
	newEcho := func(mw ...echo.MiddlewareFunc) http.Handler {
		r := echo.New()
		r.Use(mw...)
		r.GET("/checkout", func(c echo.Context) error {
			if len(mw) > 0 {
				sinkStr = gray.Variant(c.Request().Context(), rolloutName)
			}
			return c.NoContent(http.StatusNoContent)
		})
		return r
	}

	cases := []struct {
		name string
		h    http.Handler
	}{
		{"net-http/bare", bareHTTP},
		{"net-http/graykit", gray.Middleware(e, grayOptions()...)(grayHTTP)},
		// Without WithAttributes: no attribute map per request.
		{"net-http/graykit/key-only", gray.Middleware(e, gray.WithKeyFromHeader("X-User-Id"))(grayHTTP)},
		{"gin/bare", newGin()},
		{"gin/graykit", newGin(graygin.Middleware(e, grayOptions()...))},
		{"echo/bare", newEcho()},
		{"echo/graykit", newEcho(grayecho.Middleware(e, grayOptions()...))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				c.h.ServeHTTP(w, reqs[i&keyMask])
			}
		})
	}
}
