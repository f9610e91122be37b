// Package admintest builds the operator console's test application — several
// replicas sharing one guard store, with the console mounted on the first —
// for the console's own tests (in-memory store) and the integration module's
// (SQL stores, a real browser).
package admintest

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/internal/guardtest"
)

// Tokens of the test console.
const (
	ViewerToken   = "viewer-token-0123456789"
	OperatorToken = "operator-token-0123456789"
)

const Config = `rollouts:
  - name: checkout-v2
    percent: 5
    plan: {steps: [1, 5, 20, 50], hold: 10m, min_requests: 1000}
    rules:
      - name: testers
        when: {field: "header:X-Gray", in: [canary]}
        serve: canary
      - name: staff
        when: {field: key, in: [alice, bob]}
        serve: canary
  - name: search-v3
    percent: 20
    plan: {steps: [10, 20, 50]}
  - name: banner
    percent: 10
`

// Quiet discards the log of actions and transitions.
var Quiet = slog.New(slog.DiscardHandler)

// Fixture is an application of several replicas sharing one guard store,
// with the console mounted on the first.
type Fixture struct {
	Clock    *guardtest.Clock
	Store    guard.Store
	Engines  []*gray.Engine
	Ctrls    []*guard.Controller
	Counters []*gray.Counters
	Handler  *admin.Handler
}

func New(t testing.TB, replicas int) *Fixture {
	t.Helper()
	return NewConfig(t, Config, replicas)
}

// NewConfig builds replicas of an application with configuration
// text, sharing one store, and ticks every controller once.
func NewConfig(t testing.TB, text string, replicas int) *Fixture {
	t.Helper()
	return NewStore(t, text, replicas, guard.NewMemoryStore())
}

// NewStore is NewConfig on a given store.
func NewStore(t testing.TB, text string, replicas int, store guard.Store) *Fixture {
	t.Helper()
	f := &Fixture{Clock: guardtest.NewClock(time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)), Store: store}
	for i := range replicas {
		cfg, err := gray.ParseConfig([]byte(text))
		require.NoError(t, err)
		e, err := gray.New(cfg, gray.WithClock(f.Clock.Now))
		require.NoError(t, err)
		cs := gray.NewCounters()
		c, err := guard.New(e, f.Store, guard.WithClock(f.Clock.Now), guard.WithCounters(cs),
			guard.WithReplica("replica-"+string(rune('a'+i))), guard.WithLogger(Quiet))
		require.NoError(t, err)
		f.Engines = append(f.Engines, e)
		f.Ctrls = append(f.Ctrls, c)
		f.Counters = append(f.Counters, cs)
	}
	backend, err := admin.GuardBackend(f.Store, f.Ctrls[0].Actions)
	require.NoError(t, err)
	f.Handler, err = admin.New(admin.Config{
		Engine:   f.Engines[0],
		Backend:  backend,
		Counters: f.Counters[0],
		Tokens: []admin.Token{
			{Name: "vera", Secret: ViewerToken, Role: admin.RoleViewer},
			{Name: "olga", Secret: OperatorToken, Role: admin.RoleOperator},
		},
		Clock:  f.Clock.Now,
		Logger: Quiet,
	})
	require.NoError(t, err)
	f.Tick(t)
	return f
}

// Tick runs one round of every replica's controller.
func (f *Fixture) Tick(t testing.TB) {
	t.Helper()
	for _, c := range f.Ctrls {
		require.NoError(t, c.Tick(t.Context()))
	}
}

// Traffic records n requests of each variant on every replica.
func (f *Fixture) Traffic(rollout string, n int, canaryErrRate float64, canaryLatency time.Duration) {
	for _, cs := range f.Counters {
		for i := range n {
			cs.ObserveOutcome(gray.Outcome{Rollout: rollout, Variant: "stable", Status: 200, Latency: 40 * time.Millisecond})
			failed := float64(i%100) < canaryErrRate*100
			status := 200
			if failed {
				status = 503
			}
			cs.ObserveOutcome(gray.Outcome{Rollout: rollout, Variant: "canary", Status: status, Error: failed, Latency: canaryLatency})
		}
	}
}

// Call sends a request to the console and returns the status and body.
func (f *Fixture) Call(t testing.TB, method, path, token string, body any, hdr map[string]string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		data, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequestWithContext(t.Context(), method, "http://console.test"+path, rd)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if method == http.MethodPost {
		req.Header.Set(admin.CSRFHeader, "1")
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	f.Handler.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// MustGet sends an authenticated GET to the console and returns the body,
// failing t unless the status is 200.
func (f *Fixture) MustGet(t testing.TB, path, token string) []byte {
	t.Helper()
	status, body := f.Call(t, http.MethodGet, path, token, nil, nil)
	require.Equal(t, http.StatusOK, status, "body: %s", body)
	return body
}

// Decode unmarshals a JSON body into a T.
func Decode[T any](t testing.TB, body []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(body, &v), "body: %s", body)
	return v
}

func FindRollout(t testing.TB, rs admin.RolloutsResponse, name string) admin.RolloutView {
	t.Helper()
	for _, r := range rs.Rollouts {
		if r.Name == name {
			return r
		}
	}
	require.FailNow(t, "rollout not listed", name)
	return admin.RolloutView{}
}
