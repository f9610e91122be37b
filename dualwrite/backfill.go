package dualwrite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// BackfillConfig configures a [Backfill]. DB, Dialect, Checkpoints, the four names and exactly one
// of SQL and Convert are required; other zero values mean the documented defaults.
type BackfillConfig struct {
	DB          *sql.DB
	Dialect     Dialect
	Checkpoints *Checkpoints
	// Name identifies the checkpoint. Default: Table + "." + NewColumn.
	Name string
	// Table, KeyColumn (the primary key, integer or text), OldColumn and NewColumn are plain
	// identifiers.
	Table, KeyColumn, OldColumn, NewColumn string
	// SQL is an expression over the row that computes the new value, e.g.
	// "CASE status WHEN 1 THEN 'active' ELSE 'banned' END". It is trusted SQL.
	SQL string
	// Convert computes the new value in Go from the old column's raw value (see
	// [Columns.Convert]). A nil result leaves the row alone; an error stops the backfill.
	Convert func(old any) (any, error)
	// BatchSize is the number of rows per batch and transaction. Default 1000.
	BatchSize int
	// Delay is a pause after every batch. Default none.
	Delay time.Duration
	// RowsPerSecond caps the rate. Default 0: no cap.
	RowsPerSecond float64
	// Pause is asked before every batch; a positive duration waits that long and asks again (e.g.
	// while replica lag is high); an error stops the backfill. Optional.
	Pause func(ctx context.Context) (time.Duration, error)
	// MaxRetries is how often a batch that failed on a lock timeout, deadlock or serialization
	// failure is retried, with doubling waits from RetryBackoff. Defaults 10 and 50ms.
	MaxRetries   int
	RetryBackoff time.Duration
	// Progress is called after every batch and at the end. Optional.
	Progress func(Progress)
	// Logger receives progress every LogEvery (default 10s) and at the end. Default slog.Default().
	Logger   *slog.Logger
	LogEvery time.Duration
}

// Progress reports how far a backfill got.
type Progress struct {
	Name     string
	Done     int64         // rows walked, including earlier runs
	Updated  int64         // rows this run wrote
	Total    int64         // estimated rows in the table
	Rate     float64       // rows walked per second in this run
	ETA      time.Duration // estimated time left; 0 when unknown or finished
	Elapsed  time.Duration // time of this run
	Finished bool
}

// Backfill copies old values into the new column for the rows whose new column is still NULL,
// walking the table in primary-key order in batches (keyset pagination). Each batch and its
// checkpoint commit in one transaction, so a run that crashed or was canceled resumes exactly where
// it stopped. A row a dual write already set is never overwritten: every write is conditional on
// the new column being NULL, in the same statement.
type Backfill struct {
	cfg                          BackfillConfig
	stmts                        map[string]*sql.Stmt // prepared per Run; only Run's goroutine uses it
	qFirst, qAfter               string               // batch bounds (SQL mode) or rows (Go mode)
	uRange, uRangeFirst, uOne    string
	cpTouch, cpSave, cpFinish, q string
}

// NewBackfill checks cfg and returns a backfill; it touches no database.
func NewBackfill(cfg BackfillConfig) (*Backfill, error) {
	if cfg.DB == nil || !cfg.Dialect.valid() || cfg.Checkpoints == nil {
		return nil, configError("backfill: DB, Dialect and Checkpoints are required")
	}
	for _, c := range [][2]string{{"table", cfg.Table}, {"key column", cfg.KeyColumn}, {"old column", cfg.OldColumn}, {"new column", cfg.NewColumn}} {
		if err := checkIdent(c[0], c[1]); err != nil {
			return nil, err
		}
	}
	if (cfg.SQL == "") == (cfg.Convert == nil) {
		return nil, configError("backfill: exactly one of SQL and Convert is required")
	}
	if cfg.BatchSize < 0 || cfg.RowsPerSecond < 0 || cfg.MaxRetries < 0 || cfg.Delay < 0 {
		return nil, configError("backfill: negative BatchSize, RowsPerSecond, MaxRetries or Delay")
	}
	if cfg.Name == "" {
		cfg.Name = cfg.Table + "." + cfg.NewColumn
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = 1000
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 10
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = 50 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.LogEvery <= 0 {
		cfg.LogEvery = 10 * time.Second
	}
	d, t, k, o, n := cfg.Dialect, cfg.Table, cfg.KeyColumn, cfg.OldColumn, cfg.NewColumn
	b := &Backfill{cfg: cfg}
	if cfg.SQL != "" {
		b.qFirst = fmt.Sprintf("SELECT MAX(%s), COUNT(*) FROM (SELECT %s FROM %s ORDER BY %s LIMIT %s) s", k, k, t, k, d.ph(1))
		b.qAfter = fmt.Sprintf("SELECT MAX(%s), COUNT(*) FROM (SELECT %s FROM %s WHERE %s > %s ORDER BY %s LIMIT %s) s", k, k, t, k, d.ph(1), k, d.ph(2))
		b.uRangeFirst = fmt.Sprintf("UPDATE %s SET %s = (%s) WHERE %s <= %s AND %s IS NULL AND %s IS NOT NULL", t, n, cfg.SQL, k, d.ph(1), n, o)
		b.uRange = fmt.Sprintf("UPDATE %s SET %s = (%s) WHERE %s > %s AND %s <= %s AND %s IS NULL AND %s IS NOT NULL", t, n, cfg.SQL, k, d.ph(1), k, d.ph(2), n, o)
	} else {
		sel := fmt.Sprintf("SELECT %s, %s, CASE WHEN %s IS NULL THEN 1 ELSE 0 END FROM %s", k, o, n, t)
		b.qFirst = sel + fmt.Sprintf(" ORDER BY %s LIMIT %s", k, d.ph(1))
		b.qAfter = sel + fmt.Sprintf(" WHERE %s > %s ORDER BY %s LIMIT %s", k, d.ph(1), k, d.ph(2))
		b.uOne = fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s = %s AND %s IS NULL", t, n, d.ph(1), k, d.ph(2), n)
	}
	ct := cfg.Checkpoints.table
	b.cpTouch = fmt.Sprintf("UPDATE %s SET updated_at = %s WHERE name = %s", ct, d.ph(1), d.ph(2))
	b.cpSave = fmt.Sprintf("UPDATE %s SET last_key = %s, done = done + %s, updated_at = %s WHERE name = %s", ct, d.ph(1), d.ph(2), d.ph(3), d.ph(4))
	b.cpFinish = fmt.Sprintf("UPDATE %s SET finished = 1, updated_at = %s WHERE name = %s", ct, d.ph(1), d.ph(2))
	b.q = fmt.Sprintf("SELECT COUNT(*) FROM %s", t)
	return b, nil
}

// Run backfills from the stored checkpoint to the end of the table, or until ctx is done or a
// batch fails for good. A finished backfill returns at once; reset its checkpoint to run it again.
// The returned progress is accurate even with an error.
func (b *Backfill) Run(ctx context.Context) (Progress, error) {
	cfg := b.cfg
	cp := cfg.Checkpoints
	if err := cp.ensure(ctx, cfg.Name); err != nil {
		return Progress{Name: cfg.Name}, fmt.Errorf("dualwrite: backfill %s: checkpoint: %w", cfg.Name, err)
	}
	state, _, err := cp.Get(ctx, cfg.Name)
	if err != nil {
		return Progress{Name: cfg.Name}, err
	}
	p := Progress{Name: cfg.Name, Done: state.Done, Finished: state.Finished}
	if state.Finished {
		return p, nil
	}
	if err := cfg.DB.QueryRowContext(ctx, b.q).Scan(&p.Total); err != nil {
		return p, fmt.Errorf("dualwrite: backfill %s: count: %w", cfg.Name, err)
	}
	b.stmts = map[string]*sql.Stmt{}
	defer func() {
		for _, st := range b.stmts {
			_ = st.Close()
		}
		b.stmts = nil
	}()
	start := time.Now()
	lastLog := start
	startDone := state.Done
	last := state.LastKey
	cfg.Logger.InfoContext(ctx, "dualwrite: backfill start", "name", cfg.Name, "done", p.Done, "total", p.Total)
	for {
		if err := b.pause(ctx); err != nil {
			return p, err
		}
		var walked, updated int64
		var next any
		err := b.retry(ctx, func() (err error) {
			walked, updated, next, err = b.batch(ctx, last)
			return err
		})
		if err != nil {
			return p, fmt.Errorf("dualwrite: backfill %s after key %v: %w", cfg.Name, last, err)
		}
		if walked > 0 {
			last = next
		}
		p.Done += walked
		p.Updated += updated
		p.Elapsed = time.Since(start)
		if secs := p.Elapsed.Seconds(); secs > 0 {
			p.Rate = float64(p.Done-startDone) / secs
		}
		if p.Rate > 0 && p.Total > p.Done {
			p.ETA = time.Duration(float64(p.Total-p.Done) / p.Rate * float64(time.Second))
		} else {
			p.ETA = 0
		}
		if walked < int64(cfg.BatchSize) {
			if _, err := cfg.DB.ExecContext(ctx, b.cpFinish, time.Now().UnixMilli(), cfg.Name); err != nil {
				return p, fmt.Errorf("dualwrite: backfill %s: finish: %w", cfg.Name, err)
			}
			p.Finished, p.ETA = true, 0
			if cfg.Progress != nil {
				cfg.Progress(p)
			}
			cfg.Logger.InfoContext(ctx, "dualwrite: backfill finished", "name", cfg.Name, "done", p.Done, "updated", p.Updated, "rate", int64(p.Rate), "elapsed", p.Elapsed)
			return p, nil
		}
		if cfg.Progress != nil {
			cfg.Progress(p)
		}
		if now := time.Now(); now.Sub(lastLog) >= cfg.LogEvery {
			lastLog = now
			cfg.Logger.InfoContext(ctx, "dualwrite: backfill progress", "name", cfg.Name, "done", p.Done, "total", p.Total, "rate", int64(p.Rate), "eta", p.ETA)
		}
		wait := cfg.Delay
		if cfg.RowsPerSecond > 0 {
			ahead := time.Duration(float64(p.Done-startDone)/cfg.RowsPerSecond*float64(time.Second)) - time.Since(start)
			wait = max(wait, ahead)
		}
		if err := sleep(ctx, wait); err != nil {
			return p, err
		}
	}
}

// stmt returns query prepared once per run and bound to tx, so SQL is parsed once, not per batch.
func (b *Backfill) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, ok := b.stmts[query]
	if !ok {
		var err error
		if st, err = b.cfg.DB.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		b.stmts[query] = st
	}
	return tx.StmtContext(ctx, st), nil
}

func (b *Backfill) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := b.stmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (b *Backfill) pause(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if b.cfg.Pause == nil {
		return nil
	}
	for {
		d, err := b.cfg.Pause(ctx)
		if err != nil {
			return fmt.Errorf("dualwrite: backfill %s: paused: %w", b.cfg.Name, err)
		}
		if d <= 0 {
			return nil
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (b *Backfill) retry(ctx context.Context, f func() error) error {
	wait := b.cfg.RetryBackoff
	for attempt := 0; ; attempt++ {
		err := f()
		if err == nil || !retryable(err) || attempt >= b.cfg.MaxRetries || ctx.Err() != nil {
			return err
		}
		b.cfg.Logger.WarnContext(ctx, "dualwrite: backfill batch retry", "name", b.cfg.Name, "attempt", attempt+1, "err", err)
		if err := sleep(ctx, wait); err != nil {
			return err
		}
		wait *= 2
	}
}

// batch does one batch after key last (nil: from the start) in one transaction with its checkpoint.
func (b *Backfill) batch(ctx context.Context, last any) (walked, updated int64, next any, err error) {
	cfg := b.cfg
	tx, err := cfg.DB.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, nil, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	// Write first: on SQLite this takes the write lock before any read, so the transaction never
	// needs a lock upgrade that could fail with SQLITE_BUSY.
	if _, err = b.exec(ctx, tx, b.cpTouch, time.Now().UnixMilli(), cfg.Name); err != nil {
		return 0, 0, nil, err
	}
	if cfg.SQL != "" {
		walked, updated, next, err = b.sqlBatch(ctx, tx, last)
	} else {
		walked, updated, next, err = b.goBatch(ctx, tx, last)
	}
	if err != nil || walked == 0 {
		if err == nil {
			err = tx.Commit()
		}
		return walked, updated, next, err
	}
	key, err := encodeKey(next)
	if err != nil {
		return 0, 0, nil, err
	}
	if _, err = b.exec(ctx, tx, b.cpSave, key, walked, time.Now().UnixMilli(), cfg.Name); err != nil {
		return 0, 0, nil, err
	}
	if err = tx.Commit(); err != nil {
		return 0, 0, nil, err
	}
	return walked, updated, next, nil
}

func (b *Backfill) sqlBatch(ctx context.Context, tx *sql.Tx, last any) (walked, updated int64, next any, err error) {
	var row *sql.Row
	if last == nil {
		st, err := b.stmt(ctx, tx, b.qFirst)
		if err != nil {
			return 0, 0, nil, err
		}
		row = st.QueryRowContext(ctx, b.cfg.BatchSize)
	} else {
		st, err := b.stmt(ctx, tx, b.qAfter)
		if err != nil {
			return 0, 0, nil, err
		}
		row = st.QueryRowContext(ctx, last, b.cfg.BatchSize)
	}
	if err = row.Scan(&next, &walked); err != nil || walked == 0 {
		return 0, 0, nil, err
	}
	var res sql.Result
	if last == nil {
		res, err = b.exec(ctx, tx, b.uRangeFirst, next)
	} else {
		res, err = b.exec(ctx, tx, b.uRange, last, next)
	}
	if err != nil {
		return 0, 0, nil, err
	}
	updated, err = res.RowsAffected()
	return walked, updated, next, err
}

type backfillRow struct {
	key, old any
	unset    int
}

func (b *Backfill) goBatch(ctx context.Context, tx *sql.Tx, last any) (walked, updated int64, next any, err error) {
	var rows *sql.Rows
	q, args := b.qAfter, []any{last, b.cfg.BatchSize}
	if last == nil {
		q, args = b.qFirst, []any{b.cfg.BatchSize}
	}
	st, err := b.stmt(ctx, tx, q)
	if err != nil {
		return 0, 0, nil, err
	}
	rows, err = st.QueryContext(ctx, args...)
	if err != nil {
		return 0, 0, nil, err
	}
	batch := make([]backfillRow, 0, b.cfg.BatchSize)
	for rows.Next() {
		var r backfillRow
		if err = rows.Scan(&r.key, &r.old, &r.unset); err != nil {
			rows.Close()
			return 0, 0, nil, err
		}
		batch = append(batch, r)
	}
	rows.Close()
	if err = rows.Err(); err != nil || len(batch) == 0 {
		return 0, 0, nil, err
	}
	var upd *sql.Stmt
	for _, r := range batch {
		if r.unset != 1 || r.old == nil {
			continue
		}
		v, cerr := b.cfg.Convert(r.old)
		if cerr != nil {
			return 0, 0, nil, &ConvertError{Key: fmt.Sprint(r.key), Value: fmt.Sprint(r.old), Err: cerr}
		}
		if v == nil {
			continue
		}
		if upd == nil {
			if upd, err = b.stmt(ctx, tx, b.uOne); err != nil {
				return 0, 0, nil, err
			}
		}
		res, err := upd.ExecContext(ctx, v, r.key)
		if err != nil {
			return 0, 0, nil, err
		}
		n, _ := res.RowsAffected()
		updated += n
	}
	return int64(len(batch)), updated, batch[len(batch)-1].key, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
