package dualwrite_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
)

func null[T any](v T) sql.Null[T] { return sql.Null[T]{V: v, Valid: true} }

func TestColumnsValues(t *testing.T) {
	type want struct {
		old sql.Null[int]
		new sql.Null[string]
	}
	tests := []struct {
		phase    dualwrite.Phase
		fromOld  int
		fromNew  string
		wantOld  want
		wantNew  want
		wantRead string
	}{
		{dualwrite.Off, 1, "pending", want{null(1), sql.Null[string]{}}, want{null(0), sql.Null[string]{}}, "banned"},
		{dualwrite.DualWrite, 1, "pending", want{null(1), null("active")}, want{null(0), null("pending")}, "banned"},
		{dualwrite.Shadow, 0, "active", want{null(0), null("banned")}, want{null(1), null("active")}, "banned"},
		{dualwrite.Live, 1, "pending", want{null(1), null("active")}, want{null(0), null("pending")}, "pending"},
		{dualwrite.RampDown, 1, "banned", want{null(1), null("active")}, want{null(0), null("banned")}, "pending"},
		{dualwrite.Complete, 1, "pending", want{sql.Null[int]{}, null("active")}, want{sql.Null[int]{}, null("pending")}, "pending"},
	}
	for _, tt := range tests {
		t.Run(string(tt.phase), func(t *testing.T) {
			ctx := context.Background()
			c := statusColumns(dualwrite.Fixed(tt.phase))
			v, err := c.FromOld(ctx, tt.fromOld)
			require.NoError(t, err)
			assert.Equal(t, tt.wantOld, want{v.Old, v.New})
			v, err = c.FromNew(ctx, tt.fromNew)
			require.NoError(t, err)
			assert.Equal(t, tt.wantNew, want{v.Old, v.New})
			got, err := c.ReadNew(ctx, null(0), null("pending"))
			require.NoError(t, err)
			assert.Equal(t, tt.wantRead, got)
		})
	}
}

func TestColumnsReadFallsBackWhileNewIsNull(t *testing.T) {
	ctx := context.Background()
	c := statusColumns(dualwrite.Fixed(dualwrite.Live))
	got, err := c.ReadNew(ctx, null(1), sql.Null[string]{})
	require.NoError(t, err)
	assert.Equal(t, "active", got)
	gotOld, err := c.ReadOld(ctx, null(1), null("banned"))
	require.NoError(t, err)
	assert.Equal(t, 0, gotOld, "live reads the new column, also for old code")
	_, err = c.ReadNew(ctx, sql.Null[int]{}, sql.Null[string]{})
	assert.ErrorIs(t, err, dualwrite.ErrNoValue)
}

func TestColumnsUnmappable(t *testing.T) {
	ctx := context.Background()
	strict := statusColumns(dualwrite.Fixed(dualwrite.Shadow))
	strict.OnUnmappable = dualwrite.FailUnmappable
	_, err := strict.FromNew(ctx, "pending")
	var ce *dualwrite.ConvertError
	require.ErrorAs(t, err, &ce)
	assert.ErrorIs(t, err, dualwrite.ErrUnmappable)
	assert.Equal(t, "pending", ce.Value)

	_, err = strict.FromOld(ctx, 7)
	assert.ErrorIs(t, err, dualwrite.ErrUnmappable)
	lenient := statusColumns(dualwrite.Fixed(dualwrite.Shadow))
	_, err = lenient.FromOld(ctx, 7)
	assert.NoError(t, err, "UseFallback also covers Up")

	got, err := lenient.Convert(int64(1))
	require.NoError(t, err)
	assert.Equal(t, "active", got)
	got, err = lenient.Convert(nil)
	require.NoError(t, err)
	assert.Nil(t, got)
	_, err = lenient.Convert("x")
	assert.Error(t, err)

	var empty dualwrite.Columns[int, string]
	_, err = empty.FromOld(ctx, 1)
	assert.ErrorIs(t, err, dualwrite.ErrInvalidConfig)
}

// TestColumnsInvalidSafePhase: a SafePhase that is not a phase is a
// configuration error, never a silent write of NULL to both columns when
// the Phaser fails.
func TestColumnsInvalidSafePhase(t *testing.T) {
	c := statusColumns(dualwrite.PhaseFunc(func(context.Context) (dualwrite.Phase, error) {
		return "", errors.New("flag service down")
	}))
	c.SafePhase = "dual_write"
	_, err := c.FromOld(context.Background(), 1)
	require.ErrorIs(t, err, dualwrite.ErrInvalidConfig)

	c.SafePhase = ""
	v, err := c.FromOld(context.Background(), 1)
	require.NoError(t, err)
	assert.Equal(t, dualwrite.DualWrite, v.Phase, "an empty SafePhase means DualWrite")
	assert.Equal(t, null(1), v.Old)
}
