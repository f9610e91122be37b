package grayotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/graykit/graykit/adapters/grayotel"
	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/exposure"
)

// nopWriter is a ResponseWriter that keeps nothing, so the benchmark
// measures the middleware, not the recorder.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

// BenchmarkTelemetry is the middleware deciding one rollout per request,
// without observers and with the exposure recorder and the OTel observer
// (metrics through the SDK with a reader; span events), each on a request
// without a span and on one inside a sampled span. hand/* rows are what
// the same telemetry costs written directly against the OTel SDK.
func BenchmarkTelemetry(b *testing.B) {
	e := newEngine(b)
	leaf := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { gray.Variant(r.Context(), "checkout-v2") })
	tracking := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gray.Variant(r.Context(), "checkout-v2")
		gray.Track(r.Context(), "checkout_completed")
	})
	discard := exposure.ExporterFunc(func(context.Context, []exposure.Event) error { return nil })
	rec, err := exposure.NewRecorder(discard, exposure.WithAttributes("region"))
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
	key := gray.WithKeyFromHeader("X-User")
	handlers := []struct {
		name string
		h    http.Handler
	}{
		{"plain", gray.Middleware(e, key)(leaf)},
		// Any observer turns on outcome reporting (status, latency): what
		// that costs alone, before the exposure's own share.
		{"noop-observer", gray.Middleware(e, key, gray.WithObserver(noop{}))(leaf)},
		{"exposure", gray.Middleware(e, key, gray.WithObserver(rec))(leaf)},
		{"exposure+otel", gray.Middleware(e, key, gray.WithObserver(rec), gray.WithObserver(obs))(leaf)},
		{"exposure+otel+track", gray.Middleware(e, key, gray.WithObserver(rec), gray.WithObserver(obs))(tracking)},
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	defer tp.Shutdown(context.Background())
	tracer := tp.Tracer("bench")
	w := &nopWriter{h: http.Header{}}
	req := httptest.NewRequest(http.MethodGet, "/checkout", nil)
	req.Header.Set("X-User", "user-42")

	for _, h := range handlers {
		b.Run("no-span/"+h.name, func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				h.h.ServeHTTP(w, req)
			}
		})
	}
	for _, h := range handlers {
		b.Run("sampled-span/"+h.name, func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				ctx, span := tracer.Start(context.Background(), "req")
				h.h.ServeHTTP(w, req.WithContext(ctx))
				span.End()
			}
		})
	}

	// The floor: the same span event and metrics, written by hand.
	attrs := handAttrs()
	b.Run("sampled-span/hand/span-only", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			_, span := tracer.Start(context.Background(), "req")
			span.End()
		}
	})
	b.Run("sampled-span/hand/span+event", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			_, span := tracer.Start(context.Background(), "req")
			span.AddEvent("feature_flag.evaluation", traceAttrs(attrs))
			span.End()
		}
	})
	// What the observer's metrics cost at least: two counter additions and a
	// histogram record with attribute sets built once.
	m := mp.Meter("hand")
	decisions, _ := m.Int64Counter("hand.decisions")
	requests, _ := m.Int64Counter("hand.requests")
	duration, _ := m.Float64Histogram("hand.duration")
	decOpt := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attrs[0], attrs[2], attrs[3]))}
	reqOpt := []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attrs[0], attrs[2], attribute.String("graykit.outcome", "ok")))}
	durOpt := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs[0], attrs[2]))}
	b.Run("no-span/hand/metrics", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			ctx := context.Background()
			decisions.Add(ctx, 1, decOpt...)
			requests.Add(ctx, 1, reqOpt...)
			duration.Record(ctx, 0.001, durOpt...)
		}
	})
}

// reportCPU reports allocations and, as cpu-ns/op, the process's CPU time
// per operation (the recorder's and the garbage collector's goroutines
// included); call the function it returns when the loop is done.
func reportCPU(b *testing.B) func() {
	b.ReportAllocs()
	start := cpuTime()
	return func() {
		if used := cpuTime() - start; used > 0 && b.N > 0 {
			b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

// noop is an observer that does nothing.
type noop struct{}

func (noop) ObserveDecision(gray.Decision) {}
func (noop) ObserveOutcome(gray.Outcome)   {}

// handAttrs are the attributes of a span event as grayotel writes them.
func handAttrs() []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("feature_flag.key", "checkout-v2"),
		attribute.String("feature_flag.provider.name", "graykit"),
		attribute.String("feature_flag.result.variant", "stable"),
		attribute.String("feature_flag.result.reason", "split"),
		attribute.String("feature_flag.context.id", "user-42"),
		attribute.String("graykit.reason", "default"),
		attribute.String("graykit.default_variant", "stable"),
		attribute.Int("graykit.bucket", 42),
	}
}

func traceAttrs(attrs []attribute.KeyValue) trace.EventOption { return trace.WithAttributes(attrs...) }
