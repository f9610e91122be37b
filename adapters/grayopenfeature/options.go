package grayopenfeature

import (
	of "github.com/open-feature/go-sdk/openfeature"

	"github.com/graykit/graykit/gray"
)

// Option configures a [Provider] in [New].
type Option interface {
	apply(*config)
}

type config struct {
	observers    []gray.Observer
	trackers     []TrackObserver
	trackOutcome func(name string, details of.TrackingEventDetails) (gray.Outcome, bool)
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

// WithTrackOutcome turns chosen tracking events into outcomes for
// [WithObserver]'s observers, so that graykit's metrics and a guarded
// rollout's judge count them: f maps an event to an outcome (its Rollout
// and Variant are filled in from each decision the event is attributed to)
// or reports false to leave it out. For example, a payment the user saw
// fail:
//
//	grayopenfeature.WithTrackOutcome(func(name string, _ openfeature.TrackingEventDetails) (gray.Outcome, bool) {
//		return gray.Outcome{Status: 500, Code: name, Error: true}, name == "payment-failed"
//	})
//
// Off by default: a tracking event is not a request, and counting every one
// as a request would change the error rates the judge compares.
func WithTrackOutcome(f func(name string, details of.TrackingEventDetails) (gray.Outcome, bool)) Option {
	return optionFunc(func(c *config) { c.trackOutcome = f })
}
