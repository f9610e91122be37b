package mongo_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	_ "modernc.org/sqlite"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/dualwrite/mongostore"
	"github.com/graykit/graykit/integration/internal/mongoserver"
)

// BenchmarkMongoPairPut compares a Pair's Put over a SQLite table and a MongoDB collection (dual
// write: the intent in the SQL outbox, the key's lock, both writes, the intent settled) with the
// same two writes by hand (an upsert in SQL, then replaceOne with upsert in MongoDB, nothing to
// keep them consistent), and shows the store's own cost (version read, conditional write) beside
// a bare replaceOne. On the embedded FerretDB the server's cost dominates every case (its SQLite
// backend reads the whole collection for an update): compare the cases with each other, and set
// GRAYKIT_TEST_MONGODB_URI to measure against MongoDB. Run:
//
//	go test -run '^$' -bench MongoPairPut -benchmem ./mongo
func BenchmarkMongoPairPut(b *testing.B) {
	ctx := context.Background()
	db := openSQLite(b)
	_, err := db.Exec("CREATE TABLE users (id BIGINT PRIMARY KEY, status TEXT)")
	require.NoError(b, err)
	old, err := dualwrite.NewSQLStore[int64, string](db, dualwrite.SQLite, dualwrite.SQLStoreConfig{Table: "users", KeyColumn: "id", ValueColumn: "status"})
	require.NoError(b, err)
	mdb := mongoserver.Database(b)
	coll := mdb.Collection("users")
	nw, err := mongostore.New[int64, string](coll, mongostore.Config{ValueField: "status"})
	require.NoError(b, err)
	q, err := dualwrite.NewQueue(db, dualwrite.SQLite, "user_repairs")
	require.NoError(b, err)
	require.NoError(b, q.CreateTable(ctx))
	pair, err := dualwrite.NewPair[int64, string](old, nw, dualwrite.Config[int64, string]{
		Phase: dualwrite.Fixed(dualwrite.DualWrite), Repairs: q, OnWriteFailure: dualwrite.RecordRepair,
	})
	require.NoError(b, err)
	upsert := "INSERT INTO users (id, status) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET status = excluded.status"
	// The hand-written writes go to a collection of their own, so that the store's version field
	// does not meet them.
	raw := mdb.Collection("users_raw")
	replace := func(k int64, v string) error {
		_, err := raw.ReplaceOne(ctx, bson.D{{Key: "_id", Value: k}}, bson.D{{Key: "_id", Value: k}, {Key: "status", Value: v}},
			options.Replace().SetUpsert(true))
		return err
	}
	cases := []struct {
		name string
		put  func(k int64, v string) error
	}{
		{"hand-sql+mongo", func(k int64, v string) error {
			if _, err := db.ExecContext(ctx, upsert, k, v); err != nil {
				return err
			}
			return replace(k, v)
		}},
		{"pair", func(k int64, v string) error { return pair.Put(ctx, k, v) }},
		{"hand-mongo-only", replace},
		{"store-only", func(k int64, v string) error { return nw.Put(ctx, k, v) }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var i int64
			for b.Loop() {
				i++
				// 50 keys, each written many times: updates, as in a running migration. Few keys,
				// because FerretDB's SQLite backend reads the whole collection for an update.
				if err := c.put(i%50, "active"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func openSQLite(t testing.TB) *sql.DB {
	t.Helper()
	dsn := "file:" + filepath.Join(t.TempDir(), "test.db") +
		"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	return db
}
