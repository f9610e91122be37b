// Command grpc runs an HTTP edge in front of a gRPC pricing backend, both
// on loopback, and shows the backend honouring the edge's decision: the
// edge decides checkout-v2 by the user's key, its gRPC client interceptor
// signs the key and the decision with the secret both services share, and
// the backend, trusting only what verifies, follows it. It makes a few
// requests, prints what each got, and exits.
//
// The backend is a hand-registered service on the well-known StringValue
// message, so no generated code is needed.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/graykit/graykit/adapters/graygrpc"
	"github.com/graykit/graykit/examples/internal/demoauth"
	"github.com/graykit/graykit/gray"
)

// Both services load the same configuration (in production: the same file).
const config = "rollouts: [{name: checkout-v2, percent: 30}]"

const quoteMethod = "/pricing.Pricing/Quote"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "grpc:", err)
		os.Exit(1)
	}
}

func newEngine() (*gray.Engine, error) {
	cfg, err := gray.ParseConfig([]byte(config))
	if err != nil {
		return nil, err
	}
	return gray.New(cfg)
}

func run(ctx context.Context, out io.Writer) error {
	backendEngine, err := newEngine()
	if err != nil {
		return err
	}
	edgeEngine, err := newEngine()
	if err != nil {
		return err
	}

	// Both services share the secret (in production: from your secret
	// store, 32 bytes or more).
	prop, err := gray.NewPropagator([][]byte{[]byte("example-secret-shared-by-the-chain")})
	if err != nil {
		return err
	}

	// The backend.
	backendLis, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	backend := grpc.NewServer(grpc.UnaryInterceptor(
		graygrpc.UnaryServerInterceptor(backendEngine, gray.WithPropagator(prop))))
	backend.RegisterService(&pricingDesc, nil)
	backendDone := make(chan error, 1)
	go func() { backendDone <- backend.Serve(backendLis) }()
	defer func() { backend.Stop(); <-backendDone }()

	// The edge.
	conn, err := grpc.NewClient(backendLis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(graygrpc.UnaryClientInterceptor(edgeEngine)))
	if err != nil {
		return err
	}
	defer conn.Close()
	// The edge signs for the backend (the client interceptor uses the
	// middleware's propagator) and never trusts a value from outside.
	// It keys each request by the signed-in user (a verified token, never a
	// header the client writes).
	auth := demoauth.New() // stands in for your authentication
	edge := gray.Middleware(edgeEngine, gray.WithKeyFunc(auth.UserID), gray.WithOutboundPropagator(prop))(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			quote := new(wrapperspb.StringValue)
			if err := conn.Invoke(r.Context(), quoteMethod, wrapperspb.String("basket"), quote); err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			fmt.Fprintf(w, "edge=%s backend=%s", gray.Variant(r.Context(), "checkout-v2"), quote.GetValue())
		}))
	edgeLis, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: edge}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(edgeLis) }()

	client := &http.Client{Transport: &http.Transport{}}
	err = visit(ctx, client, auth, "http://"+edgeLis.Addr().String()+"/checkout", out)
	client.CloseIdleConnections()
	if shutdownErr := srv.Shutdown(context.Background()); err == nil {
		err = shutdownErr
	}
	if serveErr := <-served; err == nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = serveErr
	}
	return err
}

func visit(ctx context.Context, client *http.Client, auth *demoauth.Authority, url string, out io.Writer) error {
	for _, user := range []string{"user-1", "user-2", "user-3", "user-4", "user-5"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		auth.Authorize(req, user)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: %s\n", user, body)
	}
	return nil
}

// pricingDesc registers Quote by hand: it answers with the variant of
// checkout-v2 the backend decided for the caller.
var pricingDesc = grpc.ServiceDesc{
	ServiceName: "pricing.Pricing",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{
		MethodName: "Quote",
		Handler: func(_ any, ctx context.Context, dec func(any) error, icpt grpc.UnaryServerInterceptor) (any, error) {
			in := new(wrapperspb.StringValue)
			if err := dec(in); err != nil {
				return nil, err
			}
			quote := func(ctx context.Context, _ any) (any, error) {
				return wrapperspb.String(gray.Variant(ctx, "checkout-v2") + "-pricing"), nil
			}
			if icpt == nil {
				return quote(ctx, in)
			}
			return icpt(ctx, in, &grpc.UnaryServerInfo{FullMethod: quoteMethod}, quote)
		},
	}},
}
