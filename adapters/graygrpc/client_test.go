package graygrpc_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/graykit/graykit/adapters/graygrpc"
	"github.com/graykit/graykit/gray"
)

// The chain: an edge decides and its client interceptor signs the
// decision with the key; the backend, whose only key source is the
// propagated value, decides the same for every key.
func TestChainDecidesTheSame(t *testing.T) {
	p, err := gray.NewPropagator([][]byte{[]byte("0123456789abcdef0123456789abcdef")})
	require.NoError(t, err)
	e := newEngine(t, "rollouts: [{name: checkout, percent: 50}]")
	conn := serve(t, func(ctx context.Context, _ string) (string, error) { return gray.Variant(ctx, "checkout"), nil },
		interceptors(e, []gray.Option{gray.WithPropagator(p)}),
		grpc.WithUnaryInterceptor(graygrpc.UnaryClientInterceptor(e, gray.WithOutboundPropagator(p))))
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
