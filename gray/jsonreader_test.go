package gray

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// jsonValue turns a tree from jsonReader into what encoding/json decodes
// (with UseNumber) into an any.
func jsonValue(n *yaml.Node) any {
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = jsonValue(n.Content[i+1])
		}
		return m
	case yaml.SequenceNode:
		s := []any{}
		for _, c := range n.Content {
			s = append(s, jsonValue(c))
		}
		return s
	}
	switch n.Tag {
	case "!!int", "!!float":
		return json.Number(n.Value)
	case "!!bool":
		return n.Value == "true"
	case "!!null":
		return nil
	}
	return n.Value
}

// stdJSON decodes data as encoding/json does.
func stdJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, assert.AnError // data after the value
	}
	return v, nil
}

// checkJSONReader holds jsonReader to encoding/json's answer on data: the
// same value, or both refuse. Documents deeper than maxDepth are left out.
func checkJSONReader(t *testing.T, data []byte) {
	t.Helper()
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || trimmed[0] != '{' && trimmed[0] != '[' {
		return // not routed to the JSON reader
	}
	r := jsonReader{data: trimmed, lim: parseLimits{}.withDefaults()}
	n, prob := r.document()
	want, err := stdJSON(trimmed)
	if prob != nil && (strings.Contains(prob.Message, "nested deeper than") || strings.Contains(prob.Message, "values in the document")) {
		return
	}
	if err != nil {
		require.NotNil(t, prob, "encoding/json refuses %q (%v), jsonReader accepts it", data, err)
		assert.Contains(t, prob.Message, "invalid JSON at line ")
		return
	}
	require.Nil(t, prob, "encoding/json accepts %q, jsonReader refuses it", data)
	assert.Equal(t, want, jsonValue(n))
}

func TestJSONReaderAgreesWithEncodingJSON(t *testing.T) {
	for _, give := range jsonReaderSeeds {
		t.Run(give, func(t *testing.T) { checkJSONReader(t, []byte(give)) })
	}
}

var jsonReaderSeeds = []string{
	`{}`, `[]`, ` { } `, `[1, -0, 0.5, -1.25e+3, 1E5, 2e-3, 123456789012345678901234567890]`,
	`{"a": "b", "c": [true, false, null], "d": {"e": ""}}`,
	`["\"\\\/\b\f\n\r\t", "\u00e9\u4e2d", "\ud83d\ude00", "\ud800", "\u0000"]`,
	"[\"caf\xc3\xa9\", \"bad \xff utf-8\", \"\xed\xa0\x80\"]",
	`{"a": 1, "a": 2}`,
	// Refused.
	`[01]`, `[-01]`, `[+1]`, `[.5]`, `[1.]`, `[1e]`, `[1e+]`, `[-]`, `[0x10]`, `[NaN]`, `[Infinity]`,
	`[1,]`, `[,1]`, `{"a":1,}`, `{a: 1}`, `{'a': 1}`, `{"a" 1}`, `{"a":}`, `[1 2]`, `[1}`, `{"a":1]`,
	`[tru]`, `[truex]`, `[nul]`, `["a]`, "[\"a\nb\"]", "[\"a\tb\"]", `["\x"]`, `["\u12"]`, `["\u12g4"]`,
	`[1] [2]`, `{} x`, `[`, `{`, `{"a"`, `{"a":`, `[1,`, "[\"a\\", "\t[ 1 ]\n",
}

// FuzzJSONReader holds the JSON reader to encoding/json on any input.
func FuzzJSONReader(f *testing.F) {
	for _, seed := range jsonReaderSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkJSONReader(t, data) })
}
