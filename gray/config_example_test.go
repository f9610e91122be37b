package gray_test

import (
	"fmt"

	"github.com/graykit/graykit/gray"
)

// ParseConfig reads YAML or JSON with one strict schema; a mistake is an
// error that names where it is, and nothing of a bad file is used.
func ExampleParseConfig() {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: checkout-v2
    percent: 5
    rules:
      - name: beta
        when: {field: "cookie:version", eq: beta}
        serve: canary
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := cfg.Rollouts[0]
	fmt.Println(r.Name, r.Percent, r.Rules[0].Name, r.Rules[0].Serve)

	_, err = gray.ParseConfig([]byte(`{"rollouts": [{"name": "checkout-v2", "percent": 101}]}`))
	fmt.Println(err)
	_, err = gray.ParseConfig([]byte(`
rollouts:
  - name: checkout-v2
    rules: [{name: beta, when: {field: "cookie:version", eq: beta}, serve: canary, prcent: 50}]
`))
	fmt.Println(err)
	// Output:
	// checkout-v2 5 beta canary
	// gray: rollouts[0].percent: 101 is above 100
	// gray: rollouts[0].rules[0].prcent: unknown field
}
