package gray

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// PropagationHeader is the header (gRPC: metadata key
// "graykit-propagation") that carries propagated decisions by default.
const PropagationHeader = "Graykit-Propagation"

// BaggageMember is the W3C baggage list member that carries propagated
// decisions when a [Propagator] uses [WithBaggage].
const BaggageMember = "graykit"

// MaxPropagationSize is the largest propagated value, in bytes, that is
// written or read. Larger values are not written (counted as Dropped) and
// are rejected when read (counted as Oversized).
const MaxPropagationSize = 4096

// MinSecretSize is the shortest secret [NewPropagator] accepts, in bytes.
const MinSecretSize = 32

// DefaultPropagationTTL is how long a propagated value stays valid unless
// [WithPropagationTTL] says otherwise.
const DefaultPropagationTTL = 30 * time.Second

// Errors [Propagator.Verify] returns for values it does not trust. They are
// also what [PropagationStats] counts.
var (
	ErrPropagationOversized = errors.New("gray: propagated value too large")
	ErrPropagationMalformed = errors.New("gray: propagated value malformed")
	ErrPropagationUnsigned  = errors.New("gray: propagated value unsigned")
	ErrPropagationSignature = errors.New("gray: propagated value signature does not verify")
	ErrPropagationExpired   = errors.New("gray: propagated value expired")
	ErrPropagationFuture    = errors.New("gray: propagated value expires too far ahead")
	// ErrPropagationMissing is what [Propagator.Extract] returns for a
	// carrier that holds no value. It is not counted as a rejection.
	ErrPropagationMissing = errors.New("gray: no propagated value")
)

const (
	propVersion = "v1|"
	sigLen      = 43 // base64url of 32 bytes, no padding
)

// Propagator signs and verifies propagated decisions with a set of shared
// secrets: full-chain gray, where the edge decides and every service behind
// it follows. Give it to the middleware and adapters with [WithPropagator]
// (or [WithOutboundPropagator] at the edge) and wrap outbound HTTP clients
// with [Transport]. A Propagator is safe for concurrent use.
//
// The value it writes into the carrier ([PropagationHeader], or the W3C
// baggage member [BaggageMember]) is plain ASCII:
//
//	value      = "v1" "|" expires "|" key "|" decisions "|" signature
//	expires    = 1*19DIGIT                  ; Unix time, seconds; no leading zero
//	key        = *pchar                     ; the subject key, may be empty
//	decisions  = [ decision *( "&" decision ) ]
//	decision   = rollout "=" variant        ; each 1*pchar; a rollout at most once
//	pchar      = unreserved / "%" HEXDIG HEXDIG
//	unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
//	signature  = 43 base64url characters    ; RFC 4648 §5, no padding
//
// Key, rollout and variant are percent-encoded: every byte outside
// unreserved is written as "%" and two upper-case hex digits. The signature
// is HMAC-SHA256 under the first secret over every byte of the value before
// its last "|" (that is, "v1|expires|key|decisions"), exactly as sent. A
// value is trusted while the current Unix time in seconds is at most
// expires, expires is no further ahead than the TTL plus the allowed clock
// skew, and some accepted secret verifies its signature. A value longer
// than [MaxPropagationSize] bytes is rejected before any other check.
// docs/propagation.md is the normative description, with a worked example.
type Propagator struct {
	secrets [][]byte
	ttl     time.Duration
	now     func() time.Time
	baggage bool
	b64     *base64.Encoding
	states  sync.Pool // *macState

	skew     time.Duration
	maxAhead uint64 // seconds: ttl + skew, rounded up

	signed, dropped                        atomic.Uint64
	accepted, acceptedOld                  atomic.Uint64
	oversized, malformed, unsigned, badMAC atomic.Uint64
	expired, future                        atomic.Uint64
	keyMismatch                            atomic.Uint64
}

// macState is per-goroutine scratch space: one keyed HMAC per secret and
// buffers, so signing and verifying allocate only their results.
type macState struct {
	hs  []hash.Hash
	buf []byte
	sum []byte
	got [32]byte
}

// PropagatorOption configures a [Propagator] in [NewPropagator].
type PropagatorOption interface {
	applyPropagator(*Propagator)
}

type propagatorOptionFunc func(*Propagator)

func (f propagatorOptionFunc) applyPropagator(p *Propagator) { f(p) }

// WithPropagationTTL sets how long a signed value stays valid. The default
// is [DefaultPropagationTTL]; it should cover the time a request takes to
// cross the whole chain, plus clock skew. A TTL under one second is an
// error in [NewPropagator].
func WithPropagationTTL(d time.Duration) PropagatorOption {
	return propagatorOptionFunc(func(p *Propagator) { p.ttl = d })
}

// DefaultPropagationSkew is the clock skew between services a [Propagator]
// allows unless [WithPropagationSkew] says otherwise.
const DefaultPropagationSkew = time.Minute

// WithPropagationSkew sets how far ahead of this service's clock another
// service's may run. A value whose expiry lies more than TTL plus skew
// ahead is refused ([ErrPropagationFuture]): no writer of the chain signs
// for longer, so such a value comes from a clock far off or from someone
// minting long-lived values. The default is [DefaultPropagationSkew]; every
// service of a chain should use the same TTL. A negative skew is an error
// in [NewPropagator].
func WithPropagationSkew(d time.Duration) PropagatorOption {
	return propagatorOptionFunc(func(p *Propagator) { p.skew = d })
}

// WithPropagationClock sets the clock used for expiry; the default is
// time.Now. Tests use it.
func WithPropagationClock(now func() time.Time) PropagatorOption {
	return propagatorOptionFunc(func(p *Propagator) { p.now = now })
}

// WithBaggage carries the value in the W3C "baggage" header (gRPC metadata
// "baggage") as the list member [BaggageMember], instead of in
// [PropagationHeader], for chains that already propagate baggage. The value
// is percent-encoded as baggage requires (only "%" needs it, as "%25"); the
// signature covers the decoded value. Inbound, every baggage header line
// (metadata value) is searched, as W3C Baggage combines them into one list,
// and the first graykit member is used. Outbound, every client side
// ([Transport], [Proxy], [Hook.Inject] and the gRPC client interceptors)
// replaces graykit's member and keeps the other members.
func WithBaggage() PropagatorOption {
	return propagatorOptionFunc(func(p *Propagator) { p.baggage = true })
}

// NewPropagator returns a propagator that signs with secrets[0] and accepts
// values signed with any of secrets, so keys can rotate: add the new secret
// second everywhere, then move it first everywhere, then drop the old one.
// Each secret must be at least [MinSecretSize] bytes. The secrets are
// copied.
func NewPropagator(secrets [][]byte, opts ...PropagatorOption) (*Propagator, error) {
	if len(secrets) == 0 {
		return nil, errors.New("gray: propagator: at least one secret is required")
	}
	p := &Propagator{ttl: DefaultPropagationTTL, skew: DefaultPropagationSkew}
	for i, s := range secrets {
		if len(s) < MinSecretSize {
			return nil, fmt.Errorf("gray: propagator: secrets[%d]: %d bytes, at least %d are required", i, len(s), MinSecretSize)
		}
		p.secrets = append(p.secrets, append([]byte(nil), s...))
	}
	for _, o := range opts {
		if o != nil {
			o.applyPropagator(p)
		}
	}
	if p.ttl < time.Second {
		return nil, fmt.Errorf("gray: propagator: ttl %v is under one second", p.ttl)
	}
	if p.skew < 0 {
		return nil, fmt.Errorf("gray: propagator: clock skew %v is negative", p.skew)
	}
	p.maxAhead = uint64((p.ttl + p.skew + time.Second - 1) / time.Second)
	if p.now == nil {
		p.now = time.Now
	}
	p.b64 = base64.RawURLEncoding.Strict()
	p.states.New = func() any {
		st := &macState{buf: make([]byte, 0, MaxPropagationSize), sum: make([]byte, 0, sha256.Size)}
		for _, s := range p.secrets {
			st.hs = append(st.hs, hmac.New(sha256.New, s))
		}
		return st
	}
	return p, nil
}

// PropagationStats counts what a [Propagator] wrote and read.
type PropagationStats struct {
	// Signed counts values written.
	Signed uint64
	// Dropped counts values not written because they would exceed
	// MaxPropagationSize.
	Dropped uint64
	// Accepted counts values read, verified and trusted.
	Accepted uint64
	// AcceptedOld counts the Accepted values signed with a secret other than
	// the first: when it stays 0, the old secret can be dropped.
	AcceptedOld uint64
	// Oversized counts values longer than MaxPropagationSize.
	Oversized uint64
	// Malformed counts values that do not follow the wire format.
	Malformed uint64
	// Unsigned counts well-formed values with an empty signature.
	Unsigned uint64
	// BadSignature counts values whose signature no accepted secret
	// verifies: forged or tampered.
	BadSignature uint64
	// Expired counts values whose signature verified but whose expiry has
	// passed.
	Expired uint64
	// Future counts values whose signature verified but whose expiry lies
	// further ahead than the TTL plus the allowed clock skew.
	Future uint64
	// KeyMismatch counts Accepted values that were not used because they
	// were signed for another subject key than the request's own.
	KeyMismatch uint64
}

// Rejected returns the number of values read and not trusted.
func (s PropagationStats) Rejected() uint64 {
	return s.Oversized + s.Malformed + s.Unsigned + s.BadSignature + s.Expired + s.Future
}

// Stats returns the counts so far.
func (p *Propagator) Stats() PropagationStats {
	return PropagationStats{
		Signed: p.signed.Load(), Dropped: p.dropped.Load(),
		Accepted: p.accepted.Load(), AcceptedOld: p.acceptedOld.Load(),
		Oversized: p.oversized.Load(), Malformed: p.malformed.Load(),
		Unsigned: p.unsigned.Load(), BadSignature: p.badMAC.Load(),
		Expired: p.expired.Load(), Future: p.future.Load(),
		KeyMismatch: p.keyMismatch.Load(),
	}
}

// Propagated is what a verified value carries.
type Propagated struct {
	// Key is the subject key the upstream decided for; empty if it had none.
	Key string
	// Variants maps each propagated rollout to its variant; nil if none.
	Variants map[string]string
	// Expires is when the value stops being trusted.
	Expires time.Time
}

// Sign returns the value that carries key and the rollout and variant of
// each decision, signed with the first secret and valid for the TTL. Only
// Decision.Rollout and Decision.Variant are sent. An empty rollout or
// variant, a rollout given twice, or a value over [MaxPropagationSize] is
// an error.
func (p *Propagator) Sign(key string, decisions []Decision) (string, error) {
	for i, d := range decisions {
		if d.Rollout == "" || d.Variant == "" {
			return "", fmt.Errorf("gray: propagator: decisions[%d]: empty rollout or variant", i)
		}
		for _, e := range decisions[:i] {
			if e.Rollout == d.Rollout {
				return "", fmt.Errorf("gray: propagator: decisions[%d]: rollout %q given twice", i, d.Rollout)
			}
		}
	}
	st := p.states.Get().(*macState)
	defer p.states.Put(st)
	b := p.appendHead(st.buf[:0], key)
	for i, d := range decisions {
		b = appendDecision(b, i > 0, d.Rollout, d.Variant)
	}
	v, ok := p.finish(st, b)
	if !ok {
		return "", ErrPropagationOversized
	}
	return v, nil
}

func (p *Propagator) appendHead(b []byte, key string) []byte {
	b = append(b, propVersion...)
	b = appendUint(b, uint64(p.now().Add(p.ttl).Unix()))
	b = append(b, '|')
	b = appendEscaped(b, key)
	return append(b, '|')
}

func appendDecision(b []byte, sep bool, rollout, variant string) []byte {
	if sep {
		b = append(b, '&')
	}
	b = appendEscaped(b, rollout)
	b = append(b, '=')
	return appendEscaped(b, variant)
}

// finish signs the unsigned value in b and returns the full value, or false
// if it would be too large.
func (p *Propagator) finish(st *macState, b []byte) (string, bool) {
	if len(b)+1+sigLen > MaxPropagationSize {
		st.buf = b[:0]
		p.dropped.Add(1)
		return "", false
	}
	h := st.hs[0]
	h.Reset()
	h.Write(b)
	st.sum = h.Sum(st.sum[:0])
	b = append(b, '|')
	b = p.b64.AppendEncode(b, st.sum)
	st.buf = b[:0]
	p.signed.Add(1)
	return string(b), true
}

// Verify checks value and returns what it carries. It returns
// [ErrPropagationOversized], [ErrPropagationMalformed],
// [ErrPropagationUnsigned], [ErrPropagationSignature],
// [ErrPropagationExpired] or [ErrPropagationFuture] for a value that must
// not be trusted, and counts every outcome in [Propagator.Stats]. The
// signature is compared in constant time. Verify never panics, whatever
// value is given.
func (p *Propagator) Verify(value string) (Propagated, error) {
	pv, err := p.verify(value)
	switch err {
	case nil:
		p.accepted.Add(1)
	case ErrPropagationOversized:
		p.oversized.Add(1)
	case ErrPropagationMalformed:
		p.malformed.Add(1)
	case ErrPropagationUnsigned:
		p.unsigned.Add(1)
	case ErrPropagationSignature:
		p.badMAC.Add(1)
	case ErrPropagationExpired:
		p.expired.Add(1)
	case ErrPropagationFuture:
		p.future.Add(1)
	}
	return pv, err
}

func (p *Propagator) verify(value string) (Propagated, error) {
	if len(value) > MaxPropagationSize {
		return Propagated{}, ErrPropagationOversized
	}
	rest, ok := strings.CutPrefix(value, propVersion)
	if !ok {
		return Propagated{}, ErrPropagationMalformed
	}
	expText, rest, ok1 := strings.Cut(rest, "|")
	key, rest, ok2 := strings.Cut(rest, "|")
	decs, sig, ok3 := strings.Cut(rest, "|")
	if !ok1 || !ok2 || !ok3 || strings.IndexByte(sig, '|') >= 0 {
		return Propagated{}, ErrPropagationMalformed
	}
	exp, ok := parseUint(expText)
	if !ok {
		return Propagated{}, ErrPropagationMalformed
	}
	if sig == "" {
		return Propagated{}, ErrPropagationUnsigned
	}
	if len(sig) != sigLen {
		return Propagated{}, ErrPropagationMalformed
	}
	signed := value[:len(value)-sigLen-1]

	st := p.states.Get().(*macState)
	b := append(st.buf[:0], sig...)
	if n, err := p.b64.Decode(st.got[:], b); err != nil || n != sha256.Size {
		st.buf = b[:0]
		p.states.Put(st)
		return Propagated{}, ErrPropagationMalformed
	}
	b = append(b[:0], signed...)
	match := -1
	for i, h := range st.hs {
		h.Reset()
		h.Write(b)
		st.sum = h.Sum(st.sum[:0])
		if hmac.Equal(st.sum, st.got[:]) {
			match = i
			break
		}
	}
	st.buf = b[:0]
	p.states.Put(st)
	if match < 0 {
		return Propagated{}, ErrPropagationSignature
	}
	now := p.now().Unix()
	if now > 0 && exp < uint64(now) {
		return Propagated{}, ErrPropagationExpired
	}
	// A value valid for longer than any writer of this chain would sign it
	// for (a leaked secret minting long-lived values, a clock far ahead) is
	// refused: the TTL is what bounds a replay.
	if exp > uint64(max(now, 0))+p.maxAhead {
		return Propagated{}, ErrPropagationFuture
	}

	pv := Propagated{Expires: time.Unix(int64(exp), 0)}
	if pv.Key, ok = unescape(key); !ok {
		return Propagated{}, ErrPropagationMalformed
	}
	if decs != "" {
		pv.Variants = make(map[string]string, strings.Count(decs, "&")+1)
		for decs != "" {
			var d string
			d, decs, ok = strings.Cut(decs, "&")
			if ok && decs == "" { // trailing "&"
				return Propagated{}, ErrPropagationMalformed
			}
			r, v, _ := strings.Cut(d, "=")
			rollout, ok1 := unescape(r)
			variant, ok2 := unescape(v)
			if !ok1 || !ok2 || rollout == "" || variant == "" {
				return Propagated{}, ErrPropagationMalformed
			}
			if _, dup := pv.Variants[rollout]; dup {
				return Propagated{}, ErrPropagationMalformed
			}
			pv.Variants[rollout] = variant
		}
	}
	if match > 0 {
		p.acceptedOld.Add(1)
	}
	return pv, nil
}

// appendUint appends n in decimal.
func appendUint(b []byte, n uint64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

// parseUint parses 1 to 19 decimal digits without a leading zero.
func parseUint(s string) (uint64, bool) {
	if s == "" || len(s) > 19 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + uint64(c-'0')
	}
	return n, true
}

// Bit masks of the unreserved bytes 0-63 ("-", ".", digits) and 64-127
// (letters, "_", "~").
const (
	unreservedLo uint64 = 1<<'-' | 1<<'.' | (1<<10-1)<<'0'
	unreservedHi uint64 = (1<<26-1)<<('A'-64) | 1<<('_'-64) | (1<<26-1)<<('a'-64) | 1<<('~'-64)
)

func isUnreserved(c byte) bool {
	if c < 64 {
		return unreservedLo>>c&1 != 0
	}
	return c < 128 && unreservedHi>>(c-64)&1 != 0
}

const upperHex = "0123456789ABCDEF"

// appendEscaped appends s percent-encoded: unreserved bytes as they are,
// every other byte as %XX.
func appendEscaped(b []byte, s string) []byte {
	i := 0
	for i < len(s) && isUnreserved(s[i]) {
		i++
	}
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		if isUnreserved(c) {
			b = append(b, c)
			continue
		}
		b = append(b, '%', upperHex[c>>4], upperHex[c&15])
	}
	return b
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// unescape decodes a percent-encoded field. It accepts only unreserved
// bytes and %XX (either case); it allocates only when s holds escapes.
func unescape(s string) (string, bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '%' && !isUnreserved(c) {
			return "", false
		}
	}
	return percentDecode(s)
}

// percentDecode decodes %XX escapes (either case), allocating only when s
// holds some. A '%' not followed by two hex digits makes it report false.
func percentDecode(s string) (string, bool) {
	if !strings.Contains(s, "%") {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		hi, ok1 := unhex(s[i+1])
		lo, ok2 := unhex(s[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		b = append(b, hi<<4|lo)
		i += 2
	}
	return string(b), true
}

// WithPropagator makes the middleware (or adapter) take part in full-chain
// gray behind the edge: a request carrying a value p verifies has the
// propagated decisions pinned (each with [ReasonPropagated], also for
// rollouts the local configuration lacks or decides otherwise) and, if the
// request yields no key of its own, the propagated subject key. A request
// whose own key differs from the propagated one ignores the value (counted
// in [PropagationStats].KeyMismatch) and is decided locally: decisions
// belong to the key they were made for. Every client side ([Transport],
// [Proxy], [Hook.Inject], the gRPC client interceptors) signs the request's
// decisions for the next service with p. A value that is missing or not
// trusted is ignored: the service decides locally. Do not use it where requests come from the
// public; use [WithOutboundPropagator] there.
func WithPropagator(p *Propagator) Option {
	return optionFunc(func(c *hookConfig) { c.propagator, c.acceptPropagated = p, p != nil })
}

// WithOutboundPropagator is [WithPropagator] for the edge: decisions are
// signed for the services behind it, but values arriving with a request are
// never read, so a public client cannot replay one it saw.
func WithOutboundPropagator(p *Propagator) Option {
	return optionFunc(func(c *hookConfig) { c.propagator, c.acceptPropagated = p, false })
}

// receive reads and verifies the value a request carries. It returns the
// propagated key and decisions, and false if there is nothing trusted.
func (p *Propagator) receive(req Request) (string, map[string]string, bool) {
	var v string
	var ok bool
	switch vg, many := req.(ValuesGetter); {
	case !p.baggage:
		v, ok = req.Header(PropagationHeader)
	case many:
		v, ok = baggageValue(vg.Values(baggageHeader))
	default:
		var line string
		if line, ok = req.Header(baggageHeader); ok {
			v, ok = baggageValue([]string{line})
		}
	}
	if !ok {
		return "", nil, false
	}
	pv, err := p.Verify(v)
	if err != nil {
		return "", nil, false
	}
	return pv.Key, pv.Variants, true
}

// encode signs the decisions in d: every decision made so far and every
// pinned propagated one not decided here, the default for a rollout braked
// here. It returns "" when there is nothing to send or the value would be
// too large.
func (p *Propagator) encode(d *Decisions) string {
	st := p.states.Get().(*macState)
	defer p.states.Put(st)
	b := p.appendHead(st.buf[:0], d.subject.Key)
	wrote := false
	d.mu.Lock()
	first, ok, more := d.decidedLocked()
	if ok {
		b = appendDecision(b, wrote, first.Rollout, first.Variant)
		wrote = true
	}
	for i := range more {
		b = appendDecision(b, wrote, more[i].Rollout, more[i].Variant)
		wrote = true
	}
	var pinned map[string]string
	if d.ext != nil {
		pinned = d.ext.pinned
	}
	for name, v := range pinned {
		decided := ok && first.Rollout == name
		for i := 0; i < len(more) && !decided; i++ {
			decided = more[i].Rollout == name
		}
		if decided {
			continue
		}
		// A local brake holds for the services behind this one too, whether
		// or not this request asked for the rollout.
		if r := d.snap.find(name); r != nil && !r.enabled {
			v = r.def
		}
		b = appendDecision(b, wrote, name, v)
		wrote = true
	}
	d.mu.Unlock()
	if !wrote && d.subject.Key == "" {
		st.buf = b[:0]
		return ""
	}
	v, _ := p.finish(st, b)
	return v
}

// decisionsPropagator returns the propagator to sign ctx's decisions with:
// p if set, else the one of the hook that opened them.
func decisionsPropagator(ctx context.Context, p *Propagator) (*Decisions, *Propagator) {
	d, ok := FromContext(ctx)
	if !ok {
		return nil, p
	}
	if p == nil && d.hook != nil {
		p = d.hook.cfg.propagator
	}
	return d, p
}
