package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRun runs the whole migration: on SQLite and an embedded FerretDB by default, on the MySQL at
// GRAYKIT_TEST_MYSQL_DSN and the MongoDB at GRAYKIT_TEST_MONGODB_URI when they are set.
func TestRun(t *testing.T) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	suffix := hex.EncodeToString(b)
	o := config{
		mysqlDSN: os.Getenv("GRAYKIT_TEST_MYSQL_DSN"),
		mongoURI: os.Getenv("GRAYKIT_TEST_MONGODB_URI"),
		table:    "mm_users_" + suffix, mongoDB: "graykit_example_" + suffix,
		users: 80, workers: 3, ops: 60, grayPercent: 40, failRate: 0.1,
	}
	var out strings.Builder
	sum, err := run(context.Background(), o, &out)
	t.Log("\n" + out.String())
	require.NoError(t, err)

	// Both sides hold the same users: the history, the sign-ups, every acknowledged write.
	assert.True(t, sum.final.OK(), "%s", sum.final)
	assert.GreaterOrEqual(t, sum.final.Matched, int64(o.users))
	// The walk found the whole history missing in MongoDB and copied it.
	assert.GreaterOrEqual(t, sum.walk.MissingNew+sum.walk.Matched+sum.walk.Mismatched, int64(o.users), "the walk saw every user of the history")
	assert.Positive(t, sum.walk.Repaired)
	// Gray users read MongoDB, the others SQL, and writes went to both.
	assert.Positive(t, sum.grayReads)
	assert.Positive(t, sum.otherReads)
	assert.Positive(t, sum.writes)
	// MongoDB failed some second writes; each was recorded in the outbox, which drained.
	assert.Positive(t, sum.shadow.WriteFailed)
	assert.Equal(t, sum.shadow.WriteFailed, sum.shadow.RepairRecorded)
	// The document has the new shape.
	assert.Regexp(t, regexp.MustCompile(`user 2: .*"status":"(active|banned)".*"profile":\{"phone":"\+1 555 \d{4}"\}`), out.String())
}

func TestRunRejectsBadOptions(t *testing.T) {
	_, err := run(context.Background(), config{users: 0, workers: 1}, &strings.Builder{})
	require.Error(t, err)
	_, err = run(context.Background(), config{users: 1, workers: 1, failRate: 1}, &strings.Builder{})
	require.Error(t, err)
}
