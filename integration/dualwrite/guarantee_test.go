package dualwrite_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/integration/sqltest"
)

// The tests in this file each replay one way the sides of a key used to come apart, in a fixed
// order: a gate holds a write at the point that matters, and a second process (an impatient handle
// that fails instead of waiting for a key this one holds) acts meanwhile. Before per-key exclusion
// each of them ended with the sides apart and nothing queued.

// TestRepairNeverOverwritesNewerValue: a repair queued "from old" (a failed new write in shadow)
// runs while the user, now live, writes new first and old second. The repair must not copy the old
// value over the newer one, nor delete the new row when the old one is missing.
func TestRepairNeverOverwritesNewerValue(t *testing.T) {
	tests := []struct {
		name  string
		first func(sc *scene) error // the shadow write whose new half fails
		want  string
	}{
		{"value", func(sc *scene) error { return sc.pair.Put(sc.user(), 1, "v1") }, "v2"},
		{"source row missing", func(sc *scene) error { return sc.pair.Delete(sc.user(), 1) }, "v2"},
	}
	for _, tt := range tests {
		for _, l := range layouts {
			t.Run(tt.name+"/"+l.name, func(t *testing.T) {
				forEachDB(t, func(t *testing.T, db testDB) {
					sc := newScene(t, db, l)
					ctx := sc.ctx
					require.NoError(t, sc.pair.Put(sc.user(), 1, "v0"))
					sc.newSide.down.Store(true)
					require.NoError(t, tt.first(sc), "shadow: the old side is written, the new side's failure is queued")
					sc.newSide.down.Store(false)

					// The share rises: the user is live now and writes v2, new first. Hold the old write.
					sc.setShare(t, 100)
					sc.oldGate.arm("v2", false, false)
					errc := make(chan error, 1)
					go func() { errc <- sc.pair.Put(sc.user(), 1, "v2") }()
					<-sc.oldGate.reached

					// The other process's repairer runs now.
					st, err := sc.otherRepairer.RunOnce(ctx)
					assert.Zero(t, st.Repaired, "a repair ran while a write of the key was in flight (claim error: %v)", err)

					close(sc.oldGate.open)
					require.NoError(t, <-errc)
					sc.drain(t)
					sc.assertBoth(t, 1, tt.want)
					assert.Equal(t, tt.want, sc.read(t, 1), "a live read returns the last acknowledged write")
				})
			})
		}
	}
}

// TestRepairHoldsTheKeyUntilItsWriteReturns: a repair's lease ends (its context is canceled) while
// its write to the new side is still in flight. Another repairer takes the key over and finishes
// it, the user writes again, and then the first repair's write lands: it must not bring the older
// value back.
func TestRepairHoldsTheKeyUntilItsWriteReturns(t *testing.T) {
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db testDB) {
				sc := newScene(t, db, l)
				sc.newSide.down.Store(true)
				require.NoError(t, sc.pair.Put(sc.user(), 1, "v1"))
				sc.newSide.down.Store(false)

				sc.newGate.arm("v1", false, false)
				rctx, cancel := context.WithCancel(sc.ctx)
				defer cancel()
				errc := make(chan error, 1)
				go func() { errc <- sc.pair.Repair(rctx, 1, dualwrite.SideOld) }()
				<-sc.newGate.reached
				cancel() // the lease ends; the write is already on its way

				st, err := sc.otherRepairer.RunOnce(sc.ctx)
				assert.Zero(t, st.Repaired, "another repair of the key ran while one was in flight (claim error: %v)", err)
				sc.setShare(t, 100)
				werr := sc.other.Put(sc.user(), 1, "v2")
				close(sc.newGate.open) // the first repair's write lands
				<-errc
				if werr != nil {
					// The key was held until the repair's write returned: write again now.
					require.NoError(t, sc.pair.Put(sc.user(), 1, "v2"))
				}
				sc.drain(t)
				sc.assertBoth(t, 1, "v2")
				assert.Equal(t, "v2", sc.read(t, 1))
			})
		})
	}
}

// TestReadNeverSeesAValueRepairedAway: a live reader finds no record of the key and goes on to read
// the new side (outside the database). Meanwhile a shadow write leaves a repair pending from the
// old side, and a live write reaches the new side but reports a failure. The reader returns that
// value; a repair must not then copy the older old-side value over it.
func TestReadNeverSeesAValueRepairedAway(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		sc := newScene(t, db, layout{name: "sql+kv", kv: true})
		require.NoError(t, sc.pair.Put(sc.user(), 1, "v0"))

		sc.setShare(t, 100)
		sc.newGate.armRead()
		got := make(chan string, 1)
		go func() { got <- sc.read(t, 1) }() // live: no record, so it reads the new side
		<-sc.newGate.readReached

		sc.setShare(t, 0)
		sc.newSide.down.Store(true)
		require.NoError(t, sc.pair.Put(sc.user(), 1, "v1"), "shadow: old written, new queued from old")
		sc.newSide.down.Store(false)
		sc.setShare(t, 100)
		sc.newSide.late.Store(true)
		err := sc.pair.Put(sc.user(), 1, "v2") // live: new first; it is written but reports a failure
		sc.newSide.late.Store(false)
		require.Error(t, err)

		close(sc.newGate.readOK)
		seen := <-got
		sc.drain(t)
		assert.Equal(t, seen, sc.read(t, 1), "a value a reader returned stays until a later write")
		old, nw := sc.sides(t, 1)
		assert.Equal(t, [2]string{seen, seen}, [2]string{old, nw})
	})
}

// TestConcurrentWritersNeverDivergeSilently: A writes its first side, B writes both sides, A writes
// its second side. Both used to return nil with the sides apart and nothing queued.
func TestConcurrentWritersNeverDivergeSilently(t *testing.T) {
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db testDB) {
				sc := newScene(t, db, l)
				sc.newGate.arm("a", false, false)
				errc := make(chan error, 1)
				go func() { errc <- sc.pair.Put(sc.user(), 1, "a") }() // shadow: old, then new
				<-sc.newGate.reached

				berr := sc.other.Put(sc.user(), 1, "b")
				close(sc.newGate.open)
				require.NoError(t, <-errc)
				if berr != nil {
					// B found the key held by A and failed without writing anything; it retries.
					require.NoError(t, sc.pair.Put(sc.user(), 1, "b"))
				}
				sc.drain(t)
				sc.assertBoth(t, 1, "b")
			})
		})
	}
}

// TestCrashBetweenWritesIsRepaired: the process dies after the first write of a live call (new
// first) and before the second. The sides must not stay apart without a record.
func TestCrashBetweenWritesIsRepaired(t *testing.T) {
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db testDB) {
				sc := newScene(t, db, l)
				sc.setShare(t, 100)
				sc.oldGate.arm("v1", false, true)
				require.True(t, crashed(func() { _ = sc.pair.Put(sc.user(), 1, "v1") }))

				live := sc.read(t, 1)
				sc.setShare(t, 0)
				assert.Equal(t, live, sc.read(t, 1), "live and shadow users read the same value of a key abandoned mid-call")
				sc.drain(t)
				old, nw := sc.sides(t, 1)
				assert.Equal(t, old, nw, "the sides agree once the queue drained")
				assert.Equal(t, live, nw, "the value readers saw is the value that stayed")
			})
		})
	}
}

// TestCallerTransactionCannotStrandAWrite: the caller's transaction rolls back after Put returned
// nil. A store outside that transaction cannot roll back with it; its write must not stay behind
// alone, unrecorded.
func TestCallerTransactionCannotStrandAWrite(t *testing.T) {
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			forEachDB(t, func(t *testing.T, db testDB) {
				sc := newScene(t, db, l)
				sc.setShare(t, 100) // live: the new side first
				tx, err := db.DB.BeginTx(sc.ctx, nil)
				require.NoError(t, err)
				err = sc.pair.Put(dualwrite.ContextWithTx(sc.user(), tx), 1, "v1")
				if (l.kv || db.Kind == sqltest.MySQL) && err != nil {
					assert.ErrorIs(t, err, dualwrite.ErrTxUnsupported, "refused for the store outside the transaction")
				} else {
					require.NoError(t, err)
				}
				require.NoError(t, tx.Rollback())
				sc.drain(t)
				sc.assertBoth(t, 1, "")
			})
		})
	}
}

// TestCallerTransactionHoldsWritesInsideTheDatabase: a call that writes only stores inside the
// database joins the caller's transaction, also when the pair's other store is outside it (phase
// off writes the old side only), and rolls back with it.
func TestCallerTransactionHoldsWritesInsideTheDatabase(t *testing.T) {
	forEachDB(t, func(t *testing.T, db testDB) {
		sc := newScene(t, db, layout{name: "sql+kv", kv: true})
		off, err := dualwrite.NewPair(sc.old, sc.new, dualwrite.Config[int64, string]{
			Phase: dualwrite.Fixed(dualwrite.Off), OnWriteFailure: dualwrite.RecordRepair, Repairs: sc.q,
		})
		require.NoError(t, err)
		if db.Kind == sqltest.MySQL {
			refusedOnMySQL(t, db, func(ctx context.Context) error { return off.Put(ctx, 1, "v1") })
			old, nw := sc.sides(t, 1)
			assert.Equal(t, [2]string{"", ""}, [2]string{old, nw}, "refused: nothing written")
			return
		}
		for _, commit := range []bool{false, true} {
			tx, err := db.DB.BeginTx(sc.ctx, nil)
			require.NoError(t, err)
			require.NoError(t, off.Put(dualwrite.ContextWithTx(sc.ctx, tx), 1, "v1"))
			if commit {
				require.NoError(t, tx.Commit())
			} else {
				require.NoError(t, tx.Rollback())
			}
			old, nw := sc.sides(t, 1)
			if commit {
				assert.Equal(t, [2]string{"v1", ""}, [2]string{old, nw}, "committed: phase off wrote the old side")
			} else {
				assert.Equal(t, [2]string{"", ""}, [2]string{old, nw}, "rolled back with the caller's transaction")
			}
		}
	})
}
