package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graykit/graykit/gray/guard"
)

// Notifier delivers every transition it is given to its targets (generic
// webhooks, Slack, DingTalk, Feishu/Lark), each from its own bounded queue
// and goroutine, with retries and backoff. [Notifier.Notify] never blocks:
// when a target's queue is full the event is dropped for that target,
// counted and logged. Failed deliveries are counted and logged too, and
// never reach the caller. A Notifier is safe for concurrent use; call
// [Notifier.Close] to stop its goroutines.
type Notifier struct {
	cfg     config
	targets []*target

	mu     sync.RWMutex // guards closed against sends on closed queues
	closed bool
	ctx    context.Context // canceled when Close gives up on the queues
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// target is one destination with its queue and counters.
type target struct {
	name   string
	sender sender
	queue  chan Event

	sent, failed, dropped, retries atomic.Uint64
}

// sender builds one kind of request and reads its answer.
type sender interface {
	// request returns the request delivering ev, signed at now.
	request(ctx context.Context, ev Event, now time.Time) (*http.Request, error)
	// check reads a 2xx answer's body: a chat robot may refuse with 200.
	check(body []byte) error
}

// Stats are one target's delivery counts since the Notifier was made.
type Stats struct {
	// Target is the kind and host, e.g. "slack hooks.slack.com".
	Target string
	// Sent counts events delivered; Failed, events given up on after the
	// last attempt or a refusal that retrying cannot change; Dropped,
	// events not queued because the queue was full or the Notifier
	// closed; Retries, attempts after the first.
	Sent, Failed, Dropped, Retries uint64
}

// New returns a Notifier for the targets among opts and starts one
// goroutine per target. It is an error to give no target, or a target
// whose URL is not http(s) or whose secret is malformed.
func New(opts ...Option) (*Notifier, error) {
	cfg := config{
		queue: 256, attempts: 5, firstBackoff: time.Second, maxBackoff: time.Minute,
		closeTimeout: 5 * time.Second, now: time.Now, log: slog.Default(),
		client: &http.Client{Timeout: 10 * time.Second},
	}
	for _, o := range opts {
		if o != nil {
			o.apply(&cfg)
		}
	}
	if cfg.err != nil {
		return nil, cfg.err
	}
	if len(cfg.targets) == 0 {
		return nil, errors.New("notify: no target: give WithWebhook, WithSlack, WithDingTalk or WithFeishu")
	}
	switch {
	case cfg.queue < 1:
		return nil, fmt.Errorf("notify: queue size %d is below 1", cfg.queue)
	case cfg.attempts < 1:
		return nil, fmt.Errorf("notify: %d attempts is below 1", cfg.attempts)
	case cfg.firstBackoff <= 0 || cfg.maxBackoff < cfg.firstBackoff:
		return nil, fmt.Errorf("notify: backoff %v up to %v: want 0 < first ≤ max", cfg.firstBackoff, cfg.maxBackoff)
	}
	n := &Notifier{cfg: cfg}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	for _, t := range cfg.targets {
		t.queue = make(chan Event, cfg.queue)
		n.targets = append(n.targets, t)
		n.wg.Add(1)
		go n.run(t)
	}
	return n, nil
}

// Notify queues the transition that produced s for every target and
// returns at once. Pass it to [guard.WithOnTransition]:
//
//	ctrl, err := guard.New(engine, store, guard.WithOnTransition(n.Notify))
//
// The guard calls it in the process that stored the transition, so each
// transition is notified once however many replicas run. After
// [Notifier.Close] it only counts the event as dropped.
func (n *Notifier) Notify(s guard.State) {
	ev := NewEvent(n.cfg.source, s)
	n.mu.RLock()
	defer n.mu.RUnlock()
	for _, t := range n.targets {
		if n.closed {
			t.dropped.Add(1)
			continue
		}
		select {
		case t.queue <- ev:
		default:
			t.dropped.Add(1)
			n.cfg.log.Warn("notify: queue full, event dropped", "target", t.name, "event", ev.ID, "queue", cap(t.queue))
		}
	}
}

// Stats returns every target's counts, in the order the targets were
// given.
func (n *Notifier) Stats() []Stats {
	out := make([]Stats, len(n.targets))
	for i, t := range n.targets {
		out[i] = Stats{
			Target: t.name, Sent: t.sent.Load(), Failed: t.failed.Load(),
			Dropped: t.dropped.Load(), Retries: t.retries.Load(),
		}
	}
	return out
}

// Close stops taking events, delivers what is queued for up to the close
// timeout ([WithCloseTimeout], default 5s), then abandons the rest
// (counted as failed) and waits for every goroutine to end. It is
// idempotent and returns nil.
func (n *Notifier) Close() error {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		for _, t := range n.targets {
			close(t.queue)
		}
	}
	n.mu.Unlock()
	stop := time.AfterFunc(n.cfg.closeTimeout, n.cancel)
	n.wg.Wait()
	stop.Stop()
	n.cancel()
	return nil
}

// run delivers t's queue until it is closed and drained.
func (n *Notifier) run(t *target) {
	defer n.wg.Done()
	for ev := range t.queue {
		n.deliver(t, ev)
	}
}

// deliver makes up to the configured attempts to deliver ev to t.
func (n *Notifier) deliver(t *target, ev Event) {
	backoff := n.cfg.firstBackoff
	for attempt := 1; ; attempt++ {
		wait, err := n.attempt(t, ev)
		if err == nil {
			t.sent.Add(1)
			return
		}
		var perm *permanentError
		final := errors.As(err, &perm) || attempt >= n.cfg.attempts || n.ctx.Err() != nil
		if final {
			t.failed.Add(1)
			n.cfg.log.Error("notify: delivery failed", "target", t.name, "event", ev.ID, "attempts", attempt, "err", err)
			return
		}
		// Full jitter over [backoff/2, backoff], at least what the
		// receiver asked for (Retry-After), so that a crowd of replicas
		// does not retry in step.
		d := backoff/2 + rand.N(backoff/2+1)
		d = max(d, min(wait, n.cfg.maxBackoff))
		n.cfg.log.Warn("notify: delivery failed, retrying", "target", t.name, "event", ev.ID, "attempt", attempt, "in", d, "err", err)
		t.retries.Add(1)
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case <-n.ctx.Done():
			timer.Stop()
		}
		backoff = min(2*backoff, n.cfg.maxBackoff)
	}
}

// attempt sends ev once. It returns how long the receiver asked to wait
// (Retry-After) and an error, a *permanentError when retrying cannot help.
func (n *Notifier) attempt(t *target, ev Event) (time.Duration, error) {
	req, err := t.sender.request(n.ctx, ev, n.cfg.now())
	if err != nil {
		return 0, &permanentError{err}
	}
	req.Header.Set("User-Agent", "graykit-notify")
	res, err := n.cfg.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return 0, err
	}
	switch code := res.StatusCode; {
	case code >= 200 && code < 300:
		return 0, t.sender.check(body)
	case code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500:
		return retryAfter(res.Header.Get("Retry-After")), fmt.Errorf("HTTP %d: %s", code, snippet(body))
	default:
		return 0, &permanentError{fmt.Errorf("HTTP %d: %s", code, snippet(body))}
	}
}

// retryAfter reads a Retry-After header given in seconds.
func retryAfter(h string) time.Duration {
	s, err := strconv.Atoi(h)
	if err != nil || s < 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}

// snippet is the start of a response body, for an error message.
func snippet(b []byte) string {
	const n = 200
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// permanentError is a delivery failure that a retry cannot change: a
// refused payload, signature or token.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }
