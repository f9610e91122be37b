package guard_test

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// A guarded rollout on one replica: the controller starts the plan at its
// first step, a person advances it, and the brake sends everyone back to
// the default variant at the next tick. A real program calls Start, which
// ticks every poll interval until Close; the example ticks by hand.
func ExampleNew() {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: checkout-v2
    plan: {steps: [1, 5, 20, 50, 100], hold: 10m, min_requests: 1000}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	engine, err := gray.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	ctrl, err := guard.New(engine, guard.NewMemoryStore(),
		guard.WithReplica("web-1"),
		guard.WithClock(func() time.Time { return now }),
		guard.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	show := func(st guard.State) {
		fmt.Printf("%s: %s, step %d, %g%% (%s by %s)\n", st.Rollout, st.Phase, st.Step, st.Share, st.Last.Action, st.Last.Actor)
	}

	if err := ctrl.Tick(ctx); err != nil { // the first tick starts the plan
		fmt.Println(err)
		return
	}
	st, _ := ctrl.State(ctx, "checkout-v2")
	show(st)

	st, err = ctrl.Advance(ctx, "checkout-v2", "olga", "dashboards look fine")
	if err != nil {
		fmt.Println(err)
		return
	}
	show(st)

	st, _ = ctrl.Brake(ctx, "checkout-v2", "olga", "checkout errors in the EU")
	show(st)
	_ = ctrl.Tick(ctx) // every replica applies the state at its next tick
	d := engine.Decide("checkout-v2", gray.Subject{Key: "user-42"})
	fmt.Println("user-42 gets", d.Variant, "because", d.Reason)
	// Output:
	// checkout-v2: running, step 0, 1% (start by guard/web-1)
	// checkout-v2: running, step 1, 5% (advance by olga)
	// checkout-v2: rolled-back, step -1, 0% (brake by olga)
	// user-42 gets stable because off
}
