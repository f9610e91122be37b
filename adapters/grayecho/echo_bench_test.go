package grayecho_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/graykit/graykit/adapters/grayecho"
	"github.com/graykit/graykit/gray"
)

var sink string

// BenchmarkMiddleware serves the same trivial handler bare and behind the
// adapter with one rollout. Compare with:
//
//	go test -run '^$' -bench Middleware -count 5 ./adapters/grayecho | benchstat -col /mw -
func BenchmarkMiddleware(b *testing.B) {
	cfg, err := gray.ParseConfig([]byte("rollouts: [{name: checkout, percent: 50}]"))
	if err != nil {
		b.Fatal(err)
	}
	e, err := gray.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	handler := func(c echo.Context) error {
		sink = gray.Variant(c.Request().Context(), "checkout")
		return c.NoContent(http.StatusNoContent)
	}
	benchmarks := []struct {
		name string
		mw   []echo.MiddlewareFunc
	}{
		{name: "mw=bare"},
		{name: "mw=grayecho", mw: []echo.MiddlewareFunc{grayecho.Middleware(e, gray.WithKeyFromHeader("X-User-ID"))}},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			srv := echo.New()
			srv.Use(bm.mw...)
			srv.GET("/", handler)
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("X-User-ID", "user-42")
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				srv.ServeHTTP(w, req)
			}
		})
	}
}
