package gray

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Engine decides rollouts for subjects. It holds one compiled configuration
// at a time and swaps it atomically on [Engine.Update]; decisions read the
// current one without taking a lock. An Engine is safe for concurrent use.
type Engine struct {
	cur       atomic.Pointer[snapshot]
	updateMu  sync.Mutex // serializes writers only
	base      *Config    // the configuration as given, before overrides
	overrides map[string]Override
	subjects  map[string]map[string]string // rollout → key → variant (subjectoverride.go)
	clock     func() time.Time
	log       *slog.Logger
}

// Override changes a rollout at run time on top of its configuration: the
// brake and the share that an operator or a guarded rollout sets. Overrides
// survive [Engine.Update] (a reloaded file does not undo a brake) until
// cleared with [Engine.ClearOverride].
type Override struct {
	// Enabled, when set, replaces the rollout's Enabled.
	Enabled *bool `json:"enabled,omitempty"`
	// Percent, when set, replaces the share of the rollout's first new
	// variant, the one [Rollout.NewVariant] names.
	Percent *float64 `json:"percent,omitempty"`
}

// EngineOption configures an [Engine] in [New].
type EngineOption interface {
	applyEngine(*Engine)
}

type engineOptionFunc func(*Engine)

func (f engineOptionFunc) applyEngine(e *Engine) { f(e) }

// WithClock sets the clock that time-window conditions read. The default is
// time.Now. Tests use it to make time windows deterministic.
func WithClock(now func() time.Time) EngineOption {
	return engineOptionFunc(func(e *Engine) { e.clock = now })
}

// Logger returns the engine's logger ([WithLogger]), for packages that
// report on its behalf, such as gray/watch.
func (e *Engine) Logger() *slog.Logger { return e.log }

// WithLogger sets the logger for configuration reloads and other events
// off the request path. The default is slog.Default().
func WithLogger(l *slog.Logger) EngineOption {
	return engineOptionFunc(func(e *Engine) { e.log = l })
}

// ErrNilConfig is returned by [New] and [Engine.Update] for a nil config.
var ErrNilConfig = errors.New("gray: nil config")

// New validates and compiles cfg and returns an engine that decides by it.
// A nil cfg is an error; an empty Config (no rollouts) is valid and gives
// every subject [DefaultVariant].
func New(cfg *Config, opts ...EngineOption) (*Engine, error) {
	if cfg == nil {
		return nil, ErrNilConfig
	}
	snap, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	e := &Engine{}
	for _, o := range opts {
		o.applyEngine(e)
	}
	if e.clock == nil {
		e.clock = time.Now
	}
	if e.log == nil {
		e.log = slog.Default()
	}
	e.base = cfg
	snap.clock = e.clock
	e.cur.Store(snap)
	return e, nil
}

// Update validates and compiles cfg, then swaps it in atomically: requests
// already under way keep the configuration they started with, later ones
// see cfg. If cfg has any error, the running configuration stays in place
// and the error (a [*ConfigError]) is returned. Run-time overrides stay
// applied; a cfg that cannot hold them (a share override above what its
// other variants leave) is refused with an error that names them.
func (e *Engine) Update(cfg *Config) error {
	if cfg == nil {
		return ErrNilConfig
	}
	snap, err := e.compile(cfg)
	if err != nil {
		return err
	}
	e.updateMu.Lock()
	defer e.updateMu.Unlock()
	if len(e.overrides) > 0 {
		snap, err = e.compile(applyOverrides(cfg, e.overrides))
		if err != nil {
			names := slices.Sorted(maps.Keys(e.overrides))
			return fmt.Errorf("gray: the config cannot hold the run-time overrides of %s (clear them with ClearOverride): %w",
				strings.Join(names, ", "), err)
		}
	}
	e.base = cfg
	e.publishLocked(snap)
	return nil
}

// SetOverride sets the run-time override of the named rollout and applies it
// at once. An override that would make the configuration invalid (a share
// above what the other variants leave) is an error and changes nothing. A
// rollout the configuration does not have is an error too.
func (e *Engine) SetOverride(rollout string, o Override) error {
	e.updateMu.Lock()
	defer e.updateMu.Unlock()
	next, snap, err := e.withOverrideLocked(rollout, o)
	if err != nil {
		return err
	}
	e.overrides = next
	e.publishLocked(snap)
	return nil
}

// withOverrideLocked compiles the configuration with o in place for
// rollout, returning the new override set and snapshot without applying
// them. e.updateMu must be held.
func (e *Engine) withOverrideLocked(rollout string, o Override) (map[string]Override, *snapshot, error) {
	if e.cur.Load().find(rollout) == nil {
		return nil, nil, fmt.Errorf("gray: override: %w: %q", ErrUnknownRollout, rollout)
	}
	if o.Percent != nil {
		for i := range e.base.Rollouts {
			if r := &e.base.Rollouts[i]; r.Name == rollout {
				if _, _, ok := r.NewVariant(); !ok {
					return nil, nil, fmt.Errorf("gray: override of %q: a share needs a variant other than the default", rollout)
				}
			}
		}
	}
	next := maps.Clone(e.overrides)
	if next == nil {
		next = map[string]Override{}
	}
	next[rollout] = o
	snap, err := e.compile(applyOverrides(e.base, next))
	if err != nil {
		return nil, nil, fmt.Errorf("gray: override of %q: %w", rollout, err)
	}
	return next, snap, nil
}

// CheckOverride reports whether SetOverride(rollout, o) would succeed,
// without applying it: for a caller (an operator console, a shared state
// store) that must refuse a share before other replicas try to apply it.
func (e *Engine) CheckOverride(rollout string, o Override) error {
	e.updateMu.Lock()
	defer e.updateMu.Unlock()
	_, _, err := e.withOverrideLocked(rollout, o)
	return err
}

// ClearOverride removes the named rollout's override, if any.
func (e *Engine) ClearOverride(rollout string) {
	e.updateMu.Lock()
	defer e.updateMu.Unlock()
	if _, ok := e.overrides[rollout]; !ok {
		return
	}
	next := maps.Clone(e.overrides)
	delete(next, rollout)
	snap, err := e.compile(applyOverrides(e.base, next))
	if err != nil { // cannot happen: the base compiled before
		e.log.Error("gray: clearing override", "rollout", rollout, "err", err)
		return
	}
	e.overrides = next
	e.publishLocked(snap)
}

// Overrides returns a copy of the overrides in force.
func (e *Engine) Overrides() map[string]Override {
	e.updateMu.Lock()
	defer e.updateMu.Unlock()
	return maps.Clone(e.overrides)
}

// ErrUnknownRollout is returned for operations on a rollout the
// configuration does not have.
var ErrUnknownRollout = errors.New("unknown rollout")

// applyOverrides returns cfg with the overrides applied, sharing what it
// does not change.
func applyOverrides(cfg *Config, ovs map[string]Override) *Config {
	if len(ovs) == 0 {
		return cfg
	}
	out := new(Config)
	*out = *cfg // segments, layers and whatever else the config holds
	out.Rollouts = slices.Clone(cfg.Rollouts)
	for i := range out.Rollouts {
		r := &out.Rollouts[i]
		o, ok := ovs[r.Name]
		if !ok {
			continue
		}
		if o.Enabled != nil {
			r.Enabled = o.Enabled
		}
		if o.Percent != nil {
			switch j := r.newVariantIndex(); {
			case j < 0:
				r.Percent = *o.Percent
			case j < len(r.Variants):
				r.Variants = slices.Clone(r.Variants)
				r.Variants[j].Percent = *o.Percent
			}
		}
	}
	return out
}

// Config returns the configuration currently in force, overrides applied.
// Do not modify it.
func (e *Engine) Config() *Config { return e.cur.Load().cfg }

// Decide returns the decision for subject s in the named rollout. An unknown
// rollout gives [DefaultVariant] with [ReasonUnknownRollout]. Decide never
// fails, never blocks and does not allocate; it does not notify observers
// (the middleware does, for the decisions a request makes).
func (e *Engine) Decide(rollout string, s Subject) Decision {
	// snapshot.decide's body, built here in the caller's result: through
	// one more call level, the Decision (twelve words) is copied once more.
	snap := e.cur.Load()
	r := snap.find(rollout)
	if r == nil {
		return Decision{Rollout: rollout, Variant: DefaultVariant, Default: DefaultVariant, Bucket: -1, Reason: ReasonUnknownRollout}
	}
	ev := evalCtx{s: &s, snap: snap, clock: snap.clock}
	variant, reason, rule, bucket := r.decide(&ev)
	return Decision{Rollout: r.name, Variant: variant, Default: r.def, Bucket: bucket, Reason: reason, Rule: r.ruleName(rule), val: r.valueOf(variant)}
}

// Explain is [Engine.Decide] with a trace of every leaf condition evaluated,
// in order, each tagged with its rule: the answer to "why did user X get
// this variant?".
func (e *Engine) Explain(rollout string, s Subject) (Decision, []TraceStep) {
	trace := []TraceStep{}
	d := e.cur.Load().decide(rollout, &s, &trace)
	return d, trace
}

// Rollouts lists the names of the configured rollouts, in config order.
func (e *Engine) Rollouts() []string {
	snap := e.cur.Load()
	names := make([]string, len(snap.rollouts))
	for i, r := range snap.rollouts {
		names[i] = r.name
	}
	return names
}

func (snap *snapshot) decide(name string, s *Subject, trace *[]TraceStep) Decision {
	r := snap.find(name)
	if r == nil {
		return Decision{Rollout: name, Variant: DefaultVariant, Default: DefaultVariant, Bucket: -1, Reason: ReasonUnknownRollout}
	}
	ev := evalCtx{s: s, snap: snap, clock: snap.clock, trace: trace}
	variant, reason, rule, bucket := r.decide(&ev)
	// The Decision is built here, in the caller's result, and likewise in
	// Decisions.decideLocked: a helper that returns one (even inlined) makes
	// the compiler build a temporary and copy it, which costs the hot path
	// a larger frame and a store-forwarding stall (measured; see git log).
	return Decision{Rollout: r.name, Variant: variant, Default: r.def, Bucket: bucket, Reason: reason, Rule: r.ruleName(rule), val: r.valueOf(variant)}
}

// compile compiles cfg into a snapshot that reads e's clock.
func (e *Engine) compile(cfg *Config) (*snapshot, error) {
	snap, err := compile(cfg)
	if err == nil {
		snap.clock = e.clock
	}
	return snap, err
}
