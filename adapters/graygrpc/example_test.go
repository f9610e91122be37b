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

// A backend behind the server interceptor follows the decision its
// caller's client interceptor signed, whatever its own configuration says.
func ExampleUnaryClientInterceptor() {
	// Every service of the chain shares the secret (32 bytes or more).
	prop, _ := gray.NewPropagator([][]byte{[]byte("a shared secret of 32 bytes or more")})
	edgeCfg, _ := gray.ParseConfig([]byte("rollouts: [{name: checkout-v2, percent: 100}]"))
	edgeEngine, _ := gray.New(edgeCfg)
	backendCfg, _ := gray.ParseConfig([]byte("rollouts: [{name: checkout-v2, percent: 0}]"))
	backendEngine, _ := gray.New(backendCfg)

	// The backend: it reports the variant it decided in a response header.
	lis, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(
		graygrpc.UnaryServerInterceptor(backendEngine, gray.WithPropagator(prop)),
		func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			_ = grpc.SetHeader(ctx, metadata.Pairs("x-variant", gray.Variant(ctx, "checkout-v2")))
			return h(ctx, req)
		},
	))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	// The caller: its request context carries a decision for user-7. Under
	// a middleware with a propagator, UnaryClientInterceptor(engine) alone
	// signs with it; here, without one, the option names it.
	conn, _ := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(graygrpc.UnaryClientInterceptor(edgeEngine, gray.WithOutboundPropagator(prop))))
	defer conn.Close()
	ctx := gray.NewContext(context.Background(), edgeEngine, gray.Subject{Key: "user-7"})
	fmt.Println(gray.Variant(ctx, "checkout-v2"))

	var header metadata.MD
	_, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Header(&header))
	fmt.Println(err, header.Get("x-variant"))
	// Output:
	// canary
	// <nil> [canary]
}
