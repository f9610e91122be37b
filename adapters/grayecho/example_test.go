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
	e.Use(grayecho.Middleware(engine, gray.WithKeyFromHeader("X-User-ID")))
	e.GET("/checkout", func(c echo.Context) error {
		return c.String(http.StatusOK, "checkout "+grayecho.Variant(c, "checkout-v2"))
	})

	for _, tester := range []bool{false, true} {
		req := httptest.NewRequest(http.MethodGet, "/checkout", nil)
		req.Header.Set("X-User-ID", "user-7")
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
		gray.WithKeyFromHeader("X-User-ID"),
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
		req.Header.Set("X-User-ID", "user-7")
		w := httptest.NewRecorder()
		e.ServeHTTP(w, req)
		fmt.Println(w.Body.String())
	}
	// Output:
	// /checkout decided=true
	// /healthz decided=false
}
