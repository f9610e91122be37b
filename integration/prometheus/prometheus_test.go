package prometheus_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/adapters/grayprom"
	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/integration/internal/proc"
	"github.com/graykit/graykit/internal/testenv"
)

// The share of payments that fail, per rollout and variant: "bad"'s
// canary fails one in five, everything else one in a hundred.
const appConfig = `
rollouts:
  - name: bad
    plan: &plan
      steps: [50, 100]
      hold: 1m
      min_requests: 100
      guard:
        min_requests: 100
        disable_latency: true
        metrics:
          - name: payment_failures
            kind: prometheus
            query: >-
              sum(graykit_tracked_count{rollout="{{.Rollout}}",variant="{{.Variant}}",outcome="payment_failed"})
              / sum(graykit_requests_total{rollout="{{.Rollout}}",variant="{{.Variant}}"})
            max: 0.05
  - name: good
    plan: *plan
`

// TestPrometheusSource: the guard reads a PromQL query per variant from a
// real Prometheus that scrapes the application's grayprom endpoint, rolls
// back the canary whose failure ratio is above the threshold and advances
// the one within it.
func TestPrometheusSource(t *testing.T) {
	bin := testenv.Prometheus(t)
	ctx := t.Context()

	cfg, err := gray.ParseConfig([]byte(appConfig))
	require.NoError(t, err)
	engine, err := gray.New(cfg)
	require.NoError(t, err)
	client := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)

	// The application: the rollouts, the middleware counting into the
	// controller's counters, and grayprom's endpoint, on loopback.
	querier := &lazyQuerier{}
	clock := &clock{now: time.Now().Truncate(time.Minute)} // aligned with the guard interval: the first window counts
	ctrl, err := guard.New(engine, guard.NewMemoryStore(), guard.WithQuerier(querier), guard.WithClock(clock.Now),
		guard.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	require.NoError(t, ctrl.Tick(ctx)) // both rollouts at their first step, 50%
	reg := prom.NewPedanticRegistry()
	require.NoError(t, reg.Register(grayprom.New(ctrl.Counters())))
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	checkout := gray.Middleware(engine, gray.WithKeyFromHeader("X-User"), gray.WithObserver(ctrl.Counters()))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rollout := r.URL.Query().Get("rollout")
			i, _ := strconv.Atoi(r.URL.Query().Get("i"))
			every := 100
			if gray.Variant(r.Context(), rollout) == "canary" && rollout == "bad" {
				every = 5
			}
			if i%every == 0 {
				gray.Track(r.Context(), "payment_failed")
			}
		}))
	mux.Handle("/checkout", checkout)
	app := httptest.NewServer(mux)
	defer app.Close()

	promURL := startPrometheus(t, bin, app.Listener.Addr().String())
	p, err := guard.NewPrometheus(promURL, client, nil)
	require.NoError(t, err)
	querier.set(p)

	const perRollout = 2000
	for _, rollout := range []string{"bad", "good"} {
		for i := range perRollout {
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/checkout?rollout="+rollout+"&i="+strconv.Itoa(i), nil)
			req.Header.Set("X-User", fmt.Sprintf("user-%d", i))
			checkout.ServeHTTP(httptest.NewRecorder(), req)
		}
	}

	// Wait until Prometheus has scraped every request.
	deadline := time.Now().Add(60 * time.Second)
	for {
		v, err := p.Query(ctx, "sum(graykit_requests_total)")
		if err == nil && v == 2*perRollout {
			break
		}
		require.True(t, time.Now().Before(deadline), "Prometheus did not scrape the application within 60s (last: %v, %v)", v, err)
		time.Sleep(200 * time.Millisecond)
	}
	canaryRatio, err := p.Query(ctx, `sum(graykit_tracked_count{rollout="bad",variant="canary",outcome="payment_failed"}) / sum(graykit_requests_total{rollout="bad",variant="canary"})`)
	require.NoError(t, err)
	assert.InDelta(t, 0.2, canaryRatio, 0.05, "one canary payment in five fails")

	clock.add(2 * time.Minute) // past the hold
	require.NoError(t, ctrl.Tick(ctx))

	bad, ok := ctrl.Evidence("bad")
	require.True(t, ok)
	assert.Equal(t, guard.VerdictRegress, bad.Verdict, bad.Why)
	assert.Contains(t, bad.Why, "metric payment_failures: canary 0.")
	assert.Contains(t, bad.Why, "outside its allowed range")
	require.Len(t, bad.Metrics, 1)
	assert.InDelta(t, canaryRatio, bad.Metrics[0].Canary, 1e-9, "the judge read what Prometheus answers")
	assert.True(t, bad.Metrics[0].Worse)
	assert.InDelta(t, 0.01, bad.Metrics[0].Stable, 0.01)

	good, ok := ctrl.Evidence("good")
	require.True(t, ok)
	assert.Equal(t, guard.VerdictAdvance, good.Verdict, good.Why)
	require.Len(t, good.Metrics, 1)
	assert.False(t, good.Metrics[0].Worse)
	assert.Empty(t, good.Metrics[0].Unread)
	assert.InDelta(t, 0.01, good.Metrics[0].Canary, 0.01)

	st, err := ctrl.State(ctx, "bad")
	require.NoError(t, err)
	assert.Equal(t, guard.PhaseRolledBack, st.Phase)
	st, err = ctrl.State(ctx, "good")
	require.NoError(t, err)
	assert.Equal(t, 100.0, st.Share)

	// A query Prometheus rejects leaves the metric unread, with its error.
	_, err = p.Query(ctx, "sum(")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad_data")
}

// lazyQuerier is set once Prometheus runs (it needs the application's
// address first); until then every query fails.
type lazyQuerier struct {
	mu sync.Mutex
	q  guard.Querier
}

func (l *lazyQuerier) set(q guard.Querier) { l.mu.Lock(); l.q = q; l.mu.Unlock() }

func (l *lazyQuerier) Query(ctx context.Context, query string) (float64, error) {
	l.mu.Lock()
	q := l.q
	l.mu.Unlock()
	if q == nil {
		return 0, errors.New("no Prometheus yet")
	}
	return q.Query(ctx, query)
}

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// startPrometheus runs the server on a free loopback port with a throwaway
// data directory and a configuration that scrapes target every second,
// and stops it when the test ends. It returns the server's URL.
func startPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	dir := t.TempDir()
	config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: graykit-app
    static_configs:
      - targets: [%q]
`, target)
	path := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(path, []byte(config), 0o600))
	addr := "127.0.0.1:" + strconv.Itoa(proc.FreePort(t))
	var out proc.Output
	cmd := exec.Command(bin,
		"--config.file="+path,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
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
			t.Logf("prometheus's log:\n%s", out.String())
		}
	})
	url := "http://" + addr
	client := &http.Client{Transport: &http.Transport{}, Timeout: 2 * time.Second}
	defer client.CloseIdleConnections()
	ready := time.Now().Add(30 * time.Second)
	for {
		res, err := client.Get(url + "/-/ready")
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return url
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("prometheus exited: %v\n%s", err, out.String())
		case <-time.After(100 * time.Millisecond):
		}
		require.True(t, time.Now().Before(ready), "prometheus not ready within 30s:\n%s", out.String())
	}
}
