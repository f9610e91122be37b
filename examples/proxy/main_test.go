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

func TestProxyExample(t *testing.T) {
	defer goleak.VerifyNone(t)
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out))
	report := out.String()
	t.Log("\n" + report)

	assert.Contains(t, report, "users who stayed on one upstream: 300 of 300")
	m := regexp.MustCompile(`split: old (\d+) users \([\d.]+%\), new (\d+) users`).FindStringSubmatch(report)
	require.Len(t, m, 3, "the split line")
	oldUsers, _ := strconv.Atoi(m[1])
	newUsers, _ := strconv.Atoi(m[2])
	assert.Equal(t, 300, oldUsers+newUsers, "each user counted once")
	assert.InDelta(t, 30, newUsers, 15, "about 10%% of 300")
	assert.Regexp(t, `canary  requests +`+strconv.Itoa(newUsers*5)+`  errors 0`, report)

	assert.Contains(t, report, "GET  -> 200 old", "retried on the old backend")
	assert.Contains(t, report, "POST -> 502 Bad Gateway", "the rollout and the variant stay in the log")
	assert.Contains(t, report, "canary errors recorded: 2", "the failed GET attempt and the POST")
}
