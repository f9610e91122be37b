package gray

import (
	"bufio"
	"net"
	"net/http"
)

// Middleware returns net/http middleware that opens each request's
// [Decisions] on its context, so handlers ask [Variant] or [FromContext], and
// reports each decided rollout's outcome (status, latency, panic) to the
// observers given with [WithObserver]. The request is copied with the new
// context, never mutated. A panic in the handler is recorded as an error and
// re-raised. With a nil engine the middleware returns next unchanged and
// logs a warning ([NewHook]).
func Middleware(e *Engine, opts ...Option) func(http.Handler) http.Handler {
	return NewHook(e, opts...).Middleware
}

// Middleware wraps next as [Middleware] does, with the hook's options. A
// hook without an engine returns next unchanged.
func (h *Hook) Middleware(next http.Handler) http.Handler {
	if h.e == nil {
		h.warnNoEngine()
		return next
	}
	observe := len(h.cfg.observers) > 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := h.StartHTTP(w, r)
		rc := &s.rc
		if !observe {
			next.ServeHTTP(w, r.WithContext(rc))
			return
		}
		rw := &rc.d.ext.rw // observing hooks always have ext
		*rw = responseWriter{ResponseWriter: w}
		panicked := true
		defer func() {
			if panicked {
				s.End(Outcome{Status: http.StatusInternalServerError, Panic: true})
				return
			}
			s.End(Outcome{Status: rw.statusCode()})
		}()
		next.ServeHTTP(rw, r.WithContext(rc))
		panicked = false
	})
}

// responseWriter records the status a handler writes. It unwraps for
// http.ResponseController and passes Flush and Hijack through, so streaming
// and protocol upgrades keep working behind the middleware.
type responseWriter struct {
	http.ResponseWriter
	status int
}

var (
	_ http.Flusher  = (*responseWriter)(nil)
	_ http.Hijacker = (*responseWriter)(nil)
)

func (w *responseWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 || code == http.StatusSwitchingProtocols {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *responseWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *responseWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush flushes the underlying writer if it can.
func (w *responseWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Hijack hijacks the underlying connection if the writer allows it.
func (w *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
