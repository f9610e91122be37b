package grayotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.uber.org/goleak"

	"github.com/graykit/graykit/adapters/grayotel"
	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/exposure"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testConfig = `
rollouts:
  - name: checkout-v2
    percent: 5
    rules: [{name: staff, when: {field: key, in: [u-1]}, serve: canary}]
  - name: search
    enabled: false
    percent: 50
`

func newEngine(t testing.TB) *gray.Engine {
	t.Helper()
	cfg, err := gray.ParseConfig([]byte(testConfig))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	return e
}

// serveTraced runs one request inside a recording span, as a tracing
// middleware in front of graykit's would.
func serveTraced(t *testing.T, tp *sdktrace.TracerProvider, h http.Handler, user string, status int) {
	ctx, span := tp.Tracer("test").Start(t.Context(), "GET /checkout")
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/checkout", nil)
	if user != "" {
		req.Header.Set("X-User", user)
	}
	h.ServeHTTP(httptest.NewRecorder(), req)
	span.End()
}

func app(e *gray.Engine, status int, opts ...gray.Option) http.Handler {
	opts = append([]gray.Option{gray.WithKeyFromHeader("X-User")}, opts...)
	return gray.Middleware(e, opts...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gray.Variant(r.Context(), "checkout-v2")
		gray.Variant(r.Context(), "search")
		gray.Variant(r.Context(), "checkout-v2")
		w.WriteHeader(status)
	}))
}

// attrMap turns attributes into key → value for comparison; a duplicate
// key fails the test.
func attrMap(t *testing.T, kvs []attribute.KeyValue) map[string]any {
	t.Helper()
	m := map[string]any{}
	for _, kv := range kvs {
		_, dup := m[string(kv.Key)]
		require.False(t, dup, "duplicate attribute %s", kv.Key)
		m[string(kv.Key)] = kv.Value.AsInterface()
	}
	return m
}

func TestSpanEventsFollowTheConventions(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	obs, err := grayotel.New(grayotel.WithoutMetrics())
	require.NoError(t, err)
	h := app(newEngine(t), http.StatusOK, gray.WithObserver(obs))
	serveTraced(t, tp, h, "u-1", http.StatusOK)
	serveTraced(t, tp, h, "", http.StatusOK)

	ended := spans.Ended()
	require.Len(t, ended, 2)
	got := [][]map[string]any{}
	for _, s := range ended {
		var evs []map[string]any
		for _, ev := range s.Events() {
			assert.Equal(t, "feature_flag.evaluation", ev.Name)
			evs = append(evs, attrMap(t, ev.Attributes))
		}
		got = append(got, evs)
	}
	// Keys spelled out, not taken from the semconv package: this is the check
	// against the conventions (v1.43.0 registry, feature_flag.*).
	assert.Equal(t, [][]map[string]any{
		{
			{
				"feature_flag.key": "checkout-v2", "feature_flag.provider.name": "graykit",
				"feature_flag.result.variant": "canary", "feature_flag.result.reason": "targeting_match",
				"feature_flag.context.id": "u-1",
				"graykit.reason":          "rule", "graykit.rule": "staff", "graykit.default_variant": "stable",
				"graykit.bucket": int64(gray.SaltedBucket("checkout-v2", "u-1")),
			},
			{
				"feature_flag.key": "search", "feature_flag.provider.name": "graykit",
				"feature_flag.result.variant": "stable", "feature_flag.result.reason": "disabled",
				"feature_flag.context.id": "u-1",
				"graykit.reason":          "off", "graykit.default_variant": "stable",
				"graykit.bucket": int64(gray.SaltedBucket("search", "u-1")),
			},
		},
		{
			{
				"feature_flag.key": "checkout-v2", "feature_flag.provider.name": "graykit",
				"feature_flag.result.variant": "stable", "feature_flag.result.reason": "default",
				"graykit.reason": "no key", "graykit.default_variant": "stable", "graykit.bucket": int64(-1),
			},
			{
				"feature_flag.key": "search", "feature_flag.provider.name": "graykit",
				"feature_flag.result.variant": "stable", "feature_flag.result.reason": "disabled",
				"graykit.reason": "off", "graykit.default_variant": "stable", "graykit.bucket": int64(-1),
			},
		},
	}, got)
	require.NoError(t, tp.Shutdown(t.Context()))
}

func TestContextIDOptions(t *testing.T) {
	secret := []byte("0123456789abcdef-secret")
	tests := []struct {
		name string
		give grayotel.Option
		want any
	}{
		{"raw", nil, "alice@example.com"},
		{"hashed", grayotel.WithHashedContextID(secret), exposure.HashKey(secret, "alice@example.com")},
		{"none", grayotel.WithoutContextID(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := tracetest.NewSpanRecorder()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
			obs, err := grayotel.New(grayotel.WithoutMetrics(), tt.give)
			require.NoError(t, err)
			serveTraced(t, tp, app(newEngine(t), http.StatusOK, gray.WithObserver(obs)), "alice@example.com", 200)
			ev := spans.Ended()[0].Events()[0]
			assert.Equal(t, tt.want, attrMap(t, ev.Attributes)["feature_flag.context.id"])
		})
	}
	_, err := grayotel.New(grayotel.WithHashedContextID([]byte("short")))
	assert.ErrorContains(t, err, "hash secret of 5 bytes")
}

func TestNoEventsOnAnUnsampledSpan(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans), sdktrace.WithSampler(sdktrace.NeverSample()))
	obs, err := grayotel.New(grayotel.WithoutMetrics())
	require.NoError(t, err)
	serveTraced(t, tp, app(newEngine(t), 200, gray.WithObserver(obs)), "u-1", 200)
	assert.Empty(t, spans.Ended())
	// And without any span at all, nothing panics.
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	app(newEngine(t), 200, gray.WithObserver(obs)).ServeHTTP(httptest.NewRecorder(), req)
}

// point is one data point of a sum or a histogram, flattened for comparison.
type point struct {
	metric string
	attrs  map[string]any
	value  float64 // the sum, or a histogram's count
}

func collect(t *testing.T, reader *sdkmetric.ManualReader) ([]point, map[string]metricdata.Metrics) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	var pts []point
	byName := map[string]metricdata.Metrics{}
	for _, sm := range rm.ScopeMetrics {
		assert.Equal(t, grayotel.ScopeName, sm.Scope.Name)
		assert.Equal(t, "https://opentelemetry.io/schemas/1.43.0", sm.Scope.SchemaURL)
		for _, m := range sm.Metrics {
			byName[m.Name] = m
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				assert.True(t, d.IsMonotonic, m.Name)
				for _, dp := range d.DataPoints {
					pts = append(pts, point{m.Name, attrMap(t, dp.Attributes.ToSlice()), float64(dp.Value)})
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					pts = append(pts, point{m.Name, attrMap(t, dp.Attributes.ToSlice()), float64(dp.Count)})
				}
			default:
				t.Fatalf("%s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	sort.Slice(pts, func(i, j int) bool {
		a, b := pts[i], pts[j]
		if a.metric != b.metric {
			return a.metric < b.metric
		}
		return a.attrs["feature_flag.key"].(string)+a.attrs["feature_flag.result.variant"].(string)+str(a.attrs["graykit.outcome"]) <
			b.attrs["feature_flag.key"].(string)+b.attrs["feature_flag.result.variant"].(string)+str(b.attrs["graykit.outcome"])
	})
	return pts, byName
}

func str(v any) string { s, _ := v.(string); return s }

func TestMetricsPerRolloutAndVariant(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	obs, err := grayotel.New(grayotel.WithMeterProvider(mp), grayotel.WithoutSpanEvents())
	require.NoError(t, err)
	tp := sdktrace.NewTracerProvider()
	e := newEngine(t)
	ok := app(e, http.StatusOK, gray.WithObserver(obs))
	failing := app(e, http.StatusBadGateway, gray.WithObserver(obs))
	serveTraced(t, tp, ok, "u-1", 200)
	serveTraced(t, tp, ok, "u-1", 200)
	serveTraced(t, tp, failing, "u-1", 502)
	serveTraced(t, tp, ok, "", 200)

	pts, byName := collect(t, reader)
	ff := func(key, variant string, extra ...any) map[string]any {
		m := map[string]any{"feature_flag.key": key, "feature_flag.result.variant": variant}
		for i := 0; i < len(extra); i += 2 {
			m[extra[i].(string)] = extra[i+1]
		}
		return m
	}
	assert.Equal(t, []point{
		{"graykit.decisions", ff("checkout-v2", "canary", "feature_flag.result.reason", "targeting_match"), 3},
		{"graykit.decisions", ff("checkout-v2", "stable", "feature_flag.result.reason", "default"), 1},
		{"graykit.decisions", ff("search", "stable", "feature_flag.result.reason", "disabled"), 4},
		{"graykit.request.duration", ff("checkout-v2", "canary"), 3},
		{"graykit.request.duration", ff("checkout-v2", "stable"), 1},
		{"graykit.request.duration", ff("search", "stable"), 4},
		{"graykit.requests", ff("checkout-v2", "canary", "graykit.outcome", "error"), 1},
		{"graykit.requests", ff("checkout-v2", "canary", "graykit.outcome", "ok"), 2},
		{"graykit.requests", ff("checkout-v2", "stable", "graykit.outcome", "ok"), 1},
		{"graykit.requests", ff("search", "stable", "graykit.outcome", "error"), 1},
		{"graykit.requests", ff("search", "stable", "graykit.outcome", "ok"), 3},
	}, pts)
	assert.Equal(t, "s", byName["graykit.request.duration"].Unit)
	assert.Equal(t, "{decision}", byName["graykit.decisions"].Unit)
	assert.Equal(t, "{request}", byName["graykit.requests"].Unit)
	require.NoError(t, mp.Shutdown(t.Context()))
	require.NoError(t, tp.Shutdown(t.Context()))
}

func TestPanicOutcome(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	obs, err := grayotel.New(grayotel.WithMeterProvider(mp))
	require.NoError(t, err)
	h := gray.Middleware(newEngine(t), gray.WithKeyFromHeader("X-User"), gray.WithObserver(obs))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gray.Variant(r.Context(), "checkout-v2")
			panic("boom")
		}))
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req.Header.Set("X-User", "u-1")
	assert.Panics(t, func() { h.ServeHTTP(httptest.NewRecorder(), req) })
	pts, _ := collect(t, reader)
	var outcomes []string
	for _, p := range pts {
		if p.metric == "graykit.requests" {
			outcomes = append(outcomes, p.attrs["graykit.outcome"].(string))
		}
	}
	assert.Equal(t, []string{"panic"}, outcomes)
}

func TestResultReasonCoversEveryReason(t *testing.T) {
	tests := []struct {
		give gray.Reason
		want string
	}{
		{gray.ReasonUnknownRollout, "error"},
		{gray.ReasonOff, "disabled"},
		{gray.ReasonRule, "targeting_match"},
		{gray.ReasonNoKey, "default"},
		{gray.ReasonSplit, "split"},
		{gray.ReasonDefault, "split"},
		{gray.ReasonPropagated, "cached"},
		{gray.Reason(200), "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.give.String(), func(t *testing.T) {
			kv := grayotel.ResultReason(tt.give)
			assert.Equal(t, attribute.Key("feature_flag.result.reason"), kv.Key)
			assert.Equal(t, tt.want, kv.Value.AsString())
		})
	}
}

// memLogs is an in-memory log exporter for the log SDK.
type memLogs struct {
	mu   sync.Mutex
	recs []sdklog.Record
}

func (m *memLogs) Export(_ context.Context, recs []sdklog.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range recs {
		m.recs = append(m.recs, r.Clone())
	}
	return nil
}
func (m *memLogs) Shutdown(context.Context) error   { return nil }
func (m *memLogs) ForceFlush(context.Context) error { return nil }

func TestExposureLogEventsFollowTheConventions(t *testing.T) {
	logs := &memLogs{}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(logs)))
	secret := []byte("0123456789abcdef-secret")
	rec, err := exposure.NewRecorder(grayotel.NewLogExporter(grayotel.WithLoggerProvider(lp)),
		exposure.WithHashedKeys(secret), exposure.WithAttributes("region"))
	require.NoError(t, err)
	attrs := gray.WithAttributes(func(context.Context, gray.Request) map[string]string {
		return map[string]string{"region": "eu", "email": "x@example.com"}
	})
	before := time.Now()
	serveTraced(t, sdktrace.NewTracerProvider(), app(newEngine(t), 200, gray.WithObserver(rec), attrs), "u-1", 200)
	require.NoError(t, rec.Close(t.Context()))
	require.NoError(t, lp.Shutdown(t.Context()))

	require.Len(t, logs.recs, 2)
	var got []map[string]any
	for _, r := range logs.recs {
		assert.Equal(t, "feature_flag.evaluation", r.EventName())
		assert.Equal(t, "INFO", r.SeverityText())
		assert.False(t, r.Timestamp().Before(before))
		assert.Equal(t, grayotel.ScopeName, r.InstrumentationScope().Name)
		assert.Equal(t, "https://opentelemetry.io/schemas/1.43.0", r.InstrumentationScope().SchemaURL)
		var kvs []attribute.KeyValue
		r.WalkAttributes(func(kv attribute.KeyValue) bool { kvs = append(kvs, kv); return true })
		got = append(got, attrMap(t, kvs))
	}
	hashed := exposure.HashKey(secret, "u-1")
	assert.Equal(t, []map[string]any{
		{
			"feature_flag.key": "checkout-v2", "feature_flag.provider.name": "graykit",
			"feature_flag.result.variant": "canary", "feature_flag.result.reason": "targeting_match",
			"feature_flag.context.id": hashed,
			"graykit.reason":          "rule", "graykit.rule": "staff", "graykit.default_variant": "stable",
			"graykit.bucket": int64(gray.SaltedBucket("checkout-v2", "u-1")), "graykit.subject.region": "eu",
		},
		{
			"feature_flag.key": "search", "feature_flag.provider.name": "graykit",
			"feature_flag.result.variant": "stable", "feature_flag.result.reason": "disabled",
			"feature_flag.context.id": hashed,
			"graykit.reason":          "off", "graykit.default_variant": "stable",
			"graykit.bucket": int64(gray.SaltedBucket("search", "u-1")), "graykit.subject.region": "eu",
		},
	}, got)
}
