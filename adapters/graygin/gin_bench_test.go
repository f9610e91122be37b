package graygin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/graykit/graykit/adapters/graygin"
	"github.com/graykit/graykit/gray"
)

var sink string

// BenchmarkMiddleware serves the same trivial handler bare and behind the
// adapter with one rollout. Compare with:
//
//	go test -run '^$' -bench Middleware -count 5 ./adapters/graygin | benchstat -col /mw -
func BenchmarkMiddleware(b *testing.B) {
	gin.SetMode(gin.ReleaseMode)
	cfg, err := gray.ParseConfig([]byte("rollouts: [{name: checkout, percent: 50}]"))
	if err != nil {
		b.Fatal(err)
	}
	e, err := gray.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	handler := func(c *gin.Context) {
		sink = gray.Variant(c.Request.Context(), "checkout")
		c.Status(http.StatusNoContent)
	}
	benchmarks := []struct {
		name string
		mw   []gin.HandlerFunc
	}{
		{name: "mw=bare"},
		{name: "mw=graygin", mw: []gin.HandlerFunc{graygin.Middleware(e, gray.WithKeyFromHeader("X-User-ID"))}},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			r := gin.New()
			r.Use(bm.mw...)
			r.GET("/", handler)
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("X-User-ID", "user-42")
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				r.ServeHTTP(w, req)
			}
		})
	}
}
