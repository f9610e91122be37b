// Package alertmanager tests graykit's Alertmanager receiver
// (admin.AlertHandler) against a real Prometheus Alertmanager: the test
// starts the binary on loopback with a throwaway configuration and data
// directory, posts an alert to its API, and lets Alertmanager route it to
// the handler, as a deployment would.
package alertmanager
