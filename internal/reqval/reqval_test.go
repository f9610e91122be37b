package reqval

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHostOnly(t *testing.T) {
	tests := []struct{ give, want string }{
		{"example.com", "example.com"},
		{"example.com:8080", "example.com"},
		{"10.1.2.3:5555", "10.1.2.3"},
		{"[::1]:80", "::1"},
		{"[2001:db8::1]", "2001:db8::1"},
		{"2001:db8::1", "2001:db8::1"},
		{"[broken", "[broken"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			assert.Equal(t, tt.want, HostOnly(tt.give))
			assert.Zero(t, testing.AllocsPerRun(10, func() { _ = HostOnly(tt.give) }))
		})
	}
}

func TestCookieAndQueryScanners(t *testing.T) {
	tests := []struct {
		name      string
		give      []string
		key       string
		want      string
		wantFound bool
	}{
		{"first of several", []string{"a=1; b=2; a=3"}, "a", "1", true},
		{"second line", []string{"x=1", "b=2"}, "b", "2", true},
		{"quoted", []string{`b="v"`}, "b", "v", true},
		{"empty value", []string{"b="}, "b", "", true},
		{"absent", []string{"bb=1; xb=2"}, "b", "", false},
		{"invalid char", []string{"b=a\\b"}, "b", "", false},
		{"garbage", []string{";;;==;"}, "b", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := Cookie(tt.give, tt.key)
			assert.Equal(t, tt.wantFound, ok)
			assert.Equal(t, tt.want, v)
		})
	}
	queries := []struct {
		give, key, want string
		wantFound       bool
	}{
		{"a=1&b=2", "b", "2", true},
		{"a=1&a=2", "a", "1", true},
		{"a", "a", "", true},
		{"b=x%20y", "b", "x y", true},
		{"b=x+y", "b", "x y", true},
		{"%62=1", "b", "1", true},
		{"b=%zz", "b", "", false},
		{"", "b", "", false},
	}
	for _, tt := range queries {
		t.Run("query "+tt.give, func(t *testing.T) {
			v, ok := Query(tt.give, tt.key)
			assert.Equal(t, tt.wantFound, ok)
			assert.Equal(t, tt.want, v)
		})
	}
	assert.Zero(t, testing.AllocsPerRun(10, func() { _, _ = Cookie([]string{"a=1; version=beta"}, "version") }))
	assert.Zero(t, testing.AllocsPerRun(10, func() { _, _ = Query("a=1&gray=on", "gray") }))
}
