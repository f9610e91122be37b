package graygrpc

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/graykit/graykit/gray"
)

type client struct {
	hook *gray.Hook
}

func newClient(e *gray.Engine, opts []gray.Option) *client {
	_, core := splitOptions(opts)
	return &client{hook: gray.NewHook(e, core...)}
}

// outgoing returns ctx with outgoing metadata in which graykit's carrier
// holds this call's signed decisions ([gray.Hook.Inject]) and nothing
// anyone else put there. The caller's metadata is copied, never modified.
func (c *client) outgoing(ctx context.Context) context.Context {
	md, ok := metadata.FromOutgoingContext(ctx) // a copy
	if !ok {
		if _, decided := gray.FromContext(ctx); !decided {
			return ctx // nothing to write and nothing to remove
		}
		md = metadata.MD{}
	}
	c.hook.Inject(ctx, MetadataCarrier(md))
	if !ok && len(md) == 0 {
		return ctx // nothing to sign after all (no propagator)
	}
	return metadata.NewOutgoingContext(ctx, md)
}

// UnaryClientInterceptor returns a client interceptor that lets the server
// behind follow this call's decisions: it writes the subject key and the
// decisions of the call's context, signed, into graykit's carrier in the
// outgoing metadata ("graykit-propagation", or the "graykit" member of
// "baggage" with gray.WithBaggage), exactly as gray.Transport does for
// HTTP. It signs with the propagator given in opts (gray.WithPropagator or
// gray.WithOutboundPropagator) or, without one, with the propagator of the
// middleware or interceptor that opened the call's decisions, so
//
//	graygrpc.UnaryClientInterceptor(engine)
//
// signs wherever the calling service's middleware has a propagator.
//
// Whatever graykit value the outgoing metadata already held is replaced
// (or, with nothing to sign, removed), whoever put it there: an edge that
// copies incoming metadata to outgoing (grpc-gateway does for
// Grpc-Metadata-* headers, OpenTelemetry for baggage) never forwards a
// public client's value. Other baggage members are kept; the caller's
// other metadata is left as it is. e is not consulted (the client side
// decides nothing) and may be nil.
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
