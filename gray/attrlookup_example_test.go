package gray_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/graykit/graykit/gray"
)

// Attributes read by name from the request only when a rule asks, with no
// map built per request.
func ExampleWithAttributeLookup() {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: checkout-v2
    rules: [{name: ios, when: {field: "attr:platform", eq: ios}, serve: canary}]
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
	h := gray.Middleware(e,
		gray.WithKeyFromHeader("X-User"),
		gray.WithAttributeLookup(func(_ context.Context, r gray.Request, name string) (string, bool) {
			if name == "platform" {
				return r.Header("X-Platform")
			}
			return "", false
		}),
	)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		fmt.Println(gray.Variant(r.Context(), "checkout-v2"))
	}))
	for _, platform := range []string{"ios", "android"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("X-User", "u-1")
		r.Header.Set("X-Platform", platform)
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	// Output:
	// canary
	// stable
}
