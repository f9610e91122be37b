package gray_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/graykit/graykit/gray"
)

// checkLeaks fails the test if it leaves goroutines behind. Call it first:
// its check runs after every other cleanup (servers, transports).
func checkLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// newClient returns a client on its own transport, closed with the test.
func newClient(t *testing.T, wrap func(http.RoundTripper) http.RoundTripper) *http.Client {
	t.Helper()
	base := &http.Transport{}
	t.Cleanup(base.CloseIdleConnections)
	if wrap == nil {
		return &http.Client{Transport: base}
	}
	return &http.Client{Transport: wrap(base)}
}

// chain is three services on loopback, each with its own configuration:
//
//	edge    decides checkout (20%) and keys users by X-User; it signs but
//	        never trusts inbound values (the public calls it)
//	middle  has no checkout rollout at all; forwards what it received
//	backend has checkout at 0% (a stale config) and a search rollout at 100%
//	        that only a keyed subject gets
//
// Each hop answers "hop=variant(reason)" for checkout, followed by what the
// next hop answered.
type chain struct {
	edge, middle, backend *httptest.Server
	client                *http.Client
}

const (
	chainEdgeYAML    = `rollouts: [{name: checkout, percent: 20}]`
	chainMiddleYAML  = `rollouts: [{name: other, percent: 50}]`
	chainBackendYAML = `rollouts: [{name: checkout, percent: 0}, {name: search, percent: 100}]`
)

func startChain(t *testing.T, edgeP, middleP, backendP *gray.Propagator) *chain {
	t.Helper()
	c := &chain{client: newClient(t, nil)}
	describe := func(r *http.Request, hop string) string {
		d, _ := gray.FromContext(r.Context())
		dec := d.Get("checkout")
		return fmt.Sprintf("%s=%s(%s)", hop, dec.Variant, dec.Reason)
	}
	call := func(client *http.Client, r *http.Request, url string) string {
		req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, url, nil)
		if err != nil {
			return err.Error()
		}
		resp, err := client.Do(req)
		if err != nil {
			return err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}

	backend := gray.Middleware(mustEngine(t, chainBackendYAML), gray.WithKeyFromHeader("X-User"), gray.WithPropagator(backendP))
	c.backend = httptest.NewServer(backend(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, describe(r, "backend")+" search="+gray.Variant(r.Context(), "search"))
	})))
	t.Cleanup(c.backend.Close)

	middleClient := newClient(t, func(rt http.RoundTripper) http.RoundTripper { return gray.Transport(rt) })
	middle := gray.Middleware(mustEngine(t, chainMiddleYAML), gray.WithPropagator(middleP))
	c.middle = httptest.NewServer(middle(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The middle asks nothing before calling on: the propagated
		// decisions travel on untouched.
		next := call(middleClient, r, c.backend.URL)
		_, _ = io.WriteString(w, describe(r, "middle")+" "+next)
	})))
	t.Cleanup(c.middle.Close)

	edgeClient := newClient(t, func(rt http.RoundTripper) http.RoundTripper { return gray.Transport(rt) })
	edge := gray.Middleware(mustEngine(t, chainEdgeYAML), gray.WithKeyFromHeader("X-User"), gray.WithOutboundPropagator(edgeP))
	c.edge = httptest.NewServer(edge(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		desc := describe(r, "edge") // the edge decides first
		_, _ = io.WriteString(w, desc+" "+call(edgeClient, r, c.middle.URL))
	})))
	t.Cleanup(c.edge.Close)
	return c
}

// get calls url as a public client would, with optional headers.
func (c *chain) get(t *testing.T, url, user string, header http.Header) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	if user != "" {
		req.Header.Set("X-User", user)
	}
	resp, err := c.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(b))
	return string(b)
}

func TestChainCanaryAtEveryHop(t *testing.T) {
	checkLeaks(t)
	canaryUser := keyInBucketRange(t, "checkout", 0, 2000)
	stableUser := keyInBucketRange(t, "checkout", 2000, gray.Buckets)
	carriers := []struct {
		name string
		opts []gray.PropagatorOption
	}{
		{"header", nil},
		{"baggage", []gray.PropagatorOption{gray.WithBaggage()}},
	}
	tests := []struct {
		name string
		give string
		want string
	}{
		{"canary user", canaryUser,
			"edge=canary(split) middle=canary(propagated) backend=canary(propagated) search=canary"},
		{"stable user", stableUser,
			"edge=stable(default) middle=stable(propagated) backend=stable(propagated) search=canary"},
		{"no user", "",
			"edge=stable(no key) middle=stable(propagated) backend=stable(propagated) search=stable"},
	}
	for _, carrier := range carriers {
		t.Run(carrier.name, func(t *testing.T) {
			p := mustPropagator(t, [][]byte{propNew}, carrier.opts...)
			c := startChain(t, p, p, p)
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					for range 3 { // sticky
						assert.Equal(t, tt.want, c.get(t, c.edge.URL, tt.give, nil))
					}
				})
			}
			st := p.Stats()
			assert.Equal(t, uint64(2*3*len(tests)), st.Accepted, "middle and backend verify every request")
			assert.Zero(t, st.Rejected())
		})
	}
}

func TestChainIgnoresUntrustedValues(t *testing.T) {
	checkLeaks(t)
	canaryUser := keyInBucketRange(t, "checkout", 0, 2000)
	clock := newPropClock(time.Now())
	p := mustPropagator(t, [][]byte{propNew}, clock.opt())
	c := startChain(t, p, p, p)
	sign := func(secret []byte, at time.Time) string {
		q := mustPropagator(t, [][]byte{secret}, gray.WithPropagationClock(func() time.Time { return at }))
		v, err := q.Sign(canaryUser, []gray.Decision{{Rollout: "checkout", Variant: "canary"}})
		require.NoError(t, err)
		return v
	}
	valid := sign(propNew, clock.now())
	const local = "backend=stable(no key) search=stable"
	tests := []struct {
		name  string
		give  string
		count func(gray.PropagationStats) uint64
	}{
		{"plain variant", "checkout=canary", func(s gray.PropagationStats) uint64 { return s.Malformed }},
		{"unsigned", strings.TrimSuffix(valid, valid[len(valid)-43:]), func(s gray.PropagationStats) uint64 { return s.Unsigned }},
		{"forged with another secret", sign([]byte("attacker-attacker-attacker-12345"), clock.now()), func(s gray.PropagationStats) uint64 { return s.BadSignature }},
		{"tampered signature", valid[:len(valid)-2] + flip(valid[len(valid)-2]) + valid[len(valid)-1:], func(s gray.PropagationStats) uint64 { return s.BadSignature }},
		{"tampered decision", strings.Replace(valid, "checkout=", "checkouu=", 1), func(s gray.PropagationStats) uint64 { return s.BadSignature }},
		{"expired", sign(propNew, clock.now().Add(-time.Minute)), func(s gray.PropagationStats) uint64 { return s.Expired }},
		{"valid for a day", sign(propNew, clock.now().Add(24*time.Hour)), func(s gray.PropagationStats) uint64 { return s.Future }},
		{"oversized", valid + strings.Repeat("x", gray.MaxPropagationSize), func(s gray.PropagationStats) uint64 { return s.Oversized }},
		{"binary garbage", "v1|\xff\xfe|\x80||", func(s gray.PropagationStats) uint64 { return s.Malformed }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := p.Stats()
			// A public client reaching the backend directly: local decision
			// (no key of its own, so stable and search stable too).
			got := c.get(t, c.backend.URL, "", http.Header{gray.PropagationHeader: {tt.give}})
			assert.Equal(t, local, got)
			after := p.Stats()
			assert.Equal(t, tt.count(before)+1, tt.count(after))
			assert.Equal(t, before.Accepted, after.Accepted)
		})
	}

	t.Run("the valid value, for contrast", func(t *testing.T) {
		got := c.get(t, c.backend.URL, "", http.Header{gray.PropagationHeader: {valid}})
		assert.Equal(t, "backend=canary(propagated) search=canary", got)
	})

	t.Run("a valid value replayed at the edge gets nothing", func(t *testing.T) {
		stableUser := keyInBucketRange(t, "checkout", 2000, gray.Buckets)
		got := c.get(t, c.edge.URL, stableUser, http.Header{gray.PropagationHeader: {valid}})
		assert.Equal(t, "edge=stable(default) middle=stable(propagated) backend=stable(propagated) search=canary", got)
	})

	t.Run("expired in flight", func(t *testing.T) {
		clock.add(gray.DefaultPropagationTTL + time.Second)
		got := c.get(t, c.backend.URL, "", http.Header{gray.PropagationHeader: {valid}})
		assert.Equal(t, local, got)
	})
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestChainKeyRotation(t *testing.T) {
	checkLeaks(t)
	canaryUser := keyInBucketRange(t, "checkout", 0, 2000)
	const canary = "edge=canary(split) middle=canary(propagated) backend=canary(propagated) search=canary"
	// The middle trusts nothing, so it has nothing to forward either.
	const brokenAtMiddle = "edge=canary(split) middle=stable(unknown rollout) backend=stable(no key) search=stable"
	var (
		oldOnly = [][]byte{propOld}
		addNew  = [][]byte{propOld, propNew}
		useNew  = [][]byte{propNew, propOld}
		newOnly = [][]byte{propNew}
	)
	tests := []struct {
		name                  string
		edge, middle, backend [][]byte
		want                  string
	}{
		{"before", oldOnly, oldOnly, oldOnly, canary},
		{"step 1: new accepted, edge first", addNew, oldOnly, oldOnly, canary},
		{"step 1 done", addNew, addNew, addNew, canary},
		{"step 2: edge signs with new", useNew, addNew, addNew, canary},
		{"step 2 done", useNew, useNew, useNew, canary},
		{"step 3: old dropped downstream", useNew, newOnly, newOnly, canary},
		{"old secret after the drop", oldOnly, newOnly, newOnly, brokenAtMiddle},
		{"new secret before it is accepted", newOnly, oldOnly, oldOnly, brokenAtMiddle},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startChain(t, mustPropagator(t, tt.edge), mustPropagator(t, tt.middle), mustPropagator(t, tt.backend))
			assert.Equal(t, tt.want, c.get(t, c.edge.URL, canaryUser, nil))
		})
	}
}
