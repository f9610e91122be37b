package dualwrite_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
)

type memRecorder struct {
	mu   sync.Mutex
	keys map[string]dualwrite.Side
	fail error
}

func (r *memRecorder) Record(_ context.Context, key string, from dualwrite.Side) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	if r.keys == nil {
		r.keys = map[string]dualwrite.Side{}
	}
	r.keys[key] = from
	return nil
}

func newTestPair(t *testing.T, ph dualwrite.Phaser, cfg dualwrite.Config[string, string]) (*dualwrite.Pair[string, string], *memStore, *memStore, *opLog, *dualwrite.Counter) {
	t.Helper()
	log := &opLog{}
	old, nw := newMem("old", log), newMem("new", log)
	c := &dualwrite.Counter{}
	cfg.Phase, cfg.Observer = ph, c
	p, err := dualwrite.NewPair[string, string](old, nw, cfg)
	require.NoError(t, err)
	return p, old, nw, log, c
}

func TestPairWriteAndReadOrder(t *testing.T) {
	tests := []struct {
		give      dualwrite.Phase
		wantPut   []string
		wantGet   []string
		wantValue string
	}{
		{dualwrite.Off, []string{"put old"}, []string{"get old"}, "o"},
		{dualwrite.DualWrite, []string{"put old", "put new"}, []string{"get old"}, "o"},
		{dualwrite.Shadow, []string{"put old", "put new"}, []string{"get old", "get new"}, "o"},
		{dualwrite.Live, []string{"put new", "put old"}, []string{"get new", "get old"}, "n"},
		{dualwrite.RampDown, []string{"put new", "put old"}, []string{"get new"}, "n"},
		{dualwrite.Complete, []string{"put new"}, []string{"get new"}, "n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.give), func(t *testing.T) {
			ctx := context.Background()
			p, old, nw, log, _ := newTestPair(t, dualwrite.Fixed(tt.give), dualwrite.Config[string, string]{})
			require.NoError(t, p.Put(ctx, "k", "v"))
			assert.Equal(t, tt.wantPut, log.take())
			old.m["k"], nw.m["k"] = "o", "n"
			got, err := p.Get(ctx, "k")
			require.NoError(t, err)
			assert.Equal(t, tt.wantValue, got)
			assert.Equal(t, tt.wantGet, log.take())
			require.NoError(t, p.Delete(ctx, "k"))
			assert.Len(t, log.take(), len(tt.wantPut))
		})
	}
}

func TestPairShadowReads(t *testing.T) {
	ctx := context.Background()
	p, old, nw, _, c := newTestPair(t, dualwrite.Fixed(dualwrite.Shadow), dualwrite.Config[string, string]{
		Ignore: func(_ string, read, shadow string) bool { return read == "x" && shadow == "X" },
		Clean:  func(v string) any { return "<" + v + ">" },
	})
	old.m = map[string]string{"same": "1", "diff": "1", "ign": "x", "onlyold": "1"}
	nw.m = map[string]string{"same": "1", "diff": "2", "ign": "X", "onlynew": "1"}
	for _, k := range []string{"same", "diff", "ign", "onlyold", "onlynew", "none"} {
		got, err := p.Get(ctx, k)
		want, ok := old.m[k]
		if ok {
			require.NoError(t, err)
			assert.Equal(t, want, got, "the caller always gets the authoritative value")
		} else {
			assert.ErrorIs(t, err, dualwrite.ErrNotFound)
		}
	}
	got := c.Counts()
	assert.Equal(t, int64(2), got.Matched, "same and none")
	assert.Equal(t, int64(3), got.Mismatched)
	assert.Equal(t, int64(1), got.Ignored)
	assert.ElementsMatch(t, []string{"diff", "onlyold", "onlynew"}, got.Samples[dualwrite.Mismatched])

	// A failing or panicking shadow side changes nothing for the caller.
	nw.setFail(errors.New("new store down"))
	v, err := p.Get(ctx, "diff")
	require.NoError(t, err)
	assert.Equal(t, "1", v)
	nw.setFail(nil)
	pp, old2, _, _, c2 := newTestPair(t, dualwrite.Fixed(dualwrite.Shadow), dualwrite.Config[string, string]{
		Equal: func(a, b string) bool { panic("boom") },
	})
	old2.m["k"] = "v"
	_ = pp.Put(ctx, "k", "v")
	v, err = pp.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	assert.Equal(t, int64(1), c2.Counts().Errored)
	assert.Equal(t, int64(1), c.Counts().Errored)
}

func TestPairMismatchEventCarriesCleanedValues(t *testing.T) {
	var events []dualwrite.Event
	log := &opLog{}
	old, nw := newMem("old", log), newMem("new", log)
	p, err := dualwrite.NewPair[string, string](old, nw, dualwrite.Config[string, string]{
		Phase:    dualwrite.Fixed(dualwrite.Live),
		Clean:    func(v string) any { return len(v) },
		Observer: dualwrite.ObserverFunc(func(_ context.Context, e dualwrite.Event) { events = append(events, e) }),
	})
	require.NoError(t, err)
	old.m["k"], nw.m["k"] = "secret", "new-secret"
	got, err := p.Get(context.Background(), "k")
	require.NoError(t, err)
	assert.Equal(t, "new-secret", got)
	require.Len(t, events, 1)
	assert.Equal(t, dualwrite.Event{Kind: dualwrite.Mismatched, Phase: dualwrite.Live, Key: "k", Read: 10, Shadow: 6}, events[0])
}

func TestPairSampling(t *testing.T) {
	ctx := context.Background()
	p, _, _, _, c := newTestPair(t, dualwrite.Fixed(dualwrite.Shadow), dualwrite.Config[string, string]{SampleRate: 0.25})
	for range 4000 {
		_, _ = p.Get(ctx, "k")
	}
	n := c.Counts().Matched
	assert.InDelta(t, 1000, n, 200, "about a quarter of reads are compared, got %d", n)
}

func TestPairSecondWriteFailure(t *testing.T) {
	ctx := context.Background()
	down := errors.New("new store down")

	t.Run("fail call", func(t *testing.T) {
		p, old, nw, _, c := newTestPair(t, dualwrite.Fixed(dualwrite.Shadow), dualwrite.Config[string, string]{})
		nw.setFail(down)
		err := p.Put(ctx, "k", "v")
		var we *dualwrite.WriteError
		require.ErrorAs(t, err, &we)
		assert.ErrorIs(t, err, down)
		assert.Equal(t, dualwrite.SideNew, we.Side)
		assert.Equal(t, "v", old.m["k"], "authoritative side written")
		assert.Equal(t, int64(1), c.Counts().WriteFailed)
	})
	t.Run("first write fails", func(t *testing.T) {
		p, old, nw, log, _ := newTestPair(t, dualwrite.Fixed(dualwrite.Live), dualwrite.Config[string, string]{})
		nw.setFail(down)
		assert.ErrorIs(t, p.Put(ctx, "k", "v"), down)
		assert.Equal(t, []string{"put new"}, log.take(), "no second write after a failed first")
		assert.Empty(t, old.m)
	})
	t.Run("record repair", func(t *testing.T) {
		rec := &memRecorder{}
		// In live the old side is written second: make it fail.
		p2, o2, n2, _, c2 := newTestPair(t, dualwrite.Fixed(dualwrite.Live), dualwrite.Config[string, string]{
			OnWriteFailure: dualwrite.RecordRepair, Repairs: rec,
		})
		o2.setFail(down)
		require.NoError(t, p2.Put(ctx, "k", "v"))
		assert.Equal(t, "v", n2.m["k"])
		assert.Equal(t, map[string]dualwrite.Side{"k": dualwrite.SideNew}, rec.keys)
		assert.Equal(t, int64(1), c2.Counts().RepairRecorded)

		rec.fail = errors.New("outbox down")
		err := p2.Put(ctx, "k2", "v")
		assert.ErrorIs(t, err, down, "a write that can be neither done nor recorded fails")
		assert.ErrorIs(t, err, rec.fail)
	})
}

func TestPairPhaseFallback(t *testing.T) {
	ctx := context.Background()
	p, _, _, log, c := newTestPair(t, dualwrite.PhaseFunc(func(context.Context) (dualwrite.Phase, error) {
		return "liv", nil
	}), dualwrite.Config[string, string]{})
	require.NoError(t, p.Put(ctx, "k", "v"))
	assert.Equal(t, []string{"put old", "put new"}, log.take(), "unknown phase: safe phase dual-write")
	assert.Equal(t, int64(1), c.Counts().PhaseFallback)

	p2, _, _, log2, _ := newTestPair(t, dualwrite.PhaseFunc(func(context.Context) (dualwrite.Phase, error) {
		return "", errors.New("config store down")
	}), dualwrite.Config[string, string]{SafePhase: dualwrite.Live})
	require.NoError(t, p2.Put(ctx, "k", "v"))
	assert.Equal(t, []string{"put new", "put old"}, log2.take())
}

func TestNewPairErrors(t *testing.T) {
	log := &opLog{}
	old, nw := newMem("old", log), newMem("new", log)
	tests := []struct {
		name string
		give dualwrite.Config[string, string]
	}{
		{"no phase", dualwrite.Config[string, string]{}},
		{"bad safe phase", dualwrite.Config[string, string]{Phase: dualwrite.Fixed(dualwrite.Off), SafePhase: "x"}},
		{"bad sample rate", dualwrite.Config[string, string]{Phase: dualwrite.Fixed(dualwrite.Off), SampleRate: 2}},
		{"repair without recorder", dualwrite.Config[string, string]{Phase: dualwrite.Fixed(dualwrite.Off), OnWriteFailure: dualwrite.RecordRepair}},
		{"unknown policy", dualwrite.Config[string, string]{Phase: dualwrite.Fixed(dualwrite.Off), OnWriteFailure: 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dualwrite.NewPair[string, string](old, nw, tt.give)
			assert.ErrorIs(t, err, dualwrite.ErrInvalidConfig)
		})
	}
	_, err := dualwrite.NewPair[string, string](nil, nw, dualwrite.Config[string, string]{Phase: dualwrite.Fixed(dualwrite.Off)})
	assert.ErrorIs(t, err, dualwrite.ErrInvalidConfig)
}

func TestPairRepairIsIdempotent(t *testing.T) {
	ctx := context.Background()
	p, old, nw, _, _ := newTestPair(t, dualwrite.Fixed(dualwrite.Shadow), dualwrite.Config[string, string]{})
	old.m["a"], nw.m["a"] = "1", "stale"
	nw.m["gone"] = "x"
	for range 2 {
		require.NoError(t, p.Repair(ctx, "a", dualwrite.SideOld))
		require.NoError(t, p.RepairKey(ctx, "gone", dualwrite.SideOld))
	}
	assert.Equal(t, map[string]string{"a": "1"}, nw.m)
	assert.ErrorIs(t, p.Repair(ctx, "a", 0), dualwrite.ErrUnknownSide)
}
