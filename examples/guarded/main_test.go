package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out))
	text := out.String()
	t.Log("\n" + text)
	for _, want := range []string{"start", "advance", "a bad change ships", "rollback", "final: rolled-back at 0%; user-1 gets stable"} {
		assert.Contains(t, text, want)
	}
	assert.Less(t, strings.Index(text, "a bad change"), strings.Index(text, "rollback"), "rolled back after the change, not before")
	assert.NotContains(t, text, "-> 100.0%", "never promoted")
}
