package gray

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// jsonReader reads a JSON document (RFC 8259) into the yaml.Node tree the
// decoder reads, so that JSON and YAML are one schema with one set of
// errors. It reads the bytes in place, recursing at most maxDepth levels, and
// stops at the first syntax error or broken limit: a hostile document costs
// no more than the part of it that is read.
type jsonReader struct {
	data   []byte
	pos    int
	lim    parseLimits
	values int // read so far, keys included
}

// document reads the whole document: one value and nothing after it.
func (r *jsonReader) document() (*yaml.Node, *Problem) {
	n, prob := r.value(nil, 0)
	if prob != nil {
		return nil, prob
	}
	r.skipSpace()
	if r.pos < len(r.data) {
		return nil, r.syntax("data after the top-level value")
	}
	return n, nil
}

// value reads the value at r.pos, which depth collections enclose.
func (r *jsonReader) value(at *path, depth int) (*yaml.Node, *Problem) {
	if prob := r.count(at); prob != nil {
		return nil, prob
	}
	r.skipSpace()
	switch c := r.peek(); {
	case c == '{' || c == '[':
		return r.collection(at, depth)
	case c == '"':
		s, prob := r.str()
		if prob != nil {
			return nil, prob
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}, nil
	case c == '-' || '0' <= c && c <= '9':
		return r.number()
	}
	for _, lit := range [...]struct{ text, tag string }{{"true", "!!bool"}, {"false", "!!bool"}, {"null", "!!null"}} {
		if bytes.HasPrefix(r.data[r.pos:], []byte(lit.text)) {
			r.pos += len(lit.text)
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: lit.tag, Value: lit.text}, nil
		}
	}
	if r.pos >= len(r.data) {
		return nil, r.syntax("unexpected end of document")
	}
	return nil, r.syntax("want a value")
}

// collection reads an object or an array.
func (r *jsonReader) collection(at *path, depth int) (*yaml.Node, *Problem) {
	if depth >= maxDepth {
		return nil, &Problem{Path: at.String(), Message: fmt.Sprintf("nested deeper than %d levels", maxDepth)}
	}
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	closer := byte('}')
	if r.data[r.pos] == '[' {
		n.Kind, n.Tag, closer = yaml.SequenceNode, "!!seq", ']'
	}
	r.pos++
	r.skipSpace()
	if r.peek() == closer {
		r.pos++
		return n, nil
	}
	for i := 0; ; i++ {
		var sub *path
		if n.Kind == yaml.SequenceNode {
			sub = at.elem(i)
		} else {
			r.skipSpace()
			if r.peek() != '"' {
				return nil, r.syntax("want a string key")
			}
			key, prob := r.str()
			if prob != nil {
				return nil, prob
			}
			if prob := r.count(at.field(key)); prob != nil {
				return nil, prob
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key})
			r.skipSpace()
			if r.peek() != ':' {
				return nil, r.syntax("want ':' after a key")
			}
			r.pos++
			sub = at.field(key)
		}
		v, prob := r.value(sub, depth+1)
		if prob != nil {
			return nil, prob
		}
		n.Content = append(n.Content, v)
		r.skipSpace()
		switch r.peek() {
		case ',':
			r.pos++
		case closer:
			r.pos++
			return n, nil
		default:
			return nil, r.syntax(fmt.Sprintf("want ',' or '%c'", closer))
		}
	}
}

// str reads a string. One without escapes or invalid UTF-8, the usual
// kind, is copied once; the rest go to encoding/json, which replaces invalid
// UTF-8 with U+FFFD.
func (r *jsonReader) str() (string, *Problem) {
	start := r.pos
	escaped, ascii := false, true
	for r.pos++; r.pos < len(r.data); r.pos++ {
		switch c := r.data[r.pos]; {
		case c == '"':
			r.pos++
			raw := r.data[start+1 : r.pos-1]
			if !escaped && (ascii || utf8.Valid(raw)) {
				return string(raw), nil
			}
			var s string
			if err := json.Unmarshal(r.data[start:r.pos], &s); err != nil {
				r.pos = start
				return "", r.syntax("bad escape in a string")
			}
			return s, nil
		case c == '\\':
			escaped = true
			r.pos++ // the escaped byte, checked by encoding/json
		case c < 0x20:
			return "", r.syntax("control character in a string")
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	r.pos = start
	return "", r.syntax("unterminated string")
}

// number reads a number as its text: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (r *jsonReader) number() (*yaml.Node, *Problem) {
	start := r.pos
	if r.peek() == '-' {
		r.pos++
	}
	switch {
	case r.peek() == '0':
		r.pos++
		if isDigit(r.peek()) {
			return nil, r.syntax("number with a leading zero")
		}
	case isDigit(r.peek()):
		r.digits()
	default:
		return nil, r.syntax("want a digit")
	}
	tag := "!!int"
	if r.peek() == '.' {
		r.pos++
		if !isDigit(r.peek()) {
			return nil, r.syntax("want a digit after '.'")
		}
		r.digits()
		tag = "!!float"
	}
	if c := r.peek(); c == 'e' || c == 'E' {
		r.pos++
		if c := r.peek(); c == '+' || c == '-' {
			r.pos++
		}
		if !isDigit(r.peek()) {
			return nil, r.syntax("want a digit in the exponent")
		}
		r.digits()
		tag = "!!float"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(r.data[start:r.pos])}, nil
}

// count counts one more value, refusing one too many.
func (r *jsonReader) count(at *path) *Problem {
	if r.values++; r.values > r.lim.maxValues {
		return &Problem{Path: at.String(), Message: r.lim.valuesMessage()}
	}
	return nil
}

func (r *jsonReader) digits() {
	for isDigit(r.peek()) {
		r.pos++
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// peek returns the byte at r.pos, or 0 at the end.
func (r *jsonReader) peek() byte {
	if r.pos < len(r.data) {
		return r.data[r.pos]
	}
	return 0
}

func (r *jsonReader) skipSpace() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

// syntax reports a syntax error at r.pos, for the document as a whole.
func (r *jsonReader) syntax(msg string) *Problem {
	line := 1 + bytes.Count(r.data[:r.pos], []byte{'\n'})
	col := 1 + utf8.RuneCount(r.data[bytes.LastIndexByte(r.data[:r.pos], '\n')+1:r.pos])
	return &Problem{Message: fmt.Sprintf("invalid JSON at line %d, column %d: %s", line, col, msg)}
}
