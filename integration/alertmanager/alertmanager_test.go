package alertmanager_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/integration/internal/proc"
	"github.com/graykit/graykit/internal/testenv"
)

const alertToken = "alertmanager-token-0123456789"

// notification is what the handler answered to one of Alertmanager's
// deliveries.
type notification struct {
	status int
	res    admin.AlertResponse
}

// TestAlertmanagerBrakes: an alert posted to a real Alertmanager reaches
// the handler through Alertmanager's routing and webhook (with its bearer
// token), brakes the rollout once however often Alertmanager repeats it,
// and, resolved, resumes it (OnResolved: resume).
func TestAlertmanagerBrakes(t *testing.T) {
	bin := testenv.Alertmanager(t)

	// The application: a guarded rollout and the alert handler, on
	// loopback.
	cfg, err := gray.ParseConfig([]byte("rollouts:\n  - name: checkout-v2\n    plan: {steps: [5, 20, 100]}\n"))
	require.NoError(t, err)
	engine, err := gray.New(cfg)
	require.NoError(t, err)
	quiet := slog.New(slog.DiscardHandler)
	store := guard.NewMemoryStore()
	actions, err := guard.NewActions(store, guard.PlansFromEngine(engine), guard.WithEngine(engine), guard.WithLogger(quiet))
	require.NoError(t, err)
	_, err = actions.Start(t.Context(), "checkout-v2", "ci", "deploy")
	require.NoError(t, err)
	backend, err := admin.GuardBackend(store, actions)
	require.NoError(t, err)
	h, err := admin.NewAlertHandler(admin.AlertConfig{
		Backend: backend, Logger: quiet, OnResolved: guard.ActionResume,
		Tokens: []admin.Token{{Name: "alertmanager", Secret: alertToken, Role: admin.RoleOperator}},
	})
	require.NoError(t, err)
	got := make(chan notification, 64)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var n notification
		n.status = rec.Code
		_ = json.Unmarshal(rec.Body.Bytes(), &n.res)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		select {
		case got <- n:
		default: // the test no longer listens
		}
	}))
	defer app.Close()

	am := startAlertmanager(t, bin, app.URL+"/alerts")

	startsAt := time.Now().UTC().Truncate(time.Second)
	alert := map[string]any{
		"labels":       map[string]string{"alertname": "CheckoutErrors", "severity": "page", "graykit_rollout": "checkout-v2"},
		"annotations":  map[string]string{"summary": "checkout 5xx above 2% for 5m"},
		"startsAt":     startsAt,
		"generatorURL": "http://prometheus.test/graph",
	}
	am.post(t, alert)

	first := await(t, got, func(n notification) bool { return len(n.res.Results) > 0 })
	require.Equal(t, http.StatusOK, first.status)
	require.Len(t, first.res.Results, 1)
	assert.Equal(t, "firing", first.res.Results[0].Status)
	assert.Equal(t, "acted", first.res.Results[0].Result)
	st, err := actions.State(t.Context(), "checkout-v2")
	require.NoError(t, err)
	assert.Equal(t, guard.PhaseRolledBack, st.Phase)
	assert.Equal(t, guard.ActionBrake, st.Last.Action)
	assert.Equal(t, "alertmanager", st.Last.Actor, "the token's name is the actor")
	assert.Contains(t, st.Last.Reason, "alert CheckoutErrors firing since "+startsAt.Format(time.RFC3339))
	assert.Contains(t, st.Last.Reason, ": checkout 5xx above 2% for 5m")
	audited, err := store.Audit(t.Context(), "checkout-v2", 0)
	require.NoError(t, err)

	// Alertmanager repeats the firing alert (repeat_interval): nothing more.
	repeat := await(t, got, func(n notification) bool { return len(n.res.Results) > 0 })
	assert.Equal(t, "duplicate", repeat.res.Results[0].Result)
	again, err := store.Audit(t.Context(), "checkout-v2", 0)
	require.NoError(t, err)
	assert.Len(t, again, len(audited), "a repeated notification writes nothing")

	// Resolved: the handler resumes what the alert braked.
	alert["endsAt"] = time.Now().UTC()
	am.post(t, alert)
	resolved := await(t, got, func(n notification) bool {
		return len(n.res.Results) > 0 && n.res.Results[0].Status == "resolved"
	})
	assert.Equal(t, "acted", resolved.res.Results[0].Result)
	st, err = actions.State(t.Context(), "checkout-v2")
	require.NoError(t, err)
	assert.Equal(t, guard.PhaseRunning, st.Phase)
	assert.Equal(t, guard.ActionResume, st.Last.Action)
	assert.Contains(t, st.Last.Reason, "alert CheckoutErrors resolved at")
}

// await returns the first notification that ok accepts. Alertmanager
// delivers on its own timers; the deadline only bounds a broken run.
func await(t *testing.T, got <-chan notification, ok func(notification) bool) notification {
	t.Helper()
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	for {
		select {
		case n := <-got:
			if ok(n) {
				return n
			}
		case <-deadline.C:
			t.Fatal("Alertmanager sent no expected notification within 30s")
		}
	}
}

// alertmanager is a running Alertmanager.
type alertmanager struct{ url string }

// startAlertmanager runs the binary on a free loopback port with a
// configuration that routes every alert to webhook at once (short group
// wait and interval, a repeat every second), clustering off, and a data
// directory of its own; it stops it when the test ends.
func startAlertmanager(t *testing.T, bin, webhook string) *alertmanager {
	t.Helper()
	dir := t.TempDir()
	config := fmt.Sprintf(`route:
  receiver: graykit
  group_by: [alertname, graykit_rollout]
  group_wait: 100ms
  group_interval: 500ms
  repeat_interval: 1s
receivers:
  - name: graykit
    webhook_configs:
      - url: %s
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: %s
`, webhook, alertToken)
	path := filepath.Join(dir, "alertmanager.yml")
	require.NoError(t, os.WriteFile(path, []byte(config), 0o600))
	port := proc.FreePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	var out proc.Output
	cmd := exec.Command(bin,
		"--config.file="+path,
		"--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--cluster.listen-address=", // no gossip: one instance, nothing but loopback
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("alertmanager's log:\n%s", out.String())
		}
	})
	am := &alertmanager{url: "http://" + addr}
	ready := time.Now().Add(30 * time.Second)
	for {
		// Alertmanager says when it is ready only by answering; poll.
		res, err := http.Get(am.url + "/-/ready")
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return am
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("alertmanager exited: %v\n%s", err, out.String())
		case <-time.After(50 * time.Millisecond):
		}
		require.True(t, time.Now().Before(ready), "alertmanager not ready within 30s:\n%s", out.String())
	}
}

// post sends alerts to Alertmanager's API, as Prometheus does.
func (am *alertmanager) post(t *testing.T, alerts ...map[string]any) {
	t.Helper()
	body, err := json.Marshal(alerts)
	require.NoError(t, err)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, am.url+"/api/v2/alerts", bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
}
