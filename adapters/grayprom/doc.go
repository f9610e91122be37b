// Package grayprom exports graykit's counts to Prometheus: a
// [prometheus.Collector] over a [gray.Counters] and, optionally, the shared
// state of guarded rollouts ([guard.Store]).
//
// # Metrics
//
// Per rollout and variant (labels rollout, variant):
//
//	graykit_decisions_total               counter    decisions made
//	graykit_requests_total                counter    requests that ended
//	graykit_request_errors_total          counter    failed requests (Outcome.Error: 5xx, gRPC error codes, panics)
//	graykit_request_panics_total          counter    requests whose handler panicked
//	graykit_request_duration_seconds      histogram  latency, in graykit's fixed log-spaced buckets
//	graykit_tracked{outcome=…}            summary    outcomes tracked with gray.Track / gray.TrackValue:
//	                                                 _count how many, _sum the sum of their values
//
// Per guarded rollout (label rollout), with [WithStates]:
//
//	graykit_guard_share_ratio             gauge      canary share in force, 0–1 (0.05 is 5%)
//	graykit_guard_step                    gauge      index of the plan step in force, -1 below the first
//	graykit_guard_phase{phase=…}          gauge      1 for the current phase: running, paused, rolled-back, promoted, manual
//	graykit_guard_state_version           gauge      grows by one with every transition
//	graykit_guard_states_up               gauge      0 when the state store failed (guard series left out), else 1
//
// The histogram's buckets are the bounds of [gray.HistogramBounds] (10µs
// growing by 1.25×); its _sum is estimated from them, since graykit keeps
// counts only.
//
// A conversion rate per variant, for dashboards or a guard metric of kind
// prometheus:
//
//	sum(rate(graykit_tracked_count{outcome="checkout_completed",variant="canary"}[5m]))
//	  / sum(rate(graykit_requests_total{variant="canary"}[5m]))
//
// # Usage
//
//	counters := gray.NewCounters()
//	reg := prometheus.NewRegistry()
//	reg.MustRegister(grayprom.New(counters, grayprom.WithStates(store)))
//	http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//	app := gray.Middleware(engine, gray.WithObserver(counters))(handler)
package grayprom
