// Package graygrpc is the gRPC adapter of graykit: four interceptors that
// behave as [gray.Middleware] does for HTTP, with the same [gray.Option]s.
//
// On the server, [UnaryServerInterceptor] and [StreamServerInterceptor]
// open each call's [gray.Decisions] on the handler's context (streams get a
// wrapped grpc.ServerStream), reading the subject key and rule values from
// incoming metadata (gray.WithKeyFromHeader names a metadata key), the
// client IP from the peer and the full method name where HTTP rules use the
// path, and report each call's code, its HTTP equivalent and its latency to
// the observers. On the client, [UnaryClientInterceptor] and
// [StreamClientInterceptor] forward the subject key (under
// [DefaultKeyMetadata]) and whatever the core propagates, so the service
// behind decides as the caller did. The interceptors hold no bucketing or
// rule logic: a conformance suite runs the same table of cases through
// net/http, Gin, Echo and gRPC.
//
// # Usage
//
// A backend decides by the key its callers forward:
//
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(recovery, graygrpc.UnaryServerInterceptor(engine,
//			gray.WithKeyFromHeader(graygrpc.DefaultKeyMetadata))),
//		grpc.ChainStreamInterceptor(streamRecovery, graygrpc.StreamServerInterceptor(engine,
//			gray.WithKeyFromHeader(graygrpc.DefaultKeyMetadata))),
//	)
//
// and its handlers ask gray.Variant(ctx, "checkout-v2"). A caller (an HTTP
// edge behind [gray.Middleware], or another gRPC service) forwards its
// subject:
//
//	conn, err := grpc.NewClient(target,
//		grpc.WithTransportCredentials(creds),
//		grpc.WithUnaryInterceptor(graygrpc.UnaryClientInterceptor(engine)),
//		grpc.WithStreamInterceptor(graygrpc.StreamClientInterceptor(engine)),
//	)
//
// Chain a recovery interceptor before the server interceptors: graygrpc
// records a panic and re-raises it, and gRPC itself does not recover.
//
// Anonymous stickiness (gray.WithAnonymousCookie) needs a response cookie,
// which gRPC does not have: a call without a key gets the default variant
// unless a rule matches. Forward the caller's key instead.
package graygrpc
