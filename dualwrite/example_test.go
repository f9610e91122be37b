package dualwrite_test

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/graykit/graykit/dualwrite"
)

// A map-backed store for the examples.
type exampleStore map[int64]string

func (s exampleStore) Get(_ context.Context, k int64) (string, error) {
	v, ok := s[k]
	if !ok {
		return "", dualwrite.ErrNotFound
	}
	return v, nil
}
func (s exampleStore) Put(_ context.Context, k int64, v string) error { s[k] = v; return nil }
func (s exampleStore) Delete(_ context.Context, k int64) error        { delete(s, k); return nil }

func ExamplePair() {
	ctx := context.Background()
	old, nw := exampleStore{}, exampleStore{}
	phase, _ := dualwrite.NewSwitch(dualwrite.Shadow)
	counter := &dualwrite.Counter{}
	pair, err := dualwrite.NewPair[int64, string](old, nw, dualwrite.Config[int64, string]{
		Phase: phase, Observer: counter,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = pair.Put(ctx, 1, "active") // old, then new
	nw[2], old[2] = "banned", "active"

	v1, _ := pair.Get(ctx, 1)
	v2, _ := pair.Get(ctx, 2) // the mismatch is reported, the caller gets the old side
	fmt.Println(v1, v2)
	_ = phase.Set(dualwrite.Live)
	v2, _ = pair.Get(ctx, 2)
	fmt.Println(v2)
	c := counter.Counts()
	fmt.Println("matched", c.Matched, "mismatched", c.Mismatched, c.Samples[dualwrite.Mismatched])
	// Output:
	// active active
	// banned
	// matched 1 mismatched 2 [2 2]
}

func ExampleColumns() {
	ctx := context.Background()
	cols := &dualwrite.Columns[int, string]{
		Phase: dualwrite.Fixed(dualwrite.DualWrite),
		Up: func(s int) (string, error) {
			return map[int]string{0: "banned", 1: "active"}[s], nil
		},
		Down: func(s string) (int, error) {
			switch s {
			case "active":
				return 1, nil
			case "banned":
				return 0, nil
			}
			return 0, fmt.Errorf("%q: %w", s, dualwrite.ErrUnmappable)
		},
		OnUnmappable: dualwrite.UseFallback,
		OldFallback:  0,
	}
	v, _ := cols.FromNew(ctx, "pending")
	fmt.Println(v.Old.V, v.New.V) // for: UPDATE users SET status = ?, status_v2 = ? WHERE id = ?

	got, _ := cols.ReadNew(ctx, sql.Null[int]{V: 1, Valid: true}, sql.Null[string]{})
	fmt.Println(got)
	// Output:
	// 0 pending
	// active
}

func ExampleVerify() {
	ctx := context.Background()
	old := exampleStore{1: "a", 2: "b", 3: "c"}
	nw := exampleStore{1: "a", 2: "x", 4: "d"}
	rep, _ := dualwrite.Verify[int64, string](ctx, scanOf(old), scanOf(nw), dualwrite.VerifyConfig[int64, string]{})
	fmt.Println(rep)
	fmt.Println(rep.MismatchedKeys, rep.MissingNewKeys, rep.MissingOldKeys)
	// Output:
	// matched=1 mismatched=1 missing_old=1 missing_new=1 repaired=0 repair_failed=0
	// [2] [3] [4]
}

func ExampleParsePhase() {
	for _, s := range []string{"shadow", "Shadow"} {
		p, err := dualwrite.ParsePhase(s)
		fmt.Printf("%q %v\n", p, err)
	}
	// Output:
	// "shadow" <nil>
	// "" dualwrite: unknown phase "Shadow"
}

type exampleScanner exampleStore

func scanOf(s exampleStore) exampleScanner { return exampleScanner(s) }

func (s exampleScanner) Scan(_ context.Context, after *int64, limit int) ([]dualwrite.Entry[int64, string], error) {
	var out []dualwrite.Entry[int64, string]
	for k := int64(0); k < 10 && len(out) < limit; k++ {
		if v, ok := s[k]; ok && (after == nil || k > *after) {
			out = append(out, dualwrite.Entry[int64, string]{Key: k, Value: v})
		}
	}
	return out, nil
}
