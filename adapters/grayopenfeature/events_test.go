package grayopenfeature_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/graykit/graykit/adapters/grayopenfeature"
	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/gray/watch"
)

// events subscribes to the API's events of the given types.
func events(api *of.EvaluationAPI, types ...of.EventType) <-chan of.EventDetails {
	ch := make(chan of.EventDetails, 64)
	for _, t := range types {
		cb := func(d of.EventDetails) {
			d.EventMetadata = map[string]any{"type": string(t)}
			ch <- d
		}
		api.AddHandler(t, &cb)
	}
	return ch
}

func next(t *testing.T, ch <-chan of.EventDetails) (of.EventType, of.EventDetails) {
	t.Helper()
	select {
	case d := <-ch:
		return of.EventType(d.EventMetadata["type"].(string)), d
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return "", of.EventDetails{}
}

func none(t *testing.T, ch <-chan of.EventDetails) {
	t.Helper()
	select {
	case d := <-ch:
		t.Fatalf("unexpected event %v: %+v", d.EventMetadata["type"], d)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestEventsOnEngineChanges(t *testing.T) {
	e := newEngine(t, testConfig)
	p := grayopenfeature.New(e)
	api, client := newClient(t, p)
	ch := events(api, of.ProviderConfigChange, of.ProviderStale, of.ProviderReady, of.ProviderError)
	typ, _ := next(t, ch) // a handler added after READY runs at once for the current state
	require.Equal(t, of.ProviderReady, typ)
	none(t, ch)

	// Update: the rollouts that changed are named.
	cfg := *e.Config()
	cfg.Rollouts = append([]gray.Rollout{}, cfg.Rollouts...)
	cfg.Rollouts[0].Percent = 60                                               // plain
	cfg.Rollouts = append(cfg.Rollouts, gray.Rollout{Name: "new", Percent: 1}) // added
	require.NoError(t, e.Update(&cfg))
	typ, d := next(t, ch)
	assert.Equal(t, of.ProviderConfigChange, typ)
	assert.Equal(t, []string{"new", "plain"}, d.FlagChanges)
	assert.Equal(t, grayopenfeature.Name, d.ProviderName)

	// The same content again changes nothing.
	same := cfg
	require.NoError(t, e.Update(&same))
	none(t, ch)

	// An override (an operator's brake, a guard's step) and its clearing.
	off := false
	require.NoError(t, e.SetOverride("flag-bool", gray.Override{Enabled: &off}))
	typ, d = next(t, ch)
	assert.Equal(t, of.ProviderConfigChange, typ)
	assert.Equal(t, []string{"flag-bool"}, d.FlagChanges)
	got, err := client.BooleanValueDetails(context.Background(), "flag-bool", true, of.NewEvaluationContext("u", nil))
	require.NoError(t, err)
	assert.Equal(t, of.DisabledReason, got.Reason)
	e.ClearOverride("flag-bool")
	typ, d = next(t, ch)
	assert.Equal(t, of.ProviderConfigChange, typ)
	assert.Equal(t, []string{"flag-bool"}, d.FlagChanges)

	// A failing source makes the provider STALE, once; recovery READY.
	p.FileReloaded(errors.New("bad yaml"))
	typ, d = next(t, ch)
	assert.Equal(t, of.ProviderStale, typ)
	assert.Contains(t, d.Message, "file: bad yaml")
	assert.Equal(t, of.StaleState, client.State())
	p.StoreTicked(errors.New("connection refused"))
	none(t, ch)
	p.FileReloaded(nil)
	none(t, ch) // the store still fails
	assert.Equal(t, of.StaleState, client.State())
	p.StoreTicked(nil)
	typ, _ = next(t, ch)
	assert.Equal(t, of.ProviderReady, typ)
	assert.Equal(t, of.ReadyState, client.State())
	p.StoreTicked(nil)
	none(t, ch)
}

func TestEventsFromAWatchedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rollouts.yaml")
	write := func(s string) { require.NoError(t, os.WriteFile(path, []byte(s), 0o600)) }
	write("rollouts: [{name: a, percent: 5}]\n")
	e, err := gray.New(&gray.Config{})
	require.NoError(t, err)
	p := grayopenfeature.New(e)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	w, err := watch.File(ctx, e, path, watch.OnReload(p.FileReloaded), watch.WithDebounce(10*time.Millisecond))
	require.NoError(t, err)
	defer w.Close()

	api, client := newClient(t, p)
	ch := events(api, of.ProviderConfigChange, of.ProviderStale, of.ProviderReady)
	typ, _ := next(t, ch)
	require.Equal(t, of.ProviderReady, typ)

	write("rollouts: [{name: a, percent: 101}]\n")
	typ, d := next(t, ch)
	assert.Equal(t, of.ProviderStale, typ)
	assert.Contains(t, d.Message, "101 is above 100")
	on, _ := client.BooleanValue(context.Background(), "a", false, of.NewEvaluationContext("u", nil))
	assert.Equal(t, e.Decide("a", gray.Subject{Key: "u"}).IsNew(), on, "the last good config still serves")

	write("rollouts: [{name: a, percent: 50}]\n")
	seen := map[of.EventType]bool{}
	for len(seen) < 2 {
		typ, d := next(t, ch)
		seen[typ] = true
		if typ == of.ProviderConfigChange {
			assert.Equal(t, []string{"a"}, d.FlagChanges)
		}
	}
	assert.True(t, seen[of.ProviderReady] && seen[of.ProviderConfigChange])
}

// downStore fails States while down is set.
type downStore struct {
	guard.Store
	down atomic.Bool
}

func (s *downStore) States(ctx context.Context) ([]guard.State, error) {
	if s.down.Load() {
		return nil, errors.New("store unreachable")
	}
	return s.Store.States(ctx)
}

func TestEventsFromTheGuardsStore(t *testing.T) {
	e := newEngine(t, testConfig)
	p := grayopenfeature.New(e)
	st := &downStore{Store: guard.NewMemoryStore()}
	st.down.Store(true)
	ctrl, err := guard.New(e, st, guard.WithPollInterval(5*time.Millisecond), guard.WithOnTick(p.StoreTicked))
	require.NoError(t, err)

	api, _ := newClient(t, p)
	ch := events(api, of.ProviderStale, of.ProviderReady)
	typ, _ := next(t, ch)
	require.Equal(t, of.ProviderReady, typ)

	require.NoError(t, ctrl.Start(t.Context()))
	defer ctrl.Close()
	typ, d := next(t, ch)
	assert.Equal(t, of.ProviderStale, typ)
	assert.Contains(t, d.Message, "store: ")
	assert.Contains(t, d.Message, "store unreachable")
	st.down.Store(false)
	typ, _ = next(t, ch)
	assert.Equal(t, of.ProviderReady, typ)
}

func TestInitShutdownLeaveNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	e := newEngine(t, testConfig)
	p := grayopenfeature.New(e)
	require.NoError(t, p.Init(of.EvaluationContext{}))
	require.NoError(t, p.Init(of.EvaluationContext{}), "twice is fine")
	require.NoError(t, e.SetOverride("plain", gray.Override{Percent: new(float64)}))
	select {
	case ev := <-p.EventChannel():
		assert.Equal(t, of.ProviderConfigChange, ev.EventType)
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	// Events the SDK does not read do not keep Shutdown waiting.
	for i := range 40 {
		p.FileReloaded(errors.New("x"))
		p.FileReloaded(nil)
		require.NoError(t, e.SetOverride("plain", gray.Override{Percent: new(float64(i + 1))}))
	}
	p.Shutdown()
	p.Shutdown()
	// And it starts again.
	require.NoError(t, p.Init(of.EvaluationContext{}))
	p.Shutdown()
}
