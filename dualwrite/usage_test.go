package dualwrite_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
	"github.com/graykit/graykit/internal/dwtest"
)

// TestUsageByPhase pins what each phase does to each side: in particular
// complete reads and writes the old side no more, and live still reads it
// (the shadow comparison).
func TestUsageByPhase(t *testing.T) {
	tests := []struct {
		give dualwrite.Phase
		want dualwrite.UsageCounts
	}{
		{dualwrite.Off, dualwrite.UsageCounts{OldReads: 1, OldWrites: 1}},
		{dualwrite.DualWrite, dualwrite.UsageCounts{OldReads: 1, OldWrites: 1, NewWrites: 1}},
		{dualwrite.Shadow, dualwrite.UsageCounts{OldReads: 1, OldWrites: 1, NewReads: 1, NewWrites: 1}},
		{dualwrite.Live, dualwrite.UsageCounts{OldReads: 1, OldWrites: 1, NewReads: 1, NewWrites: 1}},
		{dualwrite.RampDown, dualwrite.UsageCounts{OldWrites: 1, NewReads: 1, NewWrites: 1}},
		{dualwrite.Complete, dualwrite.UsageCounts{NewReads: 1, NewWrites: 1}},
	}
	for _, tt := range tests {
		t.Run(string(tt.give), func(t *testing.T) {
			log := &opLog{}
			var u dualwrite.Usage
			p, err := dualwrite.NewPair[string, string](newMem("old", log), newMem("new", log),
				dualwrite.Config[string, string]{Phase: dualwrite.Fixed(tt.give), Usage: &u})
			require.NoError(t, err)
			require.NoError(t, p.Put(t.Context(), "k", "v"))
			_, err = p.Get(t.Context(), "k")
			require.NoError(t, err)
			assert.Equal(t, tt.want, u.Counts())
			if tt.give == dualwrite.Complete {
				for _, op := range log.take() {
					assert.NotContains(t, op, "old", "complete touched the old store")
				}
			}
		})
	}
}

func TestColumnsUsage(t *testing.T) {
	var u dualwrite.Usage
	c := dwtest.StatusColumns(dualwrite.Fixed(dualwrite.Complete))
	c.Usage = &u
	ctx := context.Background()
	v, err := c.FromNew(ctx, "active")
	require.NoError(t, err)
	assert.False(t, v.Old.Valid)
	_, err = c.ReadNew(ctx, sql.Null[int]{}, sql.Null[string]{V: "active", Valid: true})
	require.NoError(t, err)
	assert.Equal(t, dualwrite.UsageCounts{NewReads: 1, NewWrites: 1}, u.Counts())

	// A row the backfill missed: complete falls back to the old column, and
	// the count shows the old column is still in use.
	_, err = c.ReadNew(ctx, sql.Null[int]{V: 1, Valid: true}, sql.Null[string]{})
	require.NoError(t, err)
	assert.Equal(t, uint64(1), u.Count(dualwrite.SideOld, dualwrite.OpRead))
}

func TestUsageNilAndBadInput(t *testing.T) {
	var nilUsage *dualwrite.Usage
	nilUsage.Add(dualwrite.SideOld, dualwrite.OpRead)
	assert.Zero(t, nilUsage.Counts())
	var u dualwrite.Usage
	u.Add(0, dualwrite.OpRead)
	u.Add(dualwrite.SideNew, 9)
	assert.Zero(t, u.Counts())
}

func TestUsageAllocatesNothing(t *testing.T) {
	var u dualwrite.Usage
	allocs := testing.AllocsPerRun(1000, func() {
		u.Add(dualwrite.SideOld, dualwrite.OpRead)
		u.Add(dualwrite.SideNew, dualwrite.OpWrite)
	})
	assert.Zero(t, allocs)
}
