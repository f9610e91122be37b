// Command conversion shows a rollout guarded by a business metric: two
// canaries that never fail and are as fast as their stable versions, one of
// which converts 10% fewer visitors into orders. The application tracks
// each order with gray.Track; the judge compares the conversion rate of
// canary and stable with the same always-valid test it uses for errors,
// rolls back the canary that converts worse and promotes the one that
// converts as well. Time is simulated, so the whole run takes a few
// seconds and prints the same timeline every time.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// Both rollouts are judged on errors and latency, as always, and on
// "ordered": orders per visit (kind rate), higher is better.
const config = `
rollouts:
  - name: checkout-v2
    plan: &plan
      steps: [5, 20, 50, 100]
      hold: 5m
      min_requests: 2000
      guard:
        interval: 30s
        metrics:
          - {name: ordered, kind: rate, direction: higher}
  - name: search-v2
    plan: *plan
`

// conversion is the share of visits that end in an order, per rollout and
// variant: the new checkout loses one order in ten, the new search none.
var conversion = map[string]map[string]float64{
	"checkout-v2": {"stable": 0.10, "canary": 0.09},
	"search-v2":   {"stable": 0.10, "canary": 0.10},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run plays both rollouts on a simulated clock and prints their timeline.
func run(ctx context.Context, w io.Writer) error {
	cfg, err := gray.ParseConfig([]byte(config))
	if err != nil {
		return err
	}
	engine, err := gray.New(cfg)
	if err != nil {
		return err
	}
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now := start
	ctrl, err := guard.New(engine, guard.NewMemoryStore(),
		guard.WithClock(func() time.Time { return now }), guard.WithReplica("web-1"),
		guard.WithLogger(slog.New(slog.DiscardHandler)),
		guard.WithOnTransition(func(s guard.State) {
			t := s.Last
			fmt.Fprintf(w, "%6s  %-11s %-8s %5.1f%% -> %5.1f%%  %s\n", now.Sub(start), s.Rollout, t.Action, t.FromShare, t.ToShare, t.Reason)
		}))
	if err != nil {
		return err
	}
	defer ctrl.Close()

	// The application: each page decides its rollout, and a visit that
	// ends in an order is tracked against the variant that served it.
	rng := rand.New(rand.NewPCG(7, 8))
	page := func(rollout string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			variant := gray.Variant(r.Context(), rollout)
			if rng.Float64() < conversion[rollout][variant] {
				gray.Track(r.Context(), "ordered")
			}
			_, _ = io.WriteString(w, variant)
		})
	}
	mux := http.NewServeMux()
	mux.Handle("/checkout", page("checkout-v2"))
	mux.Handle("/search", page("search-v2"))
	app := gray.Middleware(engine, gray.WithKeyFromHeader("X-User"), gray.WithObserver(ctrl.Counters()))(mux)

	if err := ctrl.Tick(ctx); err != nil { // stores the first steps
		return err
	}
	for range 200 {
		if err := ctx.Err(); err != nil {
			return err
		}
		done := 0
		for _, name := range []string{"checkout-v2", "search-v2"} {
			st, err := ctrl.State(ctx, name)
			if err != nil {
				return err
			}
			if st.Phase == guard.PhaseRolledBack || st.Phase == guard.PhasePromoted {
				done++
			}
		}
		if done == 2 {
			break
		}
		// 30 seconds of traffic: 2000 visits to each page from random users.
		for _, path := range []string{"/checkout", "/search"} {
			for range 2000 {
				req := httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil)
				req.Header.Set("X-User", "user-"+strconv.Itoa(rng.IntN(1_000_000)))
				app.ServeHTTP(httptest.NewRecorder(), req)
			}
		}
		now = now.Add(30 * time.Second)
		if err := ctrl.Tick(ctx); err != nil {
			return err
		}
	}
	for _, name := range []string{"checkout-v2", "search-v2"} {
		st, err := ctrl.State(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "final: %s %s at %.0f%%\n", name, st.Phase, st.Share)
	}
	return nil
}
