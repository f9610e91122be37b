package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/gray/guard"
)

const (
	operatorToken = "operator-token-0123456789"
	viewerToken   = "viewer-token-0123456789"
)

const remoteConfig = `rollouts:
  - name: checkout-v2
    plan: {steps: [1, 5, 20, 50]}
    rules:
      - name: staff
        when: {field: key, in: [alice]}
        serve: canary
  - name: banner
    percent: 10
`

// app is a running application with the console mounted on a loopback
// server, and two replicas sharing one guard store.
type app struct {
	url string
	// beforePoll, when set, runs before the console answers each GET of
	// one rollout, with the number of such GETs before it: tests script
	// what a polling command sees. Set it before running the command.
	beforePoll func(n int)
	polls      int
	store      guard.Store
	engines    []*gray.Engine
	ctrls      []*guard.Controller
}

func newApp(t *testing.T) *app {
	t.Helper()
	return newAppOn(t, guard.NewMemoryStore())
}

// newAppOn is newApp on store, with the controllers' options opts.
func newAppOn(t *testing.T, store guard.Store, opts ...guard.Option) *app {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	a := &app{store: store}
	for _, name := range []string{"a", "b"} {
		cfg, err := gray.ParseConfig([]byte(remoteConfig))
		require.NoError(t, err)
		e, err := gray.New(cfg)
		require.NoError(t, err)
		c, err := guard.New(e, a.store, append([]guard.Option{guard.WithReplica(name), guard.WithLogger(quiet)}, opts...)...)
		require.NoError(t, err)
		require.NoError(t, c.Tick(t.Context()))
		a.engines = append(a.engines, e)
		a.ctrls = append(a.ctrls, c)
	}
	backend, err := admin.GuardBackend(a.store, a.ctrls[0].Actions)
	require.NoError(t, err)
	h, err := admin.New(admin.Config{
		Engine: a.engines[0], Backend: backend, Logger: quiet,
		Tokens: []admin.Token{
			{Name: "olga", Secret: operatorToken, Role: admin.RoleOperator},
			{Name: "vera", Secret: viewerToken, Role: admin.RoleViewer},
		},
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	console := http.StripPrefix("/ops/graykit", h)
	mux.Handle("/ops/graykit/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.beforePoll != nil && r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/ops/graykit/api/rollouts/") {
			a.beforePoll(a.polls)
			a.polls++
		}
		console.ServeHTTP(w, r)
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a.url = srv.URL + "/ops/graykit" // no trailing slash: the CLI adds it
	return a
}

func (a *app) tick(t *testing.T) {
	t.Helper()
	for _, c := range a.ctrls {
		require.NoError(t, c.Tick(t.Context()))
	}
}

// runRemote runs the CLI with GRAYKIT_URL and GRAYKIT_TOKEN set.
func runRemote(a *app, token string, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	vars := map[string]string{"GRAYKIT_URL": a.url, "GRAYKIT_TOKEN": token}
	code := runEnv(args, &env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] }})
	return code, stdout.String(), stderr.String()
}

func TestStatus(t *testing.T) {
	a := newApp(t)
	code, out, errOut := runRemote(a, viewerToken, "status")
	require.Equal(t, exitOK, code, errOut)
	assert.Regexp(t, `checkout-v2\s+running\s+1%\s+1/4`, out)
	assert.Regexp(t, `banner\s+running\s+10%\s+-\s+.*\s-\n`, out)
	assert.Contains(t, out, "start by guard/a")

	code, out, _ = runRemote(a, viewerToken, "status", "checkout-v2")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "rule     staff → canary")
	assert.Contains(t, out, "plan     1% → 5% → 20% → 50%")

	code, out, _ = runRemote(a, viewerToken, "status", "--json")
	require.Equal(t, exitOK, code)
	var views []admin.RolloutView
	require.NoError(t, json.Unmarshal([]byte(out), &views))
	require.Len(t, views, 2)
	assert.Equal(t, guard.PhaseRunning, views[0].State.Phase)
}

func TestActionsFromTheCLI(t *testing.T) {
	a := newApp(t)
	tests := []struct {
		name      string
		give      []string
		wantPhase guard.Phase
		wantShare float64
		wantOut   string
	}{
		{"advance", []string{"advance", "checkout-v2"}, guard.PhaseRunning, 5, "checkout-v2: running, share 5%"},
		{"pause", []string{"pause", "checkout-v2", "--reason", "watching dashboards"}, guard.PhasePaused, 5, "paused"},
		{"set-share", []string{"set-share", "checkout-v2", "12.5%"}, guard.PhasePaused, 12.5, "share 12.5%"},
		{"resume", []string{"resume", "--reason", "ok", "checkout-v2"}, guard.PhaseRunning, 12.5, "running"},
		{"brake", []string{"brake", "checkout-v2", "--reason", "incident 42"}, guard.PhaseRolledBack, 0, "rolled-back, share 0%"},
		{"resume after brake", []string{"resume", "checkout-v2"}, guard.PhaseRunning, 1, "share 1%"},
		{"promote", []string{"promote", "checkout-v2"}, guard.PhasePromoted, 100, "promoted, share 100%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runRemote(a, operatorToken, tt.give...)
			require.Equal(t, exitOK, code, errOut)
			assert.Contains(t, out, tt.wantOut)
			st, err := a.store.Load(t.Context(), "checkout-v2")
			require.NoError(t, err)
			assert.Equal(t, tt.wantPhase, st.Phase)
			assert.Equal(t, tt.wantShare, st.Share)
			assert.Equal(t, "olga", st.Last.Actor)
		})
	}

	code, out, _ := runRemote(a, viewerToken, "audit", "checkout-v2", "--limit", "3")
	require.Equal(t, exitOK, code)
	assert.Regexp(t, `checkout-v2\s+promote\s+olga`, out)
	code, out, _ = runRemote(a, viewerToken, "audit", "--json")
	require.Equal(t, exitOK, code)
	var entries []guard.AuditEntry
	require.NoError(t, json.Unmarshal([]byte(out), &entries))
	var brake *guard.AuditEntry
	for i := range entries {
		if entries[i].Action == guard.ActionBrake {
			brake = &entries[i]
		}
	}
	require.NotNil(t, brake)
	assert.Equal(t, "incident 42", brake.Reason)
}

func TestBrakeFromTheCLIReachesEveryReplica(t *testing.T) {
	a := newApp(t)
	code, out, errOut := runRemote(a, operatorToken, "brake", "checkout-v2", "--json", "--reason", "pager")
	require.Equal(t, exitOK, code, errOut)
	var res admin.ActionResponse
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	assert.Equal(t, guard.PhaseRolledBack, res.State.Phase)
	a.tick(t)
	for i, e := range a.engines {
		assert.Equal(t, "stable", e.Decide("checkout-v2", gray.Subject{Key: "alice"}).Variant, "replica %d", i)
	}
}

func TestActionsOnARolloutWithoutAPlan(t *testing.T) {
	a := newApp(t)
	code, out, errOut := runRemote(a, operatorToken, "brake", "banner", "--reason", "pager")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "banner: rolled-back, share 0%")
	a.tick(t)
	for i, e := range a.engines {
		d := e.Decide("banner", gray.Subject{Key: "user-3"})
		assert.Equal(t, gray.ReasonOff, d.Reason, "replica %d", i)
	}
	code, out, _ = runRemote(a, viewerToken, "status")
	require.Equal(t, exitOK, code)
	assert.Regexp(t, `banner\s+rolled-back\s+0%\s+-.*brake by olga`, out)

	code, out, errOut = runRemote(a, operatorToken, "resume", "banner")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "banner: running, share 10%")
	code, out, errOut = runRemote(a, operatorToken, "set-share", "banner", "25")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "banner: manual, share 25%")
	a.tick(t)
	for i, e := range a.engines {
		o := e.Overrides()["banner"]
		require.NotNil(t, o.Percent, "replica %d", i)
		assert.Equal(t, 25.0, *o.Percent, "replica %d", i)
	}
	code, _, errOut = runRemote(a, operatorToken, "advance", "banner")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "rollout has no plan")
}

func TestRemoteErrors(t *testing.T) {
	a := newApp(t)
	tests := []struct {
		name     string
		token    string
		give     []string
		wantCode int
		wantErr  string
	}{
		{"viewer cannot brake", viewerToken, []string{"brake", "checkout-v2"}, exitFail, "needs operator (HTTP 403)"},
		{"bad token", "nope-nope-nope-nope", []string{"status"}, exitFail, "authentication required: send Authorization: Bearer <token> (HTTP 401)"},
		{"no token", "", []string{"status"}, exitUsage, "GRAYKIT_TOKEN"},
		{"unknown rollout", operatorToken, []string{"brake", "nope"}, exitFail, "unknown rollout (HTTP 404)"},
		{"pause without plan", operatorToken, []string{"pause", "banner"}, exitFail, "rollout has no plan: pause walks a plan's steps and its judge; brake, resume, set-share and promote work without one (HTTP 409)"},
		{"share out of range", operatorToken, []string{"set-share", "checkout-v2", "150"}, exitFail, "with at most two decimals (HTTP 400)"},
		{"share not a number", operatorToken, []string{"set-share", "checkout-v2", "lots"}, exitUsage, "not a percentage"},
		{"missing rollout", operatorToken, []string{"brake"}, exitUsage, "want ROLLOUT"},
		{"status of unknown", viewerToken, []string{"status", "nope"}, exitFail, "HTTP 404"},
		{"wrong url", operatorToken, []string{"status", "--url", "ftp://x"}, exitUsage, "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runRemote(a, tt.token, tt.give...)
			assert.Equal(t, tt.wantCode, code)
			assert.Contains(t, errOut, tt.wantErr)
		})
	}
	// Nothing above changed the rollout.
	st, err := a.store.Load(t.Context(), "checkout-v2")
	require.NoError(t, err)
	assert.Equal(t, guard.PhaseRunning, st.Phase)
	assert.Equal(t, int64(1), st.Version)
}

func TestPlainHTTPWarning(t *testing.T) {
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := runEnv([]string{"status", "--url", "http://192.0.2.1:1/", "--token", "t", "--timeout", "50ms"}, e)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, stderr.String(), "warning: sending the token over plain HTTP")
}
