package dualwrite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SQLStore is a [Store] and [Scanner] over one value column of a SQL table, keyed by its primary
// key column. A NULL value counts as no value. It runs in the transaction of the context when there
// is one (see [ContextWithTx]). It is safe for concurrent use.
type SQLStore[K comparable, V any] struct {
	db                 *sql.DB
	bind               sqlBinding
	get, put, del      string
	scanFirst, scanAft string
	nullOnDelete       bool
}

var (
	_ Store[int64, string]   = (*SQLStore[int64, string])(nil)
	_ Scanner[int64, string] = (*SQLStore[int64, string])(nil)
)

// SQLStoreConfig names the table and columns of a [SQLStore].
type SQLStoreConfig struct {
	Table, KeyColumn, ValueColumn string
	// NullOnDelete makes Delete set the value column to NULL instead of deleting the row; use it
	// when the column shares its row with other data.
	NullOnDelete bool
}

// NewSQLStore returns a store over cfg.ValueColumn of cfg.Table. Names must be plain identifiers.
// Put inserts the row when it is missing (the table's other columns need defaults then).
func NewSQLStore[K comparable, V any](db *sql.DB, d Dialect, cfg SQLStoreConfig) (*SQLStore[K, V], error) {
	if db == nil || !d.valid() {
		return nil, configError("sql store: a db and a known dialect are required")
	}
	for _, c := range [][2]string{{"table", cfg.Table}, {"key column", cfg.KeyColumn}, {"value column", cfg.ValueColumn}} {
		if err := checkIdent(c[0], c[1]); err != nil {
			return nil, err
		}
	}
	t, k, v := cfg.Table, cfg.KeyColumn, cfg.ValueColumn
	s := &SQLStore[K, V]{db: db, bind: sqlBinding{db: db, d: d, table: t, key: k}, nullOnDelete: cfg.NullOnDelete}
	s.get = fmt.Sprintf("SELECT %s FROM %s WHERE %s = %s AND %s IS NOT NULL", v, t, k, d.ph(1), v)
	s.put = fmt.Sprintf("INSERT INTO %s (%s, %s) VALUES (%s)", t, k, v, d.phs(1, 2)) +
		d.upsert(k, v+" = {new."+v+"}")
	if cfg.NullOnDelete {
		s.del = fmt.Sprintf("UPDATE %s SET %s = NULL WHERE %s = %s", t, v, k, d.ph(1))
	} else {
		s.del = fmt.Sprintf("DELETE FROM %s WHERE %s = %s", t, k, d.ph(1))
	}
	s.scanFirst = fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s IS NOT NULL ORDER BY %s LIMIT %s", k, v, t, v, k, d.ph(1))
	s.scanAft = fmt.Sprintf("SELECT %s, %s FROM %s WHERE %s > %s AND %s IS NOT NULL ORDER BY %s LIMIT %s", k, v, t, k, d.ph(1), v, k, d.ph(2))
	return s, nil
}

func (s *SQLStore[K, V]) sqlBinding() (sqlBinding, bool) { return s.bind, true }

// Get returns the value of key, or an error wrapping [ErrNotFound].
func (s *SQLStore[K, V]) Get(ctx context.Context, key K) (V, error) {
	var v V
	err := conn(ctx, s.db).QueryRowContext(ctx, s.get, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return v, ErrNotFound
	}
	return v, err
}

// Put sets the value of key, inserting the row when needed.
func (s *SQLStore[K, V]) Put(ctx context.Context, key K, value V) error {
	_, err := conn(ctx, s.db).ExecContext(ctx, s.put, key, value)
	return err
}

// Delete deletes the row of key (or sets the value to NULL with NullOnDelete).
func (s *SQLStore[K, V]) Delete(ctx context.Context, key K) error {
	_, err := conn(ctx, s.db).ExecContext(ctx, s.del, key)
	return err
}

// Scan returns up to limit entries with keys after *after, in key order.
func (s *SQLStore[K, V]) Scan(ctx context.Context, after *K, limit int) ([]Entry[K, V], error) {
	var (
		rows *sql.Rows
		err  error
	)
	c := conn(ctx, s.db)
	if after == nil {
		rows, err = c.QueryContext(ctx, s.scanFirst, limit)
	} else {
		rows, err = c.QueryContext(ctx, s.scanAft, *after, limit)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]Entry[K, V], 0, limit)
	for rows.Next() {
		var e Entry[K, V]
		if err := rows.Scan(&e.Key, &e.Value); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
