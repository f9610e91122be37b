// Package mongo tests dualwrite/mongostore against a real MongoDB-protocol server (FerretDB
// embedded in the test process, or the MongoDB at GRAYKIT_TEST_MONGODB_URI), alone and as the new
// side of a dualwrite Pair whose old side and repair outbox are in a SQL database.
package mongo
