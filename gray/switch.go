package gray

import "net/http"

// Switch is an http.Handler that serves each request with the handler
// registered for the variant its subject got in one rollout: a whole new
// version of an endpoint behind one route. It must run behind [Middleware]
// (or an adapter); without decisions on the context, or for a variant with no
// handler, it serves the default handler.
type Switch struct {
	rollout  string
	fallback http.Handler
	variants map[string]http.Handler
}

var _ http.Handler = (*Switch)(nil)

// NewSwitch returns a Switch for the named rollout that serves fallback
// (the old version) unless a variant's handler is registered with Handle.
func NewSwitch(rollout string, fallback http.Handler) *Switch {
	return &Switch{rollout: rollout, fallback: fallback, variants: map[string]http.Handler{}}
}

// Handle registers h for variant and returns s, so calls chain. Register
// every handler before serving; Handle is not safe to call concurrently
// with ServeHTTP.
func (s *Switch) Handle(variant string, h http.Handler) *Switch {
	s.variants[variant] = h
	return s
}

// ServeHTTP serves r with the handler of its variant.
func (s *Switch) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h, ok := s.variants[Variant(r.Context(), s.rollout)]; ok {
		h.ServeHTTP(w, r)
		return
	}
	s.fallback.ServeHTTP(w, r)
}
