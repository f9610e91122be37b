package guard

import (
	"log/slog"
	"time"

	"github.com/graykit/graykit/gray"
)

// Option configures a [Controller] or [Actions].
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	now          func() time.Time
	log          *slog.Logger
	onTransition func(State)
	onTick       func(error)
	replica      string
	stats        StatsSource
	poll         time.Duration
	retention    time.Duration
	engine       *gray.Engine
	querier      Querier // nil: prometheus metrics stay unread
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.replica == "" {
		c.replica = "replica"
	}
	if c.poll <= 0 {
		c.poll = gray.DefaultGuardInterval
	}
	if c.retention <= 0 {
		c.retention = 7 * 24 * time.Hour
	}
	return c
}

// emit reports a transition this process stored.
func (c *config) emit(s State) {
	logTransition(c.log, s)
	if c.onTransition != nil {
		c.onTransition(s)
	}
}

// WithClock sets the clock for hold times, windows and transition times.
// The default is time.Now. Tests and simulations pass a fake clock and call
// [Controller.Tick] themselves.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) { c.now = now })
}

// WithLogger sets the logger transitions are written to (Info; Warn for a
// rollback or brake). The default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) { c.log = l })
}

// WithOnTransition sets a function called after every transition this
// process stored, with the new state; its Last field is the transition,
// with the judge's [Evidence] when the judge acted. It is called
// synchronously and must not block for long.
func WithOnTransition(f func(State)) Option {
	return optionFunc(func(c *config) { c.onTransition = f })
}

// WithOnTick sets a function called after every tick of the goroutine
// [Controller.Start] runs, with nil when the tick succeeded or the error
// it met (the store failed, say): for health reporting, such as an
// OpenFeature provider's PROVIDER_STALE. While ticks fail, this replica
// keeps the state it applied last. It is called synchronously and must not
// block for long.
func WithOnTick(f func(error)) Option {
	return optionFunc(func(c *config) { c.onTick = f })
}

// WithReplica names this replica in the outcome windows it records and in
// the judge's audit entries ("guard/<name>"). Every replica sharing a
// store needs its own name, e.g. the host name. The default is "replica".
func WithReplica(name string) Option {
	return optionFunc(func(c *config) { c.replica = name })
}

// StatsSource is where a controller reads this replica's cumulative
// outcome counts per rollout and variant. [*gray.Counters] is one.
type StatsSource interface {
	Stats(rollout, variant string) gray.VariantStats
}

// WithCounters sets the counts the controller reads outcomes from, usually
// a [*gray.Counters] that observes the engine's requests (pass it to the
// middleware with gray.WithObserver). The default is a new
// [*gray.Counters], available from [Controller.Counters].
func WithCounters(s StatsSource) Option {
	return optionFunc(func(c *config) { c.stats = s })
}

// WithPollInterval sets how often the controller started with [Controller.Start] ticks: records this
// replica's outcomes, follows the shared state and judges. The default is
// 10s ([gray.DefaultGuardInterval]). A brake pulled anywhere takes effect in
// every replica within one poll.
func WithPollInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.poll = d })
}

// WithRetention sets how long outcome windows are kept in the store before
// the controller prunes them. The default is 7 days.
func WithRetention(d time.Duration) Option {
	return optionFunc(func(c *config) { c.retention = d })
}

// WithEngine tells [NewActions] which engine's configuration lists the
// rollouts: an action on a rollout it does not have fails with an error
// wrapping [gray.ErrUnknownRollout], and the state of a rollout without a
// plan records its configured share. Without it, every name without a plan
// is taken for a configured rollout, with share 0 until a person sets one.
// [New] always uses its own engine.
func WithEngine(e *gray.Engine) Option {
	return optionFunc(func(c *config) { c.engine = e })
}

// WithQuerier gives the controller a metrics backend for the plan's
// metrics of kind prometheus (gray.PlanMetric): at every tick of a running
// rollout it renders each such metric's query for the stable and the
// canary variant and runs it, with a timeout of the poll interval (at
// most 10s). Without one, or when a query fails, the metric is unread:
// the rollout holds at its step (it never advances on a metric it cannot
// read) but errors, latency and tracked metrics may still roll it back.
// [NewPrometheus] makes one.
func WithQuerier(q Querier) Option {
	return optionFunc(func(c *config) { c.querier = q })
}
