package dualwrite_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/dualwrite/mongostore"
	"github.com/graykit/graykit/integration/internal/mongoserver"
)

// memKVStore is the linearizability check's key-value store outside the database, in memory.
func memKVStore(*testing.T) dualwrite.Store[int64, string] { return newMemKV() }

// mongoStore is a MongoDB collection as the store outside the database: on FerretDB embedded in
// the test, or on the MongoDB at GRAYKIT_TEST_MONGODB_URI.
func mongoStore(t *testing.T) dualwrite.Store[int64, string] {
	s, err := mongostore.New[int64, string](mongoserver.Database(t).Collection("lin_new"), mongostore.Config{ValueField: "v"})
	require.NoError(t, err)
	return s
}
