package gray_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// upstream starts a backend that answers "<name> <method> <path>?<query>
// xff=<X-Forwarded-For> xfh=<X-Forwarded-Host> conn=<Connection>".
func upstream(t *testing.T, name string) *url.URL {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Upstream", name)
		_, _ = fmt.Fprintf(w, "%s %s %s xff=%s xfh=%s conn=%s", name, r.Method, r.URL.RequestURI(),
			r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Host"), r.Header.Get("Connection"))
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	require.NoError(t, err)
	return u
}

// deadURL returns the address of a listener that was closed: nothing
// accepts there.
func deadURL(t *testing.T) *url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return &url.URL{Scheme: "http", Host: addr}
}

func mustProxy(t *testing.T, upstreams map[string]*url.URL, opts ...gray.ProxyOption) *gray.Proxy {
	t.Helper()
	rt := &http.Transport{}
	t.Cleanup(rt.CloseIdleConnections)
	opts = append([]gray.ProxyOption{
		gray.WithProxyTransport(rt),
		gray.WithProxyLogger(slog.New(slog.DiscardHandler)),
	}, opts...)
	p, err := gray.NewProxy("checkout", upstreams, opts...)
	require.NoError(t, err)
	return p
}

func TestNewProxyErrors(t *testing.T) {
	good := &url.URL{Scheme: "http", Host: "old:8080"}
	tests := []struct {
		name    string
		rollout string
		give    map[string]*url.URL
		opts    []gray.ProxyOption
		wantErr string
	}{
		{"no rollout", "", map[string]*url.URL{"stable": good}, nil, "gray: proxy: empty rollout name"},
		{"no upstreams", "r", nil, nil, `gray: proxy: no upstream for the default variant "stable"`},
		{"no default", "r", map[string]*url.URL{"canary": good}, nil, `gray: proxy: no upstream for the default variant "stable"`},
		{"other default missing", "r", map[string]*url.URL{"stable": good}, []gray.ProxyOption{gray.WithDefaultUpstream("old")}, `gray: proxy: no upstream for the default variant "old"`},
		{"nil url", "r", map[string]*url.URL{"stable": good, "canary": nil}, nil, `gray: proxy: upstreams["canary"]: nil URL`},
		{"no scheme", "r", map[string]*url.URL{"stable": {Host: "x"}}, nil, `gray: proxy: upstreams["stable"]: scheme "" is not http or https`},
		{"no host", "r", map[string]*url.URL{"stable": {Scheme: "http", Path: "/x"}}, nil, `gray: proxy: upstreams["stable"]: no host`},
		{"empty variant", "r", map[string]*url.URL{"stable": good, "": good}, nil, "gray: proxy: upstream with an empty variant name"},
		{"bad policy", "r", map[string]*url.URL{"stable": good}, []gray.ProxyOption{gray.WithUnreachablePolicy(9)}, "gray: proxy: unknown unreachable policy 9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gray.NewProxy(tt.rollout, tt.give, tt.opts...)
			require.EqualError(t, err, tt.wantErr)
		})
	}
	_, err := gray.NewProxy("r", map[string]*url.URL{"canary": good})
	require.ErrorIs(t, err, gray.ErrNoDefaultUpstream)
}

func TestProxyIsStickyPerUser(t *testing.T) {
	checkLeaks(t)
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 30}]`)
	p := mustProxy(t, map[string]*url.URL{"stable": upstream(t, "old"), "canary": upstream(t, "new")})
	front := httptest.NewServer(gray.Middleware(e, gray.WithKeyFromHeader("X-User"))(p))
	t.Cleanup(front.Close)
	client := newClient(t, nil)

	perUpstream := map[string]int{}
	for i := range 300 {
		user := fmt.Sprintf("user-%d", i)
		want := map[string]string{"stable": "old", "canary": "new"}[e.Decide("checkout", gray.Subject{Key: user}).Variant]
		for range 3 {
			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, front.URL+"/cart/items?x=1", nil)
			require.NoError(t, err)
			req.Header.Set("X-User", user)
			resp, err := client.Do(req)
			require.NoError(t, err)
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, resp.Body.Close())
			require.NoError(t, err)
			require.Equal(t, want, resp.Header.Get("X-Upstream"), "user %s", user)
			require.Equal(t, want+" GET /cart/items?x=1 xff=127.0.0.1 xfh="+strings.TrimPrefix(front.URL, "http://")+" conn=", string(b))
		}
		perUpstream[want]++
	}
	assert.InDelta(t, 90, perUpstream["new"], 30, "about 30%% of 300 users: %v", perUpstream)
}

func TestProxyWithoutDecisionsUsesDefault(t *testing.T) {
	checkLeaks(t)
	p := mustProxy(t, map[string]*url.URL{"old": upstream(t, "old"), "canary": upstream(t, "new")}, gray.WithDefaultUpstream("old"))
	front := httptest.NewServer(p)
	t.Cleanup(front.Close)
	resp, err := newClient(t, nil).Get(front.URL)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, "old", resp.Header.Get("X-Upstream"))
}

func TestProxyVariantWithoutUpstreamUsesDefault(t *testing.T) {
	checkLeaks(t)
	e := mustEngine(t, `rollouts: [{name: checkout, variants: [{name: blue, percent: 100}]}]`)
	p := mustProxy(t, map[string]*url.URL{"stable": upstream(t, "old"), "canary": upstream(t, "new")})
	front := httptest.NewServer(gray.Middleware(e, gray.WithKeyFromHeader("X-User"))(p))
	t.Cleanup(front.Close)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, front.URL, nil)
	require.NoError(t, err)
	req.Header.Set("X-User", "u")
	resp, err := newClient(t, nil).Do(req)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, "old", resp.Header.Get("X-Upstream"))
}

// badGatewayBody is all a client learns of an unreachable upstream: which
// rollout it is in and which variant it got are the operator's business.
const badGatewayBody = "Bad Gateway\n"

func TestProxyUnreachableCanary(t *testing.T) {
	checkLeaks(t)
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 100}]`)
	dead := deadURL(t)
	tests := []struct {
		name       string
		policy     gray.UnreachablePolicy
		method     string
		body       string
		wantStatus int
		wantBody   string
		wantCanary gray.VariantStats // requests and errors only
	}{
		{"502", gray.BadGateway, http.MethodGet, "", 502,
			badGatewayBody,
			gray.VariantStats{Requests: 1, Errors: 1}},
		{"502 for POST", gray.BadGateway, http.MethodPost, "x=1", 502,
			badGatewayBody,
			gray.VariantStats{Requests: 1, Errors: 1}},
		{"retry GET on stable", gray.RetryOnDefault, http.MethodGet, "", 200,
			"old GET /a xff=192.0.2.1 xfh=front conn=", // httptest's RemoteAddr
			gray.VariantStats{Requests: 2, Errors: 1}}, // the failed attempt, then the served request
		{"retry HEAD on stable", gray.RetryOnDefault, http.MethodHead, "", 200, "",
			gray.VariantStats{Requests: 2, Errors: 1}},
		{"no retry for POST", gray.RetryOnDefault, http.MethodPost, "x=1", 502,
			badGatewayBody,
			gray.VariantStats{Requests: 1, Errors: 1}},
		{"no retry for GET with a body", gray.RetryOnDefault, http.MethodGet, "x=1", 502,
			badGatewayBody,
			gray.VariantStats{Requests: 1, Errors: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counters := gray.NewCounters()
			var log strings.Builder
			p := mustProxy(t, map[string]*url.URL{"stable": upstream(t, "old"), "canary": dead}, gray.WithUnreachablePolicy(tt.policy),
				gray.WithProxyLogger(slog.New(slog.NewTextHandler(&log, nil))))
			h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithObserver(counters))(p)
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			r := httptest.NewRequestWithContext(t.Context(), tt.method, "http://front/a", body)
			r.Header.Set("X-User", "u-1")
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			assert.Equal(t, tt.wantStatus, w.Code)
			assert.Equal(t, tt.wantBody, w.Body.String())
			for _, internal := range []string{dead.Host, "checkout", "canary"} {
				assert.NotContains(t, w.Body.String(), internal, "no internals in the answer")
			}
			assert.Contains(t, log.String(), "rollout=checkout variant=canary", "the log has them")
			got := counters.Stats("checkout", "canary")
			assert.Equal(t, tt.wantCanary, gray.VariantStats{Requests: got.Requests, Errors: got.Errors})
			assert.Zero(t, counters.Stats("checkout", "stable").Requests)
		})
	}
}

func TestProxyDefaultUnreachable(t *testing.T) {
	checkLeaks(t)
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 100}]`)
	counters := gray.NewCounters()
	p := mustProxy(t, map[string]*url.URL{"stable": deadURL(t), "canary": deadURL(t)}, gray.WithUnreachablePolicy(gray.RetryOnDefault))
	h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithObserver(counters))(p)
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "http://front/", nil)
	r.Header.Set("X-User", "u-1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, http.StatusBadGateway, w.Code)
	assert.Equal(t, badGatewayBody, w.Body.String(), "the retry failed too")
	assert.Equal(t, uint64(2), counters.Stats("checkout", "canary").Errors)
}

func TestProxyClientGoneIsNotAnError(t *testing.T) {
	checkLeaks(t)
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 100}]`)
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	u, err := url.Parse(slow.URL)
	require.NoError(t, err)
	counters := gray.NewCounters()
	p := mustProxy(t, map[string]*url.URL{"stable": u, "canary": u})
	h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithObserver(counters))(p)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	r := httptest.NewRequestWithContext(ctx, http.MethodGet, "http://front/", nil)
	r.Header.Set("X-User", "u-1")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	// A deadline is not a cancellation by the client: it is the upstream's
	// fault, so 502 and an error.
	assert.Equal(t, http.StatusBadGateway, w.Code)

	ctx, cancel = context.WithCancel(t.Context())
	time.AfterFunc(50*time.Millisecond, cancel)
	r = httptest.NewRequestWithContext(ctx, http.MethodGet, "http://front/", nil)
	r.Header.Set("X-User", "u-1")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	assert.Equal(t, gray.StatusClientClosedRequest, w.Code)
	assert.Equal(t, uint64(2), counters.Stats("checkout", "canary").Requests)
	assert.Equal(t, uint64(1), counters.Stats("checkout", "canary").Errors)
}

func TestProxyStreams(t *testing.T) {
	checkLeaks(t)
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 100}]`)
	next := make(chan struct{})
	stream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := range 3 {
			_, _ = fmt.Fprintf(w, "data: %d\n\n", i)
			_ = http.NewResponseController(w).Flush()
			select {
			case <-next:
			case <-r.Context().Done():
				return
			}
		}
	}))
	t.Cleanup(stream.Close)
	u, err := url.Parse(stream.URL)
	require.NoError(t, err)
	p := mustProxy(t, map[string]*url.URL{"stable": upstream(t, "old"), "canary": u})
	front := httptest.NewServer(gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithObserver(gray.NewCounters()))(p))
	t.Cleanup(front.Close)

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, front.URL, nil)
	require.NoError(t, err)
	req.Header.Set("X-User", "u-1")
	resp, err := newClient(t, nil).Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	for i := range 3 {
		// Each event arrives while the upstream still waits: it was flushed
		// through the middleware and the proxy.
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("data: %d\n", i), line)
		_, err = br.ReadString('\n')
		require.NoError(t, err)
		next <- struct{}{}
	}
}

func TestProxyUpgrades(t *testing.T) {
	checkLeaks(t)
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 100}]`)
	// An upstream speaking a toy upgraded protocol: it echoes lines,
	// prefixed with its name.
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "echo" {
			http.Error(w, "upgrade required", http.StatusUpgradeRequired)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		_ = brw.Flush()
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			_, _ = brw.WriteString("new: " + line)
			_ = brw.Flush()
		}
	}))
	t.Cleanup(echo.Close)
	u, err := url.Parse(echo.URL)
	require.NoError(t, err)
	p := mustProxy(t, map[string]*url.URL{"stable": upstream(t, "old"), "canary": u})
	counters := gray.NewCounters()
	front := httptest.NewServer(gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithObserver(counters))(p))
	t.Cleanup(front.Close)

	conn, err := net.Dial("tcp", strings.TrimPrefix(front.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "GET /ws HTTP/1.1\r\nHost: front\r\nX-User: u-1\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	for _, msg := range []string{"hello\n", "again\n"} {
		_, err = io.WriteString(conn, msg)
		require.NoError(t, err)
		line, err := br.ReadString('\n')
		require.NoError(t, err)
		assert.Equal(t, "new: "+msg, line)
	}
	require.NoError(t, conn.Close())
	require.Eventually(t, func() bool { return counters.Stats("checkout", "canary").Requests == 1 }, 2*time.Second, 10*time.Millisecond)
	assert.Zero(t, counters.Stats("checkout", "canary").Errors)
}

func TestProxyPropagates(t *testing.T) {
	checkLeaks(t)
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 100}]`)
	prop := mustPropagator(t, [][]byte{propNew})
	var got string
	seen := httptest.NewServer(gray.Middleware(mustEngine(t, `rollouts: []`), gray.WithPropagator(prop))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, _ := gray.FromContext(r.Context())
			got = d.Subject().Key + " " + d.Variant("checkout")
		})))
	t.Cleanup(seen.Close)
	u, err := url.Parse(seen.URL)
	require.NoError(t, err)
	p := mustProxy(t, map[string]*url.URL{"stable": u})
	h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithOutboundPropagator(prop))(p)

	forged, err := mustPropagator(t, [][]byte{propNew}).Sign("someone-else", []gray.Decision{{Rollout: "checkout", Variant: "stable"}})
	require.NoError(t, err)
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "http://front/", nil)
	r.Header.Set("X-User", "u-1")
	r.Header.Set(gray.PropagationHeader, forged) // replayed by a client: replaced
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "u-1 canary", got)
}
