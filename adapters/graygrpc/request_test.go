package graygrpc

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
)

func TestRequest(t *testing.T) {
	md := metadata.Pairs("x-user-id", "u-1", "cookie", `a=1; uid="u-2"`, ":authority", "api.example.com:443")
	ctx := peer.NewContext(metadata.NewIncomingContext(context.Background(), md), &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 4}})
	r := &request{ctx: ctx, method: "/pkg.Svc/Do"}
	tests := []struct {
		name   string
		give   func() (string, bool)
		want   string
		wantOK bool
	}{
		{name: "header canonical", give: func() (string, bool) { return r.Header("X-User-Id") }, want: "u-1", wantOK: true},
		{name: "header lower", give: func() (string, bool) { return r.Header("x-user-id") }, want: "u-1", wantOK: true},
		{name: "header long", give: func() (string, bool) { return r.Header(strings.Repeat("A", 100)) }},
		{name: "header absent", give: func() (string, bool) { return r.Header("X-Other") }},
		{name: "cookie", give: func() (string, bool) { return r.Cookie("uid") }, want: "u-2", wantOK: true},
		{name: "cookie absent", give: func() (string, bool) { return r.Cookie("b") }},
		{name: "query", give: func() (string, bool) { return r.Query("x") }},
		{name: "ip", give: func() (string, bool) { return r.ClientIP(), true }, want: "10.1.2.3", wantOK: true},
		{name: "host", give: func() (string, bool) { return r.Host(), true }, want: "api.example.com", wantOK: true},
		{name: "method", give: func() (string, bool) { return r.Method(), true }, want: "POST", wantOK: true},
		{name: "path", give: func() (string, bool) { return r.Path(), true }, want: "/pkg.Svc/Do", wantOK: true},
		{name: "no peer", give: func() (string, bool) { return (&request{ctx: context.Background()}).ClientIP(), true }, want: "", wantOK: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.give()
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantOK, ok)
		})
	}
}
