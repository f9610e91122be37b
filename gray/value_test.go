package gray_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/graykit/graykit/gray"
)

// valueKey finds a key whose bucket in rollout (salted by its name) is
// below, or at and above, the threshold.
func valueKey(t *testing.T, rollout string, below bool, threshold int) string {
	t.Helper()
	for i := range 100_000 {
		k := "u-" + strconv.Itoa(i)
		if b := gray.SaltedBucket(rollout, k); (b < threshold) == below {
			return k
		}
	}
	t.Fatal("no key found")
	return ""
}

func TestValuesFromYAMLAndJSON(t *testing.T) {
	tests := []struct {
		name      string
		give      string
		wantKind  gray.ValueKind
		wantStab  string // JSON of the default's value
		wantCan   string // JSON of canary's value
		wantCanGo any    // Any() of canary's value
	}{
		{"yaml bool", `
rollouts:
  - name: r
    default_value: false
    variants: [{name: canary, percent: 50, value: true}]
`, gray.ValueBool, `false`, `true`, true},
		{"json bool", `{"rollouts":[{"name":"r","default_value":false,"variants":[{"name":"canary","percent":50,"value":true}]}]}`,
			gray.ValueBool, `false`, `true`, true},
		{"yaml number", `
rollouts:
  - name: r
    default_value: 10
    variants: [{name: canary, percent: 50, value: 2.5}]
`, gray.ValueNumber, `10`, `2.5`, 2.5},
		{"json string", `{"rollouts":[{"name":"r","default_value":"blue","variants":[{"name":"canary","percent":50,"value":"gr\u00fcn"}]}]}`,
			gray.ValueString, `"blue"`, `"grün"`, "grün"},
		{"yaml object, default listed in variants", `
rollouts:
  - name: r
    variants:
      - {name: stable, percent: 0, value: {color: blue, size: 1}}
      - name: canary
        percent: 50
        value:
          color: green
          size: 2
          tags: [a, 1, true, null]
`, gray.ValueObject, `{"color":"blue","size":1}`, `{"color":"green","size":2,"tags":["a",1,true,null]}`,
			map[string]any{"color": "green", "size": 2.0, "tags": []any{"a", 1.0, true, nil}}},
		{"json array", `{"rollouts":[{"name":"r","default_value":[],"variants":[{"name":"canary","percent":50,"value":[1,"x",{"k":[]}]}]}]}`,
			gray.ValueArray, `[]`, `[1,"x",{"k":[]}]`, []any{1.0, "x", map[string]any{"k": []any{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := gray.ParseConfig([]byte(tt.give))
			require.NoError(t, err)
			e, err := gray.New(cfg)
			require.NoError(t, err)

			can := e.Decide("r", gray.Subject{Key: valueKey(t, "r", true, 5000)})
			require.Equal(t, "canary", can.Variant)
			assert.Equal(t, tt.wantKind, can.Value().Kind())
			assert.Equal(t, tt.wantCan, can.Value().JSON())
			assert.Equal(t, tt.wantCanGo, can.Value().Any())

			stab := e.Decide("r", gray.Subject{Key: valueKey(t, "r", false, 5000)})
			require.Equal(t, "stable", stab.Variant)
			assert.Equal(t, tt.wantStab, stab.Value().JSON())

			// No key, and the brake: the default's value.
			assert.Equal(t, tt.wantStab, e.Decide("r", gray.Subject{}).Value().JSON())
			require.NoError(t, e.SetOverride("r", gray.Override{Enabled: new(bool)}))
			assert.Equal(t, tt.wantStab, e.Decide("r", gray.Subject{Key: valueKey(t, "r", true, 5000)}).Value().JSON())
		})
	}
}

func TestValueScalarReads(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - {name: b, default_value: false, variants: [{name: canary, percent: 100, value: true}]}
  - {name: i, default_value: -9007199254740993, variants: [{name: canary, percent: 100, value: 9223372036854775807}]}
  - {name: f, default_value: 1.0, variants: [{name: canary, percent: 100, value: 1e300}]}
  - {name: s, default_value: "010", variants: [{name: canary, percent: 100, value: 2026-12-01}]}
`))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	s := gray.Subject{Key: "u-1"}

	b, ok := e.Decide("b", s).Value().Bool()
	assert.True(t, ok)
	assert.True(t, b)
	_, ok = e.Decide("b", s).Value().Float()
	assert.False(t, ok, "a bool is not a number")

	i, ok := e.Decide("i", s).Value().Int()
	assert.True(t, ok)
	assert.Equal(t, int64(math.MaxInt64), i, "whole numbers stay exact")
	i, ok = e.Decide("i", gray.Subject{}).Value().Int()
	assert.True(t, ok)
	assert.Equal(t, int64(-9007199254740993), i)

	f, ok := e.Decide("f", s).Value().Float()
	assert.True(t, ok)
	assert.Equal(t, 1e300, f)
	_, ok = e.Decide("f", s).Value().Int()
	assert.False(t, ok, "1e300 is outside int64")
	i, ok = e.Decide("f", gray.Subject{}).Value().Int()
	assert.True(t, ok, "1.0 is a whole number")
	assert.Equal(t, int64(1), i)

	txt, ok := e.Decide("s", s).Value().Text()
	assert.True(t, ok)
	assert.Equal(t, "2026-12-01", txt, "a YAML date is its text")
	txt, _ = e.Decide("s", gray.Subject{}).Value().Text()
	assert.Equal(t, "010", txt)
	_, ok = e.Decide("s", s).Value().Bool()
	assert.False(t, ok)

	// No values: the zero Value; so for an unknown rollout.
	assert.True(t, e.Decide("nope", s).Value().IsZero())
	e2, err := gray.New(&gray.Config{Rollouts: []gray.Rollout{{Name: "plain", Percent: 100}}})
	require.NoError(t, err)
	assert.Equal(t, gray.ValueNone, e2.Decide("plain", s).Value().Kind())
	assert.Equal(t, "null", e2.Decide("plain", s).Value().JSON())
}

func TestValueRulesServeTheirVariantsValue(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: r
    default: off
    default_value: {limit: 10}
    variants: [{name: on, percent: 0, value: {limit: 100}}]
    rules:
      - {name: staff, when: {field: "attr:team", eq: staff}, serve: on}
`))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	d := e.Decide("r", gray.Subject{Key: "u", Attrs: map[string]string{"team": "staff"}})
	assert.Equal(t, gray.ReasonRule, d.Reason)
	assert.Equal(t, `{"limit":100}`, d.Value().JSON())
	assert.Equal(t, `{"limit":10}`, e.Decide("r", gray.Subject{Key: "u"}).Value().JSON())
}

func TestValueErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want string
	}{
		{"mixed types", `
rollouts:
  - {name: r, default_value: false, variants: [{name: canary, percent: 5, value: "true"}]}`,
			`gray: rollouts[0].variants[0].value: a string, but rollouts[0].default_value is a bool: a rollout's values are all one type, so every subject can read it the same way`},
		{"object and array", `
rollouts:
  - {name: r, default_value: {}, variants: [{name: canary, percent: 5, value: []}]}`,
			`gray: rollouts[0].variants[0].value: an array, but rollouts[0].default_value is an object`},
		{"default missing", `
rollouts:
  - {name: r, variants: [{name: canary, percent: 5, value: 1}]}`,
			`gray: rollouts[0].default_value: required: the default variant "stable" needs a value, as the rollout's other variants have one`},
		{"variant missing", `
rollouts:
  - {name: r, default_value: 1, variants: [{name: a, percent: 5, value: 2}, {name: b, percent: 5}]}`,
			`gray: rollouts[0].variants[1].value: required: the variant "b" needs a value`},
		{"percent shorthand", `
rollouts:
  - {name: r, percent: 5, default_value: 1}`,
			`gray: rollouts[0].percent: the variant "canary" that percent declares has no value; declare it under variants with a value`},
		{"default twice", `
rollouts:
  - {name: r, default_value: 1, variants: [{name: stable, percent: 0, value: 1}, {name: canary, percent: 5, value: 2}]}`,
			`gray: rollouts[0].variants[0].value: the default variant "stable" has a value in default_value already`},
		{"leading zero", `
rollouts:
  - {name: r, default_value: 010, variants: [{name: canary, percent: 5, value: 1}]}`,
			`gray: rollouts[0].default_value: 010 has a leading zero`},
		{"hex", `
rollouts:
  - {name: r, default_value: 0x10, variants: [{name: canary, percent: 5, value: 1}]}`,
			`gray: rollouts[0].default_value: 0x10 is not a decimal number`},
		{"infinity", `
rollouts:
  - {name: r, default_value: .inf, variants: [{name: canary, percent: 5, value: 1}]}`,
			`gray: rollouts[0].default_value: .inf is not a decimal number; a value's numbers are JSON numbers`},
		{"out of range", `{"rollouts":[{"name":"r","default_value":1e400,"variants":[{"name":"canary","percent":5,"value":1}]}]}`,
			`gray: rollouts[0].default_value: 1e400 is out of range for a number`},
		{"binary tag", `
rollouts:
  - {name: r, default_value: !!binary aGk=, variants: [{name: canary, percent: 5, value: x}]}`,
			`gray: rollouts[0].default_value: the tag !!binary is not a JSON type`},
		{"custom tag inside", `
rollouts:
  - {name: r, default_value: {a: !thing 1}, variants: [{name: canary, percent: 5, value: {}}]}`,
			`gray: rollouts[0].default_value.a: the tag !thing is not a JSON type`},
		{"duplicate key", `{"rollouts":[{"name":"r","default_value":{"a":1,"a":2},"variants":[{"name":"canary","percent":5,"value":{}}]}]}`,
			`gray: rollouts[0].default_value.a: duplicate key`},
		{"list as key", `
rollouts:
  - {name: r, default_value: {[a]: 1}, variants: [{name: canary, percent: 5, value: {}}]}`,
			`gray: rollouts[0].default_value: a key in a value must be text, got a list`},
		{"merge key", `
base: &b {a: 1}
rollouts:
  - {name: r, default_value: {<<: *b}, variants: [{name: canary, percent: 5, value: {}}]}`,
			`gray: rollouts[0].default_value: a key in a value must be text, got a merge key (<<)`},
		{"self alias", `
rollouts:
  - {name: r, default_value: &a [1, *a], variants: [{name: canary, percent: 5, value: []}]}`,
			`gray: rollouts[0].default_value[1][1]: alias *a is inside its own anchor`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gray.ParseConfig([]byte(tt.give))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestValueErrorsFromGo(t *testing.T) {
	tests := []struct {
		name string
		give gray.Rollout
		want string
	}{
		{"NaN", gray.Rollout{Name: "r", DefaultValue: gray.FloatValue(math.NaN()),
			Variants: []gray.VariantSpec{{Name: "canary", Percent: 5, Value: gray.FloatValue(1)}}},
			"gray: rollouts[0].default_value: NaN is not a JSON number"},
		{"bad UTF-8", gray.Rollout{Name: "r", DefaultValue: gray.StringValue("a"),
			Variants: []gray.VariantSpec{{Name: "canary", Percent: 5, Value: gray.StringValue("\xff")}}},
			"gray: rollouts[0].variants[0].value: text that is not valid UTF-8"},
		{"mixed", gray.Rollout{Name: "r", DefaultValue: gray.IntValue(1),
			Variants: []gray.VariantSpec{{Name: "canary", Percent: 5, Value: gray.BoolValue(true)}}},
			"gray: rollouts[0].variants[0].value: a bool, but rollouts[0].default_value is a number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gray.New(&gray.Config{Rollouts: []gray.Rollout{tt.give}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestValueGoAPIEqualsYAML(t *testing.T) {
	obj, err := gray.AnyValue(map[string]any{"limit": 100, "tags": []string{"x"}})
	require.NoError(t, err)
	def, err := gray.JSONValue([]byte(`{"tags":["y"],"limit":10}`))
	require.NoError(t, err)
	goCfg := &gray.Config{Rollouts: []gray.Rollout{{
		Name: "r", DefaultValue: def,
		Variants: []gray.VariantSpec{{Name: "canary", Percent: 5, Value: obj}},
	}}}
	y, err := gray.ParseConfig([]byte(`
rollouts:
  - name: r
    default_value: {limit: 10, tags: [y]}
    variants: [{name: canary, percent: 5, value: {tags: [x], limit: 100}}]
`))
	require.NoError(t, err)
	assert.Equal(t, y, goCfg)
	assert.True(t, y.Rollouts[0].DefaultValue.Equal(def))
}

func TestValueMarshalRoundTrip(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: r
    default_value: {a: [1, 2.5, "x", null, {b: false}]}
    variants: [{name: canary, percent: 5, value: {a: []}}]
  - name: plain
    percent: 5
  - {name: n, default_value: 12345678901234567, variants: [{name: canary, percent: 5, value: -0.5}]}
`))
	require.NoError(t, err)

	j, err := json.Marshal(cfg)
	require.NoError(t, err)
	assert.Contains(t, string(j), `"default_value":{"a":[1,2.5,"x",null,{"b":false}]}`)
	assert.Contains(t, string(j), `"default_value":12345678901234567`)
	assert.NotContains(t, string(j), `"value":null`, "no value is left out")
	back, err := gray.ParseConfig(j)
	require.NoError(t, err)
	assert.Equal(t, cfg, back)

	var viaStd gray.Config
	require.NoError(t, json.Unmarshal(j, &viaStd))
	assert.Equal(t, cfg, &viaStd)

	y, err := yaml.Marshal(cfg)
	require.NoError(t, err)
	assert.NotContains(t, string(y), "value: null")
	back, err = gray.ParseConfig(y)
	require.NoError(t, err)
	assert.Equal(t, cfg, back)

	var viaYAML gray.Config
	require.NoError(t, yaml.Unmarshal(y, &viaYAML))
	assert.Equal(t, cfg, &viaYAML)
}

func TestValueAnyIsACopy(t *testing.T) {
	v, err := gray.JSONValue([]byte(`{"list":[1],"m":{"k":"v"}}`))
	require.NoError(t, err)
	a := v.Any().(map[string]any)
	a["list"].([]any)[0] = "changed"
	a["m"].(map[string]any)["k"] = "changed"
	a["new"] = true
	assert.Equal(t, map[string]any{"list": []any{1.0}, "m": map[string]any{"k": "v"}}, v.Any())
	assert.Equal(t, `{"list":[1],"m":{"k":"v"}}`, v.JSON())
}

func TestJSONValue(t *testing.T) {
	tests := []struct {
		give     string
		wantKind gray.ValueKind
		wantJSON string
		wantErr  string
	}{
		{"null", gray.ValueNone, "null", ""},
		{" true ", gray.ValueBool, "true", ""},
		{"-0.25", gray.ValueNumber, "-0.25", ""},
		{`"\u00e9\n"`, gray.ValueString, `"é\n"`, ""},
		{`{"b":1,"a":2}`, gray.ValueObject, `{"a":2,"b":1}`, ""},
		{`[`, gray.ValueNone, "", "unexpected end"},
		{`01`, gray.ValueNone, "", "leading zero"},
		{`{"a":1} x`, gray.ValueNone, "", "data after the top-level value"},
		{strings.Repeat("[", 200) + strings.Repeat("]", 200), gray.ValueNone, "", "nested deeper than 128 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.give[:min(len(tt.give), 20)], func(t *testing.T) {
			v, err := gray.JSONValue([]byte(tt.give))
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantKind, v.Kind())
			assert.Equal(t, tt.wantJSON, v.JSON())
		})
	}
}

func TestValueLimits(t *testing.T) {
	deep := strings.Repeat("[", 127) + strings.Repeat("]", 127)
	_, err := gray.ParseConfig([]byte(`{"rollouts":[{"name":"r","default_value":` + deep + `,"variants":[{"name":"canary","percent":5,"value":[]}]}]}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nested deeper than 128 levels")

	// A wide value counts against the values limit.
	wide := "[" + strings.Repeat("1,", 2000) + "1]"
	_, err = gray.ParseConfig([]byte(`{"rollouts":[{"name":"r","default_value":`+wide+`,"variants":[{"name":"canary","percent":5,"value":[]}]}]}`),
		gray.WithMaxConfigValues(1000))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 1000 values")
	_, err = gray.ParseConfig([]byte("rollouts:\n  - name: r\n    default_value: "+wide+"\n    variants: [{name: canary, percent: 5, value: []}]\n"),
		gray.WithMaxConfigValues(1000))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "more than 1000 values")

	// An alias bomb inside a value is bounded by the values limit.
	var b strings.Builder
	b.WriteString("anchors:\n  - &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 8; i++ {
		b.WriteString("  - &a" + strconv.Itoa(i) + " [" + strings.Repeat("*a"+strconv.Itoa(i-1)+", ", 9) + "*a" + strconv.Itoa(i-1) + "]\n")
	}
	b.WriteString("rollouts:\n  - {name: r, default_value: *a7, variants: [{name: canary, percent: 5, value: []}]}\n")
	_, err = gray.ParseConfig([]byte(b.String()))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "aliases expand to more than")
}

func TestValueReadsDoNotAllocate(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - {name: b, default_value: false, variants: [{name: canary, percent: 50, value: true}]}
  - {name: s, default_value: blue, variants: [{name: canary, percent: 50, value: green}]}
  - {name: o, default_value: {a: 1}, variants: [{name: canary, percent: 50, value: {a: 2}}]}
  - {name: n, default_value: 1.5, variants: [{name: canary, percent: 50, value: 2.5}]}
`))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	s := gray.Subject{Key: "user-42"}
	var sink int
	allocs := testing.AllocsPerRun(200, func() {
		b, _ := e.Decide("b", s).Value().Bool()
		txt, _ := e.Decide("s", s).Value().Text()
		js := e.Decide("o", s).Value().JSON()
		sink += len(e.Decide("n", s).Value().JSON()) + len(e.Decide("s", s).Value().JSON())
		if b {
			sink++
		}
		sink += len(txt) + len(js)
	})
	assert.Zero(t, allocs, "Decide(...).Value() reads")

	ctx := gray.NewContext(context.Background(), e, s)
	d, _ := gray.FromContext(ctx)
	d.Value("b")
	d.Value("s")
	allocs = testing.AllocsPerRun(200, func() {
		b, _ := d.Value("b").Bool()
		txt, _ := d.Value("s").Text()
		if b {
			sink++
		}
		sink += len(txt)
	})
	assert.Zero(t, allocs, "the request's decisions")
	_ = sink
}

func TestValueUnderMiddlewareIsThePinnedDecision(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - {name: r, default_value: 1, variants: [{name: canary, percent: 100, value: 2}]}
`))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	var first, second int64
	h := gray.Middleware(e, gray.WithKeyFromHeader("X-User"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d, _ := gray.FromContext(r.Context())
		first, _ = d.Value("r").Int()
		// A reload in the middle of the request changes nothing for it.
		require.NoError(t, e.SetOverride("r", gray.Override{Enabled: new(bool)}))
		second, _ = d.Get("r").Value().Int()
	}))
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	req.Header.Set("X-User", "u-1")
	h.ServeHTTP(httptest.NewRecorder(), req)
	assert.Equal(t, int64(2), first)
	assert.Equal(t, int64(2), second)
	v, _ := e.Decide("r", gray.Subject{Key: "u-1"}).Value().Int()
	assert.Equal(t, int64(1), v, "after the brake")
}
