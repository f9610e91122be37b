package dualwrite_test

import (
	"context"
	"errors"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/gray"
)

// errCrash is the panic a gate raises to abandon a call where it stands, as a crash of the process
// would: nothing after that point runs, except what a crash also does (the database rolls back the
// call's open transaction, which the Pair's deferred cleanup stands for).
var errCrash = errors.New("simulated crash")

// crashed runs f and reports whether it was abandoned by errCrash.
func crashed(f func()) (c bool) {
	defer func() {
		if r := recover(); r != nil {
			if r != errCrash { //nolint:errorlint // the panic value itself
				panic(r)
			}
			c = true
		}
	}()
	f()
	return false
}

// gate holds one write at a chosen point: once armed, the next Put of value (or Delete, with del)
// closes reached and waits for open before it reaches the store, or panics with errCrash. A held
// write is in flight: it reaches the store when released even if its context was canceled
// meanwhile, as a statement already sent does. armRead holds the next Get the same way.
type gate[K comparable, V comparable] struct {
	dualwrite.Store[K, V]
	armed   atomic.Bool
	value   V
	del     bool
	crash   bool
	reached chan struct{}
	open    chan struct{}

	readArmed           atomic.Bool
	readReached, readOK chan struct{}
}

// armRead makes the next Get stop at the gate until readOK is closed.
func (g *gate[K, V]) armRead() {
	g.readReached, g.readOK = make(chan struct{}), make(chan struct{})
	g.readArmed.Store(true)
}

func (g *gate[K, V]) Get(ctx context.Context, k K) (V, error) {
	if g.readArmed.CompareAndSwap(true, false) {
		close(g.readReached)
		<-g.readOK
	}
	return g.Store.Get(ctx, k)
}

func newGate[K comparable, V comparable](s dualwrite.Store[K, V]) *gate[K, V] {
	return &gate[K, V]{Store: s}
}

// arm makes the next write of v (a Delete when del) stop at the gate; call it while no write runs.
func (g *gate[K, V]) arm(v V, del, crash bool) {
	g.value, g.del, g.crash = v, del, crash
	g.reached, g.open = make(chan struct{}), make(chan struct{})
	g.armed.Store(true)
}

func (g *gate[K, V]) hold(ctx context.Context, del bool, v V) context.Context {
	if !g.armed.Load() || del != g.del || !del && v != g.value || !g.armed.CompareAndSwap(true, false) {
		return ctx
	}
	close(g.reached)
	if g.crash {
		panic(errCrash)
	}
	<-g.open
	return context.WithoutCancel(ctx)
}

func (g *gate[K, V]) Put(ctx context.Context, k K, v V) error {
	return g.Store.Put(g.hold(ctx, false, v), k, v)
}

func (g *gate[K, V]) Delete(ctx context.Context, k K) error {
	var zero V
	return g.Store.Delete(g.hold(ctx, true, zero), k)
}

// Unwrap lets a Pair see the store's table through the gate.
func (g *gate[K, V]) Unwrap() dualwrite.Store[K, V] { return g.Store }

// memKV is a key-value store outside the database (think of a cache or document store the data
// moves to): its writes are not part of any SQL transaction.
type memKV struct {
	mu sync.Mutex
	m  map[int64]string
}

func newMemKV() *memKV { return &memKV{m: map[int64]string{}} }

func (s *memKV) Get(_ context.Context, k int64) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	if !ok {
		return "", dualwrite.ErrNotFound
	}
	return v, nil
}

func (s *memKV) Put(_ context.Context, k int64, v string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[k] = v
	return nil
}

func (s *memKV) Delete(_ context.Context, k int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, k)
	return nil
}

func (s *memKV) Scan(_ context.Context, after *int64, limit int) ([]dualwrite.Entry[int64, string], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]int64, 0, len(s.m))
	for k := range s.m {
		if after == nil || k > *after {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	if len(keys) > limit {
		keys = keys[:limit]
	}
	out := make([]dualwrite.Entry[int64, string], len(keys))
	for i, k := range keys {
		out[i] = dualwrite.Entry[int64, string]{Key: k, Value: s.m[k]}
	}
	return out, nil
}

// layout is where the new side lives: a second table of the same database, or a key-value store
// outside it (the README's SQL → KV move).
type layout struct {
	name string
	kv   bool
}

var layouts = []layout{{"one-database", false}, {"sql+kv", true}}

// scene is one migration of users.status (users_old) to a new side, seen by two processes on the
// same data: this one (pair, with gates and a flaky new side) and another (other, on an impatient
// handle of the same database, so that it fails instead of waiting for a key this one holds).
type scene struct {
	ctx              context.Context
	old, new         dualwrite.Store[int64, string] // the plain stores, for direct reads
	oldGate, newGate *gate[int64, string]
	newSide          *flaky[int64, string]
	q                *dualwrite.Queue
	pair, other      *dualwrite.Pair[int64, string]
	repairer         *dualwrite.Repairer // this process's
	otherRepairer    *dualwrite.Repairer // the other process's
	engine           *gray.Engine
}

func newScene(t *testing.T, db testDB, l layout) *scene {
	t.Helper()
	ctx := context.Background()
	db.Exec(t, "CREATE TABLE users_old (id BIGINT PRIMARY KEY, status TEXT)")
	if !l.kv {
		db.Exec(t, "CREATE TABLE users_new (id BIGINT PRIMARY KEY, status_v2 TEXT)")
	}
	kv := newMemKV()
	stores := func(h testDB) (dualwrite.Store[int64, string], dualwrite.Store[int64, string]) {
		o, err := dualwrite.NewSQLStore[int64, string](h.DB, h.Dialect, dualwrite.SQLStoreConfig{Table: "users_old", KeyColumn: "id", ValueColumn: "status"})
		require.NoError(t, err)
		if l.kv {
			return o, kv
		}
		n, err := dualwrite.NewSQLStore[int64, string](h.DB, h.Dialect, dualwrite.SQLStoreConfig{Table: "users_new", KeyColumn: "id", ValueColumn: "status_v2"})
		require.NoError(t, err)
		return o, n
	}
	sc := &scene{ctx: ctx}
	sc.old, sc.new = stores(db)
	sc.oldGate, sc.newGate = newGate(sc.old), newGate(sc.new)
	sc.newSide = &flaky[int64, string]{Store: sc.newGate}
	engine, err := gray.New(shareConfig(t, 0))
	require.NoError(t, err)
	sc.engine = engine

	pairOf := func(h testDB, old, nw dualwrite.Store[int64, string]) (*dualwrite.Pair[int64, string], *dualwrite.Repairer, *dualwrite.Queue) {
		q, err := dualwrite.NewQueue(h.DB, h.Dialect, "dw_repairs")
		require.NoError(t, err)
		require.NoError(t, q.CreateTable(ctx))
		p, err := dualwrite.NewPair(old, nw, dualwrite.Config[int64, string]{
			Phase:          dualwrite.FromRollout("users-v2", dualwrite.Live, dualwrite.Shadow),
			OnWriteFailure: dualwrite.RecordRepair, Repairs: q,
		})
		require.NoError(t, err)
		// Every key is due at once: backoff and intent timeout as short as they get.
		r, err := dualwrite.NewRepairer(dualwrite.RepairerConfig{
			Queue: q, Target: p, Backoff: time.Nanosecond, MaxBackoff: time.Nanosecond, MaxAttempts: 1000,
			IntentTimeout: time.Nanosecond, Logger: quiet,
		})
		require.NoError(t, err)
		return p, r, q
	}
	sc.pair, sc.repairer, sc.q = pairOf(db, sc.oldGate, sc.newSide)
	imp := db.Impatient(t)
	io, in := stores(imp)
	sc.other, sc.otherRepairer, _ = pairOf(imp, io, in)
	return sc
}

func shareConfig(t *testing.T, percent int) *gray.Config {
	t.Helper()
	cfg, err := gray.ParseConfig([]byte("rollouts:\n  - name: users-v2\n    percent: " + strconv.Itoa(percent) + "\n"))
	require.NoError(t, err)
	return cfg
}

// setShare moves every user into the rollout's new variant (100: phase live) or out (0: shadow).
func (sc *scene) setShare(t *testing.T, percent int) {
	t.Helper()
	require.NoError(t, sc.engine.Update(shareConfig(t, percent)))
}

// user is a request of user-1, decided under the current share.
func (sc *scene) user() context.Context {
	return gray.NewContext(sc.ctx, sc.engine, gray.Subject{Key: "user-1"})
}

// drain runs this process's repairer until the queue is empty.
func (sc *scene) drain(t *testing.T) {
	t.Helper()
	for range 20 {
		_, err := sc.repairer.RunOnce(sc.ctx)
		require.NoError(t, err)
		if n, err := sc.q.Pending(sc.ctx); err == nil && n == 0 {
			return
		}
	}
	n, err := sc.q.Pending(sc.ctx)
	require.NoError(t, err)
	require.Zero(t, n, "the queue did not drain")
}

// sides reads key from both stores directly; "" stands for no value.
func (sc *scene) sides(t *testing.T, key int64) (old, nw string) {
	t.Helper()
	read := func(s dualwrite.Store[int64, string]) string {
		v, err := s.Get(sc.ctx, key)
		if errors.Is(err, dualwrite.ErrNotFound) {
			return ""
		}
		require.NoError(t, err)
		return v
	}
	return read(sc.old), read(sc.new)
}

// assertBoth checks that both sides hold want ("" for no value).
func (sc *scene) assertBoth(t *testing.T, key int64, want string) {
	t.Helper()
	old, nw := sc.sides(t, key)
	assert.Equal(t, [2]string{want, want}, [2]string{old, nw}, "old and new side of key %d", key)
}

// read is what a user in the current share reads; "" for no value.
func (sc *scene) read(t *testing.T, key int64) string {
	t.Helper()
	v, err := sc.pair.Get(sc.user(), key)
	if errors.Is(err, dualwrite.ErrNotFound) {
		return ""
	}
	require.NoError(t, err)
	return v
}
