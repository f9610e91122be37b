package admin_test

import (
	"testing"

	"github.com/graykit/graykit/internal/admintest"
)

// The console's test application lives in internal/admintest, shared with
// the integration module's SQL-store and browser tests; these names keep
// the tests short.
type fixture = admintest.Fixture

const (
	viewerToken   = admintest.ViewerToken
	operatorToken = admintest.OperatorToken
	fixtureConfig = admintest.Config
)

var (
	newFixture       = admintest.New
	newFixtureConfig = admintest.NewConfig
	newFixtureStore  = admintest.NewStore
)

func mustGet(t *testing.T, f *fixture, path, token string) []byte {
	t.Helper()
	return f.MustGet(t, path, token)
}

func decode[T any](t *testing.T, body []byte) T { return admintest.Decode[T](t, body) }
