package graygrpc_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/graykit/graykit/adapters/graygrpc"
	"github.com/graykit/graykit/gray"
)

// echoKey answers with the metadata the server got under key names.
func echoKey(ctx context.Context, _ string) (string, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	return strings.Join(md.Get(graygrpc.DefaultKeyMetadata), ",") + "|" + strings.Join(md.Get("x-custom"), ","), nil
}

func TestClientForwardsKey(t *testing.T) {
	e := newEngine(t, "rollouts: [{name: checkout, percent: 50}]")
	withKey := func(key string) context.Context {
		return gray.NewContext(t.Context(), e, gray.Subject{Key: key})
	}
	tests := []struct {
		name string
		opts []gray.Option
		give context.Context
		want string
	}{
		{name: "key forwarded", give: withKey("user-7"), want: "user-7|"},
		{name: "no decisions", give: t.Context(), want: "|"},
		{name: "no key", give: withKey(""), want: "|"},
		{
			name: "caller's metadata wins",
			give: metadata.AppendToOutgoingContext(withKey("user-7"), "X-Gray-Key", "explicit"),
			want: "explicit|",
		},
		{
			name: "caller's metadata wins, set with NewOutgoingContext",
			give: metadata.NewOutgoingContext(withKey("user-7"), metadata.Pairs(graygrpc.DefaultKeyMetadata, "explicit")),
			want: "explicit|",
		},
		{name: "custom key", opts: []gray.Option{graygrpc.WithKeyMetadata("X-Custom")}, give: withKey("user-7"), want: "|user-7"},
		{name: "forwarding off", opts: []gray.Option{graygrpc.WithKeyMetadata("")}, give: withKey("user-7"), want: "|"},
	}
	for _, tt := range tests {
		t.Run(tt.name+"/unary", func(t *testing.T) {
			conn := serve(t, echoKey, nil, grpc.WithUnaryInterceptor(graygrpc.UnaryClientInterceptor(e, tt.opts...)))
			out := new(wrapperspb.StringValue)
			require.NoError(t, conn.Invoke(tt.give, unaryMethod, wrapperspb.String(""), out))
			assert.Equal(t, tt.want, out.GetValue())
		})
		t.Run(tt.name+"/stream", func(t *testing.T) {
			conn := serve(t, echoKey, nil, grpc.WithStreamInterceptor(graygrpc.StreamClientInterceptor(e, tt.opts...)))
			ctx, cancel := context.WithCancel(tt.give)
			defer cancel()
			cs, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, streamMethod)
			require.NoError(t, err)
			require.NoError(t, cs.SendMsg(wrapperspb.String("")))
			require.NoError(t, cs.CloseSend())
			out := new(wrapperspb.StringValue)
			require.NoError(t, cs.RecvMsg(out))
			assert.Equal(t, tt.want, out.GetValue())
		})
	}
}

// The chain: an edge decides, its client interceptor forwards the key, and
// the backend, reading it with WithKeyFromHeader(DefaultKeyMetadata),
// decides the same for every key.
func TestChainDecidesTheSame(t *testing.T) {
	e := newEngine(t, "rollouts: [{name: checkout, percent: 50}]")
	conn := serve(t, func(ctx context.Context, _ string) (string, error) { return gray.Variant(ctx, "checkout"), nil },
		interceptors(e, []gray.Option{gray.WithKeyFromHeader(graygrpc.DefaultKeyMetadata)}),
		grpc.WithUnaryInterceptor(graygrpc.UnaryClientInterceptor(e)))
	seen := map[string]int{}
	for i := range 40 {
		key := "user-" + strings.Repeat("x", i)
		edge := gray.NewContext(t.Context(), e, gray.Subject{Key: key})
		want := gray.Variant(edge, "checkout")
		out := new(wrapperspb.StringValue)
		require.NoError(t, conn.Invoke(edge, unaryMethod, wrapperspb.String(""), out))
		assert.Equal(t, want, out.GetValue(), key)
		seen[want]++
	}
	assert.Len(t, seen, 2, "both sides of the split are exercised")
}

// With the core's propagation configured, the client interceptor carries
// the edge's signed decisions and the backend follows them, even where its
// own configuration would decide otherwise.
func TestClientPropagatesDecisions(t *testing.T) {
	p, err := gray.NewPropagator([][]byte{[]byte("0123456789abcdef0123456789abcdef")})
	require.NoError(t, err)
	edgeEngine := newEngine(t, "rollouts: [{name: checkout, percent: 100}]")
	backendEngine := newEngine(t, "rollouts: [{name: checkout, percent: 0}]")
	conn := serve(t, func(ctx context.Context, _ string) (string, error) {
		d, _ := gray.FromContext(ctx)
		dec := d.Get("checkout")
		return dec.Variant + " " + dec.Reason.String(), nil
	}, interceptors(backendEngine, []gray.Option{gray.WithPropagator(p)}),
		grpc.WithUnaryInterceptor(graygrpc.UnaryClientInterceptor(edgeEngine, gray.WithOutboundPropagator(p))))

	edge := gray.NewContext(t.Context(), edgeEngine, gray.Subject{Key: "user-7"})
	require.Equal(t, "canary", gray.Variant(edge, "checkout"))
	out := new(wrapperspb.StringValue)
	require.NoError(t, conn.Invoke(edge, unaryMethod, wrapperspb.String(""), out))
	assert.Equal(t, "canary "+gray.ReasonPropagated.String(), out.GetValue())
}
