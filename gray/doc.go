// Package gray decides, per request and per user, which variant of a
// feature serves it: the default ("stable") or a new one ("canary").
//
// # Bucketing
//
// A subject's key is hashed with XXH64 (seed 0) into one of [Buckets]
// (10,000) buckets: [Bucket] for a bare key, [SaltedBucket] for salt + ":" +
// key. A rollout's salt defaults to its name, so rollouts pick independent
// populations. A percentage p covers buckets [0, round(p·100)), and variants
// take consecutive ranges from bucket 0 in the order they are declared:
// raising a new variant's share never moves its users out, lowering it
// removes the most recently added users first. (With several new variants,
// changing one's share shifts the ranges of those declared after it.) The same key, salt and configuration give the
// same variant in every process, on every machine, forever.
//
// # Rules, rollouts, decisions
//
// A [Rollout] has variants, a share, an on/off switch (the brake) and ordered
// [Rule]s. The first rule whose [Condition] matches decides; otherwise the
// split does; a subject with no key gets the default variant. Conditions test
// the key, request values (header, cookie, query, ip, method, path, host) and
// attributes the application supplies, with text, regex, numeric,
// semantic-version, CIDR, presence and time operators, combined with all, any
// and not. Every [Decision] carries its [Reason].
//
// A [Config] is read from YAML or JSON with [ParseConfig] (strict: every
// problem is reported with its path, e.g. rollouts[0].rules[2].when.regex) or
// built in Go. [New] compiles it into an [Engine]; [Engine.Update] swaps in a
// new one atomically or, if it is invalid, keeps the old one. The
// sub-package gray/watch reloads a file when it changes (it brings fsnotify,
// which the rest of gray does not need). [Engine.SetOverride] moves a share or pulls
// the brake at run time.
//
// # Typed values
//
// A variant may serve a value as well as a name: a bool, a number, a string,
// or a JSON object or array, written as `value` on a variant and
// `default_value` on the rollout (or built with [BoolValue], [IntValue],
// [FloatValue], [StringValue], [JSONValue] and [AnyValue]). Values are
// compiled with the configuration and checked: when one variant has a value
// every variant needs one, and all of a rollout's values are one
// [ValueKind], so a reader gets the same type whatever variant a subject
// lands on. [Decision.Value] and [Decisions.Value] return the variant's
// [Value]; its scalar reads ([Value.Bool], [Value.Int], [Value.Float],
// [Value.Text]) and [Value.JSON] do not allocate.
//
//	rollouts:
//	  - name: search-limit
//	    default_value: 20
//	    variants: [{name: canary, percent: 5, value: 50}]
//
// and in a handler behind [Middleware]:
//
//	d, _ := gray.FromContext(r.Context())
//	limit, ok := d.Value("search-limit").Int() // 20 or 50, the request's variant's
//
// # Requests
//
// [Middleware] puts the request's [Decisions] on its context; handlers ask
// [Variant] or [FromContext]. Each rollout is decided at most once per
// request, against one configuration snapshot, lazily on first ask. [Switch]
// routes a request to the handler of its variant, and [Proxy] to the
// upstream of its variant (sticky per user, unlike weighted load balancing).
// A [Propagator] signs the request's decisions into outgoing calls
// ([Transport], the gRPC client interceptors), so every service behind the
// edge follows the edge's decision ([WithPropagator]). Observers ([Observer],
// [Counters]) receive every decision and every outcome (status, latency,
// panic) per rollout and variant. Framework adapters (Gin, Echo, gRPC) use the
// same [Hook] and options, so they behave identically.
//
// The smallest useful program:
//
//	cfg, err := gray.ParseConfig([]byte("rollouts: [{name: checkout-v2, percent: 5}]"))
//	if err != nil {
//		log.Fatal(err)
//	}
//	engine, err := gray.New(cfg)
//	if err != nil {
//		log.Fatal(err)
//	}
//	checkout := gray.NewSwitch("checkout-v2", oldCheckout).Handle("canary", newCheckout)
//	// userID returns the signed-in user from your authentication (a
//	// verified session or token): never a header the client writes.
//	log.Fatal(http.ListenAndServe(":8080",
//		gray.Middleware(engine, gray.WithKeyFunc(userID))(checkout)))
//
// # Safety
//
// Bad input never panics and never fails open into a new variant: an invalid
// configuration is an error and the running one stays; a request value that is
// missing or malformed matches no leaf condition (except present: false), so
// only a rule that asks for the absence with not: can select it; an unknown
// rollout answers [DefaultVariant]. A configuration document is read within
// limits ([DefaultMaxConfigSize], [DefaultMaxConfigValues], 128 levels of
// nesting, 32 of all/any/not, a budget for regexes), so a hostile or broken
// file is refused in bounded time and memory instead of exhausting either.
// Deciding takes no lock, and [Engine.Decide] allocates nothing.
package gray
