package grayotel_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/graykit/graykit/adapters/grayotel"
	"github.com/graykit/graykit/gray"
)

// Each rollout a request decides becomes a feature_flag.evaluation event on
// the request's span. Here a test span stands in for the one a tracing
// middleware (otelhttp, otelgin, …) would start.
func ExampleNew() {
	cfg, _ := gray.ParseConfig([]byte(`
rollouts:
  - name: checkout-v2
    percent: 5
    rules: [{name: staff, when: {field: key, in: [u-1]}, serve: canary}]
`))
	engine, _ := gray.New(cfg)
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))

	obs, err := grayotel.New() // metrics go to otel.GetMeterProvider()
	if err != nil {
		log.Fatal(err)
	}
	handler := gray.Middleware(engine, gray.WithKeyFromHeader("X-User"), gray.WithObserver(obs))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gray.Variant(r.Context(), "checkout-v2")
		}))

	ctx, span := tp.Tracer("example").Start(context.Background(), "GET /checkout")
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/checkout", nil)
	req.Header.Set("X-User", "u-1")
	handler.ServeHTTP(httptest.NewRecorder(), req)
	span.End()

	for _, ev := range spans.Ended()[0].Events() {
		fmt.Println(ev.Name)
		for _, kv := range ev.Attributes {
			fmt.Printf("  %s=%s\n", kv.Key, kv.Value.String())
		}
	}
	// Output:
	// feature_flag.evaluation
	//   feature_flag.key=checkout-v2
	//   feature_flag.provider.name=graykit
	//   feature_flag.result.variant=canary
	//   feature_flag.result.reason=targeting_match
	//   feature_flag.context.id=u-1
	//   graykit.reason=rule
	//   graykit.default_variant=stable
	//   graykit.bucket=8622
	//   graykit.rule=staff
}
