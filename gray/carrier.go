package gray

import (
	"context"
	"net/http"
	"strings"
)

// Carrier is where a propagated value travels between services: the headers
// of an HTTP request ([HeaderCarrier]), gRPC metadata (graygrpc's
// MetadataCarrier), the headers of a queued message. It is the shape of
// OpenTelemetry's propagation.TextMapCarrier, with one rule added for
// removal, and every client side of graykit — [Transport], [Proxy],
// [Hook.Inject] and so the gRPC client interceptors — writes through it the
// same way.
//
// Keys are given as HTTP spells them canonically ([PropagationHeader],
// "Baggage"); a carrier whose keys follow another convention (gRPC metadata
// is lower case) maps them.
type Carrier interface {
	// Get returns the first value of key, or "" if there is none.
	Get(key string) string
	// Set replaces every value of key with value; an empty value removes
	// key.
	Set(key, value string)
	// Keys lists the keys present.
	Keys() []string
}

// ValuesGetter is a [Carrier] (or a [Request]) that can return every value
// of a key, as OpenTelemetry's propagation.ValuesGetter does. W3C baggage
// may arrive on several header lines that together form one list; graykit
// reads all of them when the carrier offers this, and the first only when
// it does not.
type ValuesGetter interface {
	// Values returns every value of key, in order; nil if there is none.
	Values(key string) []string
}

// baggageHeader is the canonical name of the W3C baggage header.
const baggageHeader = "Baggage"

// maxBaggageSize bounds the baggage searched for graykit's member: W3C
// Baggage limits a whole baggage list to 8192 bytes.
const maxBaggageSize = 8192

// HeaderCarrier is an http.Header as a [Carrier]. Keys are canonicalized as
// http.Header does.
type HeaderCarrier http.Header

var (
	_ Carrier      = HeaderCarrier(nil)
	_ ValuesGetter = HeaderCarrier(nil)
)

// Get returns the first value of key.
func (c HeaderCarrier) Get(key string) string { return http.Header(c).Get(key) }

// Values returns every value of key.
func (c HeaderCarrier) Values(key string) []string { return http.Header(c).Values(key) }

// Set replaces every value of key with value; an empty value removes key.
func (c HeaderCarrier) Set(key, value string) {
	if value == "" {
		http.Header(c).Del(key)
		return
	}
	http.Header(c).Set(key, value)
}

// Keys lists the header names present.
func (c HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// Inject writes into c the value that lets a service behind this one follow
// the decisions in ctx: the subject key, every decision made so far and
// every verified propagated one, signed with p. Whatever graykit value c
// already held — in [PropagationHeader] or as the baggage member
// [BaggageMember], put there by anyone — is replaced, so a value that a
// client sent and something copied along is never passed on; other baggage
// members are kept. With no decisions in ctx (or nothing to send) c is only
// cleaned.
func (p *Propagator) Inject(ctx context.Context, c Carrier) {
	d, _ := FromContext(ctx)
	injectWith(c, d, p)
}

// Extract reads the value c carries in p's carrier and verifies it, as
// [Propagator.Verify] does. With [WithBaggage] the first member named
// [BaggageMember] is used, across every baggage line if c is a
// [ValuesGetter]. A carrier without a value gives [ErrPropagationMissing],
// which is not counted in [Propagator.Stats].
func (p *Propagator) Extract(c Carrier) (Propagated, error) {
	var v string
	var ok bool
	switch vg, many := c.(ValuesGetter); {
	case !p.baggage:
		v = c.Get(PropagationHeader)
		ok = v != ""
	case many:
		v, ok = baggageValue(vg.Values(baggageHeader))
	default:
		v, ok = baggageValue([]string{c.Get(baggageHeader)})
	}
	if !ok {
		return Propagated{}, ErrPropagationMissing
	}
	return p.Verify(v)
}

// injectWith writes d's value signed with p into c, after removing every
// graykit value c holds. A nil d or p only removes.
func injectWith(c Carrier, d *Decisions, p *Propagator) {
	v := ""
	if d != nil && p != nil {
		v = p.encode(d)
	}
	baggage := p != nil && p.baggage
	if baggage || v == "" {
		c.Set(PropagationHeader, "")
	} else {
		c.Set(PropagationHeader, v)
	}
	var lines []string
	if vg, ok := c.(ValuesGetter); ok {
		lines = vg.Values(baggageHeader)
	} else if line := c.Get(baggageHeader); line != "" {
		lines = []string{line}
	}
	add := ""
	if baggage && v != "" {
		add = baggageMember(v)
	}
	if add == "" && !hasGraykitMember(lines) {
		return // nothing of graykit's in the baggage, and nothing to add: left as it is
	}
	var members []string
	for _, line := range lines {
		for m := range strings.SplitSeq(line, ",") {
			if m = strings.TrimSpace(m); m != "" && !isGraykitMember(m) {
				members = append(members, m)
			}
		}
	}
	if add != "" {
		members = append(members, add)
	}
	c.Set(baggageHeader, strings.Join(members, ","))
}

// carriesGraykit reports whether h holds a graykit value in either carrier.
func carriesGraykit(h http.Header) bool {
	return len(h[PropagationHeader]) > 0 || hasGraykitMember(h[baggageHeader])
}

func hasGraykitMember(lines []string) bool {
	for _, line := range lines {
		for line != "" {
			var m string
			m, line, _ = strings.Cut(line, ",")
			if isGraykitMember(m) {
				return true
			}
		}
	}
	return false
}

func baggageMember(v string) string {
	return BaggageMember + "=" + strings.ReplaceAll(v, "%", "%25")
}

func isGraykitMember(m string) bool {
	k, _, _ := strings.Cut(m, "=")
	return strings.TrimSpace(k) == BaggageMember
}

// baggageValue finds the first graykit member in the baggage lines, which
// together form one list, and returns its value, percent-decoded. Baggage
// longer than W3C's limit is not searched.
func baggageValue(lines []string) (string, bool) {
	n := 0
	for _, line := range lines {
		if n += len(line); n > maxBaggageSize {
			return "", false
		}
	}
	for _, h := range lines {
		for h != "" {
			var m string
			m, h, _ = strings.Cut(h, ",")
			_, v, ok := strings.Cut(m, "=")
			if !ok || !isGraykitMember(m) {
				continue
			}
			v, _, _ = strings.Cut(v, ";") // properties
			return percentDecode(strings.TrimSpace(v))
		}
	}
	return "", false
}

// inject is the one client-side path: it resolves the propagator — p if
// set, else the one of the middleware that opened ctx's decisions — and
// writes through c.
func inject(ctx context.Context, c Carrier, p *Propagator) {
	d, p := decisionsPropagator(ctx, p)
	injectWith(c, d, p)
}
