package gray_test

import (
	"fmt"

	"github.com/graykit/graykit/gray"
)

// A rollout bucketed by organisation, a second one that needs the first's
// canary, and a segment both could use.
func Example_targeting() {
	cfg, err := gray.ParseConfig([]byte(`
segments:
  - {name: staff, when: {field: key, in: [alice, bob]}}
rollouts:
  - name: checkout-v2
    percent: 50
    bucket_by: attr:org_id
    rules: [{name: staff, when: {segment: staff}, serve: canary}]
  - name: payment-v2
    percent: 100
    prerequisites: [{rollout: checkout-v2, variants: [canary]}]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	e, err := gray.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range []gray.Subject{
		{Key: "alice"},
		{Key: "carol"},
		{Key: "dave", Attrs: map[string]string{"org_id": "initech"}}, // bucket 994
		{Key: "erin", Attrs: map[string]string{"org_id": "initech"}},
		{Key: "frank", Attrs: map[string]string{"org_id": "acme"}}, // bucket 8490
	} {
		a, b := e.Decide("checkout-v2", s), e.Decide("payment-v2", s)
		fmt.Printf("%-5s checkout %-6s (%s)  payment %-6s (%s)\n", s.Key, a.Variant, a.Reason, b.Variant, b.Reason)
	}
	// Output:
	// alice checkout canary (rule)  payment canary (split)
	// carol checkout stable (no bucket value)  payment stable (prerequisite)
	// dave  checkout canary (split)  payment canary (split)
	// erin  checkout canary (split)  payment canary (split)
	// frank checkout stable (default)  payment stable (prerequisite)
}
