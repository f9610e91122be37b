package dualwrite

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
)

// VerifyConfig configures [Verify]. Every zero value means the documented default.
type VerifyConfig[K cmp.Ordered, V any] struct {
	// Equal compares values. Default: reflect.DeepEqual.
	Equal func(a, b V) bool
	// BatchSize is the number of entries read per Scan call. Default 1000.
	BatchSize int
	// MaxSamples is the number of sample keys kept per outcome. Default 10.
	MaxSamples int
	// Repair, when set, is called for every key that does not match (e.g. a func calling
	// [Pair.Repair] from the authoritative side); its failures are counted, not returned.
	Repair func(ctx context.Context, key K) error
}

// Report is the outcome of [Verify].
type Report[K cmp.Ordered] struct {
	Matched, Mismatched, MissingOld, MissingNew int64
	// Repaired and RepairFailed count calls of the Repair function.
	Repaired, RepairFailed int64
	// Sample keys of each outcome, in key order.
	MismatchedKeys, MissingOldKeys, MissingNewKeys []K
}

// OK reports whether both sides held the same keys and values.
func (r Report[K]) OK() bool { return r.Mismatched == 0 && r.MissingOld == 0 && r.MissingNew == 0 }

// String summarises the report in one line.
func (r Report[K]) String() string {
	return fmt.Sprintf("matched=%d mismatched=%d missing_old=%d missing_new=%d repaired=%d repair_failed=%d",
		r.Matched, r.Mismatched, r.MissingOld, r.MissingNew, r.Repaired, r.RepairFailed)
}

// Verify walks both sides in key order, merging them, and reports matched and mismatched keys and
// keys missing on either side. Both scanners must order keys the same way as Go's < does (for text
// keys on PostgreSQL use a "C" collation). It stops at the first scan error or when ctx is done.
func Verify[K cmp.Ordered, V any](ctx context.Context, old, new Scanner[K, V], cfg VerifyConfig[K, V]) (Report[K], error) {
	var r Report[K]
	if old == nil || new == nil {
		return r, configError("verify: old and new scanner are required")
	}
	if cfg.Equal == nil {
		cfg.Equal = func(a, b V) bool { return reflect.DeepEqual(a, b) }
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.MaxSamples <= 0 {
		cfg.MaxSamples = 10
	}
	a := &cursor[K, V]{s: old, n: cfg.BatchSize}
	b := &cursor[K, V]{s: new, n: cfg.BatchSize}
	sample := func(keys *[]K, k K) {
		if len(*keys) < cfg.MaxSamples {
			*keys = append(*keys, k)
		}
	}
	for {
		ea, oka, err := a.peek(ctx)
		if err != nil {
			return r, fmt.Errorf("dualwrite: verify old: %w", err)
		}
		eb, okb, err := b.peek(ctx)
		if err != nil {
			return r, fmt.Errorf("dualwrite: verify new: %w", err)
		}
		if !oka && !okb {
			return r, nil
		}
		var bad bool
		var key K
		switch {
		case !okb || (oka && ea.Key < eb.Key):
			key, bad = ea.Key, true
			r.MissingNew++
			sample(&r.MissingNewKeys, key)
			a.next()
		case !oka || eb.Key < ea.Key:
			key, bad = eb.Key, true
			r.MissingOld++
			sample(&r.MissingOldKeys, key)
			b.next()
		default:
			key = ea.Key
			if cfg.Equal(ea.Value, eb.Value) {
				r.Matched++
			} else {
				bad = true
				r.Mismatched++
				sample(&r.MismatchedKeys, key)
			}
			a.next()
			b.next()
		}
		if bad && cfg.Repair != nil {
			if err := cfg.Repair(ctx, key); err != nil {
				r.RepairFailed++
			} else {
				r.Repaired++
			}
		}
	}
}

type cursor[K cmp.Ordered, V any] struct {
	s     Scanner[K, V]
	n     int
	buf   []Entry[K, V]
	i     int
	after *K
	eof   bool
}

func (c *cursor[K, V]) peek(ctx context.Context) (Entry[K, V], bool, error) {
	if c.i < len(c.buf) {
		return c.buf[c.i], true, nil
	}
	if c.eof {
		return Entry[K, V]{}, false, nil
	}
	if err := ctx.Err(); err != nil {
		return Entry[K, V]{}, false, err
	}
	buf, err := c.s.Scan(ctx, c.after, c.n)
	if err != nil {
		return Entry[K, V]{}, false, err
	}
	c.buf, c.i = buf, 0
	if len(buf) < c.n {
		c.eof = true
	}
	if len(buf) == 0 {
		return Entry[K, V]{}, false, nil
	}
	last := buf[len(buf)-1].Key
	c.after = &last
	return buf[0], true, nil
}

func (c *cursor[K, V]) next() { c.i++ }
