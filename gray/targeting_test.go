package gray_test

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// configErr parses yaml and returns its problems as "path: message" lines.
func configErr(t *testing.T, yaml string) string {
	t.Helper()
	_, err := gray.ParseConfig([]byte(yaml))
	require.Error(t, err)
	return err.Error()
}

// --- Segments ---

const segmentsYAML = `
segments:
  - name: staff
    when: {field: key, in: [u-1, u-2, u-3, u-4, u-5, u-6, u-7, u-8, u-9, u-10]}
  - name: eu
    when: {field: "attr:region", prefix: eu-}
  - name: eu-staff
    when: {all: [{segment: staff}, {segment: eu}]}
rollouts:
  - name: a
    rules:
      - {name: staff, when: {segment: staff}, serve: canary}
  - name: b
    rules:
      - {name: eu staff, when: {segment: eu-staff}, serve: canary}
      - {name: not staff, when: {not: {segment: staff}}, serve: stable}
`

func TestSegmentsMatchInEveryRolloutThatUsesThem(t *testing.T) {
	e := mustEngine(t, segmentsYAML)
	tests := []struct {
		name    string
		rollout string
		give    gray.Subject
		want    string
		rule    string
	}{
		{"staff in a", "a", gray.Subject{Key: "u-3"}, "canary", "staff"},
		{"non-staff in a", "a", gray.Subject{Key: "x"}, "stable", ""},
		{"eu staff in b", "b", gray.Subject{Key: "u-10", Attrs: map[string]string{"region": "eu-west-1"}}, "canary", "eu staff"},
		{"us staff in b", "b", gray.Subject{Key: "u-10", Attrs: map[string]string{"region": "us-east-1"}}, "stable", ""},
		{"non-staff in b", "b", gray.Subject{Key: "x", Attrs: map[string]string{"region": "eu-west-1"}}, "stable", "not staff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.Decide(tt.rollout, tt.give)
			assert.Equal(t, tt.want, d.Variant)
			assert.Equal(t, tt.rule, d.Rule)
		})
	}
}

func TestSegmentExplainShowsItsConditions(t *testing.T) {
	e := mustEngine(t, segmentsYAML)
	_, trace := e.Explain("b", gray.Subject{Key: "u-1", Attrs: map[string]string{"region": "eu-north-1"}})
	require.Len(t, trace, 2)
	assert.Equal(t, "eu staff", trace[0].Rule)
	assert.True(t, strings.HasPrefix(trace[0].Condition, "segment eu-staff: segment staff: key in [u-1"), trace[0].Condition)
	assert.Equal(t, `segment eu-staff: segment eu: attr:region prefix "eu-"`, trace[1].Condition)
}

func TestSegmentErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"undeclared", "rollouts: [{name: a, rules: [{name: r, when: {segment: nope}, serve: canary}]}]",
			`gray: rollouts[0].rules[0].when.segment: segment "nope" is not declared (declared: none;`},
		{"used before declared", "segments: [{name: x, when: {segment: y}}, {name: y, when: {field: key, eq: k}}]\nrollouts: []",
			`gray: segments[0].when.segment: segment "y" is not declared`},
		{"itself", "segments: [{name: x, when: {segment: x}}]\nrollouts: []",
			`gray: segments[0].when.segment: segment "x" is not declared`},
		{"duplicate", "segments: [{name: x, when: {field: key, eq: k}}, {name: x, when: {field: key, eq: j}}]\nrollouts: []",
			`gray: segments[1].name: duplicate segment name "x"`},
		{"bad name", "segments: [{name: 'a b', when: {field: key, eq: k}}]\nrollouts: []",
			`gray: segments[0].name: "a b" is not a name`},
		{"bad condition", "segments: [{name: x, when: {field: key, regex: '(('}}]\nrollouts: []",
			`gray: segments[0].when.regex: missing closing )`},
		{"with a field", "segments: [{name: x, when: {field: key, eq: k}}]\nrollouts: [{name: a, rules: [{name: r, when: {field: key, segment: x}, serve: canary}]}]",
			`gray: rollouts[0].rules[0].when.field: segment takes no field`},
		{"unknown key", "segments: [{name: x, when: {field: key, eq: k}, serve: canary}]\nrollouts: []",
			`gray: segments[0].serve: unknown field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, configErr(t, tt.give), tt.want)
		})
	}
}

// --- bucket_by ---

func TestBucketByAttributeGivesAWholeOrgOneVariant(t *testing.T) {
	e := mustEngine(t, `
rollouts:
  - {name: billing, percent: 30, bucket_by: "attr:org_id"}
`)
	for org := range 200 {
		id := "org-" + strconv.Itoa(org)
		want := e.Decide("billing", gray.Subject{Key: "u0", Attrs: map[string]string{"org_id": id}})
		assert.Equal(t, gray.SaltedBucket("billing", id), want.Bucket)
		for u := range 20 {
			d := e.Decide("billing", gray.Subject{Key: "u" + strconv.Itoa(u), Attrs: map[string]string{"org_id": id}})
			require.Equal(t, want.Variant, d.Variant, "org %s user %d", id, u)
			require.Equal(t, want.Bucket, d.Bucket)
		}
		// Without a user key the org still decides.
		d := e.Decide("billing", gray.Subject{Attrs: map[string]string{"org_id": id}})
		require.Equal(t, want.Variant, d.Variant)
	}
}

func TestBucketByMissingValueGetsDefaultWithReason(t *testing.T) {
	e := mustEngine(t, `
rollouts:
  - {name: billing, percent: 100, bucket_by: "header:X-Tenant"}
  - {name: fb, percent: 100, bucket_by: "attr:org_id", bucket_fallback: key}
`)
	d := e.Decide("billing", gray.Subject{Key: "u1"})
	assert.Equal(t, "stable", d.Variant)
	assert.Equal(t, gray.ReasonNoBucketValue, d.Reason)
	assert.Equal(t, "no bucket value", d.Reason.String())
	assert.Equal(t, -1, d.Bucket)

	// An empty value is no value either.
	d = e.Decide("billing", gray.Subject{Key: "u1", Request: &gray.Values{Headers: map[string]string{"X-Tenant": ""}}})
	assert.Equal(t, gray.ReasonNoBucketValue, d.Reason)

	d = e.Decide("billing", gray.Subject{Request: &gray.Values{Headers: map[string]string{"x-tenant": "t9"}}})
	assert.Equal(t, "canary", d.Variant)
	assert.Equal(t, gray.SaltedBucket("billing", "t9"), d.Bucket)

	// The fallback is used only when the first field is absent.
	d = e.Decide("fb", gray.Subject{Key: "u1"})
	assert.Equal(t, gray.SaltedBucket("fb", "u1"), d.Bucket)
	d = e.Decide("fb", gray.Subject{Key: "u1", Attrs: map[string]string{"org_id": "o"}})
	assert.Equal(t, gray.SaltedBucket("fb", "o"), d.Bucket)
}

// TestBucketByStickyAndMonotonic is the key's property test for any
// bucketing value: the same value always gets the same variant, and raising
// the share only ever adds values.
func TestBucketByStickyAndMonotonic(t *testing.T) {
	steps := []float64{0, 1, 5, 20, 50, 100}
	engines := make([]*gray.Engine, len(steps))
	for i, p := range steps {
		engines[i] = mustEngine(t, fmt.Sprintf("rollouts: [{name: r, percent: %v, bucket_by: 'attr:tenant'}]", p))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		tenant := strconv.FormatUint(rng.Uint64(), 36)
		in := false
		for i, e := range engines {
			s := gray.Subject{Key: strconv.Itoa(rng.IntN(1000)), Attrs: map[string]string{"tenant": tenant}}
			now := e.Decide("r", s).IsNew()
			again := e.Decide("r", gray.Subject{Key: "other", Attrs: s.Attrs}).IsNew()
			require.Equal(t, now, again, "tenant %s is not sticky at %v%%", tenant, steps[i])
			require.False(t, in && !now, "tenant %s left at %v%%", tenant, steps[i])
			in = now
		}
		require.True(t, in)
	}
}

func TestRuleBucketBy(t *testing.T) {
	e := mustEngine(t, `
rollouts:
  - name: r
    rules:
      - {name: eu half, when: {field: "attr:region", eq: eu}, serve: canary, percent: 50, bucket_by: "attr:org_id"}
`)
	inside, outside := 0, 0
	for org := range 100 {
		id := "o" + strconv.Itoa(org)
		first := e.Decide("r", gray.Subject{Key: "a", Attrs: map[string]string{"region": "eu", "org_id": id}})
		require.Equal(t, gray.SaltedBucket("r", id), first.Bucket)
		require.Equal(t, first.Bucket < 5000, first.IsNew())
		for u := range 10 {
			d := e.Decide("r", gray.Subject{Key: strconv.Itoa(u), Attrs: map[string]string{"region": "eu", "org_id": id}})
			require.Equal(t, first.Variant, d.Variant)
		}
		if first.IsNew() {
			inside++
		} else {
			outside++
		}
	}
	assert.Positive(t, inside)
	assert.Positive(t, outside)
	d := e.Decide("r", gray.Subject{Key: "a", Attrs: map[string]string{"region": "eu"}})
	assert.Equal(t, gray.ReasonRule, d.Reason)
	assert.Equal(t, "stable", d.Variant, "no org id: outside the rule's share")
}

func TestBucketByErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"bad field", "rollouts: [{name: a, bucket_by: 'nope:x'}]", `gray: rollouts[0].bucket_by: "nope:x" is not a field`},
		{"rollout field", "rollouts: [{name: a, bucket_by: 'rollout:b'}, {name: b}]", `gray: rollouts[0].bucket_by: "rollout:b": a rollout's variant cannot be bucketed by`},
		{"bad fallback", "rollouts: [{name: a, bucket_by: 'attr:o', bucket_fallback: 'x'}]", `gray: rollouts[0].bucket_fallback: "x" is not a field`},
		{"fallback alone", "rollouts: [{name: a, bucket_fallback: key}]", `gray: rollouts[0].bucket_fallback: a fallback needs a bucket_by other than key`},
		{"rule without percent", "rollouts: [{name: a, rules: [{name: r, when: {field: key, eq: k}, serve: canary, bucket_by: 'attr:o'}]}]",
			`gray: rollouts[0].rules[0].bucket_by: a rule buckets only its percent; set percent or remove bucket_by`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, configErr(t, tt.give), tt.want)
		})
	}
}

// --- Prerequisites ---

const prereqYAML = `
rollouts:
  - {name: checkout-v2, percent: 50}
  - name: payment-v2
    percent: 100
    prerequisites: [{rollout: checkout-v2, variants: [canary]}]
  - name: banner
    rules:
      - {name: on new checkout, when: {field: "rollout:checkout-v2", eq: canary}, serve: canary}
`

func TestPrerequisitesFollowTheOtherRollout(t *testing.T) {
	e := mustEngine(t, prereqYAML)
	for i := range 2000 {
		s := gray.Subject{Key: "u" + strconv.Itoa(i)}
		first := e.Decide("checkout-v2", s)
		pay := e.Decide("payment-v2", s)
		banner := e.Decide("banner", s)
		require.Equal(t, first.IsNew(), pay.IsNew(), "key %s", s.Key)
		require.Equal(t, first.IsNew(), banner.IsNew(), "key %s", s.Key)
		if !first.IsNew() {
			require.Equal(t, gray.ReasonPrerequisite, pay.Reason)
		}
	}
	// A braked prerequisite closes what depends on it, at once.
	cfg := e.Config()
	off := false
	require.NoError(t, e.SetOverride("checkout-v2", gray.Override{Enabled: &off}))
	_ = cfg
	for i := range 200 {
		assert.False(t, e.Decide("payment-v2", gray.Subject{Key: "u" + strconv.Itoa(i)}).IsNew())
	}
}

func TestPrerequisiteExplain(t *testing.T) {
	e := mustEngine(t, prereqYAML)
	key := keyInBucketRange(t, "checkout-v2", 5000, 10000)
	d, trace := e.Explain("payment-v2", gray.Subject{Key: key})
	assert.Equal(t, gray.ReasonPrerequisite, d.Reason)
	require.Len(t, trace, 1)
	assert.Equal(t, gray.TraceStep{Condition: "rollout:checkout-v2 in [canary]", Value: "stable", Present: true}, trace[0])
}

func TestPrerequisiteErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"unknown rollout", "rollouts: [{name: a, prerequisites: [{rollout: zz, variants: [canary]}]}]",
			`gray: rollouts[0].prerequisites[0].rollout: rollout "zz" is not declared`},
		{"undeclared variant", "rollouts: [{name: a, prerequisites: [{rollout: b, variants: [blue]}]}, {name: b}]",
			`gray: rollouts[0].prerequisites[0].variants[0]: variant "blue" is not declared in rollout "b" (declared: stable, canary)`},
		{"no variants", "rollouts: [{name: a, prerequisites: [{rollout: b}]}, {name: b}]",
			`gray: rollouts[0].prerequisites[0].variants: empty`},
		{"self", "rollouts: [{name: a, prerequisites: [{rollout: a, variants: [canary]}]}]",
			`gray: rollouts[0]: prerequisite cycle: a → a`},
		{"cycle", "rollouts: [{name: a, prerequisites: [{rollout: b, variants: [canary]}]}, {name: b, prerequisites: [{rollout: c, variants: [canary]}]}, {name: c, prerequisites: [{rollout: a, variants: [canary]}]}]",
			`gray: rollouts[0]: prerequisite cycle: a → b → c → a`},
		{"cycle through a rule", "rollouts: [{name: a, prerequisites: [{rollout: b, variants: [canary]}]}, {name: b, rules: [{name: r, when: {field: 'rollout:a', eq: canary}, serve: canary}]}]",
			`gray: rollouts[0]: prerequisite cycle: a → b → a`},
		{"cycle through a segment", "segments: [{name: s, when: {field: 'rollout:a', eq: canary}}]\nrollouts: [{name: a, rules: [{name: r, when: {segment: s}, serve: canary}]}]",
			`gray: rollouts[0]: prerequisite cycle: a → a`},
		{"unknown rollout field", "rollouts: [{name: a, rules: [{name: r, when: {field: 'rollout:q', eq: canary}, serve: canary}]}]",
			`gray: rollouts[0].rules[0].when.field: rollout "q" is not declared`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, configErr(t, tt.give), tt.want)
		})
	}
}

func TestPrerequisiteCycleRefusedByUpdate(t *testing.T) {
	e := mustEngine(t, prereqYAML)
	cfg := *e.Config()
	cfg.Rollouts = append([]gray.Rollout(nil), cfg.Rollouts...)
	cfg.Rollouts[0].Prerequisites = []gray.Prerequisite{{Rollout: "payment-v2", Variants: []string{"canary"}}}
	err := e.Update(&cfg)
	require.ErrorContains(t, err, "prerequisite cycle: checkout-v2 → payment-v2 → checkout-v2")
	assert.Empty(t, e.Config().Rollouts[0].Prerequisites, "the running config stays")
}

// --- Layers ---

func layerConfig(shares map[string]float64, slots map[string]float64) string {
	var b strings.Builder
	b.WriteString("layers:\n  - name: checkout-page\n    rollouts:\n")
	for _, n := range []string{"a", "b", "c"} {
		fmt.Fprintf(&b, "      - {rollout: %s, percent: %v}\n", n, slots[n])
	}
	b.WriteString("rollouts:\n")
	for _, n := range []string{"a", "b", "c"} {
		fmt.Fprintf(&b, "  - {name: %s, percent: %v}\n", n, shares[n])
	}
	return b.String()
}

func TestLayerKeepsRolloutsApart(t *testing.T) {
	slots := map[string]float64{"a": 30, "b": 20, "c": 50}
	e := mustEngine(t, layerConfig(map[string]float64{"a": 30, "b": 20, "c": 50}, slots))
	counts := map[string]int{}
	for i := range 20000 {
		s := gray.Subject{Key: "u" + strconv.Itoa(i)}
		newIn := ""
		for _, r := range []string{"a", "b", "c"} {
			d := e.Decide(r, s)
			require.Equal(t, gray.SaltedBucket("checkout-page", s.Key), d.Bucket, "one population: the layer's")
			if d.IsNew() {
				require.Empty(t, newIn, "key %s is new in %s and %s", s.Key, newIn, r)
				newIn = r
			}
		}
		require.NotEmpty(t, newIn, "the slices cover the whole layer")
		counts[newIn]++
	}
	assert.InDelta(t, 6000, counts["a"], 400)
	assert.InDelta(t, 4000, counts["b"], 400)
	assert.InDelta(t, 10000, counts["c"], 400)
}

// TestLayerReweightingMovesNobodyElse is the property test: over random
// shares that fit their slices, a user's variant in one rollout never
// depends on the others' shares, and growing a share only adds users.
func TestLayerReweightingMovesNobodyElse(t *testing.T) {
	slots := map[string]float64{"a": 30, "b": 20, "c": 40}
	rng := rand.New(rand.NewPCG(3, 4))
	keys := make([]gray.Subject, 3000)
	for i := range keys {
		keys[i] = gray.Subject{Key: "u" + strconv.Itoa(i)}
	}
	shares := func() map[string]float64 {
		out := map[string]float64{}
		for n, max := range slots {
			out[n] = float64(rng.IntN(int(max)*100+1)) / 100
		}
		return out
	}
	for range 30 {
		s1, s2 := shares(), shares()
		s2["a"] = s1["a"] // a keeps its share; b and c are re-weighted
		e1 := mustEngine(t, layerConfig(s1, slots))
		e2 := mustEngine(t, layerConfig(s2, slots))
		for _, s := range keys {
			require.Equal(t, e1.Decide("a", s).Variant, e2.Decide("a", s).Variant, "key %s moved in a: %v → %v", s.Key, s1, s2)
			for _, r := range []string{"b", "c"} {
				d1, d2 := e1.Decide(r, s).IsNew(), e2.Decide(r, s).IsNew()
				if s2[r] >= s1[r] {
					require.False(t, d1 && !d2, "key %s left %s growing %v → %v", s.Key, r, s1[r], s2[r])
				} else {
					require.False(t, !d1 && d2, "key %s joined %s shrinking %v → %v", s.Key, r, s1[r], s2[r])
				}
			}
		}
	}
}

func TestLayerErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"slices above 100", "layers: [{name: l, rollouts: [{rollout: a, percent: 60}, {rollout: b, percent: 50}]}]\nrollouts: [{name: a}, {name: b}]",
			`gray: layers[0].rollouts: slices add up to 110%, above 100: the rollouts cannot fit the layer`},
		{"share above slice", "layers: [{name: l, rollouts: [{rollout: a, percent: 10}]}]\nrollouts: [{name: a, percent: 15}]",
			`gray: layers[0].rollouts[0].percent: rollout "a"'s variants take 15%, more than its 10% slice of layer "l"`},
		{"unknown rollout", "layers: [{name: l, rollouts: [{rollout: zz, percent: 10}]}]\nrollouts: []",
			`gray: layers[0].rollouts[0].rollout: rollout "zz" is not declared`},
		{"two layers", "layers: [{name: l, rollouts: [{rollout: a, percent: 10}]}, {name: m, rollouts: [{rollout: a, percent: 10}]}]\nrollouts: [{name: a}]",
			`gray: layers[1].rollouts[0].rollout: rollout "a" is already in layer "l"`},
		{"own salt", "layers: [{name: l, rollouts: [{rollout: a, percent: 10}]}]\nrollouts: [{name: a, salt: s}]",
			`gray: rollouts[0].salt: rollout "a" is in layer "l" and takes the layer's salt`},
		{"rule percent above slice", "layers: [{name: l, rollouts: [{rollout: a, percent: 10}]}]\nrollouts: [{name: a, rules: [{name: r, when: {field: key, eq: k}, serve: canary, percent: 20}]}]",
			`gray: rollouts[0].rules[0].percent: 20% is more than the rollout's 10% slice of layer "l"`},
		{"empty", "layers: [{name: l}]\nrollouts: []", `gray: layers[0].rollouts: empty`},
		{"bad percent", "layers: [{name: l, rollouts: [{rollout: a, percent: 101}]}]\nrollouts: [{name: a}]", `gray: layers[0].rollouts[0].percent: 101 is above 100`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Contains(t, configErr(t, tt.give), tt.want)
		})
	}
}

func TestLayerShareOverrideMustFitTheSlice(t *testing.T) {
	e := mustEngine(t, layerConfig(map[string]float64{"a": 1, "b": 1, "c": 1}, map[string]float64{"a": 30, "b": 20, "c": 50}))
	p := 25.0
	err := e.SetOverride("b", gray.Override{Percent: &p})
	require.ErrorContains(t, err, `rollout "b"'s variants take 25%, more than its 20% slice`)
	p = 20
	require.NoError(t, e.SetOverride("b", gray.Override{Percent: &p}))
}

func TestLayerRulePercentStaysInTheSlice(t *testing.T) {
	e := mustEngine(t, `
layers: [{name: l, rollouts: [{rollout: a, percent: 50}, {rollout: b, percent: 50}]}]
rollouts:
  - {name: a}
  - name: b
    rules: [{name: half, when: {field: "attr:beta", eq: "1"}, serve: canary, percent: 50}]
`)
	for i := range 3000 {
		s := gray.Subject{Key: "u" + strconv.Itoa(i), Attrs: map[string]string{"beta": "1"}}
		d := e.Decide("b", s)
		b := gray.SaltedBucket("l", s.Key)
		require.Equal(t, b >= 5000, d.IsNew(), "bucket %d", b)
	}
}

// --- Attributes without a map ---

func TestAttrLookupAnswersMissingAttributes(t *testing.T) {
	e := mustEngine(t, `
rollouts:
  - name: r
    bucket_by: "attr:org"
    percent: 100
    rules: [{name: ios, when: {field: "attr:platform", eq: ios}, serve: canary}]
`)
	var asked []string
	lookup := func(name string) (string, bool) {
		asked = append(asked, name)
		switch name {
		case "platform":
			return "android", true
		case "org":
			return "o-1", true
		}
		return "", false
	}
	d := e.Decide("r", gray.Subject{Key: "k", Request: &gray.Values{AttrLookup: lookup}})
	assert.Equal(t, "canary", d.Variant)
	assert.Equal(t, gray.ReasonSplit, d.Reason)
	assert.Equal(t, gray.SaltedBucket("r", "o-1"), d.Bucket)
	assert.ElementsMatch(t, []string{"org", "platform"}, asked)

	// Attrs wins over the lookup.
	asked = nil
	d = e.Decide("r", gray.Subject{Key: "k", Attrs: map[string]string{"platform": "ios"}, Request: &gray.Values{AttrLookup: lookup}})
	assert.Equal(t, "ios", d.Rule)
	assert.Equal(t, []string{"org"}, asked)
}

// --- Zero allocations with every feature ---

func TestDecideWithTargetingDepthAllocatesNothing(t *testing.T) {
	e := mustEngine(t, `
segments:
  - {name: staff, when: {field: key, in: [s1, s2, s3, s4, s5, s6, s7, s8, s9, s10]}}
layers: [{name: l, bucket_by: "attr:org", rollouts: [{rollout: x, percent: 50}, {rollout: y, percent: 50}]}]
rollouts:
  - {name: base, percent: 50}
  - name: deep
    bucket_by: "header:X-Tenant"
    bucket_fallback: key
    percent: 50
    prerequisites: [{rollout: base, variants: [stable, canary]}]
    rules:
      - {name: staff, when: {segment: staff}, serve: canary}
      - {name: dep, when: {field: "rollout:base", eq: nope}, serve: canary}
      - {name: org half, when: {field: "attr:x", eq: "1"}, serve: canary, percent: 50, bucket_by: "attr:org"}
  - {name: x, percent: 10}
  - {name: y, percent: 10}
`)
	lookup := func(name string) (string, bool) {
		if name == "org" {
			return "o-7", true
		}
		return "", false
	}
	s := gray.Subject{Key: "u-1", Request: &gray.Values{Headers: map[string]string{"X-Tenant": "t"}, AttrLookup: lookup}}
	for _, r := range []string{"deep", "x", "y"} {
		d := e.Decide(r, s)
		require.NotEqual(t, -1, d.Bucket, r)
		assert.Zero(t, testing.AllocsPerRun(200, func() { _ = e.Decide(r, s) }), r)
	}
}

// TestSegmentDecidesAsItsConditionInline is the segments' property test:
// over random subjects and random conditions, a rule that names a segment
// decides exactly as the same rule with the segment's condition written
// in place.
func TestSegmentDecidesAsItsConditionInline(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	conds := []gray.Condition{
		{Field: "key", In: []string{"u-1", "u-2", "u-3", "u-4", "u-5", "u-6", "u-7", "u-8", "u-9"}},
		{Field: "attr:region", Prefix: ptr("eu-")},
		{Field: "attr:tier", Gte: ptr(3.0)},
		{Any: []gray.Condition{{Field: "attr:beta", Present: ptr(true)}, {Field: "key", Suffix: ptr("7")}}},
		{Not: &gray.Condition{Field: "attr:region", Eq: ptr("us-east-1")}},
	}
	for round := range 40 {
		c := conds[rng.IntN(len(conds))]
		inline := &gray.Config{Rollouts: []gray.Rollout{{Name: "r", Percent: 30, Rules: []gray.Rule{{Name: "x", When: c, Serve: "canary", Percent: ptr(50.0)}}}}}
		named := &gray.Config{
			Segments: []gray.Segment{{Name: "s", When: c}},
			Rollouts: []gray.Rollout{{Name: "r", Percent: 30, Rules: []gray.Rule{{Name: "x", When: gray.Condition{Segment: "s"}, Serve: "canary", Percent: ptr(50.0)}}}},
		}
		e1, err := gray.New(inline)
		require.NoError(t, err)
		e2, err := gray.New(named)
		require.NoError(t, err)
		for range 200 {
			s := gray.Subject{Key: "u-" + strconv.Itoa(rng.IntN(30)), Attrs: map[string]string{}}
			if rng.IntN(2) == 0 {
				s.Attrs["region"] = []string{"eu-west-1", "us-east-1", "ap-south-1"}[rng.IntN(3)]
			}
			if rng.IntN(2) == 0 {
				s.Attrs["tier"] = strconv.Itoa(rng.IntN(6))
			}
			if rng.IntN(3) == 0 {
				s.Attrs["beta"] = ""
			}
			require.Equal(t, e1.Decide("r", s), e2.Decide("r", s), "round %d subject %+v", round, s)
		}
	}
}

// TestAttrLookupDecidesAsTheMap: over random subjects, attributes given by
// a lookup decide exactly as the same attributes in Attrs.
func TestAttrLookupDecidesAsTheMap(t *testing.T) {
	e := mustEngine(t, `
segments: [{name: eu, when: {field: "attr:region", prefix: eu-}}]
rollouts:
  - name: r
    bucket_by: attr:org
    bucket_fallback: key
    percent: 40
    rules:
      - {name: eu, when: {segment: eu}, serve: canary, percent: 50}
      - {name: tier, when: {field: "attr:tier", gte: 3}, serve: stable}
`)
	rng := rand.New(rand.NewPCG(8, 9))
	for range 3000 {
		attrs := map[string]string{}
		for _, name := range []string{"region", "tier", "org"} {
			if rng.IntN(2) == 0 {
				attrs[name] = []string{"eu-west-1", "us-east-1", "3", "1", "acme", "globex"}[rng.IntN(6)]
			}
		}
		key := "u-" + strconv.Itoa(rng.IntN(500))
		lookup := func(name string) (string, bool) { v, ok := attrs[name]; return v, ok }
		want := e.Decide("r", gray.Subject{Key: key, Attrs: attrs})
		got := e.Decide("r", gray.Subject{Key: key, Request: &gray.Values{AttrLookup: lookup}})
		require.Equal(t, want, got, "attrs %v", attrs)
	}
}
