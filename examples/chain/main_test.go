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

func TestChainExample(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out))
	report := out.String()
	t.Log("\n" + report)

	m := regexp.MustCompile(`canary users canary at every hop: (\d+) of (\d+)`).FindStringSubmatch(report)
	require.Len(t, m, 3)
	assert.Equal(t, m[1], m[2], "every canary user is canary at every hop")
	canary, _ := strconv.Atoi(m[2])
	assert.InDelta(t, 40, canary, 20, "about 20%% of 200")

	m = regexp.MustCompile(`stable users stable at every hop: (\d+) of (\d+)`).FindStringSubmatch(report)
	require.Len(t, m, 3)
	assert.Equal(t, m[1], m[2])
	stable, _ := strconv.Atoi(m[2])
	assert.Equal(t, 200, canary+stable)

	// Middle and backend each verified every request: 2 per user.
	assert.Contains(t, report, "forging the header at the backend: backend=stable (values trusted 400, rejected 1)")
}
