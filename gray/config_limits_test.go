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

// TestParseConfigDeepNestingCostsLinear: a path is rendered only for a
// problem, so 10,000 levels no longer keep 10,000 ever-longer path strings
// (442 MB before).
func TestParseConfigDeepNestingCostsLinear(t *testing.T) {
	tests := []struct {
		name string
		give string
	}{
		{"json", jsonWhenOpen + nested(`{"not":`, `{"field":"key","eq":"x"}`, `}`, 10_000) + jsonWhenClose},
		{"yaml", yamlWhenOpen + nested(`{not: `, `{field: key, eq: x}`, `}`, 9990) + yamlWhenClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			got := allocated(func() { _, err = gray.ParseConfig([]byte(tt.give)) })
			t.Logf("err: %v", err)
			assert.Less(t, got, uint64(64<<20), "allocated %d MiB", got>>20)
		})
	}
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
