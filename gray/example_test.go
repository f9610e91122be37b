package gray_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/graykit/graykit/gray"
)

func ExampleBucket() {
	fmt.Println(gray.Bucket("user-42"))
	fmt.Println(gray.SaltedBucket("checkout-v2", "user-42"))
	// Output:
	// 1169
	// 27
}

func ExampleEngine_Decide() {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: checkout-v2
    percent: 5
    rules:
      - name: staff
        when: {field: key, in: [u-1, u-2]}
        serve: canary
`))
	if err != nil {
		log.Fatal(err)
	}
	engine, err := gray.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	for _, user := range []string{"u-1", "user-42", "alice@example.com", ""} {
		d := engine.Decide("checkout-v2", gray.Subject{Key: user})
		fmt.Printf("%-18q %-6s reason=%s rule=%q bucket=%d\n", user, d.Variant, d.Reason, d.Rule, d.Bucket)
	}
	// Output:
	// "u-1"              canary reason=rule rule="staff" bucket=8622
	// "user-42"          canary reason=split rule="" bucket=27
	// "alice@example.com" stable reason=default rule="" bucket=1434
	// ""                 stable reason=no key rule="" bucket=-1
}

// The README's usage example: a new checkout for 5% of users and for anyone
// with the version=beta cookie, behind one route.
func ExampleMiddleware() {
	cfg, _ := gray.ParseConfig([]byte(`
rollouts:
  - name: checkout-v2
    percent: 5
    rules: [{name: beta, when: {field: "cookie:version", eq: beta}, serve: canary}]
`))
	engine, _ := gray.New(cfg)
	oldCheckout := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "old checkout") })
	newCheckout := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "new checkout") })
	mux := http.NewServeMux()
	mux.Handle("/checkout", gray.NewSwitch("checkout-v2", oldCheckout).Handle("canary", newCheckout))
	// userID stands for your authentication: the signed-in user of a
	// verified session, never a value the client writes itself.
	sessions := map[string]string{"s-3f9a": "user-42", "s-77c1": "alice@example.com"}
	userID := func(r *http.Request) string {
		c, err := r.Cookie("session")
		if err != nil {
			return ""
		}
		return sessions[c.Value]
	}
	handler := gray.Middleware(engine, gray.WithKeyFunc(userID))(mux)
	// http.ListenAndServe(":8080", handler)

	for _, session := range []string{"s-3f9a", "s-77c1"} {
		r := httptest.NewRequest(http.MethodGet, "/checkout", nil)
		r.AddCookie(&http.Cookie{Name: "session", Value: session})
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Println(sessions[session], "->", w.Body.String())
	}
	// Output:
	// user-42 -> new checkout
	// alice@example.com -> old checkout
}

func ExampleVariant() {
	cfg, _ := gray.ParseConfig([]byte("rollouts: [{name: search-v2, percent: 100}]"))
	engine, _ := gray.New(cfg)
	// Outside a request (a job, a consumer), NewContext opens the decisions.
	ctx := gray.NewContext(context.Background(), engine, gray.Subject{Key: "user-7"})
	if gray.Variant(ctx, "search-v2") == "canary" {
		fmt.Println("new search")
	}
	fmt.Println(gray.Variant(context.Background(), "search-v2"))
	// Output:
	// new search
	// stable
}

func ExampleEngine_Explain() {
	cfg, _ := gray.ParseConfig([]byte(`
rollouts:
  - name: checkout-v2
    percent: 0
    rules:
      - {name: testers, when: {field: "header:X-Gray", eq: canary}, serve: canary}
      - {name: ios, when: {all: [{field: "attr:platform", eq: ios}, {field: "attr:app_version", semver_gte: "5.2.0"}]}, serve: canary}
`))
	engine, _ := gray.New(cfg)
	d, trace := engine.Explain("checkout-v2", gray.Subject{
		Key:   "user-42",
		Attrs: map[string]string{"platform": "ios", "app_version": "5.3.1"},
	})
	for _, s := range trace {
		fmt.Printf("%s: %s (value %q) matched=%v\n", s.Rule, s.Condition, s.Value, s.Matched)
	}
	fmt.Println(d.Variant, d.Reason, d.Rule)
	// Output:
	// testers: header:X-Gray eq "canary" (value "") matched=false
	// ios: attr:platform eq "ios" (value "ios") matched=true
	// ios: attr:app_version semver_gte 5.2.0 (value "5.3.1") matched=true
	// canary rule ios
}

func ExampleEngine_SetOverride() {
	cfg, _ := gray.ParseConfig([]byte("rollouts: [{name: checkout-v2, percent: 5}]"))
	engine, _ := gray.New(cfg)
	twenty := 20.0
	_ = engine.SetOverride("checkout-v2", gray.Override{Percent: &twenty}) // raise the share
	fmt.Println(engine.Decide("checkout-v2", gray.Subject{Key: "u1"}).Variant)
	off := false
	_ = engine.SetOverride("checkout-v2", gray.Override{Enabled: &off}) // the brake
	fmt.Println(engine.Decide("checkout-v2", gray.Subject{Key: "u1"}).Reason)
	// Output:
	// stable
	// off
}

// The same limits apply to a watched file:
// watch.File(ctx, engine, path, watch.WithParseOptions(gray.WithMaxConfigSize(1<<20))).
func ExampleWithMaxConfigSize() {
	doc := []byte("rollouts: [{name: checkout-v2, percent: 5}]")
	_, err := gray.ParseConfig(doc, gray.WithMaxConfigSize(16))
	fmt.Println(err)
	// Output: gray: the document is 43 bytes, above the limit of 16 (see WithMaxConfigSize)
}
