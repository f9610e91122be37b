package exposure

import (
	"context"
	"io"
	"log/slog"
)

// Message is the message of every record [SlogExporter] writes.
const Message = "gray.exposure"

// SlogExporter writes each event as one slog record: message [Message],
// the event's time as the record's time, and attributes rollout, variant,
// default, reason, rule (when a rule decided), bucket, subject (when the
// request had a key) and a group attrs with the allowed attributes.
type SlogExporter struct {
	h     slog.Handler
	level slog.Level
}

var _ Exporter = (*SlogExporter)(nil)

// NewSlogExporter writes through h at level Info. A nil h writes through
// slog.Default's handler.
func NewSlogExporter(h slog.Handler) *SlogExporter {
	if h == nil {
		h = slog.Default().Handler()
	}
	return &SlogExporter{h: h, level: slog.LevelInfo}
}

// NewJSONExporter writes JSON lines to w, one object per event, with
// slog's JSON handler (keys time, level, msg, then the attributes above).
func NewJSONExporter(w io.Writer) *SlogExporter {
	return NewSlogExporter(slog.NewJSONHandler(w, nil))
}

// Export writes the events; it stops at the first error of the handler.
func (x *SlogExporter) Export(ctx context.Context, events []Event) error {
	if !x.h.Enabled(ctx, x.level) {
		return nil
	}
	for i := range events {
		ev := &events[i]
		r := slog.NewRecord(ev.Time, x.level, Message, 0)
		r.AddAttrs(
			slog.String("rollout", ev.Rollout),
			slog.String("variant", ev.Variant),
			slog.String("default", ev.Default),
			slog.String("reason", ev.Reason.String()),
		)
		if ev.Rule != "" {
			r.AddAttrs(slog.String("rule", ev.Rule))
		}
		r.AddAttrs(slog.Int("bucket", ev.Bucket))
		if ev.Subject != "" {
			r.AddAttrs(slog.String("subject", ev.Subject))
		}
		if len(ev.Attrs) > 0 {
			as := make([]any, len(ev.Attrs))
			for j, a := range ev.Attrs {
				as[j] = slog.String(a.Name, a.Value)
			}
			r.AddAttrs(slog.Group("attrs", as...))
		}
		if err := x.h.Handle(ctx, r); err != nil {
			return err
		}
	}
	return nil
}
