package exposure

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graykit/graykit/gray"
)

// Event is one exposure: the first decision of one rollout in one request.
type Event struct {
	// Time is when the decision was made.
	Time time.Time
	// Rollout, Variant and Default are the decision's rollout, the variant
	// served and the rollout's default variant.
	Rollout, Variant, Default string
	// Reason says what decided; Rule names the rule when Reason is
	// gray.ReasonRule.
	Reason gray.Reason
	Rule   string
	// Bucket is the subject's bucket under the rollout's salt, -1 without a
	// key.
	Bucket int
	// Subject is the subject's key: as the request gave it, or its keyed
	// hash ([HashKey]) when the recorder was built with [WithHashedKeys].
	// Empty when the request had no key.
	Subject string
	// Attrs are the subject's attributes named by [WithAttributes] that the
	// request carried, in the order given there.
	Attrs []Attr
}

// Attr is one subject attribute of an [Event].
type Attr struct{ Name, Value string }

// Exporter receives batches of exposure events from a [Recorder], on the
// recorder's own goroutine, one batch at a time. The batch and its events'
// Attrs are reused after Export returns: copy what must be kept. An error
// counts the batch as failed; it is not retried.
type Exporter interface {
	Export(ctx context.Context, events []Event) error
}

// ExporterFunc adapts a function to [Exporter].
type ExporterFunc func(ctx context.Context, events []Event) error

// Export calls f.
func (f ExporterFunc) Export(ctx context.Context, events []Event) error { return f(ctx, events) }

// Defaults of a [Recorder]'s options.
const (
	DefaultBufferSize    = 8192
	DefaultBatchSize     = 512
	DefaultFlushInterval = time.Second
	DefaultExportTimeout = 10 * time.Second
	// MinHashKeyLen is the shortest secret [WithHashedKeys] accepts.
	MinHashKeyLen = 16
)

// pollInterval is how often an idle recorder's goroutine looks for
// events; busyInterval how soon it looks again after a drain that found a
// full batch, so that under load it drains the ring about every
// millisecond (8192 events, the default buffer, per millisecond) without
// the request path ever signalling it.
const (
	pollInterval = 50 * time.Millisecond
	busyInterval = time.Millisecond
)

// Option configures a [Recorder].
type Option interface{ apply(*config) }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	secret        []byte
	hashSet       bool
	attrs         []string
	bufferSize    int
	batchSize     int
	flushInterval time.Duration
	exportTimeout time.Duration
	log           *slog.Logger
}

// WithHashedKeys replaces each subject key by its HMAC-SHA256 under secret
// ([HashKey]) before the event leaves the process; the hashing runs on the
// recorder's goroutine, not the request's. The secret must be at least
// [MinHashKeyLen] bytes; keep it out of the exposure store.
//
// What it protects: a reader of the exposure log (a warehouse, a vendor, a
// leaked export) sees a stable pseudonym per user, enough to join exposures
// with outcomes hashed the same way, but cannot recover user IDs from it nor
// test a guess — an unkeyed hash of an e-mail address or a numeric ID is
// reversed by hashing candidates, a keyed one is not without the secret.
// What it does not: whoever holds the secret can test guesses; the pseudonym
// still links all events of one user, so attributes can re-identify them;
// and the raw key is in memory until the batch is exported.
func WithHashedKeys(secret []byte) Option {
	return optionFunc(func(c *config) {
		c.secret = append([]byte(nil), secret...)
		c.hashSet = true
	})
}

// WithAttributes names the subject attributes (gray.Subject.Attrs) copied
// into events; all others are left out. Default: none.
func WithAttributes(names ...string) Option {
	return optionFunc(func(c *config) { c.attrs = append(c.attrs, names...) })
}

// WithBufferSize bounds how many events wait for export (rounded up to a
// power of two); beyond it events are dropped and counted. Default
// [DefaultBufferSize].
func WithBufferSize(n int) Option { return optionFunc(func(c *config) { c.bufferSize = n }) }

// WithBatchSize sets the largest batch given to the exporter. Default
// [DefaultBatchSize].
func WithBatchSize(n int) Option { return optionFunc(func(c *config) { c.batchSize = n }) }

// WithFlushInterval sets how long an event may wait for a full batch before
// it is exported anyway. Default [DefaultFlushInterval].
func WithFlushInterval(d time.Duration) Option {
	return optionFunc(func(c *config) { c.flushInterval = d })
}

// WithExportTimeout bounds each call to the exporter. Default
// [DefaultExportTimeout].
func WithExportTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.exportTimeout = d })
}

// WithLogger sets where export errors are logged. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return optionFunc(func(c *config) { c.log = l }) }

// Recorder is a [gray.ExposureObserver] that turns each request's first
// decision per rollout into an [Event] and hands batches of them to an
// [Exporter] on a goroutine of its own. The request path never waits: it
// copies the event into a bounded ring (no lock, no channel, no allocation)
// or, when the ring is full or the recorder closed, drops it and counts the
// drop ([Recorder.Stats]). Pass it to gray.WithObserver; Close it at
// shutdown to export what is buffered. Safe for concurrent use.
type Recorder struct {
	exp     Exporter
	cfg     config
	q       *queue
	closed  atomic.Bool
	stats   struct{ recorded, exported, dropped, failed atomic.Uint64 }
	flushes chan chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

var _ gray.ExposureObserver = (*Recorder)(nil)

// NewRecorder starts a recorder that exports to exp. It fails on a nil
// exporter, a secret shorter than [MinHashKeyLen] and non-positive sizes or
// durations.
func NewRecorder(exp Exporter, opts ...Option) (*Recorder, error) {
	if exp == nil {
		return nil, errors.New("exposure: nil exporter")
	}
	c := config{
		bufferSize: DefaultBufferSize, batchSize: DefaultBatchSize,
		flushInterval: DefaultFlushInterval, exportTimeout: DefaultExportTimeout,
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	switch {
	case c.hashSet && len(c.secret) < MinHashKeyLen:
		return nil, fmt.Errorf("exposure: hash secret of %d bytes; at least %d needed", len(c.secret), MinHashKeyLen)
	case c.bufferSize <= 0 || c.bufferSize > 1<<24:
		return nil, fmt.Errorf("exposure: buffer size %d is outside 1..%d", c.bufferSize, 1<<24)
	case c.batchSize <= 0:
		return nil, fmt.Errorf("exposure: batch size %d is not positive", c.batchSize)
	case c.flushInterval <= 0 || c.exportTimeout <= 0:
		return nil, errors.New("exposure: flush interval and export timeout must be positive")
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	r := &Recorder{
		exp: exp, cfg: c, q: newQueue(c.bufferSize, len(c.attrs)),
		flushes: make(chan chan struct{}), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go r.run()
	return r, nil
}

// ObserveExposure records the exposure of s to d; it never blocks.
func (r *Recorder) ObserveExposure(_ context.Context, s *gray.Subject, d gray.Decision) {
	r.record(s, &d)
}

// ObserveDecision records a decision whose subject is unknown (an event
// without Subject or Attrs). The hook calls ObserveExposure instead.
func (r *Recorder) ObserveDecision(d gray.Decision) { r.record(nil, &d) }

// ObserveOutcome does nothing: exposures are decisions.
func (r *Recorder) ObserveOutcome(gray.Outcome) {}

func (r *Recorder) record(s *gray.Subject, d *gray.Decision) {
	r.stats.recorded.Add(1)
	if r.closed.Load() {
		r.stats.dropped.Add(1)
		return
	}
	sl, pos := r.q.claim()
	if sl == nil {
		r.stats.dropped.Add(1)
		return
	}
	rec := &sl.rec
	rec.ev = Event{
		Time: time.Now(), Rollout: d.Rollout, Variant: d.Variant, Default: d.Default,
		Reason: d.Reason, Rule: d.Rule, Bucket: d.Bucket,
	}
	rec.key = ""
	if s != nil {
		rec.key = s.Key
	}
	for i, name := range r.cfg.attrs {
		var v string
		var ok bool
		if s != nil {
			v, ok = s.Attrs[name]
		}
		rec.attrs[i], rec.set[i] = v, ok
	}
	r.q.publish(sl, pos)
}

// Stats are a recorder's counts since it started.
type Stats struct {
	// Recorded counts exposures observed; Exported those handed to the
	// exporter without error; Dropped those lost to a full buffer or a
	// closed recorder; Failed those in batches the exporter failed.
	Recorded, Exported, Dropped, Failed uint64
}

// Stats returns the counts so far.
func (r *Recorder) Stats() Stats {
	return Stats{
		Recorded: r.stats.recorded.Load(), Exported: r.stats.exported.Load(),
		Dropped: r.stats.dropped.Load(), Failed: r.stats.failed.Load(),
	}
}

// Flush exports every event recorded before it was called, and returns when
// that is done or ctx ends.
func (r *Recorder) Flush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case r.flushes <- ack:
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops recording (later exposures are dropped and counted), exports
// what is buffered and stops the recorder's goroutine. It returns ctx's
// error if ctx ends first; the goroutine then stops after its current
// export. Calling Close again waits for the same end.
func (r *Recorder) Close(ctx context.Context) error {
	r.once.Do(func() {
		r.closed.Store(true)
		close(r.stop)
	})
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run is the recorder's goroutine: it drains the ring into batches.
func (r *Recorder) run() {
	defer close(r.done)
	w := newWorker(r)
	timer := time.NewTimer(pollInterval)
	defer timer.Stop()
	last := time.Now()
	for {
		select {
		case <-r.stop:
			r.drainLast(w)
			return
		case ack := <-r.flushes:
			w.drain(true)
			last = time.Now()
			close(ack)
			timer.Reset(pollInterval)
		case now := <-timer.C:
			// Export full batches at once; a partial one once it is old.
			n := w.drain(now.Sub(last) >= r.cfg.flushInterval)
			if len(w.batch) == 0 {
				last = now
			}
			if n >= r.cfg.batchSize {
				timer.Reset(busyInterval)
			} else {
				timer.Reset(pollInterval)
			}
		}
	}
}

// drainLast exports what is left at Close. A request that saw the recorder
// open may still be copying its event into the ring: it counted itself in
// Recorded before looking, so the goroutine drains until every recorded
// event is exported, failed or dropped (for at most about a second).
func (r *Recorder) drainLast(w *worker) {
	for i := 0; ; i++ {
		w.drain(true)
		st := r.Stats()
		if st.Recorded == st.Exported+st.Dropped+st.Failed || i == 10000 {
			return
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// worker is the state of the recorder's goroutine.
type worker struct {
	r     *Recorder
	batch []Event
	attrs [][]Attr // per batch entry, reused
	mac   hash.Hash
	sum   []byte
}

func newWorker(r *Recorder) *worker {
	w := &worker{r: r, batch: make([]Event, 0, r.cfg.batchSize), attrs: make([][]Attr, r.cfg.batchSize)}
	for i := range w.attrs {
		w.attrs[i] = make([]Attr, 0, len(r.cfg.attrs))
	}
	if r.cfg.hashSet {
		w.mac = hmac.New(sha256.New, r.cfg.secret)
	}
	return w
}

// drain moves published events into batches and exports every full batch;
// with all, the last partial batch too. It returns how many it moved.
func (w *worker) drain(all bool) int {
	q := w.r.q
	n := 0
	for {
		s := q.peek()
		if s == nil {
			break
		}
		w.add(&s.rec)
		q.release(s)
		n++
		if len(w.batch) == cap(w.batch) {
			w.export()
		}
	}
	if all && len(w.batch) > 0 {
		w.export()
	}
	return n
}

func (w *worker) add(rec *record) {
	i := len(w.batch)
	ev := rec.ev
	ev.Subject = rec.key
	if w.mac != nil && rec.key != "" {
		w.mac.Reset()
		w.mac.Write([]byte(rec.key))
		w.sum = w.mac.Sum(w.sum[:0])
		ev.Subject = hex.EncodeToString(w.sum)
	}
	as := w.attrs[i][:0]
	for j, name := range w.r.cfg.attrs {
		if rec.set[j] {
			as = append(as, Attr{Name: name, Value: rec.attrs[j]})
		}
	}
	w.attrs[i] = as
	ev.Attrs = as
	w.batch = append(w.batch, ev)
	// Let the ring's slot stop referencing request memory.
	rec.key = ""
	clear(rec.attrs)
}

func (w *worker) export() {
	ctx, cancel := context.WithTimeout(context.Background(), w.r.cfg.exportTimeout)
	err := w.r.exp.Export(ctx, w.batch)
	cancel()
	n := uint64(len(w.batch))
	if err != nil {
		w.r.stats.failed.Add(n)
		w.r.cfg.log.Warn("exposure: export failed", "events", n, "error", err)
	} else {
		w.r.stats.exported.Add(n)
	}
	clear(w.batch) // drop references to request strings
	w.batch = w.batch[:0]
}

// HashKey returns the subject pseudonym [WithHashedKeys] exports for key:
// the lowercase hex HMAC-SHA256 of key under secret. Use it to hash outcome
// records the same way before joining them with exposures.
func HashKey(secret []byte, key string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))
}
