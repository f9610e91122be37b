package gray_test

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

func mustEngine(t testing.TB, yaml string, opts ...gray.EngineOption) *gray.Engine {
	t.Helper()
	cfg, err := gray.ParseConfig([]byte(yaml))
	require.NoError(t, err)
	e, err := gray.New(cfg, opts...)
	require.NoError(t, err)
	return e
}

// keyInBucketRange finds a key whose bucket under salt is in [lo, hi).
func keyInBucketRange(t testing.TB, salt string, lo, hi int) string {
	t.Helper()
	for i := range 1_000_000 {
		k := "k" + strconv.Itoa(i)
		if b := gray.SaltedBucket(salt, k); b >= lo && b < hi {
			return k
		}
	}
	t.Fatalf("no key in [%d,%d)", lo, hi)
	return ""
}

func TestDecideSplitFollowsBuckets(t *testing.T) {
	e := mustEngine(t, `
rollouts:
  - name: r
    variants: [{name: blue, percent: 10}, {name: green, percent: 15.5}]
`)
	for i := range 5000 {
		key := "user-" + strconv.Itoa(i)
		d := e.Decide("r", gray.Subject{Key: key})
		b := gray.SaltedBucket("r", key) // the salt defaults to the name
		require.Equal(t, b, d.Bucket)
		want, reason := "stable", gray.ReasonDefault
		switch {
		case b < 1000:
			want, reason = "blue", gray.ReasonSplit
		case b < 2550:
			want, reason = "green", gray.ReasonSplit
		}
		require.Equal(t, want, d.Variant, "key %s bucket %d", key, b)
		require.Equal(t, reason, d.Reason)
		require.Equal(t, "stable", d.Default)
	}
}

func TestDecideVectorsAsRollouts(t *testing.T) {
	// A rollout named after a vector's salt, at p%, puts the vector's key in
	// canary exactly when its known bucket is below round(p*100).
	for _, v := range loadVectors(t) {
		if v.salt == "" {
			continue
		}
		for _, p := range []float64{0.01, 1, 5, 20, 50, 99.99} {
			e := mustEngine(t, fmt.Sprintf("rollouts: [{name: %q, percent: %v}]", v.salt, p))
			d := e.Decide(v.salt, gray.Subject{Key: v.key})
			want := "stable"
			if v.bucket < int(math.Round(p*100)) {
				want = "canary"
			}
			assert.Equal(t, want, d.Variant, "%s/%q at %v%%", v.salt, v.key, p)
			assert.Equal(t, v.bucket, d.Bucket)
		}
	}
}

func TestDecideReasons(t *testing.T) {
	e := mustEngine(t, `
rollouts:
  - name: r
    salt: shared
    percent: 50
    rules:
      - {name: staff, when: {field: key, in: [u-1]}, serve: canary}
      - {name: never, when: {field: key, in: [u-2]}, serve: stable}
  - name: off
    enabled: false
    percent: 100
    rules:
      - {name: staff, when: {field: key, in: [u-1]}, serve: canary}
  - name: custom-default
    default: old
    percent: 0
`)
	inKey := keyInBucketRange(t, "shared", 0, 5000)
	outKey := keyInBucketRange(t, "shared", 5000, 10000)
	tests := []struct {
		name       string
		rollout    string
		give       gray.Subject
		wantVar    string
		wantReason gray.Reason
		wantRule   string
	}{
		{"rule", "r", gray.Subject{Key: "u-1"}, "canary", gray.ReasonRule, "staff"},
		{"rule serving default", "r", gray.Subject{Key: "u-2"}, "stable", gray.ReasonRule, "never"},
		{"split in", "r", gray.Subject{Key: inKey}, "canary", gray.ReasonSplit, ""},
		{"split out", "r", gray.Subject{Key: outKey}, "stable", gray.ReasonDefault, ""},
		{"no key", "r", gray.Subject{}, "stable", gray.ReasonNoKey, ""},
		{"brake beats rules", "off", gray.Subject{Key: "u-1"}, "stable", gray.ReasonOff, ""},
		{"unknown rollout", "nope", gray.Subject{Key: "u-1"}, "stable", gray.ReasonUnknownRollout, ""},
		{"custom default", "custom-default", gray.Subject{Key: "u-1"}, "old", gray.ReasonDefault, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := e.Decide(tt.rollout, tt.give)
			assert.Equal(t, tt.wantVar, d.Variant)
			assert.Equal(t, tt.wantReason, d.Reason)
			assert.Equal(t, tt.wantRule, d.Rule)
		})
	}
}

func TestRulePercentUsesSameBuckets(t *testing.T) {
	e := mustEngine(t, `
rollouts:
  - name: r
    percent: 0
    rules:
      - name: ios-half
        when: {field: "attr:platform", eq: ios}
        serve: canary
        percent: 50
`)
	ios := map[string]string{"platform": "ios"}
	for i := range 3000 {
		key := "u" + strconv.Itoa(i)
		d := e.Decide("r", gray.Subject{Key: key, Attrs: ios})
		require.Equal(t, gray.ReasonRule, d.Reason)
		require.Equal(t, "ios-half", d.Rule)
		want := "stable"
		if gray.SaltedBucket("r", key) < 5000 {
			want = "canary"
		}
		require.Equal(t, want, d.Variant)
	}
	// Without a key, a rule with a share cannot place the subject: default.
	d := e.Decide("r", gray.Subject{Attrs: ios})
	assert.Equal(t, "stable", d.Variant)
	assert.Equal(t, gray.ReasonRule, d.Reason)
}

func TestRuleWithoutPercentServesKeylessSubjects(t *testing.T) {
	e := mustEngine(t, `
rollouts:
  - name: r
    rules: [{name: beta, when: {field: "cookie:version", eq: beta}, serve: canary}]
`)
	d := e.Decide("r", gray.Subject{Request: &gray.Values{Cookies: map[string]string{"version": "beta"}}})
	assert.Equal(t, "canary", d.Variant)
	assert.Equal(t, -1, d.Bucket)
}

func TestRaisingShareOnlyAddsUsers(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: r, percent: 1}]`)
	in := map[string]bool{}
	for _, p := range []float64{1, 5, 20, 50, 100} {
		require.NoError(t, e.SetOverride("r", gray.Override{Percent: &p}))
		count := 0
		for i := range 20000 {
			key := "u" + strconv.Itoa(i)
			now := e.Decide("r", gray.Subject{Key: key}).Variant == "canary"
			require.False(t, in[key] && !now, "user %s left the canary at %v%%", key, p)
			in[key] = now
			if now {
				count++
			}
		}
		assert.InDelta(t, p/100, float64(count)/20000, 0.01, "share at %v%%", p)
	}
}

func TestUpdateIsAllOrNothing(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: r, percent: 100}]`)
	bad := &gray.Config{Rollouts: []gray.Rollout{{Name: "r", Percent: 100, Rules: []gray.Rule{{Name: "x", Serve: "nope", When: gray.Condition{Field: "key", Eq: ptr("a")}}}}}}
	err := e.Update(bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `rollouts[0].rules[0].serve: variant "nope" is not declared`)
	assert.Equal(t, "canary", e.Decide("r", gray.Subject{Key: "u"}).Variant, "old config still runs")

	require.NoError(t, e.Update(&gray.Config{Rollouts: []gray.Rollout{{Name: "r", Percent: 0}}}))
	assert.Equal(t, "stable", e.Decide("r", gray.Subject{Key: "u"}).Variant)
	assert.ErrorIs(t, e.Update(nil), gray.ErrNilConfig)
}

func TestOverridesSurviveUpdate(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: r, percent: 100}]`)
	require.NoError(t, e.SetOverride("r", gray.Override{Enabled: ptr(false)}))
	assert.Equal(t, gray.ReasonOff, e.Decide("r", gray.Subject{Key: "u"}).Reason)
	require.NoError(t, e.Update(&gray.Config{Rollouts: []gray.Rollout{{Name: "r", Percent: 100}}}))
	assert.Equal(t, gray.ReasonOff, e.Decide("r", gray.Subject{Key: "u"}).Reason, "a reload does not undo the brake")
	e.ClearOverride("r")
	assert.Equal(t, "canary", e.Decide("r", gray.Subject{Key: "u"}).Variant)

	assert.ErrorIs(t, e.SetOverride("nope", gray.Override{}), gray.ErrUnknownRollout)
	over := 101.0
	require.Error(t, e.SetOverride("r", gray.Override{Percent: &over}))
	assert.Empty(t, e.Overrides())
}

func TestConcurrentDecideDuringUpdates(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: r, percent: 0}]`)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				d := e.Decide("r", gray.Subject{Key: "u" + strconv.Itoa(g*1_000_000+i)})
				if d.Variant != "canary" && d.Variant != "stable" {
					t.Errorf("variant %q", d.Variant)
					return
				}
			}
		}()
	}
	for i := range 200 {
		require.NoError(t, e.Update(&gray.Config{Rollouts: []gray.Rollout{{Name: "r", Percent: float64(i % 100)}}}))
	}
	close(stop)
	wg.Wait()
}

func TestTimeWindows(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	e := mustEngine(t, `
rollouts:
  - name: r
    rules:
      - name: window
        when: {all: [{after: "2026-12-01T09:00:00Z"}, {before: "2026-12-01T17:00:00Z"}]}
        serve: canary
`, gray.WithClock(func() time.Time { return now }))
	assert.Equal(t, "canary", e.Decide("r", gray.Subject{Key: "u"}).Variant)
	now = now.Add(6 * time.Hour)
	assert.Equal(t, "stable", e.Decide("r", gray.Subject{Key: "u"}).Variant)
}

func TestExplain(t *testing.T) {
	e := mustEngine(t, seedYAML)
	d, trace := e.Explain("checkout-v2", gray.Subject{Key: "u-2", Request: &gray.Values{Headers: map[string]string{"X-Gray": "no"}}})
	assert.Equal(t, "staff", d.Rule)
	require.Len(t, trace, 3)
	assert.Equal(t, gray.TraceStep{Rule: "testers", Condition: "header:X-Gray in [canary]", Value: "no", Present: true, Matched: false}, trace[0])
	assert.Equal(t, gray.TraceStep{Rule: "beta-cookie", Condition: `cookie:version eq "beta"`, Value: "", Present: false, Matched: false}, trace[1])
	assert.Equal(t, gray.TraceStep{Rule: "staff", Condition: "key in [u-1, u-2]", Value: "u-2", Present: true, Matched: true}, trace[2])
}

func TestLargeUserListIsASet(t *testing.T) {
	var b strings.Builder
	b.WriteString("rollouts: [{name: r, rules: [{name: list, serve: canary, when: {field: key, in: [")
	for i := range 10000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("user-" + strconv.Itoa(i))
	}
	b.WriteString("]}}]}]")
	e := mustEngine(t, b.String())
	assert.Equal(t, "canary", e.Decide("r", gray.Subject{Key: "user-9999"}).Variant)
	assert.Equal(t, "stable", e.Decide("r", gray.Subject{Key: "user-10000"}).Variant)
	allocs := testing.AllocsPerRun(100, func() { _ = e.Decide("r", gray.Subject{Key: "user-5000"}) })
	assert.Zero(t, allocs)
}

func TestOverridePercentSetsFirstNewVariant(t *testing.T) {
	e := mustEngine(t, `
rollouts:
  - name: r
    variants: [{name: stable, percent: 90}, {name: blue, percent: 5}, {name: green, percent: 5}]
`)
	p := 0.0
	require.NoError(t, e.SetOverride("r", gray.Override{Percent: &p}))
	vs := e.Config().Rollouts[0].Variants
	assert.Equal(t, []gray.VariantSpec{{Name: "stable", Percent: 90}, {Name: "blue", Percent: 0}, {Name: "green", Percent: 5}}, vs,
		"the default variant's own range is not the share")
}

func TestCheckOverrideChangesNothing(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: r, variants: [{name: blue, percent: 50}, {name: green, percent: 40}]}]`)
	ok, tooMuch := 10.0, 70.0
	require.NoError(t, e.CheckOverride("r", gray.Override{Percent: &ok}))
	err := e.CheckOverride("r", gray.Override{Percent: &tooMuch})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "percentages add up to 110, above 100")
	assert.ErrorIs(t, e.CheckOverride("nope", gray.Override{}), gray.ErrUnknownRollout)
	assert.Empty(t, e.Overrides())
	assert.Equal(t, 50.0, e.Config().Rollouts[0].Variants[0].Percent)
}

func TestOverrideShareNeedsANewVariant(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: r, variants: [{name: stable, percent: 50}]}]`)
	p := 10.0
	err := e.SetOverride("r", gray.Override{Percent: &p})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a variant other than the default")
	assert.Empty(t, e.Overrides())
	off := false
	require.NoError(t, e.SetOverride("r", gray.Override{Enabled: &off}), "the brake needs no new variant")
}

// TestUpdateNamesTheOverridesItCannotHold: a file that is valid alone but
// cannot hold a share set at run time is refused, and the error says the
// overrides are why.
func TestUpdateNamesTheOverridesItCannotHold(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: r, variants: [{name: blue, percent: 10}, {name: green, percent: 10}]}]`)
	p := 85.0
	require.NoError(t, e.SetOverride("r", gray.Override{Percent: &p}))
	cfg, err := gray.ParseConfig([]byte(`rollouts: [{name: r, variants: [{name: blue, percent: 10}, {name: green, percent: 25}]}]`))
	require.NoError(t, err)
	err = e.Update(cfg)
	var ce *gray.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "run-time overrides of r")
	assert.Equal(t, 10.0, e.Config().Rollouts[0].Variants[1].Percent, "the running config stays")
}

// ptr returns a pointer to v, for the optional fields of a Config built in Go.
func ptr[T any](v T) *T { return &v }
