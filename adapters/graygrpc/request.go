package graygrpc

import (
	"context"
	"net"
	"strings"

	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/graykit/graykit/gray"
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

var _ gray.Request = (*request)(nil)

// Header returns the first value of the metadata key name, matched
// case-insensitively (metadata keys are lowercase on the wire).
func (r *request) Header(name string) (string, bool) {
	vs := metadata.ValueFromIncomingContext(r.ctx, name)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// Cookie reads the named cookie from "cookie" metadata, as HTTP does.
func (r *request) Cookie(name string) (string, bool) {
	return cookieValue(metadata.ValueFromIncomingContext(r.ctx, "cookie"), name)
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
	return hostOnly(p.Addr.String())
}

func (r *request) Method() string { return "POST" }

func (r *request) Path() string { return r.method }

func (r *request) Host() string {
	if vs := metadata.ValueFromIncomingContext(r.ctx, ":authority"); len(vs) > 0 {
		return hostOnly(vs[0])
	}
	return ""
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]")
}

// cookieValue finds the named cookie in Cookie lines exactly as the core
// does for HTTP: the first cookie of that name, surrounding double quotes
// stripped, a value with characters a cookie may not hold counting as
// absent. (The core's scanner is unexported; this mirrors it, and the
// conformance suite holds both to the same answers.)
func cookieValue(lines []string, name string) (string, bool) {
	for _, line := range lines {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			k, v, ok := strings.Cut(part, "=")
			if !ok || k != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if !validCookieValue(v) {
				return "", false
			}
			return v, true
		}
	}
	return "", false
}

func validCookieValue(v string) bool {
	for i := range len(v) {
		c := v[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == ';' || c == '\\' || c == ',' {
			return false
		}
	}
	return true
}
