package mongostore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readconcern"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"

	"github.com/graykit/graykit/dualwrite"
)

// Key is the set of key types a Store accepts: stored as _id, they sort in MongoDB as they do in
// Go, which [dualwrite.Verify] needs.
type Key interface {
	~string | ~int | ~int32 | ~int64
}

// Config configures a [Store]. Every zero value means the documented default.
type Config struct {
	// VersionField names the field that holds a document's version, which every write checks and
	// bumps. Default "_gkv". A document without it (written by other code) counts as version 0.
	VersionField string
	// ValueField, when set, stores each value under this one field instead of as the document's
	// fields: use it for values that do not marshal to a document (strings, numbers). A document
	// without the field then counts as no value.
	ValueField string
	// WriteTimeout bounds each write, which does not end with the caller's context (see the package
	// doc). Default 10s.
	WriteTimeout time.Duration
	// WriteConcern for every write. Default majority; it must be acknowledged.
	WriteConcern *writeconcern.WriteConcern
	// ReadConcern for Get, Scan and the version read of a write. Default majority; see the
	// package doc for linearizable.
	ReadConcern *readconcern.ReadConcern
}

// maxAttempts bounds the rounds of a write whose condition failed: each failure means another
// write of the key landed between the version read and the write.
const maxAttempts = 4

// Store is a [dualwrite.Store] and [dualwrite.Scanner] over a MongoDB collection, one document per
// key. It is safe for concurrent use.
type Store[K Key, V any] struct {
	coll *mongo.Collection
	cfg  Config

	// vers holds the version this store last wrote per key, so that a write can skip the version
	// read. A stale entry only costs a failed condition and the read.
	mu   sync.Mutex
	vers map[K]int64
}

// maxCached bounds the versions a Store remembers; the map starts over when it is full.
const maxCached = 4096

func (s *Store[K, V]) cached(key K) (int64, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vers[key]
	return v, ok
}

func (s *Store[K, V]) remember(key K, ver int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.vers == nil || len(s.vers) >= maxCached {
		s.vers = make(map[K]int64)
	}
	s.vers[key] = ver
}

func (s *Store[K, V]) forget(key K) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.vers, key)
}

var (
	_ dualwrite.Store[int64, string]   = (*Store[int64, string])(nil)
	_ dualwrite.Scanner[int64, string] = (*Store[int64, string])(nil)
)

// New returns a store over coll. The store works on a copy of coll with cfg's write concern and
// read concern and primary reads; coll itself is not changed.
func New[K Key, V any](coll *mongo.Collection, cfg Config) (*Store[K, V], error) {
	if coll == nil {
		return nil, errors.New("mongostore: a collection is required")
	}
	if cfg.VersionField == "" {
		cfg.VersionField = "_gkv"
	}
	for _, f := range []struct{ what, name string }{{"VersionField", cfg.VersionField}, {"ValueField", cfg.ValueField}} {
		if f.name == "_id" || len(f.name) > 0 && f.name[0] == '$' || containsDot(f.name) {
			return nil, fmt.Errorf("mongostore: %s %q is not a plain field name other than _id", f.what, f.name)
		}
	}
	if cfg.ValueField != "" && cfg.ValueField == cfg.VersionField {
		return nil, fmt.Errorf("mongostore: ValueField and VersionField are both %q", cfg.ValueField)
	}
	if cfg.WriteTimeout < 0 {
		return nil, fmt.Errorf("mongostore: WriteTimeout %v is negative", cfg.WriteTimeout)
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.WriteConcern == nil {
		cfg.WriteConcern = writeconcern.Majority()
	}
	if !cfg.WriteConcern.Acknowledged() {
		return nil, errors.New("mongostore: the write concern must be acknowledged")
	}
	if cfg.ReadConcern == nil {
		cfg.ReadConcern = readconcern.Majority()
	}
	c := coll.Clone(options.Collection().
		SetWriteConcern(cfg.WriteConcern).
		SetReadConcern(cfg.ReadConcern).
		SetReadPreference(readpref.Primary()))
	return &Store[K, V]{coll: c, cfg: cfg}, nil
}

func containsDot(s string) bool {
	for i := range len(s) {
		if s[i] == '.' {
			return true
		}
	}
	return false
}

// Collection returns the collection the store writes, with the store's concerns.
func (s *Store[K, V]) Collection() *mongo.Collection { return s.coll }

// Get returns the value of key, or an error wrapping [dualwrite.ErrNotFound].
func (s *Store[K, V]) Get(ctx context.Context, key K) (V, error) {
	var v V
	raw, err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return v, fmt.Errorf("mongostore: key %v: %w", key, dualwrite.ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("mongostore: get %v: %w", key, err)
	}
	v, ok, err := s.decode(raw)
	if err != nil {
		return v, fmt.Errorf("mongostore: decode %v: %w", key, err)
	}
	if !ok {
		return v, fmt.Errorf("mongostore: key %v: %w", key, dualwrite.ErrNotFound)
	}
	return v, nil
}

// Put sets the value of key: it replaces the key's document, or inserts it, conditional on the
// version it read (see the package doc).
func (s *Store[K, V]) Put(ctx context.Context, key K, value V) error {
	fields, err := s.encode(value)
	if err != nil {
		return fmt.Errorf("mongostore: encode %v: %w", key, err)
	}
	return s.write(ctx, key, fields)
}

// Delete deletes the document of key, conditional on the version it read. Deleting a missing key
// is not an error.
func (s *Store[K, V]) Delete(ctx context.Context, key K) error {
	return s.write(ctx, key, nil)
}

// write replaces (fields != nil) or deletes key's document, conditional on its version.
func (s *Store[K, V]) write(ctx context.Context, key K, fields bson.D) error {
	// Not canceled with ctx: the write must not outlive its call (see the package doc).
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.WriteTimeout)
	defer cancel()
	del := fields == nil
	for attempt := range maxAttempts {
		var (
			ver   *int64
			found bool
			err   error
		)
		if v, ok := s.cached(key); ok && attempt == 0 {
			ver, found = &v, true
		} else if ver, found, err = s.version(ctx, key); err != nil {
			return err
		}
		switch {
		case !found && del:
			return nil
		case !found:
			doc := append(bson.D{{Key: "_id", Value: key}, {Key: s.cfg.VersionField, Value: int64(1)}}, fields...)
			_, err := s.coll.InsertOne(ctx, doc)
			if mongo.IsDuplicateKeyError(err) {
				continue // a document appeared since the version read
			}
			if err != nil {
				s.forget(key)
				return fmt.Errorf("mongostore: insert %v: %w", key, err)
			}
			s.remember(key, 1)
			return nil
		}
		filter := bson.D{{Key: "_id", Value: key}, {Key: s.cfg.VersionField, Value: ver}}
		if ver == nil {
			// No version field: null matches a missing field, so the condition still holds.
			filter[1].Value = nil
		}
		if del {
			res, err := s.coll.DeleteOne(ctx, filter)
			s.forget(key)
			if err != nil {
				return fmt.Errorf("mongostore: delete %v: %w", key, err)
			}
			if res.DeletedCount == 1 {
				return nil
			}
			continue
		}
		next := int64(1)
		if ver != nil {
			next = *ver + 1
		}
		doc := append(bson.D{{Key: "_id", Value: key}, {Key: s.cfg.VersionField, Value: next}}, fields...)
		res, err := s.coll.ReplaceOne(ctx, filter, doc)
		if err != nil {
			s.forget(key)
			return fmt.Errorf("mongostore: replace %v: %w", key, err)
		}
		if res.MatchedCount == 1 {
			s.remember(key, next)
			return nil
		}
		s.forget(key)
	}
	return fmt.Errorf("mongostore: write %v: %w", key, dualwrite.ErrConcurrentChange)
}

// version reads key's document version: found is false when there is no document, ver nil when
// the document has no version field.
func (s *Store[K, V]) version(ctx context.Context, key K) (ver *int64, found bool, err error) {
	raw, err := s.coll.FindOne(ctx, bson.D{{Key: "_id", Value: key}},
		options.FindOne().SetProjection(bson.D{{Key: s.cfg.VersionField, Value: 1}})).Raw()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("mongostore: read version of %v: %w", key, err)
	}
	rv, err := raw.LookupErr(s.cfg.VersionField)
	if err != nil {
		return nil, true, nil
	}
	n, ok := rv.AsInt64OK()
	if !ok {
		return nil, true, fmt.Errorf("mongostore: key %v: field %s holds %s, not a version number", key, s.cfg.VersionField, rv.Type)
	}
	return &n, true, nil
}

// Scan returns up to limit entries with keys after *after, in _id order.
func (s *Store[K, V]) Scan(ctx context.Context, after *K, limit int) ([]dualwrite.Entry[K, V], error) {
	if limit <= 0 {
		return nil, nil
	}
	filter := bson.D{}
	if after != nil {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$gt", Value: *after}}})
	}
	if s.cfg.ValueField != "" {
		filter = append(filter, bson.E{Key: s.cfg.ValueField, Value: bson.D{{Key: "$exists", Value: true}}})
	}
	cur, err := s.coll.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("mongostore: scan: %w", err)
	}
	defer func() { _ = cur.Close(context.WithoutCancel(ctx)) }()
	out := make([]dualwrite.Entry[K, V], 0, limit)
	for cur.Next(ctx) {
		var e dualwrite.Entry[K, V]
		id, err := cur.Current.LookupErr("_id")
		if err != nil {
			return nil, fmt.Errorf("mongostore: scan: document without _id: %w", err)
		}
		if err := id.Unmarshal(&e.Key); err != nil {
			return nil, fmt.Errorf("mongostore: scan: _id %v: %w", id, err)
		}
		v, ok, err := s.decode(cur.Current)
		if err != nil {
			return nil, fmt.Errorf("mongostore: decode %v: %w", e.Key, err)
		}
		if !ok {
			continue
		}
		e.Value = v
		out = append(out, e)
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("mongostore: scan: %w", err)
	}
	return out, nil
}

// encode returns the fields that hold value, without _id and the version field.
func (s *Store[K, V]) encode(value V) (bson.D, error) {
	if s.cfg.ValueField != "" {
		return bson.D{{Key: s.cfg.ValueField, Value: value}}, nil
	}
	raw, err := bson.Marshal(value)
	if err != nil {
		return nil, fmt.Errorf("%w (set Config.ValueField for values that are not documents)", err)
	}
	elems, err := bson.Raw(raw).Elements()
	if err != nil {
		return nil, err
	}
	fields := make(bson.D, 0, len(elems))
	for _, e := range elems {
		k := e.Key()
		if k == "_id" || k == s.cfg.VersionField {
			return nil, fmt.Errorf("the value has a field %q, which the store owns", k)
		}
		fields = append(fields, bson.E{Key: k, Value: e.Value()})
	}
	return fields, nil
}

// decode returns the value a document holds; ok is false when it holds none (ValueField missing).
func (s *Store[K, V]) decode(doc bson.Raw) (v V, ok bool, err error) {
	if s.cfg.ValueField != "" {
		rv, err := doc.LookupErr(s.cfg.ValueField)
		if err != nil {
			return v, false, nil
		}
		return v, true, rv.Unmarshal(&v)
	}
	elems, err := doc.Elements()
	if err != nil {
		return v, false, err
	}
	fields := make(bson.D, 0, len(elems))
	for _, e := range elems {
		if k := e.Key(); k != "_id" && k != s.cfg.VersionField {
			fields = append(fields, bson.E{Key: k, Value: e.Value()})
		}
	}
	b, err := bson.Marshal(fields)
	if err != nil {
		return v, false, err
	}
	return v, true, bson.Unmarshal(b, &v)
}
