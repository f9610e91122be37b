package testenv_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/internal/testenv"
)

// TestMissingPolicy runs a child test process without a PostgreSQL DSN:
// it must skip normally and fail under GRAYKIT_REQUIRE_ALL=1.
func TestMissingPolicy(t *testing.T) {
	if os.Getenv("TESTENV_CHILD") == "1" {
		testenv.PostgresDSN(t)
		t.Fatal("PostgresDSN returned without a DSN")
	}
	tests := []struct {
		name       string
		requireAll string
		wantFail   bool
		wantOut    string
	}{
		{"skips", "", false, "--- SKIP"},
		{"fails when all are required", "1", true, "GRAYKIT_REQUIRE_ALL=1 but PostgreSQL is missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMissingPolicy$", "-test.v")
			cmd.Env = append(filterEnv(os.Environ()), "TESTENV_CHILD=1", testenv.RequireAllVar+"="+tt.requireAll)
			out, err := cmd.CombinedOutput()
			assert.Equal(t, tt.wantFail, err != nil, "%s", out)
			require.Contains(t, string(out), tt.wantOut)
		})
	}
}

func filterEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, testenv.PostgresDSNVar+"=") && !strings.HasPrefix(kv, testenv.RequireAllVar+"=") {
			out = append(out, kv)
		}
	}
	return out
}
