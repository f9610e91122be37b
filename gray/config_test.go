package gray_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

const seedYAML = `
rollouts:
  - name: checkout-v2
    salt: checkout-v2
    enabled: true
    default: stable
    percent: 5
    rules:
      - name: testers
        when: {field: "header:X-Gray", in: [canary]}
        serve: canary
      - name: beta-cookie
        when: {field: "cookie:version", eq: beta}
        serve: canary
      - name: staff
        when: {field: key, in: [u-1, u-2]}
        serve: canary
      - name: new-ios-app
        when:
          all:
            - {field: "attr:platform", eq: ios}
            - {field: "attr:app_version", semver_gte: "5.2.0"}
        serve: canary
        percent: 50
`

func TestParseConfigSeed(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(seedYAML))
	require.NoError(t, err)
	require.Len(t, cfg.Rollouts, 1)
	r := cfg.Rollouts[0]
	assert.Equal(t, "checkout-v2", r.Name)
	assert.Equal(t, 5.0, r.Percent)
	require.Len(t, r.Rules, 4)
	assert.Equal(t, []string{"canary"}, r.Rules[0].When.In)
	require.NotNil(t, r.Rules[3].Percent)
	assert.Equal(t, 50.0, *r.Rules[3].Percent)
	assert.Len(t, r.Rules[3].When.All, 2)
}

func TestParseConfigJSONEqualsYAML(t *testing.T) {
	y, err := gray.ParseConfig([]byte(`
rollouts:
  - name: a
    variants: [{name: blue, percent: 10.5}, {name: green, percent: 20}]
    rules:
      - {name: r, when: {field: "attr:n", eq: 5}, serve: blue}
      - {name: t, when: {field: "attr:b", eq: true}, serve: green}
`))
	require.NoError(t, err)
	j, err := gray.ParseConfig([]byte(`{"rollouts": [{"name": "a",
		"variants": [{"name": "blue", "percent": 10.5}, {"name": "green", "percent": 20}],
		"rules": [{"name": "r", "when": {"field": "attr:n", "eq": 5}, "serve": "blue"},
		          {"name": "t", "when": {"field": "attr:b", "eq": true}, "serve": "green"}]}]}`))
	require.NoError(t, err)
	assert.Equal(t, y, j)
	// A YAML number or bool counts as its text.
	assert.Equal(t, "5", *y.Rollouts[0].Rules[0].When.Eq)
	assert.Equal(t, "true", *y.Rollouts[0].Rules[1].When.Eq)
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		give string
		want []string // every one must appear, each on its own line
	}{
		{"unknown field", `rollouts: [{name: a, percnt: 5}]`, []string{"rollouts[0].percnt: unknown field"}},
		{"unknown when field", `rollouts: [{name: a, rules: [{name: r, serve: canary, when: {field: key, equals: x}}]}]`,
			[]string{"rollouts[0].rules[0].when.equals: unknown field"}},
		{"bad regex", `rollouts: [{name: a, rules: [{name: r, serve: canary, when: {field: path, regex: "(("}}]}]`,
			[]string{"rollouts[0].rules[0].when.regex: missing closing )"}},
		{"percent above 100", `rollouts: [{name: a, percent: 101}]`, []string{"rollouts[0].percent: 101 is above 100"}},
		{"percent below 0", `rollouts: [{name: a, percent: -1}]`, []string{"rollouts[0].percent: -1 is below 0"}},
		{"three decimals", `rollouts: [{name: a, percent: 0.125}]`, []string{"rollouts[0].percent: 0.125 has more than two decimals"}},
		{"weights above 100", `rollouts: [{name: a, variants: [{name: b, percent: 60}, {name: c, percent: 50}]}]`,
			[]string{"rollouts[0].variants: percentages add up to 110, above 100"}},
		{"duplicate rollout", `rollouts: [{name: a}, {name: a}]`, []string{`rollouts[1].name: duplicate rollout name "a"`}},
		{"duplicate rule", `rollouts: [{name: a, rules: [{name: r, serve: canary, when: {field: key, eq: x}}, {name: r, serve: canary, when: {field: key, eq: y}}]}]`,
			[]string{`rollouts[0].rules[1].name: duplicate rule name "r"`}},
		{"undeclared variant", `rollouts: [{name: a, rules: [{name: r, serve: blue, when: {field: key, eq: x}}]}]`,
			[]string{`rollouts[0].rules[0].serve: variant "blue" is not declared in this rollout (declared: stable, canary)`}},
		{"missing name", `rollouts: [{percent: 5}]`, []string{"rollouts[0].name: required"}},
		{"two operators", `rollouts: [{name: a, rules: [{name: r, serve: canary, when: {field: key, eq: x, prefix: y}}]}]`,
			[]string{"rollouts[0].rules[0].when: more than one operator (eq, prefix)"}},
		{"no operator", `rollouts: [{name: a, rules: [{name: r, serve: canary, when: {field: key}}]}]`,
			[]string{"rollouts[0].rules[0].when: no operator"}},
		{"bad field", `rollouts: [{name: a, rules: [{name: r, serve: canary, when: {field: "hdr:X", eq: x}}]}]`,
			[]string{`rollouts[0].rules[0].when.field: "hdr:X" is not a field`}},
		{"bad cidr", `rollouts: [{name: a, rules: [{name: r, serve: canary, when: {field: ip, cidr: [10.0.0.0/8, nope]}}]}]`,
			[]string{`rollouts[0].rules[0].when.cidr[1]: "nope" is not a CIDR prefix or IP address`}},
		{"bad semver", `rollouts: [{name: a, rules: [{name: r, serve: canary, when: {field: "attr:v", semver_gt: "five"}}]}]`,
			[]string{`rollouts[0].rules[0].when.semver_gt: "five" is not a semantic version`}},
		{"bad time", `rollouts: [{name: a, rules: [{name: r, serve: canary, when: {after: tomorrow}}]}]`,
			[]string{`rollouts[0].rules[0].when.after: "tomorrow" is not an RFC 3339 time`}},
		{"nested path", `rollouts: [{name: a, rules: [{name: r, serve: canary, when: {any: [{field: key, eq: x}, {not: {field: path, regex: "["}}]}}]}]`,
			[]string{"rollouts[0].rules[0].when.any[1].not.regex: missing closing ]"}},
		{"wrong type", `rollouts: [{name: a, percent: lots}]`, []string{"rollouts[0].percent: cannot unmarshal !!str `lots` into float64"}},
		{"list where mapping", `rollouts: {name: a}`, []string{"rollouts: want a list, got a mapping"}},
		{"duplicate key", "rollouts:\n  - name: a\n    name: b\n", []string{"rollouts[0].name: duplicate key"}},
		{"rule percent", `rollouts: [{name: a, rules: [{name: r, serve: canary, percent: 200, when: {field: key, eq: x}}]}]`,
			[]string{"rollouts[0].rules[0].percent: 200 is above 100"}},
		{"syntax", "rollouts: [", []string{"yaml:"}},
		{"json syntax", `{"rollouts": [}`, []string{"invalid JSON"}},
		{"empty in", `rollouts: [{name: a, rules: [{name: r, serve: canary, when: {field: key, in: []}}]}]`,
			[]string{"rollouts[0].rules[0].when.in: empty (list at least one value, or remove the rule)"}},
		{"empty not_in", `{"rollouts": [{"name": "a", "rules": [{"name": "r", "serve": "canary", "when": {"field": "key", "not_in": []}}]}]}`,
			[]string{"rollouts[0].rules[0].when.not_in: empty"}},
		{"every problem at once", `rollouts: [{name: a, percent: 101, bogus: 1}]`,
			[]string{"rollouts[0].bogus: unknown field", "rollouts[0].percent: 101 is above 100"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gray.ParseConfig([]byte(tt.give))
			require.Error(t, err)
			var ce *gray.ConfigError
			require.True(t, errors.As(err, &ce), "want *ConfigError, got %T", err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), "gray: "+w)
			}
			assert.Len(t, ce.Problems, len(tt.want), "problems: %v", ce.Problems)
		})
	}
}

func TestGoAPIBuildsTheSameConfig(t *testing.T) {
	half := 50.0
	fromGo := &gray.Config{Rollouts: []gray.Rollout{{
		Name: "checkout-v2", Salt: "checkout-v2", Enabled: ptr(true), Default: "stable", Percent: 5,
		Rules: []gray.Rule{
			{Name: "testers", When: gray.Condition{Field: "header:X-Gray", In: []string{"canary"}}, Serve: "canary"},
			{Name: "beta-cookie", When: gray.Condition{Field: "cookie:version", Eq: ptr("beta")}, Serve: "canary"},
			{Name: "staff", When: gray.Condition{Field: "key", In: []string{"u-1", "u-2"}}, Serve: "canary"},
			{Name: "new-ios-app", When: gray.Condition{All: []gray.Condition{
				{Field: "attr:platform", Eq: ptr("ios")},
				{Field: "attr:app_version", SemverGte: ptr("5.2.0")},
			}}, Serve: "canary", Percent: &half},
		},
	}}}
	fromYAML, err := gray.ParseConfig([]byte(seedYAML))
	require.NoError(t, err)
	assert.Equal(t, fromYAML, fromGo)
	_, err = gray.New(fromGo)
	require.NoError(t, err)
}

func TestNewRejectsBadGoConfig(t *testing.T) {
	_, err := gray.New(&gray.Config{Rollouts: []gray.Rollout{{Name: "a", Percent: 150}}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "gray: rollouts[0].percent: 150 is above 100")
	_, err = gray.New(nil)
	assert.ErrorIs(t, err, gray.ErrNilConfig)
}

func TestEmptyConfig(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte("  \n"))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	d := e.Decide("anything", gray.Subject{Key: "u"})
	assert.Equal(t, gray.DefaultVariant, d.Variant)
	assert.Equal(t, gray.ReasonUnknownRollout, d.Reason)
	assert.Equal(t, "unknown rollout", d.Reason.String())
}

func TestConfigErrorLines(t *testing.T) {
	_, err := gray.ParseConfig([]byte(`rollouts: [{name: a, percent: 101, bogus: 1}]`))
	lines := strings.Split(err.Error(), "\n")
	assert.Len(t, lines, 2)
}

func TestRolloutNewVariant(t *testing.T) {
	tests := []struct {
		name        string
		give        gray.Rollout
		wantName    string
		wantPercent float64
		wantOK      bool
	}{
		{"percent shorthand", gray.Rollout{Percent: 5}, "canary", 5, true},
		{"first listed", gray.Rollout{Variants: []gray.VariantSpec{{Name: "blue", Percent: 10}, {Name: "green", Percent: 20}}}, "blue", 10, true},
		{"default listed first", gray.Rollout{Default: "old", Variants: []gray.VariantSpec{{Name: "old", Percent: 50}, {Name: "v2", Percent: 7}}}, "v2", 7, true},
		{"implicit default listed first", gray.Rollout{Variants: []gray.VariantSpec{{Name: "stable", Percent: 50}, {Name: "v2", Percent: 7}}}, "v2", 7, true},
		{"only the default", gray.Rollout{Variants: []gray.VariantSpec{{Name: "stable", Percent: 50}}}, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, percent, ok := tt.give.NewVariant()
			assert.Equal(t, tt.wantName, name)
			assert.Equal(t, tt.wantPercent, percent)
			assert.Equal(t, tt.wantOK, ok)
		})
	}
}

// TestParseConfigAliases: anchors and aliases work for sharing a piece of
// configuration, and neither an alias inside its own anchor nor one that
// expands exponentially can hang or crash the parser.
func TestParseConfigAliases(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: a
    rules: [&testers {name: testers, when: {field: "header:X-Gray", eq: canary}, serve: canary}]
  - name: b
    rules: [*testers]
`))
	require.NoError(t, err)
	assert.Equal(t, cfg.Rollouts[0].Rules, cfg.Rollouts[1].Rules)

	_, err = gray.ParseConfig([]byte(`rollouts: [{name: a, rules: [{name: r, serve: canary, when: &w {not: *w}}]}]`))
	var ce *gray.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "inside its own anchor")

	var doc strings.Builder
	doc.WriteString("x0: &c0 {field: key, eq: a}\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&doc, "x%d: &c%d {all: [*c%d, *c%d]}\n", i, i, i-1, i-1)
	}
	doc.WriteString("rollouts: [{name: a, rules: [{name: r, serve: canary, when: *c30}]}]\n")
	_, err = gray.ParseConfig([]byte(doc.String()))
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, err.Error(), "aliases expand to more than")
}

// TestConfigNames: rollout and variant names are identifiers, rule names
// text without control characters, so that no name can carry a NUL or a
// line break into a log, or a "." or ".." into a URL path.
func TestConfigNames(t *testing.T) {
	long := strings.Repeat("n", 129)
	tests := []struct {
		name string
		give string // a YAML flow mapping of one rollout
		want string // "" when valid
	}{
		{"plain", `{name: checkout-v2}`, ""},
		{"dots and underscores", `{name: payments.checkout_v2.1}`, ""},
		{"any script", `{name: 用户迁移}`, ""},
		{"128 bytes", `{name: ` + long[1:] + `}`, ""},
		{"129 bytes", `{name: ` + long + `}`, `rollouts[0].name: "nnnn`},
		{"dot", `{name: "."}`, `rollouts[0].name: "." is not a name (1 to 128 bytes of letters, digits, '_', '.' and '-', starting with a letter or digit)`},
		{"dot dot", `{name: ".."}`, `rollouts[0].name: ".." is not a name`},
		{"leading dash", `{name: -a}`, `rollouts[0].name: "-a" is not a name`},
		{"slash", `{name: a/b}`, `rollouts[0].name: "a/b" is not a name`},
		{"space", `{name: "a b"}`, `rollouts[0].name: "a b" is not a name`},
		{"trailing space", `{name: "a "}`, `rollouts[0].name: "a " is not a name`},
		{"NUL", `{name: "a\0b"}`, `rollouts[0].name: "a\x00b" is not a name`},
		{"newline", `{name: "a\nb"}`, `rollouts[0].name: "a\nb" is not a name`},
		{"variant", `{name: a, variants: [{name: "../x", percent: 5}]}`, `rollouts[0].variants[0].name: "../x" is not a name`},
		{"default", `{name: a, default: "old\n"}`, `rollouts[0].default: "old\n" is not a name`},
		{"rule with spaces", `{name: a, rules: [{name: new iOS app, serve: canary, when: {field: key, eq: x}}]}`, ""},
		{"rule with a newline", `{name: a, rules: [{name: "x\ny", serve: canary, when: {field: key, eq: x}}]}`,
			`rollouts[0].rules[0].name: "x\ny" is not a rule name (1 to 128 bytes of UTF-8 text, no control characters, no space at either end)`},
		{"rule with a NUL", `{name: a, rules: [{name: "x\0", serve: canary, when: {field: key, eq: x}}]}`, `rollouts[0].rules[0].name: "x\x00" is not a rule name`},
		{"rule with a line separator", `{name: a, rules: [{name: "x\Ly", serve: canary, when: {field: key, eq: x}}]}`, `rollouts[0].rules[0].name: "x\u2028y" is not a rule name`},
		{"rule too long", `{name: a, rules: [{name: ` + long + `, serve: canary, when: {field: key, eq: x}}]}`, `rollouts[0].rules[0].name: "nnnn`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := gray.ParseConfig([]byte("rollouts: [" + tt.give + "]"))
			if tt.want == "" {
				require.NoError(t, err)
				_, err = gray.New(cfg)
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), "gray: "+tt.want)
		})
	}

	t.Run("built in Go", func(t *testing.T) {
		_, err := gray.New(&gray.Config{Rollouts: []gray.Rollout{{Name: ".."}, {Name: "a\xffb"}}})
		assert.ErrorContains(t, err, `gray: rollouts[0].name: ".." is not a name`)
		assert.ErrorContains(t, err, `gray: rollouts[1].name: "a\xffb" is not a name`)
	})
}

// TestAmbiguousNumbers: a number that YAML 1.1 and 1.2 read differently
// (the YAML library reads percent: 010 as 8, a YAML 1.2 reader as 10) is
// refused in every numeric field; numbers are written in decimal. JSON
// forbids leading zeros itself.
func TestAmbiguousNumbers(t *testing.T) {
	const leadingZero = "has a leading zero, which YAML readers disagree on (octal in YAML 1.1, decimal in YAML 1.2); write it without"
	when := func(cond string) string {
		return "rollouts: [{name: a, rules: [{name: r, serve: canary, when: " + cond + "}]}]"
	}
	tests := []struct {
		name string
		give string
		want string // "" when valid
	}{
		{"percent", "rollouts: [{name: a, percent: 010}]", "rollouts[0].percent: 010 " + leadingZero},
		{"variant weight", "rollouts: [{name: a, variants: [{name: b, percent: 05}]}]", "rollouts[0].variants[0].percent: 05 " + leadingZero},
		{"rule percent", "rollouts: [{name: a, rules: [{name: r, serve: canary, percent: 050, when: {field: key, eq: x}}]}]", "rollouts[0].rules[0].percent: 050 " + leadingZero},
		{"operator value", when("{field: attr:n, lt: 010}"), "rollouts[0].rules[0].when.lt: 010 " + leadingZero},
		{"negative", when("{field: attr:n, gte: -007}"), "rollouts[0].rules[0].when.gte: -007 " + leadingZero},
		{"decimal fraction", when("{field: attr:n, gt: 00.5}"), "rollouts[0].rules[0].when.gt: 00.5 " + leadingZero},
		{"nested", when("{not: {all: [{field: attr:n, lte: 09}]}}"), "rollouts[0].rules[0].when.not.all[0].lte: 09 " + leadingZero},
		{"plan step", "rollouts: [{name: a, plan: {steps: [01, 5]}}]", "rollouts[0].plan.steps[0]: 01 " + leadingZero},
		{"plan count", "rollouts: [{name: a, plan: {min_requests: 0100}}]", "rollouts[0].plan.min_requests: 0100 " + leadingZero},
		{"guard setting", "rollouts: [{name: a, plan: {guard: {alpha: 00.05}}}]", "rollouts[0].plan.guard.alpha: 00.05 " + leadingZero},
		{"octal", "rollouts: [{name: a, percent: 0o10}]", "rollouts[0].percent: 0o10 is not a decimal number; write numbers in decimal"},
		{"hex", "rollouts: [{name: a, percent: 0x10}]", "rollouts[0].percent: 0x10 is not a decimal number"},
		{"binary", "rollouts: [{name: a, percent: 0b1}]", "rollouts[0].percent: 0b1 is not a decimal number"},
		{"separators", "rollouts: [{name: a, percent: 1_0}]", "rollouts[0].percent: 1_0 is not a decimal number"},
		{"json", `{"rollouts": [{"name": "a", "percent": 010}]}`, "invalid JSON at line 1, column 41: number with a leading zero"},
		{"zero", "rollouts: [{name: a, percent: 0}]", ""},
		{"zero point five", "rollouts: [{name: a, percent: 0.5}]", ""},
		{"plus", "rollouts: [{name: a, percent: +5}]", ""},
		{"exponent", "rollouts: [{name: a, percent: 1e1}]", ""},
		{"zero exponent", when("{field: attr:n, gt: 0e5}"), ""},
		{"text keeps its zeros", when("{field: attr:n, eq: 010}"), ""},
		{"quoted text", when(`{field: attr:n, in: ["010", 007]}`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gray.ParseConfig([]byte(tt.give))
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			var ce *gray.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, err.Error(), "gray: "+tt.want)
		})
	}

	t.Run("text is text", func(t *testing.T) {
		cfg, err := gray.ParseConfig([]byte(when(`{field: attr:n, in: ["010", 007]}`)))
		require.NoError(t, err)
		assert.Equal(t, []string{"010", "007"}, cfg.Rollouts[0].Rules[0].When.In)
	})
}
