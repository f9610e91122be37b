// Package guardtest holds what the guard's tests share between the root
// module (in-memory store) and the integration module (SQL stores): a
// settable clock and the guarded rollout most of them drive.
package guardtest

import (
	"sync"
	"time"

	"github.com/graykit/graykit/gray"
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
