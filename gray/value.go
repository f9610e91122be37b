package gray

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// ValueKind is the JSON type of a [Value].
type ValueKind uint8

// The kinds a [Value] can have.
const (
	// ValueNone: no value (the zero Value, or null in a config).
	ValueNone ValueKind = iota
	// ValueBool: true or false.
	ValueBool
	// ValueNumber: a number, read as a float64 (and as an int64 when it is
	// a whole number in range).
	ValueNumber
	// ValueString: text.
	ValueString
	// ValueObject: a JSON object (a YAML mapping).
	ValueObject
	// ValueArray: a JSON array (a YAML list).
	ValueArray
)

var valueKindNames = [...]string{
	ValueNone:   "none",
	ValueBool:   "bool",
	ValueNumber: "number",
	ValueString: "string",
	ValueObject: "object",
	ValueArray:  "array",
}

// String returns the kind's name: "none", "bool", "number", "string",
// "object" or "array".
func (k ValueKind) String() string {
	if int(k) < len(valueKindNames) {
		return valueKindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is the typed value a variant serves, as declared by a variant's
// `value` (and a rollout's `default_value`) in the configuration: a bool, a
// number, a string, or a JSON object or array. The zero Value is no value.
//
// A Value is immutable and small: it is compiled once, when a configuration
// is loaded, and copied out of the compiled rollout by [Decision.Value]. Its
// scalar accessors ([Value.Bool], [Value.Float], [Value.Int], [Value.Text])
// and its JSON encoding ([Value.JSON]) never allocate; [Value.Any] builds a
// fresh copy of an object or array, so callers may modify what it returns.
//
// In configuration files a value is written as JSON or YAML, with the same
// strict reading as the rest of the document: numbers in decimal, no YAML
// tags other than the standard ones, no duplicate or non-text keys. Numbers
// inside objects and arrays are float64, as encoding/json reads them.
type Value struct {
	kind  ValueKind
	isInt bool   // a number written as a whole number that fits an int64
	bits  uint64 // bool: 0 or 1; number: int64 when isInt, else float64 bits
	str   string // string: the text
	enc   string // number, string, object, array: the JSON encoding
	tree  any    // object, array: map[string]any or []any, never handed out
}

// BoolValue returns a bool value.
func BoolValue(b bool) Value {
	v := Value{kind: ValueBool}
	if b {
		v.bits = 1
	}
	return v
}

// IntValue returns a number value that reads back exactly from [Value.Int].
func IntValue(i int64) Value {
	return Value{kind: ValueNumber, isInt: true, bits: uint64(i), enc: strconv.FormatInt(i, 10)}
}

// FloatValue returns a number value. A NaN or an infinity is not a JSON
// number: a configuration holding one is refused when it is compiled.
func FloatValue(f float64) Value {
	v := Value{kind: ValueNumber, bits: math.Float64bits(f)}
	if b, err := json.Marshal(f); err == nil { // not for NaN or an infinity
		v.enc = string(b)
	}
	return v
}

// StringValue returns a string value. Text that is not valid UTF-8 is
// refused when the configuration is compiled.
func StringValue(s string) Value {
	b, _ := json.Marshal(s) // a string always encodes (bad UTF-8 as U+FFFD)
	return Value{kind: ValueString, str: s, enc: string(b)}
}

// JSONValue reads a value from JSON (RFC 8259), as a configuration reads
// one: strictly, within the default limits of [ParseConfig]. JSON null
// gives the zero Value (no value). Errors are of type [*ConfigError].
func JSONValue(data []byte) (Value, error) {
	lim := parseLimits{}.withDefaults()
	if len(data) > lim.maxSize {
		return Value{}, &ConfigError{Problems: []Problem{*lim.sizeProblem(int64(len(data)))}}
	}
	r := jsonReader{data: data, lim: lim}
	n, prob := r.document()
	if prob != nil {
		return Value{}, &ConfigError{Problems: []Problem{*prob}}
	}
	ps := &problems{}
	d := decoder{ps: ps, maxValues: lim.maxValues}
	v := d.value(n, nil)
	if err := ps.err(); err != nil {
		return Value{}, err
	}
	return v, nil
}

// AnyValue returns the value that v encodes to with encoding/json: a bool,
// a number, a string, a map or struct (an object) or a slice (an array).
// nil gives the zero Value.
func AnyValue(v any) (Value, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return Value{}, fmt.Errorf("gray: value: %w", err)
	}
	return JSONValue(data)
}

// Kind returns the value's JSON type; [ValueNone] for no value.
func (v Value) Kind() ValueKind { return v.kind }

// IsZero reports whether v is no value. Encoders that honour IsZero
// (encoding/json's omitzero, YAML's omitempty) leave it out.
func (v Value) IsZero() bool { return v.kind == ValueNone }

// Bool returns the value of a bool; ok is false for any other kind.
func (v Value) Bool() (b, ok bool) {
	return v.bits == 1, v.kind == ValueBool
}

// Float returns a number as a float64; ok is false for any other kind.
func (v Value) Float() (f float64, ok bool) {
	if v.kind != ValueNumber {
		return 0, false
	}
	if v.isInt {
		return float64(int64(v.bits)), true
	}
	return math.Float64frombits(v.bits), true
}

// Int returns a whole number as an int64; ok is false for any other kind,
// for a number with a fraction and for one outside the int64 range.
func (v Value) Int() (i int64, ok bool) {
	if v.kind != ValueNumber {
		return 0, false
	}
	if v.isInt {
		return int64(v.bits), true
	}
	f := math.Float64frombits(v.bits)
	// -2^63 is an int64; 2^63 is not.
	if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// Text returns the text of a string; ok is false for any other kind.
func (v Value) Text() (s string, ok bool) {
	if v.kind != ValueString {
		return "", false
	}
	return v.str, true
}

// JSON returns the value's JSON encoding, e.g. `true`, `5`, `"blue"` or
// `{"color":"blue"}` (object keys sorted); "null" for no value. It is
// prepared when the value is made, so it does not allocate.
func (v Value) JSON() string {
	switch v.kind {
	case ValueBool:
		if v.bits == 1 {
			return "true"
		}
		return "false"
	case ValueNumber, ValueString, ValueObject, ValueArray:
		if v.enc != "" {
			return v.enc
		}
	}
	return "null" // no value, or a number that is not a JSON number (refused when compiled)
}

// String returns the value's JSON encoding, as [Value.JSON].
func (v Value) String() string { return v.JSON() }

// Any returns the value as encoding/json decodes it into an any: nil, a
// bool, a float64, a string, a map[string]any or a []any. Objects and
// arrays are fresh copies on every call.
func (v Value) Any() any {
	switch v.kind {
	case ValueBool:
		return v.bits == 1
	case ValueNumber:
		f, _ := v.Float()
		return f
	case ValueString:
		return v.str
	case ValueObject, ValueArray:
		return deepCopy(v.tree)
	}
	return nil
}

// Equal reports whether v and w are the same JSON value; a whole number
// equals the same number written with a fraction (5 and 5.0).
func (v Value) Equal(w Value) bool {
	if v.kind != w.kind {
		return false
	}
	switch v.kind {
	case ValueBool:
		return v.bits == w.bits
	case ValueNumber:
		if v.isInt && w.isInt {
			return v.bits == w.bits
		}
		a, _ := v.Float()
		b, _ := w.Float()
		return a == b
	case ValueString, ValueObject, ValueArray:
		return v.enc == w.enc && v.str == w.str
	}
	return true
}

// MarshalJSON encodes the value as [Value.JSON] does.
func (v Value) MarshalJSON() ([]byte, error) {
	if v.kind == ValueNumber && !v.isInt {
		if f := math.Float64frombits(v.bits); math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("gray: value: %v is not a JSON number", f)
		}
	}
	return []byte(v.JSON()), nil
}

// UnmarshalJSON reads the value as [JSONValue] does.
func (v *Value) UnmarshalJSON(data []byte) error {
	w, err := JSONValue(data)
	if err != nil {
		return err
	}
	*v = w
	return nil
}

// MarshalYAML encodes the value as YAML: a scalar, a mapping or a list.
func (v Value) MarshalYAML() (any, error) {
	switch v.kind {
	case ValueNumber:
		if v.isInt {
			return int64(v.bits), nil
		}
		return math.Float64frombits(v.bits), nil
	case ValueObject, ValueArray:
		return v.tree, nil // only read by the encoder
	}
	return v.Any(), nil
}

// UnmarshalYAML reads the value from a YAML node, strictly, as
// [ParseConfig] reads a variant's value.
func (v *Value) UnmarshalYAML(n *yaml.Node) error {
	lim := parseLimits{}.withDefaults()
	ps := &problems{}
	d := decoder{ps: ps, maxValues: lim.maxValues}
	var w Value
	if n.Kind != yaml.ScalarNode || n.Tag != "!!null" {
		w = d.value(n, nil)
	}
	if err := ps.err(); err != nil {
		return err
	}
	*v = w
	return nil
}

func deepCopy(t any) any {
	switch t := t.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []any:
		s := make([]any, len(t))
		for i, x := range t {
			s[i] = deepCopy(x)
		}
		return s
	}
	return t
}

// problem says what is wrong with a value built in Go (one read from a
// document is checked as it is read), or "".
func (v Value) problem() string {
	switch v.kind {
	case ValueNumber:
		if f := math.Float64frombits(v.bits); !v.isInt && (math.IsNaN(f) || math.IsInf(f, 0)) {
			return fmt.Sprintf("%v is not a JSON number", f)
		}
	case ValueString:
		if !utf8.ValidString(v.str) {
			return "text that is not valid UTF-8"
		}
	case ValueNone, ValueBool, ValueObject, ValueArray:
	default:
		return "not a value"
	}
	return ""
}

// Decoding. A value is read from the document tree the decoder reads (JSON
// through jsonReader, YAML through the YAML library), under the same value
// count, depth and alias limits as the rest of the document.

var valueType = reflect.TypeFor[Value]()

// value decodes the value at n, which is not null at the top (the caller
// leaves a null out: no value). Problems are reported to d.ps.
func (d *decoder) value(n *yaml.Node, at *path) Value {
	tree, ok := d.valueTree(n, at)
	if !ok {
		return Value{}
	}
	switch t := tree.(type) {
	case bool:
		return BoolValue(t)
	case string:
		return StringValue(t)
	case valueNumber:
		if t.isInt {
			return IntValue(t.i)
		}
		return FloatValue(t.f)
	case nil:
		return Value{}
	}
	tree = plainNumbers(tree)
	enc, err := json.Marshal(tree)
	if err != nil { // cannot happen: the tree holds only JSON values
		d.ps.add(at, "%s", err.Error())
		return Value{}
	}
	kind := ValueObject
	if _, ok := tree.([]any); ok {
		kind = ValueArray
	}
	return Value{kind: kind, enc: string(enc), tree: tree}
}

// valueNumber is a number as read, before it is known whether it stands
// alone (and keeps an exact int64) or inside an object or array (a float64).
type valueNumber struct {
	f     float64
	i     int64
	isInt bool
}

// plainNumbers turns the valueNumbers in an object or array into float64s.
func plainNumbers(t any) any {
	switch t := t.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = plainNumbers(x)
		}
	case []any:
		for i, x := range t {
			t[i] = plainNumbers(x)
		}
	case valueNumber:
		return t.f
	}
	return t
}

// valueTree reads n into nil, a bool, a valueNumber, a string, a
// map[string]any or a []any. ok is false after a problem.
func (d *decoder) valueTree(n *yaml.Node, at *path) (tree any, ok bool) {
	ps := d.ps
	if n.Kind == yaml.AliasNode {
		target := n.Alias
		if d.expanding[target] {
			ps.add(at, "alias *%s is inside its own anchor", n.Value)
			return nil, false
		}
		if d.expanding == nil {
			d.expanding = map[*yaml.Node]bool{}
		}
		d.expanding[target] = true
		defer delete(d.expanding, target)
		n = target
	}
	if !d.count(at) {
		return nil, false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return d.valueScalar(n, at)
	case yaml.MappingNode, yaml.SequenceNode:
		if d.depth >= maxDepth {
			ps.add(at, "nested deeper than %d levels", maxDepth)
			return nil, false
		}
	default:
		ps.add(at, "not a value")
		return nil, false
	}
	d.depth++
	defer func() { d.depth-- }()
	ok = true
	if n.Kind == yaml.SequenceNode {
		list := make([]any, len(n.Content))
		for i, c := range n.Content {
			x, good := d.valueTree(c, at.elem(i))
			list[i], ok = x, ok && good
		}
		return list, ok
	}
	m := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || k.Tag == "!!merge" || k.Tag == "!!null" {
			ps.add(at, "a key in a value must be text, got %s", describeKey(k))
			ok = false
			continue
		}
		sub := at.field(k.Value)
		if !d.count(sub) {
			return nil, false
		}
		if _, dup := m[k.Value]; dup {
			ps.add(sub, "duplicate key")
			ok = false
			continue
		}
		x, good := d.valueTree(n.Content[i+1], sub)
		m[k.Value], ok = x, ok && good
	}
	return m, ok
}

func describeKey(k *yaml.Node) string {
	switch {
	case k.Tag == "!!merge":
		return "a merge key (<<)"
	case k.Tag == "!!null":
		return "null"
	}
	return describe(k)
}

// valueScalar reads a scalar, which may be null inside an object or array.
func (d *decoder) valueScalar(n *yaml.Node, at *path) (any, bool) {
	ps := d.ps
	switch n.Tag {
	case "!!null":
		return nil, true
	case "!!str", "!!timestamp":
		return n.Value, true // a YAML date is its text, as elsewhere
	case "!!bool":
		b, err := strconv.ParseBool(n.Value)
		if err != nil {
			ps.add(at, "%q is not true or false", n.Value)
			return nil, false
		}
		return b, true
	case "!!int", "!!float":
		if format := ambiguousNumber(n.Value); format != "" {
			ps.add(at, format, n.Value)
			return nil, false
		}
		if !decimal(n.Value) {
			ps.add(at, "%s is not a decimal number; a value's numbers are JSON numbers", n.Value)
			return nil, false
		}
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			ps.add(at, "%s is out of range for a number", n.Value)
			return nil, false
		}
		num := valueNumber{f: f}
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
			num.i, num.isInt = i, true
		}
		return num, true
	}
	ps.add(at, "the tag %s is not a JSON type (a value is null, true or false, a number, text, a list or a mapping)", clip(n.Tag))
	return nil, false
}

// Compiling. A rollout's values must all be one JSON type, so a caller that
// reads the rollout as a bool (OpenFeature's BooleanValue, say) gets a bool
// whatever variant a subject lands on: with mixed types, a share of the
// subjects would get a type error, and which share would change with every
// step of the rollout. If one variant has a value, every variant needs one,
// for the same reason.

// variantValue is one declared variant's value in a compiled rollout.
type variantValue struct {
	name string
	val  *Value // into the rollout's own copy
}

// valueOf returns the value of the named variant, or nil when it has none.
// It allocates nothing.
func (r *rollout) valueOf(variant string) *Value {
	if r == nil || r.values == nil {
		return nil
	}
	for i := range r.values {
		if r.values[i].name == variant {
			return r.values[i].val
		}
	}
	return nil
}

// compileValues checks spec's values and sets r.values. r.def and
// r.declared are set.
func compileValues(spec *Rollout, r *rollout, at *path, ps *compiler) {
	type declared struct {
		name string
		val  Value
		at   *path
	}
	var list []declared
	defAt := at.field("default_value")
	def := declared{name: r.def, val: spec.DefaultValue, at: defAt}
	for j, v := range spec.Variants {
		vp := at.field("variants").elem(j).field("value")
		if v.Name == r.def {
			if !v.Value.IsZero() && !def.val.IsZero() {
				ps.add(vp, "the default variant %q has a value in default_value already", v.Name)
				continue
			}
			if !v.Value.IsZero() {
				def.val, def.at = v.Value, vp
			}
			continue
		}
		list = append(list, declared{name: v.Name, val: v.Value, at: vp})
	}
	if len(spec.Variants) == 0 {
		list = append(list, declared{name: "canary", at: at.field("percent")})
	}
	list = append([]declared{def}, list...)

	var first *declared
	for i := range list {
		if !list[i].val.IsZero() {
			first = &list[i]
			break
		}
	}
	if first == nil {
		return // no values: the rollout serves variant names only
	}
	bad := false
	for i := range list {
		d := &list[i]
		switch {
		case d.val.IsZero() && d.at == defAt:
			ps.add(d.at, "required: the default variant %q needs a value, as the rollout's other variants have one", d.name)
		case d.val.IsZero() && len(spec.Variants) == 0:
			ps.add(d.at, "the variant %q that percent declares has no value; declare it under variants with a value", d.name)
		case d.val.IsZero():
			ps.add(d.at, "required: the variant %q needs a value, as the rollout's other variants have one", d.name)
		case d.val.problem() != "":
			ps.report(d.at, d.val.problem())
		case d.val.kind != first.val.kind:
			ps.add(d.at, "%s %s, but %s is %s %s: a rollout's values are all one type, so every subject can read it the same way",
				article(d.val.kind), d.val.kind.String(), first.at.String(), article(first.val.kind), first.val.kind.String())
		default:
			continue
		}
		bad = true
	}
	if bad {
		return
	}
	vals := make([]Value, len(list))
	r.values = make([]variantValue, len(list))
	for i, d := range list {
		vals[i] = d.val
		r.values[i] = variantValue{name: d.name, val: &vals[i]}
	}
}

func article(k ValueKind) string {
	if k == ValueObject || k == ValueArray {
		return "an"
	}
	return "a"
}
