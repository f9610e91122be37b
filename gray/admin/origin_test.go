package admin

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOriginCheck(t *testing.T) {
	var c originCheck
	require.NoError(t, c.add("https://ops.example.com"))
	for _, bad := range []string{"not a url", "https://ops.example.com/path", "ops.example.com", "https://u@ops.example.com", "https://h?x=1"} {
		assert.Error(t, c.add(bad), bad)
	}
	tests := []struct {
		name   string
		method string
		hdr    map[string]string
		want   bool // allowed
	}{
		{"safe method from anywhere", http.MethodGet, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, true},
		{"same-origin fetch", http.MethodPost, map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"typed by the user", http.MethodPost, map[string]string{"Sec-Fetch-Site": "none"}, true},
		{"cross-site fetch", http.MethodPost, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, false},
		{"same-site is not same-origin", http.MethodPost, map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "https://a.console.test"}, false},
		{"cross-site from a trusted origin", http.MethodPost, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://ops.example.com"}, true},
		{"not a browser", http.MethodPost, nil, true},
		{"old browser, same host", http.MethodPost, map[string]string{"Origin": "http://console.test"}, true},
		{"old browser, other host", http.MethodPost, map[string]string{"Origin": "http://evil.example"}, false},
		{"old browser, trusted origin", http.MethodPost, map[string]string{"Origin": "https://ops.example.com"}, true},
		{"opaque origin", http.MethodPost, map[string]string{"Origin": "null"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequestWithContext(t.Context(), tt.method, "http://console.test/api/x", nil)
			for k, v := range tt.hdr {
				r.Header.Set(k, v)
			}
			assert.Equal(t, tt.want, c.check(r) == nil)
		})
	}
}
