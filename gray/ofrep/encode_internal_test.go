package ofrep

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// jsonString is what encoding/json writes for s, without HTML escaping.
func jsonString(t testing.TB, s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(s))
	return string(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "new-checkout", "café", "a\"b\\c", "\n\r\t\b\f\x00\x1f", "\u2028\u2029", "\xff", "\uFFFD", "a\xc3", "<&>", "日本語"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		assert.Equal(t, jsonString(t, s), string(got))
		var back string
		require.NoError(t, json.Unmarshal(got, &back))
	})
}

func TestAppendEvaluationIsValidJSON(t *testing.T) {
	b := appendEvaluation(nil, "new-checkout", gray.Decision{Variant: "canary", Reason: gray.ReasonRule, Rule: "staff"})
	var got map[string]any
	require.NoError(t, json.Unmarshal(b, &got), "%s", b)
	assert.Equal(t, map[string]any{
		"key": "new-checkout", "value": "canary", "reason": "TARGETING_MATCH", "variant": "canary",
		"metadata": map[string]any{"graykitReason": "rule"},
	}, got)
}
