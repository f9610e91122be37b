package dualwrite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Queue is the durable repair table (an outbox) in the application's SQL database: one row per key
// whose sides may differ — a failed write to be repaired, or a call still writing (an intent) —
// naming the side that holds the latest acknowledged value, with its attempts, backoff, lease and
// dead-letter state. A [Pair] given a Queue also locks its keys in the Queue's database (see the
// package doc). It is safe for concurrent use, also by several processes.
type Queue struct {
	db    *sql.DB
	d     Dialect
	table string
}

var _ Recorder = (*Queue)(nil)

// NewQueue returns the queue kept in table (a plain, optionally schema-qualified identifier).
// Call [Queue.CreateTable] once to create it.
func NewQueue(db *sql.DB, d Dialect, table string) (*Queue, error) {
	if db == nil || !d.valid() {
		return nil, configError("queue: a db and a known dialect are required")
	}
	if err := checkIdent("queue table", table); err != nil {
		return nil, err
	}
	return &Queue{db: db, d: d, table: table}, nil
}

// CreateTable creates the queue's table if it does not exist, and adds the columns this version
// needs to a table an older version created.
func (q *Queue) CreateTable(ctx context.Context) error {
	_, err := q.db.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
	item_key %s NOT NULL PRIMARY KEY,
	source VARCHAR(8) NOT NULL,
	seq BIGINT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL,
	lease_owner VARCHAR(64) NOT NULL DEFAULT '',
	lease_until BIGINT NOT NULL DEFAULT 0,
	dead INTEGER NOT NULL DEFAULT 0,
	last_error TEXT,
	updated_at BIGINT NOT NULL,
	inflight INTEGER NOT NULL DEFAULT 0
)`, q.table, q.d.textKey()))
	if err != nil {
		return fmt.Errorf("dualwrite: create %s: %w", q.table, err)
	}
	if _, err := q.db.ExecContext(ctx, "SELECT inflight FROM "+q.table+" WHERE 1 = 0"); err != nil {
		if _, aerr := q.db.ExecContext(ctx, "ALTER TABLE "+q.table+" ADD COLUMN inflight INTEGER NOT NULL DEFAULT 0"); aerr != nil {
			return fmt.Errorf("dualwrite: add column %s.inflight: %w", q.table, errors.Join(err, aerr))
		}
	}
	return nil
}

// Record records key for repair from side from. It runs in the context's transaction when there is
// one. Recording a key that is already queued (or dead) makes it due now with fresh attempts, and
// bumps its sequence so that a repair already under way for an older write does not remove it.
//
// A [Pair] that uses the queue keeps its records itself, under the key's lock; a record written by
// hand decides, outside that lock, which side the key is repaired from.
func (q *Queue) Record(ctx context.Context, key string, from Side) error {
	if from != SideOld && from != SideNew {
		return fmt.Errorf("dualwrite: record %q: side %d: %w", key, from, ErrUnknownSide)
	}
	now := time.Now().UnixMilli()
	_, err := conn(ctx, q.db).ExecContext(ctx, fmt.Sprintf(
		"INSERT INTO %s (item_key, source, seq, attempts, next_attempt_at, dead, updated_at) VALUES (%s, 1, 0, %s, 0, %s)",
		q.table, q.d.phs(1, 2), q.d.ph(3), q.d.ph(4))+
		q.d.upsert("item_key", "source = {new.source}", "seq = "+unqualified(q.table)+".seq + 1", "attempts = 0",
			"next_attempt_at = {new.next_attempt_at}", "dead = 0", "updated_at = {new.updated_at}"),
		key, from.String(), now, now)
	if err != nil {
		return fmt.Errorf("dualwrite: record %q: %w", key, err)
	}
	return nil
}

// Pending returns the number of keys waiting for repair, including calls still writing or
// abandoned mid-way (dead letters excluded).
func (q *Queue) Pending(ctx context.Context) (int64, error) {
	var n int64
	err := q.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+q.table+" WHERE dead = 0").Scan(&n)
	return n, err
}

// DeadLetter is a key whose repair failed MaxAttempts times.
type DeadLetter struct {
	Key       string
	From      Side
	Attempts  int
	LastError string
	UpdatedAt time.Time
}

// DeadLetters returns up to limit dead letters, oldest first.
func (q *Queue) DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error) {
	rows, err := q.db.QueryContext(ctx, fmt.Sprintf(
		"SELECT item_key, source, attempts, COALESCE(last_error, ''), updated_at FROM %s WHERE dead = 1 ORDER BY updated_at, item_key LIMIT %s",
		q.table, q.d.ph(1)), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DeadLetter
	for rows.Next() {
		var (
			dl  DeadLetter
			src string
			at  int64
		)
		if err := rows.Scan(&dl.Key, &src, &dl.Attempts, &dl.LastError, &at); err != nil {
			return nil, err
		}
		if dl.From, err = ParseSide(src); err != nil {
			return nil, err
		}
		dl.UpdatedAt = time.UnixMilli(at)
		out = append(out, dl)
	}
	return out, rows.Err()
}

// Replay makes dead letters due again with fresh attempts: the given keys, or all of them when none
// is given. It returns how many it revived.
func (q *Queue) Replay(ctx context.Context, keys ...string) (int64, error) {
	now := time.Now().UnixMilli()
	set := fmt.Sprintf("UPDATE %s SET dead = 0, attempts = 0, next_attempt_at = %s, lease_until = 0 WHERE dead = 1", q.table, q.d.ph(1))
	if len(keys) == 0 {
		res, err := q.db.ExecContext(ctx, set, now)
		if err != nil {
			return 0, fmt.Errorf("dualwrite: replay: %w", err)
		}
		return res.RowsAffected()
	}
	var total int64
	for _, k := range keys {
		res, err := q.db.ExecContext(ctx, set+" AND item_key = "+q.d.ph(2), now, k)
		if err != nil {
			return total, fmt.Errorf("dualwrite: replay %q: %w", k, err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

type claimed struct {
	key      string
	from     Side
	seq      int64
	attempts int
}

// claim leases up to n due keys to owner until now+lease. On dialects with SKIP LOCKED concurrent
// claimers pick disjoint rows; elsewhere the conditional UPDATE is the lease and a lost race just
// skips the key.
//
// A key with calls in flight (inflight > 0) is due once its last intent is intentTimeout old: the
// calls are presumed crashed. Repairing one early is safe, only wasted work: a repair waits for
// the key's lock like a write does.
func (q *Queue) claim(ctx context.Context, owner string, n int, lease, intentTimeout time.Duration) ([]claimed, error) {
	now := time.Now()
	sel := fmt.Sprintf("SELECT item_key, source, seq, attempts FROM %s WHERE dead = 0 AND lease_until < %s"+
		" AND (inflight = 0 AND next_attempt_at <= %s OR inflight > 0 AND updated_at <= %s) ORDER BY next_attempt_at LIMIT %s",
		q.table, q.d.ph(1), q.d.ph(2), q.d.ph(3), q.d.ph(4))
	var c execer = q.db
	var tx *sql.Tx
	if q.d.skipLocked() {
		var err error
		if tx, err = q.db.BeginTx(ctx, q.d.txOptions()); err != nil {
			return nil, err
		}
		defer func() { _ = tx.Rollback() }()
		c = tx
		sel += " FOR UPDATE SKIP LOCKED"
	}
	rows, err := c.QueryContext(ctx, sel, now.UnixMilli(), now.UnixMilli(), now.Add(-intentTimeout).UnixMilli(), n)
	if err != nil {
		return nil, err
	}
	var cands []claimed
	for rows.Next() {
		var (
			it  claimed
			src string
		)
		if err := rows.Scan(&it.key, &src, &it.seq, &it.attempts); err != nil {
			rows.Close()
			return nil, err
		}
		if it.from, err = ParseSide(src); err != nil {
			rows.Close()
			return nil, err
		}
		cands = append(cands, it)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	upd := fmt.Sprintf("UPDATE %s SET lease_owner = %s, lease_until = %s WHERE item_key = %s AND dead = 0 AND lease_until < %s",
		q.table, q.d.ph(1), q.d.ph(2), q.d.ph(3), q.d.ph(4))
	out := cands[:0]
	for _, it := range cands {
		res, err := c.ExecContext(ctx, upd, owner, now.Add(lease).UnixMilli(), it.key, now.UnixMilli())
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out = append(out, it)
		}
	}
	if tx != nil {
		if err := tx.Commit(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// done removes a repaired key unless it was recorded again meanwhile; then it only drops the lease.
func (q *Queue) done(ctx context.Context, owner string, it claimed) error {
	res, err := q.db.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE item_key = %s AND seq = %s AND lease_owner = %s",
		q.table, q.d.ph(1), q.d.ph(2), q.d.ph(3)), it.key, it.seq, owner)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	return q.releaseLease(ctx, owner, it)
}

// releaseLease drops owner's lease on it's key and leaves the record as it
// is: a fresh record written meanwhile is due again on its own terms.
func (q *Queue) releaseLease(ctx context.Context, owner string, it claimed) error {
	_, err := q.db.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET lease_until = 0, lease_owner = '' WHERE item_key = %s AND lease_owner = %s",
		q.table, q.d.ph(1), q.d.ph(2)), it.key, owner)
	return err
}

// failed counts a failed attempt: the key is due again after next, or dead when dead is true.
func (q *Queue) failed(ctx context.Context, owner string, it claimed, next time.Time, dead bool, cause error) error {
	d := 0
	if dead {
		d = 1
	}
	now := time.Now().UnixMilli()
	res, err := q.db.ExecContext(ctx, fmt.Sprintf(
		"UPDATE %s SET attempts = attempts + 1, next_attempt_at = %s, dead = %s, last_error = %s, lease_until = 0, lease_owner = '', updated_at = %s WHERE item_key = %s AND seq = %s AND lease_owner = %s",
		q.table, q.d.ph(1), q.d.ph(2), q.d.ph(3), q.d.ph(4), q.d.ph(5), q.d.ph(6), q.d.ph(7)),
		next.UnixMilli(), d, cause.Error(), now, it.key, it.seq, owner)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	// Recorded again meanwhile: keep the fresh record as it is, release the lease.
	return q.releaseLease(ctx, owner, it)
}

// RepairTarget repairs one encoded key by copying side from to the other side; [*Pair] is one.
// It must be idempotent.
type RepairTarget interface {
	RepairKey(ctx context.Context, key string, from Side) error
}

// queuedTarget is a RepairTarget that settles q's record of key itself, under the key's lock:
// it copies from the side the record names when it repairs, and does nothing when the record is
// gone. settled is false when it left the record to the repairer.
type queuedTarget interface {
	repairQueued(ctx context.Context, q *Queue, key string, from Side) (settled bool, err error)
}

// RepairerConfig configures a [Repairer]. Queue and Target are required; other zero values mean the
// documented defaults.
type RepairerConfig struct {
	Queue  *Queue
	Target RepairTarget
	// Owner names this repairer in leases. Default: a random id.
	Owner string
	// BatchSize is the number of keys claimed at once. Default 100.
	BatchSize int
	// Lease is how long a claimed key is reserved for this repairer. Default 30s.
	Lease time.Duration
	// Backoff is the wait after the first failed attempt; it doubles per attempt up to MaxBackoff.
	// Defaults 1s and 5m.
	Backoff, MaxBackoff time.Duration
	// MaxAttempts is the number of failed attempts after which a key becomes a dead letter.
	// Default 10.
	MaxAttempts int
	// Interval is the pause of [Repairer.Run] when nothing was due. Default 1s.
	Interval time.Duration
	// IntentTimeout is how long a call may take between recording its intent and finishing its
	// writes before its key is repaired as if the call had crashed. Repairing a key whose call is
	// still running is safe (the repair waits for the key's lock), only wasted work. Default 1m.
	IntentTimeout time.Duration
	// Logger receives failures and dead letters. Default: slog.Default().
	Logger *slog.Logger
}

// Repairer works off a [Queue]: it claims due keys, repairs them through its target, and retries
// failures with exponential backoff until they become dead letters. Any number of repairers, in any
// number of processes, may work on one queue. A [Pair] target repairs a key under the key's lock,
// from the side its record names at that moment, so a repair never overlaps a write or another
// repair of the key and never copies an older value over a newer one.
type Repairer struct {
	cfg RepairerConfig
}

// RepairStats counts the outcome of one [Repairer.RunOnce].
type RepairStats struct {
	Repaired, Failed, Dead int
}

// NewRepairer returns a repairer; it starts nothing until [Repairer.Run] or [Repairer.RunOnce].
func NewRepairer(cfg RepairerConfig) (*Repairer, error) {
	if cfg.Queue == nil || cfg.Target == nil {
		return nil, configError("repairer: Queue and Target are required")
	}
	if cfg.Owner == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		cfg.Owner = hex.EncodeToString(b[:])
	}
	if len(cfg.Owner) > 64 {
		return nil, configError("repairer: Owner is longer than 64 bytes")
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 100
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Minute
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 10
	}
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.IntentTimeout <= 0 {
		cfg.IntentTimeout = time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Repairer{cfg: cfg}, nil
}

// backoff returns the wait after the n-th failed attempt (n ≥ 1).
func (r *Repairer) backoff(n int) time.Duration {
	d := r.cfg.Backoff
	for i := 1; i < n && d < r.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.cfg.MaxBackoff)
}

// RunOnce claims one batch of due keys and repairs them. It returns an error only when the queue
// itself fails; failed repairs are counted and rescheduled.
func (r *Repairer) RunOnce(ctx context.Context) (RepairStats, error) {
	var st RepairStats
	claimed := time.Now()
	items, err := r.cfg.Queue.claim(ctx, r.cfg.Owner, r.cfg.BatchSize, r.cfg.Lease, r.cfg.IntentTimeout)
	if err != nil {
		return st, fmt.Errorf("dualwrite: repair claim: %w", err)
	}
	// The batch's leases end together: keys not reached by then are left
	// for whoever claims them next, and a repair still running when they
	// end is told to stop. The lease only shares out the work: a Pair
	// repairs under the key's lock, which it holds until its writes have
	// returned, so two repairs of a key, or a repair and a write, never
	// overlap even when a lease ends too early.
	leaseEnd := claimed.Add(r.cfg.Lease)
	qt, queued := r.cfg.Target.(queuedTarget)
	for _, it := range items {
		if !time.Now().Before(leaseEnd) {
			break
		}
		rctx, cancel := context.WithDeadline(ctx, leaseEnd)
		var (
			rerr    error
			settled bool
		)
		if queued {
			settled, rerr = qt.repairQueued(rctx, r.cfg.Queue, it.key, it.from)
		} else {
			rerr = r.cfg.Target.RepairKey(rctx, it.key, it.from)
		}
		cancel()
		if rerr == nil {
			done := r.cfg.Queue.done
			if settled {
				done = r.cfg.Queue.releaseLease
			}
			if err := done(ctx, r.cfg.Owner, it); err != nil {
				return st, fmt.Errorf("dualwrite: repair done %q: %w", it.key, err)
			}
			st.Repaired++
			continue
		}
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		attempts := it.attempts + 1
		dead := attempts >= r.cfg.MaxAttempts
		if err := r.cfg.Queue.failed(ctx, r.cfg.Owner, it, time.Now().Add(r.backoff(attempts)), dead, rerr); err != nil {
			return st, fmt.Errorf("dualwrite: repair reschedule %q: %w", it.key, err)
		}
		if dead {
			st.Dead++
			r.cfg.Logger.ErrorContext(ctx, "dualwrite: repair dead letter", "key", it.key, "from", it.from.String(), "attempts", attempts, "err", rerr)
		} else {
			st.Failed++
			r.cfg.Logger.WarnContext(ctx, "dualwrite: repair failed", "key", it.key, "from", it.from.String(), "attempt", attempts, "err", rerr)
		}
	}
	return st, nil
}

// Run repairs until ctx is done, pausing Interval whenever a round found nothing to do or the
// queue failed. It returns nil when ctx is canceled. It starts no goroutine.
func (r *Repairer) Run(ctx context.Context) error {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		st, err := r.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			r.cfg.Logger.ErrorContext(ctx, "dualwrite: repairer", "err", err)
		}
		wait := r.cfg.Interval
		if err == nil && st.Repaired+st.Failed+st.Dead > 0 {
			wait = 0
		}
		t.Reset(wait)
	}
}
