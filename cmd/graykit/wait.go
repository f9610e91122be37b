package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/gray/guard"
)

// Exit codes of wait, past the common ones (0 done, 1 failure, 2 usage).
const (
	// exitRolledBack: the judge rolled the canary back.
	exitRolledBack = 3
	// exitStopped: someone or something stopped the rollout: a brake (a
	// person, an alert) or a pause (a person, or the judge with
	// on_regression: pause).
	exitStopped = 4
	// exitTimeout: --timeout passed first.
	exitTimeout = 5
)

const waitSynopsis = "ROLLOUT [--until step:N|share:P] [--timeout D] [--interval D] [--progress D] [--url U] [--token T] [--json]"

const waitHelp = `
Blocks until the rollout is done, printing a progress line whenever its
phase, step or share changes (and at least every --progress): phase, step,
share, time in the step, and canary vs stable errors over the console's
recent window, summed over replicas. A CI job runs it after 'graykit start'.

Exit status:
  0  promoted to 100%, or --until reached
  1  failure: no such rollout, no console at --url, the token refused
  2  usage error
  3  rolled back by the judge (the canary was worse than stable)
  4  stopped: braked (by a person or an alert) or paused
  5  --timeout passed first

--until step:N returns 0 once the plan is at step N (1-based, as 'graykit
status' shows it) or later; --until share:P once the share is at least P%.
Errors reaching the console are retried until --timeout; an answer that
will not change (401, 403, 404) ends the wait with 1.
`

// until is the goal of --until: a step (1-based) or a share; zero is
// "promoted".
type until struct {
	step  int
	share float64
	set   bool
}

func (u *until) String() string {
	switch {
	case !u.set:
		return ""
	case u.step > 0:
		return "step:" + strconv.Itoa(u.step)
	default:
		return "share:" + strconv.FormatFloat(u.share, 'f', -1, 64)
	}
}

func (u *until) Set(s string) error {
	kind, val, ok := strings.Cut(s, ":")
	switch {
	case ok && kind == "step":
		n, err := strconv.Atoi(val)
		if err != nil || n < 1 {
			return fmt.Errorf("step %q is not a step number (1, 2, …)", val)
		}
		u.step, u.set = n, true
	case ok && kind == "share":
		p, err := strconv.ParseFloat(strings.TrimSuffix(val, "%"), 64)
		if err != nil || p <= 0 || p > 100 {
			return fmt.Errorf("share %q is not a percentage above 0 and at most 100", val)
		}
		u.share, u.set = p, true
	default:
		return fmt.Errorf("%q is neither step:N nor share:P", s)
	}
	return nil
}

// waitEvent is one line of `wait --json`: a progress report, or the end.
type waitEvent struct {
	// Event is "progress" or "done".
	Event   string      `json:"event"`
	Time    time.Time   `json:"time"`
	Rollout string      `json:"rollout"`
	Phase   guard.Phase `json:"phase"`
	// Step is 1-based, 0 below the first step; Steps is 0 without a plan.
	Step    int     `json:"step"`
	Steps   int     `json:"steps"`
	Share   float64 `json:"share"`
	Version int64   `json:"version"`
	// Awaits is the share a rollout awaiting approval would enter.
	Awaits float64 `json:"awaits,omitempty"`
	// InStepSeconds is how long the current step has lasted.
	InStepSeconds float64 `json:"in_step_seconds"`
	// Canary and Stable are the console's recent outcomes (all replicas).
	Canary admin.Point `json:"canary"`
	Stable admin.Point `json:"stable"`
	// Result says how the wait ended: promoted, reached, rolled-back,
	// braked, paused or timeout; Exit is the exit status.
	Result string `json:"result,omitempty"`
	Exit   *int   `json:"exit,omitempty"`
	// Last is the transition that ended the wait, with who, why and the
	// judge's evidence.
	Last *guard.Transition `json:"last,omitempty"`
}

func runWait(e *env, args []string) int {
	fs := newFlags("wait", waitSynopsis, e.stderr)
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(e.stderr, waitHelp)
	}
	rf := addConnFlags(fs, e)
	var goal until
	fs.Var(&goal, "until", "return 0 at `GOAL` instead of at promotion: step:N (1-based) or share:P")
	fs.DurationVar(&rf.timeout, "timeout", time.Hour, "give up after this long (exit 5)")
	interval := fs.Duration("interval", 10*time.Second, "how often to ask the console")
	progress := fs.Duration("progress", time.Minute, "print a progress line at least this often")
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(e.stderr, "graykit wait: want %s\n", waitSynopsis)
		return exitUsage
	}
	if rf.timeout <= 0 || *interval <= 0 {
		fmt.Fprintln(e.stderr, "graykit wait: --timeout and --interval must be above 0")
		return exitUsage
	}
	rf.request = min(15*time.Second, rf.timeout)
	c, err := rf.client(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit wait: %v\n", err)
		return exitUsage
	}
	w := &waiter{e: e, c: c, name: pos[0], goal: goal, asJSON: rf.asJSON, progress: *progress}
	ctx, cancel := context.WithTimeout(context.Background(), rf.timeout)
	defer cancel()
	return w.run(ctx, *interval)
}

// waiter polls one rollout until it is done.
type waiter struct {
	e        *env
	c        *client
	name     string
	goal     until
	asJSON   bool
	progress time.Duration

	printed   bool
	lastKey   string // phase, step, share and version last printed
	lastPrint time.Time
	lastErr   error
}

func (w *waiter) run(ctx context.Context, interval time.Duration) int {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return w.timedOut()
		case <-t.C:
		}
		var v admin.RolloutView
		err := w.c.call(ctx, http.MethodGet, "api/rollouts/"+url.PathEscape(w.name), nil, &v)
		switch {
		case err == nil:
			w.lastErr = nil
			if code, done := w.observe(v); done {
				return code
			}
		case ctx.Err() != nil:
			return w.timedOut()
		case permanent(err):
			fmt.Fprintf(w.e.stderr, "graykit wait: %v\n", err)
			return exitFail
		default:
			if w.lastErr == nil { // say it once per run of failures
				fmt.Fprintf(w.e.stderr, "graykit wait: %v; trying again every %v\n", err, interval)
			}
			w.lastErr = err
		}
		t.Reset(interval)
	}
}

// permanent reports whether asking again cannot change the answer.
func permanent(err error) bool {
	var ae *apiError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		return true
	}
	return false
}

func (w *waiter) timedOut() int {
	code := exitTimeout
	if w.asJSON {
		writeJSONLine(w.e.stdout, waitEvent{Event: "done", Time: time.Now().UTC(), Rollout: w.name, Result: "timeout", Exit: &code})
	}
	msg := fmt.Sprintf("graykit wait: %s: timed out", w.name)
	if w.lastErr != nil {
		msg += "; the last poll failed: " + w.lastErr.Error()
	}
	fmt.Fprintln(w.e.stderr, msg)
	return code
}

// observe reports a polled view and says whether the wait is over, with
// its exit status.
func (w *waiter) observe(v admin.RolloutView) (int, bool) {
	st := v.State
	if st == nil {
		fmt.Fprintf(w.e.stderr, "graykit wait: %s is not managed by the console's backend: nothing to wait for\n", w.name)
		return exitFail, true
	}
	if w.goal.step > 0 && v.Plan == nil {
		fmt.Fprintf(w.e.stderr, "graykit wait: %s has no plan, so no steps; use --until share:P\n", w.name)
		return exitUsage, true
	}
	now := w.c.date
	if now.IsZero() {
		now = time.Now()
	}
	ev := w.event(v, now)
	result, code := w.outcome(v)
	if result == "" {
		key := fmt.Sprintf("%s %d %v %d", st.Phase, st.Step, st.Share, st.Version)
		if !w.printed || key != w.lastKey || now.Sub(w.lastPrint) >= w.progress {
			w.print(ev)
			w.printed, w.lastKey, w.lastPrint = true, key, now
		}
		return 0, false
	}
	ev.Event, ev.Result, ev.Exit = "done", result, &code
	last := st.Last
	ev.Last = &last
	w.print(ev)
	return code, true
}

// outcome is how the wait ends at v, or "" to go on.
func (w *waiter) outcome(v admin.RolloutView) (string, int) {
	st := v.State
	if st.Phase == guard.PhasePromoted {
		return "promoted", exitOK
	}
	if st.Phase != guard.PhaseRolledBack && w.goal.set &&
		(w.goal.step > 0 && st.Step+1 >= w.goal.step || w.goal.step == 0 && st.Share >= w.goal.share) {
		return "reached", exitOK
	}
	switch {
	case st.Phase == guard.PhaseRolledBack && st.Last.Action == guard.ActionRollback:
		return "rolled-back", exitRolledBack
	case st.Phase == guard.PhaseRolledBack:
		return "braked", exitStopped
	case st.Phase == guard.PhasePaused:
		return "paused", exitStopped
	}
	return "", 0
}

func (w *waiter) event(v admin.RolloutView, now time.Time) waitEvent {
	st := v.State
	canary, stable := metricsOf(v)
	ev := waitEvent{
		Event: "progress", Time: now.UTC(), Rollout: v.Name, Phase: st.Phase,
		Share: st.Share, Version: st.Version, Canary: canary, Stable: stable,
	}
	if v.Plan == nil && st.Phase == guard.PhaseRunning {
		ev.Share = v.Share // the configuration decides
	}
	if v.Plan != nil {
		ev.Steps = len(v.Plan.WithDefaults().Steps)
		ev.Step = st.Step + 1
		if st.Phase == guard.PhaseAwaiting {
			ev.Awaits = awaited(v)
		}
	}
	if !st.StepStarted.IsZero() {
		ev.InStepSeconds = max(now.Sub(st.StepStarted), 0).Seconds()
	}
	return ev
}

func (w *waiter) print(ev waitEvent) {
	if w.asJSON {
		writeJSONLine(w.e.stdout, ev)
		return
	}
	out := w.e.stdout
	at := ev.Time.Format(time.RFC3339)
	if ev.Event == "done" {
		fmt.Fprintf(out, "%s %s: %s\n", at, ev.Rollout, doneText(ev))
		if l := ev.Last; l != nil && l.Evidence != nil {
			fmt.Fprintf(out, "  evidence: canary %s, stable %s; %s\n",
				errText(l.Evidence.Canary.Errors, l.Evidence.Canary.Requests),
				errText(l.Evidence.Stable.Errors, l.Evidence.Stable.Requests), l.Evidence.Why)
		}
		return
	}
	where := fmtPercent(ev.Share)
	if ev.Steps > 0 {
		where = fmt.Sprintf("step %d/%d (%s)", ev.Step, ev.Steps, where)
	}
	inStep := (time.Duration(ev.InStepSeconds) * time.Second).String()
	fmt.Fprintf(out, "%s %s: %s at %s, %s in step; canary %s, stable %s\n", at, ev.Rollout, ev.Phase, where, inStep,
		errText(ev.Canary.Errors, ev.Canary.Requests), errText(ev.Stable.Errors, ev.Stable.Requests))
	if ev.Awaits > 0 {
		fmt.Fprintf(out, "  waiting for a person to approve %s: graykit approve %s --expect-version %d\n", fmtPercent(ev.Awaits), ev.Rollout, ev.Version)
	}
}

// doneText says how a wait ended and who did it.
func doneText(ev waitEvent) string {
	var what string
	switch ev.Result {
	case "promoted":
		what = "promoted to 100%"
	case "reached":
		what = "reached " + fmtPercent(ev.Share)
		if ev.Steps > 0 {
			what = fmt.Sprintf("reached step %d/%d (%s)", ev.Step, ev.Steps, fmtPercent(ev.Share))
		}
	case "rolled-back":
		what = "ROLLED BACK"
	case "braked":
		what = "BRAKED"
	case "paused":
		what = "PAUSED at " + fmtPercent(ev.Share)
	}
	if l := ev.Last; l != nil && l.Action != "" {
		what += fmt.Sprintf(" (%s by %s", l.Action, l.Actor)
		if l.Reason != "" {
			what += ": " + l.Reason
		}
		what += ")"
	}
	return fmt.Sprintf("%s; exit %d", what, *ev.Exit)
}

// errText is "0.12% errors of 1234".
func errText(errs, reqs uint64) string {
	if reqs == 0 {
		return "no requests"
	}
	return fmt.Sprintf("%.2f%% errors of %d", 100*float64(errs)/float64(reqs), reqs)
}

// writeJSONLine writes v as one line of JSON.
func writeJSONLine(w io.Writer, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return
	}
	_, _ = w.Write(append(data, '\n'))
}
