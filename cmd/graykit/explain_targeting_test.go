package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const targetingConfig = `
segments:
  - {name: staff, when: {field: key, in: [boss]}}
rollouts:
  - {name: base, percent: 0}
  - name: billing
    bucket_by: "attr:org_id"
    bucket_fallback: "header:X-Tenant"
    percent: 100
    prerequisites: [{rollout: base, variants: [stable]}]
    rules: [{name: staff, when: {segment: staff}, serve: canary}]
`

func TestExplainTargeting(t *testing.T) {
	cfg := writeFile(t, "gray.yaml", targetingConfig)
	base := []string{"explain", "--config", cfg, "--rollout", "billing"}
	tests := []struct {
		name    string
		give    []string
		wantOut []string
	}{
		{"no org", []string{"--key", "u1"}, []string{
			"bucket by     attr:org_id (or header:X-Tenant)",
			`prerequisite  rollout:base in [stable]: got "stable", held yes`,
			"reason        no bucket value",
		}},
		{"org", []string{"--key", "u1", "--attr", "org_id=acme"}, []string{"reason        split"}},
		{"segment", []string{"--key", "boss"}, []string{`reason        rule "staff"`, "segment staff: key in [boss]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, _ := runCLI(t, append(base, tt.give...)...)
			require.Equal(t, exitOK, code, out)
			for _, w := range tt.wantOut {
				assert.Contains(t, out, w)
			}
		})
	}
}
