package gray

import (
	"slices"
	"strings"
)

// Segment is a named condition declared once in [Config.Segments] and used
// by rules of any rollout with `when: {segment: NAME}`. It is compiled once:
// a list of 100,000 staff keys is one set however many rules use it.
//
//	segments:
//	  - name: staff
//	    when: {field: key, in: [u-1, u-2, u-3]}
//	rollouts:
//	  - name: checkout-v2
//	    rules:
//	      - {name: staff first, when: {segment: staff}, serve: canary}
//
// A segment's condition may use segments declared before it.
type Segment struct {
	// Name identifies the segment; required, unique, a name as
	// [Rollout.Name] is.
	Name string `yaml:"name" json:"name"`
	// When is the condition a subject must meet to be in the segment.
	When Condition `yaml:"when" json:"when"`
}

// Prerequisite limits a rollout to the subjects who get one of Variants in
// another rollout, decided under the same configuration snapshot (within a
// request, the snapshot the request pinned). A subject who does not gets
// the rollout's default variant with [ReasonPrerequisite]. Prerequisites
// are checked after the brake and before the rules. A rollout that needs
// itself, directly or through others (also through rule conditions on
// "rollout:NAME" fields), is refused at load.
//
// Inside a rule, the field "rollout:NAME" tests the same thing:
// `when: {field: "rollout:checkout-v2", eq: canary}`.
//
// The other rollout is decided from the configuration for the same
// subject, the way [Engine.Decide] would; a decision propagated from an
// upstream service for it is not consulted, so a request that follows an
// upstream's variant of A still meets B's prerequisite on A by its own
// bucket.
type Prerequisite struct {
	// Rollout names the other rollout; it must be declared.
	Rollout string `yaml:"rollout" json:"rollout"`
	// Variants are the variants of Rollout that satisfy the prerequisite;
	// at least one, each declared by Rollout.
	Variants []string `yaml:"variants" json:"variants"`
}

// Layer makes rollouts mutually exclusive: the rollouts it lists share one
// population (the layer's salt and bucketing) and each owns a disjoint
// slice of its buckets, so a subject is in a new variant of at most one of
// them. Slices are taken in the order listed, from bucket 0: with
// `rollouts: [{rollout: a, percent: 30}, {rollout: b, percent: 20}]`, a owns
// buckets [0, 3000) and b [3000, 5000). A rollout's variants fill its slice
// from its start, as they fill [0, 10000) outside a layer; their shares are
// of the whole population and must fit in the slice. So raising a's share
// (up to 30%) never moves a user of b, and a config whose shares do not fit
// is refused.
//
// A rollout in a layer takes the layer's salt and bucketing, so it sets no
// Salt or BucketBy of its own, and its rules may set a Percent (within its
// slice, from the slice's start) but no bucketing of their own.
type Layer struct {
	// Name identifies the layer; required, unique, a name as [Rollout.Name].
	Name string `yaml:"name" json:"name"`
	// Salt is the layer's population. Empty means the layer's name.
	Salt string `yaml:"salt,omitempty" json:"salt,omitempty"`
	// BucketBy and BucketFallback are the layer's bucketing, as
	// [Rollout.BucketBy]. Empty means the key.
	BucketBy       string `yaml:"bucket_by,omitempty" json:"bucket_by,omitempty"`
	BucketFallback string `yaml:"bucket_fallback,omitempty" json:"bucket_fallback,omitempty"`
	// Rollouts are the layer's members and their slices.
	Rollouts []LayerSlot `yaml:"rollouts" json:"rollouts"`
}

// LayerSlot reserves a slice of a layer for one rollout.
type LayerSlot struct {
	// Rollout names a declared rollout, in at most one layer.
	Rollout string `yaml:"rollout" json:"rollout"`
	// Percent is the slice's size, 0 to 100 with at most two decimals; the
	// slices of a layer add up to at most 100.
	Percent float64 `yaml:"percent" json:"percent"`
}

// bucketing says which value of a subject is hashed for a split.
type bucketing struct {
	custom   bool  // false: the key (the default, on the fast path)
	by       field // when custom
	fallback field // fieldNone: no fallback
	desc     string
}

// value returns the subject's bucketing value; ok is false when the subject
// has none (absent or empty).
func (b *bucketing) value(ev *evalCtx) (string, bool) {
	if !b.custom {
		return ev.s.Key, ev.s.Key != ""
	}
	if v, ok := b.by.get(ev); ok && v != "" {
		return v, true
	}
	if b.fallback.kind != fieldNone {
		if v, ok := b.fallback.get(ev); ok && v != "" {
			return v, true
		}
	}
	return "", false
}

// bucket returns the subject's bucket under r's salt by b, or -1.
func (r *rollout) bucket(ev *evalCtx, b *bucketing) int {
	if v, ok := b.value(ev); ok {
		return SaltedBucket(r.salt, v)
	}
	return -1
}

// compileBucketing compiles a bucket_by and its fallback found at at.
func compileBucketing(by, fallback string, at *path, ps *compiler) bucketing {
	var b bucketing
	if by == "" || by == "key" {
		if fallback != "" {
			ps.add(at.field("bucket_fallback"), "a fallback needs a bucket_by other than key")
		}
		return b
	}
	parse := func(s, name string) (field, bool) {
		f, ok := parseField(s)
		switch {
		case !ok:
			ps.add(at.field(name), "%q is not a field (want key, ip, method, path, host, header:NAME, cookie:NAME, query:NAME or attr:NAME)", s)
		case f.kind == fieldRollout:
			ps.add(at.field(name), "%q: a rollout's variant cannot be bucketed by", s)
			ok = false
		}
		return f, ok
	}
	f, ok := parse(by, "bucket_by")
	if !ok {
		return b
	}
	b = bucketing{custom: true, by: f, desc: by}
	if fallback != "" {
		if fb, ok := parse(fallback, "bucket_fallback"); ok {
			b.fallback = fb
			b.desc += " (or " + fallback + ")"
		}
	}
	return b
}

// BucketDesc describes the rollout's bucketing as its configuration says
// it, e.g. "key" or "attr:org_id (or key)": for explanations.
func (r *Rollout) BucketDesc() string {
	switch {
	case r.BucketBy == "" || r.BucketBy == "key":
		return "key"
	case r.BucketFallback != "":
		return r.BucketBy + " (or " + r.BucketFallback + ")"
	}
	return r.BucketBy
}

// ruleBucket returns the bucket a matching rule's share is drawn from: the
// rollout's, or the rule's own bucketing's.
func (r *rollout) ruleBucket(ev *evalCtx, ru *rule, bucket int) int {
	if !ru.by.custom {
		return bucket
	}
	return r.bucket(ev, &ru.by)
}

// prereq is a compiled Prerequisite.
type prereq struct {
	name     string
	target   *rollout // set once every rollout is compiled
	variants []string
	desc     string
}

// prereqsHold reports whether every prerequisite of r holds for ev's
// subject, tracing each when explaining.
func (r *rollout) prereqsHold(ev *evalCtx) bool {
	for i := range r.prereqs {
		p := &r.prereqs[i]
		v := ev.decideOther(p.target)
		ok := slices.Contains(p.variants, v)
		if ev.trace != nil {
			*ev.trace = append(*ev.trace, TraceStep{Condition: p.desc, Value: v, Present: true, Matched: ok})
		}
		if !ok {
			return false
		}
	}
	return true
}

// variantOf returns the variant ev's subject gets in the named rollout under
// the same snapshot, or [DefaultVariant] for an unknown one (which a
// compiled configuration never references).
func (ev *evalCtx) variantOf(name string) string {
	if ev.snap == nil {
		return DefaultVariant
	}
	r := ev.snap.find(name)
	if r == nil {
		return DefaultVariant
	}
	return ev.decideOther(r)
}

// decideOther decides another rollout for ev's subject, without tracing.
// Cycles are refused at load, so the recursion ends.
func (ev *evalCtx) decideOther(r *rollout) string {
	sub := evalCtx{s: ev.s, snap: ev.snap, clock: ev.clock, now: ev.now}
	v, _, _, _ := r.decide(&sub)
	return v
}

// rolloutRef is a reference from a rollout to another, found at compile.
type rolloutRef struct {
	name string
	at   *path // where the reference is written
}

// compileSegments compiles cfg's segments into ps, for compileCond to use.
func compileSegments(cfg *Config, ps *compiler) {
	ps.segments = make(map[string][]cond, len(cfg.Segments))
	ps.segmentRefs = make(map[string][]rolloutRef, len(cfg.Segments))
	root := (*path)(nil).field("segments")
	for i := range cfg.Segments {
		sg := &cfg.Segments[i]
		at := root.elem(i)
		switch _, dup := ps.segments[sg.Name]; {
		case sg.Name == "":
			ps.add(at.field("name"), "required")
		case !validName(sg.Name):
			ps.add(at.field("name"), "%q is not a name ("+nameRule+")", sg.Name)
		case dup:
			ps.add(at.field("name"), "duplicate segment name %q", sg.Name)
		}
		ps.refs = nil
		c := compileCond(&sg.When, at.field("when"), ps, 0)
		if sg.Name != "" {
			if _, dup := ps.segments[sg.Name]; !dup {
				// A one-element slice: every use shares it, sets and all.
				ps.segments[sg.Name] = []cond{c}
				ps.segmentRefs[sg.Name] = ps.refs
			}
		}
		ps.refs = nil
	}
}

// compileSegmentUse compiles `segment: NAME` at at.
func compileSegmentUse(name string, at *path, ps *compiler) cond {
	seg, ok := ps.segments[name]
	if !ok {
		ps.add(at.field("segment"), "segment %q is not declared (declared: %s; a segment may use only those declared before it)", name, ps.segmentNames())
		return cond{op: opSegment}
	}
	ps.refs = append(ps.refs, ps.segmentRefs[name]...)
	return cond{op: opSegment, subs: seg, desc: "segment " + name}
}

func (ps *compiler) segmentNames() string {
	if len(ps.segments) == 0 {
		return "none"
	}
	names := make([]string, 0, len(ps.segments))
	for n := range ps.segments {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// compilePrereqs compiles a rollout's prerequisites (targets resolved later,
// in linkRollouts).
func compilePrereqs(spec *Rollout, r *rollout, at *path, ps *compiler) {
	for i, p := range spec.Prerequisites {
		pp := at.field("prerequisites").elem(i)
		switch {
		case p.Rollout == "":
			ps.add(pp.field("rollout"), "required")
		case !validName(p.Rollout):
			ps.add(pp.field("rollout"), "%q is not a name ("+nameRule+")", p.Rollout)
		}
		if len(p.Variants) == 0 {
			ps.add(pp.field("variants"), "empty (list at least one variant)")
		}
		r.prereqs = append(r.prereqs, prereq{
			name: p.Rollout, variants: p.Variants,
			desc: "rollout:" + p.Rollout + " in " + summarize(p.Variants),
		})
		ps.refs = append(ps.refs, rolloutRef{name: p.Rollout, at: pp.field("rollout")})
	}
}

// linkRollouts resolves references between the snapshot's rollouts,
// checks prerequisite variants, refuses cycles, and applies layers.
func linkRollouts(cfg *Config, snap *snapshot, ps *compiler) {
	root := (*path)(nil).field("rollouts")
	for _, r := range snap.rollouts {
		for _, ref := range r.refs {
			if snap.byName[ref.name] == nil {
				ps.add(ref.at, "rollout %q is not declared", ref.name)
			}
		}
		for j := range r.prereqs {
			p := &r.prereqs[j]
			p.target = snap.byName[p.name]
			if p.target == nil {
				continue
			}
			for k, v := range p.variants {
				if !p.target.declared[v] {
					ps.add(root.elem(r.index).field("prerequisites").elem(j).field("variants").elem(k),
						"variant %q is not declared in rollout %q (declared: %s)", v, p.name, strings.Join(p.target.variantNames(), ", "))
				}
			}
		}
	}
	if len(ps.list) > 0 {
		return
	}
	findCycles(snap, ps)
	applyLayers(cfg, snap, ps)
}

// findCycles refuses rollouts that depend on themselves.
func findCycles(snap *snapshot, ps *compiler) {
	const (
		unseen = iota
		open
		done
	)
	state := make(map[*rollout]int, len(snap.rollouts))
	var stack []string
	var visit func(r *rollout) bool
	visit = func(r *rollout) bool {
		switch state[r] {
		case open:
			start := slices.Index(stack, r.name)
			cycle := append(slices.Clone(stack[start:]), r.name)
			ps.add((*path)(nil).field("rollouts").elem(r.index), "prerequisite cycle: %s", strings.Join(cycle, " → "))
			return false
		case done:
			return true
		}
		state[r] = open
		stack = append(stack, r.name)
		for _, ref := range r.refs {
			if !visit(snap.byName[ref.name]) {
				return false
			}
		}
		stack = stack[:len(stack)-1]
		state[r] = done
		return true
	}
	for _, r := range snap.rollouts {
		if state[r] == unseen && !visit(r) {
			return // one cycle reported is enough to fix
		}
	}
}

// applyLayers validates cfg's layers and gives their rollouts the layer's
// salt, bucketing and slice.
func applyLayers(cfg *Config, snap *snapshot, ps *compiler) {
	root := (*path)(nil).field("layers")
	seen := map[string]bool{}
	inLayer := map[string]string{}
	for i := range cfg.Layers {
		ly := &cfg.Layers[i]
		at := root.elem(i)
		switch {
		case ly.Name == "":
			ps.add(at.field("name"), "required")
		case !validName(ly.Name):
			ps.add(at.field("name"), "%q is not a name ("+nameRule+")", ly.Name)
		case seen[ly.Name]:
			ps.add(at.field("name"), "duplicate layer name %q", ly.Name)
		}
		seen[ly.Name] = true
		salt := ly.Salt
		if salt == "" {
			salt = ly.Name
		}
		by := compileBucketing(ly.BucketBy, ly.BucketFallback, at, ps)
		if len(ly.Rollouts) == 0 {
			ps.add(at.field("rollouts"), "empty (list the rollouts the layer keeps apart)")
		}
		start := 0
		for j, sl := range ly.Rollouts {
			sp := at.field("rollouts").elem(j)
			if msg := checkPercent(sl.Percent); msg != "" {
				ps.report(sp.field("percent"), msg)
				continue
			}
			span := threshold(sl.Percent)
			r := snap.byName[sl.Rollout]
			switch {
			case sl.Rollout == "":
				ps.add(sp.field("rollout"), "required")
			case r == nil:
				ps.add(sp.field("rollout"), "rollout %q is not declared", sl.Rollout)
			case inLayer[sl.Rollout] != "":
				ps.add(sp.field("rollout"), "rollout %q is already in layer %q (a rollout is in at most one layer)", sl.Rollout, inLayer[sl.Rollout])
			default:
				inLayer[sl.Rollout] = ly.Name
				layRollout(r, &cfg.Rollouts[r.index], ly.Name, salt, by, start, span, sp, ps)
			}
			start += span
		}
		if start > Buckets {
			ps.add(at.field("rollouts"), "slices add up to %v%%, above 100: the rollouts cannot fit the layer", float64(start)/100)
		}
	}
}

// layRollout puts r in a layer's slice [start, start+span), refusing what
// cannot be kept apart.
func layRollout(r *rollout, spec *Rollout, layer, salt string, by bucketing, start, span int, sp *path, ps *compiler) {
	rp := (*path)(nil).field("rollouts").elem(r.index)
	if spec.Salt != "" {
		ps.add(rp.field("salt"), "rollout %q is in layer %q and takes the layer's salt; remove its own", r.name, layer)
	}
	if spec.BucketBy != "" || spec.BucketFallback != "" {
		ps.add(rp.field("bucket_by"), "rollout %q is in layer %q and takes the layer's bucketing; set bucket_by on the layer", r.name, layer)
	}
	if r.ring != nil {
		ps.add(rp.field("layout"), "rollout %q is in layer %q: the ring layout is not available in a layer (its slice keeps the other rollouts apart already)", r.name, layer)
	}
	if used := r.used(); used > span {
		ps.add(sp.field("percent"), "rollout %q's variants take %v%%, more than its %v%% slice of layer %q", r.name, float64(used)/100, float64(span)/100, layer)
	}
	for k, ru := range r.rules {
		if ru.by.custom {
			ps.add(rp.field("rules").elem(k).field("bucket_by"), "rollout %q is in layer %q: its rules bucket by the layer's bucketing", r.name, layer)
		}
		if ru.threshold < Buckets && ru.threshold > span {
			ps.add(rp.field("rules").elem(k).field("percent"), "%v%% is more than the rollout's %v%% slice of layer %q", float64(ru.threshold)/100, float64(span)/100, layer)
		}
	}
	r.salt, r.by, r.offset, r.layer = salt, by, start, layer
}

// used returns the buckets r's variants take.
func (r *rollout) used() int {
	if len(r.variants) == 0 {
		return 0
	}
	return r.variants[len(r.variants)-1].end
}

// Bucketing says how a rollout of a configuration splits its population:
// for explanations, consoles and tools that compute buckets themselves.
type Bucketing struct {
	// Salt is the salt the split hashes with: the rollout's, or its
	// layer's.
	Salt string
	// By is the field hashed, as configured: "key", "attr:org_id (or
	// key)", …
	By string
	// Layer is the rollout's layer, or "" outside one.
	Layer string
	// Start and End bound the rollout's slice of its layer's buckets,
	// [Start, End); 0 and [Buckets] outside a layer. Its variants' ranges
	// start at Start.
	Start, End int
}

// Bucketing returns how the named rollout splits its population, and
// false for a rollout c does not have. It reads c as written and assumes
// it is valid.
func (c *Config) Bucketing(rollout string) (Bucketing, bool) {
	i := slices.IndexFunc(c.Rollouts, func(r Rollout) bool { return r.Name == rollout })
	if i < 0 {
		return Bucketing{}, false
	}
	r := &c.Rollouts[i]
	b := Bucketing{Salt: r.Salt, By: r.BucketDesc(), End: Buckets}
	if b.Salt == "" {
		b.Salt = r.Name
	}
	for _, ly := range c.Layers {
		start := 0
		for _, sl := range ly.Rollouts {
			span := threshold(sl.Percent)
			if sl.Rollout == rollout {
				b.Salt, b.Layer, b.Start, b.End = ly.Salt, ly.Name, start, start+span
				if b.Salt == "" {
					b.Salt = ly.Name
				}
				b.By = (&Rollout{BucketBy: ly.BucketBy, BucketFallback: ly.BucketFallback}).BucketDesc()
				return b, true
			}
			start += span
		}
	}
	return b, true
}
