// Package graytest holds the adapter conformance table: the one table of
// cases that every adapter — net/http, Gin, Echo, gRPC unary and streaming,
// and any adapter written outside this repository (chi, connect, Hertz…) —
// must pass with identical results, over a real server on loopback. It
// checks subject extraction (header, cookie, anonymous cookie), rules,
// client IPs, attributes, one decision per rollout per request, the brake
// and reloads mid-traffic, failures and panics counted as outcomes, and a
// nil engine passing requests through.
//
// An adapter's test describes how to serve and call it (a [Target]) and
// calls [Run]: its handler, behind the adapter built with the engine and
// options it is given, answers with [Respond]. For an HTTP framework that is
// a few lines:
//
//	func TestConformance(t *testing.T) {
//		graytest.Run(t, graytest.Target{
//			Name:    "chi",
//			Cookies: true,
//			Serve: func(t *testing.T, e *gray.Engine, opts []gray.Option) graytest.Client {
//				r := chi.NewRouter()
//				r.Use(graychi.Middleware(e, opts...))
//				r.Post(graytest.Path, graytest.HandleHTTP)
//				return graytest.ServeHTTP(t, r)
//			},
//		})
//	}
//
// The package imports testing (and testify): it is for tests only, like
// net/http/httptest and testing/slogtest.
package graytest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// Names of what a call carries. Every target sends them as HTTP headers or
// gRPC metadata (lowercased).
const (
	// KeyHeader carries the subject key ([Options] reads it).
	KeyHeader = "X-User-ID"
	// KeyCookie carries the subject key when KeyHeader is absent.
	KeyCookie = "uid"
	// ActionHeader tells the handler what to do: "" (answer), "fail", "panic".
	ActionHeader = "X-Conformance-Action"
	// AnonCookie is the anonymous-stickiness cookie of the anonymous case.
	AnonCookie = "gray-anon"
)

// Actions the handler takes.
const (
	ActionFail  = "fail"
	ActionPanic = "panic"
)

// Rollouts the handler reports, in order.
var rollouts = []string{"checkout", "rules", "ip", "ip-other", "attr"}

// Config is the configuration every case starts from.
const Config = `
rollouts:
  - name: checkout
    percent: 50
  - name: rules
    rules:
      - {name: testers, when: {field: "header:X-Gray", in: [canary]}, serve: canary}
      - {name: beta, when: {field: "cookie:version", eq: beta}, serve: canary}
      - {name: staff, when: {field: key, in: [u-5, u-6]}, serve: canary}
  - name: ip
    rules:
      - {name: loopback, when: {field: ip, cidr: ["127.0.0.0/8", "::1/128"]}, serve: canary}
  - name: ip-other
    rules:
      - {name: test-net, when: {field: ip, cidr: ["192.0.2.0/24"]}, serve: canary}
  - name: attr
    rules:
      - {name: ios, when: {field: "attr:platform", eq: ios}, serve: canary}
`

// Keys with known buckets under the "checkout" salt (pinned by
// TestFixtures): CanaryKey is inside the 50% split, StableKey outside.
const (
	CanaryKey = "bob"   // bucket 843
	StableKey = "alice" // bucket 8351
)

// Call is one request a case makes.
type Call struct {
	// Key, when set, is sent in KeyHeader.
	Key string
	// Headers are sent as headers (gRPC: metadata).
	Headers map[string]string
	// Cookie is the raw Cookie header (gRPC: "cookie" metadata).
	Cookie string
	// Action is sent in ActionHeader.
	Action string
}

// Reply is what a call got back.
type Reply struct {
	// OK is true for HTTP 2xx or gRPC OK.
	OK bool
	// Body is the handler's report: the response body, or for gRPC the
	// reply message or the error status message. Empty when the call broke
	// (a panic on HTTP closes the connection).
	Body string
	// Cookies are the cookies the response set (HTTP only).
	Cookies map[string]string
}

// Client makes one call to a target's server.
type Client func(ctx context.Context, c Call) Reply

// Target is one adapter under test.
type Target struct {
	// Name names the target in test output.
	Name string
	// Cookies says whether the protocol carries response cookies, which
	// anonymous stickiness needs (HTTP yes, gRPC no).
	Cookies bool
	// Serve starts a loopback server whose handler, behind the adapter
	// built with e and opts, answers with [Respond]; it stops the server
	// when the test ends.
	Serve func(t *testing.T, e *gray.Engine, opts []gray.Option) Client
}

// Respond is the handler under test: it asks every rollout for its variant
// through [gray.Variant] and reports what it saw. With ActionFail it returns
// fail = true (the target answers HTTP 500 or a gRPC Internal error with the
// body as message); with ActionPanic it panics after deciding.
func Respond(ctx context.Context, action string) (body string, fail bool) {
	var b strings.Builder
	for _, r := range rollouts {
		fmt.Fprintf(&b, "%s=%s ", r, gray.Variant(ctx, r))
	}
	key := ""
	if d, ok := gray.FromContext(ctx); ok {
		key = d.Subject().Key
	}
	b.WriteString("key=" + key)
	switch action {
	case ActionPanic:
		panic("graytest: handler panic")
	case ActionFail:
		return b.String(), true
	}
	return b.String(), false
}

// Options are the options every target is built with: one list, the core's
// definitions.
func Options(o gray.Observer) []gray.Option {
	return []gray.Option{
		gray.WithKeyFromHeader(KeyHeader),
		gray.WithKeyFromCookie(KeyCookie),
		gray.WithAttributes(func(_ context.Context, r gray.Request) map[string]string {
			v, ok := r.Header("X-Platform")
			if !ok {
				return nil
			}
			return map[string]string{"platform": v}
		}),
		gray.WithObserver(o),
	}
}

// NewEngine returns an engine on [Config].
func NewEngine(t *testing.T) *gray.Engine {
	t.Helper()
	cfg, err := gray.ParseConfig([]byte(Config))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	return e
}

// Body builds the report Respond gives for the variants of checkout, rules,
// ip, ip-other and attr, in that order, and the subject key.
func Body(checkout, rules, ip, ipOther, attr, key string) string {
	return fmt.Sprintf("checkout=%s rules=%s ip=%s ip-other=%s attr=%s key=%s", checkout, rules, ip, ipOther, attr, key)
}

const (
	s = gray.DefaultVariant
	c = "canary"
)

// Step is one call of a case, with what must be true before it.
type Step struct {
	// Before changes the engine before the call (brake, reload); nil for none.
	Before func(*gray.Engine) error
	Give   Call
	Want   Reply
}

// Stat is the observer's count for one rollout and variant after a case.
type Stat struct {
	Rollout, Variant         string
	Requests, Errors, Panics uint64
}

// Case is one row of the table.
type Case struct {
	Name      string
	Steps     []Step
	WantStats []Stat
}

var (
	bigKey   = strings.Repeat("k", 16<<10) // bucket 7377: stable
	bigValue = "canary" + strings.Repeat("x", 16<<10)
	off      = false
)

func ok(body string) Reply   { return Reply{OK: true, Body: body} }
func fail(body string) Reply { return Reply{OK: false, Body: body} }

// Cases is the table.
var Cases = []Case{
	{
		Name:  "key from header, canary side",
		Steps: []Step{{Give: Call{Key: CanaryKey}, Want: ok(Body(c, s, c, s, s, CanaryKey))}},
	},
	{
		Name:  "key from header, stable side",
		Steps: []Step{{Give: Call{Key: StableKey}, Want: ok(Body(s, s, c, s, s, StableKey))}},
	},
	{
		Name:  "key from cookie",
		Steps: []Step{{Give: Call{Cookie: "a=1; " + KeyCookie + "=" + CanaryKey}, Want: ok(Body(c, s, c, s, s, CanaryKey))}},
	},
	{
		Name:  "header wins over cookie",
		Steps: []Step{{Give: Call{Key: StableKey, Cookie: KeyCookie + "=" + CanaryKey}, Want: ok(Body(s, s, c, s, s, StableKey))}},
	},
	{
		Name:  "missing key gets the default variant",
		Steps: []Step{{Give: Call{}, Want: ok(Body(s, s, c, s, s, ""))}},
	},
	{
		Name:  "rule by header",
		Steps: []Step{{Give: Call{Key: StableKey, Headers: map[string]string{"X-Gray": "canary"}}, Want: ok(Body(s, c, c, s, s, StableKey))}},
	},
	{
		Name:  "rule by header, other value",
		Steps: []Step{{Give: Call{Key: StableKey, Headers: map[string]string{"X-Gray": "stable"}}, Want: ok(Body(s, s, c, s, s, StableKey))}},
	},
	{
		Name:  "rule by cookie",
		Steps: []Step{{Give: Call{Cookie: "version=beta"}, Want: ok(Body(s, c, c, s, s, ""))}},
	},
	{
		Name:  "rule by user list",
		Steps: []Step{{Give: Call{Key: "u-5"}, Want: ok(Body(s, c, c, s, s, "u-5"))}},
	},
	{
		Name:  "rule by attribute",
		Steps: []Step{{Give: Call{Headers: map[string]string{"X-Platform": "ios"}}, Want: ok(Body(s, s, c, s, c, ""))}},
	},
	{
		Name:  "rule by attribute, other value",
		Steps: []Step{{Give: Call{Headers: map[string]string{"X-Platform": "android"}}, Want: ok(Body(s, s, c, s, s, ""))}},
	},
	{
		// The ip rollouts are in every row: loopback (127.0.0.1) is inside
		// 127.0.0.0/8 and outside 192.0.2.0/24.
		Name:  "rule by CIDR",
		Steps: []Step{{Give: Call{Key: StableKey}, Want: ok(Body(s, s, c, s, s, StableKey))}},
	},
	{
		Name: "brake on and off",
		Steps: []Step{
			{Give: Call{Key: CanaryKey}, Want: ok(Body(c, s, c, s, s, CanaryKey))},
			{
				Before: func(e *gray.Engine) error { return e.SetOverride("checkout", gray.Override{Enabled: &off}) },
				Give:   Call{Key: CanaryKey}, Want: ok(Body(s, s, c, s, s, CanaryKey)),
			},
			{
				Before: func(e *gray.Engine) error { return e.SetOverride("rules", gray.Override{Enabled: &off}) },
				Give:   Call{Key: "u-6"}, Want: ok(Body(s, s, c, s, s, "u-6")),
			},
			{
				Before: func(e *gray.Engine) error { e.ClearOverride("checkout"); e.ClearOverride("rules"); return nil },
				Give:   Call{Key: CanaryKey}, Want: ok(Body(c, s, c, s, s, CanaryKey)),
			},
			{Give: Call{Key: "u-6"}, Want: ok(Body(s, c, c, s, s, "u-6"))},
		},
	},
	{
		Name: "oversized values",
		Steps: []Step{
			{Give: Call{Headers: map[string]string{"X-Gray": bigValue}}, Want: ok(Body(s, s, c, s, s, ""))},
			{Give: Call{Cookie: "version=" + bigValue}, Want: ok(Body(s, s, c, s, s, ""))},
			{Give: Call{Key: bigKey}, Want: ok(Body(s, s, c, s, s, bigKey))},
		},
	},
	{
		Name: "malformed values",
		Steps: []Step{
			{Give: Call{Cookie: KeyCookie + `="` + CanaryKey}, Want: ok(Body(s, s, c, s, s, ""))},
			{Give: Call{Cookie: `;;=;version==beta; ; =x`}, Want: ok(Body(s, s, c, s, s, ""))},
			{Give: Call{Cookie: `version="beta"`}, Want: ok(Body(s, c, c, s, s, ""))},
			{Give: Call{Headers: map[string]string{"X-Gray": "Canary"}}, Want: ok(Body(s, s, c, s, s, ""))},
		},
	},
	{
		Name:  "server error is recorded",
		Steps: []Step{{Give: Call{Key: CanaryKey, Action: ActionFail}, Want: fail(Body(c, s, c, s, s, CanaryKey))}},
		WantStats: []Stat{
			{Rollout: "checkout", Variant: c, Requests: 1, Errors: 1},
			{Rollout: "rules", Variant: s, Requests: 1, Errors: 1},
			{Rollout: "checkout", Variant: s},
		},
	},
	{
		Name:  "panic is recorded and re-raised",
		Steps: []Step{{Give: Call{Key: StableKey, Action: ActionPanic}, Want: Reply{OK: false}}},
		WantStats: []Stat{
			{Rollout: "checkout", Variant: s, Requests: 1, Errors: 1, Panics: 1},
			{Rollout: "ip", Variant: c, Requests: 1, Errors: 1, Panics: 1},
			{Rollout: "checkout", Variant: c},
		},
	},
	{
		Name: "success is recorded without error",
		Steps: []Step{
			{Give: Call{Key: CanaryKey}, Want: ok(Body(c, s, c, s, s, CanaryKey))},
			{Give: Call{Key: CanaryKey}, Want: ok(Body(c, s, c, s, s, CanaryKey))},
		},
		WantStats: []Stat{{Rollout: "checkout", Variant: c, Requests: 2}},
	},
}

// Run runs every case, the anonymous-stickiness case and the hot-reload
// case against target.
func Run(t *testing.T, target Target) {
	for _, tt := range Cases {
		t.Run(tt.Name, func(t *testing.T) {
			e := NewEngine(t)
			counters := gray.NewCounters()
			call := target.Serve(t, e, Options(counters))
			for i, step := range tt.Steps {
				if step.Before != nil {
					require.NoError(t, step.Before(e))
				}
				got := call(t.Context(), step.Give)
				assert.Equal(t, step.Want.OK, got.OK, "step %d", i)
				if step.Want.OK || step.Want.Body != "" {
					assert.Equal(t, step.Want.Body, got.Body, "step %d", i)
				}
			}
			for _, want := range tt.WantStats {
				got := counters.Stats(want.Rollout, want.Variant)
				assert.Equal(t, want, Stat{
					Rollout: got.Rollout, Variant: got.Variant,
					Requests: got.Requests, Errors: got.Errors, Panics: got.Panics,
				})
			}
		})
	}
	t.Run("anonymous stickiness", func(t *testing.T) { runAnonymous(t, target) })
	t.Run("hot reload during traffic", func(t *testing.T) { runReload(t, target) })
	t.Run("nil engine", func(t *testing.T) { runNilEngine(t, target) })
	t.Run("exposures", func(t *testing.T) { runExposures(t, target) })
}

// exposureSpy records what a gray.ExposureObserver is given.
type exposureSpy struct {
	mu  sync.Mutex
	got []string
}

func (x *exposureSpy) ObserveDecision(gray.Decision) {}
func (x *exposureSpy) ObserveOutcome(gray.Outcome)   {}
func (x *exposureSpy) ObserveExposure(ctx context.Context, s *gray.Subject, d gray.Decision) {
	// The context is the handler's: it carries the same decisions.
	inCtx := "no decisions in ctx"
	if ds, ok := gray.FromContext(ctx); ok && ds.Subject().Key == s.Key {
		inCtx = ds.Get(d.Rollout).Variant
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.got = append(x.got, fmt.Sprintf("%s %s=%s ctx=%s platform=%s", s.Key, d.Rollout, d.Variant, inCtx, s.Attrs["platform"]))
}

// runExposures: an observer that implements gray.ExposureObserver gets,
// under every adapter, each rollout a request decided once, with the
// subject (key and attributes) and the handler's context.
func runExposures(t *testing.T, target Target) {
	spy := &exposureSpy{}
	call := target.Serve(t, NewEngine(t), Options(spy))
	got := call(t.Context(), Call{Key: CanaryKey, Headers: map[string]string{"X-Platform": "ios"}})
	require.True(t, got.OK)
	want := make([]string, 0, len(rollouts))
	for i, v := range []string{c, s, c, s, c} { // attr: the ios rule
		want = append(want, fmt.Sprintf("%s %s=%s ctx=%s platform=ios", CanaryKey, rollouts[i], v, v))
	}
	spy.mu.Lock()
	defer spy.mu.Unlock()
	assert.Equal(t, want, spy.got)
}

func runAnonymous(t *testing.T, target Target) {
	e := NewEngine(t)
	opts := append(Options(gray.NewCounters()), gray.WithAnonymousCookie(AnonCookie))
	call := target.Serve(t, e, opts)
	first := call(t.Context(), Call{})
	require.True(t, first.OK)
	if !target.Cookies {
		// gRPC has no response cookies, so a server cannot hand a keyless
		// caller a sticky ID: anonymous stickiness does not apply, and a
		// keyless call must get the default variant rather than a random one.
		assert.Empty(t, first.Cookies)
		assert.Equal(t, Body(s, s, c, s, s, ""), first.Body)
		return
	}
	cookie := first.Cookies[AnonCookie]
	require.NotEmpty(t, cookie, "a keyless request gets an anonymous ID")
	id, _, tagged := strings.Cut(cookie, ".")
	require.True(t, tagged, "the cookie is the ID and the tag that proves it was issued")
	variant := gray.Variant(gray.NewContext(t.Context(), e, gray.Subject{Key: id}), "checkout")
	assert.Equal(t, Body(variant, s, c, s, s, id), first.Body, "the key is the ID")
	for range 5 {
		got := call(t.Context(), Call{Cookie: AnonCookie + "=" + cookie})
		assert.Equal(t, first.Body, got.Body, "the same anonymous ID gets the same answer")
		assert.Empty(t, got.Cookies, "a known ID is not reissued")
	}
	second := call(t.Context(), Call{})
	assert.NotEqual(t, cookie, second.Cookies[AnonCookie], "each newcomer gets its own ID")
	forged := call(t.Context(), Call{Cookie: AnonCookie + "=" + CanaryKey})
	assert.NotEqual(t, CanaryKey, forged.Cookies[AnonCookie], "a forged ID is replaced")
	assert.NotContains(t, forged.Body, "key="+CanaryKey)
}

// runNilEngine: an adapter built with a nil engine (a gray.New error left
// unchecked) serves every call without decisions, the default variant
// everywhere, never panicking; every adapter relies on gray.NewHook for it.
func runNilEngine(t *testing.T, target Target) {
	counters := gray.NewCounters()
	call := target.Serve(t, nil, append(Options(counters), gray.WithAnonymousCookie(AnonCookie)))
	for _, give := range []Call{
		{Key: CanaryKey},
		{Key: "u-5", Headers: map[string]string{"X-Gray": "canary"}, Cookie: "version=beta"},
		{},
	} {
		got := call(t.Context(), give)
		assert.True(t, got.OK)
		assert.Equal(t, Body(s, s, s, s, s, ""), got.Body)
		assert.Empty(t, got.Cookies)
	}
	assert.Empty(t, counters.Snapshot())
}

func runReload(t *testing.T, target Target) {
	cfgA, err := gray.ParseConfig([]byte("rollouts: [{name: checkout, percent: 0}]"))
	require.NoError(t, err)
	cfgB, err := gray.ParseConfig([]byte("rollouts: [{name: checkout, percent: 100}]"))
	require.NoError(t, err)
	e, err := gray.New(cfgA)
	require.NoError(t, err)
	call := target.Serve(t, e, Options(gray.NewCounters()))
	wantA, wantB := Body(s, s, s, s, s, StableKey), Body(c, s, s, s, s, StableKey)

	// Each worker calls until it has seen the new configuration's answer,
	// at least minCalls times; the reload happens once half the minimum
	// traffic is through, while every worker is still calling.
	const workers, minCalls, maxCalls = 4, 40, 5000
	var (
		wg       sync.WaitGroup
		done     atomic.Int64
		mu       sync.Mutex
		unwanted []string
		sawB     [workers]bool
	)
	half := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < maxCalls && (i < minCalls || !sawB[w]); i++ {
				got := call(t.Context(), Call{Key: StableKey})
				switch {
				case got.OK && got.Body == wantA:
				case got.OK && got.Body == wantB:
					sawB[w] = true
				default:
					mu.Lock()
					unwanted = append(unwanted, fmt.Sprintf("%v %q", got.OK, got.Body))
					mu.Unlock()
				}
				if done.Add(1) == workers*minCalls/2 {
					close(half)
				}
			}
		}()
	}
	<-half
	require.NoError(t, e.Update(cfgB))
	wg.Wait()
	assert.Equal(t, [workers]bool{true, true, true, true}, sawB, "every client sees the new configuration")
	assert.Empty(t, unwanted, "every answer is one of the two configurations'")
	assert.Equal(t, ok(wantB), call(t.Context(), Call{Key: StableKey}), "the new configuration wins after the reload")
}
