package gray

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSegmentIsCompiledOnce checks that every rule using a segment shares
// one compiled condition, so a large key list is one set in memory.
func TestSegmentIsCompiledOnce(t *testing.T) {
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = fmt.Sprintf("staff-%05d", i)
	}
	yaml := "segments: [{name: staff, when: {field: key, in: [" + strings.Join(keys, ", ") + "]}}]\nrollouts:\n"
	for i := range 5 {
		yaml += fmt.Sprintf("  - {name: r%d, rules: [{name: staff, when: {segment: staff}, serve: canary}]}\n", i)
	}
	cfg, err := ParseConfig([]byte(yaml))
	require.NoError(t, err)
	snap, err := compile(cfg)
	require.NoError(t, err)
	first := &snap.rollouts[0].rules[0].when.subs[0]
	require.NotNil(t, first.set, "a list this long is a set")
	for _, r := range snap.rollouts[1:] {
		assert.Same(t, first, &r.rules[0].when.subs[0], r.name)
	}
}
