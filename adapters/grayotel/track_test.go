package grayotel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/graykit/graykit/adapters/grayotel"
	"github.com/graykit/graykit/gray"
)

func TestTrackedOutcomesPerVariant(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	obs, err := grayotel.New(grayotel.WithMeterProvider(mp))
	require.NoError(t, err)
	h := gray.Middleware(newEngine(t), gray.WithKeyFromHeader("X-User"), gray.WithObserver(obs))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gray.Variant(r.Context(), "checkout-v2")
			gray.Track(r.Context(), "checkout_completed")
			gray.TrackValue(r.Context(), "order_value", 42.5)
		}))
	for _, user := range []string{"u-1", "u-1", ""} {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
		if user != "" {
			req.Header.Set("X-User", user)
		}
		h.ServeHTTP(httptest.NewRecorder(), req)
	}

	var rm metricdata.ResourceMetrics
	require.NoError(t, reader.Collect(t.Context(), &rm))
	type row struct {
		attrs      map[string]any
		count      uint64
		sum        float64
		unit, kind string
	}
	var got []row
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "graykit.tracked" {
				continue
			}
			hist, ok := m.Data.(metricdata.Histogram[float64])
			require.True(t, ok, "%T", m.Data)
			for _, dp := range hist.DataPoints {
				got = append(got, row{attrMap(t, dp.Attributes.ToSlice()), dp.Count, dp.Sum, m.Unit, "histogram"})
			}
		}
	}
	want := func(variant, name string, count uint64, sum float64) row {
		return row{map[string]any{
			"feature_flag.key": "checkout-v2", "feature_flag.result.variant": variant,
			"graykit.tracked.name": name,
		}, count, sum, "1", "histogram"}
	}
	assert.ElementsMatch(t, []row{
		want("canary", "checkout_completed", 2, 2),
		want("canary", "order_value", 2, 85),
		want("stable", "checkout_completed", 1, 1),
		want("stable", "order_value", 1, 42.5),
	}, got)
}

func TestTrackedNamesAreBounded(t *testing.T) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	obs, err := grayotel.New(grayotel.WithMeterProvider(mp))
	require.NoError(t, err)
	for i := 0; i < grayotel.MaxTrackedSets+10; i++ {
		obs.ObserveMetric(gray.Metric{Rollout: "r", Variant: "v", Name: "n" + strconv.Itoa(i), Value: 1})
	}
	assert.Equal(t, uint64(10), obs.DroppedTracked())
	obs.ObserveMetric(gray.Metric{Rollout: "r", Variant: "v", Name: "n1", Value: 1})
	assert.Equal(t, uint64(10), obs.DroppedTracked(), "a known name still records")
}

func TestObserverAllocatesNothingOnceWarm(t *testing.T) {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	obs, err := grayotel.New(grayotel.WithMeterProvider(mp))
	require.NoError(t, err)
	s := &gray.Subject{Key: "u-1"}
	d := gray.Decision{Rollout: "checkout-v2", Variant: "canary", Default: "stable", Reason: gray.ReasonSplit}
	allocs := testing.AllocsPerRun(1000, func() {
		obs.ObserveExposure(context.Background(), s, d) // no span: metrics only
		obs.ObserveMetric(gray.Metric{Rollout: "checkout-v2", Variant: "canary", Name: "checkout_completed", Value: 1})
		obs.ObserveOutcome(gray.Outcome{Rollout: "checkout-v2", Variant: "canary", Status: 200})
	})
	assert.Zero(t, allocs)
}
