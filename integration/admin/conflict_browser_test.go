package admin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray/guard"
)

// TestConsoleShowsWhatMovedSinceItLooked: an operator opens the advance
// dialog on a page that shows step 1 (1%), the judge advances to step 2
// before they confirm, and the page says so instead of advancing twice;
// confirming again advances from the step it now shows.
func TestConsoleShowsWhatMovedSinceItLooked(t *testing.T) {
	ctx := newBrowser(t)
	f := newFixture(t, 2)
	mux := http.NewServeMux()
	mux.Handle("/graykit/", http.StripPrefix("/graykit", f.Handler))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	card := `.card[data-rollout="checkout-v2"]`
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/graykit/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), operatorToken),
		chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(card)),
	)
	waitText(t, ctx, card+" .share", "canary 1%")
	do(t, ctx,
		chromedp.Click(chromedp.CSS(card+` button[data-action="advance"]`)),
		chromedp.WaitVisible(chromedp.ID("confirm-reason")),
		chromedp.SendKeys(chromedp.ID("confirm-reason"), "dashboards look fine"),
	)

	// The judge on replica b advances while the dialog is open.
	f.Traffic("checkout-v2", 1500, 0, 40*time.Millisecond)
	f.Clock.Add(10*time.Minute + 10*time.Second)
	require.NoError(t, f.Ctrls[1].Tick(t.Context()))
	st, err := f.Store.Load(t.Context(), "checkout-v2")
	require.NoError(t, err)
	require.Equal(t, 5.0, st.Share, "the judge advanced")

	do(t, ctx, chromedp.Click(chromedp.ID("confirm-ok")))
	_, err = chromedp.Run(ctx, chromedp.PollFunction[bool](
		`(want) => document.getElementById("confirm-error").textContent === want`,
		chromedp.WithPollingArgs("checkout-v2 moved to step 2 (5%) since you looked (advance by guard/replica-b); nothing was changed. "+
			"Confirm again to advance from there, or cancel."),
		chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err, "the dialog says what changed; it reads %q", text(t, ctx, "#confirm-error"))
	waitText(t, ctx, card+" .share", "canary 5%")
	st, err = f.Store.Load(t.Context(), "checkout-v2")
	require.NoError(t, err)
	assert.Equal(t, 5.0, st.Share, "nothing was changed")

	// Confirmed again, it advances one step from what the page now shows.
	do(t, ctx,
		chromedp.Click(chromedp.ID("confirm-ok")),
		chromedp.WaitNotVisible(chromedp.ID("confirm")),
	)
	waitText(t, ctx, card+" .share", "canary 20%")
	st, err = f.Store.Load(t.Context(), "checkout-v2")
	require.NoError(t, err)
	assert.Equal(t, 20.0, st.Share)
	assert.Equal(t, guard.ActionAdvance, st.Last.Action)
	assert.Equal(t, "olga", st.Last.Actor)
	assert.Equal(t, "dashboards look fine", st.Last.Reason)
}
