package grayopenfeature_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/open-feature/go-sdk/openfeature"

	"github.com/graykit/graykit/adapters/grayopenfeature"
	"github.com/graykit/graykit/gray"
)

// Rollouts evaluated through the OpenFeature SDK: the targeting key is the
// user, other fields are attributes for attr: rules.
func Example() {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: new-search
    default_value: false
    variants: [{name: canary, percent: 50, value: true}]
    rules:
      - {name: staff, when: {field: "attr:team", eq: staff}, serve: canary}
  - name: page-size
    default_value: 20
    variants: [{name: large, percent: 0, value: 50}]
`))
	if err != nil {
		log.Fatal(err)
	}
	engine, err := gray.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	if err := openfeature.SetProviderAndWait(grayopenfeature.New(engine)); err != nil {
		log.Fatal(err)
	}
	defer openfeature.Shutdown()
	client := openfeature.NewDefaultClient()
	ctx := context.Background()

	for _, ec := range []openfeature.EvaluationContext{
		openfeature.NewEvaluationContext("user-5", nil),
		openfeature.NewEvaluationContext("user-2", nil),
		openfeature.NewEvaluationContext("user-2", map[string]any{"team": "staff"}),
	} {
		d, _ := client.BooleanValueDetails(ctx, "new-search", false, ec)
		fmt.Println(ec.TargetingKey(), d.Value, d.Variant, d.Reason)
	}
	size, _ := client.IntValue(ctx, "page-size", 10, openfeature.NewEvaluationContext("user-1", nil))
	fmt.Println("page size", size)
	_, err = client.StringValue(ctx, "page-size", "x", openfeature.EvaluationContext{})
	fmt.Println(err)
	// Output:
	// user-5 true canary SPLIT
	// user-2 false stable DEFAULT
	// user-2 true canary TARGETING_MATCH
	// page size 20
	// error code: TYPE_MISMATCH: graykit: rollout "page-size" serves a number value, not a string
}

// Behind graykit's middleware, OpenFeature returns the request's decision:
// the same as gray.Variant, whatever happens to the configuration while
// the request runs.
func Example_request() {
	cfg, _ := gray.ParseConfig([]byte(`rollouts: [{name: checkout-v2, percent: 50}]`))
	engine, _ := gray.New(cfg)
	_ = openfeature.SetProviderAndWait(grayopenfeature.New(engine))
	defer openfeature.Shutdown()
	client := openfeature.NewDefaultClient()

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// No targeting key: the request's subject (here the X-User header).
		on, _ := client.BooleanValue(r.Context(), "checkout-v2", false, openfeature.EvaluationContext{})
		fmt.Println(r.Header.Get("X-User"), gray.Variant(r.Context(), "checkout-v2"), on)
	})
	srv := gray.Middleware(engine, gray.WithKeyFromHeader("X-User"))(handler)
	for _, user := range []string{"user-1", "user-3"} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("X-User", user)
		srv.ServeHTTP(httptest.NewRecorder(), req)
	}
	// Output:
	// user-1 canary true
	// user-3 stable false
}
