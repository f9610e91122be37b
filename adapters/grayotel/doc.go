// Package grayotel reports graykit's decisions and outcomes to
// OpenTelemetry, following the feature-flag semantic conventions of
// version 1.43.0 (go.opentelemetry.io/otel/semconv/v1.43.0).
//
// # Traces and metrics
//
// An [Observer], given to gray.WithObserver (or any adapter's options),
// adds one event named feature_flag.evaluation to the request's span for
// each rollout the request decides — feature_flag.key is the rollout,
// feature_flag.result.variant the variant, feature_flag.result.reason the
// reason in the conventions' words ([ResultReason]),
// feature_flag.provider.name "graykit", feature_flag.context.id the
// subject key (or its keyed hash, or nothing) — and counts decisions,
// requests and their durations per rollout and variant through a meter.
// Put the observer behind the tracing middleware (otelhttp, otelgin, …) so
// the request's span is on the context.
//
// # Exposure logs
//
// A [LogExporter] turns the exposure events of package gray/exposure into
// OpenTelemetry log events with the same attributes, batched off the
// request path by an exposure.Recorder.
//
//	obs, err := grayotel.New()
//	if err != nil { ... }
//	rec, err := exposure.NewRecorder(grayotel.NewLogExporter())
//	if err != nil { ... }
//	defer rec.Close(context.Background())
//	h := otelhttp.NewHandler(gray.Middleware(engine,
//		gray.WithKeyFromHeader("X-User"),
//		gray.WithObserver(obs), gray.WithObserver(rec))(mux), "server")
package grayotel
