package adapteropt_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/adapters/internal/adapteropt"
	"github.com/graykit/graykit/gray"
)

type conf struct{ n int }

type other struct{ s string }

func TestSplit(t *testing.T) {
	keyOpt := gray.WithKeyFromHeader("X-User-ID")
	tests := []struct {
		name     string
		give     []gray.Option
		wantN    int
		wantCore int
	}{
		{name: "none", give: nil, wantN: 0, wantCore: 0},
		{name: "core only", give: []gray.Option{keyOpt}, wantN: 0, wantCore: 1},
		{name: "mixed", give: []gray.Option{adapteropt.New(func(c *conf) { c.n++ }), keyOpt, adapteropt.New(func(c *conf) { c.n += 10 })}, wantN: 11, wantCore: 1},
		{name: "another adapter's option stays with the core", give: []gray.Option{adapteropt.New(func(c *other) { c.s = "x" })}, wantN: 0, wantCore: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c conf
			core := adapteropt.Split(tt.give, &c)
			assert.Equal(t, tt.wantN, c.n)
			assert.Len(t, core, tt.wantCore)
		})
	}
}

// An adapter option handed to the core is harmless.
func TestOptionIsNoOpForCore(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte("rollouts: [{name: r, percent: 100}]"))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	mw := gray.Middleware(e, adapteropt.New(func(*conf) {}), gray.WithKeyFromHeader("X-User-ID"))
	var got string
	h := mw(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = gray.Variant(r.Context(), "r") }))
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req.Header.Set("X-User-ID", "u")
	h.ServeHTTP(httptest.NewRecorder(), req)
	assert.Equal(t, "canary", got)
}
