package dualwrite

import (
	"context"
	"fmt"
	"strconv"
)

// Store is one side of a migration, addressed by key: a SQL table, a document collection, a
// key-value store. Get returns an error wrapping [ErrNotFound] when the key has no value; Delete of a
// missing key is not an error. Implementations must be safe for concurrent use, and a write must
// not take effect after its call returned (no retries in the background): a [Pair] holds a key's
// lock only until its calls return.
//
// A store that wraps another (for metrics, retries, fault injection) should implement
// Unwrap() Store[K, V] and pass the context through: a Pair looks through it to find a [SQLStore]
// and so knows that the wrapper's writes run in the database's transactions.
type Store[K comparable, V any] interface {
	Get(ctx context.Context, key K) (V, error)
	Put(ctx context.Context, key K, value V) error
	Delete(ctx context.Context, key K) error
}

// Entry is one key and its value, as returned by a [Scanner].
type Entry[K comparable, V any] struct {
	Key   K
	Value V
}

// Scanner walks a side in ascending key order; [Verify] needs one per side. Scan returns at most
// limit entries with keys greater than *after (from the first key when after is nil); fewer than
// limit means the end was reached. Keys without a value are skipped.
type Scanner[K comparable, V any] interface {
	Scan(ctx context.Context, after *K, limit int) ([]Entry[K, V], error)
}

// KeyCodec turns keys into text and back, for repair records and reports. Decode(Encode(k)) must
// return k.
type KeyCodec[K comparable] struct {
	Encode func(K) string
	Decode func(string) (K, error)
}

// defaultCodec returns a codec for string and integer keys, or a zero codec.
func defaultCodec[K comparable]() KeyCodec[K] {
	var k K
	switch any(k).(type) {
	case string:
		return KeyCodec[K]{
			Encode: func(k K) string { return any(k).(string) },
			Decode: func(s string) (K, error) { return any(s).(K), nil },
		}
	case int64:
		return KeyCodec[K]{
			Encode: func(k K) string { return strconv.FormatInt(any(k).(int64), 10) },
			Decode: func(s string) (K, error) {
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					return k, fmt.Errorf("dualwrite: key %q: %w", s, err)
				}
				return any(n).(K), nil
			},
		}
	case int:
		return KeyCodec[K]{
			Encode: func(k K) string { return strconv.Itoa(any(k).(int)) },
			Decode: func(s string) (K, error) {
				n, err := strconv.Atoi(s)
				if err != nil {
					return k, fmt.Errorf("dualwrite: key %q: %w", s, err)
				}
				return any(n).(K), nil
			},
		}
	}
	return KeyCodec[K]{}
}

// Mapped presents a store of W values as a store of V values: to converts on the way in (Put),
// from on the way out (Get, Scan). Use it when the two sides hold different types, e.g. an int
// column and a varchar column. The result also implements [Scanner] when s does.
func Mapped[K comparable, V, W any](s Store[K, W], to func(V) (W, error), from func(W) (V, error)) *MappedStore[K, V, W] {
	return &MappedStore[K, V, W]{s: s, to: to, from: from}
}

// MappedStore is the store [Mapped] returns.
type MappedStore[K comparable, V, W any] struct {
	s    Store[K, W]
	to   func(V) (W, error)
	from func(W) (V, error)
}

var _ Store[string, int] = (*MappedStore[string, int, string])(nil)

// sqlBinding forwards the underlying store's binding: a MappedStore over a [SQLStore] runs in the
// same transactions as the SQLStore would.
func (m *MappedStore[K, V, W]) sqlBinding() (sqlBinding, bool) { return bindingOf(m.s) }

// Get reads from the underlying store and converts.
func (m *MappedStore[K, V, W]) Get(ctx context.Context, key K) (V, error) {
	w, err := m.s.Get(ctx, key)
	if err != nil {
		var zero V
		return zero, err
	}
	return m.from(w)
}

// Put converts and writes to the underlying store.
func (m *MappedStore[K, V, W]) Put(ctx context.Context, key K, value V) error {
	w, err := m.to(value)
	if err != nil {
		return err
	}
	return m.s.Put(ctx, key, w)
}

// Delete deletes from the underlying store.
func (m *MappedStore[K, V, W]) Delete(ctx context.Context, key K) error {
	return m.s.Delete(ctx, key)
}

// Scan scans the underlying store and converts every value. It fails when the underlying store is
// not a [Scanner].
func (m *MappedStore[K, V, W]) Scan(ctx context.Context, after *K, limit int) ([]Entry[K, V], error) {
	sc, ok := m.s.(Scanner[K, W])
	if !ok {
		return nil, configError("mapped store: underlying %T is not a Scanner", m.s)
	}
	ws, err := sc.Scan(ctx, after, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Entry[K, V], len(ws))
	for i, e := range ws {
		v, err := m.from(e.Value)
		if err != nil {
			return nil, &ConvertError{Key: fmt.Sprint(e.Key), Value: fmt.Sprint(e.Value), Err: err}
		}
		out[i] = Entry[K, V]{Key: e.Key, Value: v}
	}
	return out, nil
}
