package graygin_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gin-gonic/gin"

	"github.com/graykit/graykit/adapters/graygin"
	"github.com/graykit/graykit/gray"
)

func ExampleMiddleware() {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: checkout-v2
    percent: 5
    rules:
      - {name: testers, when: {field: "header:X-Gray", eq: canary}, serve: canary}
`))
	if err != nil {
		panic(err)
	}
	engine, err := gray.New(cfg)
	if err != nil {
		panic(err)
	}

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(graygin.Middleware(engine, gray.WithKeyFunc(signedInUser)))
	r.GET("/checkout", func(c *gin.Context) {
		c.String(http.StatusOK, "checkout "+graygin.Variant(c, "checkout-v2"))
	})

	for _, tester := range []bool{false, true} {
		req := httptest.NewRequest(http.MethodGet, "/checkout", nil)
		req.AddCookie(&http.Cookie{Name: "session", Value: "s-3f9a"}) // user-7 signed in
		if tester {
			req.Header.Set("X-Gray", "canary")
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		fmt.Println(w.Body.String())
	}
	// Output:
	// checkout stable
	// checkout canary
}

func ExampleFromContext() {
	cfg, _ := gray.ParseConfig([]byte("rollouts: [{name: checkout-v2, percent: 100}]"))
	engine, _ := gray.New(cfg)

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(graygin.Middleware(engine, gray.WithKeyFunc(signedInUser)))
	r.GET("/why", func(c *gin.Context) {
		d, _ := graygin.FromContext(c)
		dec := d.Get("checkout-v2")
		c.String(http.StatusOK, "%s: %s (%s)", d.Subject().Key, dec.Variant, dec.Reason)
	})

	req := httptest.NewRequest(http.MethodGet, "/why", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: "s-3f9a"}) // user-7 signed in
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	fmt.Println(w.Body.String())
	// Output: user-7: canary (split)
}

// signedInUser stands for the application's authentication: the user of
// a verified session. A public edge takes the subject key from there, never
// from a header the client writes (X-User-ID), with which any client could
// pick its bucket or a user named in a `key in [...]` rule.
func signedInUser(r *http.Request) string {
	c, err := r.Cookie("session")
	if err != nil {
		return ""
	}
	switch c.Value { // your session store
	case "s-3f9a":
		return "user-7"
	case "s-77c1":
		return "alice@example.com"
	}
	return ""
}
