package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

func TestSubjectCommands(t *testing.T) {
	a := newApp(t)
	code, out, errOut := runRemote(a, operatorToken, "put-subject", "banner", "user-42", "canary", "--reason", "ticket 7")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "banner: user-42 is on canary")

	a.tick(t)
	for i, e := range a.engines {
		assert.Equal(t, gray.ReasonOverride, e.Decide("banner", gray.Subject{Key: "user-42"}).Reason, "replica %d", i)
	}

	code, out, _ = runRemote(a, viewerToken, "subjects", "banner")
	require.Equal(t, exitOK, code)
	assert.Regexp(t, `user-42\s+canary\s+olga\s+\S+ \S+\s+ticket 7`, out)
	code, out, _ = runRemote(a, viewerToken, "subjects", "banner", "--json")
	require.Equal(t, exitOK, code)
	var list []guard.SubjectOverride
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	require.Len(t, list, 1)

	code, _, errOut = runRemote(a, viewerToken, "put-subject", "banner", "user-43", "canary")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "vera has role viewer")
	code, _, errOut = runRemote(a, operatorToken, "put-subject", "banner", "user-43", "blue")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, `variant "blue" is not declared`)
	code, _, _ = runRemote(a, operatorToken, "put-subject", "banner", "user-43")
	assert.Equal(t, exitUsage, code)

	code, out, _ = runRemote(a, operatorToken, "remove-subject", "banner", "user-42", "--reason", "fixed")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "no override any more")
	code, out, _ = runRemote(a, operatorToken, "remove-subject", "banner", "user-42")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "had no override")
	a.tick(t)
	assert.Empty(t, a.engines[1].SubjectOverrides())
	code, out, _ = runRemote(a, viewerToken, "subjects", "banner")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, "no subject overrides")
}
