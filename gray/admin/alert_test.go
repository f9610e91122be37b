package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/gray/guard"
)

const alertToken = "alertmanager-token-0123456789"

// alertApp is an application with the alert handler on a loopback server.
type alertApp struct {
	url     string
	actions *guard.Actions
	store   guard.Store
}

func newAlertApp(t *testing.T, mutate func(*admin.AlertConfig)) *alertApp {
	t.Helper()
	cfg, err := gray.ParseConfig([]byte(`rollouts:
  - name: checkout-v2
    plan: {steps: [5, 20, 100]}
  - name: banner
    percent: 10
`))
	require.NoError(t, err)
	engine, err := gray.New(cfg)
	require.NoError(t, err)
	quiet := slog.New(slog.DiscardHandler)
	store := guard.NewMemoryStore()
	actions, err := guard.NewActions(store, guard.PlansFromEngine(engine), guard.WithEngine(engine), guard.WithLogger(quiet))
	require.NoError(t, err)
	backend, err := admin.GuardBackend(store, actions)
	require.NoError(t, err)
	ac := admin.AlertConfig{
		Backend: backend, Logger: quiet,
		Tokens: []admin.Token{{Name: "alertmanager", Secret: alertToken, Role: admin.RoleOperator}},
	}
	if mutate != nil {
		mutate(&ac)
	}
	h, err := admin.NewAlertHandler(ac)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &alertApp{url: srv.URL, actions: actions, store: store}
}

var firingSince = time.Date(2025, 12, 1, 3, 0, 0, 0, time.UTC)

// alertJSON is one alert as Alertmanager sends it.
func alertJSON(status, fingerprint string, startsAt time.Time, labels map[string]string) map[string]any {
	l := map[string]string{"alertname": "CheckoutErrors", "severity": "page"}
	for k, v := range labels {
		l[k] = v
	}
	return map[string]any{
		"status": status, "labels": l, "fingerprint": fingerprint,
		"annotations": map[string]string{"summary": "checkout 5xx above 2%\nfor\u202e 5m"},
		"startsAt":    startsAt, "endsAt": time.Time{}, "generatorURL": "http://prometheus.test/graph",
	}
}

// post sends a notification of alerts and returns the status and answer.
func (a *alertApp) post(t *testing.T, token string, alerts ...map[string]any) (int, admin.AlertResponse) {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"version": "4", "groupKey": "{}:{alertname=\"CheckoutErrors\"}", "status": alerts[0]["status"],
		"receiver": "graykit", "groupLabels": map[string]string{}, "commonLabels": map[string]string{},
		"commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager.test", "alerts": alerts,
	})
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, a.url, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	var out admin.AlertResponse
	if res.StatusCode == http.StatusOK || res.StatusCode == http.StatusUnprocessableEntity {
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	}
	return res.StatusCode, out
}

func (a *alertApp) state(t *testing.T, rollout string) guard.State {
	t.Helper()
	st, err := a.actions.State(context.Background(), rollout)
	require.NoError(t, err)
	return st
}

func (a *alertApp) audit(t *testing.T, rollout string) []guard.AuditEntry {
	t.Helper()
	es, err := a.store.Audit(context.Background(), rollout, 0)
	require.NoError(t, err)
	return es
}

func TestAlertBrakesAndIsAudited(t *testing.T) {
	a := newAlertApp(t, nil)
	code, res := a.post(t, alertToken, alertJSON("firing", "fp1", firingSince, map[string]string{"graykit_rollout": "checkout-v2, banner"}))
	require.Equal(t, http.StatusOK, code)
	require.Len(t, res.Results, 2)
	for i, name := range []string{"checkout-v2", "banner"} {
		assert.Equal(t, name, res.Results[i].Rollout)
		assert.Equal(t, "acted", res.Results[i].Result)
		assert.Equal(t, guard.ActionBrake, res.Results[i].Action)
		st := a.state(t, name)
		assert.Equal(t, guard.PhaseRolledBack, st.Phase, name)
		assert.Equal(t, "alertmanager", st.Last.Actor)
		assert.Equal(t, "alert CheckoutErrors firing since 2025-12-01T03:00:00Z [alert fp1@2025-12-01T03:00:00Z]: checkout 5xx above 2% for  5m",
			st.Last.Reason, "the alert is the reason, newlines and format characters flattened")
	}
}

// TestAlertRepeatsAreIdempotent: Alertmanager repeats a firing alert; it
// acts once, even after a person resumed the rollout while it fires. The
// same alert firing anew acts again.
func TestAlertRepeatsAreIdempotent(t *testing.T) {
	a := newAlertApp(t, nil)
	fire := alertJSON("firing", "fp1", firingSince, map[string]string{"graykit_rollout": "checkout-v2"})
	code, res := a.post(t, alertToken, fire)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "acted", res.Results[0].Result)
	n := len(a.audit(t, "checkout-v2"))

	code, res = a.post(t, alertToken, fire)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "duplicate", res.Results[0].Result)
	assert.Len(t, a.audit(t, "checkout-v2"), n, "a repeat writes nothing")

	_, err := a.actions.Resume(t.Context(), "checkout-v2", "olga", "false alarm: a dashboard query")
	require.NoError(t, err)
	code, res = a.post(t, alertToken, fire)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "duplicate", res.Results[0].Result, "the person's resume holds against repeats")
	assert.Equal(t, guard.PhaseRunning, a.state(t, "checkout-v2").Phase)

	again := alertJSON("firing", "fp1", firingSince.Add(time.Hour), map[string]string{"graykit_rollout": "checkout-v2"})
	code, res = a.post(t, alertToken, again)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "acted", res.Results[0].Result, "the alert fired anew")
	assert.Equal(t, guard.PhaseRolledBack, a.state(t, "checkout-v2").Phase)

	// Another replica (or a person) braked first: nothing to do.
	other := alertJSON("firing", "fp2", firingSince, map[string]string{"graykit_rollout": "checkout-v2"})
	code, res = a.post(t, alertToken, other)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, "unchanged", res.Results[0].Result)
}

func TestAlertPause(t *testing.T) {
	tests := []struct {
		name      string
		mutate    func(*admin.AlertConfig)
		labels    map[string]string
		wantCode  int
		wantPhase guard.Phase
		wantRes   string
	}{
		{name: "by the label", labels: map[string]string{"graykit_rollout": "checkout-v2", "graykit_action": "pause"},
			wantCode: http.StatusOK, wantPhase: guard.PhasePaused, wantRes: "acted"},
		{name: "by configuration", mutate: func(c *admin.AlertConfig) { c.Action = guard.ActionPause },
			labels: map[string]string{"graykit_rollout": "checkout-v2"}, wantCode: http.StatusOK, wantPhase: guard.PhasePaused, wantRes: "acted"},
		{name: "the label wins", mutate: func(c *admin.AlertConfig) { c.Action = guard.ActionPause },
			labels:   map[string]string{"graykit_rollout": "checkout-v2", "graykit_action": "brake"},
			wantCode: http.StatusOK, wantPhase: guard.PhaseRolledBack, wantRes: "acted"},
		{name: "a bad action label", labels: map[string]string{"graykit_rollout": "checkout-v2", "graykit_action": "promote"},
			wantCode: http.StatusUnprocessableEntity, wantPhase: guard.PhaseRunning, wantRes: "error"},
		{name: "a rollout without a plan cannot pause", labels: map[string]string{"graykit_rollout": "banner", "graykit_action": "pause"},
			wantCode: http.StatusUnprocessableEntity, wantRes: "error"},
		{name: "an unknown rollout", labels: map[string]string{"graykit_rollout": "nope"},
			wantCode: http.StatusUnprocessableEntity, wantRes: "error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAlertApp(t, tt.mutate)
			code, res := a.post(t, alertToken, alertJSON("firing", "fp1", firingSince, tt.labels))
			require.Equal(t, tt.wantCode, code)
			require.Len(t, res.Results, 1)
			assert.Equal(t, tt.wantRes, res.Results[0].Result, res.Results[0].Error)
			if tt.wantPhase != "" {
				assert.Equal(t, tt.wantPhase, a.state(t, "checkout-v2").Phase)
			}
		})
	}
}

func TestAlertResolved(t *testing.T) {
	labels := map[string]string{"graykit_rollout": "checkout-v2"}
	fire := alertJSON("firing", "fp1", firingSince, labels)
	resolved := alertJSON("resolved", "fp1", firingSince, labels)
	resolved["endsAt"] = firingSince.Add(10 * time.Minute)
	resume := func(c *admin.AlertConfig) { c.OnResolved = guard.ActionResume }

	t.Run("does nothing by default", func(t *testing.T) {
		a := newAlertApp(t, nil)
		a.post(t, alertToken, fire)
		code, res := a.post(t, alertToken, resolved)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "ignored", res.Results[0].Result)
		assert.Equal(t, guard.PhaseRolledBack, a.state(t, "checkout-v2").Phase)
	})
	t.Run("resumes what the alert did when configured", func(t *testing.T) {
		a := newAlertApp(t, resume)
		a.post(t, alertToken, fire)
		code, res := a.post(t, alertToken, resolved)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "acted", res.Results[0].Result)
		st := a.state(t, "checkout-v2")
		assert.Equal(t, guard.PhaseRunning, st.Phase)
		assert.Equal(t, guard.ActionResume, st.Last.Action)
		assert.Contains(t, st.Last.Reason, "alert CheckoutErrors resolved at 2025-12-01T03:10:00Z")
		code, res = a.post(t, alertToken, resolved)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "left", res.Results[0].Result, "a repeated resolve changes nothing")
		code, res = a.post(t, alertToken, fire)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "duplicate", res.Results[0].Result, "a late repeat of the firing does not brake again")
	})
	t.Run("leaves a rollout a person acted on since", func(t *testing.T) {
		a := newAlertApp(t, resume)
		a.post(t, alertToken, fire)
		_, err := a.actions.Resume(t.Context(), "checkout-v2", "olga", "")
		require.NoError(t, err)
		_, err = a.actions.Brake(t.Context(), "checkout-v2", "olga", "still looking")
		require.NoError(t, err)
		code, res := a.post(t, alertToken, resolved)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, "left", res.Results[0].Result)
		assert.Equal(t, "olga", a.state(t, "checkout-v2").Last.Actor)
	})
}

func TestAlertGates(t *testing.T) {
	a := newAlertApp(t, nil)
	fire := alertJSON("firing", "fp1", firingSince, map[string]string{"graykit_rollout": "checkout-v2"})
	code, _ := a.post(t, "", fire)
	assert.Equal(t, http.StatusUnauthorized, code)
	code, _ = a.post(t, "wrong-token-0123456789", fire)
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Equal(t, guard.PhaseRunning, a.state(t, "checkout-v2").Phase, "refused requests change nothing")

	unlabeled := alertJSON("firing", "fp9", firingSince, nil)
	code, res := a.post(t, alertToken, unlabeled)
	assert.Equal(t, http.StatusOK, code)
	assert.Empty(t, res.Results, "alerts without the label are not ours")

	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, a.url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+alertToken)
	r, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = r.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, r.StatusCode)

	req, err = http.NewRequestWithContext(t.Context(), http.MethodPost, a.url, bytes.NewReader([]byte("{not json")))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+alertToken)
	req.Header.Set("Content-Type", "application/json")
	r, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = r.Body.Close()
	assert.Equal(t, http.StatusBadRequest, r.StatusCode)
}

func TestNewAlertHandlerErrors(t *testing.T) {
	backend, err := admin.GuardBackend(guard.NewMemoryStore(), mustActions(t))
	require.NoError(t, err)
	op := []admin.Token{{Name: "am", Secret: alertToken, Role: admin.RoleOperator}}
	tests := []struct {
		name string
		give admin.AlertConfig
		want string
	}{
		{name: "no backend", give: admin.AlertConfig{Tokens: op}, want: "Backend is nil"},
		{name: "no auth", give: admin.AlertConfig{Backend: backend}, want: "anyone could brake"},
		{name: "viewer token", give: admin.AlertConfig{Backend: backend, Tokens: []admin.Token{{Name: "am", Secret: alertToken, Role: admin.RoleViewer}}}, want: "needs operator"},
		{name: "bad action", give: admin.AlertConfig{Backend: backend, Tokens: op, Action: guard.ActionPromote}, want: `action "promote"`},
		{name: "bad on-resolved", give: admin.AlertConfig{Backend: backend, Tokens: op, OnResolved: guard.ActionPromote}, want: `OnResolved "promote"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := admin.NewAlertHandler(tt.give)
			require.ErrorContains(t, err, tt.want)
		})
	}
}

func mustActions(t *testing.T) *guard.Actions {
	t.Helper()
	a, err := guard.NewActions(guard.NewMemoryStore(), func(string) (gray.Plan, bool) { return gray.Plan{}, false })
	require.NoError(t, err)
	return a
}
