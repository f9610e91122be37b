package exposure_test

import (
	"context"
	"testing"
	"time"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/exposure"
)

// BenchmarkRecord is what an exposure costs the request's goroutine, next
// to the shape one would write by hand: the time and the event sent on a
// buffered channel that drops when full, drained by a goroutine.
func BenchmarkRecord(b *testing.B) {
	s := &gray.Subject{Key: "user-42", Attrs: map[string]string{"region": "eu"}}
	d := gray.Decision{Rollout: "checkout-v2", Variant: "stable", Default: "stable", Reason: gray.ReasonDefault, Bucket: 4242}
	b.Run("recorder", func(b *testing.B) {
		rec, err := exposure.NewRecorder(exposure.ExporterFunc(func(context.Context, []exposure.Event) error { return nil }),
			exposure.WithAttributes("region"))
		if err != nil {
			b.Fatal(err)
		}
		defer rec.Close(context.Background())
		b.ReportAllocs()
		for b.Loop() {
			rec.ObserveExposure(context.Background(), s, d)
		}
		b.ReportMetric(float64(rec.Stats().Dropped)/float64(b.N), "dropped/op")
	})
	// Nothing dropped: a flush every 4096 exposures keeps the ring from
	// filling, and its time is counted, so this row is the whole cost of an
	// exposure, the recorder's goroutine's share included.
	b.Run("recorder/all-kept", func(b *testing.B) {
		rec, err := exposure.NewRecorder(exposure.ExporterFunc(func(context.Context, []exposure.Event) error { return nil }),
			exposure.WithAttributes("region"))
		if err != nil {
			b.Fatal(err)
		}
		defer rec.Close(context.Background())
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			rec.ObserveExposure(context.Background(), s, d)
			if i++; i%4096 == 0 {
				_ = rec.Flush(context.Background())
			}
		}
		b.ReportMetric(float64(rec.Stats().Dropped)/float64(b.N), "dropped/op")
	})
	b.Run("hand/channel", func(b *testing.B) {
		ch := make(chan exposure.Event, exposure.DefaultBufferSize)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range ch {
			}
		}()
		var dropped int
		b.ReportAllocs()
		for b.Loop() {
			ev := exposure.Event{Time: time.Now(), Rollout: d.Rollout, Variant: d.Variant, Default: d.Default,
				Reason: d.Reason, Rule: d.Rule, Bucket: d.Bucket, Subject: s.Key}
			select {
			case ch <- ev:
			default:
				dropped++
			}
		}
		close(ch)
		<-done
		b.ReportMetric(float64(dropped)/float64(b.N), "dropped/op")
	})
}
