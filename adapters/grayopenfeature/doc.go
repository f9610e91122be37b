// Package grayopenfeature is an OpenFeature provider backed by a
// [gray.Engine]: code written against the OpenFeature Go SDK
// (github.com/open-feature/go-sdk) evaluates graykit rollouts as flags, in
// process, with no network call.
//
//	provider := grayopenfeature.New(engine)
//	if err := openfeature.SetProviderAndWait(provider); err != nil {
//		log.Fatal(err)
//	}
//	client := openfeature.NewDefaultClient()
//	on, _ := client.BooleanValue(ctx, "new-search", false,
//		openfeature.NewEvaluationContext(userID, map[string]any{"plan": "pro"}))
//
// # Flags
//
// A flag is a rollout; its key is the rollout's name. The evaluation
// context's targeting key is the subject's key and its other fields are
// attributes, tested by attr:NAME in rules (text as is, bools as
// "true"/"false", numbers in decimal). A rollout whose variants carry typed
// values (gray.VariantSpec.Value) serves them: bool values to
// BooleanValue, numbers to FloatValue and, when whole, IntValue, strings to
// StringValue, objects and arrays to ObjectValue; any other pairing is a
// TYPE_MISMATCH error and the caller's default. A rollout without values
// reads as a bool (true on a new variant) or as a string (the variant's
// name). The details carry the variant's name and flag metadata "bucket"
// (when the subject has a key) and "rule" (when a rule decided).
//
// Reasons: a rule → TARGETING_MATCH; the split → SPLIT; the default
// variant past the split, or a subject without a key → DEFAULT (STATIC when
// the rollout has no rules and no share, so nobody could get another
// answer); the brake → DISABLED, with the default variant's value (the
// brake's meaning in graykit: everyone gets the default variant); a
// decision followed from an upstream service → [ReasonPropagated]; an
// unknown rollout → FLAG_NOT_FOUND and the caller's default.
//
// # Requests
//
// Inside a request behind graykit's middleware (gray.Middleware or any
// adapter), an evaluation whose context carries the request's decisions
// returns the request's pinned decision, the one [gray.Variant] returns:
// the two never disagree, even across a reload in the middle of the
// request. Pass the request's context to the SDK (client.BooleanValue(
// r.Context(), …)). An evaluation context with another targeting key asks
// about another subject and is decided for it. Give the provider the same
// engine as the middleware.
//
// # Events
//
// After Init the provider emits PROVIDER_CONFIGURATION_CHANGED whenever the
// engine's configuration changes (a reload, an override, a guarded
// rollout's step or rollback), and PROVIDER_STALE while a source of
// configuration fails, then PROVIDER_READY when it recovers; see
// [Provider.EventChannel]. Connect the sources:
//
//	w, err := watch.File(ctx, engine, "rollouts.yaml", watch.OnReload(provider.FileReloaded))
//	ctrl, err := guard.New(engine, store, guard.WithOnTick(provider.StoreTicked))
//
// # Tracking
//
// [Provider.Track] attributes OpenFeature tracking events to the variants
// their subject got and hands them to [TrackObserver]s, such as
// [TrackCounters]. Events that [WithTrackOutcome] maps to an outcome (a
// payment that failed, say) reach graykit's observers ([WithObserver]: a
// *gray.Counters, the Prometheus collector, the guard's counts) as outcomes
// of those variants; other events are not request outcomes and are left
// out of them. Evaluations outside a request report their decisions to the
// same observers.
package grayopenfeature
