package graygrpc_test

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/graykit/graykit/adapters/graygrpc"
	"github.com/graykit/graykit/gray"
)

// A backend behind the server interceptor sees the key its caller's client
// interceptor forwarded, and decides the same way.
func ExampleUnaryClientInterceptor() {
	cfg, _ := gray.ParseConfig([]byte("rollouts: [{name: checkout-v2, percent: 100}]"))
	engine, _ := gray.New(cfg)

	// The backend: it reports the variant it decided in a response header.
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(
		graygrpc.UnaryServerInterceptor(engine, gray.WithKeyFromHeader(graygrpc.DefaultKeyMetadata)),
		func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			_ = grpc.SetHeader(ctx, metadata.Pairs("x-variant", gray.Variant(ctx, "checkout-v2")))
			return h(ctx, req)
		},
	))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	// The caller: its request context carries a decision for user-7.
	conn, _ := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(graygrpc.UnaryClientInterceptor(engine)))
	defer conn.Close()
	ctx := gray.NewContext(context.Background(), engine, gray.Subject{Key: "user-7"})

	var header metadata.MD
	_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Header(&header))
	fmt.Println(err, header.Get("x-variant"))
	// Output: <nil> [canary]
}
