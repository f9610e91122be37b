package graygrpc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/graykit/graykit/adapters/graygrpc"
	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/graytest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// A hand-registered service on the well-known StringValue message, so no
// generated code is needed: Unary answers one message, Stream answers each
// message it receives.
const (
	unaryMethod  = "/graykit.test.Echo/Unary"
	streamMethod = "/graykit.test.Echo/Stream"
)

// handler answers a request message with the reply message or an error.
type handler func(ctx context.Context, in string) (string, error)

func serviceDesc(h handler) *grpc.ServiceDesc {
	return &grpc.ServiceDesc{
		ServiceName: "graykit.test.Echo",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Unary",
			Handler: func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
				in := new(wrapperspb.StringValue)
				if err := dec(in); err != nil {
					return nil, err
				}
				call := func(ctx context.Context, req any) (any, error) {
					out, err := h(ctx, req.(*wrapperspb.StringValue).GetValue())
					if err != nil {
						return nil, err
					}
					return wrapperspb.String(out), nil
				}
				if icpt == nil {
					return call(ctx, in)
				}
				return icpt(ctx, in, &grpc.UnaryServerInfo{FullMethod: unaryMethod}, call)
			},
		}},
		Streams: []grpc.StreamDesc{{
			StreamName:    "Stream",
			ServerStreams: true,
			ClientStreams: true,
			Handler: func(_ any, ss grpc.ServerStream) error {
				for {
					in := new(wrapperspb.StringValue)
					if err := ss.RecvMsg(in); err != nil {
						return nil //nolint:nilerr // io.EOF: the client is done
					}
					out, err := h(ss.Context(), in.GetValue())
					if err != nil {
						return err
					}
					if err := ss.SendMsg(wrapperspb.String(out)); err != nil {
						return err
					}
				}
			},
		}},
	}
}

// recoverUnary and recoverStream turn a panic into an Internal error, as a
// recovery interceptor chained before graygrpc's does in production.
func recoverUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = status.Errorf(codes.Internal, "panic: %v", p)
		}
	}()
	return h(ctx, req)
}

func recoverStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = status.Errorf(codes.Internal, "panic: %v", p)
		}
	}()
	return h(srv, ss)
}

// serve starts a loopback server for h behind the interceptors and returns a
// connection to it, with the given client options.
func serve(t *testing.T, h handler, srvOpts []grpc.ServerOption, dialOpts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer(srvOpts...)
	srv.RegisterService(serviceDesc(h), nil)
	go func() { _ = srv.Serve(lis) }()
	conn, err := grpc.NewClient(lis.Addr().String(), append(dialOpts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = conn.Close()
		srv.Stop()
	})
	return conn
}

func interceptors(e *gray.Engine, opts []gray.Option) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(recoverUnary, graygrpc.UnaryServerInterceptor(e, opts...)),
		grpc.ChainStreamInterceptor(recoverStream, graygrpc.StreamServerInterceptor(e, opts...)),
	}
}

// respond is graytest.Respond as a gRPC handler: the request message is
// the action, a failure is an Internal error carrying the report.
func respond(ctx context.Context, action string) (string, error) {
	body, fail := graytest.Respond(ctx, action)
	if fail {
		return "", status.Error(codes.Internal, body)
	}
	return body, nil
}

func outgoing(ctx context.Context, c graytest.Call) context.Context {
	var kv []string
	if c.Key != "" {
		kv = append(kv, graytest.KeyHeader, c.Key)
	}
	for k, v := range c.Headers {
		kv = append(kv, k, v)
	}
	if c.Cookie != "" {
		kv = append(kv, "cookie", c.Cookie)
	}
	return metadata.AppendToOutgoingContext(ctx, kv...)
}

func reply(out string, err error) graytest.Reply {
	if err != nil {
		return graytest.Reply{Body: status.Convert(err).Message()}
	}
	return graytest.Reply{OK: true, Body: out}
}

func TestConformanceUnary(t *testing.T) {
	graytest.Run(t, graytest.Target{
		Name: "grpc unary",
		Serve: func(t *testing.T, e *gray.Engine, opts []gray.Option) graytest.Client {
			conn := serve(t, respond, interceptors(e, opts))
			return func(ctx context.Context, c graytest.Call) graytest.Reply {
				out := new(wrapperspb.StringValue)
				err := conn.Invoke(outgoing(ctx, c), unaryMethod, wrapperspb.String(c.Action), out)
				return reply(out.GetValue(), err)
			}
		},
	})
}

func TestConformanceStream(t *testing.T) {
	graytest.Run(t, graytest.Target{
		Name: "grpc stream",
		Serve: func(t *testing.T, e *gray.Engine, opts []gray.Option) graytest.Client {
			conn := serve(t, respond, interceptors(e, opts))
			return func(ctx context.Context, c graytest.Call) graytest.Reply {
				ctx, cancel := context.WithCancel(outgoing(ctx, c))
				defer cancel()
				desc := &grpc.StreamDesc{StreamName: "Stream", ServerStreams: true, ClientStreams: true}
				cs, err := conn.NewStream(ctx, desc, streamMethod)
				if err != nil {
					return reply("", err)
				}
				if err := cs.SendMsg(wrapperspb.String(c.Action)); err != nil {
					return reply("", cs.RecvMsg(new(wrapperspb.StringValue)))
				}
				if err := cs.CloseSend(); err != nil {
					return reply("", err)
				}
				out := new(wrapperspb.StringValue)
				if err := cs.RecvMsg(out); err != nil {
					return reply("", err)
				}
				// The stream ends (and its outcome is recorded) after the
				// reply: wait for the end, as for a unary call.
				if err := cs.RecvMsg(new(wrapperspb.StringValue)); !errors.Is(err, io.EOF) {
					return reply("", err)
				}
				return reply(out.GetValue(), nil)
			}
		},
	})
}

func newEngine(t *testing.T, cfg string) *gray.Engine {
	t.Helper()
	c, err := gray.ParseConfig([]byte(cfg))
	require.NoError(t, err)
	e, err := gray.New(c)
	require.NoError(t, err)
	return e
}

// The request values rules see: the full method as path, POST as method,
// the :authority as host, metadata as headers.
func TestRequestValues(t *testing.T) {
	e := newEngine(t, `
rollouts:
  - name: path
    rules: [{name: r, when: {field: path, eq: "/graykit.test.Echo/Unary"}, serve: canary}]
  - name: method
    rules: [{name: r, when: {field: method, eq: POST}, serve: canary}]
  - name: host
    rules: [{name: r, when: {field: host, eq: "127.0.0.1"}, serve: canary}]
  - name: query
    rules: [{name: r, when: {field: "query:x", present: true}, serve: canary}]
  - name: header
    rules: [{name: r, when: {field: "header:X-Tenant", eq: acme}, serve: canary}]
`)
	conn := serve(t, func(ctx context.Context, _ string) (string, error) {
		var b strings.Builder
		for _, r := range []string{"path", "method", "host", "query", "header"} {
			fmt.Fprintf(&b, "%s=%s ", r, gray.Variant(ctx, r))
		}
		return b.String(), nil
	}, interceptors(e, nil))
	out := new(wrapperspb.StringValue)
	ctx := metadata.AppendToOutgoingContext(t.Context(), "x-tenant", "acme")
	require.NoError(t, conn.Invoke(ctx, unaryMethod, wrapperspb.String(""), out))
	assert.Equal(t, "path=canary method=canary host=canary query=stable header=canary ", out.GetValue())
}

func TestOutcomeCodes(t *testing.T) {
	tests := []struct {
		name       string
		opts       []gray.Option
		give       error
		wantErrors uint64
	}{
		{name: "ok", give: nil, wantErrors: 0},
		{name: "client fault", give: status.Error(codes.NotFound, "no"), wantErrors: 0},
		{name: "server fault", give: status.Error(codes.Unavailable, "down"), wantErrors: 1},
		{name: "plain error is Unknown", give: errors.New("plain"), wantErrors: 1},
		{name: "configured code", opts: []gray.Option{graygrpc.WithErrorCodes(codes.ResourceExhausted)}, give: status.Error(codes.ResourceExhausted, "slow down"), wantErrors: 1},
		{name: "not configured", opts: []gray.Option{graygrpc.WithErrorCodes(codes.Internal)}, give: status.Error(codes.Aborted, "retry"), wantErrors: 0},
		{name: "5xx code left out", opts: []gray.Option{graygrpc.WithErrorCodes(codes.Internal)}, give: status.Error(codes.Unimplemented, "not yet"), wantErrors: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			counters := gray.NewCounters()
			opts := append([]gray.Option{gray.WithObserver(counters), gray.WithEager()}, tt.opts...)
			conn := serve(t, func(context.Context, string) (string, error) { return "", tt.give }, interceptors(newEngine(t, "rollouts: [{name: r}]"), opts))
			err := conn.Invoke(t.Context(), unaryMethod, wrapperspb.String(""), new(wrapperspb.StringValue))
			assert.Equal(t, status.Code(tt.give), status.Code(err))
			got := counters.Stats("r", "stable")
			assert.Equal(t, uint64(1), got.Requests)
			assert.Equal(t, tt.wantErrors, got.Errors)
		})
	}
}

type recordingObserver struct{ outcomes chan gray.Outcome }

func (recordingObserver) ObserveDecision(gray.Decision) {}
func (o recordingObserver) ObserveOutcome(out gray.Outcome) {
	o.outcomes <- out
}

func TestOutcomeFields(t *testing.T) {
	obs := recordingObserver{outcomes: make(chan gray.Outcome, 1)}
	conn := serve(t, func(context.Context, string) (string, error) { return "", status.Error(codes.Unavailable, "down") },
		interceptors(newEngine(t, "rollouts: [{name: r}]"), []gray.Option{gray.WithObserver(obs), gray.WithEager()}))
	_ = conn.Invoke(t.Context(), unaryMethod, wrapperspb.String(""), new(wrapperspb.StringValue))
	got := <-obs.outcomes
	assert.Equal(t, "r", got.Rollout)
	assert.Equal(t, 503, got.Status)
	assert.Equal(t, "Unavailable", got.Code)
	assert.True(t, got.Error)
	assert.False(t, got.Panic)
	assert.Positive(t, got.Latency)
}

// Without a recovery interceptor the panic reaches the caller of the
// interceptor untouched.
func TestPanicReRaised(t *testing.T) {
	counters := gray.NewCounters()
	icpt := graygrpc.UnaryServerInterceptor(newEngine(t, "rollouts: [{name: r}]"), gray.WithObserver(counters), gray.WithEager())
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		_, _ = icpt(t.Context(), nil, &grpc.UnaryServerInfo{FullMethod: unaryMethod}, func(context.Context, any) (any, error) { panic("boom") })
	}()
	assert.Equal(t, "boom", recovered)
	assert.Equal(t, uint64(1), counters.Stats("r", "stable").Panics)
}

func TestHTTPStatus(t *testing.T) {
	tests := []struct {
		give codes.Code
		want int
	}{
		{codes.OK, 200}, {codes.Canceled, 499}, {codes.Unknown, 500}, {codes.InvalidArgument, 400},
		{codes.DeadlineExceeded, 504}, {codes.NotFound, 404}, {codes.AlreadyExists, 409},
		{codes.PermissionDenied, 403}, {codes.ResourceExhausted, 429}, {codes.FailedPrecondition, 400},
		{codes.Aborted, 409}, {codes.OutOfRange, 400}, {codes.Unimplemented, 501}, {codes.Internal, 500},
		{codes.Unavailable, 503}, {codes.DataLoss, 500}, {codes.Unauthenticated, 401}, {codes.Code(99), 500},
	}
	for _, tt := range tests {
		t.Run(tt.give.String(), func(t *testing.T) {
			assert.Equal(t, tt.want, graygrpc.HTTPStatus(tt.give))
		})
	}
}

func TestNilEngine(t *testing.T) {
	conn := serve(t, func(ctx context.Context, _ string) (string, error) {
		_, ok := gray.FromContext(ctx)
		return fmt.Sprint(ok), nil
	}, interceptors(nil, nil))
	out := new(wrapperspb.StringValue)
	require.NoError(t, conn.Invoke(t.Context(), unaryMethod, wrapperspb.String(""), out))
	assert.Equal(t, "false", out.GetValue())
}
