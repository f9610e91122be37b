package mongostore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// These tests need no server: mongo.Connect does not dial. The store's behaviour against a server
// is tested in the integration module (integration/mongo), on FerretDB or a real MongoDB.

func collection(t *testing.T) *mongo.Collection {
	t.Helper()
	c, err := mongo.Connect(options.Client().ApplyURI("mongodb://127.0.0.1:1"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Disconnect(t.Context()) })
	return c.Database("d").Collection("c")
}

type doc struct {
	Name    string `bson:"name"`
	Profile struct {
		Phone string `bson:"phone"`
	} `bson:"profile"`
}

func TestNewValidatesConfig(t *testing.T) {
	coll := collection(t)
	s, err := New[int64, doc](coll, Config{})
	require.NoError(t, err)
	assert.Equal(t, "_gkv", s.cfg.VersionField)
	assert.Positive(t, s.cfg.WriteTimeout)
	assert.Equal(t, "majority", s.cfg.WriteConcern.W)
	assert.Equal(t, "majority", s.cfg.ReadConcern.Level)
	assert.NotSame(t, coll, s.Collection(), "the store works on a copy of the caller's collection")

	s, err = New[int64, doc](coll, Config{ReadConcern: readconcern.Linearizable()})
	require.NoError(t, err)
	assert.Equal(t, "linearizable", s.cfg.ReadConcern.Level)

	for name, cfg := range map[string]Config{
		"version _id":       {VersionField: "_id"},
		"dotted value":      {ValueField: "a.b"},
		"operator":          {VersionField: "$v"},
		"same field":        {ValueField: "v", VersionField: "v"},
		"negative timeout":  {WriteTimeout: -1},
		"unacknowledged wc": {WriteConcern: writeconcern.Unacknowledged()},
	} {
		_, err := New[int64, doc](coll, cfg)
		assert.Error(t, err, name)
	}
	_, err = New[int64, doc](nil, Config{})
	assert.Error(t, err)
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	s, err := New[int64, doc](collection(t), Config{})
	require.NoError(t, err)
	var v doc
	v.Name, v.Profile.Phone = "ann", "+1 555 0100"
	fields, err := s.encode(v)
	require.NoError(t, err)
	assert.Equal(t, []string{"name", "profile"}, keys(fields))

	// A stored document carries _id and the version besides the value's fields.
	stored, err := bson.Marshal(append(bson.D{{Key: "_id", Value: int64(1)}, {Key: "_gkv", Value: int64(3)}}, fields...))
	require.NoError(t, err)
	got, ok, err := s.decode(stored)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, v, got)

	m, err := New[int64, bson.M](collection(t), Config{})
	require.NoError(t, err)
	gm, ok, err := m.decode(stored)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.NotContains(t, gm, "_id", "the store's own fields are not part of the value")
	assert.NotContains(t, gm, "_gkv")
	_, err = m.encode(bson.M{"_id": 1})
	assert.Error(t, err)
	_, err = m.encode(bson.M{"_gkv": 1})
	assert.Error(t, err)

	_, err = (&Store[int64, string]{cfg: Config{VersionField: "_gkv"}}).encode("scalar")
	assert.ErrorContains(t, err, "ValueField")
}

func TestValueField(t *testing.T) {
	s, err := New[string, string](collection(t), Config{ValueField: "v"})
	require.NoError(t, err)
	fields, err := s.encode("active")
	require.NoError(t, err)
	assert.Equal(t, bson.D{{Key: "v", Value: "active"}}, fields)
	stored, err := bson.Marshal(bson.D{{Key: "_id", Value: "k"}, {Key: "v", Value: "active"}})
	require.NoError(t, err)
	got, ok, err := s.decode(stored)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "active", got)
	empty, err := bson.Marshal(bson.D{{Key: "_id", Value: "k"}, {Key: "other", Value: 1}})
	require.NoError(t, err)
	_, ok, err = s.decode(empty)
	require.NoError(t, err)
	assert.False(t, ok, "a document without the value field holds no value")
}

func keys(d bson.D) []string {
	out := make([]string, len(d))
	for i, e := range d {
		out[i] = e.Key
	}
	return out
}
