package guard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/graykit/graykit/gray"
)

// Controller runs the guarded rollouts of one replica: at every tick it
// records this replica's outcome counts into the shared [Store], follows the
// shared state (applying each rollout's share and brake to its engine with
// [gray.Engine.SetOverride]) and judges, from every replica's counts, whether
// to advance, hold or roll back. Every replica runs one; compare-and-swap on
// the store makes sure a step is taken once, whichever replica takes it.
//
// The rollouts it guards are those with a [gray.Plan] in the engine's
// configuration, read afresh at every tick. It also follows the stored state
// of every other configured rollout a person acted on (a brake, a share set
// by hand), so manual actions hold on every replica for rollouts without a
// plan too; a rollout without a plan and without stored state keeps its
// configuration, and its engine override is left alone. Its manual actions
// (the embedded [Actions]) act on the store at once and on the engines at
// their next tick. A Controller is safe for concurrent use.
type Controller struct {
	*Actions
	engine   *gray.Engine
	stats    StatsSource
	counters *gray.Counters // nil when stats is not one

	mu        sync.Mutex // serializes ticks
	recs      map[recKey]*recording
	applied   map[string]applied           // state applied to the engine
	subjects  map[string]map[string]string // subject overrides applied to the engine (subjects.go)
	evidence  map[string]Evidence
	lastTick  time.Time
	lastPrune time.Time

	stopOnce sync.Once
	stop     chan struct{}
	runMu    sync.Mutex
	running  bool
	done     chan struct{}
}

type recKey struct{ rollout, variant string }

// applied is the state version applied to a rollout, and whether as a
// rollout with a plan: a reload that adds or removes the plan re-applies it.
type applied struct {
	version int64
	planned bool
}

// recording is what this replica has counted for one rollout and variant.
type recording struct {
	prev gray.VariantStats // the counters at the last tick
	win  Window            // the window being filled
}

// New returns a controller for engine's guarded rollouts on store. It
// starts nothing: call [Controller.Start] (or [Controller.Tick] yourself,
// e.g. with a simulated clock). The counters it reads (see [WithCounters])
// must observe the engine's requests.
func New(engine *gray.Engine, store Store, opts ...Option) (*Controller, error) {
	if engine == nil {
		return nil, errors.New("guard: nil engine")
	}
	a, err := NewActions(store, PlansFromEngine(engine), append(slices.Clone(opts), WithEngine(engine))...)
	if err != nil {
		return nil, err
	}
	c := &Controller{
		Actions: a, engine: engine, stats: a.cfg.stats,
		recs: map[recKey]*recording{}, applied: map[string]applied{}, subjects: map[string]map[string]string{}, evidence: map[string]Evidence{},
		stop: make(chan struct{}),
	}
	if c.stats == nil {
		c.stats = gray.NewCounters()
	}
	c.counters, _ = c.stats.(*gray.Counters)
	return c, nil
}

// Counters returns the counters the controller reads, or nil when
// [WithCounters] gave it another [StatsSource]; pass them to the middleware
// (gray.WithObserver) so that they count the requests.
func (c *Controller) Counters() *gray.Counters { return c.counters }

// Evidence returns the judge's last reading of the rollout on this
// replica, if it judged it.
func (c *Controller) Evidence(rollout string) (Evidence, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ev, ok := c.evidence[rollout]
	return ev, ok
}

// Start runs [Controller.Tick] every poll interval (see
// [WithPollInterval]) in a goroutine, until ctx is done or
// [Controller.Close] is called. It ticks once at once. Starting twice is an
// error.
func (c *Controller) Start(ctx context.Context) error {
	c.runMu.Lock()
	defer c.runMu.Unlock()
	select {
	case <-c.stop:
		return ErrClosed
	default:
	}
	if c.running {
		return errors.New("guard: controller already started")
	}
	c.running = true
	c.done = make(chan struct{})
	go c.loop(ctx)
	return nil
}

func (c *Controller) loop(ctx context.Context) {
	defer close(c.done)
	t := time.NewTicker(c.cfg.poll)
	defer t.Stop()
	for {
		err := c.Tick(ctx)
		if err != nil && ctx.Err() == nil {
			c.cfg.log.Error("guard: tick", "replica", c.cfg.replica, "err", err)
		}
		if c.cfg.onTick != nil && ctx.Err() == nil {
			c.cfg.onTick(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-c.stop:
			return
		case <-t.C:
		}
	}
}

// Close stops the goroutine of [Controller.Start] and waits for it. The
// engine keeps the last state applied. Close is idempotent.
func (c *Controller) Close() error {
	c.stopOnce.Do(func() { close(c.stop) })
	c.runMu.Lock()
	done := c.done
	c.runMu.Unlock()
	if done != nil {
		<-done
	}
	return nil
}

// Tick does one round for every guarded rollout: record this replica's
// outcomes, load the shared state (creating it at the plan's first step if
// there is none), judge if the rollout is running, and apply the state to the
// engine. It applies the stored state of every rollout without a plan too
// (one read of [Store.States] for all of them). Errors of one rollout do not
// stop the others; they are joined.
func (c *Controller) Tick(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.cfg.now()
	var errs []error
	var manual map[string]State // stored states, loaded at the first rollout without a plan
	for _, r := range c.engine.Config().Rollouts {
		if r.Plan != nil {
			if err := c.tickRollout(ctx, &r, r.Plan.WithDefaults(), now); err != nil {
				errs = append(errs, err)
			}
			continue
		}
		if manual == nil {
			manual = map[string]State{}
			states, err := c.store.States(ctx)
			if err != nil {
				errs = append(errs, fmt.Errorf("guard: states: %w", err))
			}
			for _, st := range states {
				manual[st.Rollout] = st
			}
		}
		if st, ok := manual[r.Name]; ok {
			if err := c.apply(st, false); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := c.applySubjects(ctx); err != nil {
		errs = append(errs, err)
	}
	c.lastTick = now
	if now.Sub(c.lastPrune) >= time.Hour {
		if _, err := c.store.PruneWindows(ctx, now.Add(-c.cfg.retention)); err != nil {
			errs = append(errs, fmt.Errorf("guard: prune windows: %w", err))
		} else {
			c.lastPrune = now
		}
	}
	return errors.Join(errs...)
}

// variants returns the default and the guarded (first new) variant.
func variants(r *gray.Rollout) (stable, canary string) {
	stable, canary = r.Default, "canary"
	if stable == "" {
		stable = gray.DefaultVariant
	}
	if name, _, ok := r.NewVariant(); ok {
		canary = name
	}
	return stable, canary
}

func (c *Controller) tickRollout(ctx context.Context, r *gray.Rollout, plan gray.Plan, now time.Time) error {
	stable, canary := variants(r)
	var errs []error
	for _, v := range []string{stable, canary} {
		if err := c.record(ctx, r.Name, v, plan.Guard.Interval, now); err != nil {
			errs = append(errs, err)
		}
	}
	st, err := c.loadOrStart(ctx, r.Name, plan, now)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	if st.Phase == PhaseRunning || st.Phase == PhaseAwaiting {
		next, err := c.judge(ctx, st, plan, stable, canary, now)
		if err != nil {
			errs = append(errs, err)
		} else {
			st = next
		}
	}
	if err := c.apply(st, true); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// record adds what the counters counted since the last tick to this
// replica's current window and stores the window.
func (c *Controller) record(ctx context.Context, rollout, variant string, interval time.Duration, now time.Time) error {
	k := recKey{rollout, variant}
	rec := c.recs[k]
	if rec == nil {
		rec = &recording{}
		c.recs[k] = rec
	}
	cur := c.stats.Stats(rollout, variant)
	d := cur
	d.Requests -= rec.prev.Requests
	d.Errors -= rec.prev.Errors
	d.Latency.Sub(rec.prev.Latency)
	d.Metrics = nil // cur's map stays whole: it becomes rec.prev
	for k, v := range cur.Metrics {
		v.Sub(rec.prev.Metrics[k])
		if d.Metrics == nil {
			d.Metrics = make(map[string]gray.MetricSums, len(cur.Metrics))
		}
		d.Metrics[k] = v
	}
	rec.prev = cur
	// What was counted since the last tick happened after it: it belongs
	// to the window the last tick was in.
	at := now
	if !c.lastTick.IsZero() {
		at = c.lastTick
	}
	start := at.Truncate(interval)
	if !rec.win.Start.Equal(start) {
		rec.win = Window{Rollout: rollout, Replica: c.cfg.replica, Variant: variant, Start: start}
	}
	if d.Requests == 0 && rec.win.Requests == 0 && !tracked(d.Metrics) && rec.win.Metrics == nil {
		return nil
	}
	rec.win.Requests += d.Requests
	rec.win.Errors += d.Errors
	rec.win.Latency.Add(d.Latency)
	if tracked(d.Metrics) {
		// A fresh map: the stored window must not change under the store.
		m := make(map[string]gray.MetricSums, len(rec.win.Metrics)+len(d.Metrics))
		addMetrics(&m, rec.win.Metrics)
		addMetrics(&m, d.Metrics)
		rec.win.Metrics = m
	}
	if err := c.store.PutWindow(ctx, rec.win); err != nil {
		return fmt.Errorf("guard: record %q/%q: %w", rollout, variant, err)
	}
	return nil
}

// tracked reports whether m holds any tracked value.
func tracked(m map[string]gray.MetricSums) bool {
	for _, v := range m {
		if v.Count > 0 {
			return true
		}
	}
	return false
}

func (c *Controller) loadOrStart(ctx context.Context, rollout string, plan gray.Plan, now time.Time) (State, error) {
	st, err := c.store.Load(ctx, rollout)
	if !errors.Is(err, ErrNoState) {
		if err != nil {
			return st, fmt.Errorf("guard: load %q: %w", rollout, err)
		}
		return st, nil
	}
	st, err = c.store.CompareAndSwap(ctx, 0, initialState(rollout, plan, now), startTransition(plan, c.actor(), now))
	if errors.Is(err, ErrConflict) { // another replica started it
		st, err = c.store.Load(ctx, rollout)
	} else if err == nil {
		c.cfg.emit(st)
	}
	if err != nil {
		return st, fmt.Errorf("guard: start %q: %w", rollout, err)
	}
	return st, nil
}

func (c *Controller) actor() string { return "guard/" + c.cfg.replica }

// judge weighs every replica's windows since the run started and acts on
// the verdict. It returns the state in force afterwards.
func (c *Controller) judge(ctx context.Context, st State, plan gray.Plan, stable, canary string, now time.Time) (State, error) {
	ws, err := c.store.Windows(ctx, st.Rollout, st.Started.Truncate(plan.Guard.Interval))
	if err != nil {
		return st, fmt.Errorf("guard: windows of %q: %w", st.Rollout, err)
	}
	rd := Reading{StepAge: now.Sub(st.StepStarted)}
	for i := range ws {
		w := &ws[i]
		if w.Start.Before(st.Started) {
			continue
		}
		switch w.Variant {
		case stable:
			rd.Stable.add(w)
		case canary:
			rd.Canary.add(w)
			if !w.Start.Before(st.StepStarted) {
				rd.StepRequests += w.Requests
			}
		}
	}
	rd.Queries = c.query(ctx, st.Rollout, plan, stable, canary)
	ev := Judge(plan, rd)
	// The judge rolls back at any time; it advances only inside the
	// plan's window, and not while a person's approval is awaited.
	switch {
	case ev.Verdict != VerdictAdvance:
	case !plan.Window.Contains(now):
		ev.Verdict, ev.Why = VerdictHold, fmt.Sprintf("outside the advance window (%s); %s", plan.Window, ev.Why)
	case st.Phase == PhaseAwaiting:
		ev.Verdict, ev.Why = VerdictHold, fmt.Sprintf("awaiting approval to enter %s; %s", formatShare(nextStep(plan.Steps, st.Share)), ev.Why)
	}
	c.evidence[st.Rollout] = ev
	var act Action
	reason := ev.Why
	switch ev.Verdict {
	case VerdictAdvance:
		act = ActionAdvance
		if target := nextStep(plan.Steps, st.Share); plan.NeedsApproval(target) {
			act = ActionRequestApproval
			reason = fmt.Sprintf("%s awaits approval: %s", formatShare(target), ev.Why)
		}
	case VerdictRegress:
		act = ActionRollback
		if plan.Guard.OnRegression == gray.OnRegressionPause {
			act = ActionPause
		}
	default:
		c.cfg.log.Debug("guard: hold", "rollout", st.Rollout, "why", ev.Why)
		return st, nil
	}
	next, t, err := transit(st, plan, act, 0, now)
	if err != nil {
		return st, fmt.Errorf("guard: %s %q: %w", act, st.Rollout, err)
	}
	t.Actor, t.Reason, t.Evidence = c.actor(), reason, &ev
	stored, err := c.store.CompareAndSwap(ctx, st.Version, next, t)
	if errors.Is(err, ErrConflict) { // another replica or a person acted first
		if cur, lerr := c.store.Load(ctx, st.Rollout); lerr == nil {
			return cur, nil
		}
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("guard: %s %q: %w", act, st.Rollout, err)
	}
	c.cfg.emit(stored)
	return stored, nil
}

// query runs the plan's prometheus metrics for both variants; nil
// without a querier (they stay unread).
func (c *Controller) query(ctx context.Context, rollout string, plan gray.Plan, stable, canary string) map[string]QueryResult {
	if c.cfg.querier == nil {
		return nil
	}
	var out map[string]QueryResult
	for _, m := range plan.Guard.Metrics {
		if m.Kind != gray.MetricPrometheus {
			continue
		}
		if out == nil {
			out = map[string]QueryResult{}
		}
		var res QueryResult
		var errs []error
		for _, v := range []struct {
			name string
			to   *float64
		}{{stable, &res.Stable}, {canary, &res.Canary}} {
			q, err := m.RenderQuery(gray.QueryData{Rollout: rollout, Variant: v.name, Interval: promDuration(plan.Guard.Interval)})
			if err == nil {
				qctx, cancel := context.WithTimeout(ctx, min(c.cfg.poll, 10*time.Second))
				*v.to, err = c.cfg.querier.Query(qctx, q)
				cancel()
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", v.name, err))
			}
		}
		res.Err = errors.Join(errs...)
		out[m.Name] = res
	}
	return out
}

// promDuration writes d as a PromQL duration: whole seconds when it is
// one ("10s"), else milliseconds ("250ms").
func promDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// apply sets the engine's override to st, once per state version.
func (c *Controller) apply(st State, planned bool) error {
	key := applied{st.Version, planned}
	if c.applied[st.Rollout] == key {
		if _, ok := c.engine.Overrides()[st.Rollout]; ok {
			return nil
		}
	}
	if err := c.engine.SetOverride(st.Rollout, overrideOf(st, planned)); err != nil {
		return fmt.Errorf("guard: apply %q: %w", st.Rollout, err)
	}
	c.applied[st.Rollout] = key
	return nil
}

// overrideOf is the engine override that st asks for: with a plan the
// share and the brake; without one what the phase changes over the
// configuration (see [State]).
func overrideOf(st State, planned bool) gray.Override {
	share, on := st.Share, st.Enabled()
	if planned {
		return gray.Override{Percent: &share, Enabled: &on}
	}
	switch st.Phase {
	case PhaseRolledBack:
		return gray.Override{Enabled: &on}
	case PhaseManual, PhasePaused, PhasePromoted:
		return gray.Override{Percent: &share}
	default: // running: the configuration decides
		return gray.Override{}
	}
}
