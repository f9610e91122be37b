package gray

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// TestDecodeScalarAgreesWithYAML: the fast path gives what the YAML
// library gives, for every scalar it takes.
func TestDecodeScalarAgreesWithYAML(t *testing.T) {
	for _, give := range []string{
		"abc", `"quoted"`, "'single'", "5", "-5", "+5", "5.25", "5.", "1e3", "1E-3", "-0", "0", "true", "False",
		"2001-12-14", "2001-12-14T21:59:43.10-05:00", "0x10", "0o10", "010", "1_000", ".5", ".inf", "-.Inf", ".nan",
		"123456789012345678901234567890", "1e400", "!!str 5", "!!float 5", "!!int 5", "~", "null", "|\n  block\n",
	} {
		t.Run(give, func(t *testing.T) {
			var doc yaml.Node
			require.NoError(t, yaml.Unmarshal([]byte("v: "+give), &doc))
			n := doc.Content[0].Content[1]
			for _, typ := range []reflect.Type{reflect.TypeFor[string](), reflect.TypeFor[float64]()} {
				fast := reflect.New(typ).Elem()
				if !decodeScalar(n, fast) {
					continue
				}
				slow := reflect.New(typ)
				require.NoError(t, n.Decode(slow.Interface()), "the library refuses what the fast path takes")
				assert.Equal(t, slow.Elem().Interface(), fast.Interface(), "as %v", typ)
			}
		})
	}
}

// TestDecodeListAllocations: a list of strings decodes without the YAML
// library's per-call decoder, which made most of a long list's allocation.
func TestDecodeListAllocations(t *testing.T) {
	data := []byte(`{"rollouts": [{"name": "a", "rules": [{"name": "r", "serve": "canary", "when": {"field": "key", "in": [` +
		`"u-000"` + strings.Repeat(`, "u-000"`, 999) + `]}}]}]}`)
	allocs := testing.AllocsPerRun(10, func() {
		_, err := ParseConfig(data)
		require.NoError(t, err)
	})
	assert.Less(t, allocs, 5000.0, "%v allocations for 1,000 keys", allocs)
}
