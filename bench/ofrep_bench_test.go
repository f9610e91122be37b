package bench_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/ofrep"
)

// ofrepConfig has 20 rollouts clients may see, each with a rule that does
// not match the benchmark users and its own share, and 10 they may not.
func ofrepConfig() *gray.Config {
	cfg := &gray.Config{}
	for i := range 30 {
		cfg.Rollouts = append(cfg.Rollouts, gray.Rollout{
			Name:    fmt.Sprintf("flag-%02d", i),
			Client:  i < 20,
			Percent: float64(5 * (i%20 + 1)),
			Rules: []gray.Rule{{
				Name:  "beta",
				When:  gray.Condition{Field: "header:X-Beta", In: []string{"1"}},
				Serve: "canary",
			}},
		})
	}
	return cfg
}

// rewindBody is a request body that is read again on every iteration
// without allocating.
type rewindBody struct{ strings.Reader }

func (*rewindBody) Close() error { return nil }

// BenchmarkOFREP is what one browser's flag fetch costs the server: the
// OFREP handler behind gray.Middleware (the key from a cookie), called with
// ServeHTTP, no network. bulk-20 answers the 20 client rollouts in full;
// bulk-20/304 is a poll that finds them unchanged (the whole answer is still
// computed, to compare its ETag); single is one flag;
// decide-20-without-ofrep is the same request deciding the same rollouts
// with no OFREP at all.
func BenchmarkOFREP(b *testing.B) {
	e, err := gray.New(ofrepConfig())
	require.NoError(b, err)
	h := gray.Middleware(e, gray.WithKeyFromCookie("uid"))(ofrep.NewHandler())
	const body = `{"context":{"targetingKey":"user-000042"}}`

	newReq := func(path string) (*http.Request, *rewindBody) {
		rb := &rewindBody{}
		rb.Reset(body)
		r := httptest.NewRequest(http.MethodPost, path, nil)
		r.Body = rb
		r.AddCookie(&http.Cookie{Name: "uid", Value: "user-000042"})
		return r, rb
	}
	// The ETag a first fetch gets, checked with a real recorder.
	first, _ := newReq("/ofrep/v1/evaluate/flags")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, first)
	require.Equal(b, http.StatusOK, rec.Code)
	require.Equal(b, 20, strings.Count(rec.Body.String(), `"key"`))
	etag := rec.Header().Get("ETag")

	cases := []struct {
		name   string
		path   string
		etag   string
		status int
	}{
		{"bulk-20", "/ofrep/v1/evaluate/flags", "", http.StatusOK},
		{"bulk-20/304", "/ofrep/v1/evaluate/flags", etag, http.StatusNotModified},
		{"single", "/ofrep/v1/evaluate/flags/flag-07", "", http.StatusOK},
	}
	// The same request's decisions without OFREP: gray.Middleware and the 20
	// client rollouts decided by gray.Variant. bulk-20 minus this row is what
	// reading the context and writing the answer cost.
	b.Run("decide-20-without-ofrep", func(b *testing.B) {
		names := e.Rollouts()[:20]
		plain := gray.Middleware(e, gray.WithKeyFromCookie("uid"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, n := range names {
				sinkStr = gray.Variant(r.Context(), n)
			}
			w.WriteHeader(http.StatusOK)
		}))
		r, _ := newReq("/ofrep/v1/evaluate/flags")
		w := &statusWriter{h: http.Header{}}
		b.ReportAllocs()
		for b.Loop() {
			plain.ServeHTTP(w, r)
		}
	})
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			r, rb := newReq(c.path)
			if c.etag != "" {
				r.Header.Set("If-None-Match", c.etag)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			require.Equal(b, c.status, rec.Code)
			w := &statusWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				rb.Reset(body)
				w.status = 0
				h.ServeHTTP(w, r)
				if w.status != c.status {
					b.Fatalf("status %d, want %d", w.status, c.status)
				}
			}
		})
	}
}

// statusWriter keeps the status and drops the body.
type statusWriter struct {
	h      http.Header
	status int
}

func (w *statusWriter) Header() http.Header { return w.h }
func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}
func (w *statusWriter) WriteHeader(code int) { w.status = code }

var _ io.ReadCloser = (*rewindBody)(nil)
