package gray

import "net/http"

// TransportOption configures [Transport].
type TransportOption interface {
	applyTransport(*transport)
}

type transportOptionFunc func(*transport)

func (f transportOptionFunc) applyTransport(t *transport) { f(t) }

// WithTransportPropagator makes [Transport] sign with p instead of the
// propagator of the middleware that opened the request's decisions: for
// decisions made with [NewContext] (jobs, consumers), or under a middleware
// that has no propagator.
func WithTransportPropagator(p *Propagator) TransportOption {
	return transportOptionFunc(func(t *transport) { t.p = p })
}

// Transport returns an http.RoundTripper that sends the decisions of the
// outbound request's context to the service it calls, then sends the
// request with base (http.DefaultTransport if nil). It writes the subject
// key, every decision made so far in the request and every verified
// propagated one (a rollout braked here travels as its default), signed by
// [WithTransportPropagator]'s propagator or else the one given to the
// middleware with [WithPropagator] or [WithOutboundPropagator], into that
// propagator's [Carrier] — the same rule as [Proxy] and [Hook.Inject].
// Whatever graykit value the request already had, in
// [PropagationHeader] or as the baggage member [BaggageMember], is removed
// first, whoever put it there; other baggage members are kept. A request
// with nothing to sign (no decisions, or no propagator) is sent without any
// graykit value. The request is copied, never modified; one without a
// graykit value to remove or write is sent as it is. The returned
// RoundTripper is safe for concurrent use.
//
//	client := &http.Client{Transport: gray.Transport(nil)}
//	req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, url, nil)
//	resp, err := client.Do(req)
func Transport(base http.RoundTripper, opts ...TransportOption) http.RoundTripper {
	t := &transport{base: base}
	for _, o := range opts {
		if o != nil {
			o.applyTransport(t)
		}
	}
	if t.base == nil {
		t.base = http.DefaultTransport
	}
	return t
}

type transport struct {
	base http.RoundTripper
	p    *Propagator
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	d, p := decisionsPropagator(req.Context(), t.p)
	if (p == nil || d == nil) && !carriesGraykit(req.Header) {
		return t.base.RoundTrip(req) // nothing to write, nothing to remove
	}
	out := req.WithContext(req.Context()) // a shallow copy: RoundTrip must not modify req
	out.Header = req.Header.Clone()
	if out.Header == nil {
		out.Header = http.Header{}
	}
	injectWith(HeaderCarrier(out.Header), d, p)
	return t.base.RoundTrip(out)
}

// CloseIdleConnections closes the base transport's idle connections, if it
// can, so http.Client.CloseIdleConnections reaches it.
func (t *transport) CloseIdleConnections() {
	if c, ok := t.base.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
