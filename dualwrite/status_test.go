package dualwrite_test

import (
	"fmt"

	"github.com/graykit/graykit/dualwrite"
)

// The seed migration: users.status (int 0/1) → users.status_v2 (varchar active/banned/pending).

func statusUp(s int) (string, error) {
	switch s {
	case 1:
		return "active", nil
	case 0:
		return "banned", nil
	}
	return "", fmt.Errorf("status %d: %w", s, dualwrite.ErrUnmappable)
}

func statusDown(s string) (int, error) {
	switch s {
	case "active":
		return 1, nil
	case "banned":
		return 0, nil
	}
	return 0, fmt.Errorf("status_v2 %q: %w", s, dualwrite.ErrUnmappable)
}

// statusSQL is the same Up conversion as a SQL expression.
const statusSQL = "CASE status WHEN 1 THEN 'active' WHEN 0 THEN 'banned' END"

func statusColumns(ph dualwrite.Phaser) *dualwrite.Columns[int, string] {
	return &dualwrite.Columns[int, string]{
		Phase:        ph,
		Up:           statusUp,
		Down:         statusDown,
		OnUnmappable: dualwrite.UseFallback,
		OldFallback:  0, // pending users are not active for old code
	}
}
