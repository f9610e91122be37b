package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray/guard"
)

// judgeRollback stores what the judge stores when it rolls a canary back.
func judgeRollback(t *testing.T, a *app) {
	t.Helper()
	ctx := context.Background()
	cur, err := a.store.Load(ctx, "checkout-v2")
	require.NoError(t, err)
	next := cur
	next.Phase, next.Share, next.Step = guard.PhaseRolledBack, 0, -1
	ev := guard.Evidence{
		Verdict: guard.VerdictRegress, Why: "error rate 0.2000 vs stable 0.0100",
		Canary: guard.Sample{Requests: 500, Errors: 100}, Stable: guard.Sample{Requests: 5000, Errors: 50},
	}
	_, err = a.store.CompareAndSwap(ctx, cur.Version, next, guard.Transition{
		Action: guard.ActionRollback, Actor: "guard/a", Reason: ev.Why, At: cur.StepStarted,
		FromPhase: cur.Phase, ToPhase: next.Phase, FromShare: cur.Share, Evidence: &ev,
	})
	require.NoError(t, err)
}

func TestWait(t *testing.T) {
	type act func(t *testing.T, a *app)
	on := func(f func(ctx context.Context, x *guard.Actions) (guard.State, error)) act {
		return func(t *testing.T, a *app) {
			_, err := f(context.Background(), a.ctrls[0].Actions)
			require.NoError(t, err)
		}
	}
	advance := on(func(ctx context.Context, x *guard.Actions) (guard.State, error) {
		return x.Advance(ctx, "checkout-v2", "guard/b", "held 10m")
	})
	promote := on(func(ctx context.Context, x *guard.Actions) (guard.State, error) {
		return x.Promote(ctx, "checkout-v2", "olga", "looks fine")
	})
	brake := on(func(ctx context.Context, x *guard.Actions) (guard.State, error) {
		return x.Brake(ctx, "checkout-v2", "alertmanager", "alert HighErrorRate")
	})
	pause := on(func(ctx context.Context, x *guard.Actions) (guard.State, error) {
		return x.Pause(ctx, "checkout-v2", "olga", "checking a dashboard")
	})
	tests := []struct {
		name     string
		give     []string // flags after "wait checkout-v2"
		script   []act    // run before the console answers poll 1, 2, …
		wantCode int
		wantOut  []string
	}{
		{
			name: "promoted", script: []act{nil, advance, promote}, wantCode: exitOK,
			wantOut: []string{
				"checkout-v2: running at step 1/4 (1%), ",
				"checkout-v2: running at step 2/4 (5%), ",
				"checkout-v2: promoted to 100% (promote by olga: looks fine); exit 0",
			},
		},
		{
			name: "rolled back by the judge", script: []act{nil, judgeRollback}, wantCode: exitRolledBack,
			wantOut: []string{
				"ROLLED BACK (rollback by guard/a: error rate 0.2000 vs stable 0.0100); exit 3",
				"evidence: canary 20.00% errors of 500, stable 1.00% errors of 5000",
			},
		},
		{
			name: "braked", script: []act{nil, brake}, wantCode: exitStopped,
			wantOut: []string{"BRAKED (brake by alertmanager: alert HighErrorRate); exit 4"},
		},
		{
			name: "paused", script: []act{pause}, wantCode: exitStopped,
			wantOut: []string{"PAUSED at 1% (pause by olga: checking a dashboard); exit 4"},
		},
		{
			name: "until a step", give: []string{"--until", "step:2"}, script: []act{nil, advance}, wantCode: exitOK,
			wantOut: []string{"reached step 2/4 (5%) (advance by guard/b: held 10m); exit 0"},
		},
		{
			name: "until a share", give: []string{"--until", "share:5%"}, script: []act{advance}, wantCode: exitOK,
			wantOut: []string{"reached step 2/4 (5%)"},
		},
		{
			name: "a share already reached, even if paused", give: []string{"--until", "share:1"}, script: []act{pause}, wantCode: exitOK,
			wantOut: []string{"reached step 1/4 (1%)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(t)
			a.beforePoll = func(n int) {
				if n < len(tt.script) && tt.script[n] != nil {
					tt.script[n](t, a)
				}
			}
			args := append([]string{"wait", "checkout-v2", "--interval", "1ms", "--timeout", "1m"}, tt.give...)
			code, out, errOut := runRemote(a, viewerToken, args...)
			require.Equal(t, tt.wantCode, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			for _, w := range tt.wantOut {
				assert.Contains(t, out, w)
			}
		})
	}
}

func TestWaitJSON(t *testing.T) {
	a := newApp(t)
	a.beforePoll = func(n int) {
		if n == 1 {
			judgeRollback(t, a)
		}
	}
	code, out, errOut := runRemote(a, viewerToken, "wait", "checkout-v2", "--interval", "1ms", "--json")
	require.Equal(t, exitRolledBack, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, "one progress line, then the end")
	var first, last waitEvent
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	require.NoError(t, json.Unmarshal([]byte(lines[1]), &last))
	assert.Equal(t, "progress", first.Event)
	assert.Equal(t, 1, first.Step)
	assert.Equal(t, 4, first.Steps)
	assert.Equal(t, "done", last.Event)
	assert.Equal(t, "rolled-back", last.Result)
	require.NotNil(t, last.Exit)
	assert.Equal(t, exitRolledBack, *last.Exit)
	require.NotNil(t, last.Last)
	require.NotNil(t, last.Last.Evidence, "the judge's evidence travels with the result")
	assert.Equal(t, uint64(100), last.Last.Evidence.Canary.Errors)
}

func TestWaitFails(t *testing.T) {
	tests := []struct {
		name     string
		give     []string
		wantCode int
		wantErr  string
	}{
		{name: "timeout", give: []string{"wait", "checkout-v2", "--timeout", "20ms", "--interval", "1h"}, wantCode: exitTimeout, wantErr: "checkout-v2: timed out"},
		{name: "unknown rollout", give: []string{"wait", "nope"}, wantCode: exitFail, wantErr: "unknown rollout"},
		{name: "bad goal", give: []string{"wait", "checkout-v2", "--until", "step:0"}, wantCode: exitUsage, wantErr: "not a step number"},
		{name: "steps without a plan", give: []string{"wait", "banner", "--until", "step:2"}, wantCode: exitUsage, wantErr: "banner has no plan"},
		{name: "no rollout", give: []string{"wait"}, wantCode: exitUsage, wantErr: "want ROLLOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newApp(t)
			code, out, errOut := runRemote(a, viewerToken, tt.give...)
			require.Equal(t, tt.wantCode, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			assert.Contains(t, errOut, tt.wantErr)
		})
	}
}

func TestWaitUnreachableRetriesUntilTimeout(t *testing.T) {
	var stdout, stderr strings.Builder
	vars := map[string]string{"GRAYKIT_URL": "http://127.0.0.1:1/", "GRAYKIT_TOKEN": viewerToken}
	code := runEnv([]string{"wait", "checkout-v2", "--interval", "1ms", "--timeout", "50ms"},
		&env{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return vars[k] }})
	assert.Equal(t, exitTimeout, code)
	assert.Equal(t, 1, strings.Count(stderr.String(), "trying again"), "a run of failures is reported once")
	assert.Contains(t, stderr.String(), "the last poll failed")
}

func TestStartCommand(t *testing.T) {
	a := newApp(t)
	_, err := a.ctrls[0].Promote(context.Background(), "checkout-v2", "olga", "release 1")
	require.NoError(t, err)
	code, out, errOut := runRemote(a, operatorToken, "start", "checkout-v2", "--reason", "deploy 2")
	require.Equal(t, exitOK, code, errOut)
	assert.Contains(t, out, "checkout-v2: running, share 1%")
	st, err := a.store.Load(context.Background(), "checkout-v2")
	require.NoError(t, err)
	assert.Equal(t, guard.ActionStart, st.Last.Action)
	assert.Equal(t, "olga", st.Last.Actor)
	assert.Equal(t, "deploy 2", st.Last.Reason)

	code, _, errOut = runRemote(a, operatorToken, "start", "banner")
	assert.Equal(t, exitFail, code)
	assert.Contains(t, errOut, "rollout has no plan")
}
