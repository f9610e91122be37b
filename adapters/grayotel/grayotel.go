package grayotel

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/exposure"
)

// Names this package writes.
const (
	// ProviderName is the value of feature_flag.provider.name.
	ProviderName = "graykit"
	// EvaluationEventName is the name of the span events and log events
	// that record a decision, as the feature-flag conventions require.
	EvaluationEventName = "feature_flag.evaluation"
	// ScopeName is the instrumentation scope of the meter and logger.
	ScopeName = "github.com/graykit/graykit/adapters/grayotel"
	// SchemaURL is the semantic-conventions schema the names follow.
	SchemaURL = semconv.SchemaURL

	// Metric names (graykit's own: the conventions define no feature-flag
	// metrics).
	MetricDecisions       = "graykit.decisions"
	MetricRequests        = "graykit.requests"
	MetricRequestDuration = "graykit.request.duration"
	// MetricTracked is a histogram of the values application code
	// records with gray.Track (1) and gray.TrackValue, by rollout, variant
	// and name ([AttrTrackedName]): its count is how often an outcome
	// happened, its sum their total.
	MetricTracked = "graykit.tracked"

	// Attributes graykit adds beside the conventions' own.
	AttrBucket         = attribute.Key("graykit.bucket")
	AttrRule           = attribute.Key("graykit.rule")
	AttrDefaultVariant = attribute.Key("graykit.default_variant")
	AttrReason         = attribute.Key("graykit.reason")
	AttrOutcome        = attribute.Key("graykit.outcome")
	AttrTrackedName    = attribute.Key("graykit.tracked.name")
	// AttrSubjectPrefix prefixes the allowed subject attributes of an
	// exposure log event: graykit.subject.region, …
	AttrSubjectPrefix = "graykit.subject."
)

// ResultReason maps graykit's reason to the conventions'
// feature_flag.result.reason: off → disabled, rule → targeting_match, a
// split (inside or past the variants' ranges) → split, no key → default,
// propagated (an upstream service's signed decision, reused) → cached, an
// unknown rollout → error.
func ResultReason(r gray.Reason) attribute.KeyValue {
	switch r {
	case gray.ReasonOff:
		return semconv.FeatureFlagResultReasonDisabled
	case gray.ReasonRule:
		return semconv.FeatureFlagResultReasonTargetingMatch
	case gray.ReasonSplit, gray.ReasonDefault:
		return semconv.FeatureFlagResultReasonSplit
	case gray.ReasonNoKey:
		return semconv.FeatureFlagResultReasonDefault
	case gray.ReasonPropagated:
		return semconv.FeatureFlagResultReasonCached
	case gray.ReasonUnknownRollout:
		return semconv.FeatureFlagResultReasonError
	}
	return semconv.FeatureFlagResultReasonUnknown
}

// Option configures an [Observer] or a [LogExporter].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	meters    metric.MeterProvider
	noMetrics bool
	noSpans   bool
	contextID int // 0 raw, 1 hashed, 2 none
	secret    []byte
	logs      log.LoggerProvider
}

const (
	contextIDRaw = iota
	contextIDHashed
	contextIDNone
)

// WithMeterProvider sets where metrics go. Default otel.GetMeterProvider().
func WithMeterProvider(mp metric.MeterProvider) Option {
	return optionFunc(func(c *config) { c.meters = mp })
}

// WithoutMetrics records no metrics.
func WithoutMetrics() Option { return optionFunc(func(c *config) { c.noMetrics = true }) }

// WithoutSpanEvents adds no events to request spans.
func WithoutSpanEvents() Option { return optionFunc(func(c *config) { c.noSpans = true }) }

// WithHashedContextID writes feature_flag.context.id as the subject key's
// keyed hash, [exposure.HashKey] under secret (at least
// [exposure.MinHashKeyLen] bytes), instead of the key itself: traces then
// carry a pseudonym that joins with hashed exposure logs but names nobody
// to a reader without the secret. It costs one HMAC per span event.
func WithHashedContextID(secret []byte) Option {
	return optionFunc(func(c *config) {
		c.contextID, c.secret = contextIDHashed, append([]byte(nil), secret...)
	})
}

// WithoutContextID leaves feature_flag.context.id out of span events.
func WithoutContextID() Option { return optionFunc(func(c *config) { c.contextID = contextIDNone }) }

// Observer is a [gray.ExposureObserver] that reports decisions to
// OpenTelemetry: an event named [EvaluationEventName] on the request's span
// for each rollout the request decides (only when the span is recording),
// with the feature-flag attributes of semantic conventions v1.43.0, and
// metrics [MetricDecisions], [MetricRequests] and [MetricRequestDuration]
// per rollout and variant. Pass it to gray.WithObserver or any adapter's
// options. Safe for concurrent use; recording a metric allocates nothing
// once a rollout, variant and reason have been seen.
type Observer struct {
	cfg       config
	decisions metric.Int64Counter
	requests  metric.Int64Counter
	duration  metric.Float64Histogram
	tracked   metric.Float64Histogram
	nsets     atomic.Int64  // attribute sets built so far
	overflow  atomic.Uint64 // tracked values dropped for too many sets

	mu   sync.Mutex // serializes adding to sets
	sets atomic.Pointer[map[setKey]*setOpts]
}

var (
	_ gray.ExposureObserver = (*Observer)(nil)
	_ gray.MetricObserver   = (*Observer)(nil)
)

// MaxTrackedSets bounds the rollout, variant and name combinations of
// [MetricTracked]: names come from application code, and a name built
// from request data would otherwise grow the series without end. Values
// beyond it are dropped and counted ([Observer.DroppedTracked]).
const MaxTrackedSets = 4096

// setKey identifies one attribute set: a decision's (reason) or an
// outcome's (outcome).
type setKey struct {
	rollout, variant string
	name             string // kind 2: the tracked name
	kind             uint8  // 0 decision, 1 outcome, 2 tracked
	sub              uint8  // the reason, or the outcome
}

type setOpts struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

// New returns an observer. It fails if an instrument cannot be created or
// a hash secret is too short.
func New(opts ...Option) (*Observer, error) {
	o := &Observer{}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o.cfg)
		}
	}
	if o.cfg.contextID == contextIDHashed && len(o.cfg.secret) < exposure.MinHashKeyLen {
		return nil, fmt.Errorf("grayotel: hash secret of %d bytes; at least %d needed", len(o.cfg.secret), exposure.MinHashKeyLen)
	}
	if o.cfg.noMetrics {
		return o, nil
	}
	mp := o.cfg.meters
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	m := mp.Meter(ScopeName, metric.WithSchemaURL(SchemaURL))
	var err1, err2, err3, err4 error
	o.decisions, err1 = m.Int64Counter(MetricDecisions, metric.WithUnit("{decision}"),
		metric.WithDescription("Rollouts decided, once per rollout and request, by variant and reason."))
	o.requests, err2 = m.Int64Counter(MetricRequests, metric.WithUnit("{request}"),
		metric.WithDescription("Requests that decided a rollout, by variant and outcome (ok, error, panic)."))
	o.duration, err3 = m.Float64Histogram(MetricRequestDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of requests that decided a rollout, by variant."))
	o.tracked, err4 = m.Float64Histogram(MetricTracked, metric.WithUnit("1"),
		metric.WithDescription("Business outcomes recorded with gray.Track and gray.TrackValue, by rollout, variant and name."))
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, fmt.Errorf("grayotel: %w", err)
	}
	return o, nil
}

// ObserveExposure adds the span event and counts the decision.
func (o *Observer) ObserveExposure(ctx context.Context, s *gray.Subject, d gray.Decision) {
	if !o.cfg.noSpans {
		if span := trace.SpanFromContext(ctx); span.IsRecording() {
			// The SDK copies the attributes: the slice goes back to the pool.
			p := attrPool.Get().(*[]attribute.KeyValue)
			*p = o.evalAttrs((*p)[:0], s, &d)
			span.AddEvent(EvaluationEventName, trace.WithAttributes(*p...))
			clear(*p)
			attrPool.Put(p)
		}
	}
	o.countDecision(ctx, &d)
}

// ObserveDecision counts a decision made without a request's context.
func (o *Observer) ObserveDecision(d gray.Decision) { o.countDecision(context.Background(), &d) }

func (o *Observer) countDecision(ctx context.Context, d *gray.Decision) {
	if o.decisions == nil {
		return
	}
	set := o.set(setKey{rollout: d.Rollout, variant: d.Variant, kind: 0, sub: uint8(d.Reason)})
	o.decisions.Add(ctx, 1, set.add...)
}

// Outcome values of [AttrOutcome].
const (
	OutcomeOK    = "ok"
	OutcomeError = "error"
	OutcomePanic = "panic"
)

// ObserveOutcome counts the request and records its duration.
func (o *Observer) ObserveOutcome(out gray.Outcome) {
	if o.requests == nil {
		return
	}
	var sub uint8
	switch {
	case out.Panic:
		sub = 2
	case out.Error:
		sub = 1
	}
	set := o.set(setKey{rollout: out.Rollout, variant: out.Variant, kind: 1, sub: sub})
	ctx := context.Background()
	o.requests.Add(ctx, 1, set.add...)
	o.duration.Record(ctx, out.Latency.Seconds(), set.record...)
}

// ObserveMetric records a tracked outcome in [MetricTracked]; it
// allocates nothing once its rollout, variant and name have been seen.
func (o *Observer) ObserveMetric(m gray.Metric) {
	if o.tracked == nil {
		return
	}
	k := setKey{rollout: m.Rollout, variant: m.Variant, name: m.Name, kind: 2}
	set := o.lookup(k)
	if set == nil {
		if o.nsets.Load() >= MaxTrackedSets {
			o.overflow.Add(1)
			return
		}
		set = o.set(k)
	}
	o.tracked.Record(context.Background(), m.Value, set.record...)
}

// DroppedTracked returns how many tracked values were dropped because
// [MaxTrackedSets] combinations were already in use.
func (o *Observer) DroppedTracked() uint64 { return o.overflow.Load() }

func (o *Observer) lookup(k setKey) *setOpts {
	if m := o.sets.Load(); m != nil {
		return (*m)[k]
	}
	return nil
}

// set returns the options for k, building them on first use. The map is
// copied on write, so reads take no lock.
func (o *Observer) set(k setKey) *setOpts {
	if m := o.sets.Load(); m != nil {
		if s := (*m)[k]; s != nil {
			return s
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	old := o.sets.Load()
	if old != nil {
		if s := (*old)[k]; s != nil {
			return s
		}
	}
	// Each attribute costs the SDK work on every measurement: the provider
	// is the scope's, and graykit.reason adds nothing that the variant and
	// feature_flag.result.reason do not say.
	attrs := []attribute.KeyValue{
		semconv.FeatureFlagKey(k.rollout),
		semconv.FeatureFlagResultVariant(k.variant),
	}
	s := &setOpts{}
	switch k.kind {
	case 2:
		o.nsets.Add(1)
		s.record = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(append(attrs, AttrTrackedName.String(k.name))...))}
	case 0:
		r := gray.Reason(k.sub)
		attrs = append(attrs, ResultReason(r))
		s.add = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}
	default:
		outcome := [...]string{OutcomeOK, OutcomeError, OutcomePanic}[k.sub]
		set := attribute.NewSet(append(attrs, AttrOutcome.String(outcome))...)
		s.add = []metric.AddOption{metric.WithAttributeSet(set)}
		// The duration is by variant only.
		s.record = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(attrs...))}
	}
	m := make(map[setKey]*setOpts, 1+lenOf(old))
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	m[k] = s
	o.sets.Store(&m)
	return s
}

func lenOf(m *map[setKey]*setOpts) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// attrPool holds span events' attribute slices between events.
var attrPool = sync.Pool{New: func() any { s := make([]attribute.KeyValue, 0, 9); return &s }}

// evalAttrs appends a span event's attributes to attrs.
func (o *Observer) evalAttrs(attrs []attribute.KeyValue, s *gray.Subject, d *gray.Decision) []attribute.KeyValue {
	attrs = append(attrs,
		semconv.FeatureFlagKey(d.Rollout),
		semconv.FeatureFlagProviderName(ProviderName),
		semconv.FeatureFlagResultVariant(d.Variant),
		ResultReason(d.Reason),
	)
	if s != nil && s.Key != "" {
		switch o.cfg.contextID {
		case contextIDRaw:
			attrs = append(attrs, semconv.FeatureFlagContextID(s.Key))
		case contextIDHashed:
			attrs = append(attrs, semconv.FeatureFlagContextID(exposure.HashKey(o.cfg.secret, s.Key)))
		}
	}
	attrs = append(attrs, AttrReason.String(d.Reason.String()), AttrDefaultVariant.String(d.Default), AttrBucket.Int(d.Bucket))
	if d.Rule != "" {
		attrs = append(attrs, AttrRule.String(d.Rule))
	}
	return attrs
}
