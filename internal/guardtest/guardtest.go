// Package guardtest holds what the guard's tests share between the root
// module (in-memory store) and the integration module (SQL stores): a
// settable clock, the guarded rollout most of them drive, and a store that
// lets another writer in between an action's load and its write.
package guardtest

import (
	"context"
	"sync"
	"time"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// Clock is a settable clock, safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads start until it is moved.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// SearchConfig is one rollout, "search", with a four-step plan (5, 20, 50,
// 100 %), a one-minute hold and a guard that needs 100 requests a window.
func SearchConfig() *gray.Config {
	return &gray.Config{Rollouts: []gray.Rollout{{
		Name: "search",
		Plan: &gray.Plan{
			Steps: []float64{5, 20, 50, 100}, Hold: time.Minute, MinRequests: 100,
			Guard: gray.PlanGuard{Interval: 10 * time.Second, MinRequests: 100},
		},
	}}}
}

// InterleavingStore is a [guard.Store] that lets another writer in between
// a reader's Load and its CompareAndSwap, deterministically, without
// sleeps: once armed with [InterleavingStore.AfterNextLoad], the next Load
// it serves runs the function after reading and before returning what it
// read. The function may use the store itself (it is disarmed first), e.g.
// to let a controller's judge advance while a manual action holds the
// state it loaded. Every other method is the wrapped store's.
type InterleavingStore struct {
	guard.Store
	mu        sync.Mutex
	afterLoad func()
}

// NewInterleavingStore wraps s.
func NewInterleavingStore(s guard.Store) *InterleavingStore {
	return &InterleavingStore{Store: s}
}

// AfterNextLoad arms the store: f runs once, inside the next Load, after
// the wrapped store has answered.
func (s *InterleavingStore) AfterNextLoad(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterLoad = f
}

// Load implements [guard.Store].
func (s *InterleavingStore) Load(ctx context.Context, rollout string) (guard.State, error) {
	st, err := s.Store.Load(ctx, rollout)
	s.mu.Lock()
	f := s.afterLoad
	s.afterLoad = nil
	s.mu.Unlock()
	if f != nil {
		f()
	}
	return st, err
}
