package gray

import (
	"encoding/binary"
	"net/netip"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/mod/semver"
)

type fieldKind uint8

const (
	fieldNone fieldKind = iota // time conditions without a field
	fieldKey
	fieldIP
	fieldMethod
	fieldPath
	fieldHost
	fieldHeader
	fieldCookie
	fieldQuery
	fieldAttr
	fieldRollout // the variant of another rollout: a prerequisite in a rule
)

type field struct {
	kind fieldKind
	name string // for header (canonical), cookie, query, attr
}

func parseField(s string) (field, bool) {
	switch s {
	case "key":
		return field{kind: fieldKey}, true
	case "ip":
		return field{kind: fieldIP}, true
	case "method":
		return field{kind: fieldMethod}, true
	case "path":
		return field{kind: fieldPath}, true
	case "host":
		return field{kind: fieldHost}, true
	}
	prefix, name, ok := strings.Cut(s, ":")
	if !ok || name == "" {
		return field{}, false
	}
	switch prefix {
	case "header":
		return field{kind: fieldHeader, name: textproto.CanonicalMIMEHeaderKey(name)}, true
	case "cookie":
		return field{kind: fieldCookie, name: name}, true
	case "query":
		return field{kind: fieldQuery, name: name}, true
	case "attr":
		return field{kind: fieldAttr, name: name}, true
	case "rollout":
		return field{kind: fieldRollout, name: name}, true
	}
	return field{}, false
}

// get returns the field's value for the subject of ev and whether it is
// present.
func (f field) get(ev *evalCtx) (string, bool) {
	s := ev.s
	switch f.kind {
	case fieldKey:
		return s.Key, s.Key != ""
	case fieldAttr:
		return s.attr(f.name)
	case fieldRollout:
		return ev.variantOf(f.name), true
	}
	if s.Request == nil {
		return "", false
	}
	var v string
	switch f.kind {
	case fieldHeader:
		return s.Request.Header(f.name)
	case fieldCookie:
		return s.Request.Cookie(f.name)
	case fieldQuery:
		return s.Request.Query(f.name)
	case fieldIP:
		v = s.Request.ClientIP()
	case fieldMethod:
		v = s.Request.Method()
	case fieldPath:
		v = s.Request.Path()
	case fieldHost:
		v = s.Request.Host()
	}
	return v, v != ""
}

type opKind uint8

const (
	opEq opKind = iota
	opIn
	opNotIn
	opPrefix
	opSuffix
	opContains
	opRegex
	opLt
	opLte
	opGt
	opGte
	opSemverEq
	opSemverLt
	opSemverLte
	opSemverGt
	opSemverGte
	opCIDR
	opPresent
	opAfter
	opBefore
	opAll
	opAny
	opNot
	opSegment // a named segment: subs[0], shared with every other use
)

// smallSet is the size up to which a list is scanned rather than hashed.
const smallSet = 8

// cond is a compiled condition. One struct for every operator keeps
// evaluation a switch, with no interface calls and no allocation.
type cond struct {
	op    opKind
	field field
	desc  string // the condition as written, for explanations

	str     string              // eq, prefix, suffix, contains; semver (the operand with a leading "v")
	list    []string            // in, not_in (small)
	set     map[string]struct{} // in, not_in (large)
	re      *regexp.Regexp
	reLit   string // a literal every match contains, checked first
	num     float64
	nets    ipSet
	major   int // the semver operand's major version, for a pre-check
	present bool
	at      time.Time
	subs    []cond
}

// evalCtx carries what one evaluation needs beyond the subject.
type evalCtx struct {
	s     *Subject
	snap  *snapshot // for rollout:NAME fields and prerequisites
	clock func() time.Time
	now   time.Time
	trace *[]TraceStep // nil unless explaining
}

func (ev *evalCtx) time() time.Time {
	if ev.now.IsZero() {
		ev.now = ev.clock()
	}
	return ev.now
}

func (c *cond) match(ev *evalCtx) bool {
	// The common case first: a leaf on a field, not explaining.
	if c.op < opAll && c.field.kind != fieldNone && ev.trace == nil {
		var v string
		var present bool
		switch s := ev.s; c.field.kind { // the commonest fields without get's call
		case fieldAttr:
			if v, present = s.Attrs[c.field.name]; !present && s.Request != nil {
				v, present = s.attr(c.field.name)
			}
		case fieldKey:
			v, present = s.Key, s.Key != ""
		default:
			v, present = c.field.get(ev)
		}
		if c.op == opIn && present { // the commonest rule, a list: skip test's dispatch
			return c.inList(v)
		}
		return c.test(v, present)
	}
	switch c.op {
	case opAll:
		for i := range c.subs {
			if !c.subs[i].match(ev) {
				return false
			}
		}
		return true
	case opAny:
		for i := range c.subs {
			if c.subs[i].match(ev) {
				return true
			}
		}
		return false
	case opNot:
		return !c.subs[0].match(ev)
	case opSegment:
		if ev.trace == nil {
			return c.subs[0].match(ev)
		}
		mark := len(*ev.trace)
		ok := c.subs[0].match(ev)
		for j := mark; j < len(*ev.trace); j++ { // say where the leaf comes from
			(*ev.trace)[j].Condition = c.desc + ": " + (*ev.trace)[j].Condition
		}
		return ok
	}
	if c.field.kind == fieldNone { // after/before on the current time
		now := ev.time()
		ok := c.op == opAfter && now.After(c.at) || c.op == opBefore && now.Before(c.at)
		if ev.trace != nil {
			*ev.trace = append(*ev.trace, TraceStep{Condition: c.desc, Value: now.Format(time.RFC3339), Present: true, Matched: ok})
		}
		return ok
	}
	v, present := c.field.get(ev)
	ok := c.test(v, present)
	if ev.trace != nil {
		*ev.trace = append(*ev.trace, TraceStep{Condition: c.desc, Value: v, Present: present, Matched: ok})
	}
	return ok
}

func (c *cond) test(v string, present bool) bool {
	if c.op == opPresent {
		return present == c.present
	}
	if !present {
		return false
	}
	switch c.op {
	case opEq:
		return v == c.str
	case opIn:
		return c.inList(v)
	case opNotIn:
		return !c.inList(v)
	case opPrefix:
		return strings.HasPrefix(v, c.str)
	case opSuffix:
		return strings.HasSuffix(v, c.str)
	case opContains:
		return strings.Contains(v, c.str)
	case opRegex:
		if c.reLit != "" && !strings.Contains(v, c.reLit) {
			return false
		}
		return c.re.MatchString(v)
	case opLt, opLte, opGt, opGte:
		n, ok := parseNumber(v)
		if !ok {
			return false
		}
		switch c.op {
		case opLt:
			return n < c.num
		case opLte:
			return n <= c.num
		case opGt:
			return n > c.num
		default:
			return n >= c.num
		}
	case opSemverEq, opSemverLt, opSemverLte, opSemverGt, opSemverGte:
		return c.semver(v)
	case opCIDR:
		if x, ok := parseIPv4(v); ok {
			return c.nets.contains4(x)
		}
		addr, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		return c.nets.contains(addr)
	case opAfter, opBefore:
		t, ok := parseRFC3339(v)
		if !ok {
			return false
		}
		if c.op == opAfter {
			return t.After(c.at)
		}
		return t.Before(c.at)
	}
	return false
}

func (c *cond) inList(v string) bool {
	if c.set != nil {
		_, ok := c.set[v]
		return ok
	}
	for _, s := range c.list {
		if s == v {
			return true
		}
	}
	return false
}

// maxVersionLen bounds the version text compared: a longer value (no real
// version is 64 bytes long) matches no semver operator, and the text fits a
// stack buffer.
const maxVersionLen = 64

func (c *cond) semver(v string) bool {
	if len(v) == 0 || len(v) >= maxVersionLen {
		return false
	}
	// Pre-check on the major version alone: v with a smaller major compares
	// below the operand whether it is otherwise valid or not (an invalid
	// version compares below every valid one), so eq, gt and gte are false
	// without a parse. Everything else goes to the library.
	if c.op == opSemverEq || c.op == opSemverGt || c.op == opSemverGte {
		if m, ok := leadingMajor(v); ok && m < c.major {
			return false
		}
	}
	// golang.org/x/mod/semver wants a leading "v"; add it in a stack buffer
	// rather than allocating a new string on every request.
	var buf [maxVersionLen]byte
	if v[0] != 'v' {
		buf[0] = 'v'
		n := 1 + copy(buf[1:], v)
		v = unsafe.String(&buf[0], n)
	}
	// An invalid version compares below every valid one, so a result at or
	// above the (valid) configured version proves v valid; only answers that
	// rest on "below" need the extra validity check.
	cmp := semver.Compare(v, c.str)
	var ok bool
	switch c.op {
	case opSemverEq:
		ok = cmp == 0
	case opSemverLt:
		ok = cmp < 0
	case opSemverLte:
		ok = cmp <= 0
	case opSemverGt:
		ok = cmp > 0
	default:
		ok = cmp >= 0
	}
	if ok && cmp < 0 {
		ok = semver.IsValid(v)
	}
	return ok
}

// TraceStep records one leaf condition evaluated during [Engine.Explain].
type TraceStep struct {
	// Rule is the rule the condition belongs to.
	Rule string `json:"rule"`
	// Condition is the condition as configured, e.g. `header:X-Gray in [canary]`.
	Condition string `json:"condition"`
	// Value is the value the subject had for the condition's field.
	Value string `json:"value"`
	// Present says whether the subject had the field at all.
	Present bool `json:"present"`
	// Matched says whether the condition held.
	Matched bool `json:"matched"`
}

// leadingMajor reads the major version of "vMAJOR…" or "MAJOR…": the
// digits up to a '.', '-', '+' or the end. It reports false for anything the
// semver grammar would reject there (no digits, a leading zero, too long).
func leadingMajor(v string) (int, bool) {
	if len(v) > 0 && v[0] == 'v' {
		v = v[1:]
	}
	i, m := 0, 0
	for ; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		if i > 8 {
			return 0, false
		}
		m = m*10 + int(v[i]-'0')
	}
	switch {
	case i == 0, v[0] == '0' && i > 1:
		return 0, false
	case i < len(v) && v[i] != '.' && v[i] != '-' && v[i] != '+':
		return 0, false
	}
	return m, true
}

// ipSet is a list of CIDR prefixes prepared for fast membership tests:
// IPv4 prefixes as network and mask words, IPv6 ones as two halves.
type ipSet struct {
	v4 []struct{ net, mask uint32 }
	v6 []struct{ hi, lo, maskHi, maskLo uint64 }
}

func (s *ipSet) add(p netip.Prefix) {
	a, bits := p.Addr(), p.Bits()
	if a.Is4() {
		b := a.As4()
		mask := ^uint32(0) << (32 - bits) // 0 for bits == 0: Go shifts past the width to 0
		s.v4 = append(s.v4, struct{ net, mask uint32 }{binary.BigEndian.Uint32(b[:]) & mask, mask})
		return
	}
	b := a.As16()
	var mhi, mlo uint64
	switch {
	case bits >= 64:
		mhi, mlo = ^uint64(0), ^uint64(0)<<(128-bits) // mlo is 0 for bits == 64
	case bits > 0:
		mhi = ^uint64(0) << (64 - bits)
	}
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	s.v6 = append(s.v6, struct{ hi, lo, maskHi, maskLo uint64 }{hi & mhi, lo & mlo, mhi, mlo})
}

func (s *ipSet) contains(a netip.Addr) bool {
	if a.Zone() != "" {
		return false // as netip.Prefix.Contains: a zoned address matches no prefix
	}
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		return s.contains4(binary.BigEndian.Uint32(b[:]))
	}
	b := a.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	for _, n := range s.v6 {
		if hi&n.maskHi == n.hi && lo&n.maskLo == n.lo {
			return true
		}
	}
	return false
}

// contains4 reports whether the IPv4 address x (big-endian word) is in the set.
func (s *ipSet) contains4(x uint32) bool {
	for _, n := range s.v4 {
		if x&n.mask == n.net {
			return true
		}
	}
	return false
}

// parseIPv4 parses the common form of a client address, dotted decimal
// IPv4 with no leading zeros, several times faster than netip.ParseAddr.
// It reports false for anything else (IPv6, zones, malformed text), which
// the caller hands to netip.ParseAddr; TestParseIPv4AgreesWithNetip holds
// it to netip's answer wherever it reports true.
func parseIPv4(s string) (uint32, bool) {
	if len(s) < 7 || len(s) > 15 {
		return 0, false
	}
	var x uint32
	fields, val, digits := 0, uint32(0), 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if digits == 1 && val == 0 {
				return 0, false // leading zero
			}
			val = val*10 + uint32(c-'0')
			digits++
			if val > 255 {
				return 0, false
			}
		case c == '.' && digits > 0 && fields < 3:
			x = x<<8 | val
			fields++
			val, digits = 0, 0
		default:
			return 0, false
		}
	}
	if fields != 3 || digits == 0 {
		return 0, false
	}
	return x<<8 | val, true
}

// parseNumber parses a request value as a float64. Plain integers (the
// usual case: counts, IDs, tiers) are read digit by digit, several times cheaper
// than ParseFloat; anything else goes to ParseFloat. NaN is not a number.
func parseNumber(v string) (float64, bool) {
	v = strings.TrimSpace(v)
	if i, ok := plainInt(v); ok {
		return float64(i), true
	}
	n, err := strconv.ParseFloat(v, 64)
	return n, err == nil && n == n
}

// plainInt parses v if it is an optional '-' and 1 to 15 digits: an
// integer float64 holds exactly.
func plainInt(v string) (int64, bool) {
	digits := v
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 15 {
		return 0, false
	}
	var n int64
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if len(digits) < len(v) {
		n = -n
	}
	return n, true
}
