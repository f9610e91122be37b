package gray

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ConfigError reports everything wrong with a configuration, each problem
// with the path of the value it concerns: the first 100 problems, and then
// one more that counts the rest.
type ConfigError struct {
	// Problems lists every problem found, in document order.
	Problems []Problem
}

// Problem is one error in a configuration.
type Problem struct {
	// Path locates the value, e.g. "rollouts[0].rules[2].when.regex"; empty
	// for the document as a whole. A key that is not a plain word (letters,
	// digits, '_', '-', ':') is quoted, and clipped past 100 bytes.
	Path string
	// Message says what is wrong with it; text it quotes from the document
	// is clipped past 100 bytes.
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
}

// maxProblems bounds the problems listed: a document with thousands of
// errors gets the first ones and a count of the rest.
const maxProblems = 100

// add records a problem with the value at. String arguments are text
// quoted from the document and are clipped, so that one huge value cannot
// make a huge error; the format is the message.
func (ps *problems) add(at *path, format string, args ...any) {
	for i, a := range args {
		if s, ok := a.(string); ok {
			args[i] = clip(s)
		}
	}
	ps.report(at, fmt.Sprintf(format, args...))
}

// report records a problem with the value at, with a message that quotes
// no more than a few words of the document.
func (ps *problems) report(at *path, msg string) {
	if len(ps.list) >= maxProblems {
		ps.dropped++
		return
	}
	ps.list = append(ps.list, Problem{Path: at.String(), Message: msg})
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
// tree (JSON through a reader of its own, since YAML parsers reject some
// valid JSON escapes), and the tree is then decoded field by field against
// out's type, so that unknown fields, duplicate keys and type errors are
// reported with their path rather than a line number. parsed is false when
// the document did not parse, so there is nothing to validate.
func decodeStrict(data []byte, out any, lim parseLimits) (ps *problems, parsed bool) {
	ps = &problems{}
	root, prob := parseTree(data, lim)
	if prob != nil {
		ps.list = append(ps.list, *prob)
		return ps, false
	}
	if root != nil {
		d := decoder{ps: ps, maxValues: lim.maxValues}
		d.decode(root, reflect.ValueOf(out).Elem(), nil)
	}
	return ps, true
}

// maxDepth bounds how deep collections nest in a document: a list or
// mapping inside maxDepth others is refused. The schema needs about 75
// levels (six to reach a rule's condition, two for each of up to
// maxConditionDepth all, any and not), so only a document built to exhaust
// the parser comes near it.
const maxDepth = 128

// parseTree parses the document into a tree; nil for an empty document. A
// document that does not parse is a problem for the document as a whole; one
// that breaks a limit is a problem where it does.
func parseTree(data []byte, lim parseLimits) (*yaml.Node, *Problem) {
	if len(data) > lim.maxSize {
		return nil, lim.sizeProblem(int64(len(data)))
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		r := jsonReader{data: trimmed, lim: lim}
		return r.document()
	}
	if yamlValueBound(data) > lim.maxValues {
		return nil, &Problem{Message: fmt.Sprintf("more than %d values in the document, by an estimate from its , : - ? [ and { (see WithMaxConfigValues)", lim.maxValues)}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Problem{Message: err.Error()}
	}
	if len(doc.Content) == 0 {
		return nil, nil // empty document: no rollouts
	}
	return doc.Content[0], nil
}

// decoder decodes a document tree into a value.
type decoder struct {
	ps *problems
	// depth is the number of collections around the value being decoded.
	depth int
	// values counts the values decoded, keys included, up to maxValues:
	// the parser counted the document's own, but aliases can repeat them
	// exponentially.
	values, maxValues int
	// expanding holds the anchors whose aliases are being decoded, to refuse
	// an alias inside its own anchor.
	expanding map[*yaml.Node]bool
}

// count counts one more value; false when that is one too many, which is
// reported once.
func (d *decoder) count(at *path) bool {
	if d.values++; d.values <= d.maxValues {
		return true
	}
	if d.values == d.maxValues+1 {
		if len(d.expanding) > 0 {
			d.ps.add(at, "aliases expand to more than %d values (see WithMaxConfigValues)", d.maxValues)
		} else {
			d.ps.add(at, "more than %d values in the document (see WithMaxConfigValues)", d.maxValues)
		}
	}
	return false
}

// decode decodes n into v (settable), recursing through structs, slices
// and pointers, and leaves scalars to the YAML library.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, at *path) {
	ps := d.ps
	if n.Kind == yaml.AliasNode {
		target := n.Alias
		if d.expanding[target] {
			ps.add(at, "alias *%s is inside its own anchor", n.Value)
			return
		}
		if d.expanding == nil {
			d.expanding = map[*yaml.Node]bool{}
		}
		d.expanding[target] = true
		defer delete(d.expanding, target)
		n = target
	}
	if !d.count(at) {
		return
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // absent
	}
	if (n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode) && d.depth >= maxDepth {
		ps.add(at, "nested deeper than %d levels", maxDepth)
		return
	}
	d.into(n, v, at)
}

// into decodes n, not an alias nor null, into v.
func (d *decoder) into(n *yaml.Node, v reflect.Value, at *path) {
	ps := d.ps
	if v.Type() == valueType { // a variant's value: any JSON value
		v.Set(reflect.ValueOf(d.value(n, at)))
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.into(n, elem.Elem(), at)
		v.Set(elem)
	case reflect.Struct:
		d.decodeStruct(n, v, at)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if n.Kind == yaml.ScalarNode && v.Type().Elem().Kind() == reflect.String {
				// A single value where a list is expected: a list of one.
				s := reflect.MakeSlice(v.Type(), 1, 1)
				d.into(n, s.Index(0), at)
				v.Set(s)
				return
			}
			ps.add(at, "want a list, got %s", describe(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		d.depth++
		for i, c := range n.Content {
			d.decode(c, s.Index(i), at.elem(i))
		}
		d.depth--
		v.Set(s)
	default:
		if n.Kind != yaml.ScalarNode {
			ps.add(at, "want a single value, got %s", describe(n))
			return
		}
		if isNumber(v.Kind()) && (n.Tag == "!!int" || n.Tag == "!!float") {
			if format := ambiguousNumber(n.Value); format != "" {
				ps.add(at, format, n.Value)
				return
			}
		}
		if decodeScalar(n, v) {
			return
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			ps.report(at, cleanYAMLError(err))
		}
	}
}

// decodeScalar decodes the common scalars as the YAML library does, without
// the decoder it builds for every call (most of the allocation of a long
// list): text into a string, a decimal number into a float64. It reports
// false for anything else, explicit tags included.
func decodeScalar(n *yaml.Node, v reflect.Value) bool {
	if n.Style&yaml.TaggedStyle != 0 {
		return false
	}
	switch v.Kind() {
	case reflect.String:
		switch n.Tag {
		case "!!str", "!!int", "!!float", "!!bool", "!!timestamp":
			v.SetString(n.Value) // a number or bool counts as its text
			return true
		}
	case reflect.Float64:
		if (n.Tag == "!!int" || n.Tag == "!!float") && decimal(n.Value) {
			f, err := strconv.ParseFloat(n.Value, 64)
			if err == nil {
				v.SetFloat(f)
				return true
			}
		}
	}
	return false
}

func isNumber(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// ambiguousNumber says what is wrong with a YAML number that readers of
// YAML 1.1 and 1.2 read differently (the YAML library follows 1.1 here):
// "010" is 8 to one and 10 to the other, "0o10" is 8 or text, "1_000" is
// 1000 or text, "0b10" is 2 or text. Numbers are written in decimal, as
// JSON has them; "0x10", the same in both, goes with them. It returns the
// problem as a format for the number, or "" when s is fine.
func ambiguousNumber(s string) string {
	digits := strings.TrimLeft(s, "+-")
	switch {
	case len(digits) > 1 && digits[0] == '0' && isDigit(digits[1]):
		return "%s has a leading zero, which YAML readers disagree on (octal in YAML 1.1, decimal in YAML 1.2); write it without"
	case strings.Contains(digits, "_"), len(digits) > 1 && digits[0] == '0' && strings.ContainsRune("xXoObB", rune(digits[1])):
		return "%s is not a decimal number; write numbers in decimal"
	}
	return ""
}

// decimal reports whether s is a number in plain decimal notation, with
// no leading zero: [-+]?(0|[1-9][0-9]*)(\.[0-9]*)?([eE][-+]?[0-9]+)?
func decimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == start || s[start] == '0' && i-start > 1 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && isDigit(s[i]); i++ {
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		exp := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == exp {
			return false
		}
	}
	return i == len(s)
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, at *path) {
	ps := d.ps
	if n.Kind != yaml.MappingNode {
		ps.add(at, "want a mapping, got %s", describe(n))
		return
	}
	t := v.Type()
	seen := make(map[string]bool, len(n.Content)/2)
	d.depth++
	defer func() { d.depth-- }()
	for i := 0; i+1 < len(n.Content); i += 2 {
		key := n.Content[i].Value
		sub := at.field(key)
		if !d.count(sub) {
			return
		}
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
		d.decode(n.Content[i+1], v.Field(idx), sub)
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
