package bench_test

import (
	"fmt"
	"slices"

	"github.com/graykit/graykit/gray"
)

// The job every peer does: is user U in the 5% canary of rollout R, and which
// variant does U get, after three targeting rules that do not match the
// benchmark users.
const (
	rolloutName = "checkout-v2" // also the salt, graykit's default
	canaryPct   = 5
	// canaryBuckets is graykit's threshold: buckets [0, 500) of 10,000.
	canaryBuckets = canaryPct * gray.Buckets / 100
	userRegion    = "eu-west-1"
	userPlatform  = "android"
	numKeys       = 1024 // a power of two: keys[i&keyMask]
	keyMask       = numKeys - 1
)

// Sinks keep the compiler from dropping the work; package-level, written only
// by benchmarks.
var (
	sink    int
	sinkStr string
)

var (
	// ruleRegions and rulePlatforms are the lists of the two attribute rules;
	// the benchmark users are in eu-west-1 on android, so neither matches.
	ruleRegions   = []string{"eu-north-1", "ap-south-1", "us-east-2"}
	rulePlatforms = []string{"ios-beta", "tvos"}
)

// benchKeys are the 1,024 user keys every peer decides for: the keys of
// gray's own benchmarks ("user-000042").
func benchKeys() []string {
	keys := make([]string, numKeys)
	for i := range keys {
		keys[i] = fmt.Sprintf("user-%06d", i)
	}
	return keys
}

// staffKeys is the user list of the third rule; no benchmark key is in it.
func staffKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("staff-%07d", i)
	}
	return keys
}

// threeRulesConfig is the rollout as graykit sees it, built in Go (the same
// as the YAML in README.md).
func threeRulesConfig(pct float64) *gray.Config {
	return &gray.Config{Rollouts: []gray.Rollout{{
		Name:    rolloutName,
		Percent: pct,
		Rules: []gray.Rule{
			{Name: "regions", When: gray.Condition{Field: "attr:region", In: ruleRegions}, Serve: "canary"},
			{Name: "platforms", When: gray.Condition{Field: "attr:platform", In: rulePlatforms}, Serve: "canary"},
			{Name: "staff", When: gray.Condition{Field: "key", In: staffKeys(100)}, Serve: "canary"},
		},
	}}}
}

// userListConfig has a single rule: the key in a list of n keys.
func userListConfig(n int) *gray.Config {
	return &gray.Config{Rollouts: []gray.Rollout{{
		Name:    rolloutName,
		Percent: canaryPct,
		Rules:   []gray.Rule{{Name: "staff", When: gray.Condition{Field: "key", In: staffKeys(n)}, Serve: "canary"}},
	}}}
}

// manyRulesConfig has n rules that do not match, cycling through the two
// attribute lists and a short key list.
func manyRulesConfig(n int) *gray.Config {
	rules := make([]gray.Rule, n)
	for i := range rules {
		var c gray.Condition
		switch i % 3 {
		case 0:
			c = gray.Condition{Field: "attr:region", In: []string{fmt.Sprintf("r%d-a", i), fmt.Sprintf("r%d-b", i)}}
		case 1:
			c = gray.Condition{Field: "attr:platform", In: []string{fmt.Sprintf("p%d-a", i), fmt.Sprintf("p%d-b", i)}}
		default:
			c = gray.Condition{Field: "key", In: []string{fmt.Sprintf("k%d-a", i), fmt.Sprintf("k%d-b", i), fmt.Sprintf("k%d-c", i)}}
		}
		rules[i] = gray.Rule{Name: fmt.Sprintf("rule-%d", i), When: c, Serve: "canary"}
	}
	return &gray.Config{Rollouts: []gray.Rollout{{Name: rolloutName, Percent: canaryPct, Rules: rules}}}
}

func userAttrs() map[string]string {
	return map[string]string{"region": userRegion, "platform": userPlatform}
}

// byHand is the same job written by hand with no library: the rules as a
// slice scan and a set, then the hash.
type byHand struct {
	staff map[string]struct{}
}

func newByHand() byHand {
	staff := make(map[string]struct{})
	for _, k := range staffKeys(100) {
		staff[k] = struct{}{}
	}
	return byHand{staff: staff}
}

func (h byHand) ruleMatches(key, region, platform string) bool {
	if slices.Contains(ruleRegions, region) || slices.Contains(rulePlatforms, platform) {
		return true
	}
	_, ok := h.staff[key]
	return ok
}
