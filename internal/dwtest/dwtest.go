// Package dwtest holds dualwrite's test fixtures shared by the root module's
// tests and the integration module's (real databases): the seed migration,
// users.status (int 0/1) → users.status_v2 (varchar active/banned/pending).
package dwtest

import (
	"fmt"

	"github.com/graykit/graykit/dualwrite"
)

// StatusUp maps the old column to the new one.
func StatusUp(s int) (string, error) {
	switch s {
	case 1:
		return "active", nil
	case 0:
		return "banned", nil
	}
	return "", fmt.Errorf("status %d: %w", s, dualwrite.ErrUnmappable)
}

// StatusDown maps the new column back to the old one.
func StatusDown(s string) (int, error) {
	switch s {
	case "active":
		return 1, nil
	case "banned":
		return 0, nil
	}
	return 0, fmt.Errorf("status_v2 %q: %w", s, dualwrite.ErrUnmappable)
}

// StatusSQL is the same Up conversion as a SQL expression.
const StatusSQL = "CASE status WHEN 1 THEN 'active' WHEN 0 THEN 'banned' END"

// StatusColumns is the migration of the status column under ph.
func StatusColumns(ph dualwrite.Phaser) *dualwrite.Columns[int, string] {
	return &dualwrite.Columns[int, string]{
		Phase:        ph,
		Up:           StatusUp,
		Down:         StatusDown,
		OnUnmappable: dualwrite.UseFallback,
		OldFallback:  0, // pending users are not active for old code
	}
}
