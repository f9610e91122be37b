package gray_test

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
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

// numbered writes format(i) for i = 0, 1, … until the text is about size
// bytes long, with sep between.
func numbered(format, sep string, size int) string {
	var b strings.Builder
	b.Grow(size + len(format) + 16)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteString(sep)
		}
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
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

// nested wraps leaf in n levels of open/close.
func nested(open, leaf, closer string, n int) string {
	return strings.Repeat(open, n) + leaf + strings.Repeat(closer, n)
}

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
			got := allocated(func() { _, err = gray.ParseConfig(data) })
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
