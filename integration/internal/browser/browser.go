// Package browser starts the headless Chromium that integration's browser
// tests drive with chromedp, with the flags this sandbox and CI need.
package browser

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/graykit/graykit/internal/testenv"
)

// New starts a headless Chromium with a fresh profile (skipping, or failing
// under GRAYKIT_REQUIRE_ALL=1, when there is none; see testenv.Chromium) and
// returns a chromedp context for it that ends after timeout. The browser is
// shut down when the test ends. extra options are added to the defaults
// (e.g. a window size).
func New(t *testing.T, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(testenv.Chromium(t)),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-dev-shm-usage", true),
		// The network is closed here: without these Chromium keeps dialling
		// Google's hosts in the background.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("lang", "en-US"),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(t.Context(), append(opts, extra...)...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		_ = chromedp.Cancel(ctx)
		cancel()
		cancelAlloc()
	})
	return ctx
}
