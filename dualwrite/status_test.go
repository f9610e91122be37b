package dualwrite_test

import "github.com/graykit/graykit/internal/dwtest"

// The seed migration's fixtures live in internal/dwtest, shared with the
// integration module's tests on real databases.
var statusColumns = dwtest.StatusColumns
