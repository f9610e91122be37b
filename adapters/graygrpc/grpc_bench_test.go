package graygrpc_test

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/graykit/graykit/adapters/graygrpc"
	"github.com/graykit/graykit/gray"
)

var sink string

// BenchmarkUnary makes the same trivial in-process unary call (bufconn)
// bare and through the server interceptor with one rollout. Compare with:
//
//	go test -run '^$' -bench Unary -count 5 ./adapters/graygrpc | benchstat -col /icpt -
func BenchmarkUnary(b *testing.B) {
	cfg, err := gray.ParseConfig([]byte("rollouts: [{name: checkout, percent: 50}]"))
	if err != nil {
		b.Fatal(err)
	}
	e, err := gray.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	h := func(ctx context.Context, _ string) (string, error) {
		sink = gray.Variant(ctx, "checkout")
		return "", nil
	}
	benchmarks := []struct {
		name string
		opts []grpc.ServerOption
	}{
		{name: "icpt=bare"},
		{name: "icpt=graygrpc", opts: []grpc.ServerOption{grpc.UnaryInterceptor(graygrpc.UnaryServerInterceptor(e, gray.WithKeyFromHeader("x-user-id")))}},
	}
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			lis := bufconn.Listen(1 << 20)
			srv := grpc.NewServer(bm.opts...)
			srv.RegisterService(serviceDesc(h), nil)
			go func() { _ = srv.Serve(lis) }()
			defer srv.Stop()
			conn, err := grpc.NewClient("passthrough:///bufnet",
				grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
				grpc.WithTransportCredentials(insecure.NewCredentials()))
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			ctx := metadata.AppendToOutgoingContext(context.Background(), "x-user-id", "user-42")
			in, out := wrapperspb.String(""), new(wrapperspb.StringValue)
			b.ReportAllocs()
			for b.Loop() {
				if err := conn.Invoke(ctx, unaryMethod, in, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUnaryInterceptor prices the server interceptor alone: the same
// handler called directly and through the interceptor, on a context with the
// incoming metadata and peer a gRPC server provides. Over bufconn
// (BenchmarkUnary) the difference is lost in the transport's own noise of
// several microseconds. Compare with:
//
//	go test -run '^$' -bench UnaryInterceptor -count 8 ./adapters/graygrpc | benchstat -col /icpt -
func BenchmarkUnaryInterceptor(b *testing.B) {
	cfg, err := gray.ParseConfig([]byte("rollouts: [{name: checkout, percent: 50}]"))
	if err != nil {
		b.Fatal(err)
	}
	e, err := gray.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	icpt := graygrpc.UnaryServerInterceptor(e, gray.WithKeyFromHeader("x-user-id"))
	handler := func(ctx context.Context, _ any) (any, error) {
		sink = gray.Variant(ctx, "checkout")
		return nil, nil
	}
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("x-user-id", "user-42"))
	ctx = peer.NewContext(ctx, &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 50000}})
	info := &grpc.UnaryServerInfo{FullMethod: unaryMethod}
	b.Run("icpt=bare", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := handler(ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("icpt=graygrpc", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := icpt(ctx, nil, info, handler); err != nil {
				b.Fatal(err)
			}
		}
	})
}
