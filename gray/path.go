package gray

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// path locates a value in a configuration: a chain of field names and list
// indexes up to the root (nil). It is built on the stack as the decoder and
// the compiler descend and rendered as text ("rollouts[0].rules[2].when")
// only when a problem is reported, so the cost of a document's paths grows
// with its size, not with the square of its depth.
type path struct {
	up    *path
	name  string // the field name; "" for a list element
	index int    // the list index, when name is ""
}

// field returns the path of the named field of p's value.
func (p *path) field(name string) *path { return &path{up: p, name: name} }

// elem returns the path of element i of p's list.
func (p *path) elem(i int) *path { return &path{up: p, index: i} }

// String renders the path. A field name that is not a plain word is quoted
// and clipped, so a hostile key cannot forge lines or flood an error.
func (p *path) String() string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	p.write(&b)
	return b.String()
}

// write renders the path root first. It recurses rather than collecting the
// steps, so that no step is stored and every step can live on the stack.
func (p *path) write(b *strings.Builder) {
	if p.up != nil {
		p.up.write(b)
	}
	if p.name == "" {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(p.index))
		b.WriteByte(']')
		return
	}
	if p.up != nil {
		b.WriteByte('.')
	}
	if plainWord(p.name) {
		b.WriteString(p.name)
	} else {
		b.WriteString(strconv.Quote(clip(p.name)))
	}
}

// plainWord reports whether s can stand in a path unquoted: every field of
// the schema and every sensible key.
func plainWord(s string) bool {
	if s == "" || len(s) > maxClip {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// maxClip is the length beyond which text quoted from a document into an
// error is cut short.
const maxClip = 100

// clip cuts s to about maxClip bytes, at a character boundary, marking the
// cut with "…".
func clip(s string) string {
	if len(s) <= maxClip {
		return s
	}
	cut := maxClip
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
