package graygrpc

import (
	"context"
	"net"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/internal/reqval"
)

// request is a gRPC call as the core reads it: headers are incoming
// metadata, the path is the full method name, the client IP comes from the
// peer, and there is no query.
//
// Metadata is read from the context on each ask, one key at a time:
// metadata.FromIncomingContext would copy every key and value of every call.
type request struct {
	ctx    context.Context
	method string
}

var (
	_ gray.Request      = (*request)(nil)
	_ gray.ValuesGetter = (*request)(nil)
)

// Header returns the first value of the metadata key name, matched
// case-insensitively (metadata keys are lowercase on the wire).
func (r *request) Header(name string) (string, bool) {
	vs := metadata.ValueFromIncomingContext(r.ctx, name)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// Values returns every value of the metadata key name, matched
// case-insensitively: baggage may come as several values.
func (r *request) Values(name string) []string {
	return metadata.ValueFromIncomingContext(r.ctx, name)
}

// Cookie reads the named cookie from "cookie" metadata, as HTTP does.
func (r *request) Cookie(name string) (string, bool) {
	return reqval.Cookie(metadata.ValueFromIncomingContext(r.ctx, "cookie"), name)
}

func (r *request) Query(string) (string, bool) { return "", false }

func (r *request) ClientIP() string {
	p, ok := peer.FromContext(r.ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	if a, ok := p.Addr.(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return reqval.HostOnly(p.Addr.String())
}

func (r *request) Method() string { return "POST" }

func (r *request) Path() string { return r.method }

func (r *request) Host() string {
	if vs := metadata.ValueFromIncomingContext(r.ctx, ":authority"); len(vs) > 0 {
		return reqval.HostOnly(vs[0])
	}
	return ""
}
