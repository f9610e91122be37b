package grayprom_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/graykit/graykit/adapters/grayprom"
	"github.com/graykit/graykit/gray"
)

// The middleware counts every request per rollout and variant into
// Counters; the collector turns them into Prometheus series at scrape time.
func ExampleNew() {
	cfg, _ := gray.ParseConfig([]byte(`rollouts: [{name: checkout-v2, percent: 50}]`))
	engine, _ := gray.New(cfg)
	counters := gray.NewCounters()

	reg := prometheus.NewRegistry()
	reg.MustRegister(grayprom.New(counters)) // add grayprom.WithStates(store) for guarded rollouts
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})

	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if gray.Variant(r.Context(), "checkout-v2") == "canary" {
			http.Error(w, "new checkout failed", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, "ok")
	})
	user := func(r *http.Request) string { return r.URL.Query().Get("user") } // stands in for the session's user
	handler := gray.Middleware(engine, gray.WithKeyFunc(user), gray.WithObserver(counters))(app)
	for _, u := range []string{"u-1", "u-2", "u-3", "u-4"} {
		handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/checkout?user="+u, nil))
	}

	w := httptest.NewRecorder()
	metrics.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(w.Body.String(), "\n") {
		if strings.HasPrefix(line, "graykit_requests_total") || strings.HasPrefix(line, "graykit_request_errors_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// graykit_request_errors_total{rollout="checkout-v2",variant="canary"} 1
	// graykit_request_errors_total{rollout="checkout-v2",variant="stable"} 0
	// graykit_requests_total{rollout="checkout-v2",variant="canary"} 1
	// graykit_requests_total{rollout="checkout-v2",variant="stable"} 3
}
