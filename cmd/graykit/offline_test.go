package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray/admin"
)

const testConfig = `rollouts:
  - name: checkout-v2
    percent: 5
    rules:
      - name: testers
        when: {field: "header:X-Gray", in: [canary]}
        serve: canary
      - name: beta-cookie
        when: {field: "cookie:version", eq: beta}
        serve: canary
      - name: office
        when: {field: ip, cidr: [10.0.0.0/8]}
        serve: canary
      - name: new-ios-app
        when:
          all:
            - {field: "attr:platform", eq: ios}
            - {field: "attr:app_version", semver_gte: "5.2.0"}
        serve: canary
  - name: search-v3
    enabled: false
    percent: 50
`

// runCLI runs the program in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

func TestBucket(t *testing.T) {
	// Known answers from gray/testdata/bucket-vectors.tsv.
	tests := []struct {
		name     string
		give     []string
		wantCode int
		wantOut  []string
	}{
		{"unsalted", []string{"bucket", "u1", "user-42"}, exitOK, []string{"u1       3663", "user-42  1169", "11.7%"}},
		{"salted", []string{"bucket", "--salt", "checkout-v2", "u1"}, exitOK, []string{"u1   8836", "88.37%"}},
		{"flag after key", []string{"bucket", "u1", "--salt", "checkout-v2"}, exitOK, []string{"u1   8836"}},
		{"no key", []string{"bucket"}, exitUsage, nil},
		{"bad flag", []string{"bucket", "--nope", "u1"}, exitUsage, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, _ := runCLI(t, tt.give...)
			assert.Equal(t, tt.wantCode, code)
			for _, w := range tt.wantOut {
				assert.Contains(t, out, w)
			}
		})
	}
}

func TestBucketJSON(t *testing.T) {
	code, out, _ := runCLI(t, "bucket", "--json", "--salt", "checkout-v2", "u1", "user-42")
	require.Equal(t, exitOK, code)
	var got []bucketLine
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, []bucketLine{
		{Key: "u1", Salt: "checkout-v2", Bucket: 8836, InShareFrom: 88.37},
		{Key: "user-42", Salt: "checkout-v2", Bucket: 27, InShareFrom: 0.28},
	}, got)
}

func TestLint(t *testing.T) {
	good := writeFile(t, "good.yaml", testConfig)
	bad := writeFile(t, "bad.yaml", `rollouts:
  - name: a
    percent: 101
    bogus: 1
    rules: [{name: x, when: {field: key, regex: "("}, serve: nope}]
`)
	tests := []struct {
		name     string
		give     []string
		wantCode int
		wantOut  []string
	}{
		{"good", []string{"lint", good}, exitOK, []string{good + ": ok (2 rollouts)"}},
		{"bad lists every problem with its path", []string{"lint", bad}, exitFail, []string{
			bad + ": rollouts[0].bogus: unknown field",
			bad + ": rollouts[0].percent: 101 is above 100",
			bad + ": rollouts[0].rules[0].serve: variant \"nope\"",
			bad + ": rollouts[0].rules[0].when.regex: missing closing )",
			bad + ": 4 problem(s)",
		}},
		{"one bad file fails the run", []string{"lint", good, bad}, exitFail, []string{good + ": ok", bad + ": 4 problem(s)"}},
		{"missing file", []string{"lint", filepath.Join(t.TempDir(), "nope.yaml")}, exitFail, []string{"no such file"}},
		{"no file", []string{"lint"}, exitUsage, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, _ := runCLI(t, tt.give...)
			assert.Equal(t, tt.wantCode, code)
			for _, w := range tt.wantOut {
				assert.Contains(t, out, w)
			}
		})
	}
}

func TestLintJSON(t *testing.T) {
	bad := writeFile(t, "bad.json", `{"rollouts": [{"name": "a", "percent": 101}]}`)
	code, out, _ := runCLI(t, "lint", "--json", bad)
	require.Equal(t, exitFail, code)
	var got []lintResult
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Len(t, got, 1)
	assert.False(t, got[0].OK)
	require.Len(t, got[0].Problems, 1)
	assert.Equal(t, "rollouts[0].percent", got[0].Problems[0].Path)
}

func TestExplain(t *testing.T) {
	cfg := writeFile(t, "gray.yaml", testConfig)
	base := []string{"explain", "--config", cfg, "--rollout", "checkout-v2"}
	tests := []struct {
		name     string
		give     []string
		wantCode int
		wantOut  []string
	}{
		{"header rule", []string{"--key", "u1", "--header", "x-gray=canary"}, exitOK, []string{
			"variant  canary", `reason   rule "testers"`, `"canary"  yes`, "beta-cookie  canary  not evaluated",
		}},
		{"cookie rule", []string{"--key", "u1", "--cookie", "version=beta"}, exitOK, []string{
			`reason   rule "beta-cookie"`, "testers      canary  no match", "(absent)",
		}},
		{"ip rule", []string{"--key", "u1", "--ip", "10.1.2.3"}, exitOK, []string{`rule "office"`}},
		{"attr rule", []string{"--key", "u1", "--attr", "platform=ios", "--attr", "app_version=5.3.0"}, exitOK, []string{
			`rule "new-ios-app"`, `attr:app_version semver_gte 5.2.0`,
		}},
		{"split default", []string{"--key", "u1"}, exitOK, []string{"variant  stable", "reason   default", "bucket   8836", "past every variant's range"}},
		{"split canary", []string{"--key", "user-42"}, exitOK, []string{"variant  canary", "reason   split", "bucket   27"}},
		{"no key", nil, exitOK, []string{"reason   no key", "none (no key)"}},
		{"bad ip", []string{"--ip", "nope"}, exitFail, nil},
		{"bad pair", []string{"--header", "novalue"}, exitUsage, nil},
		{"unknown rollout", []string{"--rollout", "nope"}, exitFail, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, _ := runCLI(t, append(base, tt.give...)...)
			assert.Equal(t, tt.wantCode, code)
			for _, w := range tt.wantOut {
				assert.Contains(t, out, w)
			}
		})
	}
}

func TestExplainBraked(t *testing.T) {
	cfg := writeFile(t, "gray.yaml", testConfig)
	code, out, _ := runCLI(t, "explain", "--json", "--config", cfg, "--rollout", "search-v3", "--key", "user-42")
	require.Equal(t, exitOK, code)
	var got admin.ExplainResult
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, "off", got.Decision.Reason)
	assert.Equal(t, "stable", got.Decision.Variant)
	assert.Contains(t, got.Summary, "braked")
}

func TestExplainUsage(t *testing.T) {
	tests := []struct {
		name string
		give []string
		want int
	}{
		{"no config", []string{"explain", "--rollout", "a"}, exitUsage},
		{"no rollout", []string{"explain", "--config", "x"}, exitUsage},
		{"stray argument", []string{"explain", "--config", "x", "--rollout", "a", "extra"}, exitUsage},
		{"missing file", []string{"explain", "--config", filepath.Join(t.TempDir(), "x"), "--rollout", "a"}, exitFail},
		{"help", []string{"explain", "-h"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, _ := runCLI(t, tt.give...)
			assert.Equal(t, tt.want, code)
		})
	}
}

func TestTopLevel(t *testing.T) {
	tests := []struct {
		name     string
		give     []string
		wantCode int
		wantErr  string
	}{
		{"no command", nil, exitUsage, "usage: graykit"},
		{"help", []string{"help"}, exitOK, "set-share"},
		{"unknown", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.give...)
			assert.Equal(t, tt.wantCode, code)
			assert.Contains(t, stderr, tt.wantErr)
		})
	}
}

func TestExplainShowsValue(t *testing.T) {
	cfg := writeFile(t, "gray.yaml", `rollouts:
  - name: limits
    default_value: {max: 10}
    variants: [{name: canary, percent: 100, value: {max: 100}}]
`)
	code, out, _ := runCLI(t, "explain", "--config", cfg, "--rollout", "limits", "--key", "u1")
	require.Equal(t, exitOK, code)
	assert.Contains(t, out, `value    {"max":100}`)

	code, out, _ = runCLI(t, "explain", "--json", "--config", cfg, "--rollout", "limits")
	require.Equal(t, exitOK, code)
	var got admin.ExplainResult
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, `{"max":10}`, got.Decision.Value.JSON(), "no key: the default's value")

	code, out, _ = runCLI(t, "explain", "--config", writeFile(t, "plain.yaml", testConfig), "--rollout", "checkout-v2", "--key", "u1")
	require.Equal(t, exitOK, code)
	assert.NotContains(t, out, "value ", "no value row without values")
}
