// Package guard runs guarded rollouts: it walks a canary's share through the
// steps of its [gray.Plan] (1 → 5 → 20 → 50 → 100 by default), judges at
// every tick from outcome counts whether the canary is worse than the stable
// variant, and advances, holds, pauses, rolls back (the brake) or promotes.
//
// # Plans
//
// A rollout with a plan key in its configuration is guarded:
//
//	rollouts:
//	  - name: checkout-v2
//	    plan:
//	      steps: [1, 5, 20, 50, 100]
//	      hold: 10m          # least time per step
//	      min_requests: 1000 # least canary requests per step
//	      guard: {alpha: 0.05, latency_quantile: 0.9, latency_ratio: 1.2}
//
// See [gray.Plan] and [gray.PlanGuard] for every setting and its default.
//
// # The judge
//
// [Judge] compares canary with stable over the evidence since the run
// started. Errors are the [gray.Outcome] Error flag that adapters set (5xx,
// gRPC error codes, panics). The error test is an always-valid confidence
// sequence on the difference of error rates (the normal mixture of Howard,
// Ramdas, McAuliffe and Sekhon, "Time-uniform, nonparametric, nonasymptotic
// confidence sequences", Annals of Statistics 2021; equivalently the mixture
// SPRT of Johari, Pekelis and Walsh, "Always valid inference", Operations
// Research 2022):
//
//	d̂ ± sqrt( 2·v·(v+τ²)/τ² · log( sqrt((v+τ²)/v) / α ) ),  v = p̄(1−p̄)(1/n_canary + 1/n_stable)
//
// It stays valid however often the judge looks. The canary is rolled back
// when the lower bound is above error_tolerance (default 0), and advances
// only when the upper bound is at most max_error_increase, the hold time is
// over and the step saw min_requests canary requests. The latency test
// applies the same sequence to the share of canary requests slower than
// latency_ratio × the stable p90 (from the mergeable
// [gray.HistogramSnapshot], interpolated inside its buckets). Below
// guard.min_requests it holds: never rolls back, never advances.
//
// # Business metrics
//
// plan.guard.metrics adds metrics the judge weighs ([gray.PlanMetric]):
// outcomes the application records with gray.Track and gray.TrackValue
// (kinds rate and mean, judged by the same sequence on the canary's value
// against the stable one within a relative tolerance), and Prometheus
// queries per variant judged against min and max, read through a
// [Querier] given with [WithQuerier] ([NewPrometheus] speaks the Prometheus
// HTTP API). Tracked outcomes travel through the store's windows with the
// request counts, so every replica's add up.
//
// # Approvals and windows
//
// A plan may list steps that wait for a person (approve: [50, 100]): when
// the judge would advance into one, the rollout enters [PhaseAwaiting]
// with a request-approval transition carrying the evidence, holds its
// share, and goes on only when someone calls [Actions.Approve] (or
// advances it). A plan's window (e.g. weekdays 09:00–18:00 in one time
// zone) bounds when the judge may advance. In both cases the judge keeps
// watching: a worse canary is rolled back at any time.
//
// # Replicas and stores
//
// Each replica runs a [Controller] over the same [Store]. At every tick it
// writes its own outcome counts for the current time window, reads the shared
// [State] and applies it to its engine with [gray.Engine.SetOverride], and
// judges on every replica's windows. State changes are compare-and-swap, so a
// step is taken once however many replicas judge; a brake pulled anywhere is
// obeyed everywhere within one poll; a restarted replica picks the step up
// from the store. [NewMemoryStore] serves one process, [NewSQLStore] SQLite
// and PostgreSQL (create its tables with [SQLStore.CreateTables]).
//
// # Actions
//
// People act through [Actions] (embedded in [Controller]): Start, Approve,
// Advance, Pause, Resume, Brake, Promote and SetShare, each a compare-and-swap with an
// [AuditEntry] of who, when, what and why. Every transition, the judge's
// with its [Evidence], goes to slog and to [WithOnTransition].
//
// Start, Brake, Promote, SetShare and Pause mean the same whatever the state, so
// when the judge or another person changes it first they apply to the new
// one. Advance and Resume are decided on the state they loaded ("the next
// step" after 1% is 5%, not 20%), so they change nothing and fail with a
// [*ConflictError] carrying the state in force. A caller who decided on a
// state shown earlier passes the version it saw with [ExpectVersion].
//
// # Rollouts without a plan
//
// Brake, Resume, SetShare and Promote work on every configured rollout, so
// "stop it now" has one answer for all of them. A rollout without a plan
// has no shared state until a person acts; from then on every replica's
// controller applies its [State] at each poll, like a guarded rollout's:
// brake sends everyone to the default variant (Override{Enabled: false}),
// set-share holds a share over the configuration's ([PhaseManual]),
// promote holds 100%, and resume undoes the brake, back to what it stopped
// (the configuration's own share, or the share set by hand). Advance and
// Pause need a plan and fail with [ErrNoPlan]. A reload that removes the
// rollout leaves its state in the store, and it applies again if the
// rollout comes back.
//
// The smallest program:
//
//	engine, _ := gray.New(cfg) // cfg has a rollout with a plan
//	ctrl, err := guard.New(engine, guard.NewMemoryStore(), guard.WithReplica(hostname))
//	if err != nil {
//		log.Fatal(err)
//	}
//	if err := ctrl.Start(ctx); err != nil {
//		log.Fatal(err)
//	}
//	defer ctrl.Close()
//	handler := gray.Middleware(engine, gray.WithObserver(ctrl.Counters()))(app)
package guard
