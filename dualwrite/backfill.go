package dualwrite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
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
// the new column being NULL, in the same statement. A value is never stale either: the SQL
// expression reads the old column in the statement that writes, and a Go conversion is written
// only where the old column still holds the value it converted, so a writer that changed the row
// meanwhile (also in phase off, which sets the new column to NULL) keeps its value.
//
// Several runners (goroutines or processes) may run the same backfill at once: a batch advances the
// checkpoint only from the position its runner last saw, so every batch is done and counted by
// exactly one runner and the others go on from where it got. Run may be called concurrently.
type Backfill struct {
	cfg BackfillConfig
	// SQL built once by NewBackfill.
	advFirst, adv            string // move the checkpoint over the next batch (from the start, after a key)
	uRangeFirst, uRange      string // SQL mode: update the batch's rows
	qRowsFirst, qRows        string // Go mode: the batch's rows to convert
	uOne                     string // Go mode on dialects without UPDATE … FROM: update one row
	qFirstKey, qTypes        string
	cpRead, cpFinish, qCount string
	cpMove                   string // MySQL: move the checkpoint to a batch's end, if at the expected position
}

// position is where a backfill stands, as its checkpoint stores it.
type position struct {
	last any   // the last key done; nil before the first batch
	done int64 // rows walked so far
}

// maxValuesRows caps the rows of one UPDATE … FROM (VALUES …) statement, so it stays within every
// database's limit on bound parameters.
const maxValuesRows = 1024

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
	ct := cfg.Checkpoints.table
	b := &Backfill{cfg: cfg}
	b.advFirst = advanceSQL(d, ct, t, k, false)
	b.adv = advanceSQL(d, ct, t, k, true)
	// Bounds are ph(1) (the last key done, exclusive) and ph(2) or ph(1) (the batch's last key).
	rangeFirst := fmt.Sprintf("%s <= %s AND %s IS NULL AND %s IS NOT NULL", k, d.ph(1), n, o)
	rangeAfter := fmt.Sprintf("%s > %s AND %s <= %s AND %s IS NULL AND %s IS NOT NULL", k, d.ph(1), k, d.ph(2), n, o)
	if cfg.SQL != "" {
		set := fmt.Sprintf("UPDATE %s SET %s = (%s) WHERE ", t, n, cfg.SQL)
		b.uRangeFirst, b.uRange = set+rangeFirst, set+rangeAfter
	} else {
		sel := fmt.Sprintf("SELECT %s, %s FROM %s WHERE ", k, o, t)
		b.qRowsFirst = sel + rangeFirst + " ORDER BY " + k
		b.qRows = sel + rangeAfter + " ORDER BY " + k
		b.uOne = fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s = %s AND %s IS NULL AND %s = %s", t, n, d.ph(1), k, d.ph(2), n, o, d.ph(3))
	}
	b.qFirstKey = fmt.Sprintf("SELECT %s FROM %s ORDER BY %s LIMIT 1", k, t, k)
	b.qTypes = "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = CAST($1 AS regclass) AND attname = $2 AND NOT attisdropped"
	b.cpMove = fmt.Sprintf("UPDATE %s SET last_key = ?, done = done + ?, updated_at = ? WHERE name = ? AND COALESCE(last_key, '') = ? AND done = ?", ct)
	b.cpRead = fmt.Sprintf("SELECT last_key, done FROM %s WHERE name = %s", ct, d.ph(1))
	b.cpFinish = fmt.Sprintf("UPDATE %s SET finished = 1, updated_at = %s WHERE name = %s", ct, d.ph(1), d.ph(2))
	b.qCount = fmt.Sprintf("SELECT COUNT(*) FROM %s", t)
	return b, nil
}

// advanceSQL returns the statement that moves checkpoint table ct over the next batch of table t
// (after a key, or from the start): last_key to the batch's last key, encoded as encodeKey does
// with the kind prefix as an argument, and done up by the batch's rows, only if the checkpoint is
// still at the expected position. It is a batch's first statement and its lock: it takes SQLite's
// write lock, so the transaction never needs a lock upgrade that could fail with SQLITE_BUSY, and
// the checkpoint row's lock elsewhere, which a second runner waits for and then finds the position
// moved. On SQLite and PostgreSQL it returns the new last_key and done. See advance for its
// arguments.
func advanceSQL(d Dialect, ct, t, k string, after bool) string {
	i := 0
	ph := func() string { i++; return d.ph(i) }
	if !d.updateFrom() {
		// MySQL: the batch's end by a plain read, then the checkpoint moves by cpMove. A read inside
		// an UPDATE would lock the table's rows in share mode, and a later write of one of them in
		// the batch would deadlock with a writer waiting for it.
		return fmt.Sprintf("SELECT CAST(MAX(%s) AS CHAR), COUNT(*) FROM (%s) q", k, batchKeys(t, k, after, ph, ph))
	}
	prefix, size := ph(), ph()
	// The batch is the next size keys after the last one (keyset pagination). The last key of a
	// full batch is found by stepping through them with OFFSET, several times cheaper on SQLite
	// than aggregating them; only a short batch at the end of the table needs MAX and COUNT.
	full := batchKeys(t, k, after, ph, func() string { return "1 OFFSET " + ph() })
	short := batchKeys(t, k, after, ph, ph)
	return fmt.Sprintf("UPDATE %s SET (last_key, done) = (SELECT CASE WHEN b.n > 0 THEN %s ELSE %s.last_key END, %s.done + b.n"+
		" FROM (SELECT %s AS hi, CAST(%s AS BIGINT) AS n FROM (%s) f UNION ALL SELECT MAX(%s), COUNT(*) FROM (%s) q LIMIT 1) b),"+
		" updated_at = %s WHERE name = %s AND COALESCE(last_key, '') = %s AND done = %s RETURNING last_key, done",
		ct, d.concat(prefix, "CAST(b.hi AS TEXT)"), ct, ct, k, size, full, k, short, ph(), ph(), ph(), ph())
}

// batchKeys returns the query for the keys of a batch, in order, limited by limit; ph numbers
// the placeholders in the order they appear.
func batchKeys(t, k string, after bool, ph func() string, limit func() string) string {
	where := ""
	if after {
		where = fmt.Sprintf(" WHERE %s > %s", k, ph())
	}
	return fmt.Sprintf("SELECT %s FROM %s%s ORDER BY %s LIMIT %s", k, t, where, k, limit())
}

// Run backfills from the stored checkpoint to the end of the table, or until ctx is done or a
// batch fails for good. A finished backfill returns at once; reset its checkpoint to run it again.
// The returned progress is accurate even with an error.
func (b *Backfill) Run(ctx context.Context) (Progress, error) {
	cfg := b.cfg
	p := Progress{Name: cfg.Name}
	state, err := b.load(ctx)
	if err != nil {
		return p, err
	}
	p.Done, p.Finished = state.Done, state.Finished
	if state.Finished {
		return p, nil
	}
	if err := cfg.DB.QueryRowContext(ctx, b.qCount).Scan(&p.Total); err != nil {
		return p, fmt.Errorf("dualwrite: backfill %s: count: %w", cfg.Name, err)
	}
	r := &backfillRun{Backfill: b, stmts: map[string]*sql.Stmt{}, updates: map[int]string{}}
	defer r.close()
	if cfg.Convert != nil && cfg.Dialect == Postgres {
		if err := r.columnTypes(ctx); err != nil {
			return p, fmt.Errorf("dualwrite: backfill %s: column types: %w", cfg.Name, err)
		}
	}
	start := time.Now()
	lastLog := start
	var walkedRun int64 // rows this run walked, for the rate and the throttle
	pos := position{last: state.LastKey, done: state.Done}
	cfg.Logger.InfoContext(ctx, "dualwrite: backfill start", "name", cfg.Name, "done", p.Done, "total", p.Total)
	for {
		if err := b.pause(ctx); err != nil {
			return p, err
		}
		var (
			walked, updated int64
			next            position
			moved           bool
		)
		err := b.retry(ctx, func() (err error) {
			walked, updated, next, moved, err = r.batch(ctx, pos)
			return err
		})
		if err != nil {
			return p, fmt.Errorf("dualwrite: backfill %s after key %v: %w", cfg.Name, pos.last, err)
		}
		if moved {
			// Another runner did this batch: go on from where it got.
			if state, err = b.load(ctx); err != nil {
				return p, err
			}
			pos = position{last: state.LastKey, done: state.Done}
			p.Done = state.Done
			if state.Finished {
				return b.finished(ctx, p, start, walkedRun), nil
			}
			continue
		}
		pos = next
		walkedRun += walked
		p.Done += walked
		p.Updated += updated
		p = progressAt(p, start, walkedRun)
		if walked < int64(cfg.BatchSize) {
			if _, err := cfg.DB.ExecContext(ctx, b.cpFinish, time.Now().UnixMilli(), cfg.Name); err != nil {
				return p, fmt.Errorf("dualwrite: backfill %s: finish: %w", cfg.Name, err)
			}
			return b.finished(ctx, p, start, walkedRun), nil
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
			ahead := time.Duration(float64(walkedRun)/cfg.RowsPerSecond*float64(time.Second)) - time.Since(start)
			wait = max(wait, ahead)
		}
		if err := sleep(ctx, wait); err != nil {
			return p, err
		}
	}
}

// load creates the checkpoint if there is none and returns it.
func (b *Backfill) load(ctx context.Context) (Checkpoint, error) {
	name := b.cfg.Name
	if err := b.cfg.Checkpoints.ensure(ctx, name); err != nil {
		return Checkpoint{Name: name}, fmt.Errorf("dualwrite: backfill %s: checkpoint: %w", name, err)
	}
	state, _, err := b.cfg.Checkpoints.Get(ctx, name)
	return state, err
}

// progressAt fills in p's elapsed time, rate and ETA after walked rows in the run started at start.
func progressAt(p Progress, start time.Time, walked int64) Progress {
	p.Elapsed = time.Since(start)
	if secs := p.Elapsed.Seconds(); secs > 0 {
		p.Rate = float64(walked) / secs
	}
	p.ETA = 0
	if p.Rate > 0 && p.Total > p.Done {
		p.ETA = time.Duration(float64(p.Total-p.Done) / p.Rate * float64(time.Second))
	}
	return p
}

// finished reports the end of a run whose checkpoint is finished.
func (b *Backfill) finished(ctx context.Context, p Progress, start time.Time, walked int64) Progress {
	p = progressAt(p, start, walked)
	p.Finished, p.ETA = true, 0
	if b.cfg.Progress != nil {
		b.cfg.Progress(p)
	}
	b.cfg.Logger.InfoContext(ctx, "dualwrite: backfill finished", "name", b.cfg.Name, "done", p.Done, "updated", p.Updated, "rate", int64(p.Rate), "elapsed", p.Elapsed)
	return p
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

// backfillRun is the state of one Run; only Run's goroutine uses it.
type backfillRun struct {
	*Backfill
	stmts   map[string]*sql.Stmt // prepared once per run, so SQL is parsed once, not per batch
	updates map[int]string       // Go mode: UPDATE … FROM (VALUES …) by number of rows
	prefix  string               // the kind of the table's keys as encodeKey writes it; "" until known
	types   [3]string            // Go mode on PostgreSQL: the key, new and old columns' types
}

func (r *backfillRun) close() {
	for _, st := range r.stmts {
		_ = st.Close()
	}
}

// stmt returns query prepared once per run and bound to tx.
func (r *backfillRun) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, ok := r.stmts[query]
	if !ok {
		var err error
		if st, err = r.cfg.DB.PrepareContext(ctx, query); err != nil {
			return nil, err
		}
		r.stmts[query] = st
	}
	return tx.StmtContext(ctx, st), nil
}

func (r *backfillRun) exec(ctx context.Context, tx *sql.Tx, query string, args ...any) (sql.Result, error) {
	st, err := r.stmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// columnTypes looks up the PostgreSQL types of the key, new and old columns: VALUES lists need them.
func (r *backfillRun) columnTypes(ctx context.Context) error {
	for i, col := range []string{r.cfg.KeyColumn, r.cfg.NewColumn, r.cfg.OldColumn} {
		if err := r.cfg.DB.QueryRowContext(ctx, r.qTypes, r.cfg.Table, strings.ToLower(col)).Scan(&r.types[i]); err != nil {
			return fmt.Errorf("%s.%s: %w", r.cfg.Table, col, err)
		}
	}
	return nil
}

// batch does the batch after pos in one transaction with its checkpoint and returns the new
// position. moved reports that the checkpoint was no longer at pos (another runner advanced it);
// then nothing was written.
func (r *backfillRun) batch(ctx context.Context, pos position) (walked, updated int64, next position, moved bool, err error) {
	if r.prefix == "" {
		if r.prefix, err = r.keyPrefix(ctx, pos.last); err != nil || r.prefix == "" {
			return 0, 0, pos, false, err // an error, or an empty table
		}
	}
	tx, err := r.cfg.DB.BeginTx(ctx, r.cfg.Dialect.txOptions())
	if err != nil {
		return 0, 0, pos, false, err
	}
	defer func() {
		if err != nil || moved {
			_ = tx.Rollback()
		}
	}()
	next, ok, err := r.advance(ctx, tx, pos)
	if err != nil || !ok {
		return 0, 0, pos, !ok && err == nil, err
	}
	if walked = next.done - pos.done; walked > 0 {
		if r.cfg.SQL != "" {
			updated, err = r.sqlWrite(ctx, tx, pos.last, next.last)
		} else {
			updated, err = r.goWrite(ctx, tx, pos.last, next.last)
		}
		if err != nil {
			return 0, 0, pos, false, err
		}
	}
	if err = tx.Commit(); err != nil {
		return 0, 0, pos, false, err
	}
	return walked, updated, next, false, nil
}

// keyPrefix returns the kind prefix of the table's keys, from last or else from the first key;
// "" for an empty table.
func (r *backfillRun) keyPrefix(ctx context.Context, last any) (string, error) {
	if last == nil {
		err := r.cfg.DB.QueryRowContext(ctx, r.qFirstKey).Scan(&last)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
	}
	s, err := encodeKey(last)
	if err != nil {
		return "", err
	}
	return s[:2], nil
}

// advance moves the checkpoint from pos over the next batch (see advanceSQL); ok is false when
// the checkpoint was not at pos. The statement's arguments are the key kind prefix, the last key
// (unless first), the batch size, now, the name, the expected stored key (” for none) and done;
// MySQL's (see advanceMySQL) takes the last key and the batch size.
func (r *backfillRun) advance(ctx context.Context, tx *sql.Tx, pos position) (next position, ok bool, err error) {
	cfg := r.cfg
	var want string // the stored key expected; '' for none
	q, last := r.advFirst, []any(nil)
	if pos.last != nil {
		if want, err = encodeKey(pos.last); err != nil {
			return pos, false, err
		}
		q, last = r.adv, []any{pos.last}
	}
	size := int64(cfg.BatchSize)
	rest := []any{time.Now().UnixMilli(), cfg.Name, want, pos.done}
	st, err := r.stmt(ctx, tx, q)
	if err != nil {
		return pos, false, err
	}
	if !cfg.Dialect.updateFrom() {
		return r.advanceMySQL(ctx, tx, st, pos, want, slices.Concat(last, []any{size}))
	}
	var key sql.NullString
	err = st.QueryRowContext(ctx, slices.Concat([]any{r.prefix, size}, last, []any{size - 1}, last, []any{size}, rest)...).Scan(&key, &next.done)
	if errors.Is(err, sql.ErrNoRows) {
		return pos, false, nil
	}
	if err != nil {
		return pos, false, err
	}
	if key.Valid {
		if next.last, err = decodeKey(key.String); err != nil {
			return pos, false, err
		}
	}
	return next, true, nil
}

// advanceMySQL is advance on MySQL: st reads the end and the size of the batch after pos (a
// consistent read, no locks), then the checkpoint moves there only if it still stands at pos. The
// move changes done, so a row it matched is a row it changed whatever the connection's
// clientFoundRows setting; the checkpoint row's lock orders concurrent runners.
func (r *backfillRun) advanceMySQL(ctx context.Context, tx *sql.Tx, st *sql.Stmt, pos position, want string, args []any) (next position, ok bool, err error) {
	var (
		hi sql.NullString
		n  int64
	)
	if err := st.QueryRowContext(ctx, args...).Scan(&hi, &n); err != nil {
		return pos, false, err
	}
	if n == 0 || !hi.Valid {
		// The end of the table: the checkpoint must still stand at pos.
		cp, err := r.stmt(ctx, tx, r.cpRead)
		if err != nil {
			return pos, false, err
		}
		var key sql.NullString
		var done int64
		if err := cp.QueryRowContext(ctx, r.cfg.Name).Scan(&key, &done); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return pos, false, nil
			}
			return pos, false, err
		}
		return pos, key.String == want && done == pos.done, nil
	}
	enc := r.prefix + hi.String
	if next.last, err = decodeKey(enc); err != nil {
		return pos, false, err
	}
	next.done = pos.done + n
	mv, err := r.stmt(ctx, tx, r.cpMove)
	if err != nil {
		return pos, false, err
	}
	res, err := mv.ExecContext(ctx, enc, n, time.Now().UnixMilli(), r.cfg.Name, want, pos.done)
	if err != nil {
		return pos, false, err
	}
	moved, err := res.RowsAffected()
	if err != nil {
		return pos, false, err
	}
	return next, moved == 1, nil
}

// sqlWrite converts the unset rows in (last, hi] with the SQL expression.
func (r *backfillRun) sqlWrite(ctx context.Context, tx *sql.Tx, last, hi any) (int64, error) {
	var (
		res sql.Result
		err error
	)
	if last == nil {
		res, err = r.exec(ctx, tx, r.uRangeFirst, hi)
	} else {
		res, err = r.exec(ctx, tx, r.uRange, last, hi)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// goWrite converts the unset rows in (last, hi] in Go: one read, then one UPDATE … FROM (VALUES …)
// per up to maxValuesRows rows.
func (r *backfillRun) goWrite(ctx context.Context, tx *sql.Tx, last, hi any) (int64, error) {
	q, args := r.qRows, []any{last, hi}
	if last == nil {
		q, args = r.qRowsFirst, []any{hi}
	}
	st, err := r.stmt(ctx, tx, q)
	if err != nil {
		return 0, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	// key, new value[, old value], …: see width.
	var kv []any
	for rows.Next() {
		var key, old any
		if err := rows.Scan(&key, &old); err != nil {
			return 0, err
		}
		v, err := r.cfg.Convert(old)
		if err != nil {
			if ce := (*ConvertError)(nil); errors.As(err, &ce) && ce.Key == "" {
				ce.Key = fmt.Sprint(key) // Columns.Convert's error: add the row's key, do not wrap twice
				return 0, ce
			}
			return 0, &ConvertError{Key: fmt.Sprint(key), Value: fmt.Sprint(old), Err: err}
		}
		if v != nil {
			kv = append(kv, key, v)
			if r.width() == 3 {
				kv = append(kv, old)
			}
		}
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	return r.writeMany(ctx, tx, kv)
}

// width is the number of values per row in a Go-mode write: the key, the new value and the old
// value it was converted from. The write is conditional on the old value too, so that a row a
// writer changed since the batch read it (in phase off, which sets the new column to NULL) keeps
// the writer's value. SQLite leaves the old value out: the batch's first statement took the
// database's write lock, so no writer can change a row between the read and the write.
func (r *backfillRun) width() int {
	if r.cfg.Dialect == SQLite {
		return 2
	}
	return 3
}

// writeMany writes kv's rows (see width) where the new column is still NULL and the old column
// still holds the value converted. A statement's rows are padded with NULL rows, which match
// nothing, to a power of two, so a run prepares at most a few distinct statements.
func (r *backfillRun) writeMany(ctx context.Context, tx *sql.Tx, kv []any) (updated int64, err error) {
	if !r.cfg.Dialect.updateFrom() {
		for i := 0; i < len(kv); i += 3 {
			res, err := r.exec(ctx, tx, r.uOne, kv[i+1], kv[i], kv[i+2])
			if err != nil {
				return updated, err
			}
			n, _ := res.RowsAffected()
			updated += n
		}
		return updated, nil
	}
	var args []any
	w := r.width()
	for len(kv) > 0 {
		n := min(len(kv)/w, maxValuesRows)
		size := 1
		for size < n {
			size *= 2
		}
		args = append(args[:0], kv[:w*n]...)
		args = append(args, make([]any, w*(size-n))...)
		kv = kv[w*n:]
		res, err := r.exec(ctx, tx, r.updateValues(size), args...)
		if err != nil {
			return updated, err
		}
		m, _ := res.RowsAffected()
		updated += m
	}
	return updated, nil
}

// updateValues returns the UPDATE … FROM (VALUES …) statement for rows of width values.
func (r *backfillRun) updateValues(rows int) string {
	if q, ok := r.updates[rows]; ok {
		return q
	}
	d, t, k, n, o := r.cfg.Dialect, r.cfg.Table, r.cfg.KeyColumn, r.cfg.NewColumn, r.cfg.OldColumn
	var sb strings.Builder
	fmt.Fprintf(&sb, "UPDATE %s SET %s = v.column2 FROM (VALUES ", t, n)
	for i := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		if i == 0 && d == Postgres {
			// The first row's types are the columns' types; PostgreSQL infers the rest from them.
			fmt.Fprintf(&sb, "(CAST(%s AS %s), CAST(%s AS %s), CAST(%s AS %s))", d.ph(1), r.types[0], d.ph(2), r.types[1], d.ph(3), r.types[2])
			continue
		}
		if r.width() == 2 {
			fmt.Fprintf(&sb, "(%s, %s)", d.ph(2*i+1), d.ph(2*i+2))
			continue
		}
		fmt.Fprintf(&sb, "(%s, %s, %s)", d.ph(3*i+1), d.ph(3*i+2), d.ph(3*i+3))
	}
	fmt.Fprintf(&sb, ") AS v WHERE %s.%s = v.column1 AND %s.%s IS NULL", t, k, t, n)
	if r.width() == 3 {
		fmt.Fprintf(&sb, " AND %s.%s = v.column3", t, o)
	}
	q := sb.String()
	r.updates[rows] = q
	return q
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
