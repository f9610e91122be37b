package main

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray/guard"
)

// requestApproval stores what the judge stores when the next step needs
// a person's approval: checkout-v2 awaits it at 1%, to enter 5%.
func requestApproval(t *testing.T, a *app) guard.State {
	t.Helper()
	ctx := context.Background()
	cur, err := a.store.Load(ctx, "checkout-v2")
	require.NoError(t, err)
	next := cur
	next.Phase = guard.PhaseAwaiting
	ev := guard.Evidence{
		Verdict: guard.VerdictAdvance, Why: "held 10m0s with 1200 canary requests",
		Canary: guard.Sample{Requests: 1200, Errors: 12}, Stable: guard.Sample{Requests: 90000, Errors: 900}, ErrorUpper: 0.0042,
	}
	st, err := a.store.CompareAndSwap(ctx, cur.Version, next, guard.Transition{
		Action: guard.ActionRequestApproval, Actor: "guard/a", Reason: "5% awaits approval: " + ev.Why, At: cur.StepStarted,
		FromPhase: cur.Phase, ToPhase: next.Phase, FromShare: cur.Share, ToShare: cur.Share, Evidence: &ev,
	})
	require.NoError(t, err)
	return st
}

func TestPendingApprovals(t *testing.T) {
	a := newApp(t)
	st := requestApproval(t, a)

	code, out, errOut := runRemote(a, viewerToken, "status")
	require.Equal(t, exitOK, code, errOut)
	assert.Regexp(t, `checkout-v2\s+awaiting-approval\s+1%\s+1/4`, out)
	assert.Contains(t, out, "pending approvals:\n  checkout-v2 → 5%, asked by guard/a at ")
	assert.Contains(t, out, "evidence: canary 1.00% errors of 1200, stable 1.00% errors of 90000; error-rate difference at most 0.0042")
	assert.Contains(t, out, "approve: graykit approve checkout-v2 --expect-version 2")

	code, _, errOut = runRemote(a, viewerToken, "approve", "checkout-v2")
	assert.Equal(t, exitFail, code, "a viewer cannot approve")
	assert.Contains(t, errOut, "needs operator")

	code, out, errOut = runRemote(a, operatorToken, "approve", "checkout-v2", "--expect-version", "2", "--reason", "dashboards agree")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "checkout-v2: running, share 5% (version 3)")
	got, err := a.store.Load(context.Background(), "checkout-v2")
	require.NoError(t, err)
	assert.Equal(t, guard.ActionApprove, got.Last.Action)
	assert.Equal(t, "olga", got.Last.Actor)
	assert.Equal(t, st.Last.Evidence, got.Last.Evidence, "the audit keeps the evidence approved on")

	code, _, errOut = runRemote(a, operatorToken, "approve", "checkout-v2", "--expect-version", "2")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "since you looked", "a stale approval changes nothing")
}

func TestWaitShowsAPendingApproval(t *testing.T) {
	a := newApp(t)
	a.beforePoll = func(n int) {
		switch n {
		case 0:
			requestApproval(t, a)
		case 2:
			_, err := a.ctrls[0].Approve(context.Background(), "checkout-v2", "olga", "go")
			require.NoError(t, err)
		}
	}
	code, out, errOut := runRemote(a, viewerToken, "wait", "checkout-v2", "--interval", "1ms", "--until", "step:2")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "checkout-v2: awaiting-approval at step 1/4 (1%)")
	assert.Contains(t, out, "waiting for a person to approve 5%: graykit approve checkout-v2 --expect-version 2")
	assert.Contains(t, out, "reached step 2/4 (5%) (approve by olga: go); exit 0")
}
