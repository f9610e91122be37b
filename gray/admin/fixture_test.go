package admin_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/gray/guard"
)

// Tokens of the test console.
const (
	viewerToken   = "viewer-token-0123456789"
	operatorToken = "operator-token-0123456789"
)

const fixtureConfig = `rollouts:
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

// quiet discards the log of actions and transitions.
var quiet = slog.New(slog.DiscardHandler)

// clock is a settable clock shared by engines, controllers and handler.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is an application of several replicas sharing one guard store,
// with the console mounted on the first.
type fixture struct {
	clock    *clock
	store    guard.Store
	engines  []*gray.Engine
	ctrls    []*guard.Controller
	counters []*gray.Counters
	handler  *admin.Handler
}

func newFixture(t *testing.T, replicas int) *fixture {
	t.Helper()
	return newFixtureConfig(t, fixtureConfig, replicas)
}

// newFixtureConfig builds replicas of an application with configuration
// text, sharing one store, and ticks every controller once.
func newFixtureConfig(t *testing.T, text string, replicas int) *fixture {
	t.Helper()
	return newFixtureStore(t, text, replicas, guard.NewMemoryStore())
}

// newFixtureStore is newFixtureConfig on a given store.
func newFixtureStore(t *testing.T, text string, replicas int, store guard.Store) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{t: time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)}, store: store}
	for i := range replicas {
		cfg, err := gray.ParseConfig([]byte(text))
		require.NoError(t, err)
		e, err := gray.New(cfg, gray.WithClock(f.clock.Now))
		require.NoError(t, err)
		cs := gray.NewCounters()
		c, err := guard.New(e, f.store, guard.WithClock(f.clock.Now), guard.WithCounters(cs),
			guard.WithReplica("replica-"+string(rune('a'+i))), guard.WithLogger(quiet))
		require.NoError(t, err)
		f.engines = append(f.engines, e)
		f.ctrls = append(f.ctrls, c)
		f.counters = append(f.counters, cs)
	}
	backend, err := admin.GuardBackend(f.store, f.ctrls[0].Actions)
	require.NoError(t, err)
	f.handler, err = admin.New(admin.Config{
		Engine:   f.engines[0],
		Backend:  backend,
		Counters: f.counters[0],
		Tokens: []admin.Token{
			{Name: "vera", Secret: viewerToken, Role: admin.RoleViewer},
			{Name: "olga", Secret: operatorToken, Role: admin.RoleOperator},
		},
		Clock:  f.clock.Now,
		Logger: quiet,
	})
	require.NoError(t, err)
	f.tick(t)
	return f
}

// tick runs one round of every replica's controller.
func (f *fixture) tick(t *testing.T) {
	t.Helper()
	for _, c := range f.ctrls {
		require.NoError(t, c.Tick(t.Context()))
	}
}

// traffic records n requests of each variant on every replica.
func (f *fixture) traffic(rollout string, n int, canaryErrRate float64, canaryLatency time.Duration) {
	for _, cs := range f.counters {
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

// call sends a request to the console and returns the status and body.
func (f *fixture) call(t *testing.T, method, path, token string, body any, hdr map[string]string) (int, []byte) {
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
	f.handler.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

// decode unmarshals a JSON body into a T.
func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(body, &v), "body: %s", body)
	return v
}

func findRollout(t *testing.T, rs admin.RolloutsResponse, name string) admin.RolloutView {
	t.Helper()
	for _, r := range rs.Rollouts {
		if r.Name == name {
			return r
		}
	}
	require.FailNow(t, "rollout not listed", name)
	return admin.RolloutView{}
}
