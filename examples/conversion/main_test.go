package main

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRun: the canary that converts 10% worse is rolled back on the
// conversion metric alone, never on errors or latency, and the one that
// converts as well is promoted.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out))
	text := out.String()
	t.Log("\n" + text)
	assert.Contains(t, text, "final: checkout-v2 rolled-back at 0%")
	assert.Contains(t, text, "final: search-v2 promoted at 100%")
	assert.Regexp(t, regexp.MustCompile(`checkout-v2 +rollback .*metric ordered: canary 0\.0[89]\d* vs stable 0\.(09|10)`), text,
		"rolled back by the conversion metric")
	assert.NotRegexp(t, regexp.MustCompile(`rollback .*(error rate|latency)`), text, "errors and latency were fine")
	assert.NotRegexp(t, regexp.MustCompile(`search-v2 +rollback`), text)
	assert.NotRegexp(t, regexp.MustCompile(`checkout-v2 +(advance|promote) .*-> 100\.0%`), text, "the worse canary never reached everyone")
}
