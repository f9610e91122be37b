package grayopenfeature_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/adapters/grayopenfeature"
	"github.com/graykit/graykit/gray"
)

const testConfig = `
rollouts:
  - name: plain
    percent: 50
  - name: flag-bool
    default: off
    default_value: false
    variants: [{name: on, percent: 50, value: true}]
    rules:
      - {name: staff, when: {field: "attr:team", eq: staff}, serve: on}
      - {name: old-app, when: {field: "attr:version", lt: 2}, serve: off}
  - name: flag-int
    default: ten
    default_value: 10
    variants: [{name: hundred, percent: 0, value: 100}]
  - name: flag-fraction
    default_value: 0.5
    variants: [{name: more, percent: 100, value: 1.5}]
  - name: flag-string
    default: greeting
    default_value: hi
    variants: [{name: parting, percent: 0, value: bye}]
  - name: flag-object
    default_value: {a: 1}
    variants: [{name: b, percent: 100, value: {a: 2, list: [x, 3]}}]
  - name: flag-array
    default_value: []
    variants: [{name: b, percent: 100, value: [1, two]}]
  - name: braked
    enabled: false
    default_value: false
    variants: [{name: canary, percent: 100, value: true}]
`

func newEngine(t testing.TB, yaml string) *gray.Engine {
	t.Helper()
	cfg, err := gray.ParseConfig([]byte(yaml))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	return e
}

// newClient sets p on an isolated OpenFeature API and returns a client of it.
func newClient(t testing.TB, p of.FeatureProvider) (*of.EvaluationAPI, *of.Client) {
	t.Helper()
	api := isolated.NewAPI()
	require.NoError(t, api.SetProviderAndWait(context.Background(), p))
	t.Cleanup(func() { _ = api.Shutdown(context.Background()) })
	return api, api.NewClient()
}

// keyIn returns a key whose bucket under salt is inside [lo, hi).
func keyIn(t testing.TB, salt string, lo, hi int) string {
	t.Helper()
	for i := range 1_000_000 {
		k := "user-" + strconv.Itoa(i)
		if b := gray.SaltedBucket(salt, k); b >= lo && b < hi {
			return k
		}
	}
	t.Fatalf("no key in [%d, %d)", lo, hi)
	return ""
}

func TestEvaluations(t *testing.T) {
	e := newEngine(t, testConfig)
	_, client := newClient(t, grayopenfeature.New(e))
	ctx := context.Background()
	inOn := keyIn(t, "flag-bool", 0, 5000)
	past := keyIn(t, "flag-bool", 5000, 10000)
	bucket := func(k string) int64 { return int64(gray.SaltedBucket("flag-bool", k)) }

	type want struct {
		value    any
		variant  string
		reason   of.Reason
		code     of.ErrorCode
		metadata of.FlagMetadata
	}
	type eval func() (any, of.EvaluationDetails, error)
	boolean := func(flag string, def bool, ec of.EvaluationContext) eval {
		return func() (any, of.EvaluationDetails, error) {
			d, err := client.BooleanValueDetails(ctx, flag, def, ec)
			return d.Value, d.EvaluationDetails, err
		}
	}
	str := func(flag, def string, ec of.EvaluationContext) eval {
		return func() (any, of.EvaluationDetails, error) {
			d, err := client.StringValueDetails(ctx, flag, def, ec)
			return d.Value, d.EvaluationDetails, err
		}
	}
	integer := func(flag string, def int64, ec of.EvaluationContext) eval {
		return func() (any, of.EvaluationDetails, error) {
			d, err := client.IntValueDetails(ctx, flag, def, ec)
			return d.Value, d.EvaluationDetails, err
		}
	}
	float := func(flag string, def float64, ec of.EvaluationContext) eval {
		return func() (any, of.EvaluationDetails, error) {
			d, err := client.FloatValueDetails(ctx, flag, def, ec)
			return d.Value, d.EvaluationDetails, err
		}
	}
	object := func(flag string, def any, ec of.EvaluationContext) eval {
		return func() (any, of.EvaluationDetails, error) {
			d, err := client.ObjectValueDetails(ctx, flag, def, ec)
			return d.Value, d.EvaluationDetails, err
		}
	}
	user := func(k string, attrs map[string]any) of.EvaluationContext { return of.NewEvaluationContext(k, attrs) }
	none := of.EvaluationContext{}
	tests := []struct {
		name string
		give eval
		want want
	}{
		{"bool split", boolean("flag-bool", false, user(inOn, nil)),
			want{true, "on", of.SplitReason, "", of.FlagMetadata{"bucket": bucket(inOn)}}},
		{"bool past the split", boolean("flag-bool", true, user(past, nil)),
			want{false, "off", of.DefaultReason, "", of.FlagMetadata{"bucket": bucket(past)}}},
		{"bool no key", boolean("flag-bool", true, none),
			want{false, "off", of.DefaultReason, "", of.FlagMetadata{}}},
		{"bool rule on an attribute", boolean("flag-bool", false, user(past, map[string]any{"team": "staff"})),
			want{true, "on", of.TargetingMatchReason, "", of.FlagMetadata{"bucket": bucket(past), "rule": "staff"}}},
		{"bool rule on a number attribute", boolean("flag-bool", true, user(inOn, map[string]any{"version": 1.5})),
			want{false, "off", of.TargetingMatchReason, "", of.FlagMetadata{"bucket": bucket(inOn), "rule": "old-app"}}},
		{"bool rule without a key", boolean("flag-bool", false, of.NewTargetlessEvaluationContext(map[string]any{"team": "staff"})),
			want{true, "on", of.TargetingMatchReason, "", of.FlagMetadata{"rule": "staff"}}},
		{"braked", boolean("braked", true, user(inOn, nil)),
			want{false, "stable", of.DisabledReason, "", of.FlagMetadata{"bucket": int64(gray.SaltedBucket("braked", inOn))}}},
		{"plain rollout as bool", boolean("plain", false, user(keyIn(t, "plain", 0, 100), nil)),
			want{true, "canary", of.SplitReason, "", nil}},
		{"plain rollout as string", str("plain", "x", user(keyIn(t, "plain", 9000, 10000), nil)),
			want{"stable", "stable", of.DefaultReason, "", nil}},
		{"static int", integer("flag-int", 1, user("u", nil)),
			want{int64(10), "ten", of.StaticReason, "", nil}},
		{"static int, no key", integer("flag-int", 1, none),
			want{int64(10), "ten", of.StaticReason, "", of.FlagMetadata{}}},
		{"int as float", float("flag-int", 0.1, none),
			want{10.0, "ten", of.StaticReason, "", of.FlagMetadata{}}},
		{"float", float("flag-fraction", 0.1, user("u", nil)),
			want{1.5, "more", of.SplitReason, "", nil}},
		{"fraction as int", integer("flag-fraction", 7, user("u", nil)),
			want{int64(7), "", of.ErrorReason, of.TypeMismatchCode, nil}},
		{"string", str("flag-string", "x", none),
			want{"hi", "greeting", of.StaticReason, "", of.FlagMetadata{}}},
		{"object", object("flag-object", nil, user("u", nil)),
			want{map[string]any{"a": 2.0, "list": []any{"x", 3.0}}, "b", of.SplitReason, "", nil}},
		{"array", object("flag-array", nil, user("u", nil)),
			want{[]any{1.0, "two"}, "b", of.SplitReason, "", nil}},
		{"string as int", integer("flag-string", 13, none),
			want{int64(13), "", of.ErrorReason, of.TypeMismatchCode, of.FlagMetadata{}}},
		{"bool as string", str("flag-bool", "bye", none),
			want{"bye", "", of.ErrorReason, of.TypeMismatchCode, of.FlagMetadata{}}},
		{"string as bool", boolean("flag-string", true, none),
			want{true, "", of.ErrorReason, of.TypeMismatchCode, of.FlagMetadata{}}},
		{"bool as object", object("flag-bool", "fallback", none),
			want{"fallback", "", of.ErrorReason, of.TypeMismatchCode, of.FlagMetadata{}}},
		{"plain as int", integer("plain", 3, none),
			want{int64(3), "", of.ErrorReason, of.TypeMismatchCode, of.FlagMetadata{}}},
		{"unknown", str("missing", "uh-oh", user("u", nil)),
			want{"uh-oh", "", of.ErrorReason, of.FlagNotFoundCode, of.FlagMetadata{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, d, err := tt.give()
			assert.Equal(t, tt.want.value, v)
			assert.Equal(t, tt.want.variant, d.Variant)
			assert.Equal(t, tt.want.reason, d.Reason)
			assert.Equal(t, tt.want.code, d.ErrorCode)
			if tt.want.code != "" {
				assert.Error(t, err)
			} else {
				assert.NoError(t, err)
			}
			if tt.want.metadata != nil {
				assert.Equal(t, tt.want.metadata, d.FlagMetadata)
			}
		})
	}
}

func TestObjectValueIsTheCallersOwn(t *testing.T) {
	e := newEngine(t, testConfig)
	p := grayopenfeature.New(e)
	a := p.ObjectEvaluation(context.Background(), "flag-object", nil, of.FlattenedContext{of.TargetingKey: "u"})
	a.Value.(map[string]any)["a"] = "changed"
	b := p.ObjectEvaluation(context.Background(), "flag-object", nil, of.FlattenedContext{of.TargetingKey: "u"})
	assert.Equal(t, 2.0, b.Value.(map[string]any)["a"])
}

func TestAttributesAreText(t *testing.T) {
	e := newEngine(t, `
rollouts:
  - name: r
    default_value: false
    variants: [{name: on, percent: 0, value: true}]
    rules:
      - name: all
        when:
          all:
            - {field: "attr:customer", eq: "false"}
            - {field: "attr:age", eq: "29"}
            - {field: "attr:score", gte: 0.25}
            - {field: "attr:since", before: "2027-01-01T00:00:00Z"}
            - {field: "attr:list", present: false}
        serve: on
`)
	p := grayopenfeature.New(e)
	flat := of.FlattenedContext{
		"customer": false, "age": int64(29), "score": float32(0.5),
		"since": time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "list": []any{1},
	}
	d := p.BooleanEvaluation(context.Background(), "r", false, flat)
	assert.True(t, d.Value)
	assert.Equal(t, of.TargetingMatchReason, d.Reason)

	flat["age"] = 30
	d = p.BooleanEvaluation(context.Background(), "r", true, flat)
	assert.False(t, d.Value)
	assert.Equal(t, of.DefaultReason, d.Reason, "a rollout with rules is not static")
}

func TestNilEngine(t *testing.T) {
	p := grayopenfeature.New(nil)
	require.NoError(t, p.Init(of.EvaluationContext{}))
	p.Shutdown()
	d := p.StringEvaluation(context.Background(), "x", "fallback", nil)
	assert.Equal(t, "fallback", d.Value)
	assert.Equal(t, of.GeneralCode, d.ResolutionDetail().ErrorCode)
	p.Track(context.Background(), "e", of.EvaluationContext{}, of.NewTrackingEventDetails(1))
}
