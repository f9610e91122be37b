// Package mongoserver gives the integration tests a MongoDB-protocol server: the MongoDB at
// GRAYKIT_TEST_MONGODB_URI when it is set, else FerretDB embedded in the test process (its SQLite
// backend in a throwaway directory, listening on loopback), so that the MongoDB tests need no server
// started by hand.
package mongoserver

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// URIVar names the environment variable that points the tests at a real MongoDB.
const URIVar = "GRAYKIT_TEST_MONGODB_URI"

// Embedded starts FerretDB in this process with its data in dir, listening on a free loopback
// port, and returns its URI and a function that stops it and waits until it stopped.
func Embedded(dir string) (uri string, stop func(), err error) {
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:    slog.New(slog.DiscardHandler),
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		return "", nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()
	return f.MongoDBURI(), func() { cancel(); <-done }, nil
}

// Database returns a database of its own for t, dropped at the end of t: on the server at
// GRAYKIT_TEST_MONGODB_URI, or on a FerretDB started for t.
func Database(t testing.TB) *mongo.Database {
	t.Helper()
	uri := os.Getenv(URIVar)
	if uri == "" {
		u, stop, err := Embedded(t.TempDir())
		if err != nil {
			t.Fatalf("start embedded FerretDB: %v", err)
		}
		t.Cleanup(stop)
		uri = u
	}
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(30 * time.Second))
	if err != nil {
		t.Fatalf("connect to %s: %v", uri, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := client.Ping(ctx, nil); err != nil {
		_ = client.Disconnect(ctx)
		t.Fatalf("ping %s: %v", uri, err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	db := client.Database("graykit_" + hex.EncodeToString(b))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = db.Drop(ctx)
		_ = client.Disconnect(ctx)
	})
	return db
}
