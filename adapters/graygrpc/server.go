package graygrpc

import (
	"context"
	"net/http"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/graykit/graykit/gray"
)

type server struct {
	hook   *gray.Hook
	errors codeSet
}

func newServer(e *gray.Engine, opts []gray.Option) *server {
	cfg, core := splitOptions(opts)
	return &server{hook: gray.NewHook(e, core...), errors: *cfg.errorCodes}
}

func (s *server) start(ctx context.Context, fullMethod string) *gray.Scope {
	return s.hook.Start(ctx, &request{ctx: ctx, method: fullMethod})
}

func (s *server) end(sc *gray.Scope, err error, panicked bool) {
	if panicked {
		sc.End(gray.Outcome{Status: http.StatusInternalServerError, Code: codes.Internal.String(), Panic: true})
		return
	}
	code := callCode(err)
	sc.End(gray.Outcome{Status: HTTPStatus(code), Code: code.String(), Error: s.errors.has(code)})
}

// callCode is the code the client sees for a handler's error: a status
// error's own code, and for a bare context error (a handler returning
// ctx.Err()) Canceled or DeadlineExceeded, as grpc-go sends it, rather than
// Unknown, so a client's cancellation is not counted as a server error.
func callCode(err error) codes.Code {
	if _, ok := status.FromError(err); ok {
		return status.Code(err)
	}
	return status.FromContextError(err).Code()
}

// UnaryServerInterceptor returns a server interceptor that opens each call's
// [gray.Decisions] as [gray.Middleware] does for HTTP, with the same
// options: the subject key and attributes come from incoming metadata
// (gray.WithKeyFromHeader names a metadata key, matched case-insensitively;
// gray.WithKeyFromContext reads the call's context), "ip" rules see the
// peer's address, "path" rules the full method name, "host" rules the
// :authority, "cookie:" rules a "cookie" metadata entry; query parameters
// are absent and HTTP-only options (WithKeyFunc, WithAnonymousCookie,
// WithClientIP) have no effect. The handler's context carries the
// decisions, so [gray.Variant] works in it.
//
// When the call ends it reports every decided rollout's outcome: the code,
// its HTTP equivalent ([HTTPStatus]) and whether it is an error
// ([DefaultErrorCodes], [WithErrorCodes]). A panic is recorded (Panic,
// code Internal) and re-raised untouched: chain a recovery interceptor
// before this one to turn it into an error. With a nil engine the handler
// runs without decisions, as [gray.NewHook] says.
func UnaryServerInterceptor(e *gray.Engine, opts ...gray.Option) grpc.UnaryServerInterceptor {
	s := newServer(e, opts)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		sc := s.start(ctx, info.FullMethod)
		panicked := true
		defer func() { s.end(sc, err, panicked) }()
		resp, err = handler(sc.Context(), req)
		panicked = false
		return resp, err
	}
}

// StreamServerInterceptor is [UnaryServerInterceptor] for streams: the
// handler gets a wrapped grpc.ServerStream whose Context carries the
// decisions, and the outcome is reported when the handler returns.
func StreamServerInterceptor(e *gray.Engine, opts ...gray.Option) grpc.StreamServerInterceptor {
	s := newServer(e, opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		sc := s.start(ss.Context(), info.FullMethod)
		panicked := true
		defer func() { s.end(sc, err, panicked) }()
		err = handler(srv, &serverStream{ServerStream: ss, ctx: sc.Context()})
		panicked = false
		return err
	}
}

// serverStream carries the call's decisions in its context.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *serverStream) Context() context.Context { return s.ctx }

// HTTPStatus returns the HTTP status a gateway gives for a gRPC code (the
// mapping of google.rpc.Code and grpc-gateway), which outcomes carry as
// Status: OK is 200, Unavailable 503, an unknown code 500.
func HTTPStatus(c codes.Code) int {
	switch c {
	case codes.OK:
		return http.StatusOK
	case codes.Canceled:
		return 499 // client closed request
	case codes.InvalidArgument, codes.FailedPrecondition, codes.OutOfRange:
		return http.StatusBadRequest
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	case codes.NotFound:
		return http.StatusNotFound
	case codes.AlreadyExists, codes.Aborted:
		return http.StatusConflict
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.Unimplemented:
		return http.StatusNotImplemented
	case codes.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError // Unknown, Internal, DataLoss, unknown codes
}
