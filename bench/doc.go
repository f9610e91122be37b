// Package bench measures graykit side by side with the libraries users would
// pick instead (LaunchDarkly's evaluator, OpenFeature's in-memory provider,
// Unleash's gradual-rollout algorithm) and with the floor (one xxhash and a
// comparison). It is a separate module, so that the peers never enter the
// dependency graph of graykit's users. Everything is in the tests; run.sh
// writes the published table, RESULTS.md. See README.md.
package bench
