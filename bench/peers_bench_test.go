package bench_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// BenchmarkPeers runs the same job through every peer over the same 1,024
// user keys: three rules that do not match (region in a list, platform in a
// list, the key in a 100-key list), then the 5% split. README.md says what
// each row measures.
func BenchmarkPeers(b *testing.B) {
	keys := benchKeys()
	attrs := userAttrs()
	saltKeys := make([]string, len(keys))
	subjects := make([]gray.Subject, len(keys))
	for i, k := range keys {
		saltKeys[i] = rolloutName + ":" + k
		subjects[i] = gray.Subject{Key: k, Attrs: attrs}
	}
	e, err := gray.New(threeRulesConfig(canaryPct))
	require.NoError(b, err)
	hand := newByHand()
	unleash := unleashRollout{h: hand}
	ld := newLDPeer(keys)
	of := newOFPeer(b)
	ctx := context.Background()

	mw := gray.Middleware(e,
		gray.WithKeyFromHeader("X-User-Id"),
		// Attributes come with the request, as in an application.
		gray.WithAttributes(func(_ context.Context, r gray.Request) map[string]string {
			region, _ := r.Header("X-Region")
			platform, _ := r.Header("X-Platform")
			return map[string]string{"region": region, "platform": platform}
		}),
	)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		sinkStr = gray.Variant(r.Context(), rolloutName)
	}))
	reqs := benchRequests(b, keys)
	w := newNopWriter()

	cases := []struct {
		name  string
		bench func(b *testing.B)
	}{
		{"floor/xxhash+compare", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if floor(saltKeys[i&keyMask]) {
					sink++
				}
			}
		}},
		{"hand-written/3-rules+xxhash", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkStr, _ = hand.decide(keys[i&keyMask], userRegion, userPlatform)
			}
		}},
		{"graykit/Decide", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkStr = e.Decide(rolloutName, subjects[i&keyMask]).Variant
			}
		}},
		{"graykit/Decide/attrs-per-call", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				s := gray.Subject{Key: keys[i&keyMask], Attrs: map[string]string{"region": userRegion, "platform": userPlatform}}
				sinkStr = e.Decide(rolloutName, s).Variant
			}
		}},
		{"graykit/Middleware", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				mw.ServeHTTP(w, reqs[i&keyMask])
			}
		}},
		{"launchdarkly/context-per-call", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkStr, _ = ld.decide(ldContext(keys[i&keyMask], userRegion, userPlatform))
			}
		}},
		{"launchdarkly/context-prebuilt", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkStr, _ = ld.decide(ld.ctxs[i&keyMask])
			}
		}},
		{"openfeature/inmemory", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkStr, _ = of.decide(ctx, keys[i&keyMask], userRegion, userPlatform)
			}
		}},
		{"unleash-algorithm/reimplemented", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkStr, _ = unleash.decide(keys[i&keyMask], userRegion, userPlatform)
			}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			c.bench(b)
		})
	}
}

// benchRequests are one GET per key, carrying the key and the attributes in
// headers.
func benchRequests(tb testing.TB, keys []string) []*http.Request {
	reqs := make([]*http.Request, len(keys))
	for i, k := range keys {
		r := httptest.NewRequestWithContext(tb.Context(), http.MethodGet, "/checkout", nil)
		r.Header.Set("X-User-Id", k)
		r.Header.Set("X-Region", userRegion)
		r.Header.Set("X-Platform", userPlatform)
		reqs[i] = r
	}
	return reqs
}

// nopWriter is a ResponseWriter that does nothing and allocates nothing.
type nopWriter struct{ h http.Header }

func newNopWriter() nopWriter { return nopWriter{h: http.Header{}} }

func (w nopWriter) Header() http.Header       { return w.h }
func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (nopWriter) WriteHeader(int)             {}
