package grayopenfeature

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sort"
	"sync"

	of "github.com/open-feature/go-sdk/openfeature"

	"github.com/graykit/graykit/gray"
)

// eventBuffer is how many events wait for the SDK before the provider's
// goroutine waits too (it never drops one).
const eventBuffer = 16

// Sources of configuration whose health the provider reports.
const (
	// SourceFile is a configuration file a gray/watch Watcher reloads.
	SourceFile = "file"
	// SourceStore is the shared state store a gray/guard Controller reads.
	SourceStore = "store"
)

// health records which sources are failing, and why.
type health struct {
	mu      sync.Mutex
	failing map[string]error
}

// Init starts the goroutine that turns the engine's changes and the
// sources' health into events; the SDK calls it when the provider is set,
// and emits PROVIDER_READY when it returns. It never fails: the engine
// holds a valid configuration from the start. Calling it again while
// running does nothing.
func (p *Provider) Init(of.EvaluationContext) error {
	p.runMu.Lock()
	defer p.runMu.Unlock()
	if p.cancel != nil || p.e == nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	// The configuration in force now is the one the SDK's READY reports;
	// every change from here on is an event.
	go p.run(ctx, p.done, p.e.Config())
	return nil
}

// Shutdown stops the goroutine Init started and waits for it to end. The
// provider still evaluates flags; Init starts it again.
func (p *Provider) Shutdown() {
	p.runMu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel, p.done = nil, nil
	p.runMu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// EventChannel returns the channel of the provider's events, read by the
// SDK:
//
//   - PROVIDER_CONFIGURATION_CHANGED when the engine's configuration
//     changes: [gray.Engine.Update] (a reloaded file), an override set or
//     cleared (an operator's brake or share, a guarded rollout's steps and
//     rollbacks). FlagChanges names the rollouts that were added, removed
//     or changed.
//   - PROVIDER_STALE when a source of configuration fails (see
//     [Provider.FileReloaded] and [Provider.StoreTicked]): the engine keeps
//     serving the configuration it has, which may be out of date.
//   - PROVIDER_READY when every failing source has recovered.
//
// Events are sent only while the provider runs (between Init and
// Shutdown), in order, none dropped.
func (p *Provider) EventChannel() <-chan of.Event { return p.events }

// FileReloaded reports the outcome of a configuration file's reload; pass
// it to gray/watch as watch.OnReload(p.FileReloaded). A failure makes the
// provider STALE until a reload succeeds.
func (p *Provider) FileReloaded(err error) { p.Report(SourceFile, err) }

// StoreTicked reports the outcome of a guard controller's tick; pass it to
// gray/guard as guard.WithOnTick(p.StoreTicked). A failure (the shared
// state store is unreachable, say) makes the provider STALE until a tick
// succeeds.
func (p *Provider) StoreTicked(err error) { p.Report(SourceStore, err) }

// Report records the health of a source of configuration: err nil when it
// works. The provider is STALE while any source fails. It never blocks.
func (p *Provider) Report(source string, err error) {
	p.health.mu.Lock()
	_, was := p.health.failing[source]
	switch {
	case err != nil:
		if p.health.failing == nil {
			p.health.failing = map[string]error{}
		}
		p.health.failing[source] = err
	case was:
		delete(p.health.failing, source)
	}
	p.health.mu.Unlock()
	if err != nil || was {
		select {
		case p.healthed <- struct{}{}:
		default: // a poke is pending; the goroutine reads the latest health
		}
	}
}

// failure returns the failing sources' errors joined, or nil.
func (p *Provider) failure() error {
	p.health.mu.Lock()
	defer p.health.mu.Unlock()
	if len(p.health.failing) == 0 {
		return nil
	}
	names := make([]string, 0, len(p.health.failing))
	for n := range p.health.failing {
		names = append(names, n)
	}
	sort.Strings(names)
	errs := make([]error, len(names))
	for i, n := range names {
		errs[i] = sourceError{source: n, err: p.health.failing[n]}
	}
	return errors.Join(errs...)
}

type sourceError struct {
	source string
	err    error
}

func (e sourceError) Error() string { return e.source + ": " + e.err.Error() }
func (e sourceError) Unwrap() error { return e.err }

// run emits events until ctx is done.
func (p *Provider) run(ctx context.Context, done chan struct{}, last *gray.Config) {
	defer close(done)
	stale := false
	for {
		changed := p.e.Changed()
		if cur := p.e.Config(); cur != last {
			names := changedRollouts(last, cur)
			last = cur
			if len(names) > 0 && !p.emit(ctx, of.ProviderConfigChange, of.ProviderEventDetails{
				Message: "graykit: configuration changed", FlagChanges: names,
			}) {
				return
			}
		}
		switch err := p.failure(); {
		case err != nil && !stale:
			stale = true
			if !p.emit(ctx, of.ProviderStale, of.ProviderEventDetails{
				Message: "graykit: serving the last good configuration: " + err.Error(),
			}) {
				return
			}
		case err == nil && stale:
			stale = false
			if !p.emit(ctx, of.ProviderReady, of.ProviderEventDetails{Message: "graykit: configuration sources recovered"}) {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		case <-p.healthed:
		}
	}
}

// emit sends an event, or gives up (false) when ctx is done.
func (p *Provider) emit(ctx context.Context, t of.EventType, d of.ProviderEventDetails) bool {
	select {
	case p.events <- of.Event{ProviderName: Name, EventType: t, ProviderEventDetails: d}:
		return true
	case <-ctx.Done():
		return false
	}
}

// changedRollouts names the rollouts added, removed or changed from a to b,
// sorted.
func changedRollouts(a, b *gray.Config) []string {
	index := func(c *gray.Config) map[string]*gray.Rollout {
		m := make(map[string]*gray.Rollout, len(c.Rollouts))
		for i := range c.Rollouts {
			m[c.Rollouts[i].Name] = &c.Rollouts[i]
		}
		return m
	}
	am, bm := index(a), index(b)
	var names []string
	for n, r := range am {
		if s, ok := bm[n]; !ok || !reflect.DeepEqual(r, s) {
			names = append(names, n)
		}
	}
	for n := range bm {
		if _, ok := am[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}
