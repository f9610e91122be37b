package main

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/internal/testenv"
)

func TestRun(t *testing.T) {
	for _, db := range []struct {
		name string
		dsn  func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return testenv.PostgresDSN(t) }},
		{"mysql", func(t *testing.T) string { return testenv.MySQLDSN(t) }},
	} {
		t.Run(db.name, func(t *testing.T) {
			var b [4]byte
			_, _ = rand.Read(b[:])
			var out strings.Builder
			require.NoError(t, run(&out, db.dsn(t), "graykit_example_"+hex.EncodeToString(b[:])+"_"))
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
		})
	}
}

func TestOpenRejectsAnUnknownDSN(t *testing.T) {
	_, _, _, err := open("sqlserver://x")
	require.Error(t, err)
}
