package guard

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/graykit/graykit/gray"
)

// Dialect is the SQL flavour of the database behind a [SQLStore].
type Dialect uint8

// The supported dialects.
const (
	// SQLite, e.g. modernc.org/sqlite (driver "sqlite"). Several processes
	// may share one file; give the DSN a busy timeout, e.g.
	// "file:guard.db?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)".
	SQLite Dialect = iota + 1
	// Postgres, e.g. github.com/jackc/pgx/v5/stdlib (driver "pgx").
	Postgres
	// MySQL 8.0+ or MariaDB 10.6+, e.g. github.com/go-sql-driver/mysql (driver "mysql"). Rollout,
	// replica and variant names are stored as VARCHAR(191) (indexable in utf8mb4), so they must
	// not be longer.
	MySQL
)

// String returns "sqlite", "postgres" or "mysql".
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	case MySQL:
		return "mysql"
	}
	return "dialect(" + strconv.Itoa(int(d)) + ")"
}

// SQLTables names the tables of a [SQLStore]. Empty names mean the
// defaults: graykit_guard_state, graykit_guard_windows, graykit_guard_audit.
// A name may be schema-qualified ("ops.guard_state").
type SQLTables struct {
	State   string
	Windows string
	Audit   string
	// Subjects holds the subject overrides ([SubjectStore]). Empty means
	// State's name with "_subjects" in place of a final "_state" (else
	// appended): graykit_guard_subjects by default.
	Subjects string
}

// ErrBadTableName is returned by [NewSQLStore] for a table name that is not
// a plain (optionally schema-qualified) SQL identifier.
var ErrBadTableName = errors.New("guard: bad table name")

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$`)

// SQLStore is a [Store] on database/sql, for SQLite, PostgreSQL and MySQL, shared
// by every replica that opens the same database. State changes are
// compare-and-swap updates in one transaction with their audit entry.
// Create the tables once with [SQLStore.CreateTables].
type SQLStore struct {
	db      *sql.DB
	d       Dialect
	t       SQLTables
	qUpdate string
	qInsert string
	qAudit  string
	qWindow string
}

var _ Store = (*SQLStore)(nil)

// NewSQLStore returns a store on db in the given dialect with the given
// table names. It does not touch the database.
func NewSQLStore(db *sql.DB, d Dialect, tables SQLTables) (*SQLStore, error) {
	if db == nil {
		return nil, errors.New("guard: nil *sql.DB")
	}
	if d != SQLite && d != Postgres && d != MySQL {
		return nil, fmt.Errorf("guard: unsupported dialect %v", d)
	}
	if tables.State == "" {
		tables.State = "graykit_guard_state"
	}
	if tables.Windows == "" {
		tables.Windows = "graykit_guard_windows"
	}
	if tables.Audit == "" {
		tables.Audit = "graykit_guard_audit"
	}
	tables.Subjects = subjectsTable(tables)
	for _, n := range []string{tables.State, tables.Windows, tables.Audit, tables.Subjects} {
		if !identRE.MatchString(n) {
			return nil, fmt.Errorf("%w: %q", ErrBadTableName, n)
		}
	}
	s := &SQLStore{db: db, d: d, t: tables}
	s.qUpdate = "UPDATE " + tables.State + " SET version = " + s.ph(1) + ", phase = " + s.ph(2) + ", step = " + s.ph(3) +
		", share = " + s.ph(4) + ", started = " + s.ph(5) + ", step_started = " + s.ph(6) + ", last = " + s.ph(7) +
		" WHERE rollout = " + s.ph(8) + " AND version = " + s.ph(9)
	s.qInsert = "INSERT INTO " + tables.State + " (version, phase, step, share, started, step_started, last, rollout) VALUES (" +
		s.phs(1, 8) + ") ON CONFLICT (rollout) DO NOTHING"
	s.qAudit = "INSERT INTO " + tables.Audit + " (rollout, version, at, body) VALUES (" + s.phs(1, 4) + ")"
	s.qWindow = "INSERT INTO " + tables.Windows + " (rollout, replica, variant, start, requests, errors, latency, metrics) VALUES (" +
		s.phs(1, 8) + ") ON CONFLICT (rollout, replica, variant, start) DO UPDATE SET requests = excluded.requests, errors = excluded.errors, latency = excluded.latency, metrics = excluded.metrics"
	if d == MySQL {
		// INSERT IGNORE affects 0 rows on a duplicate whatever the connection's clientFoundRows,
		// where ON DUPLICATE KEY UPDATE rollout = rollout would count a found row as 1.
		// VALUES(col) is understood by MySQL 8 (deprecated there in favour of a row alias that
		// MariaDB lacks) and MariaDB.
		s.qInsert = "INSERT IGNORE INTO " + tables.State + " (version, phase, step, share, started, step_started, last, rollout) VALUES (" +
			s.phs(1, 8) + ")"
		s.qWindow = "INSERT INTO " + tables.Windows + " (rollout, replica, variant, start, requests, errors, latency, metrics) VALUES (" +
			s.phs(1, 8) + ") ON DUPLICATE KEY UPDATE requests = VALUES(requests), errors = VALUES(errors), latency = VALUES(latency), metrics = VALUES(metrics)"
	}
	return s, nil
}

func (s *SQLStore) ph(n int) string {
	if s.d == Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

func (s *SQLStore) phs(from, to int) string {
	parts := make([]string, 0, to-from+1)
	for i := from; i <= to; i++ {
		parts = append(parts, s.ph(i))
	}
	return strings.Join(parts, ", ")
}

// CreateTables creates the store's tables and index if they do not exist.
func (s *SQLStore) CreateTables(ctx context.Context) error {
	seq, name, metrics := "seq INTEGER PRIMARY KEY AUTOINCREMENT", "TEXT", "metrics TEXT NOT NULL DEFAULT ''"
	switch s.d {
	case Postgres:
		seq = "seq BIGSERIAL PRIMARY KEY"
	case MySQL:
		// MySQL indexes no TEXT without a prefix length; 191 characters of utf8mb4 fit InnoDB's
		// key limit even three to a key.
		seq, name = "seq BIGINT AUTO_INCREMENT PRIMARY KEY", "VARCHAR(191)"
		// MySQL 8 allows no literal default on a TEXT column; every write gives metrics, and
		// ADD COLUMN fills existing rows with '' anyway.
		metrics = "metrics TEXT NOT NULL"
	}
	// An index name takes no schema: PostgreSQL puts it in the table's.
	idx := s.t.Audit
	if i := strings.IndexByte(idx, '.'); i >= 0 {
		idx = idx[i+1:]
	}
	idx += "_rollout"
	// MySQL 8 has no CREATE INDEX IF NOT EXISTS: the index is part of the table there.
	inline := ""
	if s.d == MySQL {
		inline = ",\n\tINDEX " + idx + " (rollout, seq)"
	}
	stmts := []string{
		"CREATE TABLE IF NOT EXISTS " + s.t.State + ` (
	rollout ` + name + ` PRIMARY KEY,
	version BIGINT NOT NULL,
	phase TEXT NOT NULL,
	step INTEGER NOT NULL,
	share DOUBLE PRECISION NOT NULL,
	started BIGINT NOT NULL,
	step_started BIGINT NOT NULL,
	last TEXT NOT NULL)`,
		"CREATE TABLE IF NOT EXISTS " + s.t.Windows + ` (
	rollout ` + name + ` NOT NULL,
	replica ` + name + ` NOT NULL,
	variant ` + name + ` NOT NULL,
	start BIGINT NOT NULL,
	requests BIGINT NOT NULL,
	errors BIGINT NOT NULL,
	latency TEXT NOT NULL,
	` + metrics + `,
	PRIMARY KEY (rollout, replica, variant, start))`,
		"CREATE TABLE IF NOT EXISTS " + s.t.Audit + " (\n\t" + seq + `,
	rollout ` + name + ` NOT NULL,
	version BIGINT NOT NULL,
	at BIGINT NOT NULL,
	body TEXT NOT NULL` + inline + ")",
	}
	if s.d != MySQL {
		stmts = append(stmts, "CREATE INDEX IF NOT EXISTS "+idx+" ON "+s.t.Audit+" (rollout, seq)")
	}
	stmts = append(stmts, s.createSubjects())
	for _, q := range stmts {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("guard: create tables: %w", err)
		}
	}
	// Tables created before tracked metrics lack their column: add it.
	if rows, err := s.db.QueryContext(ctx, "SELECT metrics FROM "+s.t.Windows+" WHERE 1 = 0"); err == nil {
		return rows.Close()
	}
	if _, err := s.db.ExecContext(ctx, "ALTER TABLE "+s.t.Windows+" ADD COLUMN "+metrics); err != nil {
		return fmt.Errorf("guard: add the metrics column: %w", err)
	}
	return nil
}

const stateCols = "rollout, version, phase, step, share, started, step_started, last"

func scanState(sc interface{ Scan(...any) error }) (State, error) {
	var st State
	var phase, last string
	var started, stepStarted int64
	if err := sc.Scan(&st.Rollout, &st.Version, &phase, &st.Step, &st.Share, &started, &stepStarted, &last); err != nil {
		return State{}, err
	}
	st.Phase = Phase(phase)
	st.Started, st.StepStarted = fromNanos(started), fromNanos(stepStarted)
	if err := json.Unmarshal([]byte(last), &st.Last); err != nil {
		return State{}, fmt.Errorf("guard: state of %q: %w", st.Rollout, err)
	}
	return st, nil
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// Load implements [Store].
func (s *SQLStore) Load(ctx context.Context, rollout string) (State, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+stateCols+" FROM "+s.t.State+" WHERE rollout = "+s.ph(1), rollout)
	st, err := scanState(row)
	if errors.Is(err, sql.ErrNoRows) {
		return State{}, fmt.Errorf("%w for rollout %q", ErrNoState, rollout)
	}
	if err != nil {
		return State{}, fmt.Errorf("guard: load %q: %w", rollout, err)
	}
	return st, nil
}

// States implements [Store].
func (s *SQLStore) States(ctx context.Context) ([]State, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+stateCols+" FROM "+s.t.State+" ORDER BY rollout")
	if err != nil {
		return nil, fmt.Errorf("guard: states: %w", err)
	}
	defer rows.Close()
	var out []State
	for rows.Next() {
		st, err := scanState(rows)
		if err != nil {
			return nil, fmt.Errorf("guard: states: %w", err)
		}
		out = append(out, st)
	}
	return out, rows.Err()
}

// CompareAndSwap implements [Store].
func (s *SQLStore) CompareAndSwap(ctx context.Context, version int64, next State, t Transition) (_ State, err error) {
	next.Version, next.Last = version+1, t
	last, err := json.Marshal(t)
	if err != nil {
		return State{}, fmt.Errorf("guard: encode transition: %w", err)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return State{}, fmt.Errorf("guard: compare-and-swap %q: %w", next.Rollout, err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	args := []any{next.Version, string(next.Phase), next.Step, next.Share, next.Started.UnixNano(), next.StepStarted.UnixNano(), string(last), next.Rollout}
	var res sql.Result
	if version == 0 {
		res, err = tx.ExecContext(ctx, s.qInsert, args...)
	} else {
		res, err = tx.ExecContext(ctx, s.qUpdate, append(args, version)...)
	}
	if err != nil {
		return State{}, fmt.Errorf("guard: compare-and-swap %q: %w", next.Rollout, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return State{}, fmt.Errorf("guard: compare-and-swap %q: %w", next.Rollout, err)
	}
	if n != 1 {
		err = fmt.Errorf("%w: rollout %q is no longer at version %d", ErrConflict, next.Rollout, version)
		return State{}, err
	}
	if _, err = tx.ExecContext(ctx, s.qAudit, next.Rollout, next.Version, t.At.UnixNano(), string(last)); err != nil {
		return State{}, fmt.Errorf("guard: audit %q: %w", next.Rollout, err)
	}
	if err = tx.Commit(); err != nil {
		return State{}, fmt.Errorf("guard: compare-and-swap %q: %w", next.Rollout, err)
	}
	return next, nil
}

// Audit implements [Store].
func (s *SQLStore) Audit(ctx context.Context, rollout string, limit int) ([]AuditEntry, error) {
	q := "SELECT seq, rollout, version, body FROM " + s.t.Audit
	var args []any
	if rollout != "" {
		q += " WHERE rollout = " + s.ph(1)
		args = append(args, rollout)
	}
	q += " ORDER BY seq DESC"
	if limit > 0 {
		q += " LIMIT " + strconv.Itoa(limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("guard: audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var body string
		if err := rows.Scan(&e.Seq, &e.Rollout, &e.Version, &body); err != nil {
			return nil, fmt.Errorf("guard: audit: %w", err)
		}
		if err := json.Unmarshal([]byte(body), &e.Transition); err != nil {
			return nil, fmt.Errorf("guard: audit entry %d: %w", e.Seq, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// PutWindow implements [Store].
func (s *SQLStore) PutWindow(ctx context.Context, w Window) error {
	_, err := s.db.ExecContext(ctx, s.qWindow, w.Rollout, w.Replica, w.Variant, w.Start.UnixNano(),
		clampInt64(w.Requests), clampInt64(w.Errors), encodeHist(&w.Latency), encodeMetrics(w.Metrics))
	if err != nil {
		return fmt.Errorf("guard: put window: %w", err)
	}
	return nil
}

// Windows implements [Store].
func (s *SQLStore) Windows(ctx context.Context, rollout string, since time.Time) ([]Window, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT replica, variant, start, requests, errors, latency, metrics FROM "+s.t.Windows+
		" WHERE rollout = "+s.ph(1)+" AND start >= "+s.ph(2), rollout, since.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("guard: windows: %w", err)
	}
	defer rows.Close()
	var out []Window
	for rows.Next() {
		w := Window{Rollout: rollout}
		var start, req, errs int64
		var lat, metrics string
		if err := rows.Scan(&w.Replica, &w.Variant, &start, &req, &errs, &lat, &metrics); err != nil {
			return nil, fmt.Errorf("guard: windows: %w", err)
		}
		w.Start, w.Requests, w.Errors = fromNanos(start), uint64(max(req, 0)), uint64(max(errs, 0))
		if err := decodeHist(lat, &w.Latency); err != nil {
			return nil, fmt.Errorf("guard: windows: %w", err)
		}
		if metrics != "" {
			if err := json.Unmarshal([]byte(metrics), &w.Metrics); err != nil {
				return nil, fmt.Errorf("%w: window metrics: %v", ErrCorrupt, err)
			}
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// PruneWindows implements [Store].
func (s *SQLStore) PruneWindows(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, "DELETE FROM "+s.t.Windows+" WHERE start < "+s.ph(1), before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("guard: prune windows: %w", err)
	}
	return res.RowsAffected()
}

func clampInt64(u uint64) int64 {
	if u > 1<<63-1 {
		return 1<<63 - 1
	}
	return int64(u)
}

// encodeHist writes the non-zero buckets as "index:count" pairs.
func encodeHist(h *gray.HistogramSnapshot) string {
	var b strings.Builder
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(c, 10))
	}
	return b.String()
}

// encodeMetrics writes tracked metrics as a JSON object, "" for none.
func encodeMetrics(m map[string]gray.MetricSums) string {
	if len(m) == 0 {
		return ""
	}
	b, err := json.Marshal(m)
	if err != nil { // a NaN or Inf sum: keep the counts of the window
		return ""
	}
	return string(b)
}

// ErrCorrupt is returned for stored data the store cannot read.
var ErrCorrupt = errors.New("guard: corrupt stored data")

func decodeHist(s string, h *gray.HistogramSnapshot) error {
	if s == "" {
		return nil
	}
	for pair := range strings.SplitSeq(s, ",") {
		is, cs, ok := strings.Cut(pair, ":")
		i, err1 := strconv.Atoi(is)
		c, err2 := strconv.ParseUint(cs, 10, 64)
		if !ok || err1 != nil || err2 != nil || i < 0 || i >= len(h.Counts) {
			return fmt.Errorf("%w: latency %q", ErrCorrupt, pair)
		}
		h.Counts[i] = c
	}
	return nil
}
