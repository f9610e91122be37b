package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/ddlcheck"
	"github.com/graykit/graykit/internal/testenv"
)

// TestDDLCheckFixtureFolder runs `graykit ddl check` over a migrations
// folder with a graykit-migrations.yaml beside it.
func TestDDLCheckFixtureFolder(t *testing.T) {
	code, out, errOut := runCLI(t, "ddl", "check", "testdata/migrations/mysql")
	require.Equal(t, exitFail, code, "stderr: %s", errOut)
	assert.Contains(t, out, `testdata/migrations/mysql/0002_contract.sql:3: drop-column:`)
	assert.Contains(t, out, `"users-status-v2" is in phase live`)
	assert.Contains(t, out, `0002_contract.sql:2: ok: users.phone may be dropped: migration "users-phone" is complete everywhere`)
	assert.Contains(t, out, "allowed:   the table was created by a failed import and never used (OPS-77)")
	assert.Contains(t, out, "1 finding(s), 1 allowed by graykit:allow, in 5 statement(s) of 2 file(s)")

	code, out, _ = runCLI(t, "ddl", "check", "--json", "testdata/migrations/mysql")
	require.Equal(t, exitFail, code)
	var res ddlResult
	require.NoError(t, json.Unmarshal([]byte(out), &res))
	require.Len(t, res.Findings, 2)
	assert.Equal(t, ddlcheck.RuleDropColumn, res.Findings[0].Rule)
	assert.Equal(t, "status", res.Findings[0].Column)
	assert.False(t, res.Findings[0].Suppressed)
	assert.True(t, res.Findings[1].Suppressed)
	assert.True(t, res.Failed)
	require.Len(t, res.Notes, 1)

	code, out, _ = runCLI(t, "ddl", "check", "testdata/migrations/clean")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "0 finding(s)")
}

func TestDDLCheckPostgresFolder(t *testing.T) {
	if !ddlcheck.PostgresAvailable {
		testenv.Missing(t, "the PostgreSQL parser (cgo)", "build with CGO_ENABLED=1 and a C compiler")
	}
	code, out, _ := runCLI(t, "ddl", "check", "--dialect", "postgres", "testdata/migrations/postgres")
	require.Equal(t, exitFail, code)
	assert.Contains(t, out, "0001_index.sql:2: pg-index-not-concurrently:")
	assert.Contains(t, out, "0001_index.sql:3: change-column-type:")
}

func TestDDLCheckUsageErrors(t *testing.T) {
	bad := writeFile(t, "bad.sql", "ALTER TABLE users DROP COLUMN;\n")
	badYAML := writeFile(t, "m.yaml", "migrations: [{name: a, table: t, phase: sometime}]\n")
	tests := []struct {
		name    string
		give    []string
		wantErr string
	}{
		{"no files", []string{"ddl", "check"}, "give at least one FILE or DIR"},
		{"no subcommand", []string{"ddl"}, "usage: graykit ddl check"},
		{"unknown dialect", []string{"ddl", "check", "--dialect", "oracle", bad}, `unknown dialect "oracle"`},
		{"parse error", []string{"ddl", "check", bad}, "parse error"},
		{"missing file", []string{"ddl", "check", "nope.sql"}, "nope.sql"},
		{"bad migrations file", []string{"ddl", "check", "--migrations", badYAML, bad}, `"sometime" is not a dualwrite phase`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, tt.give...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut, tt.wantErr)
		})
	}
}

func TestDDLRules(t *testing.T) {
	code, out, _ := runCLI(t, "ddl", "rules")
	require.Equal(t, exitOK, code)
	for _, r := range ddlcheck.Rules() {
		assert.Contains(t, out, r.Name)
	}
}

// TestDDLCheckREADME runs the `graykit ddl check` lines of the README's CI
// examples, with the fixture folders in place of db/migrations/.
func TestDDLCheckREADME(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	var lines [][]string
	for _, l := range strings.Split(string(data), "\n") {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "- graykit ddl check") && !strings.HasPrefix(l, "- run: graykit ddl check") {
			continue
		}
		cmd, _, _ := strings.Cut(l[strings.Index(l, "graykit ")+len("graykit "):], " #")
		lines = append(lines, strings.Fields(cmd))
	}
	require.Len(t, lines, 2, "the GitLab CI and GitHub Actions examples")
	for _, args := range lines {
		dialect := args[slices.Index(args, "--dialect")+1]
		if dialect == "postgres" && !ddlcheck.PostgresAvailable {
			testenv.Missing(t, "the PostgreSQL parser (cgo)", "build with CGO_ENABLED=1 and a C compiler")
		}
		for i, a := range args {
			if a == "db/migrations/" {
				args[i] = filepath.Join("testdata", "migrations", dialect)
			}
		}
		code, out, errOut := runCLI(t, args...)
		assert.Equal(t, exitFail, code, "%v: %s%s", args, out, errOut)
		assert.Contains(t, out, "finding(s)")
	}
}
