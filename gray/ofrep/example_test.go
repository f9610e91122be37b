package ofrep_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/ofrep"
)

// Mount the handler behind the middleware that keys the application's own
// requests, and mark the rollouts the front end may read with client: true.
func Example() {
	cfg, _ := gray.ParseConfig([]byte(`
rollouts:
  - name: new-checkout
    client: true
    percent: 5
    rules:
      - name: staff
        when: {field: key, in: [olga]}
        serve: canary
  - name: ledger-migration # not for clients: never listed
    percent: 50
`))
	engine, _ := gray.New(cfg)
	mux := http.NewServeMux()
	mux.Handle("/ofrep/", gray.Middleware(engine, gray.WithKeyFromCookie("uid"))(ofrep.NewHandler()))

	// What the OFREP web provider sends for olga's page.
	req := httptest.NewRequest(http.MethodPost, "/ofrep/v1/evaluate/flags", strings.NewReader(`{"context":{"targetingKey":"olga"}}`))
	req.AddCookie(&http.Cookie{Name: "uid", Value: "olga"})
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Body)

	// The same request, sent again with the ETag it got: nothing changed.
	req = httptest.NewRequest(http.MethodPost, "/ofrep/v1/evaluate/flags", strings.NewReader(`{"context":{"targetingKey":"olga"}}`))
	req.AddCookie(&http.Cookie{Name: "uid", Value: "olga"})
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// 200 {"flags":[{"key":"new-checkout","value":"canary","reason":"TARGETING_MATCH","variant":"canary","metadata":{"graykitReason":"rule"}}]}
	// 304
}

// A page on another origin, and an API key checked before anything is
// evaluated.
func ExampleNewHandler_cors() {
	cfg, _ := gray.ParseConfig([]byte("rollouts: [{name: banner, client: true, percent: 100}]"))
	engine, _ := gray.New(cfg)
	h := ofrep.NewHandler(
		ofrep.WithCORS("https://shop.example.com"),
		ofrep.WithAuth(func(r *http.Request) error {
			if r.Header.Get("X-API-Key") != "web-2026" {
				return ofrep.ErrForbidden
			}
			return nil
		}),
	)
	srv := gray.Middleware(engine, gray.WithKeyFromCookie("uid"))(h)

	req := httptest.NewRequest(http.MethodPost, "/ofrep/v1/evaluate/flags/banner", strings.NewReader(`{"context":{}}`))
	req.Header.Set("Origin", "https://shop.example.com")
	req.Header.Set("X-API-Key", "web-2026")
	req.AddCookie(&http.Cookie{Name: "uid", Value: "user-7"})
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Access-Control-Allow-Origin"), rec.Body)

	req.Header.Set("X-API-Key", "wrong")
	rec = httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// 200 https://shop.example.com {"key":"banner","value":"canary","reason":"SPLIT","variant":"canary","metadata":{"graykitReason":"split"}}
	// 403
}
