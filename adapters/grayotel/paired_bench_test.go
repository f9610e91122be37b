package grayotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/graykit/graykit/adapters/grayotel"
	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/exposure"
)

// BenchmarkTelemetryExtra measures what telemetry adds to a request as
// the median of paired differences: each iteration serves a block of
// requests without it and a block with it, back to back (in alternating
// order), and reports the median over iterations of the difference per
// request as extra-ns/req. On a shared machine whose load swings from
// second to second, the difference of two medians taken seconds apart
// (BenchmarkTelemetry) is mostly noise; blocks a fraction of a
// millisecond apart see the same load, and the median drops the blocks a
// preemption hit.
func BenchmarkTelemetryExtra(b *testing.B) {
	e := newEngine(b)
	leaf := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { gray.Variant(r.Context(), "checkout-v2") })
	tracking := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gray.Variant(r.Context(), "checkout-v2")
		gray.Track(r.Context(), "checkout_completed")
	})
	rec, err := exposure.NewRecorder(exposure.ExporterFunc(func(context.Context, []exposure.Event) error { return nil }),
		exposure.WithAttributes("region"))
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Close(context.Background())
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	defer mp.Shutdown(context.Background())
	obs, err := grayotel.New(grayotel.WithMeterProvider(mp))
	if err != nil {
		b.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("bench")

	key := gray.WithKeyFromHeader("X-User")
	plain := gray.Middleware(e, key)(leaf)
	noopObs := gray.Middleware(e, key, gray.WithObserver(noop{}))(leaf)
	withExposure := gray.Middleware(e, key, gray.WithObserver(rec))(leaf)
	withAll := gray.Middleware(e, key, gray.WithObserver(rec), gray.WithObserver(obs))(leaf)
	withAllTrack := gray.Middleware(e, key, gray.WithObserver(rec), gray.WithObserver(obs))(tracking)

	w := &nopWriter{h: http.Header{}}
	req := httptest.NewRequest(http.MethodGet, "/checkout", nil)
	req.Header.Set("X-User", "user-42")
	serve := func(h http.Handler) func() { return func() { h.ServeHTTP(w, req) } }
	sampled := func(h http.Handler) func() {
		return func() {
			ctx, span := tracer.Start(context.Background(), "req")
			h.ServeHTTP(w, req.WithContext(ctx))
			span.End()
		}
	}
	spanOnly := func() { _, span := tracer.Start(context.Background(), "req"); span.End() }
	attrs := handAttrs()
	spanEvent := func() {
		_, span := tracer.Start(context.Background(), "req")
		span.AddEvent("feature_flag.evaluation", traceAttrs(attrs))
		span.End()
	}

	m := mp.Meter("hand")
	decisions, _ := m.Int64Counter("hand.decisions")
	requests, _ := m.Int64Counter("hand.requests")
	duration, _ := m.Float64Histogram("hand.duration")
	decOpt := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attrs[0], attrs[2], attrs[3]))}
	reqOpt := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attrs[0], attrs[2], attribute.String("graykit.outcome", "ok")))}
	durOpt := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs[0], attrs[2]))}
	nothing := func() {}
	handMetrics := func() {
		ctx := context.Background()
		decisions.Add(ctx, 1, decOpt...)
		requests.Add(ctx, 1, reqOpt...)
		duration.Record(ctx, 0.001, durOpt...)
	}

	pairs := []struct {
		name       string
		base, with func()
	}{
		{"no-span/noop-observer", serve(plain), serve(noopObs)},
		{"no-span/exposure", serve(plain), serve(withExposure)},
		{"no-span/exposure+otel", serve(plain), serve(withAll)},
		{"no-span/exposure+otel+track", serve(plain), serve(withAllTrack)},
		{"no-span/otel-over-exposure", serve(withExposure), serve(withAll)},
		{"no-span/hand/metrics", nothing, handMetrics},
		{"sampled-span/exposure+otel", sampled(plain), sampled(withAll)},
		{"sampled-span/hand/event", spanOnly, spanEvent},
	}
	for _, p := range pairs {
		b.Run(p.name, func(b *testing.B) {
			const block = 128
			run := func(f func()) time.Duration {
				t := time.Now()
				for range block {
					f()
				}
				return time.Since(t)
			}
			var diffs []float64
			for b.Loop() {
				var base, with time.Duration
				if len(diffs)%2 == 0 {
					base, with = run(p.base), run(p.with)
				} else {
					with, base = run(p.with), run(p.base)
				}
				diffs = append(diffs, float64(with-base)/block)
			}
			slices.Sort(diffs)
			b.ReportMetric(diffs[len(diffs)/2], "extra-ns/req")
		})
	}
}
