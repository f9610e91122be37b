// Package integration is the home of graykit's tests that need a real
// database driver, a browser or another program: dualwrite and the guard's
// SQL store on embedded SQLite and on PostgreSQL, the operator console in
// Chromium, and the alert receiver behind a real Prometheus Alertmanager.
//
// They live in a module of their own so that the drivers they link
// (modernc.org/sqlite, pgx, chromedp) never enter the root module's
// requirements, and so never a user's module graph. Run them with the
// repository's test command (see README.md); each test package here tests
// the public API of the root package it is named after.
package integration
