package grayopenfeature

import "github.com/graykit/graykit/gray"

// Option configures a [Provider] in [New].
type Option interface {
	apply(*config)
}

type config struct {
	observers []gray.Observer
	trackers  []TrackObserver
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// WithObserver reports the decisions of evaluations made outside a request
// (a job, a consumer: where no graykit middleware observes them) to o, as
// the middleware reports a request's (gray.WithObserver); pass the same
// observers, e.g. a *gray.Counters. Inside a request the middleware's
// observers see the decision already, once. If o is also a
// [TrackObserver], it receives tracking events too.
func WithObserver(o gray.Observer) Option {
	return optionFunc(func(c *config) {
		if o == nil {
			return
		}
		c.observers = append(c.observers, o)
		if t, ok := o.(TrackObserver); ok {
			c.trackers = append(c.trackers, t)
		}
	})
}

// WithTrackObserver sends OpenFeature tracking events ([Provider.Track]) to
// t, each attributed to the variants its subject was decided into.
func WithTrackObserver(t TrackObserver) Option {
	return optionFunc(func(c *config) {
		if t != nil {
			c.trackers = append(c.trackers, t)
		}
	})
}
