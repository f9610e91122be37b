// Package exposure records who was exposed to which variant, for joining
// exposures with outcomes (conversions, revenue, errors) outside the
// process.
//
// A [Recorder] is a gray observer: given to gray.WithObserver (or any
// adapter's options), it receives the first decision of each rollout in
// each request, with the subject's key and the attributes you allow, and
// hands them in batches to an [Exporter] on a goroutine of its own. The
// request path never waits for the exporter: events go into a bounded
// ring, and when it is full they are dropped and counted in
// [Recorder.Stats]. Close the recorder at shutdown to export what is left.
//
// Built-in exporters: [NewJSONExporter] and [NewSlogExporter] write one
// log record per event; adapters/grayotel exports them as OpenTelemetry log
// events. Keys can leave the process as keyed hashes ([WithHashedKeys]).
//
//	rec, err := exposure.NewRecorder(exposure.NewJSONExporter(os.Stdout),
//		exposure.WithAttributes("region"))
//	if err != nil { ... }
//	defer rec.Close(context.Background())
//	handler := gray.Middleware(engine, gray.WithKeyFromHeader("X-User"),
//		gray.WithObserver(rec))(mux)
package exposure
