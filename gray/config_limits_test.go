package gray_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/internal/configtest"
)

// Wrappers that put a condition where a rule's when goes.
const (
	jsonWhenOpen  = `{"rollouts":[{"name":"a","rules":[{"name":"r","serve":"canary","when":`
	jsonWhenClose = `}]}]}`
	yamlWhenOpen  = `rollouts: [{name: a, rules: [{name: r, serve: canary, when: `
	yamlWhenClose = `}]}]`
)

// fill repeats unit until the text is about size bytes long.
func fill(unit string, size int) string {
	if size < len(unit) {
		return unit
	}
	return strings.Repeat(unit, size/len(unit))
}

// numbered writes format(i) for i = 0, 1, … while the text stays within
// size bytes, with sep between.
func numbered(format, sep string, size int) string {
	var b strings.Builder
	b.Grow(size)
	for i := 0; ; i++ {
		item := fmt.Sprintf(format, i)
		if i > 0 {
			item = sep + item
		}
		if b.Len()+len(item) > size {
			return b.String()
		}
		b.WriteString(item)
	}
}

// blockNested writes a YAML block condition n levels of "not:" deep.
func blockNested(n int) string {
	var b strings.Builder
	b.WriteString("rollouts:\n- name: a\n  rules:\n  - name: r\n    serve: canary\n    when:\n")
	indent := 6
	for range n {
		b.WriteString(strings.Repeat(" ", indent))
		b.WriteString("not:\n")
		indent += 2
	}
	b.WriteString(strings.Repeat(" ", indent) + "field: key\n")
	b.WriteString(strings.Repeat(" ", indent) + "eq: x\n")
	return b.String()
}

// Hostile shapes shared with gray/watch's tests.
var (
	laughs = configtest.Laughs
	nested = configtest.Nested
)

// allocated returns the bytes f allocates (runtime.MemStats.TotalAlloc
// delta). Tests that use it do not run in parallel.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestParseConfigDepth: documents nested beyond any use of the schema are
// refused where they get too deep, cheaply, and never overflow the stack
// (16 MB of "[" did, a crash no recover catches). Paths are rendered only
// for a problem, so depth no longer costs its square (10,000 nots
// allocated 421 MiB).
func TestParseConfigDepth(t *testing.T) {
	leafJSON, leafYAML := `{"field":"key","eq":"x"}`, `{field: key, eq: x}`
	// when is at depth 5 (root, rollouts, rollout, rules, rule), so its
	// 123rd not is the collection inside 128 others.
	deepWhen := "rollouts[0].rules[0].when" + strings.Repeat(".not", 123)
	tests := []struct {
		name string
		give string
		want string
	}{
		{"json objects", jsonWhenOpen + nested(`{"not":`, leafJSON, `}`, 10_000) + jsonWhenClose,
			"gray: " + deepWhen + ": nested deeper than 128 levels"},
		{"json arrays", nested("[", "", "]", 8<<20), "gray: " + strings.Repeat("[0]", 128) + ": nested deeper than 128 levels"},
		{"json arrays unterminated", fill("[", 16<<20), "nested deeper than 128 levels"},
		{"json object keys", nested(`{"a":`, "1", "}", 200), "gray: " + strings.Repeat("a.", 127) + "a: nested deeper than 128 levels"},
		{"yaml flow", yamlWhenOpen + nested(`{not: `, leafYAML, `}`, 9990) + yamlWhenClose,
			"gray: " + deepWhen + ": nested deeper than 128 levels"},
		{"yaml flow lists", "rollouts: " + nested("[", "", "]", 9990), "gray: rollouts[0]: want a mapping, got a list"},
		{"yaml block", blockNested(200), "gray: " + deepWhen + ": nested deeper than 128 levels"},
		{"yaml past the library's limit", "rollouts: " + nested("[", "", "]", 20_000), "exceeded max depth of 10000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.give)
			var err error
			got := allocated(func() { _, err = gray.ParseConfig(data, gray.WithMaxConfigSize(32<<20)) })
			var ce *gray.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Len(t, ce.Problems, 1)
			assert.Contains(t, err.Error(), tt.want)
			assert.Less(t, got, uint64(64<<20), "allocated %d MiB", got>>20)
		})
	}
}

// TestConditionNesting: all, any and not nest at most 32 deep, in a parsed
// config and in one built in Go (where a deeper chain would otherwise
// recurse without bound at every request).
func TestConditionNesting(t *testing.T) {
	leaf := `{field: key, eq: x}`
	mixed := func(n int) string { // n levels: not, all, any, not, …
		open, closer := "", ""
		for i := range n {
			switch i % 3 {
			case 0:
				open, closer = open+"{not: ", "}"+closer
			case 1:
				open, closer = open+"{all: [", "]}"+closer
			default:
				open, closer = open+"{any: [", "]}"+closer
			}
		}
		return yamlWhenOpen + open + leaf + closer + yamlWhenClose
	}
	tests := []struct {
		name string
		give string
		want string
	}{
		{"32 levels", mixed(32), ""},
		{"33 levels", mixed(33), "gray: rollouts[0].rules[0].when.not.all[0].any[0].not"},
		{"33 nots", yamlWhenOpen + nested("{not: ", leaf, "}", 33) + yamlWhenClose,
			"gray: rollouts[0].rules[0].when" + strings.Repeat(".not", 32) + ": conditions nested deeper than 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gray.ParseConfig([]byte(tt.give))
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), ": conditions nested deeper than 32")
		})
	}

	t.Run("built in Go", func(t *testing.T) {
		when := gray.Condition{Field: "key", Eq: &leaf}
		for range 10_000 {
			when = gray.Condition{Not: &when}
		}
		_, err := gray.New(&gray.Config{Rollouts: []gray.Rollout{{Name: "a", Rules: []gray.Rule{{Name: "r", Serve: "canary", When: when}}}}})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "gray: rollouts[0].rules[0].when"+strings.Repeat(".not", 32)+": conditions nested deeper than 32")
	})
}

// TestParseConfigErrorsStayShort: a document with thousands of problems,
// or a huge key, gets an error of bounded size.
func TestParseConfigErrorsStayShort(t *testing.T) {
	tests := []struct {
		name      string
		give      string
		wantFirst string
		wantLast  string
	}{
		{"many problems", "rollouts: [" + numbered("{name: r%d, percent: 101}", ", ", 100_000) + "]",
			"gray: rollouts[0].percent: 101 is above 100", "more problems"},
		{"huge key", `{"` + fill("k", 1<<20) + `x": 1}`, `gray: "kkkk`, "…\": unknown field"},
		{"huge value", "rollouts: [{name: a, percent: " + fill("9", 1<<20) + "x}]", "gray: rollouts[0].percent: ", "...` into float64"},
		{"key with a newline", "\"a\\nb\": 1", `gray: "a\nb": unknown field`, `gray: "a\nb": unknown field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gray.ParseConfig([]byte(tt.give))
			var ce *gray.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.LessOrEqual(t, len(ce.Problems), 101)
			assert.Less(t, len(err.Error()), 16<<10)
			lines := strings.Split(err.Error(), "\n")
			assert.True(t, strings.HasPrefix(lines[0], tt.wantFirst), "first line %q", clipTest(lines[0]))
			assert.Contains(t, lines[len(lines)-1], tt.wantLast)
		})
	}
}

func clipTest(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

// TestParseConfigSizeLimit: a document above the size limit is refused
// before it is parsed, and a file above it before it is read.
func TestParseConfigSizeLimit(t *testing.T) {
	small := []byte("rollouts: [{name: a, percent: 5}]")
	big := append([]byte(fill("# padding\n", gray.DefaultMaxConfigSize)), small...)
	tests := []struct {
		name string
		give []byte
		opts []gray.ParseOption
		want string
	}{
		{"default", big, nil, fmt.Sprintf("gray: the document is %d bytes, above the limit of %d (see WithMaxConfigSize)", len(big), gray.DefaultMaxConfigSize)},
		{"raised", big, []gray.ParseOption{gray.WithMaxConfigSize(8 << 20)}, ""},
		{"lowered", small, []gray.ParseOption{gray.WithMaxConfigSize(10)}, "the document is 33 bytes, above the limit of 10"},
		{"zero means the default", small, []gray.ParseOption{gray.WithMaxConfigSize(0)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gray.ParseConfig(tt.give, tt.opts...)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			var ce *gray.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, err.Error(), tt.want)
		})
	}

	t.Run("file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "rollouts.yaml")
		f, err := os.Create(path)
		require.NoError(t, err)
		require.NoError(t, f.Truncate(1<<30)) // sparse: 1 GiB that is never read
		require.NoError(t, f.Close())
		var cfgErr error
		got := allocated(func() { _, cfgErr = gray.LoadConfig(path) })
		var ce *gray.ConfigError
		require.ErrorAs(t, cfgErr, &ce)
		assert.Contains(t, cfgErr.Error(), "the document is 1073741824 bytes, above the limit of 4194304")
		assert.Contains(t, cfgErr.Error(), "(in "+path+")")
		assert.Less(t, got, uint64(1<<20), "allocated %d bytes", got)

		require.NoError(t, os.WriteFile(path, small, 0o644))
		_, err = gray.LoadConfig(path, gray.WithMaxConfigSize(10))
		assert.ErrorContains(t, err, "the document is 33 bytes, above the limit of 10")
		cfg, err := gray.LoadConfig(path)
		require.NoError(t, err)
		assert.Equal(t, "a", cfg.Rollouts[0].Name)
	})
}

// TestParseConfigValuesLimit: a document with more values than the limit
// is refused: JSON where it passes the limit, YAML before it is parsed (by
// an estimate) or, when aliases multiply its values, where they do.
func TestParseConfigValuesLimit(t *testing.T) {
	blockList := func(n int) string {
		return "rollouts:\n- name: a\n  rules:\n  - name: r\n    serve: canary\n    when:\n      field: key\n      in:\n" + strings.Repeat("      - u\n", n)
	}
	jsonList := func(n int) string {
		return jsonWhenOpen + `{"field":"key","in":["u"` + strings.Repeat(`,"u"`, n-1) + `]}` + jsonWhenClose
	}
	tests := []struct {
		name string
		give string
		opts []gray.ParseOption
		want string
	}{
		// The list's elements are values 20 on.
		{"json at the limit", jsonList(100_000 - 19), nil, ""},
		{"json past the limit", jsonList(100_000), nil,
			"gray: rollouts[0].rules[0].when.in[99981]: more than 100000 values in the document (see WithMaxConfigValues)"},
		{"json raised", jsonList(150_000), []gray.ParseOption{gray.WithMaxConfigValues(150_100)}, ""},
		{"yaml block list at the limit", blockList(100_000 - 20), nil, ""},
		{"yaml block list past the limit", blockList(100_000), nil,
			"gray: more than 100000 values in the document, by an estimate from its , : - ? [ and { (see WithMaxConfigValues)"},
		{"yaml flow list, counted twice", yamlWhenOpen + "{field: key, in: [u" + strings.Repeat(", u", 60_000) + "]}" + yamlWhenClose, nil,
			"by an estimate"},
		{"yaml flow list raised", yamlWhenOpen + "{field: key, in: [u" + strings.Repeat(", u", 60_000) + "]}" + yamlWhenClose,
			[]gray.ParseOption{gray.WithMaxConfigValues(120_100)}, ""},
		{"yaml aliases", "rollouts:\n- name: a\n  rules:\n  - {name: r, serve: canary, when: {field: key, in: &u [" + strings.Repeat("u, ", 999) + "u]}}\n" +
			numbered("  - {name: r%d, serve: canary, when: {field: key, in: *u}}", "\n", 100*60), nil,
			"gray: rollouts[0].rules[98].when.in[903]: aliases expand to more than 100000 values (see WithMaxConfigValues)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gray.ParseConfig([]byte(tt.give), tt.opts...)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			var ce *gray.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestRegexLimits: a regex's cost is its compiled program, which
// repetition multiplies, so a config's regexes have a budget (a 250 KB
// config of "a{1000}" rules allocated 400 MB), and one regex's text a
// length limit.
func TestRegexLimits(t *testing.T) {
	rules := func(n int, regex string) string {
		var b strings.Builder
		b.WriteString("rollouts:\n- name: a\n  rules:\n")
		for i := range n {
			fmt.Fprintf(&b, "  - {name: r%d, serve: canary, when: {field: key, regex: %q}}\n", i, regex)
		}
		return b.String()
	}
	tests := []struct {
		name string
		give string
		want string
	}{
		{"20 large regexes", rules(20, "a{1000}"), ""},
		{"3,000 large regexes", rules(3000, "a{1000}"), "gray: rollouts[0].rules[24].when.regex: the config's regexes are too large"},
		{"1,000 small regexes", rules(1000, "^/api/v[0-9]+/users/[a-z0-9-]+$"), ""},
		{"long regex", rules(1, strings.Repeat("a", 16<<10+1)), "gray: rollouts[0].rules[0].when.regex: longer than 16384 bytes"},
		{"syntax error past the budget", rules(30, "a{1000}") + "  - {name: bad, serve: canary, when: {field: key, regex: \"((\"}}\n",
			"gray: rollouts[0].rules[30].when.regex: missing closing )"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			got := allocated(func() { _, err = gray.ParseConfig([]byte(tt.give)) })
			assert.Less(t, got, uint64(64<<20), "allocated %d MiB", got>>20)
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			var ce *gray.ConfigError
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, err.Error(), tt.want)
			assert.LessOrEqual(t, strings.Count(err.Error(), "too large"), 1, "the budget is reported once")
		})
	}
}

// TestProblemMessagesAreWhole: only text quoted from the document is
// clipped in an error, never the message around it.
func TestProblemMessagesAreWhole(t *testing.T) {
	_, err := gray.ParseConfig([]byte(yamlWhenOpen + `{field: key, regex: "(` + strings.Repeat("a", 300) + `"}` + yamlWhenClose))
	require.Error(t, err)
	assert.Equal(t, "gray: rollouts[0].rules[0].when.regex: missing closing ): `("+strings.Repeat("a", 99)+"…`", err.Error())
}
