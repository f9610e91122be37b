package gray_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// ringRollout returns a ring-layout rollout with the shares (in buckets)
// for variants v0, v1, … .
func ringRollout(shares []int) gray.Rollout {
	r := gray.Rollout{Name: "ring", Layout: gray.LayoutRing}
	for i, s := range shares {
		r.Variants = append(r.Variants, gray.VariantSpec{Name: fmt.Sprintf("v%d", i), Percent: float64(s) / 100})
	}
	return r
}

// assignment maps every bucket to its variant under the rollout, from its
// bucket ranges (which TestRingRangesAreWhatDecideDoes ties to Decide).
func assignment(t *testing.T, r gray.Rollout) []string {
	t.Helper()
	ranges, err := r.BucketRanges()
	require.NoError(t, err)
	out := make([]string, gray.Buckets)
	for i := range out {
		out[i] = "stable"
	}
	for _, br := range ranges {
		for b := br.Lo; b < br.Hi; b++ {
			require.Equal(t, "stable", out[b], "bucket %d in two ranges", b)
			out[b] = br.Variant
		}
	}
	return out
}

// fits reports whether shares fit the ring layout.
func fits(shares []int) bool {
	_, err := gray.New(&gray.Config{Rollouts: []gray.Rollout{ringRollout(shares)}})
	return err == nil
}

// TestRingReweightingMovesOnlyThatVariant is the layout's contract, over
// random re-weightings: every variant gets exactly its share, and changing
// one variant's share moves buckets only between that variant and the
// default. Raising a share only adds buckets; lowering only removes them.
func TestRingReweightingMovesOnlyThatVariant(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 20))
	checked := 0
	for checked < 200 {
		k := 1 + rng.IntN(5)
		shares := make([]int, k)
		for i := range shares {
			shares[i] = rng.IntN(2*gray.Buckets/k + 1)
		}
		if !fits(shares) {
			continue
		}
		i := rng.IntN(k)
		next := append([]int(nil), shares...)
		next[i] = rng.IntN(2*gray.Buckets/k + 1)
		if !fits(next) {
			continue
		}
		checked++
		before, after := assignment(t, ringRollout(shares)), assignment(t, ringRollout(next))
		changed := fmt.Sprintf("v%d", i)
		counts := map[string]int{}
		for b := range gray.Buckets {
			counts[after[b]]++
			if before[b] == after[b] {
				continue
			}
			pair := []string{before[b], after[b]}
			require.Contains(t, pair, changed, "bucket %d moved %s → %s re-weighting %s %v → %v", b, before[b], after[b], changed, shares, next)
			require.Contains(t, pair, "stable", "bucket %d moved between variants", b)
			if next[i] > shares[i] {
				require.Equal(t, changed, after[b], "raising only adds")
			} else {
				require.Equal(t, changed, before[b], "lowering only removes")
			}
		}
		for j, s := range next {
			require.Equal(t, s, counts[fmt.Sprintf("v%d", j)], "v%d's share", j)
		}
	}
}

// TestRingRangesAreWhatDecideDoes ties BucketRanges to the engine.
func TestRingRangesAreWhatDecideDoes(t *testing.T) {
	r := ringRollout([]int{2000, 4500, 500})
	e, err := gray.New(&gray.Config{Rollouts: []gray.Rollout{r}})
	require.NoError(t, err)
	want := assignment(t, r)
	seen := map[int]bool{}
	for i := 0; len(seen) < 3000; i++ {
		k := fmt.Sprintf("k%d", i)
		d := e.Decide("ring", gray.Subject{Key: k})
		seen[d.Bucket] = true
		require.Equal(t, want[d.Bucket], d.Variant, "bucket %d", d.Bucket)
	}
}

// TestRingWithOneVariantIsTheCanaryRange: the single-canary layout [0, p)
// does not change.
func TestRingWithOneVariantIsTheCanaryRange(t *testing.T) {
	for _, p := range []float64{0, 0.01, 5, 37.5, 100} {
		ring := gray.Rollout{Name: "c", Percent: p, Layout: gray.LayoutRing}
		plain := gray.Rollout{Name: "c", Percent: p}
		assert.Equal(t, assignment(t, plain), assignment(t, ring), "%v%%", p)
	}
	ranges, err := (&gray.Rollout{Name: "c", Percent: 5, Layout: gray.LayoutRing}).BucketRanges()
	require.NoError(t, err)
	assert.Equal(t, []gray.BucketRange{{Variant: "canary", Lo: 0, Hi: 500}}, ranges)
}

// TestRangesLayoutMovesOthers documents why the ring exists: with the
// default layout, raising the first variant moves the second's users.
func TestRangesLayoutMovesOthers(t *testing.T) {
	before := assignment(t, gray.Rollout{Name: "r", Variants: []gray.VariantSpec{{Name: "a", Percent: 10}, {Name: "b", Percent: 10}}})
	after := assignment(t, gray.Rollout{Name: "r", Variants: []gray.VariantSpec{{Name: "a", Percent: 20}, {Name: "b", Percent: 10}}})
	movedB := 0
	for b := range gray.Buckets {
		if before[b] == "b" && after[b] != "b" {
			movedB++
		}
	}
	assert.Equal(t, 1000, movedB, "every user of b moves")
}

func TestRingLayoutErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"does not fit", "rollouts: [{name: r, layout: ring, variants: [{name: a, percent: 50}, {name: b, percent: 30}, {name: c, percent: 10}]}]",
			`gray: rollouts[0].variants: layout ring: "a"'s 50% spills 16.67% into the region of "b" (buckets 3333-6665), where "b" takes 30%: together above the region's 33.33%`},
		{"unknown layout", "rollouts: [{name: r, layout: spiral, percent: 5}]", `gray: rollouts[0].layout: "spiral" is not a layout (want ranges or ring)`},
		{"in a layer", "layers: [{name: l, rollouts: [{rollout: r, percent: 50}]}]\nrollouts: [{name: r, layout: ring, percent: 5}]",
			`gray: rollouts[0].layout: rollout "r" is in layer "l": the ring layout is not available in a layer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, configErr(t, tt.give), tt.want)
		})
	}
	// A guarded rollout's share that would not fit is refused too.
	e := mustEngine(t, "rollouts: [{name: r, layout: ring, variants: [{name: a, percent: 10}, {name: b, percent: 60}, {name: c, percent: 0}]}]")
	p := 40.0
	err := e.SetOverride("r", gray.Override{Percent: &p})
	require.Error(t, err)
	assert.True(t, strings.Contains(err.Error(), "layout ring"), err.Error())
}

func TestRingDecideAllocatesNothing(t *testing.T) {
	e := mustEngine(t, "rollouts: [{name: r, layout: ring, variants: [{name: a, percent: 10}, {name: b, percent: 20}, {name: c, percent: 30}]}]")
	s := gray.Subject{Key: "u-1"}
	assert.Zero(t, testing.AllocsPerRun(200, func() { _ = e.Decide("r", s) }))
}
