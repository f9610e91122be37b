package gray

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/semver"
)

// snapshot is a compiled, immutable configuration. The engine swaps whole
// snapshots atomically; evaluation reads one without locks.
type snapshot struct {
	cfg      *Config
	clock    func() time.Time // the engine's, for time-window conditions
	byName   map[string]*rollout
	rollouts []*rollout    // in config order
	replaced chan struct{} // closed when a newer snapshot replaces this one
}

// linearFind is the number of rollouts up to which find compares names one
// by one: for a handful of rollouts that is cheaper than hashing the name.
const linearFind = 8

// find returns the rollout of that name, or nil.
func (snap *snapshot) find(name string) *rollout {
	if len(snap.rollouts) <= linearFind {
		for _, r := range snap.rollouts {
			if r.name == name {
				return r
			}
		}
		return nil
	}
	return snap.byName[name]
}

// rollout is a compiled Rollout.
type rollout struct {
	name     string
	salt     string
	def      string
	enabled  bool
	variants []variantRange
	declared map[string]bool
	rules    []rule
	values   []variantValue // nil when the variants carry no values

	// Targeting depth (targeting.go).
	index   int       // position in Config.Rollouts
	by      bucketing // what the split hashes; the key by default
	prereqs []prereq
	refs    []rolloutRef // rollouts this one reads: prerequisites, rollout:NAME fields
	offset  int          // start of the rollout's slice of its layer; 0 outside one
	layer   string
	// ring, when set, is the variants' ranges in the ring layout
	// (layout.go); nil for consecutive ranges.
	ring []interval
	// subjects are the run-time overrides of single subjects: key →
	// variant (subjectoverride.go). Nil when there are none.
	subjects map[string]string
}

// variantRange owns buckets [previous end, end).
type variantRange struct {
	name string
	end  int
}

type rule struct {
	name      string
	serve     string
	threshold int // subjects with bucket < threshold get serve
	when      cond
	by        bucketing // the share's bucketing, when the rule has its own
}

// threshold turns a percentage into a bucket count: round(p*100).
func threshold(p float64) int { return int(math.Round(p * 100)) }

// checkPercent reports what is wrong with a percentage, or "".
func checkPercent(p float64) string {
	switch {
	case math.IsNaN(p) || math.IsInf(p, 0):
		return "not a number"
	case p < 0:
		return fmt.Sprintf("%v is below 0", p)
	case p > 100:
		return fmt.Sprintf("%v is above 100", p)
	case math.Abs(p*100-math.Round(p*100)) > 1e-6:
		return fmt.Sprintf("%v has more than two decimals", p)
	}
	return ""
}

// compile validates cfg and prepares everything evaluation needs. Every
// problem is reported, each with its path.
func compile(cfg *Config) (*snapshot, error) {
	snap, ps := compileConfig(cfg)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return snap, nil
}

// compiler carries what compiling one config gathers: its problems, and
// the size of its regexes so far.
type compiler struct {
	*problems
	regexSize int
	// segments are the compiled segments, each a one-element slice that
	// every use shares; segmentRefs the rollouts each reads.
	segments    map[string][]cond
	segmentRefs map[string][]rolloutRef
	// refs gathers the rollouts read by what is being compiled.
	refs []rolloutRef
}

// compileConfig is compile with the problems as found; the snapshot is nil
// when there are any.
func compileConfig(cfg *Config) (*snapshot, *problems) {
	ps := &compiler{problems: &problems{}}
	snap := &snapshot{cfg: cfg, byName: make(map[string]*rollout, len(cfg.Rollouts)), replaced: make(chan struct{})}
	compileSegments(cfg, ps)
	root := (*path)(nil).field("rollouts")
	for i := range cfg.Rollouts {
		at := root.elem(i)
		r := compileRollout(&cfg.Rollouts[i], at, ps)
		if r == nil {
			continue
		}
		r.index = i
		if _, dup := snap.byName[r.name]; dup {
			ps.add(at.field("name"), "duplicate rollout name %q", r.name)
			continue
		}
		snap.byName[r.name] = r
		snap.rollouts = append(snap.rollouts, r)
	}
	if len(ps.list) == 0 {
		linkRollouts(cfg, snap, ps)
	}
	if len(ps.list) > 0 {
		return nil, ps.problems
	}
	return snap, ps.problems
}

func compileRollout(spec *Rollout, at *path, ps *compiler) *rollout {
	before := len(ps.list) + ps.dropped
	r := &rollout{
		name:     spec.Name,
		salt:     spec.Salt,
		def:      spec.Default,
		enabled:  spec.Enabled == nil || *spec.Enabled,
		declared: make(map[string]bool),
	}
	if r.name == "" {
		ps.add(at.field("name"), "required")
	} else if !validName(r.name) {
		ps.add(at.field("name"), "%q is not a name ("+nameRule+")", r.name)
	}
	if r.salt == "" {
		r.salt = r.name
	}
	if r.def == "" {
		r.def = DefaultVariant
	} else if !validName(r.def) {
		ps.add(at.field("default"), "%q is not a name ("+nameRule+")", r.def)
	}
	r.declared[r.def] = true
	r.by = compileBucketing(spec.BucketBy, spec.BucketFallback, at, ps)
	ps.refs = nil
	compilePrereqs(spec, r, at, ps)

	variants := spec.Variants
	switch {
	case len(variants) > 0 && spec.Percent != 0:
		ps.add(at.field("percent"), "set percent or variants, not both")
	case len(variants) == 0:
		variants = []VariantSpec{{Name: "canary", Percent: spec.Percent}}
	}
	end := 0
	seen := make(map[string]bool, len(variants))
	for j, v := range variants {
		vp := at.field("variants").elem(j)
		pp := vp.field("percent")
		if len(spec.Variants) == 0 {
			pp = at.field("percent")
		}
		switch {
		case v.Name == "":
			ps.add(vp.field("name"), "required")
		case !validName(v.Name):
			ps.add(vp.field("name"), "%q is not a name ("+nameRule+")", v.Name)
		case seen[v.Name]:
			ps.add(vp.field("name"), "duplicate variant %q", v.Name)
		}
		seen[v.Name] = true
		r.declared[v.Name] = true
		if msg := checkPercent(v.Percent); msg != "" {
			ps.report(pp, msg)
			continue
		}
		end += threshold(v.Percent)
		r.variants = append(r.variants, variantRange{name: v.Name, end: end})
	}
	if end > Buckets {
		ps.add(at.field("variants"), "percentages add up to %v, above 100", float64(end)/100)
	} else if len(ps.list)+ps.dropped == before {
		compileLayout(spec, r, at, ps)
	}
	compileValues(spec, r, at, ps)
	checkClient(spec, at, ps)

	ruleNames := make(map[string]bool, len(spec.Rules))
	for j := range spec.Rules {
		rs := &spec.Rules[j]
		rp := at.field("rules").elem(j)
		ru := rule{name: rs.Name, serve: rs.Serve, threshold: Buckets}
		switch {
		case rs.Name == "":
			ps.add(rp.field("name"), "required")
		case !validRuleName(rs.Name):
			ps.add(rp.field("name"), "%q is not a rule name ("+ruleNameRule+")", rs.Name)
		case ruleNames[rs.Name]:
			ps.add(rp.field("name"), "duplicate rule name %q", rs.Name)
		}
		ruleNames[rs.Name] = true
		switch {
		case rs.Serve == "":
			ps.add(rp.field("serve"), "required")
		case !r.declared[rs.Serve]:
			ps.add(rp.field("serve"), "variant %q is not declared in this rollout (declared: %s)", rs.Serve, strings.Join(r.variantNames(), ", "))
		}
		if rs.Percent != nil {
			if msg := checkPercent(*rs.Percent); msg != "" {
				ps.report(rp.field("percent"), msg)
			} else {
				ru.threshold = threshold(*rs.Percent)
			}
		}
		ru.when = compileCond(&rs.When, rp.field("when"), ps, 0)
		if rs.BucketBy != "" || rs.BucketFallback != "" {
			if rs.Percent == nil {
				ps.add(rp.field("bucket_by"), "a rule buckets only its percent; set percent or remove bucket_by")
			}
			ru.by = compileBucketing(rs.BucketBy, rs.BucketFallback, rp, ps)
		}
		r.rules = append(r.rules, ru)
	}
	r.refs, ps.refs = ps.refs, nil
	validatePlan(spec.Plan, at.field("plan"), ps.problems)
	if len(ps.list)+ps.dropped > before {
		return nil
	}
	return r
}

// Names. Rollout and variant names go into URLs, metric labels, logs and
// the propagation header, so they are identifiers (in any script: the
// shared test vectors name a rollout 用户迁移); rule names are shown to
// people, so they are text that cannot break a line or a log.
const (
	maxNameLen   = 128
	nameRule     = "1 to 128 bytes of letters, digits, '_', '.' and '-', starting with a letter or digit"
	ruleNameRule = "1 to 128 bytes of UTF-8 text, no control characters, no space at either end"
)

// validName reports whether s is a rollout or variant name: at most
// maxNameLen bytes of UTF-8, a letter or digit and then letters, digits,
// combining marks, '_', '.' and '-'. So never ".", "..", a space, a slash,
// a control character or a line break.
func validName(s string) bool {
	if s == "" || len(s) > maxNameLen || !utf8.ValidString(s) {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r):
		case i > 0 && (r == '_' || r == '.' || r == '-' || unicode.IsMark(r)):
		default:
			return false
		}
	}
	return true
}

// validRuleName reports whether s is a rule name: valid UTF-8 without
// control characters (C0, DEL, C1, and the line and paragraph
// separators), 1 to 128 bytes, not starting or ending with a space.
func validRuleName(s string) bool {
	if s == "" || len(s) > maxNameLen || !utf8.ValidString(s) || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}

// variantNames lists the declared variants, default first.
func (r *rollout) variantNames() []string {
	names := make([]string, 0, len(r.declared))
	for name := range r.declared {
		if name != r.def {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return append([]string{r.def}, names...)
}

// maxConditionDepth bounds how deep all, any and not nest in a rule's
// condition. Evaluation recurses through them, and no sensible rule needs
// more than a few levels.
const maxConditionDepth = 32

// compileCond compiles c, which depth all, any and not enclose.
func compileCond(c *Condition, at *path, ps *compiler, depth int) cond {
	var ops []string
	var out cond
	add := func(name string, set bool, op opKind) {
		if set {
			ops = append(ops, name)
			out.op = op
		}
	}
	add("eq", c.Eq != nil, opEq)
	add("in", c.In != nil, opIn)
	add("not_in", c.NotIn != nil, opNotIn)
	add("prefix", c.Prefix != nil, opPrefix)
	add("suffix", c.Suffix != nil, opSuffix)
	add("contains", c.Contains != nil, opContains)
	add("regex", c.Regex != nil, opRegex)
	add("lt", c.Lt != nil, opLt)
	add("lte", c.Lte != nil, opLte)
	add("gt", c.Gt != nil, opGt)
	add("gte", c.Gte != nil, opGte)
	add("semver_eq", c.SemverEq != nil, opSemverEq)
	add("semver_lt", c.SemverLt != nil, opSemverLt)
	add("semver_lte", c.SemverLte != nil, opSemverLte)
	add("semver_gt", c.SemverGt != nil, opSemverGt)
	add("semver_gte", c.SemverGte != nil, opSemverGte)
	add("cidr", c.CIDR != nil, opCIDR)
	add("present", c.Present != nil, opPresent)
	add("after", c.After != nil, opAfter)
	add("before", c.Before != nil, opBefore)
	add("all", c.All != nil, opAll)
	add("any", c.Any != nil, opAny)
	add("not", c.Not != nil, opNot)
	add("segment", c.Segment != "", opSegment)

	switch len(ops) {
	case 0:
		ps.add(at, "no operator (want one of eq, in, not_in, prefix, suffix, contains, regex, lt, lte, gt, gte, semver_*, cidr, present, after, before, all, any, not, segment)")
		return out
	case 1:
	default:
		ps.add(at, "more than one operator (%s); combine them with all or any", strings.Join(ops, ", "))
		return out
	}
	op := ops[0]
	switch out.op {
	case opSegment:
		if c.Field != "" {
			ps.add(at.field("field"), "segment takes no field")
		}
		return compileSegmentUse(c.Segment, at, ps)
	case opAll, opAny, opNot:
		if depth >= maxConditionDepth {
			ps.add(at, "conditions nested deeper than %d", maxConditionDepth)
			return out
		}
		if c.Field != "" {
			ps.add(at.field("field"), "%s takes no field; put fields in its conditions", op)
		}
		subs := c.All
		if out.op == opAny {
			subs = c.Any
		}
		if out.op == opNot {
			subs = []Condition{*c.Not}
		}
		if len(subs) == 0 {
			ps.add(at.field(op), "empty")
		}
		for i := range subs {
			sp := at.field(op)
			if out.op != opNot {
				sp = sp.elem(i)
			}
			out.subs = append(out.subs, compileCond(&subs[i], sp, ps, depth+1))
		}
		out.desc = op
		return out
	}

	if c.Field == "" {
		if out.op != opAfter && out.op != opBefore {
			ps.add(at.field("field"), "required for %s", op)
			return out
		}
	} else {
		f, ok := parseField(c.Field)
		if !ok {
			ps.add(at.field("field"), "%q is not a field (want key, ip, method, path, host, header:NAME, cookie:NAME, query:NAME, attr:NAME or rollout:NAME)", c.Field)
			return out
		}
		if f.kind == fieldRollout {
			if !validName(f.name) {
				ps.add(at.field("field"), "%q does not name a rollout (%s)", f.name, nameRule)
				return out
			}
			ps.refs = append(ps.refs, rolloutRef{name: f.name, at: at.field("field")})
		}
		out.field = f
	}
	opPath := at.field(op)
	var arg string
	switch out.op {
	case opEq:
		out.str, arg = *c.Eq, strconv.Quote(*c.Eq)
	case opPrefix:
		out.str, arg = *c.Prefix, strconv.Quote(*c.Prefix)
	case opSuffix:
		out.str, arg = *c.Suffix, strconv.Quote(*c.Suffix)
	case opContains:
		out.str, arg = *c.Contains, strconv.Quote(*c.Contains)
	case opIn, opNotIn:
		list := c.In
		if out.op == opNotIn {
			list = c.NotIn
		}
		if len(list) == 0 {
			// As an empty cidr: almost surely a list that was meant to
			// have values, and a form JSON cannot tell from an absent list.
			ps.add(opPath, "empty (list at least one value, or remove the rule)")
			return out
		}
		if len(list) > smallSet {
			out.set = make(map[string]struct{}, len(list))
			for _, s := range list {
				out.set[s] = struct{}{}
			}
		} else {
			out.list = list
		}
		arg = summarize(list)
	case opRegex:
		re := ps.compileRegex(*c.Regex, opPath)
		if re == nil {
			return out
		}
		out.re = re
		out.reLit = requiredLiteral(re)
		arg = strconv.Quote(*c.Regex)
	case opLt, opLte, opGt, opGte:
		p := map[opKind]*float64{opLt: c.Lt, opLte: c.Lte, opGt: c.Gt, opGte: c.Gte}[out.op]
		if math.IsNaN(*p) {
			ps.add(opPath, "not a number")
			return out
		}
		out.num, arg = *p, strconv.FormatFloat(*p, 'g', -1, 64)
	case opSemverEq, opSemverLt, opSemverLte, opSemverGt, opSemverGte:
		p := map[opKind]*string{opSemverEq: c.SemverEq, opSemverLt: c.SemverLt, opSemverLte: c.SemverLte, opSemverGt: c.SemverGt, opSemverGte: c.SemverGte}[out.op]
		v := *p
		if !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		if !semver.IsValid(v) {
			ps.add(opPath, "%q is not a semantic version", *p)
			return out
		}
		out.str, arg = v, *p
		out.major, _ = leadingMajor(semver.Canonical(v))
	case opCIDR:
		if len(c.CIDR) == 0 {
			ps.add(opPath, "empty")
		}
		for i, s := range c.CIDR {
			pfx, err := parsePrefix(s)
			if err != nil {
				ps.add(opPath.elem(i), "%q is not a CIDR prefix or IP address", s)
				continue
			}
			out.nets.add(pfx)
		}
		arg = summarize(c.CIDR)
	case opPresent:
		out.present, arg = *c.Present, strconv.FormatBool(*c.Present)
	case opAfter, opBefore:
		p := c.After
		if out.op == opBefore {
			p = c.Before
		}
		t, ok := parseRFC3339(*p)
		if !ok {
			ps.add(opPath, "%q is not an RFC 3339 time (e.g. 2026-12-01T09:00:00Z)", *p)
			return out
		}
		out.at, arg = t, *p
	}
	name := c.Field
	if name == "" {
		name = "now"
	}
	out.desc = name + " " + op + " " + arg
	return out
}

// Regex limits. A regex's cost is its compiled program, which repetition
// multiplies ("a{1000}" is 7 bytes and 1,000 instructions): without a
// budget, a 250 KB config of such rules allocated 400 MB.
const (
	// maxRegexLen bounds one regex's text; a longer one is refused before
	// it is parsed.
	maxRegexLen = 16 << 10
	// maxRegexSize bounds the instructions all of a config's regexes
	// compile to, by an estimate that is never below the real count.
	maxRegexSize = 100_000
)

// compileRegex compiles expr within the regex limits, or reports why not
// and returns nil.
func (ps *compiler) compileRegex(expr string, at *path) *regexp.Regexp {
	if len(expr) > maxRegexLen {
		ps.add(at, "longer than %d bytes (write a list of values with in)", maxRegexLen)
		return nil
	}
	tree, err := syntax.Parse(expr, syntax.Perl) // as regexp.Compile parses
	if err != nil {
		ps.regexError(at, err)
		return nil
	}
	if ps.regexSize > maxRegexSize {
		return nil // reported at the regex that went over
	}
	if ps.regexSize += regexSize(tree, maxRegexSize-ps.regexSize+1); ps.regexSize > maxRegexSize {
		ps.add(at, "the config's regexes are too large: with this one they compile to more than %d instructions (simplify them, or write lists with in)", maxRegexSize)
		return nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		ps.regexError(at, err)
		return nil
	}
	return re
}

// regexError reports a regex that does not compile: "missing closing ):
// `((`", with the expression clipped.
func (ps *compiler) regexError(at *path, err error) {
	var se *syntax.Error
	if errors.As(err, &se) {
		ps.add(at, "%s: `%s`", string(se.Code), se.Expr)
		return
	}
	ps.add(at, "%s", err.Error())
}

// regexSize returns at least the number of instructions re compiles to
// (after the simplification that expands repetition), or a number above
// limit once it is known to exceed it.
func regexSize(re *syntax.Regexp, limit int) int {
	size := 1
	switch re.Op {
	case syntax.OpLiteral:
		size = max(len(re.Rune), 1)
	case syntax.OpRepeat:
		copies := max(re.Min, re.Max) + 1
		sub := regexSize(re.Sub[0], limit)
		if sub > limit/copies {
			return limit + 1
		}
		size = copies * (sub + 1)
	default: // one instruction and the subexpressions'
		for _, sub := range re.Sub {
			if size += regexSize(sub, limit) + 1; size > limit {
				return limit + 1
			}
		}
	}
	return min(size+2, limit+1)
}

// parsePrefix accepts a CIDR prefix or a single address.
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		// Client addresses are unmapped before matching, so an IPv4-mapped
		// prefix (::ffff:10.0.0.0/104) is kept as the IPv4 prefix it means.
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// requiredLiteral returns a literal that every match of re contains, used as
// a cheap pre-check: the literal prefix, when the expression has one and no
// alternation or case folding could make a match avoid it.
func requiredLiteral(re *regexp.Regexp) string {
	prefix, _ := re.LiteralPrefix()
	return prefix
}

func summarize(list []string) string {
	const show = 5
	if len(list) <= show {
		return "[" + strings.Join(list, ", ") + "]"
	}
	return "[" + strings.Join(list[:show], ", ") + ", … " + strconv.Itoa(len(list)-show) + " more]"
}
