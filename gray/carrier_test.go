package gray_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// baggageOf encodes a propagated value as graykit's baggage member.
func baggageOf(v string) string {
	return gray.BaggageMember + "=" + strings.ReplaceAll(v, "%", "%25")
}

// TestHookInjectSignsAsTransportDoes: a hook built with the engine alone
// (as the gRPC client interceptors are in the README) signs with the
// propagator of the middleware that opened the request's decisions, as
// Transport does; a propagator of its own wins.
func TestHookInjectSignsAsTransportDoes(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 100}]`)
	p := mustPropagator(t, [][]byte{propNew})
	own := mustPropagator(t, [][]byte{propOld})
	tests := []struct {
		name       string
		middleware gray.Option
		hook       *gray.Hook
		verify     *gray.Propagator
	}{
		{"middleware WithPropagator", gray.WithPropagator(p), gray.NewHook(e), p},
		{"middleware WithOutboundPropagator", gray.WithOutboundPropagator(p), gray.NewHook(e), p},
		{"the hook's own propagator wins", gray.WithPropagator(p), gray.NewHook(e, gray.WithOutboundPropagator(own)), own},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var viaHook, viaTransport http.Header
			rt := gray.Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
				viaTransport = r.Header
				return &http.Response{StatusCode: http.StatusNoContent, Body: http.NoBody, Request: r}, nil
			}))
			h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"), tt.middleware)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				gray.Variant(r.Context(), "checkout")
				viaHook = http.Header{}
				tt.hook.Inject(r.Context(), gray.HeaderCarrier(viaHook))
				out := httptest.NewRequestWithContext(r.Context(), http.MethodGet, "http://next/", nil)
				resp, err := rt.RoundTrip(out)
				require.NoError(t, err)
				require.NoError(t, resp.Body.Close())
			}))
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			r.Header.Set("X-User", "u-1")
			h.ServeHTTP(httptest.NewRecorder(), r)

			pv, err := tt.verify.Verify(viaHook.Get(gray.PropagationHeader))
			require.NoError(t, err, "the hook signed")
			assert.Equal(t, "u-1", pv.Key)
			assert.Equal(t, map[string]string{"checkout": "canary"}, pv.Variants)
			_, err = p.Verify(viaTransport.Get(gray.PropagationHeader))
			require.NoError(t, err, "the transport signed with the middleware's")
		})
	}
}

// TestClientSidesRemoveForeignValues: whatever graykit value a request
// carries when it leaves — a client's, copied along by the application or
// a reverse proxy — is removed by Transport and Proxy, with or without a
// propagator, in either carrier; other baggage members stay.
func TestClientSidesRemoveForeignValues(t *testing.T) {
	checkLeaks(t)
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 100}]`)
	header := mustPropagator(t, [][]byte{propNew})
	baggage := mustPropagator(t, [][]byte{propNew}, gray.WithBaggage())
	foreign, err := header.Sign("mallory", []gray.Decision{{Rollout: "checkout", Variant: "stable"}})
	require.NoError(t, err)

	type seen struct {
		header  string
		baggage []string
	}
	var got seen
	upstreamSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = seen{r.Header.Get(gray.PropagationHeader), r.Header.Values("Baggage")}
	}))
	t.Cleanup(upstreamSrv.Close)
	up, err := url.Parse(upstreamSrv.URL)
	require.NoError(t, err)
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)

	transport := func(opts ...gray.Option) http.Handler {
		client := &http.Client{Transport: gray.Transport(base)}
		return gray.Middleware(e, append(opts, gray.WithKeyFromHeader("X-User"))...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			out, err := http.NewRequestWithContext(r.Context(), http.MethodGet, upstreamSrv.URL, nil)
			require.NoError(t, err)
			out.Header = r.Header.Clone() // an application that forwards the inbound headers
			resp, err := client.Do(out)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
		}))
	}
	proxy := func(opts ...gray.Option) http.Handler {
		p, err := gray.NewProxy("checkout", map[string]*url.URL{"stable": up, "canary": up}, gray.WithProxyTransport(base))
		require.NoError(t, err)
		return gray.Middleware(e, append(opts, gray.WithKeyFromHeader("X-User"))...)(p)
	}
	signed := func(p *gray.Propagator, v string) string {
		pv, err := p.Verify(v)
		if err != nil {
			return "unverified"
		}
		return pv.Key
	}
	tests := []struct {
		name string
		give http.Handler
		want func(t *testing.T, got seen)
	}{
		{"Transport without a propagator", transport(), func(t *testing.T, got seen) {
			assert.Equal(t, seen{"", []string{"a=1,b=2"}}, got)
		}},
		{"Proxy without a propagator", proxy(), func(t *testing.T, got seen) {
			assert.Equal(t, seen{"", []string{"a=1,b=2"}}, got)
		}},
		{"Proxy signing in the header", proxy(gray.WithOutboundPropagator(header)), func(t *testing.T, got seen) {
			assert.Equal(t, "u-1", signed(header, got.header))
			assert.Equal(t, []string{"a=1,b=2"}, got.baggage)
		}},
		{"Transport signing in the baggage", transport(gray.WithOutboundPropagator(baggage)), func(t *testing.T, got seen) {
			assert.Empty(t, got.header)
			require.Len(t, got.baggage, 1)
			members := strings.Split(got.baggage[0], ",")
			require.Len(t, members, 3)
			assert.Equal(t, []string{"a=1", "b=2"}, members[:2])
			v, ok := strings.CutPrefix(members[2], gray.BaggageMember+"=")
			require.True(t, ok)
			assert.Equal(t, "u-1", signed(baggage, strings.ReplaceAll(v, "%25", "%")))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = seen{}
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "http://front/", nil)
			r.Header.Set("X-User", "u-1")
			r.Header.Set(gray.PropagationHeader, foreign)
			r.Header["Baggage"] = []string{"a=1, " + baggageOf(foreign), "b=2"}
			w := httptest.NewRecorder()
			tt.give.ServeHTTP(w, r)
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
			tt.want(t, got)
		})
	}
}

// TestBaggageOnSeveralLines: W3C baggage may arrive on several header
// lines that form one list; graykit's member is found on any of them.
func TestBaggageOnSeveralLines(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 0}]`)
	p := mustPropagator(t, [][]byte{propNew}, gray.WithBaggage())
	v, err := p.Sign("u-7", []gray.Decision{{Rollout: "checkout", Variant: "canary"}})
	require.NoError(t, err)
	tests := []struct {
		name string
		give []string
		want string
	}{
		{"one line", []string{"a=1," + baggageOf(v)}, "u-7 canary"},
		{"second line", []string{"a=1", baggageOf(v)}, "u-7 canary"},
		{"third line, with properties", []string{"a=1", "b=2", " " + baggageOf(v) + ";p=1"}, "u-7 canary"},
		{"the first member wins", []string{"graykit=garbage", baggageOf(v)}, " stable"},
		{"over W3C's 8192 bytes", []string{"a=" + strings.Repeat("x", 8192), baggageOf(v)}, " stable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := gray.Middleware(e, gray.WithPropagator(p))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				d, _ := gray.FromContext(r.Context())
				got = d.Subject().Key + " " + d.Variant("checkout")
			}))
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			r.Header["Baggage"] = tt.give
			h.ServeHTTP(httptest.NewRecorder(), r)
			assert.Equal(t, tt.want, got)

			pv, err := p.Extract(gray.HeaderCarrier(r.Header))
			assert.Equal(t, tt.want == "u-7 canary", err == nil, "Extract agrees: %v", err)
			assert.Equal(t, tt.want == "u-7 canary", pv.Key == "u-7")
		})
	}
}

// mapCarrier is a Carrier without ValuesGetter: one value per key.
type mapCarrier map[string]string

func (c mapCarrier) Get(key string) string { return c[key] }
func (c mapCarrier) Set(key, value string) {
	if value == "" {
		delete(c, key)
		return
	}
	c[key] = value
}

func (c mapCarrier) Keys() []string {
	var keys []string
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// TestPropagatorInjectExtract: the carrier API round-trips through any
// Carrier, and a carrier without a value is ErrPropagationMissing, which is
// no rejection.
func TestPropagatorInjectExtract(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout, percent: 100}]`)
	ctx := gray.NewContext(t.Context(), e, gray.Subject{Key: "u@x"})
	gray.Variant(ctx, "checkout")
	carriers := []struct {
		name string
		opts []gray.PropagatorOption
	}{
		{"header", nil},
		{"baggage", []gray.PropagatorOption{gray.WithBaggage()}},
	}
	for _, carrier := range carriers {
		t.Run(carrier.name, func(t *testing.T) {
			p := mustPropagator(t, [][]byte{propNew}, carrier.opts...)
			tests := []struct {
				name    string
				give    gray.Carrier
				ctx     context.Context
				wantKey string
				wantErr error
			}{
				{"http.Header", gray.HeaderCarrier(http.Header{"Baggage": {"a=1"}}), ctx, "u@x", nil},
				{"a plain map", mapCarrier{"Baggage": "a=1"}, ctx, "u@x", nil},
				{"no decisions", mapCarrier{"Baggage": "a=1"}, t.Context(), "", gray.ErrPropagationMissing},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					before := p.Stats()
					p.Inject(tt.ctx, tt.give)
					assert.Contains(t, tt.give.Get("Baggage"), "a=1", "other members kept")
					pv, err := p.Extract(tt.give)
					require.ErrorIs(t, err, tt.wantErr)
					assert.Equal(t, tt.wantKey, pv.Key)
					assert.Equal(t, before.Rejected(), p.Stats().Rejected())
				})
			}
		})
	}
}

func TestHeaderCarrier(t *testing.T) {
	h := http.Header{}
	c := gray.HeaderCarrier(h)
	c.Set("graykit-propagation", "v")
	assert.Equal(t, "v", h.Get(gray.PropagationHeader), "keys are canonicalized")
	assert.Equal(t, []string{gray.PropagationHeader}, c.Keys())
	c.Set(gray.PropagationHeader, "")
	assert.Empty(t, h)
}
