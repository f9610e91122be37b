package guard

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// subjectsTable is the default name of the subject overrides' table: the
// state table's name with "_subjects" for "_state" (graykit_guard_subjects
// by default), so stores with their own table names keep apart.
func subjectsTable(t SQLTables) string {
	if t.Subjects != "" {
		return t.Subjects
	}
	if base, ok := strings.CutSuffix(t.State, "_state"); ok {
		return base + "_subjects"
	}
	return t.State + "_subjects"
}

// createSubjects is the statement that creates the subjects' table.
func (s *SQLStore) createSubjects() string {
	// MySQL indexes no TEXT without a prefix length (see CreateTables).
	name := "TEXT"
	if s.d == MySQL {
		name = "VARCHAR(191)"
	}
	return "CREATE TABLE IF NOT EXISTS " + s.t.Subjects + ` (
	rollout ` + name + ` NOT NULL,
	subject ` + name + ` NOT NULL,
	variant TEXT NOT NULL,
	actor TEXT NOT NULL,
	reason TEXT NOT NULL,
	at BIGINT NOT NULL,
	PRIMARY KEY (rollout, subject))`
}

// PutSubject implements [SubjectStore].
func (s *SQLStore) PutSubject(ctx context.Context, o SubjectOverride) error {
	t := subjectTransition(ActionPutSubject, o.Key, o.Variant, o.Actor, o.Reason, o.At)
	q := "INSERT INTO " + s.t.Subjects + " (rollout, subject, variant, actor, reason, at) VALUES (" + s.phs(1, 6) +
		") ON CONFLICT (rollout, subject) DO UPDATE SET variant = excluded.variant, actor = excluded.actor, reason = excluded.reason, at = excluded.at"
	if s.d == MySQL {
		q = "INSERT INTO " + s.t.Subjects + " (rollout, subject, variant, actor, reason, at) VALUES (" + s.phs(1, 6) +
			") ON DUPLICATE KEY UPDATE variant = VALUES(variant), actor = VALUES(actor), reason = VALUES(reason), at = VALUES(at)"
	}
	return s.withAudit(ctx, o.Rollout, t, func(tx execer) (bool, error) {
		_, err := tx.ExecContext(ctx, q, o.Rollout, o.Key, o.Variant, o.Actor, o.Reason, o.At.UnixNano())
		return err == nil, err
	})
}

// RemoveSubject implements [SubjectStore].
func (s *SQLStore) RemoveSubject(ctx context.Context, rollout, key, actor, reason string, at time.Time) (bool, error) {
	var variant string
	removed := false
	err := s.withAudit(ctx, rollout, Transition{}, func(tx execer) (bool, error) {
		if s.d == MySQL {
			ok, err := s.removeSubjectMySQL(ctx, tx, rollout, key, &variant)
			removed = ok && err == nil
			return ok, err
		}
		row := tx.QueryRowContext(ctx, "DELETE FROM "+s.t.Subjects+" WHERE rollout = "+s.ph(1)+" AND subject = "+s.ph(2)+" RETURNING variant", rollout, key)
		switch err := row.Scan(&variant); {
		case err == nil:
			removed = true
			return true, nil
		case isNoRows(err):
			return false, nil
		default:
			return false, err
		}
	}, func() Transition { return subjectTransition(ActionRemoveSubject, key, variant, actor, reason, at) })
	return removed, err
}

// removeSubjectMySQL deletes an override on MySQL, which has no DELETE …
// RETURNING (MariaDB has it since 10.5, MySQL 8 not at all): the row is read
// under a lock first, then deleted.
func (s *SQLStore) removeSubjectMySQL(ctx context.Context, tx execer, rollout, key string, variant *string) (bool, error) {
	row := tx.QueryRowContext(ctx, "SELECT variant FROM "+s.t.Subjects+" WHERE rollout = ? AND subject = ? FOR UPDATE", rollout, key)
	switch err := row.Scan(variant); {
	case isNoRows(err):
		return false, nil
	case err != nil:
		return false, err
	}
	res, err := tx.ExecContext(ctx, "DELETE FROM "+s.t.Subjects+" WHERE rollout = ? AND subject = ?", rollout, key)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Subjects implements [SubjectStore].
func (s *SQLStore) Subjects(ctx context.Context, rollout string) ([]SubjectOverride, error) {
	q := "SELECT rollout, subject, variant, actor, reason, at FROM " + s.t.Subjects
	var args []any
	if rollout != "" {
		q += " WHERE rollout = " + s.ph(1)
		args = append(args, rollout)
	}
	rows, err := s.db.QueryContext(ctx, q+" ORDER BY rollout, subject", args...)
	if err != nil {
		return nil, fmt.Errorf("guard: subjects: %w", err)
	}
	defer rows.Close()
	var out []SubjectOverride
	for rows.Next() {
		var o SubjectOverride
		var at int64
		if err := rows.Scan(&o.Rollout, &o.Key, &o.Variant, &o.Actor, &o.Reason, &at); err != nil {
			return nil, fmt.Errorf("guard: subjects: %w", err)
		}
		o.At = fromNanos(at)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("guard: subjects: %w", err)
	}
	sortSubjects(out) // byte order, whatever the database's collation
	return out, nil
}

// withAudit runs change in a transaction and, when it reports a change,
// appends the audit entry (from later, when given, else t) with the
// rollout's current state version: both or neither.
func (s *SQLStore) withAudit(ctx context.Context, rollout string, t Transition, change func(tx execer) (bool, error), later ...func() Transition) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	changed, err := change(tx)
	if err != nil || !changed {
		if err == nil {
			err = tx.Rollback()
		}
		return err
	}
	if len(later) > 0 {
		t = later[0]()
	}
	body, err := json.Marshal(t)
	if err != nil {
		return err
	}
	var version int64
	row := tx.QueryRowContext(ctx, "SELECT version FROM "+s.t.State+" WHERE rollout = "+s.ph(1), rollout)
	if err := row.Scan(&version); err != nil && !isNoRows(err) {
		return err
	}
	if _, err = tx.ExecContext(ctx, s.qAudit, rollout, version, t.At.UnixNano(), string(body)); err != nil {
		return err
	}
	return tx.Commit()
}

// execer is what a subject change needs of a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
