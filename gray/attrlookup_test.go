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

const lookupYAML = `
rollouts:
  - name: checkout
    bucket_by: "attr:tenant"
    percent: 100
    rules:
      - {name: eu, when: {field: "attr:region", eq: eu-north-1}, serve: canary}
`

// headerAttrs reads attributes from request headers by name, as an
// application would, without building a map.
func headerAttrs(_ context.Context, r gray.Request, name string) (string, bool) {
	switch name {
	case "region":
		return r.Header("X-Region")
	case "tenant":
		return r.Header("X-Tenant")
	}
	return "", false
}

func TestMiddlewareAttributeLookup(t *testing.T) {
	e := mustEngine(t, lookupYAML)
	var got gray.Decision
	h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithAttributeLookup(headerAttrs))(
		http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			d, _ := gray.FromContext(r.Context())
			got = d.Get("checkout")
		}))
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	r.Header.Set("X-User", "u-1")
	r.Header.Set("X-Tenant", "acme")
	h.ServeHTTP(httptest.NewRecorder(), r)
	assert.Equal(t, gray.ReasonSplit, got.Reason)
	assert.Equal(t, gray.SaltedBucket("checkout", "acme"), got.Bucket)

	r.Header.Set("X-Region", "eu-north-1")
	h.ServeHTTP(httptest.NewRecorder(), r)
	assert.Equal(t, "eu", got.Rule)

	r.Header.Del("X-Region")
	r.Header.Del("X-Tenant")
	h.ServeHTTP(httptest.NewRecorder(), r)
	assert.Equal(t, gray.ReasonNoBucketValue, got.Reason)
	assert.Equal(t, "stable", got.Variant)
}

// TestHookStartAttributeLookup covers the non-HTTP path (gRPC adapters).
func TestHookStartAttributeLookup(t *testing.T) {
	e := mustEngine(t, lookupYAML)
	h := gray.NewHook(e, gray.WithAttributeLookup(headerAttrs))
	sc := h.Start(t.Context(), &gray.Values{Headers: map[string]string{"X-Tenant": "acme"}})
	d, ok := gray.FromContext(sc.Context())
	require.True(t, ok)
	dec := d.Get("checkout")
	assert.Equal(t, gray.SaltedBucket("checkout", "acme"), dec.Bucket)
	sc.End(gray.Outcome{})
}
