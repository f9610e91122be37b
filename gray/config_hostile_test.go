package gray_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// hostileShape is a document built to make a parser spend: deep, wide,
// long or self-multiplying. want is a substring of the error it must get,
// or "" when it must parse.
type hostileShape struct {
	name string
	doc  func() string // built when needed: the shapes are large
	want string
}

// blockDepth returns the deepest blockNested document within size bytes:
// blockNested(n) is n² + 14n + 95 bytes long.
func blockDepth(size int) int {
	n := 0
	for (n+1)*(n+1)+14*(n+1)+95 <= size {
		n++
	}
	return n
}

// hostileShapes returns documents of at most size bytes each (or of the
// size the shape needs), for the parser's limits test and benchmark; values
// is the values limit the "at the limit" shapes stay just under.
func hostileShapes(size, values int) []hostileShape {
	jsonWhen := func(x string) string { return jsonWhenOpen + x + jsonWhenClose }
	yamlWhen := func(x string) string { return yamlWhenOpen + x + yamlWhenClose }
	leafJSON := `{"field":"key","eq":"x"}`
	leafYAML := `{field: key, eq: x}`
	// levels returns how many open/close pairs fit in size with room to spare.
	levels := func(open, closer string) int { return (size - 200) / (len(open) + len(closer)) }
	more := fmt.Sprintf("more than %d values", values)
	blockList := "rollouts:\n- name: a\n  rules:\n  - name: r\n    serve: canary\n    when:\n      field: key\n      in:\n"
	return []hostileShape{
		// Depth.
		{"json objects 10k deep", func() string { return jsonWhen(nested(`{"not":`, leafJSON, `}`, 10_000)) }, "nested deeper than 128 levels"},
		{"json objects to size", func() string { return jsonWhen(nested(`{"not":`, leafJSON, `}`, levels(`{"not":`, `}`))) }, "nested deeper than 128 levels"},
		{"json arrays to size", func() string { return nested("[", "", "]", size/2) }, "nested deeper than 128 levels"},
		{"json arrays unterminated", func() string { return fill("[", size) }, "nested deeper than 128 levels"},
		{"yaml flow deep", func() string { return yamlWhen(nested(`{not: `, leafYAML, `}`, min(9990, values/5-100))) }, "nested deeper than 128 levels"},
		{"yaml flow to size", func() string { return yamlWhen(nested(`{not: `, leafYAML, `}`, levels(`{not: `, `}`))) }, more},
		{"yaml flow lists deep", func() string { return "rollouts: " + nested("[", "", "]", min(9990, values/2-100)) }, "want a mapping, got a list"},
		{"yaml block to size", func() string { return blockNested(blockDepth(size)) }, "nested deeper than 128 levels"},
		{"all any not 33 deep", func() string { return yamlWhen(nested(`{all: [{any: [{not: `, leafYAML, `}]}]}`, 11)) }, "conditions nested deeper than 32"},
		{"all any not 32 deep", func() string {
			return yamlWhen(nested(`{all: [{any: [{not: `, `{not: {not: `+leafYAML+`}}`, `}]}]}`, 10))
		}, ""},
		// Width.
		{"json wide list", func() string { return jsonWhen(`{"field":"key","in":[` + numbered(`"u%07d"`, ",", size-200) + `]}`) }, more},
		{"json list at the values limit", func() string {
			return jsonWhen(`{"field":"key","in":[` + numbered(`"u%07d"`, ",", (values-50)*11) + `]}`)
		}, ""},
		{"yaml wide flow list", func() string { return yamlWhen(`{field: key, in: [` + fill("1,", size-200) + `1]}`) }, more},
		{"yaml flow list at the estimate", func() string {
			return yamlWhen(`{field: key, in: [` + numbered("u%07d", ", ", (values/2-50)*10) + `]}`)
		}, ""},
		{"yaml wide block list", func() string { return blockList + fill("      - u\n", size-200) }, more},
		{"yaml block list at the values limit", func() string { return blockList + numbered("      - u%07d", "\n", (values-50)*17) }, ""},
		{"yaml block list at both limits", func() string {
			return blockList + numbered("      - u%07d-"+strings.Repeat("x", (size-200)/(values-200)-17), "\n", size-200)
		}, ""},
		{"json list at both limits", func() string {
			return jsonWhen(`{"field":"key","in":[` + numbered(`"u%07d-`+strings.Repeat("x", (size-200)/(values-200)-11)+`"`, ",", size-200) + `]}`)
		}, ""},
		{"yaml flow maps", func() string { return "rollouts: [" + fill("{a},", size-20) + "{a}]" }, more},
		{"yaml many keys", func() string { return numbered("k%d: 1", "\n", size) }, more},
		{"json many keys", func() string { return "{" + numbered(`"k%d":1`, ",", size-2) + "}" }, more},
		{"yaml many unknown fields", func() string { return "rollouts: [{name: a, " + numbered("k%d: 1", ", ", values/4*9) + "}]" }, "more problems"},
		// Length.
		{"json long key", func() string { return `{"` + fill("k", size-10) + `":1}` }, "unknown field"},
		{"yaml long key", func() string { return fill("k", size-10) + ": 1" }, "mapping values are not allowed"},
		{"json long string", func() string { return `{"rollouts":[{"name":"` + fill("n", size-40) + `"}]}` }, "rollouts[0].name: \"nnn"},
		{"yaml long string", func() string { return "rollouts: [{name: " + fill("n", size-40) + "}]" }, "rollouts[0].name: \"nnn"},
		{"yaml long value", func() string { return yamlWhen(`{field: key, eq: "` + fill("v", size-100) + `"}`) }, ""},
		{"yaml long regex", func() string { return yamlWhen(`{field: key, regex: "` + fill("a", size-100) + `"}`) }, "regex: longer than 16384 bytes"},
		{"yaml comments", func() string { return fill("# a comment about the configuration, at some length\n", size) }, "by an estimate"},
		{"yaml comments without punctuation", func() string { return fill("# a comment about the configuration at some length\n", size) }, ""},
		// Many.
		{"yaml many rollouts", func() string { return "rollouts: [" + numbered("{name: r%d}", ", ", size-20) + "]" }, more},
		{"json many rollouts", func() string { return `{"rollouts":[` + numbered(`{"name":"r%d"}`, ",", size-20) + "]}" }, more},
		{"yaml rollouts at the values limit", func() string { return "rollouts:\n" + numbered("- name: r%d", "\n", (values/3-20)*12) }, ""},
		{"json rollouts at the values limit", func() string { return `{"rollouts":[` + numbered(`{"name":"r%d"}`, ",", (values/3-20)*15) + "]}" }, ""},
		{"json rules at the values limit", func() string {
			return `{"rollouts":[{"name":"a","rules":[` +
				numbered(`{"name":"r%d","serve":"canary","when":{"field":"key","eq":"x"}}`, ",", (values/12-20)*66) + "]}]}"
		}, ""},
		{"yaml many errors", func() string { return "rollouts: [" + numbered("{name: r%d, percent: 101}", ", ", values/12*27) + "]" }, "more problems"},
		{"yaml many regexes", func() string {
			return "rollouts:\n- name: a\n  rules:\n" + numbered("  - {name: r%d, serve: canary, when: {field: key, regex: \"a{1000}\"}}", "\n", values/28*70)
		}, "regexes are too large"},
		// Aliases.
		{"yaml billion laughs", func() string { return laughs(9) }, "aliases expand to " + more},
		{"yaml laughs at the values limit", func() string { return laughs(int(math.Log10(float64(values))) - 1) }, ""},
		{"yaml laughs in lists", func() string {
			return "a: &a [" + fill("lol, ", 50) + "lol]\nb: &b [" + fill("*a, ", 40) + "*a]\nc: &c [" + fill("*b, ", 40) + "*b]\nrollouts: [{name: a, rules: [{name: r, serve: canary, when: {field: key, in: *c}}]}]"
		}, "want a single value"},
		// Size.
		{"over the limit", func() string { return fill(" ", size+1) }, "above the limit"},
	}
}

// TestParseConfigHostileShapes: every shape, built to the size limit, is
// parsed or refused with a clear error, allocating under 64 MiB. It runs at
// the default limits, or at a sixteenth of them with -short or the race
// detector (under which the YAML library is 50 times slower);
// BenchmarkParseConfigHostile reports time and bytes at the defaults.
func TestParseConfigHostileShapes(t *testing.T) {
	size, values := gray.DefaultMaxConfigSize, gray.DefaultMaxConfigValues
	if testing.Short() || raceDetector {
		size, values = size/16, values/16
	}
	opts := []gray.ParseOption{gray.WithMaxConfigSize(size), gray.WithMaxConfigValues(values)}
	for _, tt := range hostileShapes(size, values) {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.doc())
			var err error
			start := time.Now()
			got := allocated(func() { _, err = gray.ParseConfig(data, opts...) })
			t.Logf("%d bytes: %.1f MiB allocated in %v", len(data), float64(got)/(1<<20), time.Since(start).Round(time.Millisecond))
			if tt.want == "" {
				require.NoError(t, err)
			} else {
				var ce *gray.ConfigError
				require.ErrorAs(t, err, &ce)
				assert.Contains(t, err.Error(), tt.want)
				assert.Less(t, len(err.Error()), 64<<10, "the error stays short")
			}
			assert.Less(t, got, uint64(64<<20), "allocated %.1f MiB", float64(got)/(1<<20))
		})
	}
}
