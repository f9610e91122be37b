package admin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/internal/admintest"
)

// TestSubjectOverridesInBrowser puts a user on the canary from the
// console's form, sees every replica apply it after one poll, and removes it.
func TestSubjectOverridesInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	f := admintest.New(t, 2)
	mux := http.NewServeMux()
	mux.Handle("/graykit/", http.StripPrefix("/graykit", f.Handler))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	do(t, ctx,
		chromedp.Navigate(srv.URL+"/graykit/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), admintest.OperatorToken),
		chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.card[data-rollout="banner"]`)),
		chromedp.SetValue(chromedp.ID("explain-rollout"), "banner"),
		chromedp.SendKeys(chromedp.ID("explain-key"), "user-42"),
		chromedp.SendKeys(chromedp.ID("subject-variant"), "canary"),
		chromedp.SendKeys(chromedp.ID("subject-reason"), "ticket 7"),
		chromedp.Click(chromedp.ID("subject-put")),
	)
	waitText(t, ctx, `#subject-result tbody tr:first-child td:first-child`, "user-42")
	f.Tick(t)
	for i, e := range f.Engines {
		assert.Equal(t, gray.ReasonOverride, e.Decide("banner", gray.Subject{Key: "user-42"}).Reason, "replica %d", i)
	}
	do(t, ctx,
		chromedp.Click(chromedp.CSS(`#explain-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.ID("explain-variant")),
	)
	waitText(t, ctx, "#explain-variant", "canary")
	assert.Contains(t, text(t, ctx, "#explain-summary"), "an operator put this subject's key on canary")

	do(t, ctx, chromedp.Click(chromedp.ID("subject-remove")))
	waitText(t, ctx, "#subject-result p", "No subject overrides.")
	f.Tick(t)
	assert.Empty(t, f.Engines[1].SubjectOverrides())
}
