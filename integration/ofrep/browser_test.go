package ofrep_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/ofrep"
	"github.com/graykit/graykit/integration/internal/browser"
	"github.com/graykit/graykit/internal/testenv"
)

// browserConfig has three rollouts clients may see and one they may not.
const browserConfig = `
rollouts:
  - name: new-checkout
    client: true
    percent: 50
  - name: search
    client: true
    default: control
    variants: [{name: fast, percent: 30}, {name: smart, percent: 30}]
  - name: internal-cache
    percent: 50
  - name: banner
    client: true
    percent: 10
  - name: dark-mode
    client: true
    default_value: false
    variants: [{name: canary, percent: 40, value: true}]
  - name: page-size
    client: true
    default_value: 20
    variants: [{name: canary, percent: 40, value: 50}]
  - name: theme
    client: true
    default_value: {color: grey}
    variants: [{name: canary, percent: 40, value: {color: blue, accent: "#0af"}}]
`

// clientFlags are the page's flags, each with the OpenFeature getter the
// page reads it with.
var clientFlags = []string{"new-checkout", "search", "banner", "dark-mode:boolean", "page-size:number", "theme:object"}

// flagKey is a clientFlags entry's key.
func flagKey(f string) string { k, _, _ := strings.Cut(f, ":"); return k }

// bundle builds the page with the pinned esbuild from integration/ofrep/web
// (npm ci there first) into a temporary file, or ends t by testenv.Missing.
func bundle(t *testing.T) []byte {
	t.Helper()
	web, err := filepath.Abs("web")
	require.NoError(t, err)
	esbuild := filepath.Join(web, "node_modules", ".bin", "esbuild")
	for _, p := range []string{esbuild, filepath.Join(web, "node_modules", "@openfeature", "ofrep-web-provider"), filepath.Join(web, "node_modules", "@openfeature", "web-sdk")} {
		if _, err := os.Stat(p); err != nil {
			testenv.Missing(t, "integration/ofrep/web/node_modules", "run `npm ci` in integration/ofrep/web (Node and npm; .ci/run does it)")
		}
	}
	out := filepath.Join(t.TempDir(), "page.js")
	cmd := exec.CommandContext(t.Context(), esbuild, "page.js", "--bundle", "--format=iife", "--target=es2020", "--log-level=warning", "--outfile="+out)
	cmd.Dir = web
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "esbuild: %s", msg)
	js, err := os.ReadFile(out)
	require.NoError(t, err)
	return js
}

const pageHTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>graykit OFREP</title></head>
<body><p>changes: <span id="changes">0</span></p><ul id="flags"></ul><script src="/page.js"></script></body></html>`

// statusCounts counts the OFREP handler's answers by status.
type statusCounts struct{ ok, notModified, other atomic.Int64 }

type countingWriter struct {
	http.ResponseWriter
	status int
}

func (w *countingWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (c *statusCounts) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cw := &countingWriter{ResponseWriter: w}
		next.ServeHTTP(cw, r)
		switch cw.status {
		case http.StatusOK:
			c.ok.Add(1)
		case http.StatusNotModified:
			c.notModified.Add(1)
		default:
			c.other.Add(1)
		}
	})
}

// newSite serves the page, its bundle, the OFREP handler and an API that
// answers with gray.Variant, the last two behind gray.Middleware keyed by
// the "uid" cookie.
func newSite(t *testing.T, e *gray.Engine, js []byte) (*httptest.Server, *statusCounts) {
	t.Helper()
	mw := gray.Middleware(e, gray.WithKeyFromCookie("uid"))
	counts := &statusCounts{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(pageHTML))
	})
	mux.HandleFunc("GET /page.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write(js)
	})
	mux.Handle("/ofrep/", mw(counts.wrap(ofrep.NewHandler())))
	mux.Handle("POST /api/variants", mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out := map[string]string{}
		for _, f := range clientFlags {
			out[flagKey(f)] = gray.Variant(r.Context(), flagKey(f))
		}
		_ = json.NewEncoder(w).Encode(out)
	})))
	srv := httptest.NewServer(mux) // loopback
	t.Cleanup(srv.Close)
	return srv, counts
}

func newBrowserEngine(t *testing.T) *gray.Engine {
	t.Helper()
	cfg, err := gray.ParseConfig([]byte(browserConfig))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	return e
}

func waitReady(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.body.dataset.ready === 'true' || !!document.body.dataset.error`,
		chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err)
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.error || ''`))
	require.NoError(t, err)
	require.Empty(t, msg, "the page failed to start")
}

// TestBrowserSeesTheServersDecisions loads a page that uses
// @openfeature/web-sdk with @openfeature/ofrep-web-provider, signs it in as
// 200 users in turn, and checks that it shows, for every one, the variant
// the server decides for that user: gray.Variant behind the same middleware
// and Engine.Decide.
func TestBrowserSeesTheServersDecisions(t *testing.T) {
	js := bundle(t)
	ctx := browser.New(t, 3*time.Minute)
	e := newBrowserEngine(t)
	srv, counts := newSite(t, e, js)

	_, err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/?uid=user-0&flags="+strings.Join(clientFlags, ",")))
	require.NoError(t, err)
	waitReady(t, ctx)

	news := map[string]int{}
	for i := range 200 {
		uid := fmt.Sprintf("user-%d", i)
		shown, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]shownFlag](`asUser(`+jsString(uid)+`)`, chromedp.EvalAwaitPromise))
		require.NoError(t, err, uid)
		api, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`apiVariants()`, chromedp.EvalAwaitPromise))
		require.NoError(t, err, uid)
		for _, f := range clientFlags {
			k := flagKey(f)
			want := e.Decide(k, gray.Subject{Key: uid})
			require.Empty(t, shown[k].Error, "%s: %s", uid, k)
			require.Equal(t, want.Variant, shown[k].Variant, "%s: %s on the page", uid, k)
			require.Equal(t, want.Variant, api[k], "%s: %s from gray.Variant", uid, k)
			wantValue := jsString(want.Variant) // a rollout without values serves the name
			if v := want.Value(); !v.IsZero() {
				wantValue = v.JSON()
			}
			require.JSONEq(t, wantValue, shown[k].Value, "%s: %s's value on the page", uid, k)
			if want.IsNew() {
				news[k]++
			}
		}
		require.NotContains(t, shown, "internal-cache")
	}
	// The users really are split, so agreeing is not trivial.
	for _, f := range clientFlags {
		assert.Greater(t, news[flagKey(f)], 5, f)
		assert.Less(t, news[flagKey(f)], 195, f)
	}
	assert.GreaterOrEqual(t, counts.ok.Load(), int64(200))
	assert.Zero(t, counts.other.Load(), "no OFREP request failed")
}

// TestBrowserFollowsAConfigChange loads the page with polling on, checks
// that the poll gets 304 while nothing changes, then changes the
// configuration and waits for the page to show the new variant.
func TestBrowserFollowsAConfigChange(t *testing.T) {
	js := bundle(t)
	ctx := browser.New(t, 3*time.Minute)
	e := newBrowserEngine(t)
	srv, counts := newSite(t, e, js)

	// A user outside new-checkout's 50%.
	uid := ""
	for i := 0; uid == ""; i++ {
		if k := fmt.Sprintf("poller-%d", i); e.Decide("new-checkout", gray.Subject{Key: k}).Variant == "stable" {
			uid = k
		}
	}
	_, err := chromedp.Run(ctx, chromedp.Navigate(srv.URL+"/?poll=200&uid="+uid+"&flags="+strings.Join(clientFlags, ",")))
	require.NoError(t, err)
	waitReady(t, ctx)
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("flag-new-checkout")))
	require.NoError(t, err)
	require.Equal(t, "stable", shown)

	// Unchanged: the poll is answered 304, and the page does not change.
	require.Eventually(t, func() bool { return counts.notModified.Load() >= 3 }, 20*time.Second, 50*time.Millisecond,
		"the provider polls with If-None-Match and gets 304")
	okBefore := counts.ok.Load()
	assert.Equal(t, int64(1), okBefore, "only the first fetch had a body")

	// A change that does not touch what clients see still answers 304.
	cfg := *e.Config()
	cfg.Rollouts = append([]gray.Rollout(nil), cfg.Rollouts...)
	cfg.Rollouts[2].Percent = 100 // internal-cache
	require.NoError(t, e.Update(&cfg))
	nm := counts.notModified.Load()
	require.Eventually(t, func() bool { return counts.notModified.Load() >= nm+2 }, 20*time.Second, 50*time.Millisecond)
	assert.Equal(t, okBefore, counts.ok.Load())

	// Raise new-checkout to 100%: the next poll brings canary to the page.
	cfg.Rollouts[0].Percent = 100
	require.NoError(t, e.Update(&cfg))
	_, err = chromedp.Run(ctx, chromedp.PollFunction[bool](
		`() => document.getElementById('flag-new-checkout').textContent === 'canary'`,
		chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err, "the page shows the change")
	changes, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("changes")))
	require.NoError(t, err)
	assert.Equal(t, "1", changes, "one PROVIDER_CONFIGURATION_CHANGED event")
	assert.Equal(t, okBefore+1, counts.ok.Load(), "one full answer for the change")
	assert.Zero(t, counts.other.Load())
}

// shownFlag is what the page shows for a flag.
type shownFlag struct{ Variant, Value, Error string }

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestBrowserOnAnotherOrigin serves the page from one origin and the OFREP
// handler, with ofrep.WithCORS, from another: the browser's preflight, the
// session cookie sent with credentials and the exposed ETag all work, so
// the page shows the server's decision and polls get 304. A page from an
// origin the handler does not list gets nothing and shows its code
// defaults.
func TestBrowserOnAnotherOrigin(t *testing.T) {
	js := bundle(t)
	ctx := browser.New(t, 3*time.Minute)
	e := newBrowserEngine(t)
	page, _ := newSite(t, e, js)
	stranger, _ := newSite(t, e, js)

	counts := &statusCounts{}
	mw := gray.Middleware(e, gray.WithKeyFromCookie("uid"))
	flagsSrv := httptest.NewServer(mw(counts.wrap(ofrep.NewHandler(ofrep.WithCORS(page.URL)))))
	t.Cleanup(flagsSrv.Close)

	uid := ""
	for i := 0; uid == ""; i++ {
		if k := fmt.Sprintf("remote-%d", i); e.Decide("new-checkout", gray.Subject{Key: k}).Variant == "canary" {
			uid = k
		}
	}
	_, err := chromedp.Run(ctx, chromedp.Navigate(page.URL+"/?poll=200&uid="+uid+"&base="+flagsSrv.URL+"&flags="+strings.Join(clientFlags, ",")))
	require.NoError(t, err)
	waitReady(t, ctx)
	for _, f := range clientFlags {
		k := flagKey(f)
		shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("flag-"+k)))
		require.NoError(t, err)
		assert.Equal(t, e.Decide(k, gray.Subject{Key: uid}).Variant, shown, k)
	}
	require.Eventually(t, func() bool { return counts.notModified.Load() >= 2 }, 20*time.Second, 50*time.Millisecond,
		"cross-origin polls read the exposed ETag and get 304")

	// Another origin: the handler answers, the browser withholds it.
	_, err = chromedp.Run(ctx, chromedp.Navigate(stranger.URL+"/?uid="+uid+"&base="+flagsSrv.URL+"&flags=new-checkout"))
	require.NoError(t, err)
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!!document.body.dataset.error || document.body.dataset.ready === 'true'`,
		chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err)
	failed, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.error || ''`))
	require.NoError(t, err)
	assert.NotEmpty(t, failed, "the provider cannot read the answer")
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('flag-new-checkout')?.textContent ?? 'not shown'`))
	require.NoError(t, err)
	t.Logf("unlisted origin: %s; the page shows %q", failed, shown)
	assert.NotEqual(t, "canary", shown, "a page on an unlisted origin never learns the variant")
}
