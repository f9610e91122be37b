// Package testenv holds the one policy for tests that need something a fresh
// machine lacks (a PostgreSQL server, Chromium): without it they skip with a
// message saying how to enable them, so the README's test command passes anywhere; with
// GRAYKIT_REQUIRE_ALL=1 (set by .ci/run, which provides both) the same skip
// fails instead, so CI can never go green by skipping.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// The environment variables the tests read.
const (
	RequireAllVar  = "GRAYKIT_REQUIRE_ALL"
	PostgresDSNVar = "GRAYKIT_TEST_POSTGRES_DSN"
	ChromiumVar    = "GRAYKIT_CHROMIUM"
	// AlertmanagerVar is the path of a Prometheus Alertmanager binary.
	AlertmanagerVar = "GRAYKIT_ALERTMANAGER"
	// PrometheusVar is the path of a Prometheus server binary.
	PrometheusVar = "GRAYKIT_PROMETHEUS"
)

// Missing ends t for want of what: a skip saying how to enable it, or a
// failure under GRAYKIT_REQUIRE_ALL=1.
func Missing(t testing.TB, what, how string) {
	t.Helper()
	if os.Getenv(RequireAllVar) == "1" {
		t.Fatalf("%s=1 but %s is missing: %s", RequireAllVar, what, how)
	}
	t.Skipf("%s is missing: %s", what, how)
}

// PostgresDSN returns the DSN of the test PostgreSQL server, or ends t by
// Missing.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresDSNVar)
	if dsn == "" {
		Missing(t, "PostgreSQL", "set "+PostgresDSNVar+" (e.g. postgres://postgres@127.0.0.1:5432/graykit_test?sslmode=disable) to run it; .ci/run starts a server and sets it")
	}
	return dsn
}

// Chromium returns the path of a Chromium binary (GRAYKIT_CHROMIUM, else
// chromium or chromium-browser on PATH), or ends t by Missing.
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(ChromiumVar); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Missing(t, "Chromium", "install it (apt-get install chromium) or set "+ChromiumVar+" to its path")
	return ""
}

// Alertmanager returns the path of a Prometheus Alertmanager binary
// (GRAYKIT_ALERTMANAGER, else Debian's prometheus-alertmanager or
// alertmanager on PATH), or ends t by Missing.
func Alertmanager(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(AlertmanagerVar); p != "" {
		return p
	}
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Missing(t, "Prometheus Alertmanager", "install it (apt-get install prometheus-alertmanager) or set "+AlertmanagerVar+" to its path")
	return ""
}

// Prometheus returns the path of a Prometheus server binary
// (GRAYKIT_PROMETHEUS, else prometheus on PATH), or ends t by Missing.
func Prometheus(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(PrometheusVar); p != "" {
		return p
	}
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p
	}
	Missing(t, "Prometheus", "install it (apt-get install prometheus) or set "+PrometheusVar+" to its path")
	return ""
}
