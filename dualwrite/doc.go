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
// table in the application's database, written in the same transaction as the write when both
// stores are tables of that database — and a [Repairer] copies the latest value later, with
// backoff, a maximum number of attempts and dead letters that [Queue.Replay] revives.
//
// # What is guaranteed
//
// Per key, the side the key's phase reads never goes back to an older acknowledged value (the value
// of a Put or Delete that returned nil), whatever the interleaving of writers, repairs, backfill,
// phase and share changes and crashes; reads are linearizable per key; and once the repair queue
// has drained, both sides hold the latest acknowledged value. A call that returned an error took
// effect at one point of the call, or never. That holds in these configurations:
//
//	configuration                        guaranteed through                      you must
//	Columns (two columns of one row)     concurrent writers in any phase,        write both values in one statement;
//	                                     backfill in SQL or Go, re-runs,         start the backfill once no instance
//	                                     several runners, moving a phase back    sets the old column alone
//	Pair, both stores SQLStores of one   concurrent writers and repairs, any     use one *sql.DB for both (wrappers
//	database (own or caller's            number of processes, failures of        implement Unwrap); a Queue on it and
//	transaction)                         either side, crashes: each call is      a Repairer with RecordRepair; commit
//	                                     one transaction, all or nothing         or roll back your transaction
//	Pair with a store outside the        concurrent writers and repairs, leases  a Queue (on the *sql.DB of the store
//	Queue's database, RecordRepair       that end mid-repair, failures of        inside) and a Repairer; a store that
//	(e.g. SQL → key-value store)         either side, a crash between the two    never applies a write after its call
//	                                     writes, phase and share changes         returned; calls outside your
//	                                                                             transaction (ErrTxUnsupported)
//	Pair with FailCall                   as above when the stores share a        retry a call that failed; across
//	                                     database (a failed call writes          databases its key is also repaired
//	                                     nothing) or a Queue is given            from the side with the latest value
//	Pair without either (other stores,   nothing beyond the phase's order and    add a Queue, or keep one writer per
//	no Queue, or your own Recorder)      the failure policy                      key and Verify with repair before
//	                                                                             moving reads
//
// # How
//
// In every configuration but the last, each write and each repair of a key runs in a database
// transaction that holds the key's lock (PostgreSQL: pg_advisory_xact_lock on a hash of the key;
// SQLite: the database's write lock, which its first write takes; MySQL: GET_LOCK on a connection
// of the call's own, released after its transaction ends, see [Dialect]) and
// that ends only after every write made under it has returned, also one to a store that ignores a
// canceled context. Writers and repairs of a key, in any process, take turns. The lock costs
// PostgreSQL one statement per call; on SQLite a write of both tables costs nothing more than its
// transaction, which commits once instead of twice. With a Queue, [Pair.Get] also reads the key's
// queue row (one indexed lookup).
//
// When both stores are tables of one database the call is one transaction, so a crash or a failure
// leaves no half-written key: it rolls back, or with RecordRepair the failed side alone is rolled
// back (a savepoint) and the repair is recorded in the same transaction.
//
// A store outside the database cannot roll back, so a call first records its intent in the Queue
// (committed before it writes anything), then takes the lock, writes, and settles the record: it
// goes when both sides were written, or names the side that holds the latest value. A crash leaves
// the intent, which the [Repairer] takes for a crashed call after [RepairerConfig.IntentTimeout].
// Writes outside the database show at once, so the store outside is written only while the
// committed record names it and it holds the latest value; when a pending repair names the other
// side, the call first copies the latest value over and commits that. A repair therefore never
// takes back a value a reader may have seen, even a reader that looked before the record existed.
//
// A key's queue row names the side that holds its latest acknowledged value; only calls holding the
// key's lock change that. A repair copies from the side the row names, under the lock, and so never
// copies an older value over a newer one, whatever side the repair was first recorded for. Reads
// ([Pair.Get]) take the side the row names while there is one, so moving a key to another phase
// never shows it an older value.
//
// This borrows from the transactional outbox (the intent commits before the outside write, and a
// relay, the Repairer, finishes the work) and from online schema-change tools that convert a row
// under its own lock or condition (pgroll's triggers; gh-ost's row copy, which never overwrites a
// change already applied). LaunchDarkly's migration stages, which the phases mirror, order the two
// writes but leave concurrent writers and failures between them to the application; this package
// takes that on.
//
// Not covered: a store that applies a write after its call returned (retries in the background),
// and a database that ends the transaction's session mid-call (a lost connection,
// idle_in_transaction_session_timeout) while a write to a store outside it is in flight; the next
// writer may then go first and [Verify] with repair finds the key. Phases off and complete write one
// side only, so the other side falls behind by design: backfill before reads move to it.
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
// mismatched and missing keys, optionally repairing them. SQL runs on SQLite, PostgreSQL and MySQL
// or MariaDB through database/sql (see [Dialect]); the tables the package needs are created by
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
