package gray_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

const mwYAML = `
rollouts:
  - name: checkout
    percent: 0
    rules:
      - {name: testers, when: {field: "header:X-Gray", eq: canary}, serve: canary}
      - {name: beta, when: {field: "cookie:version", eq: beta}, serve: canary}
      - {name: staff, when: {field: key, in: [staff-1]}, serve: canary}
      - {name: office, when: {field: ip, cidr: 203.0.113.0/24}, serve: canary}
      - {name: eu, when: {field: "attr:region", eq: eu}, serve: canary}
      - {name: q, when: {field: "query:gray", eq: "on"}, serve: canary}
  - name: search
    percent: 100
`

func variantHandler(rollout string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, gray.Variant(r.Context(), rollout))
	})
}

func TestMiddlewareDecisions(t *testing.T) {
	e := mustEngine(t, mwYAML)
	mw := gray.Middleware(e,
		gray.WithKeyFromHeader("X-User"),
		gray.WithKeyFromCookie("uid"),
		gray.WithAttributes(func(_ context.Context, r gray.Request) map[string]string {
			v, _ := r.Header("X-Region")
			return map[string]string{"region": v}
		}),
	)
	h := mw(variantHandler("checkout"))
	tests := []struct {
		name  string
		setup func(r *http.Request)
		want  string
	}{
		{"nothing", func(r *http.Request) {}, "stable"},
		{"header rule", func(r *http.Request) { r.Header.Set("X-Gray", "canary") }, "canary"},
		{"cookie rule", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "version", Value: "beta"}) }, "canary"},
		{"cookie rule among others", func(r *http.Request) { r.Header.Set("Cookie", "a=1; version=beta; b=2") }, "canary"},
		{"quoted cookie", func(r *http.Request) { r.Header.Set("Cookie", `version="beta"`) }, "canary"},
		{"key from header", func(r *http.Request) { r.Header.Set("X-User", "staff-1") }, "canary"},
		{"key from cookie", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "uid", Value: "staff-1"}) }, "canary"},
		{"cidr", func(r *http.Request) { r.RemoteAddr = "203.0.113.9:5555" }, "canary"},
		{"attr", func(r *http.Request) { r.Header.Set("X-Region", "eu") }, "canary"},
		{"query", func(r *http.Request) { r.URL.RawQuery = "a=b&gray=on" }, "canary"},
		{"escaped query", func(r *http.Request) { r.URL.RawQuery = "gr%61y=%6Fn" }, "canary"},
		{"malformed cookie", func(r *http.Request) { r.Header.Set("Cookie", "version=be\x00ta;;;=;") }, "stable"},
		{"malformed query", func(r *http.Request) { r.URL.RawQuery = "gray=%zz" }, "stable"},
		{"huge header", func(r *http.Request) { r.Header.Set("X-Gray", strings.Repeat("c", 1<<20)) }, "stable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			tt.setup(r)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tt.want, w.Body.String())
		})
	}
}

func TestMiddlewareNilEngineReturnsNext(t *testing.T) {
	next := gray.NewSwitch("x", http.NotFoundHandler())
	assert.Same(t, next, gray.Middleware(nil)(next))
}

func TestMiddlewarePinsOneDecisionPerRequest(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: r, percent: 100}]`)
	var first, second gray.Decision
	h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, ok := gray.FromContext(r.Context())
		require.True(t, ok)
		first = d.Get("r")
		// A reload in the middle of the request changes nothing for it.
		require.NoError(t, e.Update(&gray.Config{Rollouts: []gray.Rollout{{Name: "r", Percent: 0}}}))
		second = d.Get("r")
		assert.Equal(t, []gray.Decision{first}, d.Decided())
	}))
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	r.Header.Set("X-User", "u1")
	h.ServeHTTP(httptest.NewRecorder(), r)
	assert.Equal(t, "canary", first.Variant)
	assert.Equal(t, first, second)
	// The next request sees the new config.
	assert.Equal(t, "stable", e.Decide("r", gray.Subject{Key: "u1"}).Variant)
}

func TestMiddlewareDoesNotMutateRequest(t *testing.T) {
	e := mustEngine(t, mwYAML)
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	ctx := r.Context()
	gray.Middleware(e)(variantHandler("checkout")).ServeHTTP(httptest.NewRecorder(), r)
	assert.Equal(t, ctx, r.Context())
	_, ok := gray.FromContext(r.Context())
	assert.False(t, ok)
}

func TestVariantWithoutMiddleware(t *testing.T) {
	assert.Equal(t, gray.DefaultVariant, gray.Variant(context.Background(), "anything"))
	_, ok := gray.FromContext(context.Background())
	assert.False(t, ok)
}

func TestNewContext(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: r, percent: 100}, {name: s, percent: 0, default: old}]`)
	ctx := gray.NewContext(t.Context(), e, gray.Subject{Key: "job-7"})
	assert.Equal(t, "canary", gray.Variant(ctx, "r"))
	assert.Equal(t, "old", gray.Variant(ctx, "s"))
	assert.Equal(t, "stable", gray.Variant(ctx, "unknown"))
	d, _ := gray.FromContext(ctx)
	assert.Equal(t, "job-7", d.Subject().Key)
	assert.Len(t, d.Decided(), 2, "unknown rollouts are not remembered")
	// Values still flow through the embedded parent.
	type k struct{}
	ctx2 := gray.NewContext(context.WithValue(t.Context(), k{}, "v"), e, gray.Subject{})
	assert.Equal(t, "v", ctx2.Value(k{}))
}

func TestMiddlewareOutcomes(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: r, percent: 100}, {name: never-asked, percent: 100}]`)
	counters := gray.NewCounters()
	h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithObserver(counters))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = gray.Variant(r.Context(), "r")
		switch r.URL.Path {
		case "/fail":
			w.WriteHeader(http.StatusBadGateway)
		case "/panic":
			panic("boom")
		case "/teapot":
			w.WriteHeader(http.StatusTeapot)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	}))
	serve := func(path string) {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
		r.Header.Set("X-User", "u1")
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	serve("/")
	serve("/teapot")
	serve("/fail")
	assert.PanicsWithValue(t, "boom", func() { serve("/panic") }, "a panic is re-raised")
	s := counters.Stats("r", "canary")
	assert.EqualValues(t, 4, s.Decisions)
	assert.EqualValues(t, 4, s.Requests)
	assert.EqualValues(t, 2, s.Errors)
	assert.EqualValues(t, 1, s.Panics)
	assert.EqualValues(t, 4, s.Latency.Total())
	assert.InDelta(t, 0.5, s.ErrorRate(), 1e-9)
	assert.Zero(t, counters.Stats("never-asked", "canary").Requests, "lazy: only decided rollouts are recorded")
}

func TestMiddlewareEagerRecordsEveryRollout(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: a, percent: 100}, {name: b, percent: 0}]`)
	counters := gray.NewCounters()
	h := gray.Middleware(e, gray.WithEager(), gray.WithKeyFromHeader("X-User"), gray.WithObserver(counters))(http.NotFoundHandler())
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	r.Header.Set("X-User", "u1")
	h.ServeHTTP(httptest.NewRecorder(), r)
	assert.EqualValues(t, 1, counters.Stats("a", "canary").Requests)
	assert.EqualValues(t, 1, counters.Stats("b", "stable").Requests)
}

func TestAnonymousStickiness(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: r, percent: 50}]`)
	srv := httptest.NewServer(gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithAnonymousCookie("gray_id"))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, _ := gray.FromContext(r.Context())
			_, _ = io.WriteString(w, d.Subject().Key+" "+d.Variant("r"))
		})))
	defer srv.Close()

	get := func(cookie string) (*http.Response, string) {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(body)
	}
	resp, body := get("")
	cookies := resp.Cookies()
	require.Len(t, cookies, 1)
	c := cookies[0]
	assert.Equal(t, "gray_id", c.Name)
	assert.True(t, c.HttpOnly)
	assert.Equal(t, http.SameSiteLaxMode, c.SameSite)
	assert.False(t, c.Secure, "plain HTTP")
	id, _, ok := strings.Cut(c.Value, ".")
	require.True(t, ok, "the cookie is the ID and its tag")
	assert.True(t, strings.HasPrefix(body, id+" "), "the key is the ID")
	for range 5 {
		resp, again := get("gray_id=" + c.Value)
		assert.Equal(t, body, again, "the same anonymous user gets the same variant")
		assert.Empty(t, resp.Cookies(), "no new cookie for a known visitor")
	}
	// A forged ID is not accepted: the client cannot pick its bucket.
	resp, forged := get("gray_id=chosen-by-client")
	assert.NotContains(t, forged, "chosen-by-client")
	assert.Len(t, resp.Cookies(), 1)
}

func TestSwitch(t *testing.T) {
	e := mustEngine(t, mwYAML)
	sw := gray.NewSwitch("checkout", text("old")).Handle("canary", text("new"))
	h := gray.Middleware(e)(sw)
	tests := []struct {
		name string
		give string
		want string
	}{
		{"stable", "", "old"},
		{"canary", "canary", "new"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			r.Header.Set("X-Gray", tt.give)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tt.want, w.Body.String())
		})
	}
	// Without the middleware the fallback serves.
	w := httptest.NewRecorder()
	sw.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
	assert.Equal(t, "old", w.Body.String())
}

func text(s string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, s) })
}

func TestDecisionsConcurrentAsk(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: a, percent: 50}, {name: b, percent: 50}, {name: c, percent: 50}, {name: d, percent: 50}, {name: e, percent: 50}, {name: f, percent: 50}]`)
	ctx := gray.NewContext(t.Context(), e, gray.Subject{Key: "u"})
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, r := range []string{"a", "b", "c", "d", "e", "f"} {
				assert.Equal(t, e.Decide(r, gray.Subject{Key: "u"}).Variant, gray.Variant(ctx, r))
			}
		}()
	}
	wg.Wait()
	d, _ := gray.FromContext(ctx)
	assert.Len(t, d.Decided(), 6, "each rollout decided once, past the inline slots too")
}

func TestResponseWriterPassThrough(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: r, percent: 100}]`)
	h := gray.Middleware(e, gray.WithObserver(gray.NewCounters()))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, ok := w.(http.Flusher)
		assert.True(t, ok)
		_, _ = io.WriteString(w, "a")
		require.NoError(t, http.NewResponseController(w).Flush())
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
	assert.True(t, w.Flushed)
}

// TestMiddlewareAllocations pins the request path's cost: the request copy
// that r.WithContext forces, plus one allocation for the request's graykit
// state (context, decisions, response writer and request view in one).
func TestMiddlewareAllocations(t *testing.T) {
	e := mustEngine(t, mwYAML)
	r := httptest.NewRequest(http.MethodGet, "/checkout?x=1", nil)
	r.Header.Set("X-User", "user-42")
	r.Header.Set("Cookie", "version=stable")
	r.Host = "shop.example.com"
	asking := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = gray.Variant(r.Context(), "checkout")
		_ = gray.Variant(r.Context(), "checkout")
	})
	w := httptest.NewRecorder()
	tests := []struct {
		name string
		give http.Handler
	}{
		{"no observer", gray.Middleware(e, gray.WithKeyFromHeader("X-User"))(asking)},
		{"observer", gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithObserver(gray.NewCounters()))(asking)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.give.ServeHTTP(w, r) // warm the observer's cells
			assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { tt.give.ServeHTTP(w, r) }), 2.0)
		})
	}
}
