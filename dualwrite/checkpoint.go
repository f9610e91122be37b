package dualwrite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Checkpoints is the SQL table where backfills store how far they got, one row per backfill name.
// It is safe for concurrent use.
type Checkpoints struct {
	db    *sql.DB
	d     Dialect
	table string
}

// Checkpoint is the stored state of one backfill.
type Checkpoint struct {
	Name      string
	LastKey   any   // the last key done; nil before the first batch
	Done      int64 // rows walked so far
	Finished  bool
	UpdatedAt time.Time
}

// NewCheckpoints returns the checkpoints kept in table (a plain, optionally schema-qualified
// identifier). Call [Checkpoints.CreateTable] once to create it.
func NewCheckpoints(db *sql.DB, d Dialect, table string) (*Checkpoints, error) {
	if db == nil || !d.valid() {
		return nil, configError("checkpoints: a db and a known dialect are required")
	}
	if err := checkIdent("checkpoint table", table); err != nil {
		return nil, err
	}
	return &Checkpoints{db: db, d: d, table: table}, nil
}

// CreateTable creates the checkpoint table if it does not exist.
func (c *Checkpoints) CreateTable(ctx context.Context) error {
	_, err := c.db.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s (
	name %s NOT NULL PRIMARY KEY,
	last_key TEXT,
	done BIGINT NOT NULL DEFAULT 0,
	finished INTEGER NOT NULL DEFAULT 0,
	updated_at BIGINT NOT NULL
)`, c.table, c.d.textKey()))
	if err != nil {
		return fmt.Errorf("dualwrite: create %s: %w", c.table, err)
	}
	return nil
}

// Get returns the checkpoint of name; ok is false when there is none.
func (c *Checkpoints) Get(ctx context.Context, name string) (cp Checkpoint, ok bool, err error) {
	var (
		last sql.NullString
		fin  int
		at   int64
	)
	err = c.db.QueryRowContext(ctx, fmt.Sprintf("SELECT last_key, done, finished, updated_at FROM %s WHERE name = %s", c.table, c.d.ph(1)), name).
		Scan(&last, &cp.Done, &fin, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{Name: name}, false, nil
	}
	if err != nil {
		return cp, false, fmt.Errorf("dualwrite: checkpoint %q: %w", name, err)
	}
	cp.Name, cp.Finished, cp.UpdatedAt = name, fin == 1, time.UnixMilli(at)
	if last.Valid {
		if cp.LastKey, err = decodeKey(last.String); err != nil {
			return cp, false, fmt.Errorf("dualwrite: checkpoint %q: %w", name, err)
		}
	}
	return cp, true, nil
}

// Reset deletes the checkpoint of name, so the next run starts from the first key.
func (c *Checkpoints) Reset(ctx context.Context, name string) error {
	_, err := c.db.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s WHERE name = %s", c.table, c.d.ph(1)), name)
	return err
}

func (c *Checkpoints) ensure(ctx context.Context, name string) error {
	_, err := c.db.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s (name, done, finished, updated_at) VALUES (%s, 0, 0, %s)",
		c.table, c.d.ph(1), c.d.ph(2))+c.d.upsert("name", "updated_at = {new.updated_at}"), name, time.Now().UnixMilli())
	return err
}

// encodeKey stores a key as the driver returned it, with its kind, so it can be bound again.
func encodeKey(k any) (string, error) {
	switch v := k.(type) {
	case int64:
		return "i:" + strconv.FormatInt(v, 10), nil
	case int32:
		return "i:" + strconv.FormatInt(int64(v), 10), nil
	case int:
		return "i:" + strconv.Itoa(v), nil
	case string:
		return "s:" + v, nil
	case []byte:
		return "s:" + string(v), nil
	}
	return "", fmt.Errorf("dualwrite: key type %T is not supported (integer or text keys only)", k)
}

func decodeKey(s string) (any, error) {
	switch {
	case strings.HasPrefix(s, "i:"):
		return strconv.ParseInt(s[2:], 10, 64)
	case strings.HasPrefix(s, "s:"):
		return s[2:], nil
	}
	return nil, fmt.Errorf("dualwrite: stored key %q has no kind", s)
}
