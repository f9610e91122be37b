package graygrpc

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/graykit/graykit/gray"
)

type client struct {
	hook        *gray.Hook
	keyMetadata string
}

func newClient(e *gray.Engine, opts []gray.Option) *client {
	cfg, core := splitOptions(opts)
	return &client{hook: gray.NewHook(e, core...), keyMetadata: cfg.keyMetadata}
}

// outgoing adds to ctx's outgoing metadata what the server behind needs to
// decide as this request did: the subject key, and whatever the core's
// propagation writes ([gray.Hook.Inject]). Metadata the caller set is never
// overwritten.
func (c *client) outgoing(ctx context.Context) context.Context {
	var kv []string
	if d, ok := gray.FromContext(ctx); ok && c.keyMetadata != "" {
		if key := d.Subject().Key; key != "" && !hasOutgoing(ctx, c.keyMetadata) {
			kv = append(kv, c.keyMetadata, key)
		}
	}
	c.hook.Inject(ctx, func(k, v string) {
		k = strings.ToLower(k)
		if !hasOutgoing(ctx, k) {
			kv = append(kv, k, v)
		}
	})
	if len(kv) == 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

// hasOutgoing reports whether the caller already set key in ctx's outgoing
// metadata (matched case-insensitively).
func hasOutgoing(ctx context.Context, key string) bool {
	md, _ := metadata.FromOutgoingContext(ctx) // a copy: grpc-go before 1.81 has no ValueFromOutgoingContext
	return len(md.Get(key)) > 0
}

// UnaryClientInterceptor returns a client interceptor that makes the server
// behind decide as this request did: it forwards the subject key of the
// decisions in the call's context in outgoing metadata under
// [DefaultKeyMetadata] (or [WithKeyMetadata]'s name), and adds what the
// core's propagation writes ([gray.Hook.Inject]). The server reads the key
// with gray.WithKeyFromHeader(graygrpc.DefaultKeyMetadata). Metadata the
// caller set explicitly is never overwritten; a context without decisions
// is passed on unchanged. e may be nil when only the key is forwarded.
//
// With gray.WithBaggage, a caller that sets its own "baggage" metadata
// keeps it and graykit's member is not added (the two are not merged):
// the server behind then decides for itself. Use the default carrier
// (gray.PropagationHeader) when callers write baggage of their own.
func UnaryClientInterceptor(e *gray.Engine, opts ...gray.Option) grpc.UnaryClientInterceptor {
	c := newClient(e, opts)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, callOpts ...grpc.CallOption) error {
		return invoker(c.outgoing(ctx), method, req, reply, cc, callOpts...)
	}
}

// StreamClientInterceptor is [UnaryClientInterceptor] for streams.
func StreamClientInterceptor(e *gray.Engine, opts ...gray.Option) grpc.StreamClientInterceptor {
	c := newClient(e, opts)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		return streamer(c.outgoing(ctx), desc, cc, method, callOpts...)
	}
}
