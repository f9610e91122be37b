package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBinary builds the command and runs it as a user would.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "graykit")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	out, err = exec.CommandContext(t.Context(), bin, "bucket", "user-42").Output()
	require.NoError(t, err)
	assert.Contains(t, string(out), "user-42  1169")

	bad := writeFile(t, "bad.yaml", "rollouts: [{name: a, percent: 101}]\n")
	cmd := exec.CommandContext(t.Context(), bin, "lint", bad)
	out, err = cmd.Output()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.Equal(t, exitFail, exit.ExitCode())
	assert.Contains(t, string(out), "rollouts[0].percent: 101 is above 100")
}
