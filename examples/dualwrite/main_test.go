package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out strings.Builder
	require.NoError(t, run(&out))
	got := out.String()
	for _, want := range []string{
		"off:        10000 users",
		"dual-write: user 2 → status=1 status_v2=active; user 3 → status=0 status_v2=pending",
		"backfill:   walked 10000 rows, wrote 9998, finished=true",
		"verify:     matched=10000 mismatched=0 missing_old=0 missing_new=0",
		`shadow:     user 3 reads "banned"`,
		`live:       user 3 reads "pending"`,
		"complete:   dropped users.status; active=5000 banned=4999 pending=1 null=0",
	} {
		assert.Contains(t, got, want)
	}
}
