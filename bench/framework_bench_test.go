package bench_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/graykit/graykit/adapters/grayecho"
	"github.com/graykit/graykit/adapters/graygin"
	"github.com/graykit/graykit/adapters/graygrpc"
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

	// gRPC: the unary interceptor called in process on a context with the
	// call's incoming metadata, without a transport (graygrpc's own
	// benchmark measures a full call over bufconn).
	keys := benchKeys()
	ctxs := make([]context.Context, len(keys))
	for i, k := range keys {
		ctxs[i] = metadata.NewIncomingContext(b.Context(),
			metadata.Pairs("x-user-id", k, "x-region", userRegion, "x-platform", userPlatform))
	}
	info := &grpc.UnaryServerInfo{FullMethod: "/shop.Checkout/Pay"}
	bareUnary := func(_ context.Context, req any) (any, error) { return req, nil }
	grayUnary := func(ctx context.Context, req any) (any, error) {
		sinkStr = gray.Variant(ctx, rolloutName)
		return req, nil
	}
	icpt := graygrpc.UnaryServerInterceptor(e, grayOptions()...)
	unary := []struct {
		name string
		call func(ctx context.Context, req any) (any, error)
	}{
		{"grpc-unary/bare", func(ctx context.Context, req any) (any, error) { return bareUnary(ctx, req) }},
		{"grpc-unary/graykit", func(ctx context.Context, req any) (any, error) { return icpt(ctx, req, info, grayUnary) }},
	}
	var req any = &struct{}{}
	for _, c := range unary {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var err error
			for i := 0; b.Loop(); i++ {
				if _, err = c.call(ctxs[i&keyMask], req); err != nil {
					break
				}
			}
			require.NoError(b, err)
		})
	}
}
