package exposure_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/exposure"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const testConfig = `
rollouts:
  - name: checkout-v2
    percent: 5
    rules: [{name: staff, when: {field: key, in: [u-1]}, serve: canary}]
  - name: search
    percent: 50
`

func newEngine(t testing.TB) *gray.Engine {
	t.Helper()
	cfg, err := gray.ParseConfig([]byte(testConfig))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	return e
}

// memExporter keeps copies of what it receives.
type memExporter struct {
	mu      sync.Mutex
	events  []exposure.Event
	batches int
}

func (m *memExporter) Export(_ context.Context, evs []exposure.Event) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.batches++
	for _, ev := range evs {
		ev.Attrs = append([]exposure.Attr(nil), ev.Attrs...)
		m.events = append(m.events, ev)
	}
	return nil
}

func (m *memExporter) got() []exposure.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]exposure.Event(nil), m.events...)
}

func serve(t testing.TB, h http.Handler, user, region string) {
	req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/", nil)
	if user != "" {
		req.Header.Set("X-User", user)
	}
	req.Header.Set("X-Region", region)
	h.ServeHTTP(httptest.NewRecorder(), req)
}

func handler(e *gray.Engine, rec *exposure.Recorder) http.Handler {
	attrs := gray.WithAttributes(func(_ context.Context, r gray.Request) map[string]string {
		v, _ := r.Header("X-Region")
		return map[string]string{"region": v, "email": "secret@example.com"}
	})
	return gray.Middleware(e, gray.WithKeyFromHeader("X-User"), attrs, gray.WithObserver(rec))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			gray.Variant(r.Context(), "checkout-v2")
			gray.Variant(r.Context(), "checkout-v2") // asked twice: one exposure
			gray.Variant(r.Context(), "search")
			gray.Variant(r.Context(), "no-such-rollout") // unknown: none
		}))
}

func TestRecorderExportsFirstDecisionsWithSubject(t *testing.T) {
	e := newEngine(t)
	mem := &memExporter{}
	rec, err := exposure.NewRecorder(mem, exposure.WithAttributes("region", "tier"))
	require.NoError(t, err)
	before := time.Now()
	h := handler(e, rec)
	serve(t, h, "u-1", "eu")
	serve(t, h, "", "us")
	require.NoError(t, rec.Close(t.Context()))

	evs := mem.got()
	require.Len(t, evs, 4)
	for _, ev := range evs {
		assert.False(t, ev.Time.Before(before), "time")
		assert.WithinDuration(t, time.Now(), ev.Time, time.Minute)
	}
	want := []exposure.Event{
		{Rollout: "checkout-v2", Variant: "canary", Default: "stable", Reason: gray.ReasonRule, Rule: "staff",
			Bucket: gray.SaltedBucket("checkout-v2", "u-1"), Subject: "u-1", Attrs: []exposure.Attr{{"region", "eu"}}},
		{Rollout: "search", Variant: e.Decide("search", gray.Subject{Key: "u-1"}).Variant, Default: "stable",
			Reason: e.Decide("search", gray.Subject{Key: "u-1"}).Reason,
			Bucket: gray.SaltedBucket("search", "u-1"), Subject: "u-1", Attrs: []exposure.Attr{{"region", "eu"}}},
		{Rollout: "checkout-v2", Variant: "stable", Default: "stable", Reason: gray.ReasonNoKey, Bucket: -1,
			Attrs: []exposure.Attr{{"region", "us"}}},
		{Rollout: "search", Variant: "stable", Default: "stable", Reason: gray.ReasonNoKey, Bucket: -1,
			Attrs: []exposure.Attr{{"region", "us"}}},
	}
	for i := range evs {
		evs[i].Time = time.Time{}
	}
	assert.Equal(t, want, evs, "the allow-list leaves email out; tier is absent")
	assert.Equal(t, exposure.Stats{Recorded: 4, Exported: 4}, rec.Stats())
}

func TestRecorderHashesKeys(t *testing.T) {
	secret := []byte("0123456789abcdef-secret")
	mem := &memExporter{}
	rec, err := exposure.NewRecorder(mem, exposure.WithHashedKeys(secret))
	require.NoError(t, err)
	serve(t, handler(newEngine(t), rec), "alice@example.com", "eu")
	require.NoError(t, rec.Close(t.Context()))
	evs := mem.got()
	require.Len(t, evs, 2)
	// Known answer: HMAC-SHA256("0123456789abcdef-secret", "alice@example.com").
	const want = "13e14219e1d4e5b45729c2b369aca32083dd8547d19746a827aca4ebecc37051"
	assert.Equal(t, want, evs[0].Subject)
	assert.Equal(t, want, exposure.HashKey(secret, "alice@example.com"))
	assert.Len(t, evs[0].Subject, 64)
	assert.NotContains(t, evs[0].Subject, "alice")
	assert.NotEqual(t, exposure.HashKey([]byte("another-secret-of-16b"), "alice@example.com"), evs[0].Subject)
}

func TestNewRecorderRejectsBadOptions(t *testing.T) {
	mem := &memExporter{}
	tests := []struct {
		name string
		exp  exposure.Exporter
		opts []exposure.Option
		want string
	}{
		{"nil exporter", nil, nil, "nil exporter"},
		{"short secret", mem, []exposure.Option{exposure.WithHashedKeys([]byte("short"))}, "hash secret of 5 bytes"},
		{"empty secret", mem, []exposure.Option{exposure.WithHashedKeys(nil)}, "hash secret of 0 bytes"},
		{"buffer", mem, []exposure.Option{exposure.WithBufferSize(0)}, "buffer size 0"},
		{"batch", mem, []exposure.Option{exposure.WithBatchSize(-1)}, "batch size -1"},
		{"interval", mem, []exposure.Option{exposure.WithFlushInterval(0)}, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := exposure.NewRecorder(tt.exp, tt.opts...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// stalled blocks every export until released.
type stalled struct {
	memExporter
	entered chan struct{}
	release chan struct{}
	once    sync.Once
}

func (s *stalled) Export(ctx context.Context, evs []exposure.Event) error {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	return s.memExporter.Export(ctx, evs)
}

func TestStalledExporterDropsInsteadOfBlocking(t *testing.T) {
	exp := &stalled{entered: make(chan struct{}), release: make(chan struct{})}
	rec, err := exposure.NewRecorder(exp, exposure.WithBufferSize(64), exposure.WithBatchSize(8))
	require.NoError(t, err)
	h := handler(newEngine(t), rec)
	// Fill a first batch and wait until the exporter is stuck in it.
	for i := 0; i < 4; i++ {
		serve(t, h, "u-1", "eu")
	}
	select {
	case <-exp.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the exporter was never called")
	}
	// 1000 requests decide 2000 rollouts while the exporter is stuck: all
	// must return, the 64-slot ring fills, the rest are counted as dropped.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 1000; i++ {
			serve(t, h, "u-1", "eu")
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("requests blocked behind a stalled exporter")
	}
	st := rec.Stats()
	assert.Equal(t, uint64(2008), st.Recorded)
	assert.GreaterOrEqual(t, st.Dropped, uint64(2008-8-64), "at most one batch in export and a full ring survive")
	close(exp.release)
	require.NoError(t, rec.Close(t.Context()))
	st = rec.Stats()
	assert.Equal(t, st.Recorded, st.Exported+st.Dropped, "every event is exported or counted as dropped")
	assert.Len(t, exp.got(), int(st.Exported))
}

func TestCloseFlushesAndLaterEventsDrop(t *testing.T) {
	mem := &memExporter{}
	// A flush interval far beyond the test: only Close can export.
	rec, err := exposure.NewRecorder(mem, exposure.WithFlushInterval(time.Hour), exposure.WithBatchSize(1000))
	require.NoError(t, err)
	h := handler(newEngine(t), rec)
	for i := 0; i < 10; i++ {
		serve(t, h, "u-1", "eu")
	}
	time.Sleep(120 * time.Millisecond) // a few polls: a partial batch must wait
	assert.Empty(t, mem.got())
	require.NoError(t, rec.Close(t.Context()))
	assert.Len(t, mem.got(), 20)
	serve(t, h, "u-1", "eu")
	assert.Equal(t, exposure.Stats{Recorded: 22, Exported: 20, Dropped: 2}, rec.Stats())
	require.NoError(t, rec.Close(t.Context()), "a second Close")
}

func TestFlushIntervalExportsPartialBatch(t *testing.T) {
	mem := &memExporter{}
	rec, err := exposure.NewRecorder(mem, exposure.WithFlushInterval(100*time.Millisecond))
	require.NoError(t, err)
	defer rec.Close(t.Context())
	serve(t, handler(newEngine(t), rec), "u-1", "eu")
	require.Eventually(t, func() bool { return len(mem.got()) == 2 }, 5*time.Second, 10*time.Millisecond)
}

func TestExportErrorsAreCounted(t *testing.T) {
	var logs bytes.Buffer
	fail := exposure.ExporterFunc(func(context.Context, []exposure.Event) error { return errors.New("sink down") })
	rec, err := exposure.NewRecorder(fail, exposure.WithLogger(slogTo(&logs)))
	require.NoError(t, err)
	serve(t, handler(newEngine(t), rec), "u-1", "eu")
	require.NoError(t, rec.Close(t.Context()))
	assert.Equal(t, exposure.Stats{Recorded: 2, Failed: 2}, rec.Stats())
	assert.Contains(t, logs.String(), "sink down")
}

func TestConcurrentRecordingLosesNothing(t *testing.T) {
	mem := &memExporter{}
	rec, err := exposure.NewRecorder(mem, exposure.WithBufferSize(1<<16))
	require.NoError(t, err)
	h := handler(newEngine(t), rec)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				serve(t, h, "u-"+string(rune('a'+g)), "eu")
			}
		}()
	}
	wg.Wait()
	require.NoError(t, rec.Close(t.Context()))
	st := rec.Stats()
	require.Zero(t, st.Dropped)
	assert.Equal(t, uint64(8000), st.Exported)
	perUser := map[string]int{}
	for _, ev := range mem.got() {
		perUser[ev.Subject]++
	}
	assert.Len(t, perUser, 8)
	for u, n := range perUser {
		assert.Equal(t, 1000, n, u)
	}
}

func TestJSONExporterWritesOneLinePerEvent(t *testing.T) {
	var out bytes.Buffer
	exp := exposure.NewJSONExporter(&out)
	at := time.Date(2026, 12, 1, 5, 0, 0, 0, time.UTC)
	err := exp.Export(t.Context(), []exposure.Event{
		{Time: at, Rollout: "checkout-v2", Variant: "canary", Default: "stable", Reason: gray.ReasonRule, Rule: "staff",
			Bucket: 8622, Subject: "u-1", Attrs: []exposure.Attr{{"region", "eu"}}},
		{Time: at, Rollout: "search", Variant: "stable", Default: "stable", Reason: gray.ReasonNoKey, Bucket: -1},
	})
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 2)
	var first, second map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &second))
	assert.Equal(t, map[string]any{
		"time": "2026-12-01T05:00:00Z", "level": "INFO", "msg": "gray.exposure",
		"rollout": "checkout-v2", "variant": "canary", "default": "stable", "reason": "rule", "rule": "staff",
		"bucket": float64(8622), "subject": "u-1", "attrs": map[string]any{"region": "eu"},
	}, first)
	assert.Equal(t, map[string]any{
		"time": "2026-12-01T05:00:00Z", "level": "INFO", "msg": "gray.exposure",
		"rollout": "search", "variant": "stable", "default": "stable", "reason": "no key", "bucket": float64(-1),
	}, second)
}

func TestRecordingAllocatesNothing(t *testing.T) {
	rec, err := exposure.NewRecorder(&memExporter{}, exposure.WithAttributes("region"), exposure.WithHashedKeys([]byte("0123456789abcdef")))
	require.NoError(t, err)
	defer rec.Close(t.Context())
	s := &gray.Subject{Key: "u-1", Attrs: map[string]string{"region": "eu"}}
	d := gray.Decision{Rollout: "checkout-v2", Variant: "canary", Default: "stable", Reason: gray.ReasonSplit, Bucket: 1}
	allocs := testing.AllocsPerRun(1000, func() { rec.ObserveExposure(context.Background(), s, d) })
	assert.Zero(t, allocs)
}

func TestFlushExportsWhatWasRecorded(t *testing.T) {
	mem := &memExporter{}
	rec, err := exposure.NewRecorder(mem, exposure.WithFlushInterval(time.Hour))
	require.NoError(t, err)
	defer rec.Close(t.Context())
	serve(t, handler(newEngine(t), rec), "u-1", "eu")
	require.NoError(t, rec.Flush(t.Context()))
	assert.Len(t, mem.got(), 2)
}

func TestCloseDuringTrafficAccountsForEveryEvent(t *testing.T) {
	for range 20 {
		mem := &memExporter{}
		rec, err := exposure.NewRecorder(mem, exposure.WithBufferSize(1<<14))
		require.NoError(t, err)
		h := handler(newEngine(t), rec)
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 200 {
					serve(t, h, "u-1", "eu")
				}
			}()
		}
		time.Sleep(time.Millisecond)
		require.NoError(t, rec.Close(t.Context()))
		wg.Wait()
		st := rec.Stats()
		assert.Equal(t, uint64(1600), st.Recorded)
		assert.Equal(t, st.Recorded, st.Exported+st.Dropped, "%+v", st)
		assert.Len(t, mem.got(), int(st.Exported))
	}
}
