package grayopenfeature

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"

	"github.com/graykit/graykit/gray"
)

// Name is the provider's name in [of.Metadata] and in the events it emits.
const Name = "graykit"

// ReasonPropagated is the reason of a decision an upstream service made and
// this one followed (graykit's propagation; see gray.WithPropagator).
const ReasonPropagated of.Reason = "PROPAGATED"

// Keys of the flag metadata the provider sets.
const (
	// MetadataBucket is the subject's bucket (an int64, 0 to 9999) under the
	// rollout's salt; absent when the subject has no key.
	MetadataBucket = "bucket"
	// MetadataRule is the name of the rule that decided; absent when no
	// rule did.
	MetadataRule = "rule"
)

// Provider is an OpenFeature provider that evaluates flags with a
// [gray.Engine]: a flag is a rollout, its key the rollout's name. It is safe
// for concurrent use. Create it with [New].
type Provider struct {
	e        *gray.Engine
	cfg      config
	events   chan of.Event
	static   atomic.Pointer[staticSet]
	attrs    sync.Pool // of map[string]string, for the subjects of evaluations
	health   health
	runMu    sync.Mutex
	cancel   context.CancelFunc // nil while not running
	done     chan struct{}
	healthed chan struct{} // poked (never blocking) when health changes
}

var (
	_ of.FeatureProvider = (*Provider)(nil)
	_ of.StateHandler    = (*Provider)(nil)
	_ of.EventHandler    = (*Provider)(nil)
	_ of.Tracker         = (*Provider)(nil)
)

// New returns a provider over e. A nil e gives a provider that answers
// every evaluation with the caller's default value and a GENERAL error, so
// that a wrong setup degrades instead of panicking.
func New(e *gray.Engine, opts ...Option) *Provider {
	p := &Provider{
		e:        e,
		events:   make(chan of.Event, eventBuffer),
		healthed: make(chan struct{}, 1),
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&p.cfg)
		}
	}
	return p
}

// Metadata returns the provider's name, [Name].
func (p *Provider) Metadata() of.Metadata { return of.Metadata{Name: Name} }

// Hooks returns no hooks.
func (p *Provider) Hooks() []of.Hook { return nil }

// resolve decides flag for the evaluation. Inside a request behind
// graykit's middleware (the context carries [gray.Decisions]), it returns
// the request's pinned decision, as [gray.Variant] does, unless the
// evaluation context names another subject (a different targeting key).
// Otherwise it decides for the evaluation context's subject.
func (p *Provider) resolve(ctx context.Context, flag string, flat of.FlattenedContext) gray.Decision {
	key, _ := flat[of.TargetingKey].(string)
	if d, ok := gray.FromContext(ctx); ok {
		if key == "" || key == d.Subject().Key {
			return d.Get(flag)
		}
	}
	attrs := attributes(flat, &p.attrs)
	dec := p.e.Decide(flag, gray.Subject{Key: key, Attrs: attrs})
	if attrs != nil { // Decide keeps nothing of the subject
		clear(attrs)
		p.attrs.Put(attrs)
	}
	if dec.Reason != gray.ReasonUnknownRollout {
		for _, o := range p.cfg.observers {
			o.ObserveDecision(dec)
		}
	}
	return dec
}

// attributes turns the evaluation context's fields, other than the
// targeting key, into the subject's attributes (attr:NAME in rules): text
// as it is, bools as "true" and "false", numbers in decimal, times in RFC
// 3339. Other values (lists, maps, nil) are left out. nil when there are
// none. The map comes from pool when it is not nil.
func attributes(flat of.FlattenedContext, pool *sync.Pool) map[string]string {
	var attrs map[string]string
	for k, v := range flat {
		if k == of.TargetingKey {
			continue
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case bool:
			s = strconv.FormatBool(v)
		case int:
			s = strconv.Itoa(v)
		case int8:
			s = strconv.FormatInt(int64(v), 10)
		case int16:
			s = strconv.FormatInt(int64(v), 10)
		case int32:
			s = strconv.FormatInt(int64(v), 10)
		case int64:
			s = strconv.FormatInt(v, 10)
		case uint:
			s = strconv.FormatUint(uint64(v), 10)
		case uint8:
			s = strconv.FormatUint(uint64(v), 10)
		case uint16:
			s = strconv.FormatUint(uint64(v), 10)
		case uint32:
			s = strconv.FormatUint(uint64(v), 10)
		case uint64:
			s = strconv.FormatUint(v, 10)
		case float32:
			s = strconv.FormatFloat(float64(v), 'f', -1, 32)
		case float64:
			s = strconv.FormatFloat(v, 'f', -1, 64)
		case time.Time:
			s = v.Format(time.RFC3339Nano)
		default:
			continue
		}
		if attrs == nil {
			if pool != nil {
				attrs, _ = pool.Get().(map[string]string)
			}
			if attrs == nil {
				attrs = make(map[string]string, len(flat))
			}
		}
		attrs[k] = s
	}
	return attrs
}

// detail builds the resolution detail of dec, with ok false when the flag
// cannot be resolved at all (an unknown rollout, no engine).
func (p *Provider) detail(dec gray.Decision) (of.ProviderResolutionDetail, bool) {
	var out of.ProviderResolutionDetail
	switch dec.Reason {
	case gray.ReasonUnknownRollout:
		out.Reason = of.ErrorReason
		out.ResolutionError = of.NewFlagNotFoundResolutionError("graykit: no rollout named " + strconv.Quote(dec.Rollout))
		return out, false
	case gray.ReasonRule, gray.ReasonOverride, gray.ReasonPrerequisite:
		out.Reason = of.TargetingMatchReason
	case gray.ReasonSplit:
		out.Reason = of.SplitReason
	case gray.ReasonOff:
		out.Reason = of.DisabledReason
	case gray.ReasonPropagated:
		out.Reason = ReasonPropagated
	case gray.ReasonDefault, gray.ReasonNoKey, gray.ReasonNoBucketValue:
		out.Reason = of.DefaultReason
		if p.isStatic(dec.Rollout) {
			out.Reason = of.StaticReason
		}
	default:
		out.Reason = of.UnknownReason
	}
	out.Variant = dec.Variant
	if dec.Bucket >= 0 || dec.Rule != "" {
		out.FlagMetadata = make(of.FlagMetadata, 2)
		if dec.Bucket >= 0 {
			out.FlagMetadata[MetadataBucket] = int64(dec.Bucket)
		}
		if dec.Rule != "" {
			out.FlagMetadata[MetadataRule] = dec.Rule
		}
	}
	return out, true
}

// evaluate resolves flag and its detail; ok is false when the detail
// carries an error and the caller's default value is the answer.
func (p *Provider) evaluate(ctx context.Context, flag string, flat of.FlattenedContext) (gray.Decision, of.ProviderResolutionDetail, bool) {
	if p.e == nil {
		return gray.Decision{}, of.ProviderResolutionDetail{
			Reason:          of.ErrorReason,
			ResolutionError: of.NewGeneralResolutionError("graykit: provider without an engine (check the error of gray.New)"),
		}, false
	}
	dec := p.resolve(ctx, flag, flat)
	detail, ok := p.detail(dec)
	return dec, detail, ok
}

// mismatch turns detail into a TYPE_MISMATCH error. It names no variant:
// the caller gets its default value, which no variant serves.
func mismatch(detail of.ProviderResolutionDetail, dec gray.Decision, want string) of.ProviderResolutionDetail {
	got := "no value (its variants are names only)"
	if v := dec.Value(); !v.IsZero() {
		got = "a " + v.Kind().String() + " value"
	}
	return of.ProviderResolutionDetail{
		Reason:          of.ErrorReason,
		FlagMetadata:    detail.FlagMetadata,
		ResolutionError: of.NewTypeMismatchResolutionError("graykit: rollout " + strconv.Quote(dec.Rollout) + " serves " + got + ", not " + want),
	}
}

// BooleanEvaluation evaluates a flag as a bool: a rollout whose variants
// carry bool values serves the variant's value; a rollout without values
// serves true on a new variant and false on the default variant (as
// [gray.Decision.IsNew]). A rollout with values of another type is a
// TYPE_MISMATCH error.
func (p *Provider) BooleanEvaluation(ctx context.Context, flag string, defaultValue bool, flat of.FlattenedContext) of.BoolResolutionDetail {
	dec, detail, ok := p.evaluate(ctx, flag, flat)
	if !ok {
		return of.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: detail}
	}
	v := dec.Value()
	switch v.Kind() {
	case gray.ValueNone:
		return of.BoolResolutionDetail{Value: dec.IsNew(), ProviderResolutionDetail: detail}
	case gray.ValueBool:
		b, _ := v.Bool()
		return of.BoolResolutionDetail{Value: b, ProviderResolutionDetail: detail}
	}
	return of.BoolResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch(detail, dec, "a bool")}
}

// StringEvaluation evaluates a flag as a string: a rollout whose variants
// carry string values serves the variant's value; a rollout without values
// serves the variant's name. A rollout with values of another type is a
// TYPE_MISMATCH error.
func (p *Provider) StringEvaluation(ctx context.Context, flag string, defaultValue string, flat of.FlattenedContext) of.StringResolutionDetail {
	dec, detail, ok := p.evaluate(ctx, flag, flat)
	if !ok {
		return of.StringResolutionDetail{Value: defaultValue, ProviderResolutionDetail: detail}
	}
	v := dec.Value()
	switch v.Kind() {
	case gray.ValueNone:
		return of.StringResolutionDetail{Value: dec.Variant, ProviderResolutionDetail: detail}
	case gray.ValueString:
		s, _ := v.Text()
		return of.StringResolutionDetail{Value: s, ProviderResolutionDetail: detail}
	}
	return of.StringResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch(detail, dec, "a string")}
}

// FloatEvaluation evaluates a flag whose variants carry numbers. Any other
// rollout is a TYPE_MISMATCH error.
func (p *Provider) FloatEvaluation(ctx context.Context, flag string, defaultValue float64, flat of.FlattenedContext) of.FloatResolutionDetail {
	dec, detail, ok := p.evaluate(ctx, flag, flat)
	if !ok {
		return of.FloatResolutionDetail{Value: defaultValue, ProviderResolutionDetail: detail}
	}
	if f, ok := dec.Value().Float(); ok {
		return of.FloatResolutionDetail{Value: f, ProviderResolutionDetail: detail}
	}
	return of.FloatResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch(detail, dec, "a number")}
}

// IntEvaluation evaluates a flag whose variants carry whole numbers (in
// the int64 range). A number with a fraction, or any other rollout, is a
// TYPE_MISMATCH error.
func (p *Provider) IntEvaluation(ctx context.Context, flag string, defaultValue int64, flat of.FlattenedContext) of.IntResolutionDetail {
	dec, detail, ok := p.evaluate(ctx, flag, flat)
	if !ok {
		return of.IntResolutionDetail{Value: defaultValue, ProviderResolutionDetail: detail}
	}
	v := dec.Value()
	if i, ok := v.Int(); ok {
		return of.IntResolutionDetail{Value: i, ProviderResolutionDetail: detail}
	}
	want := "a whole number"
	if v.Kind() == gray.ValueNumber {
		want = "a whole number in the int64 range (it is " + v.JSON() + ")"
	}
	return of.IntResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch(detail, dec, want)}
}

// ObjectEvaluation evaluates a flag whose variants carry objects or arrays:
// the value is a fresh map[string]any or []any (numbers in it are float64),
// which the caller may modify. Any other rollout is a TYPE_MISMATCH error.
func (p *Provider) ObjectEvaluation(ctx context.Context, flag string, defaultValue any, flat of.FlattenedContext) of.InterfaceResolutionDetail {
	dec, detail, ok := p.evaluate(ctx, flag, flat)
	if !ok {
		return of.InterfaceResolutionDetail{Value: defaultValue, ProviderResolutionDetail: detail}
	}
	if v := dec.Value(); v.Kind() == gray.ValueObject || v.Kind() == gray.ValueArray {
		return of.InterfaceResolutionDetail{Value: v.Any(), ProviderResolutionDetail: detail}
	}
	return of.InterfaceResolutionDetail{Value: defaultValue, ProviderResolutionDetail: mismatch(detail, dec, "an object or array")}
}

// staticSet lists the rollouts of one configuration that serve their
// default variant to every subject by construction: switched on, without
// rules, every new variant at 0%. Their default answers carry the reason
// STATIC rather than DEFAULT: no subject could have got another.
type staticSet struct {
	cfg   *gray.Config
	names map[string]bool
}

func (p *Provider) isStatic(rollout string) bool {
	cfg := p.e.Config()
	s := p.static.Load()
	if s == nil || s.cfg != cfg {
		s = &staticSet{cfg: cfg, names: make(map[string]bool)}
		for i := range cfg.Rollouts {
			if r := &cfg.Rollouts[i]; isStatic(r) {
				s.names[r.Name] = true
			}
		}
		p.static.Store(s)
	}
	return s.names[rollout]
}

func isStatic(r *gray.Rollout) bool {
	if len(r.Rules) > 0 || r.Percent != 0 {
		return false
	}
	for _, v := range r.Variants {
		if v.Percent != 0 {
			return false
		}
	}
	return true
}
