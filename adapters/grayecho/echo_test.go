package grayecho_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/graykit/graykit/adapters/grayecho"
	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/graytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func respond(c echo.Context) error {
	body, fail := graytest.Respond(c.Request().Context(), c.Request().Header.Get(graytest.ActionHeader))
	if fail {
		return c.String(http.StatusInternalServerError, body)
	}
	return c.String(http.StatusOK, body)
}

func TestConformance(t *testing.T) {
	graytest.Run(t, graytest.Target{
		Name:    "echo",
		Cookies: true,
		Serve: func(t *testing.T, e *gray.Engine, opts []gray.Option) graytest.Client {
			srv := echo.New()
			srv.Use(grayecho.Middleware(e, opts...))
			srv.POST(graytest.Path, respond)
			return graytest.ServeHTTP(t, srv)
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

func serve(t *testing.T, srv *echo.Echo, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	req.Header.Set("X-User-ID", "u-1")
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	return w
}

func TestSkipper(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{name: "not skipped", give: "/checkout", want: "canary"},
		{name: "skipped", give: "/healthz", want: "stable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counters := gray.NewCounters()
			srv := echo.New()
			srv.Use(grayecho.Middleware(newEngine(t),
				gray.WithKeyFromHeader("X-User-ID"),
				gray.WithObserver(counters),
				grayecho.WithSkipper(func(c echo.Context) bool { return c.Path() == "/healthz" }),
			))
			h := func(c echo.Context) error { return c.String(http.StatusOK, grayecho.Variant(c, "checkout")) }
			srv.GET("/checkout", h)
			srv.GET("/healthz", h)
			assert.Equal(t, tt.want, serve(t, srv, tt.give).Body.String())
		})
	}
}

func TestRequestRestored(t *testing.T) {
	srv := echo.New()
	var before, inside, after *http.Request
	srv.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			before = c.Request()
			err := next(c)
			after = c.Request()
			return err
		}
	})
	srv.Use(grayecho.Middleware(newEngine(t), gray.WithKeyFromHeader("X-User-ID")))
	srv.GET("/", func(c echo.Context) error {
		inside = c.Request()
		d, ok := grayecho.FromContext(c)
		require.True(t, ok)
		assert.Equal(t, "u-1", d.Subject().Key)
		return c.NoContent(http.StatusNoContent)
	})
	serve(t, srv, "/")
	assert.Same(t, before, after, "the saved request is restored")
	assert.NotSame(t, before, inside, "the handler gets a copy")
	_, ok := gray.FromContext(before.Context())
	assert.False(t, ok, "the original request is not mutated")
}

var errPlain = errors.New("plain error")

func TestOutcome(t *testing.T) {
	tests := []struct {
		name       string
		give       echo.HandlerFunc
		wantStatus int
		wantErr    error
		wantStats  gray.VariantStats
		wantPanic  any
	}{
		{
			name:       "status written",
			give:       func(c echo.Context) error { return c.NoContent(http.StatusTeapot) },
			wantStatus: http.StatusTeapot,
			wantStats:  gray.VariantStats{Requests: 1},
		},
		{
			name:       "HTTP error returned",
			give:       func(echo.Context) error { return echo.NewHTTPError(http.StatusServiceUnavailable) },
			wantStatus: http.StatusServiceUnavailable,
			wantErr:    echo.NewHTTPError(http.StatusServiceUnavailable),
			wantStats:  gray.VariantStats{Requests: 1, Errors: 1},
		},
		{
			name:       "client error returned",
			give:       func(echo.Context) error { return echo.ErrNotFound },
			wantStatus: http.StatusNotFound,
			wantErr:    echo.ErrNotFound,
			wantStats:  gray.VariantStats{Requests: 1},
		},
		{
			name:       "plain error returned",
			give:       func(echo.Context) error { return errPlain },
			wantStatus: http.StatusInternalServerError,
			wantErr:    errPlain,
			wantStats:  gray.VariantStats{Requests: 1, Errors: 1},
		},
		{
			name:       "panic is recorded and re-raised as is",
			give:       func(echo.Context) error { panic("boom") },
			wantStatus: http.StatusOK, // nothing written: the outer middleware recovered
			wantStats:  gray.VariantStats{Requests: 1, Errors: 1, Panics: 1},
			wantPanic:  "boom",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counters := gray.NewCounters()
			var (
				recovered any
				gotErr    error
				handled   int
			)
			srv := echo.New()
			srv.HTTPErrorHandler = func(err error, c echo.Context) {
				handled++
				srv.DefaultHTTPErrorHandler(err, c)
			}
			srv.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
				return func(c echo.Context) error {
					defer func() { recovered = recover() }()
					gotErr = next(c)
					return nil
				}
			})
			srv.Use(grayecho.Middleware(newEngine(t), gray.WithKeyFromHeader("X-User-ID"), gray.WithObserver(counters)))
			srv.GET("/", func(c echo.Context) error {
				_ = grayecho.Variant(c, "checkout")
				return tt.give(c)
			})
			w := serve(t, srv, "/")
			assert.Equal(t, tt.wantStatus, w.Code)
			assert.Equal(t, tt.wantErr, gotErr, "the error still reaches outer middleware")
			assert.LessOrEqual(t, handled, 1, "the error is written once")
			got := counters.Stats("checkout", "canary")
			assert.Equal(t, tt.wantStats.Requests, got.Requests)
			assert.Equal(t, tt.wantStats.Errors, got.Errors)
			assert.Equal(t, tt.wantStats.Panics, got.Panics)
			assert.Equal(t, tt.wantPanic, recovered)
		})
	}
}

func TestNilEngine(t *testing.T) {
	srv := echo.New()
	srv.Use(grayecho.Middleware(nil, grayecho.WithSkipper(func(echo.Context) bool { return false })))
	srv.GET("/", func(c echo.Context) error {
		_, ok := grayecho.FromContext(c)
		assert.False(t, ok)
		return c.String(http.StatusOK, grayecho.Variant(c, "checkout"))
	})
	assert.Equal(t, "stable", serve(t, srv, "/").Body.String())
}
