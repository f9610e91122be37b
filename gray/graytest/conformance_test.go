package graytest_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.uber.org/goleak"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/graytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestFixtures pins the buckets the table relies on.
func TestFixtures(t *testing.T) {
	tests := []struct {
		name       string
		give       string
		wantCanary bool
	}{
		{name: "canary key", give: graytest.CanaryKey, wantCanary: true},
		{name: "stable key", give: graytest.StableKey, wantCanary: false},
		{name: "staff key u-5", give: "u-5", wantCanary: false},
		{name: "staff key u-6", give: "u-6", wantCanary: false},
		{name: "oversized key", give: strings.Repeat("k", 16<<10), wantCanary: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.wantCanary, gray.SaltedBucket("checkout", tt.give) < 5000)
		})
	}
}

// TestNetHTTP is the net/http leg: gray.Middleware itself.
func TestNetHTTP(t *testing.T) {
	graytest.Run(t, graytest.Target{
		Name:    "net/http",
		Cookies: true,
		Serve: func(t *testing.T, e *gray.Engine, opts []gray.Option) graytest.Client {
			mux := http.NewServeMux()
			mux.HandleFunc("POST "+graytest.Path, graytest.HandleHTTP)
			return graytest.ServeHTTP(t, gray.Middleware(e, opts...)(mux))
		},
	})
}
