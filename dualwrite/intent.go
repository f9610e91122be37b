package dualwrite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// A coordinated [Pair] keeps one queue row per key whose sides may differ. Its source names a side
// whose value is at least as new as anything a reader could have seen on either side; inflight
// counts the calls that recorded an intent and have not finished; next_attempt_at is 0 while no
// repair is needed yet. Every change of a row's source happens under the key's lock, and a store
// outside the database is written only while the committed row names it, so a row read under the
// lock is the truth about the key: a repair copies from its source and never takes a value back,
// and reads follow it.

// record is the part of a queue row a Pair needs.
type record struct {
	src      Side
	inflight int64
}

// intent records, durably and before the call takes the key's lock, that a call is about to write
// both sides, lead being the side the row must name while it does (see coordinator.lead). A new
// row names lead (both sides were in step); an existing row keeps its source until the call, under
// the lock, brings lead up to date and moves the source there.
func (q *Queue) intent(ctx context.Context, key string, lead Side) error {
	_, err := q.db.ExecContext(ctx, fmt.Sprintf(
		"INSERT INTO %s (item_key, source, seq, attempts, next_attempt_at, dead, updated_at, inflight) VALUES (%s, %s, 1, 0, 0, 0, %s, 1)",
		q.table, q.d.ph(1), q.d.ph(2), q.d.ph(3))+
		q.d.upsert("item_key", "seq = "+unqualified(q.table)+".seq + 1", "inflight = "+unqualified(q.table)+".inflight + 1",
			"updated_at = {new.updated_at}"),
		key, lead.String(), time.Now().UnixMilli())
	return err
}

// row reads key's row in the section's transaction.
func (q *Queue) row(ctx context.Context, ex execer, key string) (record, bool, error) {
	var (
		r   record
		src string
	)
	err := ex.QueryRowContext(ctx, fmt.Sprintf("SELECT source, inflight FROM %s WHERE item_key = %s", q.table, q.d.ph(1)), key).
		Scan(&src, &r.inflight)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("dualwrite: queue row %q: %w", key, err)
	}
	if r.src, err = ParseSide(src); err != nil {
		return r, false, err
	}
	return r, true, nil
}

// source returns the side key's row names, for a read: ok is false when the key has no row.
func (q *Queue) source(ctx context.Context, key string) (Side, bool, error) {
	var src string
	err := conn(ctx, q.db).QueryRowContext(ctx, fmt.Sprintf("SELECT source FROM %s WHERE item_key = %s", q.table, q.d.ph(1)), key).Scan(&src)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("dualwrite: queue row %q: %w", key, err)
	}
	s, err := ParseSide(src)
	return s, err == nil, err
}

// settle ends a call whose writes left the sides apart: key is due for repair from src now, and
// the call no longer counts as in flight when ended is true.
func (q *Queue) settle(ctx context.Context, ex execer, key string, src Side, ended bool) error {
	dec := ""
	if ended {
		dec = ", inflight = CASE WHEN inflight > 0 THEN inflight - 1 ELSE 0 END"
	}
	now := time.Now().UnixMilli()
	_, err := ex.ExecContext(ctx, fmt.Sprintf(
		"UPDATE %s SET source = %s, next_attempt_at = %s, attempts = 0, dead = 0, seq = seq + 1, updated_at = %s%s WHERE item_key = %s",
		q.table, q.d.ph(1), q.d.ph(2), q.d.ph(3), dec, q.d.ph(4)), src.String(), now, now, key)
	if err != nil {
		return fmt.Errorf("dualwrite: record repair of key %q: %w", key, err)
	}
	return nil
}

// lead makes src the side key's row names, without changing when it is due.
func (q *Queue) lead(ctx context.Context, ex execer, key string, src Side) error {
	_, err := ex.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET source = %s, seq = seq + 1, updated_at = %s WHERE item_key = %s",
		q.table, q.d.ph(1), q.d.ph(2), q.d.ph(3)), src.String(), time.Now().UnixMilli(), key)
	if err != nil {
		return fmt.Errorf("dualwrite: record side of key %q: %w", key, err)
	}
	return nil
}

// finish ends a call that wrote both sides: its row goes when no other call is in flight, since
// the sides are now in step; otherwise it only stops counting the call.
func (q *Queue) finish(ctx context.Context, ex execer, key string) error {
	res, err := ex.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE item_key = %s AND inflight <= 1", q.table, q.d.ph(1)), key)
	if err != nil {
		return fmt.Errorf("dualwrite: finish key %q: %w", key, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return nil
	}
	if _, err := ex.ExecContext(ctx, fmt.Sprintf("UPDATE %s SET inflight = inflight - 1, updated_at = %s WHERE item_key = %s AND inflight > 0",
		q.table, q.d.ph(1), q.d.ph(2)), time.Now().UnixMilli(), key); err != nil {
		return fmt.Errorf("dualwrite: finish key %q: %w", key, err)
	}
	return nil
}

// remove deletes key's row after a repair brought the sides in step.
func (q *Queue) remove(ctx context.Context, ex execer, key string) error {
	if _, err := ex.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE item_key = %s", q.table, q.d.ph(1)), key); err != nil {
		return fmt.Errorf("dualwrite: remove repaired key %q: %w", key, err)
	}
	return nil
}
