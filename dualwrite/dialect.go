package dualwrite

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strconv"
	"strings"
)

// Dialect is the SQL flavour of a database. The package's SQL (repair queue, checkpoints, backfill,
// [SQLStore]) is written for all three; SQLite and PostgreSQL are tested, MySQL is not.
type Dialect uint8

// The supported dialects.
const (
	// SQLite, e.g. modernc.org/sqlite (driver "sqlite"), version 3.35 or later.
	SQLite Dialect = iota + 1
	// Postgres, e.g. github.com/jackc/pgx/v5/stdlib (driver "pgx").
	Postgres
	// MySQL 8.0 or later (untested).
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

func (d Dialect) valid() bool { return d >= SQLite && d <= MySQL }

// ph returns the n-th (1-based) placeholder.
func (d Dialect) ph(n int) string {
	if d == Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// phs returns placeholders from..to joined with ", ".
func (d Dialect) phs(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		if i > from {
			b.WriteString(", ")
		}
		b.WriteString(d.ph(i))
	}
	return b.String()
}

// textKey is the column type of text keys that are part of a primary key.
func (d Dialect) textKey() string {
	if d == MySQL {
		return "VARCHAR(255)"
	}
	return "TEXT"
}

// upsert returns the clause that turns an INSERT into an upsert on conflict over key; sets are
// "col = <expr>" where excluded(col) is written as {new.col}.
func (d Dialect) upsert(key string, sets ...string) string {
	var b strings.Builder
	if d == MySQL {
		b.WriteString(" ON DUPLICATE KEY UPDATE ")
	} else {
		b.WriteString(" ON CONFLICT (" + key + ") DO UPDATE SET ")
	}
	for i, s := range sets {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d.excluded(s))
	}
	return b.String()
}

var excludedRe = regexp.MustCompile(`\{new\.([A-Za-z_][A-Za-z0-9_]*)\}`)

func (d Dialect) excluded(s string) string {
	if d == MySQL {
		return excludedRe.ReplaceAllString(s, "VALUES($1)")
	}
	return excludedRe.ReplaceAllString(s, "excluded.$1")
}

// updateFrom reports whether the dialect has UPDATE … FROM and UPDATE … RETURNING.
func (d Dialect) updateFrom() bool { return d == SQLite || d == Postgres }

// concat returns the SQL that concatenates two strings.
func (d Dialect) concat(a, b string) string {
	if d == MySQL {
		return "CONCAT(" + a + ", " + b + ")"
	}
	return a + " || " + b
}

// txOptions are the options of the package's own transactions: READ COMMITTED on MySQL, whose
// default REPEATABLE READ would take shared next-key locks on the rows a backfill batch only reads
// (an upgrade to an exclusive lock then deadlocks with a writer of the same row) and gap locks that
// block inserts; the other dialects' defaults (PostgreSQL READ COMMITTED, SQLite serializable).
func (d Dialect) txOptions() *sql.TxOptions {
	if d == MySQL {
		return &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	return nil
}

// skipLocked reports whether the dialect has SELECT … FOR UPDATE SKIP LOCKED.
func (d Dialect) skipLocked() bool { return d == Postgres || d == MySQL }

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}(\.[A-Za-z_][A-Za-z0-9_]{0,62})?$`)

// checkIdent rejects anything but a plain (optionally schema-qualified) identifier, so user-chosen
// table and column names cannot inject SQL.
func checkIdent(what, name string) error {
	if !identRe.MatchString(name) {
		return configError("%s %q is not a plain SQL identifier", what, name)
	}
	return nil
}

// retryable reports whether err is a lock timeout, deadlock or serialization failure that is worth
// retrying. It recognises driver errors by their methods, so no driver is imported.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		switch st.SQLState() {
		case "40001", "40P01", "55P03", "57014":
			return true
		}
	}
	var code interface{ Code() int }
	if errors.As(err, &code) {
		switch code.Code() & 0xff {
		case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
			return true
		}
	}
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "Lock wait timeout") ||
		strings.Contains(msg, "Deadlock found")
}

type txKey struct{}

// ContextWithTx returns a context that carries tx. [SQLStore] and [Queue.Record] run their
// statements in the transaction carried by the context, so a repair record commits or rolls back
// with the caller's own writes. A [Pair] whose stores are both tables of the transaction's database
// runs each call in a savepoint of it and holds the key's lock until the transaction ends: the call
// is all or nothing, and a failure (which aborts a PostgreSQL transaction) leaves the transaction
// usable. A Pair that would write a store outside the database returns [ErrTxUnsupported] instead,
// since that write could not roll back with the transaction. The transaction belongs to one
// database: a SQLStore on another database must not be given this context.
func ContextWithTx(ctx context.Context, tx *sql.Tx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

// TxFromContext returns the transaction set by [ContextWithTx].
func TxFromContext(ctx context.Context) (*sql.Tx, bool) {
	tx, ok := ctx.Value(txKey{}).(*sql.Tx)
	return tx, ok && tx != nil
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn returns what runs a statement on db for ctx: the transaction a [Pair] holds on db for the
// call, else the caller's transaction ([ContextWithTx]), else db itself.
func conn(ctx context.Context, db *sql.DB) execer {
	if sc, ok := ctx.Value(scopeKey{}).(scope); ok && sc.db == db {
		return sc.tx
	}
	if tx, ok := TxFromContext(ctx); ok {
		return tx
	}
	return db
}

type scopeKey struct{}

// scope is the transaction a Pair holds on one database while it writes a key: stores on that
// database run in it, stores elsewhere ignore it.
type scope struct {
	db *sql.DB
	tx *sql.Tx
}

// unqualified drops a schema prefix: ON CONFLICT clauses name the target table without it.
func unqualified(table string) string {
	if i := strings.LastIndexByte(table, '.'); i >= 0 {
		return table[i+1:]
	}
	return table
}
