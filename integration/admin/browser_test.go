package admin_test

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/integration/internal/browser"
)

// screenshotTo, when set, is where TestConsoleInBrowser also writes the
// page with the demo data (docs/console.png is made this way):
//
//	go test ./integration/admin -run TestConsoleInBrowser -args -screenshot=$PWD/docs/console.png
var screenshotTo = flag.String("screenshot", "", "also write the console's screenshot to this PNG file")

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, steps...))
}

func text(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	require.NoError(t, err, "text of %s", css)
	return s
}

// waitText waits until the element's text is want.
func waitText(t *testing.T, ctx context.Context, css, want string) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](
		`(css, want) => { const n = document.querySelector(css); return !!n && n.textContent.trim() === want; }`,
		chromedp.WithPollingArgs(css, want), chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err, "waiting for %s to read %q", css, want)
}

// TestConsoleInBrowser signs in to the console in a real Chromium, sees
// the rollouts, brakes one, sees every replica follow, explains a user's
// decision, and checks a screenshot is not blank.
func TestConsoleInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	f := newDemo(t)
	mux := http.NewServeMux()
	mux.Handle("/graykit/", http.StripPrefix("/graykit", f.Handler))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	// Sign in.
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/graykit/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), operatorToken),
		chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.card[data-rollout="checkout-v2"]`)),
	)
	assert.Contains(t, text(t, ctx, "#who"), "olga · operator")

	// Every rollout, its phase, share, chart and audit trail.
	waitText(t, ctx, `.card[data-rollout="checkout-v2"] .phase`, "running")
	waitText(t, ctx, `.card[data-rollout="search-v3"] .phase`, "rolled-back")
	waitText(t, ctx, `.card[data-rollout="recommendations"] .phase`, "paused")
	waitText(t, ctx, `.card[data-rollout="banner"] .phase`, "running")
	st, err := f.Store.Load(t.Context(), "checkout-v2")
	require.NoError(t, err)
	require.Greater(t, st.Share, 1.0, "the judge advanced the healthy rollout during the demo")
	assert.Contains(t, text(t, ctx, `.card[data-rollout="checkout-v2"] .share`), "canary "+trimPercent(st.Share))
	lines, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`document.querySelectorAll('.card[data-rollout="checkout-v2"] svg polyline').length`))
	require.NoError(t, err)
	assert.Equal(t, 4, lines, "error rate and latency charts, a line each for stable and canary")
	assert.Contains(t, text(t, ctx, "#audit-table"), "waiting for the cache warm-up")
	assert.Contains(t, text(t, ctx, "#audit-table"), "rollback")
	// The banner has no plan: it can be braked, shared and promoted, not
	// advanced or paused.
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]bool](
		`Object.fromEntries([...document.querySelectorAll('.card[data-rollout="banner"] button[data-action]')].map((b) => [b.dataset.action, b.disabled]))`))
	require.NoError(t, err)
	assert.Equal(t, map[string]bool{"approve": true, "start": true, "advance": true, "pause": true, "resume": true, "set-share": false, "promote": false, "brake": false}, disabled)

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	if *screenshotTo != "" {
		require.NoError(t, os.WriteFile(*screenshotTo, shot, 0o644))
	}

	// Brake checkout-v2, with a reason, after confirming.
	for _, e := range f.Engines {
		require.Equal(t, "canary", e.Decide("checkout-v2", gray.Subject{Key: "alice"}).Variant)
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`.card[data-rollout="checkout-v2"] button[data-action="brake"]`)),
		chromedp.WaitVisible(chromedp.ID("confirm-reason")),
		chromedp.SendKeys(chromedp.ID("confirm-reason"), "p99 alarm on checkout"),
		chromedp.Click(chromedp.ID("confirm-ok")),
		chromedp.WaitNotVisible(chromedp.ID("confirm")),
	)
	waitText(t, ctx, `.card[data-rollout="checkout-v2"] .phase`, "rolled-back")
	waitText(t, ctx, `#audit-table tbody tr:first-child td:nth-child(3)`, "brake")
	assert.Contains(t, text(t, ctx, `#audit-table tbody tr:first-child`), "olga")
	assert.Contains(t, text(t, ctx, `#audit-table tbody tr:first-child`), "p99 alarm on checkout")
	st, err = f.Store.Load(t.Context(), "checkout-v2")
	require.NoError(t, err)
	assert.Equal(t, guard.PhaseRolledBack, st.Phase)
	assert.Equal(t, "olga", st.Last.Actor)

	// Until this replica polls, the page says it still serves the old share.
	assert.Contains(t, text(t, ctx, `.card[data-rollout="checkout-v2"] .pending`), "this replica: "+trimPercent(st.Last.FromShare))

	// Every replica follows the shared state at its next poll.
	f.Tick(t)
	for i, e := range f.Engines {
		d := e.Decide("checkout-v2", gray.Subject{Key: "alice"})
		assert.Equal(t, "stable", d.Variant, "replica %d", i)
		assert.Equal(t, gray.ReasonOff, d.Reason, "replica %d", i)
	}

	_, err = chromedp.Run(ctx, chromedp.Poll[bool](
		`!document.querySelector('.card[data-rollout="checkout-v2"] .pending')`,
		chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err, "the page sees this replica apply the brake")

	// Brake the banner too: a rollout without a plan stops on every replica.
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`.card[data-rollout="banner"] button[data-action="brake"]`)),
		chromedp.WaitVisible(chromedp.ID("confirm-reason")),
		chromedp.SendKeys(chromedp.ID("confirm-reason"), "banner covers the pay button"),
		chromedp.Click(chromedp.ID("confirm-ok")),
		chromedp.WaitNotVisible(chromedp.ID("confirm")),
	)
	waitText(t, ctx, `.card[data-rollout="banner"] .phase`, "rolled-back")
	waitText(t, ctx, `#audit-table tbody tr:first-child td:nth-child(2)`, "banner")
	f.Tick(t)
	for i, e := range f.Engines {
		d := e.Decide("banner", gray.Subject{Key: "user-7"})
		assert.Equal(t, "stable", d.Variant, "replica %d", i)
		assert.Equal(t, gray.ReasonOff, d.Reason, "replica %d", i)
	}
	resume, err := chromedp.Run(ctx, chromedp.Poll[bool](
		`(() => { const b = document.querySelector('.card[data-rollout="banner"] button[data-action="resume"]'); return !!b && !b.disabled; })()`,
		chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err)
	assert.True(t, resume, "a braked banner can be resumed")

	// Explain: why does alice get stable now?
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("explain-rollout"), "checkout-v2"),
		chromedp.SendKeys(chromedp.ID("explain-key"), "alice"),
		chromedp.Click(chromedp.CSS(`#explain-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("explain-variant")),
	)
	assert.Equal(t, "stable", text(t, ctx, "#explain-variant"))
	assert.Contains(t, text(t, ctx, "#explain-summary"), "braked")

	// And for search-v3 with the beta cookie, the rule trace.
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("explain-rollout"), "search-v3"),
		chromedp.SetValue(chromedp.ID("explain-cookies"), "version=beta"),
		chromedp.Click(chromedp.CSS(`#explain-form button[type="submit"]`)),
	)
	waitText(t, ctx, `#explain-result tr[data-rule="beta-cookie"] td:nth-child(2)`, "not evaluated")

	// The screenshot shows a page, not a blank.
	shot, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "console.png")
	require.NoError(t, os.WriteFile(path, shot, 0o600))
	colours, inked := pngStats(t, shot)
	assert.Greater(t, colours, 50, "distinct colours in %s", path)
	assert.Greater(t, inked, 0.05, "share of non-white pixels in %s", path)
}

// pngStats decodes a PNG and returns its number of distinct colours and
// the share of pixels that are not near white.
func pngStats(t *testing.T, data []byte) (int, float64) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	require.NoError(t, err)
	b := img.Bounds()
	require.Greater(t, b.Dx(), 800)
	require.Greater(t, b.Dy(), 600)
	colours := map[[3]uint32]bool{}
	inked := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if r>>8 < 235 || g>>8 < 235 || bl>>8 < 235 {
				inked++
			}
		}
	}
	return len(colours), float64(inked) / float64(b.Dx()*b.Dy())
}

// trimPercent formats a share as the page does, e.g. "20%" or "12.5%".
func trimPercent(p float64) string {
	return strconv.FormatFloat(p, 'f', -1, 64) + "%"
}

// newBrowser starts the console tests' Chromium: a desktop-sized window with
// a fixed colour profile, so layout and screenshots do not vary.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return browser.New(t, 90*time.Second,
		chromedp.Flag("force-color-profile", "srgb"), chromedp.WindowSize(1440, 1000))
}
