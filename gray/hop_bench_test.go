package gray_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/graykit/graykit/gray"
)

// BenchmarkHop prices one hop of full-chain gray on the request path: the
// middleware verifying and pinning an inbound value (header and baggage
// carriers), the Transport signing the request's decisions for the next
// service, and the anonymous cookie of a returning keyless visitor.
//
//	go test -run '^$' -bench Hop -benchmem -count 6 ./gray/ > hop.txt
//	go run golang.org/x/perf/cmd/benchstat@latest hop.txt
func BenchmarkHop(b *testing.B) {
	e := mustEngine(b, `rollouts: [{name: checkout-v2, percent: 5}, {name: search, percent: 50}]`)
	asking := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sink += len(gray.Variant(r.Context(), "checkout-v2"))
	})
	w := discardWriter{}
	now := time.Unix(propDocExpiry, 0)
	clock := gray.WithPropagationClock(func() time.Time { return now })
	for _, carrier := range []struct {
		name string
		opts []gray.PropagatorOption
	}{
		{"header", []gray.PropagatorOption{clock}},
		{"baggage", []gray.PropagatorOption{clock, gray.WithBaggage()}},
	} {
		p := mustPropagator(b, [][]byte{propNew}, carrier.opts...)
		v, err := p.Sign("user-1234567", []gray.Decision{{Rollout: "checkout-v2", Variant: "canary"}})
		if err != nil {
			b.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "/checkout", nil)
		if carrier.name == "header" {
			req.Header.Set(gray.PropagationHeader, v)
		} else {
			req.Header.Set("Baggage", "a=1,"+gray.BaggageMember+"="+v)
		}
		h := gray.Middleware(e, gray.WithPropagator(p))(asking)
		b.Run("receive/"+carrier.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(w, req)
			}
		})

		ctx := gray.NewContext(b.Context(), e, gray.Subject{Key: "user-1234567"})
		gray.Variant(ctx, "checkout-v2")
		out := httptest.NewRequestWithContext(ctx, http.MethodGet, "http://backend/", nil)
		out.Header.Set("Accept", "application/json")
		resp := &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody}
		rt := gray.Transport(roundTripFunc(func(*http.Request) (*http.Response, error) { return resp, nil }),
			gray.WithTransportPropagator(p))
		b.Run("transport/"+carrier.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := rt.RoundTrip(out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}

	anon := gray.Middleware(e, gray.WithAnonymousCookie("gk"))(asking)
	first := httptest.NewRecorder()
	anon.ServeHTTP(first, httptest.NewRequest(http.MethodGet, "/checkout", nil))
	cookies := first.Result().Cookies()
	if len(cookies) != 1 {
		b.Fatalf("cookies %v", cookies)
	}
	returning := httptest.NewRequest(http.MethodGet, "/checkout", nil)
	returning.AddCookie(cookies[0])
	b.Run("anonymous-cookie", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			anon.ServeHTTP(w, returning)
		}
	})
}
