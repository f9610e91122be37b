package gray_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/graykit/graykit/gray"
)

// FuzzCarriers sends arbitrary propagation headers and baggage lines
// through a service behind the edge, in both carriers: nothing panics; a
// decision is followed only when the value verifies (the one value the test
// signed, for its key), and the middleware and Propagator.Extract agree on
// that; and what the service sends on holds exactly one graykit value, its
// own, with every other baggage member kept.
func FuzzCarriers(f *testing.F) {
	now := time.Unix(propDocExpiry, 0)
	clock := gray.WithPropagationClock(func() time.Time { return now })
	header := mustPropagator(f, [][]byte{propNew}, clock)
	baggage := mustPropagator(f, [][]byte{propNew}, clock, gray.WithBaggage())
	valid, err := header.Sign("u@x", []gray.Decision{{Rollout: "checkout", Variant: "canary"}})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][3]string{
		{valid, "", ""},
		{"", baggageOf(valid), ""},
		{"", "a=1", baggageOf(valid) + ";p=1"},
		{"garbage", "graykit=garbage, b=2", baggageOf(valid)},
		{valid + "x", "graykit", "=,,;"},
		{"", "a=%ZZ,graykit=%", strings.Repeat("x=y,", 100)},
		{"v1|1|k|a=b|", " graykit = " + valid + " ", "c=3;graykit=1"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	e := mustEngine(f, `rollouts: [{name: checkout, percent: 0}]`)
	f.Fuzz(func(t *testing.T, hdr, bag1, bag2 string) {
		for _, p := range []*gray.Propagator{header, baggage} {
			in := http.Header{}
			if hdr != "" {
				in[gray.PropagationHeader] = []string{hdr}
			}
			for _, line := range []string{bag1, bag2} {
				if line != "" {
					in["Baggage"] = append(in["Baggage"], line)
				}
			}
			var reason gray.Reason
			var key string
			out := http.Header{}
			h := gray.Middleware(e, gray.WithPropagator(p))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				d, _ := gray.FromContext(r.Context())
				reason, key = d.Get("checkout").Reason, d.Subject().Key
				out = r.Header.Clone()
				p.Inject(r.Context(), gray.HeaderCarrier(out))
			}))
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			r.Header = in
			h.ServeHTTP(httptest.NewRecorder(), r)

			pv, err := p.Extract(gray.HeaderCarrier(in))
			followed := reason == gray.ReasonPropagated
			if followed != (err == nil) {
				t.Fatalf("middleware followed=%v, Extract err=%v", followed, err)
			}
			if followed && (key != "u@x" || pv.Key != "u@x" || pv.Variants["checkout"] != "canary" || len(pv.Variants) != 1) {
				t.Fatalf("followed a value the test did not sign: key %q, %+v", key, pv)
			}

			// What goes on: one graykit value, ours, and the other members.
			if p == header && len(out.Values(gray.PropagationHeader)) != 1 {
				t.Fatalf("sent %q", out.Values(gray.PropagationHeader))
			}
			if p == baggage && len(out.Values(gray.PropagationHeader)) != 0 {
				t.Fatalf("sent %q in the header", out.Values(gray.PropagationHeader))
			}
			sentPV, err := p.Extract(gray.HeaderCarrier(out))
			if err != nil || sentPV.Key != key {
				t.Fatalf("sent a value for %q, want %q: %v", sentPV.Key, key, err)
			}
			if got, want := otherMembers(out.Values("Baggage")), otherMembers(in.Values("Baggage")); !slices.Equal(got, want) {
				t.Fatalf("other baggage members %q, want %q", got, want)
			}
		}
	})
}

// otherMembers lists the baggage members that are not graykit's, trimmed.
func otherMembers(lines []string) []string {
	var out []string
	for _, line := range lines {
		for m := range strings.SplitSeq(line, ",") {
			k, _, _ := strings.Cut(m, "=")
			if m = strings.TrimSpace(m); m != "" && strings.TrimSpace(k) != gray.BaggageMember {
				out = append(out, m)
			}
		}
	}
	return out
}
