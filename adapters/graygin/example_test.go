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
	r.Use(graygin.Middleware(engine, gray.WithKeyFromHeader("X-User-ID")))
	r.GET("/checkout", func(c *gin.Context) {
		c.String(http.StatusOK, "checkout "+graygin.Variant(c, "checkout-v2"))
	})

	for _, tester := range []bool{false, true} {
		req := httptest.NewRequest(http.MethodGet, "/checkout", nil)
		req.Header.Set("X-User-ID", "user-7")
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
	r.Use(graygin.Middleware(engine, gray.WithKeyFromHeader("X-User-ID")))
	r.GET("/why", func(c *gin.Context) {
		d, _ := graygin.FromContext(c)
		dec := d.Get("checkout-v2")
		c.String(http.StatusOK, "%s: %s (%s)", d.Subject().Key, dec.Variant, dec.Reason)
	})

	req := httptest.NewRequest(http.MethodGet, "/why", nil)
	req.Header.Set("X-User-ID", "user-7")
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	fmt.Println(w.Body.String())
	// Output: user-7: canary (split)
}
