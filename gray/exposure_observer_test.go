package gray_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

type exposureSpy struct {
	gray.Counters
	keys     []string
	attrs    []string
	parent   []any
	sameDecs []bool
}

func (x *exposureSpy) ObserveExposure(ctx context.Context, s *gray.Subject, d gray.Decision) {
	x.keys = append(x.keys, s.Key+"/"+d.Rollout+"/"+d.Variant)
	x.attrs = append(x.attrs, s.Attrs["region"])
	x.parent = append(x.parent, ctx.Value(parentKey{}))
	decs, ok := gray.FromContext(ctx)
	x.sameDecs = append(x.sameDecs, ok && decs.Subject().Key == s.Key)
}

type parentKey struct{}

func TestExposureObserverGetsSubjectAndContext(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte("rollouts: [{name: a, percent: 100}, {name: b, percent: 0}]"))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	spy := &exposureSpy{}
	plain := gray.NewCounters()
	attrs := gray.WithAttributes(func(context.Context, gray.Request) map[string]string {
		return map[string]string{"region": "eu"}
	})
	h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"), attrs, gray.WithObserver(spy), gray.WithObserver(plain))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gray.Variant(r.Context(), "a")
			gray.Variant(r.Context(), "b")
			gray.Variant(r.Context(), "a")
		}))
	req := httptest.NewRequestWithContext(context.WithValue(t.Context(), parentKey{}, "p"), http.MethodGet, "/", nil)
	req.Header.Set("X-User", "u-7")
	h.ServeHTTP(httptest.NewRecorder(), req)

	assert.Equal(t, []string{"u-7/a/canary", "u-7/b/stable"}, spy.keys)
	assert.Equal(t, []string{"eu", "eu"}, spy.attrs)
	assert.Equal(t, []any{"p", "p"}, spy.parent, "the request's context, parent values included")
	assert.Equal(t, []bool{true, true}, spy.sameDecs)
	assert.Zero(t, spy.Stats("a", "canary").Decisions, "ObserveExposure replaces ObserveDecision")
	assert.Equal(t, uint64(1), spy.Stats("a", "canary").Requests, "outcomes still arrive")
	assert.Equal(t, uint64(1), plain.Stats("a", "canary").Decisions, "plain observers are unchanged")
}
