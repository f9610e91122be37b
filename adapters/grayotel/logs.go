package grayotel

import (
	"context"
	"go.opentelemetry.io/otel"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/log"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/graykit/graykit/gray/exposure"
)

// WithLoggerProvider sets where a [LogExporter] emits. Default
// otel.GetLoggerProvider().
func WithLoggerProvider(lp log.LoggerProvider) Option {
	return optionFunc(func(c *config) { c.logs = lp })
}

// LogExporter is an [exposure.Exporter] that emits each exposure as an
// OpenTelemetry log event named [EvaluationEventName], at the exposure's
// time, severity Info, with the feature-flag attributes of semantic
// conventions v1.43.0 (feature_flag.key, feature_flag.provider.name,
// feature_flag.result.variant, feature_flag.result.reason and, when the
// request had a key, feature_flag.context.id — hashed if the recorder
// hashes keys) and graykit's own (graykit.reason, graykit.default_variant,
// graykit.bucket, graykit.rule, graykit.subject.NAME for each allowed
// attribute). Give it to exposure.NewRecorder.
type LogExporter struct {
	logger log.Logger
}

var _ exposure.Exporter = (*LogExporter)(nil)

// NewLogExporter returns an exporter; only [WithLoggerProvider] applies.
func NewLogExporter(opts ...Option) *LogExporter {
	var c config
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	lp := c.logs
	if lp == nil {
		lp = otel.GetLoggerProvider()
	}
	return &LogExporter{logger: lp.Logger(ScopeName, log.WithSchemaURL(SchemaURL))}
}

// Export emits the events; it never fails (the log SDK's processors own
// delivery and its errors).
func (x *LogExporter) Export(ctx context.Context, events []exposure.Event) error {
	if !x.logger.Enabled(ctx, log.EnabledParameters{Severity: log.SeverityInfo, EventName: EvaluationEventName}) {
		return nil
	}
	now := time.Now()
	for i := range events {
		ev := &events[i]
		var r log.Record
		r.SetEventName(EvaluationEventName)
		r.SetTimestamp(ev.Time)
		r.SetObservedTimestamp(now)
		r.SetSeverity(log.SeverityInfo)
		r.SetSeverityText("INFO")
		r.AddAttributes(
			semconv.FeatureFlagKey(ev.Rollout),
			semconv.FeatureFlagProviderName(ProviderName),
			semconv.FeatureFlagResultVariant(ev.Variant),
			ResultReason(ev.Reason),
		)
		if ev.Subject != "" {
			r.AddAttributes(semconv.FeatureFlagContextID(ev.Subject))
		}
		r.AddAttributes(
			AttrReason.String(ev.Reason.String()),
			AttrDefaultVariant.String(ev.Default),
			AttrBucket.Int(ev.Bucket),
		)
		if ev.Rule != "" {
			r.AddAttributes(AttrRule.String(ev.Rule))
		}
		for _, a := range ev.Attrs {
			r.AddAttributes(attribute.String(AttrSubjectPrefix+a.Name, a.Value))
		}
		x.logger.Emit(ctx, r)
	}
	return nil
}
