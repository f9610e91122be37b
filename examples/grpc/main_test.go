package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out))
	assert.Equal(t, `user-1: edge=stable backend=stable-pricing
user-2: edge=canary backend=canary-pricing
user-3: edge=stable backend=stable-pricing
user-4: edge=stable backend=stable-pricing
user-5: edge=stable backend=stable-pricing
`, out.String())
	assert.Contains(t, out.String(), "edge=canary backend=canary")
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		edge, backend, _ := strings.Cut(strings.TrimPrefix(line[strings.Index(line, "edge="):], "edge="), " backend=")
		assert.Equal(t, edge+"-pricing", backend, "the backend honours the edge: %s", line)
	}
}
