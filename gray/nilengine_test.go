package gray_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// TestHookWithoutEngine: a nil engine (most often a gray.New error nobody
// checked) gives a hook that passes every request through without
// decisions and says so once in the log, instead of panicking on the first
// request. Every adapter builds on NewHook, so this is the one check.
func TestHookWithoutEngine(t *testing.T) {
	var log bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&log, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	p := mustPropagator(t, [][]byte{propNew})
	h := gray.NewHook(nil, gray.WithKeyFromHeader("X-User"), gray.WithPropagator(p), gray.WithAnonymousCookie("gk"),
		gray.WithObserver(gray.NewCounters()), gray.WithEager())
	var seen []string
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, decided := gray.FromContext(r.Context())
		seen = append(seen, gray.Variant(r.Context(), "checkout")+" "+map[bool]string{true: "decisions", false: "none"}[decided])
	})
	tests := []struct {
		name string
		give func(r *http.Request, w http.ResponseWriter)
	}{
		{"Hook.Middleware", func(r *http.Request, w http.ResponseWriter) { h.Middleware(next).ServeHTTP(w, r) }},
		{"StartHTTP", func(r *http.Request, w http.ResponseWriter) {
			s := h.StartHTTP(w, r)
			next.ServeHTTP(w, r.WithContext(s.Context()))
			s.End(gray.Outcome{Status: http.StatusOK})
			assert.Nil(t, s.Decisions())
		}},
		{"Start", func(r *http.Request, w http.ResponseWriter) {
			s := h.Start(r.Context(), &gray.Values{Headers: map[string]string{"X-User": "u-1"}})
			assert.Same(t, r.Context(), s.Context(), "the parent context, untouched")
			next.ServeHTTP(w, r.WithContext(s.Context()))
			s.End(gray.Outcome{Status: http.StatusOK})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = nil
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			r.Header.Set("X-User", "u-1")
			w := httptest.NewRecorder()
			require.NotPanics(t, func() { tt.give(r, w) })
			assert.Equal(t, []string{"stable none"}, seen)
			assert.Empty(t, w.Result().Cookies())
		})
	}
	assert.Equal(t, 1, strings.Count(log.String(), "gray: hook without an engine"), "one warning: %s", log.String())

	// The client side needs no engine: it writes what the context carries.
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 100}]`)
	ctx := gray.NewContext(t.Context(), e, gray.Subject{Key: "u-1"})
	gray.Variant(ctx, "checkout")
	sent := http.Header{}
	h.Inject(ctx, gray.HeaderCarrier(sent))
	_, err := p.Verify(sent.Get(gray.PropagationHeader))
	assert.NoError(t, err)
}
