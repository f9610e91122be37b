package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/dualwrite/contract"
	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/gray/guard"
)

// TestContractCheck runs `graykit contract-check` against a console whose
// store holds two replicas' reports: a late read of the old side on one of
// them keeps the answer "in use" (exit 1) until the period has passed.
func TestContractCheck(t *testing.T) {
	store := guard.NewMemoryStore()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cfg, err := gray.ParseConfig([]byte(remoteConfig))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	actions, err := guard.NewActions(store, guard.PlansFromEngine(e))
	require.NoError(t, err)
	backend, err := admin.GuardBackend(store, actions)
	require.NoError(t, err)
	h, err := admin.New(admin.Config{Engine: e, Backend: backend, Clock: clock, Logger: slog.New(slog.DiscardHandler),
		Tokens: []admin.Token{{Name: "vera", Secret: viewerToken, Role: admin.RoleViewer}}})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	args := func(extra ...string) []string {
		return append([]string{"contract-check", "--url", srv.URL, "--token", viewerToken}, extra...)
	}

	code, out, _ := runCLI(t, args("users-status")...)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "users-status: NO DATA")

	fresh, stale := &dualwrite.Usage{}, &dualwrite.Usage{}
	var reps []*contract.Reporter
	for name, u := range map[string]*dualwrite.Usage{"pod-a": fresh, "pod-old": stale} {
		r, err := contract.NewReporter(store, name, contract.WithClock(clock))
		require.NoError(t, err)
		r.Track("users-status", u)
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

	now = now.Add(time.Hour)
	code, out, _ = runCLI(t, args("--hours", "3", "users-status")...)
	assert.Equal(t, exitFail, code)
	assert.Contains(t, out, "users-status: IN USE: the old side was read 1 and written 0 times in the last 3h0m0s; last use 2026-03-01T12:01:00Z")
	assert.Contains(t, out, "ready to contract at 2026-03-01T15:01:00Z")
	assert.Contains(t, out, "pod-old")

	code, out, _ = runCLI(t, args("--json", "--period", "3h", "users-status")...)
	assert.Equal(t, exitFail, code)
	var rd contract.Readiness
	require.NoError(t, json.Unmarshal([]byte(out), &rd))
	assert.Equal(t, contract.InUse, rd.Verdict)

	// Four hours on, both replicas still report but only the new side is used.
	now = now.Add(3 * time.Hour)
	fresh.Add(dualwrite.SideNew, dualwrite.OpWrite)
	flush()
	code, out, _ = runCLI(t, args("--hours", "3", "users-status")...)
	assert.Equal(t, exitOK, code, out)
	assert.Contains(t, out, "users-status: UNUSED: 2 replica(s) reported in the last 3h0m0s")
}

func TestContractCheckUsage(t *testing.T) {
	tests := []struct {
		name string
		give []string
		want string
	}{
		{"no migration", []string{"contract-check", "--url", "http://127.0.0.1:1", "--token", "x"}, "give one MIGRATION"},
		{"both spans", []string{"contract-check", "--hours", "1", "--period", "1h", "m"}, "not both"},
		{"no url", []string{"contract-check", "m"}, "--url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := runEnv(tt.give, &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }})
			errOut := stderr.String()
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut, tt.want)
		})
	}
}

// TestDDLCheckConfirmsContraction: with --url, a column drop that the
// migrations file allows (its migration is complete) also needs the
// application to say the old side is unused.
func TestDDLCheckConfirmsContraction(t *testing.T) {
	store := guard.NewMemoryStore()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cfg, err := gray.ParseConfig([]byte(remoteConfig))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	actions, err := guard.NewActions(store, guard.PlansFromEngine(e))
	require.NoError(t, err)
	backend, err := admin.GuardBackend(store, actions)
	require.NoError(t, err)
	h, err := admin.New(admin.Config{Engine: e, Backend: backend, Clock: clock, Logger: slog.New(slog.DiscardHandler),
		Tokens: []admin.Token{{Name: "vera", Secret: viewerToken, Role: admin.RoleViewer}}})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()

	u := &dualwrite.Usage{}
	rep, err := contract.NewReporter(store, "pod-old", contract.WithClock(clock))
	require.NoError(t, err)
	rep.Track("users-phone", u)
	u.Add(dualwrite.SideOld, dualwrite.OpRead)
	require.NoError(t, rep.Flush(t.Context()))

	args := []string{"ddl", "check", "--url", srv.URL, "--token", viewerToken, "testdata/migrations/mysql"}
	code, out, errOut := runCLI(t, args...)
	require.Equal(t, exitFail, code, errOut)
	assert.Contains(t, out, `0002_contract.sql:2: drop-column: migration "users-phone" is complete in graykit-migrations.yaml, but the application says its old side is in-use in the last 24h0m0s (1 reads, 0 writes; last 2026-03-01T12:01:00Z)`)
	assert.NotContains(t, out, "ok: users.phone may be dropped")

	// A day and more later, the replica still reports and nothing reads phone.
	now = now.Add(25 * time.Hour)
	require.NoError(t, rep.Flush(t.Context()))
	code, out, _ = runCLI(t, args...)
	assert.Equal(t, exitFail, code, "status's drop is still a finding")
	assert.Contains(t, out, `ok: users.phone may be dropped: migration "users-phone" is complete everywhere, and no replica used its old side in the last 24h0m0s`)
	assert.NotContains(t, out, "0002_contract.sql:2: drop-column")
}
