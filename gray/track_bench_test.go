package gray_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/graykit/graykit/gray"
)

// BenchmarkTrack is the cost of Track and TrackValue on the request path,
// with the request having decided one or two rollouts.
func BenchmarkTrack(b *testing.B) {
	for _, rollouts := range [][]string{{"checkout"}, {"checkout", "search"}} {
		b.Run(fmt.Sprintf("rollouts=%d", len(rollouts)), func(b *testing.B) {
			e, err := gray.ParseConfig([]byte(trackYAML))
			if err != nil {
				b.Fatal(err)
			}
			eng, err := gray.New(e)
			if err != nil {
				b.Fatal(err)
			}
			counters := gray.NewCounters()
			h := gray.Middleware(eng, gray.WithKeyFromHeader("X-User"), gray.WithObserver(counters))(
				http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					ctx := r.Context()
					for _, name := range rollouts {
						gray.Variant(ctx, name)
					}
					b.ReportAllocs()
					b.ResetTimer()
					for b.Loop() {
						gray.Track(ctx, "checkout_completed")
						gray.TrackValue(ctx, "order_value", 42.5)
					}
				}))
			req := httptest.NewRequestWithContext(b.Context(), http.MethodGet, "/", nil)
			req.Header.Set("X-User", "u-1")
			h.ServeHTTP(httptest.NewRecorder(), req)
		})
	}
}
