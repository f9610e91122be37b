package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/internal/guardtest"
)

// judgeAdvances lets replica b's judge see a healthy checkout-v2 past the
// plan's ten-minute hold and advance it one step, and reports whether it
// did. It only asserts (never stops the test): it may run in the server's
// goroutine.
func judgeAdvances(t *testing.T, a *app, clock *guardtest.Clock) bool {
	t.Helper()
	cs := a.ctrls[1].Counters()
	for range 1500 {
		cs.ObserveOutcome(gray.Outcome{Rollout: "checkout-v2", Variant: "stable", Status: 200, Latency: 40 * time.Millisecond})
		cs.ObserveOutcome(gray.Outcome{Rollout: "checkout-v2", Variant: "canary", Status: 200, Latency: 40 * time.Millisecond})
	}
	clock.Add(10*time.Minute + 10*time.Second)
	if !assert.NoError(t, a.ctrls[1].Tick(t.Context())) {
		return false
	}
	st, err := a.store.Load(t.Context(), "checkout-v2")
	return assert.NoError(t, err) && assert.Equal(t, guard.ActionAdvance, st.Last.Action, "the judge advanced: %+v", st.Last)
}

// TestActionAfterTheStateMoved is issue 12 from a terminal: when the judge
// advances between the server loading the state and storing the action, or
// before an action given the version its caller saw, the command changes
// nothing, says what changed, and exits 1.
func TestActionAfterTheStateMoved(t *testing.T) {
	tests := []struct {
		name string
		// before: the judge advances before the command; between: after
		// the server loaded the state for the action.
		before, between bool
		give            []string
		wantCode        int
		wantErr         string
		wantShare       float64
	}{
		{name: "advance racing the judge", between: true, give: []string{"advance", "checkout-v2"}, wantCode: exitFail,
			wantErr:   "graykit: checkout-v2 moved to step 2 (5%) since you looked (advance by guard/b); nothing was changed; run again to advance from there\n",
			wantShare: 5},
		{name: "advance at a version the judge moved from", before: true, give: []string{"advance", "checkout-v2", "--expect-version", "1"}, wantCode: exitFail,
			wantErr:   "graykit: checkout-v2 moved to step 2 (5%) since you looked (advance by guard/b); nothing was changed; run again with --expect-version 2 to advance from there\n",
			wantShare: 5},
		{name: "set-share at a version the judge moved from", before: true, give: []string{"set-share", "checkout-v2", "2", "--expect-version", "1"}, wantCode: exitFail,
			wantErr:   "run again with --expect-version 2 to set the share from there\n",
			wantShare: 5},
		{name: "advance at the current version", before: true, give: []string{"advance", "checkout-v2", "--expect-version", "2"}, wantCode: exitOK, wantShare: 20},
		{name: "brake racing the judge still brakes", between: true, give: []string{"brake", "checkout-v2"}, wantCode: exitOK, wantShare: 0},
		{name: "not a version", give: []string{"advance", "checkout-v2", "--expect-version", "-1"}, wantCode: exitUsage,
			wantErr: `invalid value "-1" for flag -expect-version: not a version`, wantShare: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := guardtest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
			store := guardtest.NewInterleavingStore(guard.NewMemoryStore())
			a := newAppOn(t, store, guard.WithClock(clock.Now))
			if tt.before {
				require.True(t, judgeAdvances(t, a, clock))
			}
			if tt.between {
				store.AfterNextLoad(func() { judgeAdvances(t, a, clock) })
			}
			code, _, errOut := runRemote(a, operatorToken, tt.give...)
			assert.Equal(t, tt.wantCode, code, errOut)
			assert.Contains(t, errOut, tt.wantErr)
			st, err := a.store.Load(t.Context(), "checkout-v2")
			require.NoError(t, err)
			assert.Equal(t, tt.wantShare, st.Share)
		})
	}
}

func TestStatusShowsTheVersion(t *testing.T) {
	a := newApp(t)
	code, out, errOut := runRemote(a, viewerToken, "status", "checkout-v2")
	require.Equal(t, exitOK, code, errOut)
	assert.Regexp(t, `\nversion\s+1\n`, out)
}
