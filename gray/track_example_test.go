package gray_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/graykit/graykit/gray"
)

// Track records business outcomes against the variants that served the
// request; gray.Counters (and the guard's judge, through it) count them
// per rollout and variant.
func ExampleTrack() {
	cfg, _ := gray.ParseConfig([]byte(`
rollouts:
  - name: checkout-v2
    rules: [{name: testers, when: {field: "header:X-Gray", eq: canary}, serve: canary}]
`))
	engine, _ := gray.New(cfg)
	counters := gray.NewCounters()
	checkout := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gray.Variant(r.Context(), "checkout-v2") == "canary" {
			// … the new checkout …
		}
		gray.Track(r.Context(), "checkout_completed")
		gray.TrackValue(r.Context(), "order_value", 42.5)
	})
	app := gray.Middleware(engine, gray.WithKeyFromHeader("X-User"), gray.WithObserver(counters))(checkout)

	req := httptest.NewRequest(http.MethodPost, "/checkout", nil)
	req.Header.Set("X-User", "user-42")
	req.Header.Set("X-Gray", "canary")
	app.ServeHTTP(httptest.NewRecorder(), req)

	m := counters.Stats("checkout-v2", "canary").Metrics
	fmt.Println(m["checkout_completed"].Count, m["order_value"].Mean())
	// Output: 1 42.5
}
