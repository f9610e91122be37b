package grayecho_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/labstack/echo/v4"

	"github.com/graykit/graykit/adapters/grayecho"
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

	e := echo.New()
	e.Use(grayecho.Middleware(engine, gray.WithKeyFunc(signedInUser)))
	e.GET("/checkout", func(c echo.Context) error {
		return c.String(http.StatusOK, "checkout "+grayecho.Variant(c, "checkout-v2"))
	})

	for _, tester := range []bool{false, true} {
		req := httptest.NewRequest(http.MethodGet, "/checkout", nil)
		req.AddCookie(&http.Cookie{Name: "session", Value: "s-3f9a"}) // user-7 signed in
		if tester {
			req.Header.Set("X-Gray", "canary")
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		fmt.Println(w.Body.String())
	}
	// Output:
	// checkout stable
	// checkout canary
}

func ExampleWithSkipper() {
	cfg, _ := gray.ParseConfig([]byte("rollouts: [{name: checkout-v2, percent: 100}]"))
	engine, _ := gray.New(cfg)

	e := echo.New()
	e.Use(grayecho.Middleware(engine,
		gray.WithKeyFunc(signedInUser),
		grayecho.WithSkipper(func(c echo.Context) bool { return c.Path() == "/healthz" }),
	))
	h := func(c echo.Context) error {
		_, decided := grayecho.FromContext(c)
		return c.String(http.StatusOK, fmt.Sprintf("%s decided=%v", c.Path(), decided))
	}
	e.GET("/checkout", h)
	e.GET("/healthz", h)

	for _, path := range []string{"/checkout", "/healthz"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.AddCookie(&http.Cookie{Name: "session", Value: "s-3f9a"}) // user-7 signed in
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		fmt.Println(w.Body.String())
	}
	// Output:
	// /checkout decided=true
	// /healthz decided=false
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
