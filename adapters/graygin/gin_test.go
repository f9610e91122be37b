package graygin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/graykit/graykit/adapters/graygin"
	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/graytest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.TestMode)
	goleak.VerifyTestMain(m)
}

func respond(c *gin.Context) {
	body, fail := graytest.Respond(c.Request.Context(), c.GetHeader(graytest.ActionHeader))
	status := http.StatusOK
	if fail {
		status = http.StatusInternalServerError
	}
	c.String(status, body)
}

func TestConformance(t *testing.T) {
	graytest.Run(t, graytest.Target{
		Name:    "gin",
		Cookies: true,
		Serve: func(t *testing.T, e *gray.Engine, opts []gray.Option) graytest.Client {
			r := gin.New()
			r.Use(graygin.Middleware(e, opts...))
			r.POST(graytest.Path, respond)
			return graytest.ServeHTTP(t, r)
		},
	})
}

func newEngine(t *testing.T) *gray.Engine {
	t.Helper()
	cfg, err := gray.ParseConfig([]byte("rollouts: [{name: checkout, percent: 100}]"))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	return e
}

// The middleware works wherever Gin lets a handler run: the engine, a
// router group, a single route.
func TestPlacement(t *testing.T) {
	variant := func(c *gin.Context) {
		c.String(http.StatusOK, gray.Variant(c.Request.Context(), "checkout")+" "+graygin.Variant(c, "checkout"))
	}
	tests := []struct {
		name  string
		setup func(r *gin.Engine, mw gin.HandlerFunc)
		give  string
		want  string
	}{
		{
			name:  "engine",
			setup: func(r *gin.Engine, mw gin.HandlerFunc) { r.Use(mw); r.GET("/x", variant) },
			give:  "/x", want: "canary canary",
		},
		{
			name: "group",
			setup: func(r *gin.Engine, mw gin.HandlerFunc) {
				g := r.Group("/api", mw)
				g.GET("/x", variant)
				r.GET("/x", variant)
			},
			give: "/api/x", want: "canary canary",
		},
		{
			name: "outside the group",
			setup: func(r *gin.Engine, mw gin.HandlerFunc) {
				r.Group("/api", mw).GET("/x", variant)
				r.GET("/x", variant)
			},
			give: "/x", want: "stable stable",
		},
		{
			name:  "single route",
			setup: func(r *gin.Engine, mw gin.HandlerFunc) { r.GET("/x", mw, variant); r.GET("/y", variant) },
			give:  "/x", want: "canary canary",
		},
		{
			name:  "other route",
			setup: func(r *gin.Engine, mw gin.HandlerFunc) { r.GET("/x", mw, variant); r.GET("/y", variant) },
			give:  "/y", want: "stable stable",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gin.New()
			tt.setup(r, graygin.Middleware(newEngine(t), gray.WithKeyFromHeader("X-User-ID")))
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, tt.give, nil)
			req.Header.Set("X-User-ID", "u-1")
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			assert.Equal(t, tt.want, w.Body.String())
		})
	}
}

// Handlers after the middleware see a request carrying the decisions; the
// middleware before it gets the original request back.
func TestRequestRestored(t *testing.T) {
	r := gin.New()
	var before, inside *http.Request
	var afterOK bool
	var afterVariant string
	r.Use(func(c *gin.Context) {
		before = c.Request
		c.Next()
		assert.Same(t, before, c.Request, "the saved request is restored")
		_, afterOK = gray.FromContext(c.Request.Context())
		afterVariant = graygin.Variant(c, "checkout")
	})
	r.Use(graygin.Middleware(newEngine(t), gray.WithKeyFromHeader("X-User-ID")))
	r.GET("/", func(c *gin.Context) {
		inside = c.Request
		d, ok := graygin.FromContext(c)
		require.True(t, ok)
		fromReq, ok := gray.FromContext(c.Request.Context())
		require.True(t, ok)
		assert.Same(t, d, fromReq)
		c.Status(http.StatusNoContent)
	})
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req.Header.Set("X-User-ID", "u-1")
	r.ServeHTTP(httptest.NewRecorder(), req)
	assert.NotSame(t, before, inside, "the handler gets a copy, the original is not mutated")
	assert.False(t, afterOK, "the restored request has no decisions")
	assert.Equal(t, "stable", afterVariant)
}

func TestOutcome(t *testing.T) {
	tests := []struct {
		name      string
		give      func(c *gin.Context)
		wantStats gray.VariantStats
		wantPanic any
	}{
		{
			name:      "status written",
			give:      func(c *gin.Context) { c.Status(http.StatusTeapot) },
			wantStats: gray.VariantStats{Requests: 1},
		},
		{
			name:      "5xx",
			give:      func(c *gin.Context) { c.AbortWithStatus(http.StatusServiceUnavailable) },
			wantStats: gray.VariantStats{Requests: 1, Errors: 1},
		},
		{
			name:      "panic is recorded and re-raised as is",
			give:      func(*gin.Context) { panic("boom") },
			wantStats: gray.VariantStats{Requests: 1, Errors: 1, Panics: 1},
			wantPanic: "boom",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counters := gray.NewCounters()
			var recovered any
			r := gin.New()
			r.Use(func(c *gin.Context) {
				defer func() { recovered = recover() }()
				c.Next()
			})
			r.Use(graygin.Middleware(newEngine(t), gray.WithKeyFromHeader("X-User-ID"), gray.WithObserver(counters)))
			r.GET("/", func(c *gin.Context) {
				_ = graygin.Variant(c, "checkout")
				tt.give(c)
			})
			req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			req.Header.Set("X-User-ID", "u-1")
			r.ServeHTTP(httptest.NewRecorder(), req)
			got := counters.Stats("checkout", "canary")
			assert.Equal(t, tt.wantStats.Requests, got.Requests)
			assert.Equal(t, tt.wantStats.Errors, got.Errors)
			assert.Equal(t, tt.wantStats.Panics, got.Panics)
			assert.Equal(t, tt.wantPanic, recovered)
		})
	}
}

func TestNilEngine(t *testing.T) {
	r := gin.New()
	r.Use(graygin.Middleware(nil))
	r.GET("/", func(c *gin.Context) {
		_, ok := graygin.FromContext(c)
		assert.False(t, ok)
		c.String(http.StatusOK, graygin.Variant(c, "checkout"))
	})
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
	assert.Equal(t, "stable", w.Body.String())
}

// FromContext falls back to the request's context, e.g. decisions made by
// gray.NewContext or by net/http middleware in front of Gin.
func TestFromContextFallback(t *testing.T) {
	e := newEngine(t)
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	ctx := gray.NewContext(t.Context(), e, gray.Subject{Key: "u-1"})
	c.Request = httptest.NewRequestWithContext(ctx, http.MethodGet, "/", nil)
	assert.Equal(t, "canary", graygin.Variant(c, "checkout"))
}
