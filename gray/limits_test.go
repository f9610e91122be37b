package gray

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.yaml.in/yaml/v3"
)

// yamlNodes counts the nodes of a tree (an alias is one node).
func yamlNodes(n *yaml.Node) int {
	count := 1
	for _, c := range n.Content {
		count += yamlNodes(c)
	}
	return count
}

// checkYAMLValueBound holds yamlValueBound to the tree the library builds.
func checkYAMLValueBound(t *testing.T, data []byte) {
	t.Helper()
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return
	}
	assert.LessOrEqual(t, yamlNodes(&doc), yamlValueBound(data), "document %q", data)
}

var yamlBoundSeeds = []string{
	"", "a", "# only a comment", "a: b", "a:", ":", "? a", "?", "- a", "-", "- - - -", "--- a", "a: [b, c]", "[a: b]",
	"[? a]", "[a, ? b, c: d]", "{a}", "{a, b, c}", "{? a}", "{: b}", "[: ]", "{:}", "[,]", "a: &x {b: c}\nd: *x",
	"a:\n  - b\n  -\n  - c: d\n    e:\n", "? - a\n  - b\n: - c", "- |\n  text\n- >\n  more", "\"a\": 'b'", "a: \"b,c:d\"",
	"[a,b,c]", "[[[[]]]]", "{{{{a}}}}", "a: [{b}, {c: d}, [e]]", "- \t- a", "!!map {a: !!str b}", "a\r-\rb", "-\xc2\x85a",
	"%YAML 1.2\n---\na: b\n...\n---\nc: d", "a: b #c, d, [e]",
}

func TestYAMLValueBound(t *testing.T) {
	for _, give := range yamlBoundSeeds {
		t.Run(give, func(t *testing.T) { checkYAMLValueBound(t, []byte(give)) })
	}
}

// FuzzYAMLValueBound: the estimate never falls below the nodes the library
// builds, or the values limit would not bound what parsing allocates.
func FuzzYAMLValueBound(f *testing.F) {
	for _, seed := range yamlBoundSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4096 {
			return
		}
		checkYAMLValueBound(t, data)
	})
}
