// Package mongostore is a [dualwrite.Store] and [dualwrite.Scanner] over a MongoDB collection, for
// a migration whose new (or old) side is a document store: one document per key, the key in _id.
// It is a module of its own so that the MongoDB driver (go.mongodb.org/mongo-driver/v2) enters only
// the module graph of programs that use it.
//
// # How it keeps the guarantees
//
// The MongoDB side is a store outside the SQL database, the third configuration of the dualwrite
// package's "What is guaranteed": give the [dualwrite.Pair] a [dualwrite.Queue] on the SQL database
// (the repair outbox) and run a [dualwrite.Repairer]. Every write of a key then runs while the Pair
// holds the key's lock in that database, after its intent committed there, and a repair copies from
// the side the queue names. What that configuration asks of the store outside — that it never
// applies a write after its call returned — this store provides in two ways:
//
//   - A write does not stop when the caller's context ends: it waits for the server's answer, for
//     at most [Config.WriteTimeout] (which also reaches the server as maxTimeMS). The Pair holds the
//     key's lock until the call returns, so the write lands while no other writer of the key runs.
//   - Every write is conditional on a version field ([Config.VersionField]): Put and Delete write
//     only the document that still has the version they expect (replace or delete with a filter on
//     _id and the version, which bumps it), or insert a new document, which the unique _id index
//     rejects when one appeared meanwhile. They expect the version this Store last wrote for the
//     key, else they read it first; when the condition fails they read it and try again. A write that outlives its call anyway (the
//     timeout expired, the connection broke after the request was sent) is therefore a no-op once a
//     later write of the key was applied: it cannot take back a newer value. The one case it does
//     not cover is the insert of a key that had no document, landing after a later Delete of it;
//     Verify with repair finds such a key.
//
// Acknowledged writes use write concern "majority" by default, so a value a caller was told about
// survives a change of primary; reads use read concern "majority" on the primary. A primary that was
// deposed but does not know it yet can serve a read that misses the newest write for a moment; set
// [Config.ReadConcern] to readconcern.Linearizable() when reads must be linearizable through a
// failover too (each read then waits for a majority, a round trip more).
//
// # What it relies on
//
// Only features of a single MongoDB server or replica set since 4.x, and of MongoDB-protocol
// servers such as FerretDB, on which the tests run: the unique _id index (duplicate key error
// 11000), single-document atomicity of replaceOne and deleteOne with a filter, find by _id with a
// projection, find sorted by _id with a limit (for [Store.Scan]), and write and read concerns. It
// needs no multi-document transactions, no change streams and no sessions. Scan walks keys in _id
// order, which matches Go's < for integer keys and, for string keys, as long as the collection has
// no default collation (MongoDB then compares strings byte by byte, as Go does).
//
// On FerretDB 1.x the filter of a replace is checked and the new document written as two steps
// inside the server, so there the version check does not exclude a concurrent writer; the Pair's
// lock, which orders every writer of a key, is what the guarantee rests on either way.
//
// # Documents
//
// A value is stored as the document's fields: V is a struct with bson tags (or bson.D, bson.M)
// that marshals to a document without the fields _id and the version field, which the store owns.
// Values that are not documents (a string, a number) are stored under one field, [Config.ValueField].
// Use [dualwrite.Mapped] when the two sides of a migration have different shapes, e.g. a SQL row
// type and a document type with nested fields.
package mongostore
