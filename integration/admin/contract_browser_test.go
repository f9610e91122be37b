package admin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/dualwrite/contract"
	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/internal/admintest"
)

// TestContractReadinessInBrowser shows a migration's contract readiness in
// the rollout's card: in use (naming the stale replica that read the old
// side) until the period has passed, then ready to contract.
func TestContractReadinessInBrowser(t *testing.T) {
	ctx := newBrowser(t)
	f := newFixture(t, 2)
	backend, err := admin.GuardBackend(f.Store, f.Ctrls[0].Actions)
	require.NoError(t, err)
	h, err := admin.New(admin.Config{
		Engine: f.Engines[0], Backend: backend, Clock: f.Clock.Now, Logger: admintest.Quiet,
		Tokens:     []admin.Token{{Name: "vera", Secret: viewerToken, Role: admin.RoleViewer}},
		Migrations: map[string][]string{"checkout-v2": {"users-status-v2"}},
	})
	require.NoError(t, err)
	srv := httptest.NewServer(http.StripPrefix("/graykit", h))
	t.Cleanup(srv.Close)

	fresh, stale := &dualwrite.Usage{}, &dualwrite.Usage{}
	var reps []*contract.Reporter
	for name, u := range map[string]*dualwrite.Usage{"pod-a": fresh, "pod-old": stale} {
		r, err := contract.NewReporter(f.Store, name, contract.WithClock(f.Clock.Now))
		require.NoError(t, err)
		r.Track("users-status-v2", u)
		reps = append(reps, r)
	}
	flush := func() {
		for _, r := range reps {
			require.NoError(t, r.Flush(t.Context()))
		}
	}
	fresh.Add(dualwrite.SideNew, dualwrite.OpRead)
	stale.Add(dualwrite.SideOld, dualwrite.OpRead)
	flush()

	box := `.card[data-rollout="checkout-v2"] .contract [data-migration="users-status-v2"]`
	do(t, ctx,
		chromedp.Navigate(srv.URL+"/graykit/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), viewerToken),
		chromedp.Click(chromedp.CSS(`#login-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(box)),
	)
	verdict, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(box), "data-verdict"))
	require.NoError(t, err)
	assert.Equal(t, "in-use", verdict.Value)
	got := text(t, ctx, box)
	assert.Contains(t, got, "users-status-v2: old side in use")
	assert.Contains(t, got, "1 reads, 0 writes of the old side")
	assert.Contains(t, got, "on pod-old")

	// A day later both replicas still report, and only the new side is used.
	f.Clock.Add(25 * time.Hour)
	fresh.Add(dualwrite.SideNew, dualwrite.OpWrite)
	flush()
	do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(box)))
	waitText(t, ctx, box+` .verdict`, "users-status-v2: old side unused: ready to contract")
	assert.Contains(t, text(t, ctx, box), "2 replicas reporting")
}
