package mongo_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/dualwrite/mongostore"
	"github.com/graykit/graykit/integration/internal/mongoserver"
)

// userDoc is a document with a nested part, as a migrated users collection holds it.
type userDoc struct {
	Name    string  `bson:"name"`
	Status  string  `bson:"status"`
	Profile profile `bson:"profile"`
}

type profile struct {
	Phone string `bson:"phone,omitempty"`
	Email string `bson:"email,omitempty"`
}

func TestStoreDocuments(t *testing.T) {
	ctx := context.Background()
	db := mongoserver.Database(t)
	coll := db.Collection("users")
	s, err := mongostore.New[int64, userDoc](coll, mongostore.Config{})
	require.NoError(t, err)

	_, err = s.Get(ctx, 1)
	require.ErrorIs(t, err, dualwrite.ErrNotFound)
	require.NoError(t, s.Delete(ctx, 1), "deleting a missing key is not an error")

	ann := userDoc{Name: "ann", Status: "active", Profile: profile{Phone: "+1 555 0100"}}
	require.NoError(t, s.Put(ctx, 1, ann))
	got, err := s.Get(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, ann, got)

	// The document holds the value's fields, the key as _id and a version that every write bumps.
	raw, err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: int64(1)}}).Raw()
	require.NoError(t, err)
	assert.Equal(t, "+1 555 0100", raw.Lookup("profile", "phone").StringValue())
	assert.Equal(t, int64(1), raw.Lookup("_gkv").AsInt64())

	ann.Status, ann.Profile.Email = "banned", "ann@example.com"
	require.NoError(t, s.Put(ctx, 1, ann))
	got, err = s.Get(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, ann, got)
	raw, err = coll.FindOne(ctx, bson.D{{Key: "_id", Value: int64(1)}}).Raw()
	require.NoError(t, err)
	assert.Equal(t, int64(2), raw.Lookup("_gkv").AsInt64())

	require.NoError(t, s.Delete(ctx, 1))
	_, err = s.Get(ctx, 1)
	require.ErrorIs(t, err, dualwrite.ErrNotFound)
	n, err := coll.CountDocuments(ctx, bson.D{})
	require.NoError(t, err)
	assert.Zero(t, n)

	// A document other code wrote, without a version, is replaced and gets one.
	_, err = coll.InsertOne(ctx, bson.D{{Key: "_id", Value: int64(7)}, {Key: "name", Value: "legacy"}, {Key: "status", Value: "pending"}})
	require.NoError(t, err)
	got, err = s.Get(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, userDoc{Name: "legacy", Status: "pending"}, got)
	require.NoError(t, s.Put(ctx, 7, userDoc{Name: "legacy", Status: "active"}))
	raw, err = coll.FindOne(ctx, bson.D{{Key: "_id", Value: int64(7)}}).Raw()
	require.NoError(t, err)
	assert.Equal(t, int64(1), raw.Lookup("_gkv").AsInt64())
	assert.Equal(t, "active", raw.Lookup("status").StringValue())
}

func TestStoreRejectsBadValuesAndConfig(t *testing.T) {
	ctx := context.Background()
	db := mongoserver.Database(t)
	s, err := mongostore.New[int64, string](db.Collection("scalars"), mongostore.Config{})
	require.NoError(t, err)
	err = s.Put(ctx, 1, "not a document")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "ValueField")

	m, err := mongostore.New[int64, bson.M](db.Collection("maps"), mongostore.Config{})
	require.NoError(t, err)
	err = m.Put(ctx, 1, bson.M{"_id": 2, "x": 1})
	require.Error(t, err, "a value may not set _id: the key is the _id")
	err = m.Put(ctx, 1, bson.M{"_gkv": 9})
	require.Error(t, err, "a value may not set the version")

	for _, cfg := range []mongostore.Config{
		{VersionField: "_id"}, {ValueField: "a.b"}, {ValueField: "$v"}, {ValueField: "v", VersionField: "v"}, {WriteTimeout: -1},
	} {
		_, err := mongostore.New[int64, string](db.Collection("x"), cfg)
		assert.Error(t, err, "%+v", cfg)
	}
	_, err = mongostore.New[int64, string](nil, mongostore.Config{})
	assert.Error(t, err)
}

func TestStoreScanOrderAndValueField(t *testing.T) {
	ctx := context.Background()
	db := mongoserver.Database(t)
	ints, err := mongostore.New[int64, string](db.Collection("ints"), mongostore.Config{ValueField: "v"})
	require.NoError(t, err)
	keys := []int64{42, -3, 7, 1000, 0, 8, 9}
	for _, k := range keys {
		require.NoError(t, ints.Put(ctx, k, fmt.Sprint("v", k)))
	}
	// A document without the value field counts as no value, in Get and in Scan.
	_, err = ints.Collection().InsertOne(ctx, bson.D{{Key: "_id", Value: int64(5)}, {Key: "other", Value: 1}})
	require.NoError(t, err)
	_, err = ints.Get(ctx, 5)
	require.ErrorIs(t, err, dualwrite.ErrNotFound)

	var walked []int64
	var after *int64
	for {
		page, err := ints.Scan(ctx, after, 3)
		require.NoError(t, err)
		for _, e := range page {
			walked = append(walked, e.Key)
			assert.Equal(t, fmt.Sprint("v", e.Key), e.Value)
		}
		if len(page) < 3 {
			break
		}
		last := page[len(page)-1].Key
		after = &last
	}
	assert.Equal(t, []int64{-3, 0, 7, 8, 9, 42, 1000}, walked)

	// String keys sort byte by byte, as Go's < does, which Verify needs.
	strs, err := mongostore.New[string, int64](db.Collection("strs"), mongostore.Config{ValueField: "n"})
	require.NoError(t, err)
	for i, k := range []string{"b", "B", "a", "ab", "é", "Z"} {
		require.NoError(t, strs.Put(ctx, k, int64(i)))
	}
	page, err := strs.Scan(ctx, nil, 100)
	require.NoError(t, err)
	var sk []string
	for _, e := range page {
		sk = append(sk, e.Key)
	}
	assert.Equal(t, []string{"B", "Z", "a", "ab", "b", "é"}, sk)
	v, err := strs.Get(ctx, "ab")
	require.NoError(t, err)
	assert.Equal(t, int64(3), v)
}

// A write does not stop when the caller's context ends: a Pair holds the key's lock only until the
// call returns, so a write still on its way after that could overtake a later writer.
func TestStoreWriteOutlivesCanceledContext(t *testing.T) {
	db := mongoserver.Database(t)
	s, err := mongostore.New[int64, string](db.Collection("c"), mongostore.Config{ValueField: "v"})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.NoError(t, s.Put(ctx, 1, "written"))
	v, err := s.Get(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, "written", v)
	require.NoError(t, s.Delete(ctx, 1))
	_, err = s.Get(context.Background(), 1)
	require.True(t, errors.Is(err, dualwrite.ErrNotFound), "%v", err)
}

// Two stores on one collection, as two processes: each remembers the version it last wrote, and a
// write whose remembered version another store moved on reads the version again instead of failing
// or overwriting blindly.
func TestStoreVersionsAcrossInstances(t *testing.T) {
	ctx := context.Background()
	coll := mongoserver.Database(t).Collection("shared")
	a, err := mongostore.New[int64, string](coll, mongostore.Config{ValueField: "v"})
	require.NoError(t, err)
	b, err := mongostore.New[int64, string](coll, mongostore.Config{ValueField: "v"})
	require.NoError(t, err)
	version := func() int64 {
		raw, err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: int64(1)}}).Raw()
		require.NoError(t, err)
		return raw.Lookup("_gkv").AsInt64()
	}

	require.NoError(t, a.Put(ctx, 1, "a1"))
	require.NoError(t, b.Put(ctx, 1, "b1"))
	require.NoError(t, a.Put(ctx, 1, "a2")) // a remembered version 1; the document is at 2
	assert.Equal(t, int64(3), version())
	got, err := b.Get(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, "a2", got)

	require.NoError(t, b.Delete(ctx, 1)) // b remembered 2; the document is at 3
	_, err = a.Get(ctx, 1)
	require.ErrorIs(t, err, dualwrite.ErrNotFound)
	require.NoError(t, a.Put(ctx, 1, "a3")) // a remembered 3; there is no document
	assert.Equal(t, int64(1), version())
	require.NoError(t, b.Put(ctx, 1, "b2"))
	require.NoError(t, a.Delete(ctx, 1)) // a remembered 1; the document is at 2
	_, err = b.Get(ctx, 1)
	require.ErrorIs(t, err, dualwrite.ErrNotFound)
	require.NoError(t, a.Delete(ctx, 1))
}
