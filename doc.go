// Package graykit is a library for in-app gray release (canary release):
// an application decides, per request and per user, whether the old or the
// new version of a feature serves it, raises that share step by step
// (1% → 5% → 20% → 100%) with a brake at every step, and keeps its data safe
// while old and new code share one database.
//
// This package holds no code; the library lives in its subpackages:
//
//   - [github.com/graykit/graykit/gray]: bucketing, rules, rollouts,
//     configuration, the engine, decisions in a context.Context, net/http
//     middleware, Switch and Proxy, signed propagation across services,
//     observation hooks.
//   - [github.com/graykit/graykit/gray/guard]: guarded rollouts that advance
//     or roll back by themselves, with state shared by every replica.
//   - [github.com/graykit/graykit/gray/admin]: the operator console (JSON API
//     and page); cmd/graykit is its command-line client.
//   - [github.com/graykit/graykit/gray/ofrep]: the request's decisions for
//     browsers and mobile apps, over the OpenFeature Remote Evaluation
//     Protocol (rollouts marked "client: true" only).
//   - github.com/graykit/graykit/adapters/graygin, grayecho, graygrpc: the
//     same middleware for Gin, Echo and gRPC; grayprom exports the counters
//     to Prometheus.
//   - [github.com/graykit/graykit/dualwrite]: expand → dual-write → backfill →
//     switch reads → contract, for a new column or a whole new store.
//
// # Why users, not requests
//
// Nginx-style weights split requests, so one user bounces between versions
// from click to click. graykit splits users: each key is hashed (XXH64) into
// one of 10,000 buckets, a percentage p covers buckets [0, round(p·100)), and
// so a user stays on one side and raising the share only ever adds users.
//
// # The smallest program
//
//	cfg, err := gray.ParseConfig([]byte(`
//	rollouts:
//	  - name: checkout-v2
//	    percent: 5
//	    rules:
//	      - name: beta-cookie
//	        when: {field: "cookie:version", eq: beta}
//	        serve: canary
//	`))
//	if err != nil { log.Fatal(err) }
//	engine, err := gray.New(cfg)
//	if err != nil { log.Fatal(err) }
//	mux := http.NewServeMux()
//	mux.Handle("/checkout", gray.NewSwitch("checkout-v2", oldCheckout).Handle("canary", newCheckout))
//	// userID is the signed-in user, from your authentication: a key the
//	// client could write itself would let it pick its bucket.
//	http.ListenAndServe(":8080", gray.Middleware(engine, gray.WithKeyFunc(userID))(mux))
//
// Run the tour with `go run ./examples/quickstart`.
package graykit
