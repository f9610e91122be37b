package dualwrite_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/dualwrite"
)

func TestPhaseOrders(t *testing.T) {
	type want struct {
		first, second, read, compare, auth dualwrite.Side
	}
	o, n := dualwrite.SideOld, dualwrite.SideNew
	tests := []struct {
		give dualwrite.Phase
		want want
	}{
		{dualwrite.Off, want{o, 0, o, 0, o}},
		{dualwrite.DualWrite, want{o, n, o, 0, o}},
		{dualwrite.Shadow, want{o, n, o, n, o}},
		{dualwrite.Live, want{n, o, n, o, n}},
		{dualwrite.RampDown, want{n, o, n, 0, n}},
		{dualwrite.Complete, want{n, 0, n, 0, n}},
		{"bogus", want{}},
	}
	for _, tt := range tests {
		t.Run(string(tt.give), func(t *testing.T) {
			var got want
			got.first, got.second = tt.give.Writes()
			got.read, got.compare = tt.give.Reads()
			got.auth = tt.give.Authoritative()
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParsePhase(t *testing.T) {
	tests := []struct {
		give    string
		want    dualwrite.Phase
		wantErr bool
	}{
		{give: "off", want: dualwrite.Off},
		{give: "dual-write", want: dualwrite.DualWrite},
		{give: "shadow", want: dualwrite.Shadow},
		{give: "live", want: dualwrite.Live},
		{give: "ramp-down", want: dualwrite.RampDown},
		{give: "complete", want: dualwrite.Complete},
		{give: "Live", wantErr: true},
		{give: "", wantErr: true},
		{give: "shdow", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := dualwrite.ParsePhase(tt.give)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantErr, errors.Is(err, dualwrite.ErrUnknownPhase), "err = %v", err)
		})
	}
	assert.Len(t, dualwrite.Phases(), 6)
}

func TestFixedAndSwitch(t *testing.T) {
	ctx := context.Background()
	p, err := dualwrite.Fixed(dualwrite.Live).Phase(ctx)
	require.NoError(t, err)
	assert.Equal(t, dualwrite.Live, p)
	_, err = dualwrite.Fixed("nope").Phase(ctx)
	assert.ErrorIs(t, err, dualwrite.ErrUnknownPhase)

	var s dualwrite.Switch
	p, err = s.Phase(ctx)
	require.NoError(t, err)
	assert.Equal(t, dualwrite.Off, p, "zero Switch is off")
	require.NoError(t, s.Set(dualwrite.Shadow))
	assert.ErrorIs(t, s.Set("bad"), dualwrite.ErrUnknownPhase)
	p, _ = s.Phase(ctx)
	assert.Equal(t, dualwrite.Shadow, p, "a bad Set leaves the phase alone")
	_, err = dualwrite.NewSwitch("bad")
	assert.Error(t, err)
}
