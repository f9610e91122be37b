package contract_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/dualwrite/contract"
	"github.com/graykit/graykit/gray/guard"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is a settable time source shared by the replicas of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// mapStore is a dualwrite store in memory.
type mapStore struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *mapStore) Get(_ context.Context, k string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	if !ok {
		return "", dualwrite.ErrNotFound
	}
	return v, nil
}

func (s *mapStore) Put(_ context.Context, k, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
	return nil
}

func (s *mapStore) Delete(_ context.Context, k string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
	return nil
}

// replica is one process of the application: its pair over the shared
// tables, its usage and its reporter.
type replica struct {
	pair *dualwrite.Pair[string, string]
	rep  *contract.Reporter
}

func newReplica(t *testing.T, store guard.Store, name string, phase dualwrite.Phase, old, new *mapStore, c *clock) replica {
	t.Helper()
	u := &dualwrite.Usage{}
	p, err := dualwrite.NewPair[string, string](old, new, dualwrite.Config[string, string]{Phase: dualwrite.Fixed(phase), Usage: u})
	require.NoError(t, err)
	r, err := contract.NewReporter(store, name, contract.WithClock(c.now))
	require.NoError(t, err)
	r.Track("users-status", u)
	return replica{pair: p, rep: r}
}

// TestStaleReplicaKeepsTheOldSideInUse: every replica but one runs
// complete; the stale one (still on dual-write) reads the old side once,
// late. The old side is in use, naming that replica, until the period has
// passed since that read; the complete replicas never touch it.
func TestStaleReplicaKeepsTheOldSideInUse(t *testing.T) {
	ctx := t.Context()
	store := guard.NewMemoryStore()
	old, new := &mapStore{m: map[string]string{"u1": "1"}}, &mapStore{m: map[string]string{"u1": "active"}}
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	c := &clock{t: t0}
	a := newReplica(t, store, "pod-a", dualwrite.Complete, old, new, c)
	b := newReplica(t, store, "pod-b", dualwrite.Complete, old, new, c)
	stale := newReplica(t, store, "pod-old", dualwrite.DualWrite, old, new, c)
	const period = 24 * time.Hour

	lateRead := t0.Add(10*time.Hour + 30*time.Second)
	check := func(at time.Time) contract.Readiness {
		t.Helper()
		r, err := contract.Check(ctx, store, "users-status", period, at)
		require.NoError(t, err)
		return r
	}
	// Every replica serves traffic and flushes each 30 minutes for 40 hours.
	var inUseAt, unusedAt []time.Time
	for at := t0; at.Before(t0.Add(40 * time.Hour)); at = at.Add(30 * time.Minute) {
		c.set(at)
		for _, r := range []replica{a, b} {
			_, err := r.pair.Get(ctx, "u1")
			require.NoError(t, err)
			require.NoError(t, r.pair.Put(ctx, "u1", "active"))
		}
		if at.Equal(lateRead.Truncate(30 * time.Minute)) {
			c.set(lateRead)
			_, err := stale.pair.Get(ctx, "u1") // the late read of the old side
			require.NoError(t, err)
		}
		for _, r := range []replica{a, b, stale} {
			require.NoError(t, r.rep.Flush(ctx))
		}
		switch r := check(c.now()); r.Verdict {
		case contract.InUse:
			inUseAt = append(inUseAt, at)
		case contract.Unused:
			unusedAt = append(unusedAt, at)
		default:
			t.Fatalf("at %v: verdict %s", at, r.Verdict)
		}
	}
	require.NotEmpty(t, inUseAt)
	assert.Equal(t, t0.Add(10*time.Hour), inUseAt[0], "in use from the late read on")
	assert.Equal(t, t0.Add(34*time.Hour), inUseAt[len(inUseAt)-1], "until the period has passed since the read's window")
	assert.Len(t, inUseAt, 49)
	// Before the late read, and after the period, the reporting replicas saw no old-side use.
	require.Len(t, unusedAt, 20+11)
	assert.Equal(t, t0, unusedAt[0])
	assert.Equal(t, t0.Add(9*time.Hour+30*time.Minute), unusedAt[19])
	assert.Equal(t, t0.Add(34*time.Hour+30*time.Minute), unusedAt[20])

	r := check(t0.Add(12 * time.Hour))
	assert.Equal(t, contract.InUse, r.Verdict)
	assert.False(t, r.Ready())
	assert.Equal(t, uint64(1), r.OldReads)
	assert.Zero(t, r.OldWrites)
	assert.Equal(t, lateRead.Truncate(time.Minute).Add(time.Minute), r.LastOldUse)
	require.Len(t, r.Replicas, 3)
	for _, ru := range r.Replicas {
		if ru.Replica == "pod-old" {
			assert.Equal(t, uint64(1), ru.OldReads)
			continue
		}
		// complete stops reading (and writing) the old side.
		assert.Zero(t, ru.OldReads+ru.OldWrites, ru.Replica)
		assert.NotZero(t, ru.NewReads, ru.Replica)
		assert.NotZero(t, ru.NewWrites, ru.Replica)
	}

	r = check(t0.Add(35 * time.Hour))
	assert.Equal(t, contract.Unused, r.Verdict)
	assert.True(t, r.Ready())
}

func TestCheckWithoutReportsKnowsNothing(t *testing.T) {
	r, err := contract.Check(t.Context(), guard.NewMemoryStore(), "users-status", time.Hour, time.Now())
	require.NoError(t, err)
	assert.Equal(t, contract.NoData, r.Verdict)
	assert.False(t, r.Ready(), "no data is never ready")

	_, err = contract.Check(t.Context(), guard.NewMemoryStore(), "", time.Hour, time.Now())
	require.Error(t, err)
	_, err = contract.Check(t.Context(), guard.NewMemoryStore(), "m", 0, time.Now())
	require.Error(t, err)
	_, err = contract.NewReporter(nil, "a")
	require.Error(t, err)
	_, err = contract.NewReporter(guard.NewMemoryStore(), "")
	require.Error(t, err)
}

// TestQuietReplicaStillReports: a replica with no traffic writes its
// heartbeat, so "unused" means reporting replicas saw nothing.
func TestQuietReplicaStillReports(t *testing.T) {
	store := guard.NewMemoryStore()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rep, err := contract.NewReporter(store, "pod-a", contract.WithClock(func() time.Time { return now }))
	require.NoError(t, err)
	rep.Track("m", &dualwrite.Usage{})
	require.NoError(t, rep.Flush(t.Context()))
	r, err := contract.Check(t.Context(), store, "m", time.Hour, now)
	require.NoError(t, err)
	assert.Equal(t, contract.Unused, r.Verdict)
	require.Len(t, r.Replicas, 1)
	assert.Equal(t, now.Add(time.Minute), r.Replicas[0].LastSeen)
}

func TestRunFlushesUntilCanceled(t *testing.T) {
	store := guard.NewMemoryStore()
	rep, err := contract.NewReporter(store, "pod-a")
	require.NoError(t, err)
	u := &dualwrite.Usage{}
	rep.Track("m", u)
	u.Add(dualwrite.SideOld, dualwrite.OpWrite)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { rep.Run(ctx, time.Millisecond, func(err error) { t.Error(err) }); close(done) }()
	time.Sleep(5 * time.Millisecond)
	cancel()
	<-done
	r, err := contract.Check(t.Context(), store, "m", time.Hour, time.Now())
	require.NoError(t, err)
	assert.Equal(t, contract.InUse, r.Verdict)
	assert.Equal(t, uint64(1), r.OldWrites, "a write is counted once however many flushes")
}
