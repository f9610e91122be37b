package gray_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/semver"

	"github.com/graykit/graykit/gray"
)

// tenRulesYAML is a rollout whose ten rules do not match the benchmark's
// subjects, followed by the 5% split.
func tenRulesYAML() string {
	var users strings.Builder
	for i := range 10000 {
		if i > 0 {
			users.WriteString(", ")
		}
		users.WriteString("staff-" + strconv.Itoa(i))
	}
	return `
rollouts:
  - name: checkout-v2
    percent: 5
    rules:
      - {name: testers, when: {field: "header:X-Gray", in: [canary, beta]}, serve: canary}
      - {name: beta-cookie, when: {field: "cookie:version", eq: beta}, serve: canary}
      - {name: staff, when: {field: key, in: [` + users.String() + `]}, serve: canary}
      - {name: office, when: {field: ip, cidr: [203.0.113.0/24, "2001:db8::/32"]}, serve: canary}
      - {name: new-app, when: {field: "attr:app_version", semver_gte: "9.0.0"}, serve: canary}
      - {name: internal, when: {field: host, regex: "^internal-[a-z]+\\.example\\.com$"}, serve: canary}
      - {name: region, when: {field: "attr:region", in: [eu-north-1, ap-south-1]}, serve: canary}
      - {name: heavy, when: {field: "attr:orders", gt: 1000}, serve: canary}
      - {name: admin-path, when: {field: path, prefix: /admin/}, serve: canary}
      - {name: combo, when: {all: [{field: method, eq: DELETE}, {field: "query:force", present: true}]}, serve: canary}
`
}

type benchSubjects struct {
	subjects []gray.Subject
}

func newBenchSubjects() benchSubjects {
	keys := benchKeys()
	out := benchSubjects{subjects: make([]gray.Subject, len(keys))}
	// One request's values, shared: a request being decided is hot in the
	// cache, where 1,024 separate sets of maps would measure cache misses.
	attrs := map[string]string{"app_version": "5.2.1", "region": "eu-west-1", "orders": "12"}
	req := &gray.Values{
		Headers: map[string]string{"X-Gray": "no"}, Cookies: map[string]string{"version": "stable"},
		IP: "198.51.100.7", HTTPMethod: "GET", URLPath: "/checkout", HostName: "shop.example.com",
	}
	for i, k := range keys {
		out.subjects[i] = gray.Subject{Key: k, Attrs: attrs, Request: req}
	}
	return out
}

func TestDecideTenRulesAllocatesNothing(t *testing.T) {
	e := mustEngine(t, tenRulesYAML())
	s := newBenchSubjects().subjects[42]
	d := e.Decide("checkout-v2", s)
	require.Contains(t, []gray.Reason{gray.ReasonSplit, gray.ReasonDefault}, d.Reason, "no rule may match the benchmark subject")
	assert.Zero(t, testing.AllocsPerRun(200, func() { _ = e.Decide("checkout-v2", s) }))
	// The semver and CIDR paths parse request values without allocating.
	assert.Zero(t, testing.AllocsPerRun(200, func() { _ = e.Decide("unknown", s) }))
}

func BenchmarkDecide(b *testing.B) {
	e := mustEngine(b, tenRulesYAML())
	subjects := newBenchSubjects().subjects
	keys := benchKeys()
	b.Run("SaltedBucket", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sink += gray.SaltedBucket("checkout-v2", keys[i&1023])
		}
	})
	b.Run("10-rules-no-match", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sink += e.Decide("checkout-v2", subjects[i&1023]).Bucket
		}
	})
	// The same ten checks written by hand, idiomatically, over the same
	// subjects: what the rules would cost without an engine.
	staff := make(map[string]struct{}, 10000)
	for i := range 10000 {
		staff["staff-"+strconv.Itoa(i)] = struct{}{}
	}
	offices := []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24"), netip.MustParsePrefix("2001:db8::/32")}
	internal := regexp.MustCompile(`^internal-[a-z]+\.example\.com$`)
	byHand := func(s gray.Subject) bool {
		r := s.Request
		if v, ok := r.Header("X-Gray"); ok && (v == "canary" || v == "beta") {
			return true
		}
		if v, ok := r.Cookie("version"); ok && v == "beta" {
			return true
		}
		if _, ok := staff[s.Key]; ok {
			return true
		}
		if ip, err := netip.ParseAddr(r.ClientIP()); err == nil && (offices[0].Contains(ip) || offices[1].Contains(ip)) {
			return true
		}
		if v, ok := s.Attrs["app_version"]; ok && semver.Compare("v"+v, "v9.0.0") >= 0 {
			return true
		}
		if internal.MatchString(r.Host()) {
			return true
		}
		if v := s.Attrs["region"]; v == "eu-north-1" || v == "ap-south-1" {
			return true
		}
		if n, err := strconv.Atoi(s.Attrs["orders"]); err == nil && n > 1000 {
			return true
		}
		if strings.HasPrefix(r.Path(), "/admin/") {
			return true
		}
		if _, ok := r.Query("force"); ok && r.Method() == "DELETE" {
			return true
		}
		return false
	}
	b.Run("10-rules-by-hand", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			s := subjects[i&1023]
			if !byHand(s) && gray.SaltedBucket("checkout-v2", s.Key) < 500 {
				sink++
			}
		}
	})
	simple := mustEngine(b, `rollouts: [{name: checkout-v2, percent: 5}]`)
	b.Run("split-only", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sink += simple.Decide("checkout-v2", gray.Subject{Key: keys[i&1023]}).Bucket
		}
	})
}

// BenchmarkDecideParallelDuringReload decides from every core while another
// goroutine keeps swapping configurations in.
func BenchmarkDecideParallelDuringReload(b *testing.B) {
	e := mustEngine(b, tenRulesYAML())
	cfgA := e.Config()
	cfgB, err := gray.ParseConfig([]byte(strings.Replace(tenRulesYAML(), "percent: 5", "percent: 20", 1)))
	require.NoError(b, err)
	subjects := newBenchSubjects().subjects
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; !stop.Load(); i++ {
			cfg := cfgA
			if i%2 == 1 {
				cfg = cfgB
			}
			if err := e.Update(cfg); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			d := e.Decide("checkout-v2", subjects[i&1023])
			if d.Variant != "canary" && d.Variant != "stable" {
				b.Errorf("variant %q", d.Variant)
			}
			i++
		}
	})
	stop.Store(true)
	<-done
}

type naiveKey struct{}

// naiveMiddleware is the naive shape of a gray middleware: read the header,
// hash, context.WithValue and r.WithContext, nothing else. Not inlined, so
// next stays an interface call, as behind any real middleware.
//
//go:noinline
func naiveMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := "stable"
		if gray.SaltedBucket("checkout-v2", r.Header.Get("X-User-Id")) < 500 {
			v = "canary"
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), naiveKey{}, v)))
	})
}

func BenchmarkMiddleware(b *testing.B) {
	e := mustEngine(b, `rollouts: [{name: checkout-v2, percent: 5}]`)
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	asking := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sink += len(gray.Variant(r.Context(), "checkout-v2"))
	})
	keys := benchKeys()
	reqs := make([]*http.Request, len(keys))
	for i, k := range keys {
		reqs[i] = httptest.NewRequest(http.MethodGet, "/checkout", nil)
		reqs[i].Header.Set("X-User-Id", k)
	}
	w := discardWriter{}
	cases := []struct {
		name string
		h    http.Handler
	}{
		{"bare", bare},
		{"bare+WithContext", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			bare.ServeHTTP(w, r.WithContext(r.Context()))
		})},
		// The naive shape: read the header, hash, context.WithValue and
		// r.WithContext, with nothing else.
		{"naive", naiveMiddleware(asking)},
		{"gray", gray.Middleware(e, gray.WithKeyFromHeader("X-User-Id"))(asking)},
		{"gray+observer", gray.Middleware(e, gray.WithKeyFromHeader("X-User-Id"), gray.WithObserver(gray.NewCounters()))(asking)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				c.h.ServeHTTP(w, reqs[i&1023])
			}
		})
	}
}

type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(b []byte) (int, error) { return io.Discard.Write(b) }
func (discardWriter) WriteHeader(int)             {}
