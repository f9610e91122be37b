//go:build !race

package gray_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/graykit/graykit/gray"
)

// TestMiddlewareAttributeLookupAllocations pins issue 20's target: with
// attributes read through WithAttributeLookup, a request costs what one
// without attributes does (the request copy and the graykit state), not a
// map more.
func TestMiddlewareAttributeLookupAllocations(t *testing.T) {
	e := mustEngine(t, lookupYAML)
	h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"), gray.WithAttributeLookup(headerAttrs))(
		http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			_ = gray.Variant(r.Context(), "checkout")
		}))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("X-User", "u-1")
	r.Header.Set("X-Tenant", "acme")
	r.Header.Set("X-Region", "eu-west-1")
	w := httptest.NewRecorder()
	assert.LessOrEqual(t, testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) }), 2.0)
}
