package gray_test

import (
	"context"
	"fmt"
	"log"

	"github.com/graykit/graykit/gray"
)

// A rollout whose variants serve typed values: the caller reads a number,
// not a variant name.
func ExampleDecision_Value() {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: search-limit
    default_value: 20
    variants: [{name: canary, percent: 50, value: 50}]
`))
	if err != nil {
		log.Fatal(err)
	}
	engine, err := gray.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	for _, user := range []string{"user-1", "user-2", ""} {
		d := engine.Decide("search-limit", gray.Subject{Key: user})
		limit, _ := d.Value().Int()
		fmt.Printf("%q: %s (%s) limit %d\n", user, d.Variant, d.Reason, limit)
	}
	// Output:
	// "user-1": canary (split) limit 50
	// "user-2": stable (default) limit 20
	// "": stable (no key) limit 20
}

// Values built in Go go through the same checks as a configuration file.
func ExampleAnyValue() {
	theme, err := gray.AnyValue(map[string]any{"color": "#0a84ff", "radius": 8})
	if err != nil {
		log.Fatal(err)
	}
	old, _ := gray.JSONValue([]byte(`{"color": "#444444", "radius": 2}`))
	cfg := &gray.Config{Rollouts: []gray.Rollout{{
		Name:         "new-theme",
		DefaultValue: old,
		Variants:     []gray.VariantSpec{{Name: "canary", Percent: 100, Value: theme}},
	}}}
	engine, err := gray.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	v := engine.Decide("new-theme", gray.Subject{Key: "user-1"}).Value()
	fmt.Println(v.Kind(), v.JSON())

	// Values of two types in one rollout are refused.
	cfg.Rollouts[0].Variants[0].Value = gray.StringValue("blue")
	_, err = gray.New(cfg)
	fmt.Println(err)
	// Output:
	// object {"color":"#0a84ff","radius":8}
	// gray: rollouts[0].variants[0].value: a string, but rollouts[0].default_value is an object: a rollout's values are all one type, so every subject can read it the same way
}

// In a request, the value comes from the request's pinned decision, so it
// agrees with gray.Variant.
func ExampleDecisions_Value() {
	cfg, _ := gray.ParseConfig([]byte(`
rollouts:
  - {name: new-checkout, default_value: false, variants: [{name: canary, percent: 100, value: true}]}
`))
	engine, _ := gray.New(cfg)
	// gray.Middleware does this for every HTTP request.
	ctx := gray.NewContext(context.Background(), engine, gray.Subject{Key: "user-1"})

	d, _ := gray.FromContext(ctx)
	on, _ := d.Value("new-checkout").Bool()
	fmt.Println(gray.Variant(ctx, "new-checkout"), on)
	// Output: canary true
}
