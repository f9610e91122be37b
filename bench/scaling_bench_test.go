package bench_test

import (
	"flag"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// quick reports a CI smoke run (-short, or -benchtime=1x), where the largest
// fixtures are cut down so that the run stays fast. The published run
// builds them in full.
func quick() bool {
	if testing.Short() {
		return true
	}
	f := flag.Lookup("test.benchtime")
	return f != nil && f.Value.String() == "1x"
}

// BenchmarkScaling measures how Decide grows with the number of rules and
// with the size of a user list, for subjects no rule matches.
func BenchmarkScaling(b *testing.B) {
	keys := benchKeys()
	attrs := userAttrs()
	subjects := make([]gray.Subject, len(keys))
	for i, k := range keys {
		subjects[i] = gray.Subject{Key: k, Attrs: attrs}
	}
	listSizes := []int{10, 10_000, 1_000_000}
	if quick() {
		listSizes = []int{10, 10_000, 100_000}
	}
	type scalingCase struct {
		name string
		cfg  func() *gray.Config
	}
	var cases []scalingCase
	for _, n := range []int{1, 10, 100} {
		cases = append(cases, scalingCase{fmt.Sprintf("rules=%d", n), func() *gray.Config { return manyRulesConfig(n) }})
	}
	for _, n := range listSizes {
		cases = append(cases, scalingCase{fmt.Sprintf("user-list=%d", n), func() *gray.Config { return userListConfig(n) }})
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e, err := gray.New(c.cfg())
			require.NoError(b, err)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				sinkStr = e.Decide(rolloutName, subjects[i&keyMask]).Variant
			}
		})
	}
}

// BenchmarkParallel decides from every core (GOMAXPROCS goroutines, the
// three-rule rollout) with the configuration steady, and while another
// goroutine swaps two configurations in with Engine.Update as fast as it can.
// The reloading goroutine competes for the same cores; it is stopped and
// waited for before the benchmark returns.
func BenchmarkParallel(b *testing.B) {
	keys := benchKeys()
	attrs := userAttrs()
	subjects := make([]gray.Subject, len(keys))
	for i, k := range keys {
		subjects[i] = gray.Subject{Key: k, Attrs: attrs}
	}
	cases := []struct {
		name   string
		reload bool
	}{
		{"steady", false},
		{"during-reload", true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			e, err := gray.New(threeRulesConfig(canaryPct))
			require.NoError(b, err)
			if c.reload {
				reloads := startReloading(b, e, threeRulesConfig(canaryPct), threeRulesConfig(20))
				// B/op then includes the reloads' own allocations, spread over the decisions.
				defer func() { b.ReportMetric(float64(reloads())/b.Elapsed().Seconds(), "reloads/s") }()
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					d := e.Decide(rolloutName, subjects[i&keyMask])
					if d.Variant != "canary" && d.Variant != "stable" {
						b.Errorf("variant %q", d.Variant)
					}
					i++
				}
			})
		})
	}
}

// startReloading calls e.Update in a loop, alternating cfgA and cfgB, until
// the returned function is called; that function stops the loop, waits for
// it, and returns the number of reloads done.
func startReloading(b *testing.B, e *gray.Engine, cfgA, cfgB *gray.Config) (stop func() int) {
	quit := make(chan struct{})
	done := make(chan int)
	go func() {
		n := 0
		defer func() { done <- n }()
		for {
			select {
			case <-quit:
				return
			default:
			}
			cfg := cfgA
			if n%2 == 1 {
				cfg = cfgB
			}
			if err := e.Update(cfg); err != nil {
				b.Error(err)
				return
			}
			n++
		}
	}()
	return func() int {
		close(quit)
		return <-done
	}
}
