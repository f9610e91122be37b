// Command guarded shows a guarded rollout: a canary walks through its plan's
// steps until, at 20%, a bad change makes it fail more often, and the judge
// rolls it back on its own. Time is simulated, so the whole rollout runs in
// well under a second, and the printed timeline is the same on every run.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

const config = `
rollouts:
  - name: checkout-v2
    plan:
      steps: [1, 5, 20, 50, 100]
      hold: 5m
      min_requests: 500
      guard: {interval: 30s, alpha: 0.05}
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run plays the rollout on a simulated clock and prints its timeline to w.
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
	clock := func() time.Time { return now }
	ctrl, err := guard.New(engine, guard.NewMemoryStore(),
		guard.WithClock(clock), guard.WithReplica("web-1"),
		guard.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
		guard.WithOnTransition(func(s guard.State) {
			t := s.Last
			fmt.Fprintf(w, "%6s  %-8s %5.1f%% -> %5.1f%%  %s\n", now.Sub(start).Truncate(time.Second), t.Action, t.FromShare, t.ToShare, t.Reason)
			if e := t.Evidence; e != nil && t.Action == guard.ActionRollback {
				fmt.Fprintf(w, "        evidence: canary %d errors / %d requests, stable %d / %d, difference in [%.4f, %.4f]\n",
					e.Canary.Errors, e.Canary.Requests, e.Stable.Errors, e.Stable.Requests, e.ErrorLower, e.ErrorUpper)
			}
		}))
	if err != nil {
		return err
	}
	defer ctrl.Close()

	if err := ctrl.Tick(ctx); err != nil { // stores the first step
		return err
	}
	rng := rand.New(rand.NewPCG(1, 2))
	broken := false
	for range 400 {
		if err := ctx.Err(); err != nil {
			return err
		}
		st, err := ctrl.State(ctx, "checkout-v2")
		if err != nil {
			return err
		}
		if st.Phase == guard.PhaseRolledBack || st.Phase == guard.PhasePromoted {
			break
		}
		if st.Share >= 20 && !broken {
			broken = true
			fmt.Fprintf(w, "%6s  a bad change ships in the canary: 6%% of its requests fail\n", now.Sub(start).Truncate(time.Second))
		}
		// 30 seconds of traffic: 3000 requests from random users.
		for range 3000 {
			d := engine.Decide("checkout-v2", gray.Subject{Key: "user-" + strconv.Itoa(rng.IntN(100000))})
			failRate := 0.01
			if d.Variant == "canary" && broken {
				failRate = 0.06
			}
			ctrl.Counters().ObserveOutcome(gray.Outcome{
				Rollout: d.Rollout, Variant: d.Variant, Status: 200,
				Error: rng.Float64() < failRate, Latency: time.Duration(20+rng.IntN(30)) * time.Millisecond,
			})
		}
		now = now.Add(30 * time.Second)
		if err := ctrl.Tick(ctx); err != nil {
			return err
		}
	}
	st, err := ctrl.State(ctx, "checkout-v2")
	if err != nil {
		return err
	}
	d := engine.Decide("checkout-v2", gray.Subject{Key: "user-1"})
	fmt.Fprintf(w, "final: %s at %.0f%%; user-1 gets %s\n", st.Phase, st.Share, d.Variant)
	return nil
}
