package gray_test

import (
	"testing"
	"time"

	"github.com/graykit/graykit/gray"
)

var propSink int

// propBenchCases are the values measured: the usual one (a user and one
// rollout) and a busier request.
var propBenchCases = []struct {
	name      string
	key       string
	decisions []gray.Decision
}{
	{"1-decision", "user-1234567", []gray.Decision{{Rollout: "checkout-v2", Variant: "canary"}}},
	{"4-decisions", "alice@example.com", []gray.Decision{
		{Rollout: "checkout-v2", Variant: "canary"}, {Rollout: "search", Variant: "stable"},
		{Rollout: "pricing", Variant: "canary"}, {Rollout: "recommendations-v3", Variant: "stable"},
	}},
}

func newBenchPropagator(b *testing.B, secrets ...[]byte) *gray.Propagator {
	now := time.Unix(propDocExpiry, 0)
	return mustPropagator(b, secrets, gray.WithPropagationClock(func() time.Time { return now }))
}

// BenchmarkPropagation measures signing and verifying a propagated value.
// Sign allocates the returned string; Verify allocates the decisions map
// (two allocations) and a string per escaped field ("@" in the 4-decision
// key). On a shared 2-core Xeon with SHA-NI, Go 1.26.8:
//
//	go test -run '^$' -bench 'Propagation/(sign|verify)/' -count 6 ./gray/ > pb.txt
//	go run golang.org/x/perf/cmd/benchstat@latest pb.txt
//
//	sign/1-decision                 520ns ± 56%   96 B/op  1 allocs/op
//	verify/1-decision               782ns ± 22%  336 B/op  2 allocs/op
//	verify-old-secret/1-decision   1.08µs ± 36%  336 B/op  2 allocs/op
//	sign/4-decisions                826ns ± 44%  160 B/op  1 allocs/op
//	verify/4-decisions             1.24µs ± 11%  360 B/op  3 allocs/op
//	verify-old-secret/4-decisions  1.81µs ± 14%  360 B/op  3 allocs/op
func BenchmarkPropagation(b *testing.B) {
	for _, bc := range propBenchCases {
		p := newBenchPropagator(b, propNew)
		b.Run("sign/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, _ := p.Sign(bc.key, bc.decisions)
				propSink += len(v)
			}
		})
		v, err := p.Sign(bc.key, bc.decisions)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("verify/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pv, _ := p.Verify(v)
				propSink += len(pv.Variants)
			}
		})
		// During a rotation, a value signed with the old secret is checked
		// against the new one first.
		rotating := newBenchPropagator(b, propOld, propNew)
		b.Run("verify-old-secret/"+bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				pv, _ := rotating.Verify(v)
				propSink += len(pv.Variants)
			}
		})
		b.Run("reject-forged/"+bc.name, func(b *testing.B) {
			forged := v[:len(v)-1] + "A"
			b.ReportAllocs()
			for b.Loop() {
				_, err := p.Verify(forged)
				propSink += len(err.Error())
			}
		})
	}
}
