package admin_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/internal/guardtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestNewRefusesAnOpenConsole(t *testing.T) {
	e, err := gray.New(&gray.Config{})
	require.NoError(t, err)
	tests := []struct {
		name string
		give admin.Config
		want string
	}{
		{"no engine", admin.Config{Tokens: []admin.Token{{Name: "a", Secret: operatorToken, Role: admin.RoleOperator}}}, "Engine is nil"},
		{"no auth", admin.Config{Engine: e}, "open to anyone"},
		{"short secret", admin.Config{Engine: e, Tokens: []admin.Token{{Name: "a", Secret: "short", Role: admin.RoleOperator}}}, "shorter than 16"},
		{"no name", admin.Config{Engine: e, Tokens: []admin.Token{{Secret: operatorToken, Role: admin.RoleOperator}}}, "name is empty"},
		{"bad role", admin.Config{Engine: e, Tokens: []admin.Token{{Name: "a", Secret: operatorToken, Role: "root"}}}, `role "root"`},
		{"same secret twice", admin.Config{Engine: e, Tokens: []admin.Token{
			{Name: "a", Secret: operatorToken, Role: admin.RoleOperator},
			{Name: "b", Secret: operatorToken, Role: admin.RoleViewer},
		}}, "used by another token"},
		{"bad trusted origin", admin.Config{Engine: e, Tokens: []admin.Token{{Name: "a", Secret: operatorToken, Role: admin.RoleOperator}},
			TrustedOrigins: []string{"not a url"}}, "trusted origin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := admin.New(tt.give)
			require.Error(t, err)
			assert.Nil(t, h)
			assert.Contains(t, err.Error(), tt.want)
			assert.True(t, strings.HasPrefix(err.Error(), "admin: "), err.Error())
		})
	}
}

// TestSecurity checks every gate in front of the API: authentication,
// roles, method, CSRF, and input validation, each with a JSON 4xx.
func TestSecurity(t *testing.T) {
	f := newFixture(t, 1)
	brake := "/api/rollouts/checkout-v2/brake"
	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		body       any
		hdr        map[string]string
		wantStatus int
		wantError  string
	}{
		{"no token", "GET", "/api/rollouts", "", nil, nil, 401, "authentication required"},
		{"wrong token", "GET", "/api/rollouts", operatorToken + "x", nil, nil, 401, "authentication required"},
		{"token prefix", "GET", "/api/rollouts", operatorToken[:10], nil, nil, 401, "authentication required"},
		{"basic auth", "GET", "/api/rollouts", "", nil, map[string]string{"Authorization": "Basic b2xnYTp4"}, 401, "authentication required"},
		{"no token on action", "POST", brake, "", nil, nil, 401, "authentication required"},
		{"no token on explain", "POST", "/api/explain", "", map[string]string{"rollout": "banner"}, nil, 401, "authentication required"},
		{"viewer reads", "GET", "/api/rollouts", viewerToken, nil, nil, 200, ""},
		{"viewer explains", "POST", "/api/explain", viewerToken, map[string]string{"rollout": "banner", "key": "u1"}, nil, 200, ""},
		{"viewer cannot act", "POST", brake, viewerToken, nil, nil, 403, "needs operator"},
		{"GET on an action", "GET", brake, operatorToken, nil, nil, 405, "use POST"},
		{"POST on a read", "POST", "/api/rollouts", operatorToken, nil, nil, 405, "use GET"},
		{"no CSRF header", "POST", brake, operatorToken, nil, map[string]string{admin.CSRFHeader: ""}, 403, "X-Graykit-CSRF"},
		{"cross-site fetch", "POST", brake, operatorToken, nil, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "cross-origin"},
		{"foreign origin", "POST", brake, operatorToken, nil, map[string]string{"Origin": "https://evil.example"}, 403, "cross-origin"},
		{"unknown endpoint", "GET", "/api/nope", operatorToken, nil, nil, 404, "no such API endpoint"},
		{"unknown action", "POST", "/api/rollouts/checkout-v2/explode", operatorToken, nil, nil, 400, `unknown action "explode"`},
		{"unknown rollout", "POST", "/api/rollouts/nope/brake", operatorToken, nil, nil, 404, "unknown rollout"},
		{"unknown rollout read", "GET", "/api/rollouts/nope", viewerToken, nil, nil, 404, "unknown rollout"},
		{"advance without plan", "POST", "/api/rollouts/banner/advance", operatorToken, nil, nil, 409, "rollout has no plan: advance walks a plan's steps"},
		{"pause without plan", "POST", "/api/rollouts/banner/pause", operatorToken, nil, nil, 409, "brake, resume, set-share and promote work without one"},
		{"resume without plan, not braked", "POST", "/api/rollouts/banner/resume", operatorToken, nil, nil, 409, "invalid action: resume when running"},
		{"resume a running rollout", "POST", "/api/rollouts/checkout-v2/resume", operatorToken, nil, nil, 409, "invalid action"},
		{"set-share without share", "POST", "/api/rollouts/checkout-v2/set-share", operatorToken, map[string]any{}, nil, 400, "needs a share"},
		{"share above 100", "POST", "/api/rollouts/checkout-v2/set-share", operatorToken, map[string]any{"share": 101}, nil, 400, "not a percentage"},
		{"share with three decimals", "POST", "/api/rollouts/checkout-v2/set-share", operatorToken, map[string]any{"share": 1.234}, nil, 400, "not a percentage"},
		{"share as text", "POST", "/api/rollouts/checkout-v2/set-share", operatorToken, `{"share": "ten"}`, nil, 400, "share must be float64"},
		{"share on brake", "POST", brake, operatorToken, map[string]any{"share": 5}, nil, 400, "set-share only"},
		{"unknown field", "POST", brake, operatorToken, `{"reasn": "typo"}`, nil, 400, "unknown field"},
		{"broken JSON", "POST", brake, operatorToken, `{"reason": `, nil, 400, "body:"},
		{"two JSON values", "POST", brake, operatorToken, `{} {}`, nil, 400, "more than one"},
		{"long reason", "POST", brake, operatorToken, map[string]any{"reason": strings.Repeat("x", 501)}, nil, 400, "longer than 500"},
		{"control character in reason", "POST", brake, operatorToken, map[string]any{"reason": "a\x1b[31m"}, nil, 400, "control character"},
		{"right-to-left override in reason", "POST", brake, operatorToken, map[string]any{"reason": "fixed \u202egnp.exe"}, nil, 400, "format character U+202E"},
		{"zero-width space in reason", "POST", brake, operatorToken, map[string]any{"reason": "ok\u200b"}, nil, 400, "format character U+200B"},
		{"line separator in reason", "POST", brake, operatorToken, map[string]any{"reason": "a\u2028b"}, nil, 400, "line or paragraph separator"},
		{"duplicate key", "POST", "/api/rollouts/checkout-v2/set-share", operatorToken, `{"share": 1, "share": 100}`, nil, 400, `key "share" appears twice`},
		{"duplicate key in another case", "POST", "/api/rollouts/checkout-v2/set-share", operatorToken, `{"share": 1, "Share": 100}`, nil, 400, `key "Share" appears twice`},
		{"duplicate reason", "POST", brake, operatorToken, `{"reason": "a", "reason": "b"}`, nil, 400, `key "reason" appears twice`},
		{"duplicate nested key", "POST", "/api/explain", viewerToken, `{"rollout": "banner", "headers": {"X": "1", "X": "2"}}`, nil, 400, `key "headers.X" appears twice`},
		{"duplicate explain key", "POST", "/api/explain", viewerToken, `{"rollout": "banner", "key": "u1", "key": "u2"}`, nil, 400, `key "key" appears twice`},
		{"huge body", "POST", brake, operatorToken, `{"reason": "` + strings.Repeat("x", 70<<10) + `"}`, nil, 413, "larger than"},
		{"form body", "POST", brake, operatorToken, `reason=x`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"},
		{"explain without rollout", "POST", "/api/explain", viewerToken, map[string]string{}, nil, 400, "rollout is required"},
		{"explain empty body", "POST", "/api/explain", viewerToken, nil, nil, 400, "body is empty"},
		{"explain bad ip", "POST", "/api/explain", viewerToken, map[string]string{"rollout": "banner", "ip": "300.1.1.1"}, nil, 400, "not an IP"},
		{"explain unknown rollout", "POST", "/api/explain", viewerToken, map[string]string{"rollout": "nope"}, nil, 404, "unknown rollout"},
		{"audit bad limit", "GET", "/api/audit?limit=0", viewerToken, nil, nil, 400, "limit"},
		{"audit huge limit", "GET", "/api/audit?limit=100000", viewerToken, nil, nil, 400, "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.Call(t, tt.method, tt.path, tt.token, tt.body, tt.hdr)
			assert.Equal(t, tt.wantStatus, status, "body: %s", body)
			if tt.wantError == "" {
				return
			}
			e := decode[admin.ErrorResponse](t, body)
			assert.Contains(t, e.Error, tt.wantError)
			assert.Equal(t, tt.wantStatus, e.Status)
			assert.True(t, strings.HasPrefix(e.Error, "admin: "), e.Error)
		})
	}
	// Nothing above changed the rollout.
	entries := decode[admin.AuditResponse](t, mustGet(t, f, "/api/audit", viewerToken))
	for _, e := range entries.Entries {
		assert.Equal(t, guard.ActionStart, e.Action)
	}
}

func TestWhoAmI(t *testing.T) {
	f := newFixture(t, 1)
	tests := []struct {
		name string
		give string
		want admin.WhoAmI
	}{
		{"viewer", viewerToken, admin.WhoAmI{Principal: admin.Principal{Name: "vera", Role: admin.RoleViewer}}},
		{"operator", operatorToken, admin.WhoAmI{Principal: admin.Principal{Name: "olga", Role: admin.RoleOperator}, CanAct: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, decode[admin.WhoAmI](t, mustGet(t, f, "/api/whoami", tt.give)))
		})
	}
}

func TestRolloutsShowConfigAndSharedState(t *testing.T) {
	f := newFixture(t, 2)
	rs := decode[admin.RolloutsResponse](t, mustGet(t, f, "/api/rollouts", viewerToken))
	require.Len(t, rs.Rollouts, 3)

	co := findRollout(t, rs, "checkout-v2")
	assert.True(t, co.Managed)
	require.NotNil(t, co.State)
	assert.Equal(t, guard.PhaseRunning, co.State.Phase)
	assert.Equal(t, 1.0, co.State.Share, "the controller starts at the plan's first step")
	assert.Equal(t, 1.0, co.Share, "the replica applied the shared share")
	assert.Equal(t, 0, co.State.Step)
	assert.Equal(t, guard.ActionStart, co.State.Last.Action)
	require.Len(t, co.Rules, 2)
	assert.Equal(t, "testers", co.Rules[0].Name)
	require.NotNil(t, co.Plan)
	assert.Equal(t, []float64{1, 5, 20, 50}, co.Plan.Steps)

	banner := findRollout(t, rs, "banner")
	assert.True(t, banner.Managed, "brake, resume, set-share and promote work without a plan")
	require.NotNil(t, banner.State)
	assert.Equal(t, guard.State{Rollout: "banner", Phase: guard.PhaseRunning, Step: -1, Share: 10}, *banner.State,
		"nothing stored: running as configured")
	assert.Nil(t, banner.Override, "the controllers leave it alone")
	assert.Equal(t, 10.0, banner.Share)
	assert.Equal(t, "banner", banner.Salt)
	assert.Equal(t, "stable", banner.Default)

	one := decode[admin.RolloutView](t, mustGet(t, f, "/api/rollouts/search-v3", viewerToken))
	assert.Equal(t, "search-v3", one.Name)
	assert.Equal(t, 10.0, one.State.Share)
}

// TestActionsReachEveryReplica drives every action through the API and
// checks the shared state, each replica's engine after its next tick, and
// the audit trail (who, what, why).
func TestActionsReachEveryReplica(t *testing.T) {
	f := newFixture(t, 3)
	steps := []struct {
		action    string
		body      any
		wantPhase guard.Phase
		wantShare float64
		// wantOn is whether the canary serves (the engine's Enabled).
		wantOn bool
	}{
		{"advance", map[string]any{"reason": "looks fine"}, guard.PhaseRunning, 5, true},
		{"pause", nil, guard.PhasePaused, 5, true},
		{"set-share", map[string]any{"share": 12.5, "reason": "a bit more"}, guard.PhasePaused, 12.5, true},
		{"resume", nil, guard.PhaseRunning, 12.5, true},
		{"brake", map[string]any{"reason": "500s on checkout"}, guard.PhaseRolledBack, 0, false},
		{"resume", map[string]any{"reason": "fixed in 1.4.2"}, guard.PhaseRunning, 1, true},
		{"promote", nil, guard.PhasePromoted, 100, true},
	}
	for i, st := range steps {
		f.Clock.Add(time.Second)
		status, body := f.Call(t, "POST", "/api/rollouts/checkout-v2/"+st.action, operatorToken, st.body, nil)
		require.Equal(t, http.StatusOK, status, "step %d %s: %s", i, st.action, body)
		got := decode[admin.ActionResponse](t, body)
		assert.Equal(t, st.wantPhase, got.State.Phase, "step %d %s", i, st.action)
		assert.Equal(t, st.wantShare, got.State.Share, "step %d %s", i, st.action)
		assert.Equal(t, "olga", got.State.Last.Actor)

		f.Tick(t)
		for r, e := range f.Engines {
			ro := e.Config().Rollouts[0]
			assert.Equal(t, st.wantOn, ro.Enabled == nil || *ro.Enabled, "step %d %s replica %d", i, st.action, r)
			assert.Equal(t, st.wantShare, ro.Percent, "step %d %s replica %d", i, st.action, r)
		}
	}

	audit := decode[admin.AuditResponse](t, mustGet(t, f, "/api/audit?rollout=checkout-v2&limit=3", viewerToken))
	require.Len(t, audit.Entries, 3)
	assert.Equal(t, guard.ActionPromote, audit.Entries[0].Action, "newest first")
	assert.Equal(t, guard.ActionResume, audit.Entries[1].Action)
	assert.Equal(t, "fixed in 1.4.2", audit.Entries[1].Reason)
	assert.Equal(t, guard.ActionBrake, audit.Entries[2].Action)
	assert.Equal(t, "olga", audit.Entries[2].Actor)
	assert.Equal(t, "500s on checkout", audit.Entries[2].Reason)
	assert.Equal(t, f.Clock.Now().Add(-2*time.Second), audit.Entries[2].At)
}

func TestBrakeChangesEveryReplicasDecision(t *testing.T) {
	f := newFixture(t, 3)
	// "alice" is staff: a rule serves her canary on every replica.
	for _, e := range f.Engines {
		require.Equal(t, "canary", e.Decide("checkout-v2", gray.Subject{Key: "alice"}).Variant)
	}
	status, body := f.Call(t, "POST", "/api/rollouts/checkout-v2/brake", operatorToken, map[string]any{"reason": "incident"}, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	f.Tick(t)
	for i, e := range f.Engines {
		d := e.Decide("checkout-v2", gray.Subject{Key: "alice"})
		assert.Equal(t, "stable", d.Variant, "replica %d", i)
		assert.Equal(t, gray.ReasonOff, d.Reason, "replica %d", i)
	}
}

func TestExplainAPI(t *testing.T) {
	f := newFixture(t, 1)
	tests := []struct {
		name        string
		give        admin.ExplainRequest
		wantVariant string
		wantReason  string
		wantRules   []string // outcome per rule
	}{
		{"header rule", admin.ExplainRequest{Rollout: "checkout-v2", Key: "u1", Headers: map[string]string{"x-gray": "canary"}},
			"canary", "rule", []string{admin.OutcomeMatched, admin.OutcomeNotEvaluated}},
		{"key rule", admin.ExplainRequest{Rollout: "checkout-v2", Key: "bob"},
			"canary", "rule", []string{admin.OutcomeNoMatch, admin.OutcomeMatched}},
		{"split", admin.ExplainRequest{Rollout: "checkout-v2", Key: "u1"},
			"stable", "default", []string{admin.OutcomeNoMatch, admin.OutcomeNoMatch}},
		{"no key", admin.ExplainRequest{Rollout: "checkout-v2"},
			"stable", "no key", []string{admin.OutcomeNoMatch, admin.OutcomeNoMatch}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.Call(t, "POST", "/api/explain", viewerToken, tt.give, nil)
			require.Equal(t, http.StatusOK, status, "%s", body)
			got := decode[admin.ExplainResult](t, body)
			assert.Equal(t, tt.wantVariant, got.Decision.Variant)
			assert.Equal(t, tt.wantReason, got.Decision.Reason)
			var outcomes []string
			for _, r := range got.Rules {
				outcomes = append(outcomes, r.Outcome)
			}
			assert.Equal(t, tt.wantRules, outcomes)
			assert.NotEmpty(t, got.Summary)
		})
	}
}

func TestExplainAfterBrake(t *testing.T) {
	f := newFixture(t, 1)
	status, _ := f.Call(t, "POST", "/api/rollouts/checkout-v2/brake", operatorToken, nil, nil)
	require.Equal(t, http.StatusOK, status)
	f.Tick(t)
	got, err := admin.Explain(f.Engines[0], admin.ExplainRequest{Rollout: "checkout-v2", Key: "alice"})
	require.NoError(t, err)
	assert.Equal(t, "stable", got.Decision.Variant)
	assert.Equal(t, "off", got.Decision.Reason)
	for _, r := range got.Rules {
		assert.Equal(t, admin.OutcomeNotEvaluated, r.Outcome, r.Rule)
	}
}

func TestMetricsFromEveryReplica(t *testing.T) {
	f := newFixture(t, 2)
	for range 9 { // 90 seconds: three chart points of 30 seconds
		f.Traffic("checkout-v2", 100, 0.05, 200*time.Millisecond)
		f.Clock.Add(10 * time.Second)
		f.Tick(t)
	}
	co := findRollout(t, decode[admin.RolloutsResponse](t, mustGet(t, f, "/api/rollouts", viewerToken)), "checkout-v2")
	assert.Equal(t, "store", co.Metrics.Source)
	require.Len(t, co.Metrics.Variants, 2)
	canary, stable := co.Metrics.Variants[0], co.Metrics.Variants[1]
	require.Equal(t, "canary", canary.Variant)
	require.Equal(t, "stable", stable.Variant)
	assert.Equal(t, uint64(1800), canary.Total.Requests, "9 windows × 2 replicas × 100")
	assert.Equal(t, uint64(90), canary.Total.Errors)
	assert.InDelta(t, 0.05, canary.Total.ErrorRate, 1e-9)
	assert.Zero(t, stable.Total.Errors)
	assert.Len(t, canary.Series, 3)
	for _, p := range canary.Series {
		assert.Equal(t, uint64(600), p.Requests, "3 windows of both replicas summed")
		assert.Zero(t, p.Start.Second()%30, "points start on the 30-second grid")
	}
	assert.GreaterOrEqual(t, canary.Total.P95, 200.0)
	assert.Less(t, stable.Total.P95, 100.0)
	assert.Greater(t, canary.Total.P95, stable.Total.P95)
}

func TestMetricsFromLocalCounters(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(fixtureConfig))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	cs := gray.NewCounters()
	clk := guardtest.NewClock(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC))
	h, err := admin.New(admin.Config{
		Engine: e, Counters: cs, Clock: clk.Now, SampleEvery: 10 * time.Second,
		Tokens: []admin.Token{{Name: "olga", Secret: operatorToken, Role: admin.RoleOperator}},
	})
	require.NoError(t, err)
	f := &fixture{Handler: h}

	for i := range 6 {
		mustGet(t, f, "/api/rollouts", operatorToken) // samples
		cs.ObserveOutcome(gray.Outcome{Rollout: "banner", Variant: "canary", Status: 500, Error: true, Latency: time.Duration(i+1) * 10 * time.Millisecond})
		cs.ObserveOutcome(gray.Outcome{Rollout: "banner", Variant: "canary", Status: 200, Latency: time.Millisecond})
		clk.Add(10 * time.Second)
	}
	rs := decode[admin.RolloutsResponse](t, mustGet(t, f, "/api/rollouts", operatorToken))
	b := findRollout(t, rs, "banner")
	assert.Equal(t, "local", b.Metrics.Source)
	require.Len(t, b.Metrics.Variants, 1)
	require.Len(t, b.Metrics.Variants[0].Series, 2, "six 10-second windows in two 30-second points")
	assert.Equal(t, uint64(6), b.Metrics.Variants[0].Series[0].Requests)
	assert.Equal(t, uint64(12), b.Metrics.Variants[0].Total.Requests)
	assert.InDelta(t, 0.5, b.Metrics.Variants[0].Total.ErrorRate, 1e-9)

	// Without a backend the console is read-only.
	status, body := f.Call(t, "POST", "/api/rollouts/banner/brake", operatorToken, nil, nil)
	assert.Equal(t, http.StatusConflict, status)
	assert.Contains(t, string(body), "no backend")
	assert.False(t, decode[admin.WhoAmI](t, mustGet(t, f, "/api/whoami", operatorToken)).CanAct)
	assert.Empty(t, decode[admin.AuditResponse](t, mustGet(t, f, "/api/audit", operatorToken)).Entries)
}

func TestAuthorizeFunc(t *testing.T) {
	e, err := gray.New(&gray.Config{})
	require.NoError(t, err)
	h, err := admin.New(admin.Config{
		Engine: e,
		Authorize: func(r *http.Request) (admin.Principal, error) {
			switch r.Header.Get("X-Test-User") {
			case "root":
				return admin.Principal{Name: "root", Role: admin.RoleOperator}, nil
			case "odd":
				return admin.Principal{Name: "odd", Role: "superuser"}, nil
			}
			return admin.Principal{}, errors.New("who are you")
		},
	})
	require.NoError(t, err)
	f := &fixture{Handler: h}
	tests := []struct {
		name string
		give string
		want int
	}{
		{"known", "root", http.StatusOK},
		{"unknown", "mallory", http.StatusUnauthorized},
		{"invalid role", "odd", http.StatusUnauthorized},
		{"a token is not enough", "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.Call(t, "GET", "/api/whoami", operatorToken, nil, map[string]string{"X-Test-User": tt.give})
			assert.Equal(t, tt.want, status, "%s", body)
		})
	}
}

func TestPage(t *testing.T) {
	f := newFixture(t, 1)
	tests := []struct {
		name     string
		give     string
		wantType string
		wantBody string
	}{
		{"root", "/", "text/html", `<script src="ui/app.js"`},
		{"index", "/index.html", "text/html", "graykit console"},
		{"script", "/ui/app.js", "text/javascript", "X-Graykit-CSRF"},
		{"style", "/ui/app.css", "text/css", ".badge"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptestRequest(t, "GET", tt.give)
			rec := serve(f.Handler, req)
			require.Equal(t, http.StatusOK, rec.Code)
			assert.Contains(t, rec.Header().Get("Content-Type"), tt.wantType)
			assert.Contains(t, rec.Header().Get("Content-Security-Policy"), "script-src 'self'")
			assert.Contains(t, rec.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'")
			assert.Equal(t, "nosniff", rec.Header().Get("X-Content-Type-Options"))
			assert.Contains(t, rec.Body.String(), tt.wantBody)
		})
	}
	rec := serve(f.Handler, httptestRequest(t, "POST", "/"))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	rec = serve(f.Handler, httptestRequest(t, "GET", "/ui/secret.txt"))
	assert.Equal(t, http.StatusNotFound, rec.Code)
}
