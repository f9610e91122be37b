package mongo_test

import (
	"testing"

	"go.uber.org/goleak"
)

// The embedded FerretDB and the driver's connections must all be gone when the tests end.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
