package gray

import "context"

// WithAttributeLookup supplies the subject's attributes (for "attr:NAME"
// fields in rules and bucket_by) by name: fn is called only when a decision
// reads an attribute, with the attribute's name, and builds no map. Over
// HTTP (the net/http middleware and the adapters built on
// [Hook.StartHTTP]) it costs nothing per request; other protocols (gRPC)
// pay one small allocation per request. Attributes from [WithAttributes],
// when both are given, are looked at first. fn runs on the request's
// goroutines, possibly several times per request; it must not keep r.
func WithAttributeLookup(fn func(ctx context.Context, r Request, name string) (value string, ok bool)) Option {
	return optionFunc(func(c *hookConfig) { c.attrLookup = fn })
}

var _ AttrSource = (*httpView)(nil)

// Attr answers an attribute through the hook's lookup, if it has one.
func (h *httpView) Attr(name string) (string, bool) {
	fn := h.d.hook.cfg.attrLookup
	if fn == nil {
		return "", false
	}
	return fn(h.Context, h, name)
}

// lookupRequest adds the hook's attribute lookup to a non-HTTP request.
type lookupRequest struct {
	Request
	ctx context.Context
	fn  func(ctx context.Context, r Request, name string) (string, bool)
}

var _ AttrSource = (*lookupRequest)(nil)

func (l *lookupRequest) Attr(name string) (string, bool) { return l.fn(l.ctx, l.Request, name) }
