package main

import (
	"bytes"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestQuickstart(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, options{users: 400, addr: "127.0.0.1:0"}))
	report := out.String()
	t.Log("\n" + report)

	assert.Contains(t, report, "users who saw both variants: 0")
	assert.Contains(t, report, "users who left the canary: 0")
	assert.Contains(t, report, "canary users after the brake: 0")
	assert.Contains(t, report, `rule staff        YES`)

	// The split is about 5%, then about 20%, of 400 users.
	m := regexp.MustCompile(`canary (\d+) -> (\d+) users`).FindStringSubmatch(report)
	require.Len(t, m, 3, "the raise line")
	at5, _ := strconv.Atoi(m[1])
	at20, _ := strconv.Atoi(m[2])
	assert.InDelta(t, 20, at5, 14, "about 5%% of 400")
	assert.InDelta(t, 80, at20, 25, "about 20%% of 400")
	assert.Greater(t, at20, at5)
}

func TestQuickstartRejectsTooFewUsers(t *testing.T) {
	assert.Error(t, run(t.Context(), &bytes.Buffer{}, options{users: 3, addr: "127.0.0.1:0"}))
}

func TestQuickstartDataPart(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out, options{users: 200, addr: "127.0.0.1:0"}))
	assert.Regexp(t, `verify: 200 matched, 0 mismatched, 0 missing`, out.String())
	assert.Regexp(t, `shadow reads: \d+ matched, 0 mismatched`, out.String())
}
