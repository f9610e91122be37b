package gray

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ConfigError reports everything wrong with a configuration, each problem
// with the path of the value it concerns.
type ConfigError struct {
	// Problems lists every problem found, in document order.
	Problems []Problem
}

// Problem is one error in a configuration.
type Problem struct {
	// Path locates the value, e.g. "rollouts[0].rules[2].when.regex"; empty
	// for the document as a whole.
	Path string
	// Message says what is wrong with it.
	Message string
}

// String returns "path: message", or the message alone for the document.
func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Error lists every problem, one a line, each prefixed "gray: ".
func (e *ConfigError) Error() string {
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("gray: ")
		b.WriteString(p.String())
	}
	return b.String()
}

// problems collects configuration errors.
type problems struct {
	list []Problem
	// dropped counts the problems past maxProblems, which are not listed.
	dropped int
	// expanding holds the anchors whose aliases are being decoded, to refuse
	// an alias inside its own anchor; aliased counts the values decoded
	// through aliases, to refuse a document that expands exponentially.
	expanding map[*yaml.Node]bool
	aliased   int
}

// maxAliased bounds the values a document may decode through aliases.
const maxAliased = 100_000

// maxProblems bounds the problems listed: a document with thousands of
// errors gets the first ones and a count of the rest.
const maxProblems = 100

// add records a problem with the value at. Text quoted from the document
// (string arguments) is clipped, so one huge value cannot make a huge error.
func (ps *problems) add(at *path, format string, args ...any) {
	if len(ps.list) >= maxProblems {
		ps.dropped++
		return
	}
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = clip(s)
		}
	}
	ps.list = append(ps.list, Problem{Path: at.String(), Message: fmt.Sprintf(format, args...)})
}

func (ps *problems) err() error {
	if len(ps.list) == 0 {
		return nil
	}
	list := ps.list
	if ps.dropped > 0 {
		list = append(list[:len(list):len(list)], Problem{Message: fmt.Sprintf("… and %d more problems", ps.dropped)})
	}
	return &ConfigError{Problems: list}
}

// decodeStrict parses YAML or JSON into out. The document becomes a yaml.Node
// tree (JSON through encoding/json's tokenizer, since YAML parsers reject some
// valid JSON escapes), and the tree is then decoded field by field against
// out's type, so that unknown fields, duplicate keys and type errors are
// reported with their path rather than a line number. parsed is false when
// the document did not parse, so there is nothing to validate.
func decodeStrict(data []byte, out any) (ps *problems, parsed bool) {
	ps = &problems{}
	root, err := parseTree(data)
	if err != nil {
		ps.list = append(ps.list, Problem{Message: err.Error()})
		return ps, false
	}
	if root != nil {
		decodeNode(root, reflect.ValueOf(out).Elem(), nil, ps)
	}
	return ps, true
}

func parseTree(data []byte) (*yaml.Node, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		n, err := jsonNode(dec)
		if err != nil {
			return nil, fmt.Errorf("invalid JSON: %w", err)
		}
		if _, err := dec.Token(); err != io.EOF {
			return nil, errors.New("invalid JSON: data after the top-level value")
		}
		return n, nil
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, nil // empty document: no rollouts
	}
	return doc.Content[0], nil
}

// jsonNode reads one JSON value from dec as a yaml.Node.
func jsonNode(dec *json.Decoder) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		end := json.Delim('}')
		if t == '[' {
			n.Kind, n.Tag, end = yaml.SequenceNode, "!!seq", ']'
		}
		for dec.More() {
			if n.Kind == yaml.MappingNode {
				k, err := dec.Token()
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k.(string)})
			}
			v, err := jsonNode(dec)
			if err != nil {
				return nil, err
			}
			n.Content = append(n.Content, v)
		}
		if tok, err := dec.Token(); err != nil || tok != end {
			return nil, fmt.Errorf("unterminated %v", t)
		}
		return n, nil
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}, nil
	case json.Number:
		tag := "!!int"
		if strings.ContainsAny(string(t), ".eE") {
			tag = "!!float"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(t)}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}, nil
	default: // nil
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
}

// decodeNode decodes n into v (settable), recursing through structs, slices
// and pointers, and leaves scalars to the YAML library.
func decodeNode(n *yaml.Node, v reflect.Value, at *path, ps *problems) {
	if n.Kind == yaml.AliasNode {
		target := n.Alias
		if ps.expanding[target] {
			ps.add(at, "alias *%s is inside its own anchor", n.Value)
			return
		}
		if ps.expanding == nil {
			ps.expanding = map[*yaml.Node]bool{}
		}
		ps.expanding[target] = true
		defer delete(ps.expanding, target)
		n = target
	}
	if len(ps.expanding) > 0 {
		if ps.aliased++; ps.aliased > maxAliased {
			if ps.aliased == maxAliased+1 {
				ps.add(at, "aliases expand to more than %d values", maxAliased)
			}
			return
		}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // absent
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		decodeNode(n, elem.Elem(), at, ps)
		v.Set(elem)
	case reflect.Struct:
		decodeStruct(n, v, at, ps)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if n.Kind == yaml.ScalarNode && v.Type().Elem().Kind() == reflect.String {
				// A single value where a list is expected: a list of one.
				s := reflect.MakeSlice(v.Type(), 1, 1)
				decodeNode(n, s.Index(0), at, ps)
				v.Set(s)
				return
			}
			ps.add(at, "want a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			decodeNode(c, s.Index(i), at.elem(i), ps)
		}
		v.Set(s)
	default:
		if n.Kind != yaml.ScalarNode {
			ps.add(at, "want a single value, got %s", describe(n))
			return
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			ps.add(at, "%s", cleanYAMLError(err))
		}
	}
}

func decodeStruct(n *yaml.Node, v reflect.Value, at *path, ps *problems) {
	if n.Kind != yaml.MappingNode {
		ps.add(at, "want a mapping, got %s", describe(n))
		return
	}
	t := v.Type()
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		sub := at.field(key)
		if seen[key] {
			ps.add(sub, "duplicate key")
			continue
		}
		seen[key] = true
		idx := fieldByTag(t, key)
		if idx < 0 {
			ps.add(sub, "unknown field")
			continue
		}
		decodeNode(n.Content[i+1], v.Field(idx), sub, ps)
	}
}

func fieldByTag(t reflect.Type, key string) int {
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("yaml")
		name, _, _ := strings.Cut(tag, ",")
		if name == key {
			return i
		}
	}
	return -1
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return strconv.Quote(clip(n.Value))
	}
}

// cleanYAMLError drops the library's "yaml: unmarshal errors: line N:"
// framing: the path already says where.
func cleanYAMLError(err error) string {
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg := te.Errors[0]
		if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "line ") {
			msg = rest
		}
		return msg
	}
	return err.Error()
}
