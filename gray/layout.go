package gray

import (
	"fmt"
	"strconv"
)

// Layouts of a rollout's variant ranges ([Rollout.Layout]).
const (
	// LayoutRanges is the default: variants take consecutive ranges from
	// bucket 0 in the order declared. Raising one variant's share shifts
	// the ranges of the variants after it.
	LayoutRanges = "ranges"
	// LayoutRing keeps every other variant's users in place when one
	// variant is re-weighted; see [Rollout.Layout].
	LayoutRing = "ring"
)

// BucketRange is a range of buckets [Lo, Hi) that a variant owns.
type BucketRange struct {
	Variant string
	Lo, Hi  int
}

// interval is a compiled BucketRange.
type interval struct {
	name   string
	lo, hi int
}

// ringLayout lays out shares (in buckets, one per variant, in declared
// order) on the ring: variant i owns region i of k equal regions of
// [0, n), fills it from its start and, past its end, spills into region
// i+1 (the last into the first) from that region's end. It reports the
// first variant whose spill does not fit beside the next one's own part.
func ringLayout(names []string, shares []int, n int) ([]interval, string) {
	k := len(shares)
	start := func(i int) int { return i * n / k }
	var out []interval
	for i, a := range shares {
		lo, hi := start(i), start(i+1)
		own := min(a, hi-lo)
		if own > 0 {
			out = append(out, interval{names[i], lo, lo + own})
		}
		spill := a - own
		if spill == 0 {
			continue
		}
		j := (i + 1) % k
		nlo, nhi := start(j), start(j+1)
		nextOwn := min(shares[j], nhi-nlo)
		if j == i { // one variant: its region is everything
			nextOwn = own
		}
		if spill+nextOwn > nhi-nlo {
			return nil, fmt.Sprintf("layout ring: %q's %v%% spills %v%% into the region of %q (buckets %d-%d), where %q takes %v%%: together above the region's %v%% (with %d variants, the layout fits whenever every two neighbours, the last and the first included, take at most %v%% together)",
				names[i], pct(a), pct(spill), names[j], nlo, nhi-1, names[j], pct(nextOwn), pct(nhi-nlo), k, pct(2*(n/k)))
		}
		out = append(out, interval{names[i], nhi - spill, nhi})
	}
	return out, ""
}

func pct(buckets int) string { return strconv.FormatFloat(float64(buckets)/100, 'f', -1, 64) }

// BucketRanges returns the bucket ranges of the rollout's variants as
// [Rollout.Layout] lays them out, in bucket order, and an error for a
// layout that does not fit. Outside a layer only; it assumes the
// percentages are valid. For explanations and tools.
func (r *Rollout) BucketRanges() ([]BucketRange, error) {
	variants := r.Variants
	if len(variants) == 0 {
		variants = []VariantSpec{{Name: "canary", Percent: r.Percent}}
	}
	var ivs []interval
	if r.Layout == LayoutRing {
		names, shares := make([]string, len(variants)), make([]int, len(variants))
		for i, v := range variants {
			names[i], shares[i] = v.Name, threshold(v.Percent)
		}
		var msg string
		if ivs, msg = ringLayout(names, shares, Buckets); msg != "" {
			return nil, fmt.Errorf("gray: %s", msg)
		}
	} else {
		end := 0
		for _, v := range variants {
			t := threshold(v.Percent)
			if t > 0 {
				ivs = append(ivs, interval{v.Name, end, end + t})
			}
			end += t
		}
	}
	out := make([]BucketRange, len(ivs))
	for i, iv := range ivs {
		out[i] = BucketRange{Variant: iv.name, Lo: iv.lo, Hi: iv.hi}
	}
	sortRanges(out)
	return out, nil
}

func sortRanges(rs []BucketRange) {
	for i := 1; i < len(rs); i++ { // a handful of ranges
		for j := i; j > 0 && rs[j].Lo < rs[j-1].Lo; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// compileLayout applies spec's layout to r, whose variant ranges are laid
// out consecutively already.
func compileLayout(spec *Rollout, r *rollout, at *path, ps *compiler) {
	switch spec.Layout {
	case "", LayoutRanges:
		return
	case LayoutRing:
	default:
		ps.add(at.field("layout"), "%q is not a layout (want ranges or ring)", spec.Layout)
		return
	}
	names, shares := make([]string, len(r.variants)), make([]int, len(r.variants))
	prev := 0
	for i, v := range r.variants {
		names[i], shares[i], prev = v.name, v.end-prev, v.end
	}
	ivs, msg := ringLayout(names, shares, Buckets)
	if msg != "" {
		ps.report(at.field("variants"), msg)
		return
	}
	r.ring = ivs
	if len(r.ring) == 0 {
		r.ring = []interval{} // every share 0: still the ring, with nothing in it
	}
}
