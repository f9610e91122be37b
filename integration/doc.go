// Package integration is the home of graykit's tests that need a real
// database driver or a browser: dualwrite and the guard's SQL store on
// embedded SQLite and on PostgreSQL, and the operator console in Chromium.
//
// They live in a module of their own so that the drivers they link
// (modernc.org/sqlite, pgx, chromedp) never enter the root module's
// requirements, and so never a user's module graph. Run them with the
// repository's test command (see README.md); each test package here tests
// the public API of the root package it is named after.
package integration
