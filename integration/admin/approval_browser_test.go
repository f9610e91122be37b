package admin_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/internal/admintest"
)

// TestConsoleApproval: the judge asks for approval to enter 5%; the page
// lists it under pending approvals with who asked and the evidence, and an
// operator's Approve lets the rollout in, audited with that evidence.
func TestConsoleApproval(t *testing.T) {
	ctx := newBrowser(t)
	config := strings.Replace(admintest.Config, "plan: {steps: [1, 5, 20, 50], hold: 10m, min_requests: 1000}",
		"plan: {steps: [1, 5, 20, 50], hold: 10m, min_requests: 1000, approve: [5]}", 1)
	f := newFixtureConfig(t, config, 2)
	f.Traffic("checkout-v2", 1500, 0, 40*time.Millisecond)
	f.Clock.Add(10*time.Minute + 10*time.Second)
	require.NoError(t, f.Ctrls[1].Tick(t.Context()))
	st, err := f.Store.Load(t.Context(), "checkout-v2")
	require.NoError(t, err)
	require.Equal(t, guard.PhaseAwaiting, st.Phase, "the judge asks for approval: %+v", st.Last)

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
	waitText(t, ctx, "#approvals", "Pending approvals: checkout-v2 → 5%")
	assert.Contains(t, text(t, ctx, card+" .approval"), "Awaiting approval to enter 5% · asked by guard/replica-b")
	assert.Contains(t, text(t, ctx, card+" .last"), "Evidence (advance): canary 1500 req")
	if dir := os.Getenv("GRAYKIT_SCREENSHOTS"); dir != "" {
		shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(dir+"/approval.png", shot, 0o644))
	}

	do(t, ctx,
		chromedp.Click(chromedp.CSS(card+` button[data-action="approve"]`)),
		chromedp.WaitVisible(chromedp.ID("confirm-reason")),
	)
	assert.Contains(t, text(t, ctx, "#confirm-text"), "Let the rollout enter 5% on the evidence shown")
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("confirm-reason"), "dashboards agree"),
		chromedp.Click(chromedp.ID("confirm-ok")),
		chromedp.WaitNotVisible(chromedp.ID("confirm")),
	)
	waitText(t, ctx, card+" .share", "canary 5%")
	st, err = f.Store.Load(t.Context(), "checkout-v2")
	require.NoError(t, err)
	assert.Equal(t, guard.PhaseRunning, st.Phase)
	assert.Equal(t, guard.ActionApprove, st.Last.Action)
	assert.Equal(t, "olga", st.Last.Actor)
	assert.Equal(t, "dashboards agree", st.Last.Reason)
	require.NotNil(t, st.Last.Evidence, "the approval is audited with the evidence it was given on")
}
