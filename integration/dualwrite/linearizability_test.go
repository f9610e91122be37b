package dualwrite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/gray"
)

// The linearizability check runs Put, Get and Delete on a few keys from several goroutines, through
// a Pair (three layouts: one database, SQL + an in-memory store, SQL + MongoDB) and through
// Columns, while everything the guarantee covers happens at once: the phase moves forwards and
// backwards, the rollout's share moves users between phases, the new store fails at random, calls
// are abandoned between their two writes (a simulated crash),
// repairers with short leases work the queue, and a backfill (Verify with repair for the Pair, a
// Backfill for Columns) runs. Each round's history of acknowledged writes and authoritative reads
// must be linearizable per key as a register (porcupine), the queue must drain, Verify must then
// report both sides equal, and the final value of every key must be one no acknowledged write
// superseded.
//
// GRAYKIT_LINEARIZABILITY_SEED replays a run (the seed is logged, and repeated on failure);
// GRAYKIT_LINEARIZABILITY_DURATION sets how much history each layout checks per database
// (default 1.5s, 500ms with -short).

const (
	linSeedVar     = "GRAYKIT_LINEARIZABILITY_SEED"
	linDurationVar = "GRAYKIT_LINEARIZABILITY_DURATION"
	linRound       = 250 * time.Millisecond // one history: its keys are fresh, so histories are independent
	linKeys        = 4
	linWorkers     = 4
)

func TestLinearizability(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(linSeedVar); s != "" {
		var err error
		seed, err = strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, linSeedVar)
	}
	dur := 1500 * time.Millisecond
	if testing.Short() {
		dur = 500 * time.Millisecond
	}
	if s := os.Getenv(linDurationVar); s != "" {
		var err error
		dur, err = time.ParseDuration(s)
		require.NoError(t, err, linDurationVar)
	}
	t.Logf("seed %d (replay: %s=%d), %v of history per layout and database", seed, linSeedVar, seed, dur)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("failed with seed %d: replay with %s=%d", seed, linSeedVar, seed)
		}
	})
	variants := []struct {
		name string
		run  func(t *testing.T, db testDB, c *linCheck)
	}{
		{"pair/one-database", func(t *testing.T, db testDB, c *linCheck) { runPair(t, db, c, nil) }},
		{"pair/sql+kv", func(t *testing.T, db testDB, c *linCheck) { runPair(t, db, c, memKVStore) }},
		{"pair/sql+mongo", func(t *testing.T, db testDB, c *linCheck) { runPair(t, db, c, mongoStore) }},
		{"columns", runColumns},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db testDB) {
				c := &linCheck{seed: seed ^ hashName(t.Name()), dur: dur}
				v.run(t, db, c)
				t.Logf("%s", c.stats())
			})
		})
	}
}

func hashName(s string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return h.Sum64()
}

// linCheck is one layout's run on one database: its seed, length and counts.
type linCheck struct {
	seed uint64
	dur  time.Duration

	histories, partitions        int
	ops, acked, unknown, dropped int64
	reads, faults, crashes       int64
	checkTime                    time.Duration
}

func (c *linCheck) stats() string {
	return fmt.Sprintf("histories=%d partitions=%d ops=%d (acknowledged writes %d, writes of unknown outcome %d, writes known not to have happened %d, reads %d) injected faults=%d crashes=%d; porcupine %v",
		c.histories, c.partitions, c.ops, c.acked, c.unknown, c.dropped, c.reads, c.faults, c.crashes, c.checkTime.Round(time.Millisecond))
}

type opKind uint8

const (
	opGet opKind = iota
	opPut
	opDelete
)

// linIn is an operation's input; linOut a read's output and the register's state. A write whose
// call failed or was abandoned is maybe: it took effect at one point of its call, or never. (A
// value a repair later reverts is never seen by a reader, since reads follow the key's record, so
// such a write can have no effect that starts after its call ended.)
type linIn struct {
	key   int64
	kind  opKind
	value string
	maybe bool
}

type linOut struct {
	value string
	found bool
}

// history collects one round's operations.
type history struct {
	start time.Time
	mu    sync.Mutex
	ops   []porcupine.Operation
}

func (h *history) now() int64 { return int64(time.Since(h.start)) }

// add records an operation.
func (h *history) add(client int, in linIn, call int64, out any, ret int64) {
	h.mu.Lock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret})
	h.mu.Unlock()
}

func registerModel(init linOut) porcupine.Model {
	m := porcupine.NondeterministicModel{
		Partition: func(ops []porcupine.Operation) [][]porcupine.Operation {
			by := map[int64][]porcupine.Operation{}
			var keys []int64
			for _, op := range ops {
				k := op.Input.(linIn).key
				if _, ok := by[k]; !ok {
					keys = append(keys, k)
				}
				by[k] = append(by[k], op)
			}
			sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
			out := make([][]porcupine.Operation, len(keys))
			for i, k := range keys {
				out[i] = by[k]
			}
			return out
		},
		Init: func() []any { return []any{init} },
		Step: func(state, input, output any) []any {
			st, in := state.(linOut), input.(linIn)
			next := st
			switch in.kind {
			case opPut:
				next = linOut{value: in.value, found: true}
			case opDelete:
				next = linOut{}
			default:
				if output.(linOut) != st {
					return nil
				}
				return []any{st}
			}
			if in.maybe && next != st {
				return []any{next, st}
			}
			return []any{next}
		},
		DescribeOperation: func(input, output any) string {
			in := input.(linIn)
			maybe := ""
			if in.maybe {
				maybe = "?"
			}
			switch in.kind {
			case opPut:
				return fmt.Sprintf("put%s(%d, %s)", maybe, in.key, in.value)
			case opDelete:
				return fmt.Sprintf("delete%s(%d)", maybe, in.key)
			}
			out := output.(linOut)
			if !out.found {
				return fmt.Sprintf("get(%d) -> none", in.key)
			}
			return fmt.Sprintf("get(%d) -> %s", in.key, out.value)
		},
		DescribeState: func(state any) string {
			if st := state.(linOut); st.found {
				return st.value
			}
			return "none"
		},
	}
	return m.ToModel()
}

// check checks a round's history: linearizable per key, and no acknowledged write lost.
func (c *linCheck) check(t *testing.T, h *history, init linOut) {
	t.Helper()
	model := registerModel(init)
	start := time.Now()
	res, info := porcupine.CheckOperationsVerbose(model, h.ops, 5*time.Minute)
	c.checkTime += time.Since(start)
	c.histories++
	c.partitions += len(model.Partition(h.ops))
	if res != porcupine.Ok {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("graykit-linearizability-%d-%d.html", c.seed, c.histories))
		if err := porcupine.VisualizePath(model, info, path); err == nil {
			t.Logf("visualization: %s", path)
		}
		require.Failf(t, "history is not linearizable", "result %v in round %d (%d ops)", res, c.histories, len(h.ops))
	}
	assertNoLostWrite(t, h, init)
}

// assertNoLostWrite checks each key's final value (the last operations of its history are the
// final reads of both sides): it must come from a write no acknowledged write started after the
// end of, or be the initial value when nothing was acknowledged.
func assertNoLostWrite(t *testing.T, h *history, init linOut) {
	t.Helper()
	type write struct {
		out       linOut
		call, ret int64
	}
	writes := map[int64][]write{}
	final := map[int64]linOut{}
	for _, op := range h.ops {
		in := op.Input.(linIn)
		ret := op.Return
		if in.maybe {
			ret = math.MaxInt64 // supersedes nothing
		}
		switch in.kind {
		case opGet:
			if op.ClientId == linWorkers { // the final reads
				final[in.key] = op.Output.(linOut)
			}
		case opPut:
			writes[in.key] = append(writes[in.key], write{linOut{in.value, true}, op.Call, ret})
		case opDelete:
			writes[in.key] = append(writes[in.key], write{linOut{}, op.Call, ret})
		}
	}
	for key, got := range final {
		ws := append([]write{{init, -1, -1}}, writes[key]...)
		ok := false
		for _, w := range ws {
			if w.out != got {
				continue
			}
			superseded := false
			for _, w2 := range ws {
				if w2.ret != math.MaxInt64 && w2.call > w.ret {
					superseded = true
					break
				}
			}
			if !superseded {
				ok = true
				break
			}
		}
		assert.True(t, ok, "key %d ends as %+v, which a later acknowledged write superseded: an acknowledged write was lost", key, got)
	}
}

// linPlan is one call's injected fault, carried in its context to the stores.
type linPlan struct {
	fault  faultKind
	writes int  // store writes the call made so far
	first  bool // the fault hit the call's first write
}

type faultKind uint8

const (
	noFault     faultKind = iota
	failBefore            // the write fails without taking effect
	failAfter             // the write takes effect, then reports a failure
	crashBefore           // the process dies before the write
	crashAfter            // the process dies after the write took effect
)

type planKey struct{}

func planOf(ctx context.Context) *linPlan {
	p, _ := ctx.Value(planKey{}).(*linPlan)
	return p
}

// rollFault picks a call's fault: about 19% of the new side's writes fail or crash.
func rollFault(rnd *rand.Rand) faultKind {
	switch p := rnd.Float64(); {
	case p < 0.12:
		return failBefore
	case p < 0.16:
		return failAfter
	case p < 0.175:
		return crashBefore
	case p < 0.19:
		return crashAfter
	}
	return noFault
}

var errInjected = errors.New("injected store failure")

// counted counts a call's writes to the old side, so that the new side knows whether it came first.
type counted struct{ dualwrite.Store[int64, string] }

func (s counted) Put(ctx context.Context, k int64, v string) error {
	if p := planOf(ctx); p != nil {
		p.writes++
	}
	return s.Store.Put(ctx, k, v)
}

func (s counted) Delete(ctx context.Context, k int64) error {
	if p := planOf(ctx); p != nil {
		p.writes++
	}
	return s.Store.Delete(ctx, k)
}

func (s counted) Unwrap() dualwrite.Store[int64, string] { return s.Store }

// faulty is the new side: a call's write fails or crashes as its plan says; a repair's write (no
// plan) fails at random while on.
type faulty struct {
	dualwrite.Store[int64, string]
	on  atomic.Bool
	mu  sync.Mutex
	rnd *rand.Rand
}

func (s *faulty) Unwrap() dualwrite.Store[int64, string] { return s.Store }

func (s *faulty) write(ctx context.Context, do func() error) error {
	p := planOf(ctx)
	if p == nil {
		s.mu.Lock()
		fail := s.on.Load() && s.rnd.Float64() < 0.2
		s.mu.Unlock()
		if fail {
			return errInjected
		}
		return do()
	}
	p.first = p.writes == 0
	p.writes++
	switch p.fault {
	case failBefore:
		return errInjected
	case failAfter:
		if err := do(); err != nil {
			return err
		}
		return errInjected
	case crashBefore:
		panic(errCrash)
	case crashAfter:
		_ = do()
		panic(errCrash)
	}
	return do()
}

func (s *faulty) Put(ctx context.Context, k int64, v string) error {
	return s.write(ctx, func() error { return s.Store.Put(ctx, k, v) })
}

func (s *faulty) Delete(ctx context.Context, k int64) error {
	return s.write(ctx, func() error { return s.Store.Delete(ctx, k) })
}

func (s *faulty) Scan(ctx context.Context, after *int64, limit int) ([]dualwrite.Entry[int64, string], error) {
	return s.Store.(dualwrite.Scanner[int64, string]).Scan(ctx, after, limit)
}

// linPhaser resolves a call's phase: phases[base] for users outside the rollout "lin",
// phases[base+1] for users in it; mover changes both.
type linPhaser struct {
	phases []dualwrite.Phase
	base   atomic.Int32
}

func (p *linPhaser) Phase(ctx context.Context) (dualwrite.Phase, error) {
	i := int(p.base.Load())
	if d, ok := gray.FromContext(ctx); ok && d.Get("lin").IsNew() {
		i++
	}
	return p.phases[i], nil
}

func linShare(t *testing.T, percent int) *gray.Config {
	t.Helper()
	cfg, err := gray.ParseConfig([]byte("rollouts:\n  - name: lin\n    percent: " + strconv.Itoa(percent) + "\n"))
	require.NoError(t, err)
	return cfg
}

// background runs f in n goroutines until stop is closed, and returns a wait for them.
func background(n int, stop <-chan struct{}, f func(i int, stop <-chan struct{})) (wait func()) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(i, stop)
		}()
	}
	return wg.Wait
}

// pace waits d or until stop is closed; false means stop.
func pace(stop <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-stop:
		return false
	case <-t.C:
		return true
	}
}

// mover moves the phase one step forwards or backwards, or the share to a new percentage, every
// few milliseconds.
func mover(t *testing.T, rnd *rand.Rand, ph *linPhaser, engine *gray.Engine) func(int, <-chan struct{}) {
	return func(_ int, stop <-chan struct{}) {
		for pace(stop, time.Duration(3+rnd.IntN(20))*time.Millisecond) {
			if rnd.IntN(2) == 0 {
				b := ph.base.Load() + int32(rnd.IntN(3)-1)
				ph.base.Store(max(0, min(b, int32(len(ph.phases)-2))))
				continue
			}
			if err := engine.Update(linShare(t, rnd.IntN(101))); err != nil {
				t.Error(err)
				return
			}
		}
	}
}

func roundKeys(round, n int) []int64 {
	keys := make([]int64, n)
	for i := range keys {
		keys[i] = int64(round*100 + i + 1)
	}
	return keys
}

func userCtx(engine *gray.Engine, key int64) context.Context {
	return gray.NewContext(context.Background(), engine, gray.Subject{Key: "user-" + strconv.FormatInt(key, 10)})
}

// waitDrained waits until the queue holds nothing (the repairers work it meanwhile).
func waitDrained(t *testing.T, q *dualwrite.Queue) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		n, err := q.Pending(context.Background())
		require.NoError(t, err)
		if n == 0 {
			return
		}
		require.True(t, time.Now().Before(deadline), "the repair queue did not drain: %d left", n)
		time.Sleep(5 * time.Millisecond)
	}
}

// runPair checks a Pair: the new side a second table (outside nil) or a store outside the database
// that outside returns.
func runPair(t *testing.T, db testDB, c *linCheck, outside func(t *testing.T) dualwrite.Store[int64, string]) {
	ctx := context.Background()
	db.Exec(t, "CREATE TABLE lin_old (id BIGINT PRIMARY KEY, v TEXT)")
	oldStore, err := dualwrite.NewSQLStore[int64, string](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: "lin_old", KeyColumn: "id", ValueColumn: "v"})
	require.NoError(t, err)
	var newStore dualwrite.Store[int64, string]
	if outside != nil {
		newStore = outside(t)
	} else {
		db.Exec(t, "CREATE TABLE lin_new (id BIGINT PRIMARY KEY, v TEXT)")
		newStore, err = dualwrite.NewSQLStore[int64, string](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: "lin_new", KeyColumn: "id", ValueColumn: "v"})
		require.NoError(t, err)
	}
	newSide := &faulty{Store: newStore, rnd: rand.New(rand.NewPCG(c.seed, 1))}
	q, err := dualwrite.NewQueue(db.DB, db.Dialect, "lin_repairs")
	require.NoError(t, err)
	require.NoError(t, q.CreateTable(ctx))
	engine, err := gray.New(linShare(t, 50))
	require.NoError(t, err)
	ph := &linPhaser{phases: []dualwrite.Phase{dualwrite.DualWrite, dualwrite.Shadow, dualwrite.Live, dualwrite.RampDown}}
	pair, err := dualwrite.NewPair[int64, string](counted{oldStore}, newSide, dualwrite.Config[int64, string]{
		Phase: ph, OnWriteFailure: dualwrite.RecordRepair, Repairs: q,
	})
	require.NoError(t, err)

	// Two repairers with short leases work the queue for the whole run.
	rctx, stopRepairers := context.WithCancel(ctx)
	var rwg sync.WaitGroup
	for i := range 2 {
		r, err := dualwrite.NewRepairer(dualwrite.RepairerConfig{
			Queue: q, Target: pair, Owner: "r" + strconv.Itoa(i), BatchSize: 8, Lease: 25 * time.Millisecond,
			Backoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, MaxAttempts: math.MaxInt32,
			Interval: time.Millisecond, IntentTimeout: 20 * time.Millisecond, Logger: quiet,
		})
		require.NoError(t, err)
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			_ = r.Run(rctx)
		}()
	}
	defer func() {
		stopRepairers()
		rwg.Wait()
	}()
	rnd := rand.New(rand.NewPCG(c.seed, 2))
	for round := 0; time.Duration(round)*linRound < c.dur; round++ {
		keys := roundKeys(round, linKeys)
		h := &history{start: time.Now()}
		stop := make(chan struct{})
		newSide.on.Store(true)
		waitWorkers := background(linWorkers, stop, func(w int, stop <-chan struct{}) {
			wr := rand.New(rand.NewPCG(c.seed+uint64(round), uint64(w)))
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				c.pairOp(t, pair, engine, h, w, wr, keys, fmt.Sprintf("w%d-%d", w, n))
			}
		})
		waitMover := background(1, stop, mover(t, rand.New(rand.NewPCG(rnd.Uint64(), 3)), ph, engine))
		// The backfill of a Pair: Verify repairing every difference from the old side, as the
		// README's playbook copies history.
		waitVerify := background(1, stop, func(_ int, stop <-chan struct{}) {
			for pace(stop, 15*time.Millisecond) {
				_, _ = dualwrite.Verify[int64, string](ctx, oldStore, newSide, dualwrite.VerifyConfig[int64, string]{
					BatchSize: 3,
					Repair:    func(ctx context.Context, k int64) error { return pair.Repair(ctx, k, dualwrite.SideOld) },
				})
			}
		})
		pace(nil, min(linRound, c.dur))
		close(stop)
		waitWorkers()
		waitMover()
		waitVerify()
		newSide.on.Store(false)

		waitDrained(t, q)
		rep, err := dualwrite.Verify[int64, string](ctx, oldStore, newSide, dualwrite.VerifyConfig[int64, string]{})
		require.NoError(t, err)
		require.True(t, rep.OK(), "round %d: after the queue drained: %s mismatched %v missing old %v missing new %v",
			round, rep, rep.MismatchedKeys, rep.MissingOldKeys, rep.MissingNewKeys)
		for _, k := range keys {
			for _, s := range []dualwrite.Store[int64, string]{oldStore, newStore} {
				call := h.now()
				v, err := s.Get(ctx, k)
				if !errors.Is(err, dualwrite.ErrNotFound) {
					require.NoError(t, err)
				}
				h.add(linWorkers, linIn{key: k}, call, linOut{value: v, found: err == nil}, h.now())
			}
		}
		c.check(t, h, linOut{})
	}
}

// pairOp runs one random operation through the pair and records it.
func (c *linCheck) pairOp(t *testing.T, pair *dualwrite.Pair[int64, string], engine *gray.Engine, h *history, w int, rnd *rand.Rand, keys []int64, value string) {
	key := keys[rnd.IntN(len(keys))]
	ctx := userCtx(engine, key)
	if rnd.IntN(100) < 45 {
		call := h.now()
		v, err := pair.Get(ctx, key)
		ret := h.now()
		if err != nil && !errors.Is(err, dualwrite.ErrNotFound) {
			t.Errorf("get %d: %v", key, err)
			return
		}
		atomic.AddInt64(&c.reads, 1)
		atomic.AddInt64(&c.ops, 1)
		h.add(w, linIn{key: key, kind: opGet}, call, linOut{value: v, found: err == nil}, ret)
		return
	}
	in := linIn{key: key, kind: opPut, value: value}
	if rnd.IntN(100) < 15 {
		in = linIn{key: key, kind: opDelete}
	}
	plan := &linPlan{fault: rollFault(rnd)}
	ctx = context.WithValue(ctx, planKey{}, plan)
	var err error
	call := h.now()
	crash := crashed(func() {
		if in.kind == opDelete {
			err = pair.Delete(ctx, key)
		} else {
			err = pair.Put(ctx, key, in.value)
		}
	})
	ret := h.now()
	atomic.AddInt64(&c.ops, 1)
	if plan.fault != noFault && plan.writes > 0 {
		atomic.AddInt64(&c.faults, 1)
	}
	if crash {
		atomic.AddInt64(&c.crashes, 1)
	}
	switch {
	case err == nil && !crash:
		atomic.AddInt64(&c.acked, 1)
		h.add(w, in, call, nil, ret)
	case plan.first && (plan.fault == failBefore && errors.Is(err, errInjected) || plan.fault == crashBefore):
		// The first write failed or crashed before taking effect, so nothing was written.
		atomic.AddInt64(&c.dropped, 1)
	default:
		atomic.AddInt64(&c.unknown, 1)
		in.maybe = true
		h.add(w, in, call, nil, ret)
	}
}

// runColumns checks Columns: old code and new code write both columns of a row in one statement
// and read the column their phase reads, while a backfill (Go and SQL conversion in turn) fills
// the new column and phase off keeps setting it to NULL.
func runColumns(t *testing.T, db testDB, c *linCheck) {
	ctx := context.Background()
	db.Exec(t, "CREATE TABLE lin_cols (id BIGINT PRIMARY KEY, status INTEGER, status_v2 TEXT)")
	engine, err := gray.New(linShare(t, 50))
	require.NoError(t, err)
	ph := &linPhaser{phases: []dualwrite.Phase{dualwrite.Off, dualwrite.DualWrite, dualwrite.Shadow, dualwrite.Live, dualwrite.RampDown}}
	cols := &dualwrite.Columns[int, string]{
		Phase: ph,
		Up:    func(o int) (string, error) { return "v" + strconv.Itoa(o), nil },
		Down: func(n string) (int, error) {
			if !strings.HasPrefix(n, "v") {
				return 0, fmt.Errorf("%q: %w", n, dualwrite.ErrUnmappable)
			}
			return strconv.Atoi(n[1:])
		},
	}
	cps, err := dualwrite.NewCheckpoints(db.DB, db.Dialect, "lin_checkpoints")
	require.NoError(t, err)
	require.NoError(t, cps.CreateTable(ctx))
	var slowMu sync.Mutex
	slow := rand.New(rand.NewPCG(c.seed, 4))
	backfill := func(ctx context.Context, goMode bool) error {
		cfg := dualwrite.BackfillConfig{DB: db.DB, Dialect: db.Dialect, Checkpoints: cps, Name: "lin",
			Table: "lin_cols", KeyColumn: "id", OldColumn: "status", NewColumn: "status_v2", BatchSize: 2, Logger: quiet}
		if goMode {
			// A converter that is sometimes slow (a lookup, a remote call) widens the time
			// between the backfill's read and its write.
			cfg.Convert = func(old any) (any, error) {
				slowMu.Lock()
				d := time.Duration(slow.IntN(4)) * time.Millisecond
				slowMu.Unlock()
				time.Sleep(d)
				return cols.Convert(old)
			}
		} else {
			cfg.SQL = db.Concat("'v'", "status")
		}
		bf, err := dualwrite.NewBackfill(cfg)
		if err != nil {
			return err
		}
		if err := cps.Reset(ctx, "lin"); err != nil {
			return err
		}
		_, err = bf.Run(ctx)
		return err
	}
	oldScan, err := dualwrite.NewSQLStore[int64, int](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: "lin_cols", KeyColumn: "id", ValueColumn: "status"})
	require.NoError(t, err)
	newScan, err := dualwrite.NewSQLStore[int64, string](db.DB, db.Dialect, dualwrite.SQLStoreConfig{Table: "lin_cols", KeyColumn: "id", ValueColumn: "status_v2"})
	require.NoError(t, err)
	upd := db.Rebind("UPDATE lin_cols SET status = ?, status_v2 = ? WHERE id = ?")
	sel := db.Rebind("SELECT status, status_v2 FROM lin_cols WHERE id = ?")
	read := func(ctx context.Context, key int64, newCode bool) (string, error) {
		var (
			o sql.Null[int]
			n sql.Null[string]
		)
		if err := db.DB.QueryRowContext(ctx, sel, key).Scan(&o, &n); err != nil {
			return "", err
		}
		if newCode {
			s, err := cols.ReadNew(ctx, o, n)
			if err != nil {
				return "", err
			}
			return strings.TrimPrefix(s, "v"), nil
		}
		v, err := cols.ReadOld(ctx, o, n)
		return strconv.Itoa(v), err
	}

	rnd := rand.New(rand.NewPCG(c.seed, 2))
	// A row's two columns are written in one statement, so apart from a new column that phase off
	// set to NULL they never disagree; one statement checks that on a consistent snapshot.
	disagree := "SELECT COUNT(*) FROM lin_cols WHERE status_v2 IS NOT NULL AND status_v2 <> " + db.Concat("'v'", "status")
	for round := 0; time.Duration(round)*linRound < c.dur; round++ {
		keys := roundKeys(round, 3*linKeys)
		for _, k := range keys {
			db.Exec(t, "INSERT INTO lin_cols (id, status) VALUES (?, 0)", k) // history: the new column is NULL
		}
		h := &history{start: time.Now()}
		stop := make(chan struct{})
		waitWorkers := background(linWorkers, stop, func(w int, stop <-chan struct{}) {
			wr := rand.New(rand.NewPCG(c.seed+uint64(round), uint64(w)))
			for n := 1; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				key := keys[wr.IntN(len(keys))]
				ctx := userCtx(engine, key)
				newCode := wr.IntN(2) == 0
				if wr.IntN(100) < 50 {
					call := h.now()
					v, err := read(ctx, key, newCode)
					ret := h.now()
					if err != nil {
						t.Errorf("read %d: %v", key, err)
						return
					}
					atomic.AddInt64(&c.reads, 1)
					atomic.AddInt64(&c.ops, 1)
					h.add(w, linIn{key: key, kind: opGet}, call, linOut{value: v, found: true}, ret)
					continue
				}
				value := w*10_000_000 + n
				var (
					v   dualwrite.Values[int, string]
					err error
				)
				if newCode {
					v, err = cols.FromNew(ctx, "v"+strconv.Itoa(value))
				} else {
					v, err = cols.FromOld(ctx, value)
				}
				if err != nil {
					t.Errorf("values for %d: %v", key, err)
					return
				}
				in := linIn{key: key, kind: opPut, value: strconv.Itoa(value)}
				call := h.now()
				_, err = db.DB.ExecContext(ctx, upd, v.Old, v.New, key)
				ret := h.now()
				atomic.AddInt64(&c.ops, 1)
				if err != nil {
					atomic.AddInt64(&c.unknown, 1)
					in.maybe = true
					h.add(w, in, call, nil, ret)
					continue
				}
				atomic.AddInt64(&c.acked, 1)
				h.add(w, in, call, nil, ret)
			}
		})
		waitMover := background(1, stop, mover(t, rand.New(rand.NewPCG(rnd.Uint64(), 3)), ph, engine))
		waitWatch := background(1, stop, func(_ int, stop <-chan struct{}) {
			for pace(stop, time.Millisecond) {
				var n int
				if err := db.DB.QueryRowContext(ctx, disagree).Scan(&n); err != nil || n != 0 {
					t.Errorf("round %d: %d rows whose columns disagree (err %v)", round, n, err)
					return
				}
			}
		})
		bctx, stopBackfill := context.WithCancel(ctx)
		waitBackfill := background(1, stop, func(_ int, stop <-chan struct{}) {
			for i := 0; pace(stop, time.Millisecond); i++ {
				if err := backfill(bctx, i%2 == 0); err != nil && bctx.Err() == nil {
					t.Errorf("backfill: %v", err)
					return
				}
			}
		})
		pace(nil, min(linRound, c.dur))
		close(stop)
		stopBackfill()
		waitWorkers()
		waitMover()
		waitWatch()
		waitBackfill()

		// After the last write in phase off, a backfill fills the new column; then both columns
		// agree.
		require.NoError(t, backfill(ctx, false))
		up := dualwrite.Mapped[int64, string, int](oldScan, cols.ToOld, cols.ToNew)
		rep, err := dualwrite.Verify[int64, string](ctx, up, newScan, dualwrite.VerifyConfig[int64, string]{})
		require.NoError(t, err)
		require.True(t, rep.OK(), "round %d: %s mismatched %v", round, rep, rep.MismatchedKeys)
		for _, k := range keys {
			for _, newCode := range []bool{false, true} {
				call := h.now()
				v, err := read(ctx, k, newCode)
				require.NoError(t, err)
				h.add(linWorkers, linIn{key: k}, call, linOut{value: v, found: true}, h.now())
			}
		}
		c.check(t, h, linOut{value: "0", found: true})
	}
}
