//go:build !cgo || graykit_nopg

package ddlcheck

// PostgresAvailable reports whether this build parses PostgreSQL.
const PostgresAvailable = false

func parsePostgres(string) ([]statement, error) { return nil, ErrNoPostgres }
