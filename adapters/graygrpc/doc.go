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
// [StreamClientInterceptor] write the call's signed decisions into the
// outgoing metadata ([MetadataCarrier]; the same carrier rules as
// gray.Transport), so the service behind follows the caller. The
// interceptors hold no bucketing or rule logic: a conformance suite runs
// the same table of cases through net/http, Gin, Echo and gRPC.
//
// # Usage
//
// Every service of a chain shares a [gray.Propagator] (the same secrets). A
// backend follows what its callers signed:
//
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(recovery, graygrpc.UnaryServerInterceptor(engine, gray.WithPropagator(prop))),
//		grpc.ChainStreamInterceptor(streamRecovery, graygrpc.StreamServerInterceptor(engine, gray.WithPropagator(prop))),
//	)
//
// and its handlers ask gray.Variant(ctx, "checkout-v2"). A caller (an HTTP
// edge behind gray.Middleware with gray.WithOutboundPropagator(prop), or
// another service behind gray.WithPropagator(prop)) signs with its
// middleware's propagator:
//
//	conn, err := grpc.NewClient(target,
//		grpc.WithTransportCredentials(creds),
//		grpc.WithUnaryInterceptor(graygrpc.UnaryClientInterceptor(engine)),
//		grpc.WithStreamInterceptor(graygrpc.StreamClientInterceptor(engine)),
//	)
//
// A call whose context has no middleware's decisions (a job using
// gray.NewContext) names the propagator itself:
// graygrpc.UnaryClientInterceptor(engine, gray.WithOutboundPropagator(prop)).
//
// Chain a recovery interceptor before the server interceptors: graygrpc
// records a panic and re-raises it, and gRPC itself does not recover.
//
// Anonymous stickiness (gray.WithAnonymousCookie) needs a response cookie,
// which gRPC does not have: a call without a key gets the default variant
// unless a rule matches. A propagated value carries the caller's key.
package graygrpc
