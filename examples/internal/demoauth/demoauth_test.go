package demoauth_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/graykit/graykit/examples/internal/demoauth"
)

func TestUserID(t *testing.T) {
	a := demoauth.New()
	tok := a.Token("alice")
	tests := []struct {
		name string
		give string // Authorization header
		want string
	}{
		{"valid", "Bearer " + tok, "alice"},
		{"none", "", ""},
		{"not bearer", "Basic " + tok, ""},
		{"user changed", "Bearer bob" + tok[len("alice"):], ""},
		{"another authority's", "Bearer " + demoauth.New().Token("alice"), ""},
		{"no mac", "Bearer alice", ""},
		{"a header the client writes", "Bearer alice.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			if tt.give != "" {
				r.Header.Set("Authorization", tt.give)
			}
			assert.Equal(t, tt.want, a.UserID(r))
		})
	}
}
