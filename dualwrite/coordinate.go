package dualwrite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"

	"github.com/cespare/xxhash/v2"
)

// sqlBinding names the database table a store reads and writes. [SQLStore] has one, and a
// [MappedStore] over a SQLStore forwards it.
type sqlBinding struct {
	db         *sql.DB
	d          Dialect
	table, key string
}

type sqlBound interface {
	sqlBinding() (sqlBinding, bool)
}

// bindingOf returns the table s writes, looking through wrappers that implement
// Unwrap() Store[K, V].
func bindingOf[K comparable, V any](s Store[K, V]) (sqlBinding, bool) {
	for range 32 { // a bound on wrappers that unwrap to themselves
		if b, ok := s.(sqlBound); ok {
			return b.sqlBinding()
		}
		u, ok := s.(interface{ Unwrap() Store[K, V] })
		if !ok {
			break
		}
		s = u.Unwrap()
	}
	return sqlBinding{}, false
}

// coordination says how a Pair keeps its two sides in step.
type coordination uint8

const (
	// oneTx: both stores are tables of one database, and so is the queue if there is one; every
	// call runs in one transaction of it.
	oneTx coordination = iota + 1
	// intents: a Queue's database holds the keys' locks and, before a call writes a store outside
	// it, a durable record of the write (an intent).
	intents
)

// coordinator is a Pair's exclusion per key: a lock in a database, held by a transaction that ends
// only after every write made under it has returned. Writes, repairs and the writes of other
// processes on the same database exclude each other per key through it.
type coordinator struct {
	how coordination
	db  *sql.DB
	d   Dialect
	q   *Queue  // nil only in oneTx without a queue
	ns  string  // namespace of the locks, so that pairs over other tables do not wait for these
	in  [3]bool // in[side]: the side's store runs in the coordinator's transactions
	// lock takes SQLite's write lock without changing anything; SQLite has one writer, so the
	// database's lock is every key's lock.
	lock string
}

// newCoordinator returns the coordination the stores and the recorder allow, or nil when they
// allow none: stores that are not both tables of one database, without a [*Queue].
func newCoordinator(bo, bn sqlBinding, okOld, okNew bool, rec Recorder) (*coordinator, error) {
	q, _ := rec.(*Queue)
	if rec != nil && q == nil {
		return nil, nil // a Recorder of the application's own: nothing to lock with
	}
	if okOld && okNew && bo.db == bn.db && (q == nil || q.db == bo.db) {
		if bo.d != bn.d || q != nil && q.d != bo.d {
			return nil, configError("pair: the stores and the queue are on one database with different dialects")
		}
		return &coordinator{
			how:  oneTx,
			db:   bo.db,
			d:    bo.d,
			q:    q,
			ns:   "dualwrite:" + bo.table + "|" + bn.table,
			in:   [3]bool{SideOld: true, SideNew: true},
			lock: fmt.Sprintf("UPDATE %s SET %s = %s WHERE 1 = 0", bo.table, bo.key, bo.key),
		}, nil
	}
	if q == nil {
		return nil, nil
	}
	co := &coordinator{how: intents, db: q.db, d: q.d, q: q, ns: "dualwrite:" + q.table,
		lock: fmt.Sprintf("UPDATE %s SET seq = seq WHERE 1 = 0", q.table)}
	co.in[SideOld] = okOld && bo.db == q.db
	co.in[SideNew] = okNew && bn.db == q.db
	return co, nil
}

// lead is the side a key's record must name while a call that writes first first writes a store
// outside the database: the store outside (the first one when both are). Its writes show at once,
// while writes inside the database show only when the call commits, so it is the side that can be
// ahead of what readers saw; a repair copying from any other side could take a value back.
func (co *coordinator) lead(first Side) Side {
	if co.in[first] {
		return first.Other()
	}
	return first
}

// lockID maps a key to a 64-bit lock identifier. Two keys that collide only wait for each other.
func (co *coordinator) lockID(key string) int64 {
	return int64(xxhash.Sum64String(co.ns + "\x00" + key))
}

// section is one call's hold on a key: a transaction holding the key's lock.
type section struct {
	co  *coordinator
	tx  *sql.Tx
	own bool // the Pair began tx and ends it; otherwise it is the caller's
	// ctx is the call's context carrying tx for the stores inside the database.
	ctx context.Context
	// enclosed: a savepoint in the caller's transaction makes the call all or nothing there.
	enclosed bool
	conn     *sql.Conn // MySQL: the connection that holds the key's named lock and tx
	named    string    // MySQL: the named lock to release once tx has ended
	ended    bool
}

// savepoint names.
const (
	spCall  = "dualwrite_call"
	spWrite = "dualwrite_write"
)

// begin starts key's section: in the caller's transaction ([ContextWithTx]) when every store the
// section writes is inside the database (inside), else in a new one. With lock false SQLite's lock
// is left to the section's first statement, which must then be a write.
//
// On MySQL the key's lock is a named lock (GET_LOCK), which belongs to a connection, not to a
// transaction: the section takes it on a connection of its own before it begins its transaction
// there, and releases it only after the transaction has ended, on every path (see end). A
// connection that dies takes the lock and the transaction with it, together. Since a named lock
// cannot be tied to the end of the caller's transaction, a section on MySQL never joins one: it
// returns [ErrTxUnsupported] instead.
func (co *coordinator) begin(ctx context.Context, key string, lock, inside bool) (*section, error) {
	s := &section{co: co}
	if tx, ok := TxFromContext(ctx); ok {
		if !inside || co.d == MySQL {
			return nil, fmt.Errorf("dualwrite: key %q: %w", key, ErrTxUnsupported)
		}
		s.tx = tx
	} else if co.d == MySQL {
		if err := s.beginMySQL(ctx, key); err != nil {
			return nil, fmt.Errorf("dualwrite: lock key %q: %w", key, err)
		}
	} else {
		// Not canceled with ctx: the transaction, and so the key's lock, must outlive every write
		// made under it, also a write to another store that does not stop when ctx is done.
		tx, err := co.db.BeginTx(context.WithoutCancel(ctx), nil)
		if err != nil {
			return nil, fmt.Errorf("dualwrite: begin: %w", err)
		}
		s.tx, s.own = tx, true
	}
	s.ctx = context.WithValue(ctx, scopeKey{}, scope{db: co.db, tx: s.tx})
	if co.d != MySQL && (lock || co.d != SQLite) {
		if err := s.lockKey(ctx, key); err != nil {
			s.release()
			return nil, fmt.Errorf("dualwrite: lock key %q: %w", key, err)
		}
	}
	return s, nil
}

// errLockTimeout is a named lock that was not granted within innodb_lock_wait_timeout.
var errLockTimeout = errors.New("GET_LOCK timed out (innodb_lock_wait_timeout): Lock wait timeout exceeded")

// beginMySQL takes key's named lock on a connection of the section's own and begins the section's
// transaction on it. The wait for the lock ends with ctx or after the session's
// innodb_lock_wait_timeout, the same bound as a wait for a row lock.
func (s *section) beginMySQL(ctx context.Context, key string) error {
	c, err := s.co.db.Conn(ctx)
	if err != nil {
		return err
	}
	name := "dualwrite:" + strconv.FormatUint(uint64(s.co.lockID(key)), 16)
	var got sql.NullInt64
	if err := c.QueryRowContext(ctx, "SELECT GET_LOCK(?, @@innodb_lock_wait_timeout)", name).Scan(&got); err != nil {
		// The lock may have been granted as the wait was given up: the connection must not go
		// back to the pool, and closing it ends its session, which releases the lock.
		discard(c)
		return err
	}
	if !got.Valid || got.Int64 != 1 {
		_ = c.Close()
		return errLockTimeout
	}
	s.conn, s.named = c, name
	// READ COMMITTED: every read under the lock sees the latest committed state, and writes take
	// no gap locks that could deadlock with other keys' writers.
	tx, err := c.BeginTx(context.WithoutCancel(ctx), s.co.d.txOptions())
	if err != nil {
		s.unlockNamed()
		return err
	}
	s.tx, s.own = tx, true
	return nil
}

// discard closes c and keeps it out of the pool.
func discard(c *sql.Conn) {
	_ = c.Raw(func(any) error { return driver.ErrBadConn })
	_ = c.Close()
}

func (s *section) lockKey(ctx context.Context, key string) error {
	if s.co.d == Postgres {
		_, err := s.tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", s.co.lockID(key))
		return err
	}
	_, err := s.tx.ExecContext(ctx, s.co.lock)
	return err
}

// enclose opens a savepoint in the caller's transaction, so that abandon undoes the call's writes
// there and leaves the rest of the transaction as it was.
func (s *section) enclose() error {
	if s.own {
		return nil
	}
	if _, err := s.tx.ExecContext(context.WithoutCancel(s.ctx), "SAVEPOINT "+spCall); err != nil {
		return fmt.Errorf("dualwrite: savepoint: %w", err)
	}
	s.enclosed = true
	return nil
}

// commit ends the section keeping its writes (in the caller's transaction: until the caller
// commits or rolls back).
func (s *section) commit() error {
	s.ended = true
	if s.enclosed {
		if _, err := s.tx.ExecContext(context.WithoutCancel(s.ctx), "RELEASE SAVEPOINT "+spCall); err != nil {
			return fmt.Errorf("dualwrite: release savepoint: %w", err)
		}
	}
	if !s.own {
		return nil
	}
	// The lock is released after the commit, so the next holder reads what this one wrote.
	defer s.unlockNamed()
	if err := s.tx.Commit(); err != nil {
		return fmt.Errorf("dualwrite: commit: %w", err)
	}
	return nil
}

// abandon ends the section undoing its writes in the database, and returns err.
func (s *section) abandon(err error) error {
	s.ended = true
	if s.enclosed {
		ctx := context.WithoutCancel(s.ctx)
		if _, rerr := s.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+spCall); rerr != nil {
			return errors.Join(err, fmt.Errorf("dualwrite: rollback to savepoint: %w", rerr))
		}
		if _, rerr := s.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+spCall); rerr != nil {
			return errors.Join(err, fmt.Errorf("dualwrite: release savepoint: %w", rerr))
		}
	}
	if s.own {
		_ = s.tx.Rollback()
		s.unlockNamed()
	}
	return err
}

// release abandons a section that was not ended; deferred, it also ends one left by a panic.
func (s *section) release() {
	if !s.ended {
		_ = s.abandon(nil)
	}
}

// unlockNamed releases the section's named lock (MySQL) on the connection that holds it, after its
// transaction has ended, and returns the connection to the pool. When the release fails the
// connection is closed instead, which ends its session and so releases the lock on the server.
func (s *section) unlockNamed() {
	if s.conn == nil {
		return
	}
	c := s.conn
	s.conn = nil
	if s.named == "" {
		_ = c.Close()
		return
	}
	var released sql.NullInt64
	err := c.QueryRowContext(context.Background(), "SELECT RELEASE_LOCK(?)", s.named).Scan(&released)
	s.named = ""
	if err != nil || !released.Valid || released.Int64 != 1 {
		discard(c)
		return
	}
	_ = c.Close()
}

// guard runs f, a write that runs in the section's transaction when inside is true, in a
// savepoint, so that its failure (which aborts a PostgreSQL transaction) leaves the section able
// to record it.
func (s *section) guard(inside bool, f func() error) error {
	if !inside {
		return f()
	}
	ctx := context.WithoutCancel(s.ctx)
	if _, err := s.tx.ExecContext(ctx, "SAVEPOINT "+spWrite); err != nil {
		return fmt.Errorf("dualwrite: savepoint: %w", err)
	}
	err := f()
	if err != nil {
		if _, rerr := s.tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+spWrite); rerr != nil {
			return errors.Join(err, fmt.Errorf("dualwrite: rollback to savepoint: %w", rerr))
		}
	}
	if _, rerr := s.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+spWrite); rerr != nil {
		return errors.Join(err, fmt.Errorf("dualwrite: release savepoint: %w", rerr))
	}
	return err
}
