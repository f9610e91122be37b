package graygrpc_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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

var propSecret = []byte("0123456789abcdef0123456789abcdef")

func mustPropagator(t *testing.T, opts ...gray.PropagatorOption) *gray.Propagator {
	t.Helper()
	p, err := gray.NewPropagator([][]byte{propSecret}, opts...)
	require.NoError(t, err)
	return p
}

// followed answers how the backend decided checkout, and the baggage
// members other than graykit's that reached it.
func followed(ctx context.Context, _ string) (string, error) {
	d, _ := gray.FromContext(ctx)
	dec := d.Get("checkout")
	md, _ := metadata.FromIncomingContext(ctx)
	var others []string
	for _, line := range md.Get("baggage") {
		for m := range strings.SplitSeq(line, ",") {
			if m = strings.TrimSpace(m); m != "" && !strings.HasPrefix(m, gray.BaggageMember+"=") {
				others = append(others, m)
			}
		}
	}
	return d.Subject().Key + " " + dec.Variant + "(" + dec.Reason.String() + ") [" + strings.Join(others, ",") + "]", nil
}

// invoke calls the backend once, unary or as a stream, and returns its
// answer.
func invoke(t *testing.T, conn *grpc.ClientConn, ctx context.Context, stream bool) string {
	t.Helper()
	out := new(wrapperspb.StringValue)
	if !stream {
		require.NoError(t, conn.Invoke(ctx, unaryMethod, wrapperspb.String(""), out))
		return out.GetValue()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cs, err := conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, streamMethod)
	require.NoError(t, err)
	require.NoError(t, cs.SendMsg(wrapperspb.String("")))
	require.NoError(t, cs.CloseSend())
	require.NoError(t, cs.RecvMsg(out))
	return out.GetValue()
}

// TestClientReplacesCallerCarrier: an edge that copies incoming metadata to
// outgoing (grpc-gateway does for Grpc-Metadata-*, OpenTelemetry for
// baggage) hands the client interceptor whatever the public client sent.
// The interceptor must send its own signed decision in graykit's carrier,
// and keep the other baggage members, whatever the caller put there.
func TestClientReplacesCallerCarrier(t *testing.T) {
	edgeEngine := newEngine(t, "rollouts: [{name: checkout, percent: 100}]")
	backendEngine := newEngine(t, "rollouts: [{name: checkout, percent: 0}]")
	other, err := mustPropagator(t).Sign("mallory", []gray.Decision{{Rollout: "checkout", Variant: "stable"}})
	require.NoError(t, err)
	carriers := []struct {
		name string
		opts []gray.PropagatorOption
	}{
		{"header", nil},
		{"baggage", []gray.PropagatorOption{gray.WithBaggage()}},
	}
	tests := []struct {
		name string
		give metadata.MD // what the caller copied into the outgoing metadata
		want string
	}{
		{"nothing", nil, "user-7 canary(propagated) []"},
		{"garbage value", metadata.Pairs("graykit-propagation", "garbage"), "user-7 canary(propagated) []"},
		{"another user's valid value", metadata.Pairs("graykit-propagation", other), "user-7 canary(propagated) []"},
		{"garbage baggage member", metadata.Pairs("baggage", "a=1,graykit=garbage;p=1, b=2"), "user-7 canary(propagated) [a=1,b=2]"},
		{"another user's member", metadata.Pairs("baggage", "graykit="+strings.ReplaceAll(other, "%", "%25")), "user-7 canary(propagated) []"},
		{"member on a second value", metadata.Pairs("baggage", "a=1", "baggage", "graykit=garbage"), "user-7 canary(propagated) [a=1]"},
		{"both carriers", metadata.Pairs("graykit-propagation", "garbage", "baggage", "graykit=garbage,c=3"), "user-7 canary(propagated) [c=3]"},
	}
	for _, carrier := range carriers {
		for _, stream := range []bool{false, true} {
			kind := carrier.name + "/unary"
			if stream {
				kind = carrier.name + "/stream"
			}
			t.Run(kind, func(t *testing.T) {
				p := mustPropagator(t, carrier.opts...)
				conn := serve(t, followed, interceptors(backendEngine, []gray.Option{gray.WithPropagator(p)}),
					grpc.WithUnaryInterceptor(graygrpc.UnaryClientInterceptor(edgeEngine, gray.WithOutboundPropagator(p))),
					grpc.WithStreamInterceptor(graygrpc.StreamClientInterceptor(edgeEngine, gray.WithOutboundPropagator(p))))
				for _, tt := range tests {
					t.Run(tt.name, func(t *testing.T) {
						ctx := gray.NewContext(t.Context(), edgeEngine, gray.Subject{Key: "user-7"})
						require.Equal(t, "canary", gray.Variant(ctx, "checkout"))
						if tt.give != nil {
							ctx = metadata.NewOutgoingContext(ctx, tt.give)
						}
						assert.Equal(t, tt.want, invoke(t, conn, ctx, stream))
						assert.Equal(t, tt.give, outgoingOf(ctx), "the caller's metadata is not modified")
					})
				}
			})
		}
	}
}

func outgoingOf(ctx context.Context) metadata.MD {
	md, _ := metadata.FromOutgoingContext(ctx)
	return md
}

// TestClientWithoutDecisionsStripsCarrier: a call whose context carries no
// decisions, or whose client has no propagator at all, still never forwards
// a graykit value someone else wrote.
func TestClientWithoutDecisionsStripsCarrier(t *testing.T) {
	e := newEngine(t, "rollouts: [{name: checkout, percent: 100}]")
	p := mustPropagator(t)
	valid, err := p.Sign("mallory", []gray.Decision{{Rollout: "checkout", Variant: "canary"}})
	require.NoError(t, err)
	give := metadata.Pairs("graykit-propagation", valid, "baggage", "a=1,graykit="+valid)
	tests := []struct {
		name string
		opts []gray.Option
		ctx  func(t *testing.T) context.Context
	}{
		{"no decisions", []gray.Option{gray.WithOutboundPropagator(p)}, func(t *testing.T) context.Context { return t.Context() }},
		{"no propagator", nil, func(t *testing.T) context.Context {
			return gray.NewContext(t.Context(), e, gray.Subject{Key: "user-7"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := serve(t, followed, interceptors(newEngine(t, "rollouts: [{name: checkout, percent: 0}]"), []gray.Option{gray.WithPropagator(p)}),
				grpc.WithUnaryInterceptor(graygrpc.UnaryClientInterceptor(e, tt.opts...)))
			assert.Equal(t, " stable(no key) [a=1]", invoke(t, conn, metadata.NewOutgoingContext(tt.ctx(t), give), false))
		})
	}
}

// TestEveryClientSideSignsAlike: under a middleware with a propagator, the
// README's client setups — gray.Transport(nil), gray.NewProxy, and the gRPC
// client interceptors given only the engine — all sign the request's
// decisions with the middleware's propagator, so the chain holds on every
// hop whichever client a service uses.
func TestEveryClientSideSignsAlike(t *testing.T) {
	p := mustPropagator(t)
	backendEngine := newEngine(t, "rollouts: [{name: checkout, percent: 0}]")
	middleEngine := newEngine(t, "rollouts: [{name: other, percent: 50}]") // has no checkout
	inbound, err := p.Sign("user-7", []gray.Decision{{Rollout: "checkout", Variant: "canary"}})
	require.NoError(t, err)

	httpBackend := httptest.NewServer(gray.Middleware(backendEngine, gray.WithPropagator(p))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			out, _ := followed(r.Context(), "")
			_, _ = io.WriteString(w, out)
		})))
	t.Cleanup(httpBackend.Close)
	backendURL, err := url.Parse(httpBackend.URL)
	require.NoError(t, err)
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	client := &http.Client{Transport: gray.Transport(base)}
	proxy, err := gray.NewProxy("checkout", map[string]*url.URL{"stable": backendURL}, gray.WithProxyTransport(base))
	require.NoError(t, err)
	conn := serve(t, followed, interceptors(backendEngine, []gray.Option{gray.WithPropagator(p)}),
		grpc.WithUnaryInterceptor(graygrpc.UnaryClientInterceptor(middleEngine)),
		grpc.WithStreamInterceptor(graygrpc.StreamClientInterceptor(middleEngine)))

	callHTTP := func(r *http.Request) string {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, httpBackend.URL, nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(b)
	}
	tests := []struct {
		name string
		give http.Handler
	}{
		{"gray.Transport(nil)", answer(callHTTP)},
		{"gray.NewProxy", proxy},
		{"graygrpc.UnaryClientInterceptor(engine)", answer(func(r *http.Request) string { return invoke(t, conn, r.Context(), false) })},
		{"graygrpc.StreamClientInterceptor(engine)", answer(func(r *http.Request) string { return invoke(t, conn, r.Context(), true) })},
	}
	options := []struct {
		name string
		give gray.Option
		want string
	}{
		// Behind the edge, the middle follows the inbound decision and
		// passes it on.
		{"WithPropagator", gray.WithPropagator(p), "user-7 canary(propagated) []"},
		// At the edge, the inbound value is never read: the backend gets
		// the middle's key alone and decides for itself.
		{"WithOutboundPropagator", gray.WithOutboundPropagator(p), "user-7 stable(default) []"},
	}
	for _, tt := range tests {
		for _, opt := range options {
			t.Run(tt.name+"/"+opt.name, func(t *testing.T) {
				middle := gray.Middleware(middleEngine, gray.WithKeyFromHeader("X-User"), opt.give)(tt.give)
				r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "http://middle/", nil)
				r.Header.Set("X-User", "user-7")
				r.Header.Set(gray.PropagationHeader, inbound)
				w := httptest.NewRecorder()
				middle.ServeHTTP(w, r)
				require.Equal(t, http.StatusOK, w.Code, w.Body.String())
				assert.Equal(t, opt.want, w.Body.String())
			})
		}
	}
}

// answer serves what call returns.
func answer(call func(r *http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, call(r)) })
}
