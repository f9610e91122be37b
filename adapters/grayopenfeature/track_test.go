package grayopenfeature_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/adapters/grayopenfeature"
	"github.com/graykit/graykit/gray"
)

func TestTrackOutsideARequest(t *testing.T) {
	e := newEngine(t, testConfig)
	tc := grayopenfeature.NewTrackCounters()
	_, client := newClient(t, grayopenfeature.New(e, grayopenfeature.WithTrackObserver(tc)))
	on := keyIn(t, "flag-bool", 0, 5000)
	off := keyIn(t, "flag-bool", 5000, 10000)

	client.Track(context.Background(), "purchase", of.NewEvaluationContext(on, nil), of.NewTrackingEventDetails(30))
	client.Track(context.Background(), "purchase", of.NewEvaluationContext(on, nil), of.NewTrackingEventDetails(12))
	client.Track(context.Background(), "purchase", of.NewEvaluationContext(off, nil), of.NewTrackingEventDetails(5))
	client.Track(context.Background(), "purchase", of.EvaluationContext{}, of.NewTrackingEventDetails(99))

	assert.Equal(t, grayopenfeature.TrackStats{Rollout: "flag-bool", Variant: "on", Name: "purchase", Count: 2, Sum: 42}, tc.Stats("flag-bool", "on", "purchase"))
	assert.Equal(t, grayopenfeature.TrackStats{Rollout: "flag-bool", Variant: "off", Name: "purchase", Count: 1, Sum: 5}, tc.Stats("flag-bool", "off", "purchase"))
	// Every configured rollout gets the event, under the subject's variant;
	// the keyless one is attributed to nothing.
	var total uint64
	for _, s := range tc.Snapshot() {
		total += s.Count
	}
	assert.Equal(t, uint64(3*len(e.Rollouts())), total)
}

// trackRecorder is an Observer and a TrackObserver.
type trackRecorder struct {
	*gray.Counters
	events []grayopenfeature.TrackEvent
}

func (r *trackRecorder) ObserveTrack(ev grayopenfeature.TrackEvent) { r.events = append(r.events, ev) }

func TestTrackInsideARequestUsesItsDecisions(t *testing.T) {
	e := newEngine(t, testConfig)
	rec := &trackRecorder{Counters: gray.NewCounters()}
	_, client := newClient(t, grayopenfeature.New(e, grayopenfeature.WithObserver(rec)))
	mwObs := gray.NewCounters()
	h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithObserver(mwObs))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = client.BooleanValue(r.Context(), "flag-bool", false, of.EvaluationContext{})
		details := of.NewTrackingEventDetails(1).Add("sku", "x-1")
		client.Track(r.Context(), "add-to-cart", of.EvaluationContext{}, details)
	}))
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req.Header.Set("X-User", "user-7")
	h.ServeHTTP(httptest.NewRecorder(), req)

	require.Len(t, rec.events, 1, "only the rollout the request decided")
	ev := rec.events[0]
	assert.Equal(t, "add-to-cart", ev.Name)
	assert.Equal(t, "user-7", ev.Key)
	assert.Equal(t, e.Decide("flag-bool", gray.Subject{Key: "user-7"}).Variant, ev.Decision.Variant)
	assert.Equal(t, map[string]any{"sku": "x-1"}, ev.Attributes)

	// The request's decision was observed once, by the middleware.
	v := ev.Decision.Variant
	assert.Equal(t, uint64(1), mwObs.Stats("flag-bool", v).Decisions)
	assert.Equal(t, uint64(0), rec.Stats("flag-bool", v).Decisions)

	// Outside a request, the provider's observer counts decisions.
	_, _ = client.BooleanValue(context.Background(), "flag-bool", false, of.NewEvaluationContext("user-7", nil))
	_, _ = client.BooleanValue(context.Background(), "missing", false, of.NewEvaluationContext("user-7", nil))
	assert.Equal(t, uint64(1), rec.Stats("flag-bool", v).Decisions)
	assert.Empty(t, rec.Stats("missing", "stable").Decisions)
}

func TestTrackOutcomesFeedGraykitsObservers(t *testing.T) {
	e := newEngine(t, testConfig)
	counters := gray.NewCounters()
	_, client := newClient(t, grayopenfeature.New(e,
		grayopenfeature.WithObserver(counters),
		grayopenfeature.WithTrackOutcome(func(name string, _ of.TrackingEventDetails) (gray.Outcome, bool) {
			return gray.Outcome{Status: 500, Code: name, Error: true}, name == "payment-failed"
		})))
	on := keyIn(t, "flag-bool", 0, 5000)
	client.Track(context.Background(), "payment-failed", of.NewEvaluationContext(on, nil), of.NewTrackingEventDetails(0))
	client.Track(context.Background(), "purchase", of.NewEvaluationContext(on, nil), of.NewTrackingEventDetails(10))

	st := counters.Stats("flag-bool", "on")
	assert.Equal(t, uint64(1), st.Requests, "only the mapped event")
	assert.Equal(t, uint64(1), st.Errors)
	assert.Equal(t, uint64(0), counters.Stats("flag-bool", "off").Requests)
}
