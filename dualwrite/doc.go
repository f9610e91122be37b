// Package dualwrite carries data through a gray release: while old and new code share one
// database, it moves a value from an old side (a column, a table, a store) to a new side along
// expand → dual-write → backfill → switch reads → contract, without breaking the old code and
// without losing a write.
//
// # Phases
//
// Every call resolves its [Phase] through a [Phaser]: [Fixed], a [Switch] changed at run time, a
// [PhaseFunc], or [FromRollout], which gives gray users (a rollout's non-default variant) one phase
// and everyone else another. An unknown phase is an error and the safe phase is used.
//
//	phase       writes             reads      compares
//	off         old                old        -
//	dual-write  old, then new      old        -
//	shadow      old, then new      old        new
//	live        new, then old      new        old
//	ramp-down   new, then old      new        -
//	complete    new                new        -
//
// The first write is authoritative. Moving back one phase is always possible until complete.
//
// # Two stores
//
// [Pair] wraps two [Store]s (get, put, delete by key): two tables ([SQLStore]), two databases, a
// table and a document or key-value store ([Mapped] converts between value types). Shadow reads
// compare the other side with an Equal function (Ignore rules, Clean for reports, SampleRate) and
// report to an [Observer] such as [Counter]; nothing about the shadow side changes what the caller
// gets. A failed second write fails the call ([FailCall]) or is recorded in a [Queue] — an outbox
// table written in the caller's transaction ([ContextWithTx]) — and a [Repairer] copies the
// authoritative value later, with backoff, a maximum number of attempts and dead letters that
// [Queue.Replay] revives.
//
// # Two columns
//
// [Columns] migrates a value between two columns of one row with typed Up and Down converters:
// [Columns.FromOld] and [Columns.FromNew] give both values for one statement, [Columns.ReadNew]
// and [Columns.ReadOld] pick the column the phase reads and fall back to the old one while the new
// one is NULL. A value without an equivalent ([ErrUnmappable]) fails or takes a declared fallback.
//
// # Backfill and verify
//
// [Backfill] walks a table in key order in batches, converting with a SQL expression or in Go,
// writes only rows whose new column is still NULL, commits a checkpoint with every batch and
// resumes from it, and can be throttled and paused. [Verify] walks both sides and reports matched,
// mismatched and missing keys, optionally repairing them. SQL runs on SQLite and PostgreSQL
// through database/sql ([Dialect]; MySQL's syntax is there but untested); the tables the package needs are created by
// [Queue.CreateTable] and [Checkpoints.CreateTable] under names you choose.
//
// # The smallest useful program
//
//	old, _ := dualwrite.NewSQLStore[int64, string](db, dualwrite.SQLite,
//		dualwrite.SQLStoreConfig{Table: "profiles", KeyColumn: "id", ValueColumn: "phone"})
//	nw, _ := dualwrite.NewSQLStore[int64, string](db, dualwrite.SQLite,
//		dualwrite.SQLStoreConfig{Table: "contacts", KeyColumn: "id", ValueColumn: "phone"})
//	pair, err := dualwrite.NewPair[int64, string](old, nw, dualwrite.Config[int64, string]{
//		Phase: dualwrite.FromRollout("contacts-v2", dualwrite.Live, dualwrite.Shadow),
//	})
//	if err != nil {
//		return err
//	}
//	err = pair.Put(ctx, 42, "+1 555 0100") // both tables, in the phase's order
//	phone, err := pair.Get(ctx, 42)        // gray users read contacts, others profiles
package dualwrite
