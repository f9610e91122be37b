package gray_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// The worked example of docs/propagation.md.
const (
	propDocSecret = "graykit-example-secret-32-bytes!"
	propDocExpiry = 1767225600 // 2026-01-01T00:00:00Z
	propDocValue  = "v1|1767225600|alice%40example.com|checkout-v2=canary&search=stable|Zj-zTlx6HT3h8b3wL8L5fb9NB1Cl_lbwvYttOspuR_Q"
)

var (
	propOld = []byte("old-secret-old-secret-old-secret")
	propNew = []byte("new-secret-new-secret-new-secret")
)

// propClock is a settable clock for expiry tests.
type propClock struct{ unix atomic.Int64 }

func newPropClock(t time.Time) *propClock {
	c := &propClock{}
	c.unix.Store(t.Unix())
	return c
}

func (c *propClock) now() time.Time             { return time.Unix(c.unix.Load(), 0) }
func (c *propClock) add(d time.Duration)        { c.unix.Add(int64(d / time.Second)) }
func (c *propClock) opt() gray.PropagatorOption { return gray.WithPropagationClock(c.now) }

func mustPropagator(t testing.TB, secrets [][]byte, opts ...gray.PropagatorOption) *gray.Propagator {
	t.Helper()
	p, err := gray.NewPropagator(secrets, opts...)
	require.NoError(t, err)
	return p
}

// signRaw signs an unsigned value by the documented rule, independently of
// the package: HMAC-SHA256 over everything before the last "|", base64url
// without padding.
func signRaw(secret []byte, unsigned string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(unsigned))
	return unsigned + "|" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func TestPropagatorKnownAnswer(t *testing.T) {
	clock := newPropClock(time.Unix(propDocExpiry, 0).Add(-gray.DefaultPropagationTTL))
	p := mustPropagator(t, [][]byte{[]byte(propDocSecret)}, clock.opt())
	got, err := p.Sign("alice@example.com", []gray.Decision{
		{Rollout: "checkout-v2", Variant: "canary"},
		{Rollout: "search", Variant: "stable"},
	})
	require.NoError(t, err)
	assert.Equal(t, propDocValue, got)
	assert.Equal(t, propDocValue, signRaw([]byte(propDocSecret), strings.TrimSuffix(propDocValue, propDocValue[len(propDocValue)-44:])))

	pv, err := p.Verify(propDocValue)
	require.NoError(t, err)
	assert.Equal(t, gray.Propagated{
		Key:      "alice@example.com",
		Variants: map[string]string{"checkout-v2": "canary", "search": "stable"},
		Expires:  time.Unix(propDocExpiry, 0),
	}, pv)
	assert.Equal(t, gray.PropagationStats{Signed: 1, Accepted: 1}, p.Stats())

	// Valid through the expiry second, not after it.
	clock.add(gray.DefaultPropagationTTL)
	_, err = p.Verify(propDocValue)
	require.NoError(t, err)
	clock.add(time.Second)
	_, err = p.Verify(propDocValue)
	require.ErrorIs(t, err, gray.ErrPropagationExpired)
}

func TestPropagatorRoundTripsAnyText(t *testing.T) {
	p := mustPropagator(t, [][]byte{propNew})
	tests := []struct {
		name string
		give string
	}{
		{"empty key", ""},
		{"separators", "a|b&c=d%e f"},
		{"unicode", "用户-42 ✓"},
		{"control bytes", "\x00\x01\xff"},
		{"unreserved", "AZaz09-._~"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := p.Sign(tt.give, []gray.Decision{{Rollout: "r" + tt.give, Variant: "v" + tt.give}})
			require.NoError(t, err)
			assert.NotContains(t, v[3:len(v)-44], "|&=", "separators are escaped")
			pv, err := p.Verify(v)
			require.NoError(t, err)
			assert.Equal(t, tt.give, pv.Key)
			assert.Equal(t, map[string]string{"r" + tt.give: "v" + tt.give}, pv.Variants)
		})
	}
}

func TestNewPropagatorErrors(t *testing.T) {
	tests := []struct {
		name    string
		give    [][]byte
		opts    []gray.PropagatorOption
		wantErr string
	}{
		{"no secret", nil, nil, "gray: propagator: at least one secret is required"},
		{"short secret", [][]byte{propNew, []byte("short")}, nil, "gray: propagator: secrets[1]: 5 bytes, at least 32 are required"},
		{"zero ttl", [][]byte{propNew}, []gray.PropagatorOption{gray.WithPropagationTTL(0)}, "gray: propagator: ttl 0s is under one second"},
		{"negative skew", [][]byte{propNew}, []gray.PropagatorOption{gray.WithPropagationSkew(-time.Second)}, "gray: propagator: clock skew -1s is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gray.NewPropagator(tt.give, tt.opts...)
			require.EqualError(t, err, tt.wantErr)
		})
	}
}

func TestSignErrors(t *testing.T) {
	p := mustPropagator(t, [][]byte{propNew})
	tests := []struct {
		name    string
		give    []gray.Decision
		wantErr string
	}{
		{"empty variant", []gray.Decision{{Rollout: "a"}}, "gray: propagator: decisions[0]: empty rollout or variant"},
		{"twice", []gray.Decision{{Rollout: "a", Variant: "x"}, {Rollout: "a", Variant: "y"}}, `gray: propagator: decisions[1]: rollout "a" given twice`},
		{"too large", []gray.Decision{{Rollout: strings.Repeat("r", gray.MaxPropagationSize), Variant: "x"}}, gray.ErrPropagationOversized.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := p.Sign("k", tt.give)
			require.EqualError(t, err, tt.wantErr)
		})
	}
	assert.Equal(t, uint64(1), p.Stats().Dropped)
}

func TestVerifyRejects(t *testing.T) {
	now := time.Unix(propDocExpiry, 0)
	p := mustPropagator(t, [][]byte{[]byte(propDocSecret)}, gray.WithPropagationClock(func() time.Time { return now }))
	secret := []byte(propDocSecret)
	sig := propDocValue[len(propDocValue)-43:]
	tests := []struct {
		name string
		give string
		want error
	}{
		{"empty", "", gray.ErrPropagationMalformed},
		{"plain variant", "canary", gray.ErrPropagationMalformed},
		{"other version", "v2" + propDocValue[2:], gray.ErrPropagationMalformed},
		{"missing field", "v1|1767225600|k|" + sig, gray.ErrPropagationMalformed},
		{"extra field", propDocValue + "|x", gray.ErrPropagationMalformed},
		{"unsigned", "v1|1767225600|k|checkout-v2=canary|", gray.ErrPropagationUnsigned},
		{"short signature", "v1|1767225600|k|checkout-v2=canary|abc", gray.ErrPropagationMalformed},
		{"signature not base64url", strings.TrimSuffix(propDocValue, sig) + strings.Repeat("+", 43), gray.ErrPropagationMalformed},
		{"signature with padding bits", strings.TrimSuffix(propDocValue, "Q") + "R", gray.ErrPropagationMalformed},
		{"forged", signRaw([]byte("not-the-secret-not-the-secret-!!"), "v1|1767225600|k|checkout-v2=canary"), gray.ErrPropagationSignature},
		{"tampered variant", strings.Replace(propDocValue, "=canary", "=stable", 1), gray.ErrPropagationSignature},
		{"tampered key", strings.Replace(propDocValue, "alice", "mallory", 1), gray.ErrPropagationSignature},
		{"tampered expiry", strings.Replace(propDocValue, "1767225600", "1767225900", 1), gray.ErrPropagationSignature},
		{"tampered signature", strings.Replace(propDocValue, "|Zj", "|Zk", 1), gray.ErrPropagationSignature},
		{"expired", signRaw(secret, "v1|1767225599|k|checkout-v2=canary"), gray.ErrPropagationExpired},
		{"huge expiry", signRaw(secret, "v1|9999999999999999999|k|a=b"), gray.ErrPropagationFuture},
		{"expiry 2^62", signRaw(secret, "v1|4611686018427387904|k|a=b"), gray.ErrPropagationFuture},
		{"expiry a day ahead", signRaw(secret, "v1|1767312000|k|a=b"), gray.ErrPropagationFuture},
		{"expiry past TTL and skew", signRaw(secret, "v1|1767225691|k|a=b"), gray.ErrPropagationFuture},
		{"expiry leading zero", signRaw(secret, "v1|01767225600|k|a=b"), gray.ErrPropagationMalformed},
		{"expiry not a number", signRaw(secret, "v1|-1|k|a=b"), gray.ErrPropagationMalformed},
		{"expiry too long", signRaw(secret, "v1|17672256001767225600|k|a=b"), gray.ErrPropagationMalformed},
		{"bad escape", signRaw(secret, "v1|1767225600|k%4|a=b"), gray.ErrPropagationMalformed},
		{"bad escape digit", signRaw(secret, "v1|1767225600|k%4g|a=b"), gray.ErrPropagationMalformed},
		{"unescaped byte", signRaw(secret, "v1|1767225600|k k|a=b"), gray.ErrPropagationMalformed},
		{"duplicate rollout", signRaw(secret, "v1|1767225600|k|a=b&a=c"), gray.ErrPropagationMalformed},
		{"empty variant", signRaw(secret, "v1|1767225600|k|a="), gray.ErrPropagationMalformed},
		{"no variant", signRaw(secret, "v1|1767225600|k|a"), gray.ErrPropagationMalformed},
		{"empty rollout", signRaw(secret, "v1|1767225600|k|=b"), gray.ErrPropagationMalformed},
		{"trailing separator", signRaw(secret, "v1|1767225600|k|a=b&"), gray.ErrPropagationMalformed},
		{"empty decision", signRaw(secret, "v1|1767225600|k|a=b&&c=d"), gray.ErrPropagationMalformed},
		{"oversized", signRaw(secret, "v1|1767225600|"+strings.Repeat("k", gray.MaxPropagationSize)+"|a=b"), gray.ErrPropagationOversized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := p.Stats()
			pv, err := p.Verify(tt.give)
			require.ErrorIs(t, err, tt.want)
			assert.Zero(t, pv)
			after := p.Stats()
			assert.Equal(t, before.Rejected()+1, after.Rejected())
			assert.Equal(t, before.Accepted, after.Accepted)
		})
	}
	st := p.Stats()
	assert.Equal(t, gray.PropagationStats{Oversized: 1, Malformed: 20, Unsigned: 1, BadSignature: 5, Expired: 1, Future: 4}, st)

	// The same shapes, signed and valid, are accepted: the rejections above
	// are for the reason named, not for something else.
	for _, give := range []string{
		signRaw(secret, "v1|1767225600|k|checkout-v2=canary"),
		signRaw(secret, "v1|1767225600|k%4A%4a|a=b&c=d"),
		signRaw(secret, "v1|1767225600||"),
		signRaw(secret, "v1|1767225690|k|a=b"),                                                   // now + TTL + the default skew
		signRaw(secret, "v1|1767225600|"+strings.Repeat("k", gray.MaxPropagationSize-62)+"|a=b"), // exactly MaxPropagationSize
	} {
		_, err := p.Verify(give)
		require.NoError(t, err, "%.40s", give)
	}
}

func TestPropagatorRotation(t *testing.T) {
	var (
		oldOnly = mustPropagator(t, [][]byte{propOld})
		addNew  = mustPropagator(t, [][]byte{propOld, propNew}) // step 1: new accepted
		useNew  = mustPropagator(t, [][]byte{propNew, propOld}) // step 2: new signs
		newOnly = mustPropagator(t, [][]byte{propNew})          // step 3: old dropped
	)
	sign := func(p *gray.Propagator) string {
		v, err := p.Sign("u", []gray.Decision{{Rollout: "r", Variant: "canary"}})
		require.NoError(t, err)
		return v
	}
	tests := []struct {
		name    string
		signer  *gray.Propagator
		give    *gray.Propagator
		want    error
		wantOld uint64
	}{
		{"old to step 1", oldOnly, addNew, nil, 0},
		{"step 1 to old", addNew, oldOnly, nil, 0},
		{"step 2 to step 1", useNew, addNew, nil, 1},
		{"step 1 to step 2", addNew, useNew, nil, 1},
		{"step 2 to step 3", useNew, newOnly, nil, 0},
		{"old after drop", oldOnly, newOnly, gray.ErrPropagationSignature, 0},
		{"step 1 after drop", addNew, newOnly, gray.ErrPropagationSignature, 0},
		{"new before rotation", newOnly, oldOnly, gray.ErrPropagationSignature, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.give.Stats().AcceptedOld
			pv, err := tt.give.Verify(sign(tt.signer))
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "canary", pv.Variants["r"])
			assert.Equal(t, tt.wantOld, tt.give.Stats().AcceptedOld-before)
		})
	}
}

// TestHookPinsPropagatedDecisions drives the inbound step directly: the
// propagated decision wins over the local configuration, also for a
// rollout the configuration lacks, and is forwarded by Inject.
func TestHookPinsPropagatedDecisions(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 0}, {name: search, percent: 100}]`)
	p := mustPropagator(t, [][]byte{propNew})
	counters := gray.NewCounters()
	h := gray.NewHook(e, gray.WithPropagator(p), gray.WithKeyFromHeader("X-User"), gray.WithObserver(counters))
	v, err := p.Sign("u-7", []gray.Decision{{Rollout: "checkout", Variant: "canary"}, {Rollout: "elsewhere", Variant: "blue"}})
	require.NoError(t, err)

	s := h.Start(t.Context(), &gray.Values{Headers: map[string]string{"graykit-propagation": v}})
	d := s.Decisions()
	assert.Equal(t, "u-7", d.Subject().Key, "the propagated key is taken when the request has none")
	checkout := d.Get("checkout")
	assert.Equal(t, gray.Decision{Rollout: "checkout", Variant: "canary", Default: "stable",
		Bucket: gray.SaltedBucket("checkout", "u-7"), Reason: gray.ReasonPropagated}, checkout)
	assert.Equal(t, "blue", d.Variant("elsewhere"))
	assert.Equal(t, "canary", d.Variant("search"), "not propagated: decided locally with the propagated key")
	assert.Equal(t, gray.DefaultVariant, d.Variant("unknown"))
	s.End(gray.Outcome{Status: 200})
	assert.Equal(t, uint64(1), counters.Stats("checkout", "canary").Requests)

	got := http.Header{}
	h.Inject(s.Context(), gray.HeaderCarrier(got))
	require.Contains(t, got, gray.PropagationHeader)
	pv, err := p.Verify(got.Get(gray.PropagationHeader))
	require.NoError(t, err)
	assert.Equal(t, "u-7", pv.Key)
	assert.Equal(t, map[string]string{"checkout": "canary", "elsewhere": "blue", "search": "canary"}, pv.Variants,
		"decided and pinned rollouts, never the unknown one")

}

// TestPropagatedDecisionsBelongToTheirKey: a value signed for alice pins
// alice's decisions only on a request that is alice's (or has no key of its
// own). On bob's request it is ignored: bob is decided locally, and what he
// sends on is signed for bob with bob's decisions alone.
func TestPropagatedDecisionsBelongToTheirKey(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 0}]`)
	p := mustPropagator(t, [][]byte{propNew})
	h := gray.NewHook(e, gray.WithPropagator(p), gray.WithKeyFromHeader("X-User"))
	signed := func(key string) string {
		v, err := p.Sign(key, []gray.Decision{{Rollout: "checkout", Variant: "canary"}, {Rollout: "elsewhere", Variant: "blue"}})
		require.NoError(t, err)
		return v
	}
	tests := []struct {
		name         string
		own, signed  string
		wantKey      string
		wantCheckout gray.Reason
		wantSent     map[string]string
		wantMismatch uint64
	}{
		{"same key", "alice", "alice", "alice", gray.ReasonPropagated, map[string]string{"checkout": "canary", "elsewhere": "blue"}, 0},
		{"no key of its own", "", "alice", "alice", gray.ReasonPropagated, map[string]string{"checkout": "canary", "elsewhere": "blue"}, 0},
		{"another key", "bob", "alice", "bob", gray.ReasonDefault, map[string]string{"checkout": "stable"}, 1},
		{"a value without key", "bob", "", "bob", gray.ReasonDefault, map[string]string{"checkout": "stable"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := p.Stats()
			hdr := map[string]string{gray.PropagationHeader: signed(tt.signed)}
			if tt.own != "" {
				hdr["X-User"] = tt.own
			}
			s := h.Start(t.Context(), &gray.Values{Headers: hdr})
			d := s.Decisions()
			assert.Equal(t, tt.wantKey, d.Subject().Key)
			assert.Equal(t, tt.wantCheckout, d.Get("checkout").Reason)
			assert.Equal(t, tt.wantMismatch, p.Stats().KeyMismatch-before.KeyMismatch)

			sent := http.Header{}
			h.Inject(s.Context(), gray.HeaderCarrier(sent))
			pv, err := p.Verify(sent.Get(gray.PropagationHeader))
			require.NoError(t, err)
			assert.Equal(t, tt.wantKey, pv.Key)
			assert.Equal(t, tt.wantSent, pv.Variants)
		})
	}
}

func TestHookWithoutTrustIgnoresValues(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 0}]`)
	p := mustPropagator(t, [][]byte{propNew})
	v, err := p.Sign("u-7", []gray.Decision{{Rollout: "checkout", Variant: "canary"}})
	require.NoError(t, err)
	tests := []struct {
		name string
		give []gray.Option
	}{
		{"no propagator", nil},
		{"outbound only", []gray.Option{gray.WithOutboundPropagator(p)}},
		{"nil propagator", []gray.Option{gray.WithPropagator(nil)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := gray.NewHook(e, tt.give...)
			s := h.Start(t.Context(), &gray.Values{Headers: map[string]string{gray.PropagationHeader: v}})
			assert.Equal(t, "stable", s.Decisions().Variant("checkout"))
			assert.Empty(t, s.Decisions().Subject().Key)
		})
	}
	assert.Zero(t, p.Stats().Accepted+p.Stats().Rejected(), "never even read")
}

func TestInjectWritesNothingWithoutDecisionsOrPropagator(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 100}]`)
	p := mustPropagator(t, [][]byte{propNew})
	ctx := gray.NewContext(t.Context(), e, gray.Subject{Key: "u"})
	gray.Variant(ctx, "checkout")
	tests := []struct {
		name string
		hook *gray.Hook
		ctx  context.Context
	}{
		{"no propagator", gray.NewHook(e), ctx},
		{"no decisions", gray.NewHook(e, gray.WithPropagator(p)), t.Context()},
		{"nothing decided, no key", gray.NewHook(e, gray.WithPropagator(p)), gray.NewContext(t.Context(), e, gray.Subject{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Accept": {"text/plain"}}
			tt.hook.Inject(tt.ctx, gray.HeaderCarrier(h))
			assert.Equal(t, http.Header{"Accept": {"text/plain"}}, h)
		})
	}
}

func TestTransportReplacesCarrier(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 100}]`)
	header := mustPropagator(t, [][]byte{propNew})
	baggage := mustPropagator(t, [][]byte{propNew}, gray.WithBaggage())
	decided := gray.NewContext(t.Context(), e, gray.Subject{Key: "user@x"})
	gray.Variant(decided, "checkout")

	type sent struct{ header, baggage string }
	tests := []struct {
		name string
		p    *gray.Propagator
		ctx  context.Context
		give http.Header
		want func(t *testing.T, got sent)
	}{
		{"header", header, decided, http.Header{gray.PropagationHeader: {"stale", "twice"}}, func(t *testing.T, got sent) {
			pv, err := header.Verify(got.header)
			require.NoError(t, err)
			assert.Equal(t, gray.Propagated{Key: "user@x", Variants: map[string]string{"checkout": "canary"}, Expires: pv.Expires}, pv)
		}},
		{"header, nothing to send", header, t.Context(), http.Header{gray.PropagationHeader: {"stale"}}, func(t *testing.T, got sent) {
			assert.Empty(t, got.header)
		}},
		{"baggage keeps other members", baggage, decided, http.Header{"Baggage": {"a=1, graykit=stale;p=1", "b=2"}}, func(t *testing.T, got sent) {
			members := strings.Split(got.baggage, ",")
			require.Len(t, members, 3)
			assert.Equal(t, []string{"a=1", "b=2"}, members[:2])
			v, ok := strings.CutPrefix(members[2], "graykit=")
			require.True(t, ok)
			assert.Contains(t, v, "user%2540x", "percent-encoded for baggage")
			pv, err := baggage.Verify(strings.ReplaceAll(v, "%25", "%"))
			require.NoError(t, err)
			assert.Equal(t, "user@x", pv.Key)
		}},
		{"baggage, nothing to send", baggage, t.Context(), http.Header{"Baggage": {"graykit=stale"}}, func(t *testing.T, got sent) {
			assert.Empty(t, got.baggage)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got sent
			base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				got = sent{r.Header.Get(gray.PropagationHeader), r.Header.Get("Baggage")}
				return &http.Response{StatusCode: 204, Body: http.NoBody, Request: r}, nil
			})
			req := httptest.NewRequestWithContext(tt.ctx, http.MethodGet, "http://backend/", nil)
			req.Header = tt.give.Clone()
			resp, err := gray.Transport(base, gray.WithTransportPropagator(tt.p)).RoundTrip(req)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, tt.give, req.Header, "the caller's request is not modified")
			tt.want(t, got)
		})
	}
}

func TestTransportWithoutPropagatorPassesThrough(t *testing.T) {
	var got *http.Request
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		got = r
		return &http.Response{StatusCode: 204, Body: http.NoBody, Request: r}, nil
	})
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "http://backend/", nil)
	_, err := gray.Transport(base).RoundTrip(req)
	require.NoError(t, err)
	assert.Same(t, req, got)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// FuzzVerify feeds arbitrary values to the inbound parser: it never panics,
// rejects with one of the documented errors, trusts nothing it did not sign,
// and round-trips whatever it signs.
func FuzzVerify(f *testing.F) {
	for _, seed := range []string{
		propDocValue,
		"",
		"canary",
		"v1|1767225600|k|checkout-v2=canary|",
		"v1|1767225600|k%4|a=b|" + strings.Repeat("A", 43),
		"v1|1767225600|k|a=b&a=c|" + strings.Repeat("_", 43),
		"v1|01|||" + strings.Repeat("-", 43),
		"v1|||||||",
		"graykit=v1%7C1767225600",
		strings.Repeat("|", gray.MaxPropagationSize+1),
	} {
		f.Add(seed)
	}
	now := time.Unix(propDocExpiry-10, 0)
	p := mustPropagator(f, [][]byte{[]byte(propDocSecret)}, gray.WithPropagationClock(func() time.Time { return now }))
	f.Fuzz(func(t *testing.T, value string) {
		pv, err := p.Verify(value)
		if err == nil && value != propDocValue {
			t.Fatalf("trusted a value it did not sign: %q → %+v", value, pv)
		}
		if err != nil {
			known := []error{gray.ErrPropagationOversized, gray.ErrPropagationMalformed, gray.ErrPropagationUnsigned,
				gray.ErrPropagationSignature, gray.ErrPropagationExpired, gray.ErrPropagationFuture}
			if !containsErr(known, err) {
				t.Fatalf("undocumented error %v", err)
			}
		}
		signed, err := p.Sign(value, []gray.Decision{{Rollout: "r" + value, Variant: "v" + value}})
		if err != nil {
			if !errors.Is(err, gray.ErrPropagationOversized) {
				t.Fatalf("sign: %v", err)
			}
			return
		}
		pv, err = p.Verify(signed)
		if err != nil || pv.Key != value || pv.Variants["r"+value] != "v"+value || len(pv.Variants) != 1 {
			t.Fatalf("round trip of %q: %+v, %v", value, pv, err)
		}
	})
}

func containsErr(errs []error, err error) bool {
	for _, e := range errs {
		if e == err {
			return true
		}
	}
	return false
}
