package gray_test

import (
	"log"
	"net/http"
	"net/url"

	"github.com/graykit/graykit/gray"
)

// An in-app gateway in front of an old and a new deployment: each user
// stays on the upstream of their variant.
func ExampleNewProxy() {
	cfg, err := gray.ParseConfig([]byte(`rollouts: [{name: backend-v2, percent: 10}]`))
	if err != nil {
		log.Fatal(err)
	}
	engine, err := gray.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	proxy, err := gray.NewProxy("backend-v2", map[string]*url.URL{
		"stable": {Scheme: "http", Host: "old.internal:8080"},
		"canary": {Scheme: "http", Host: "new.internal:8080"},
	}, gray.WithUnreachablePolicy(gray.RetryOnDefault))
	if err != nil {
		log.Fatal(err)
	}
	counters := gray.NewCounters() // requests and errors per variant, 502s included
	gateway := gray.Middleware(engine, gray.WithKeyFunc(signedInUser), gray.WithObserver(counters))(proxy)
	_ = &http.Server{Addr: ":8080", Handler: gateway}
}
