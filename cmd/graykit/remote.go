package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/gray/guard"
)

// remoteFlags are the flags every command against the admin API takes.
type remoteFlags struct {
	url     string
	token   string
	asJSON  bool
	timeout time.Duration
	// request bounds one API call when it differs from timeout (wait's
	// --timeout is the whole wait); zero means timeout.
	request time.Duration
}

func addRemoteFlags(fs *flag.FlagSet, e *env) *remoteFlags {
	rf := addConnFlags(fs, e)
	fs.DurationVar(&rf.timeout, "timeout", 15*time.Second, "give up after this long")
	return rf
}

// addConnFlags adds the flags of addRemoteFlags but --timeout, for a
// command that gives --timeout its own meaning.
func addConnFlags(fs *flag.FlagSet, e *env) *remoteFlags {
	rf := &remoteFlags{}
	fs.StringVar(&rf.url, "url", e.getenv("GRAYKIT_URL"), "the console's URL, e.g. https://app.internal/graykit/ (default $GRAYKIT_URL)")
	fs.StringVar(&rf.token, "token", "", "bearer token (default $GRAYKIT_TOKEN; prefer the variable)")
	fs.BoolVar(&rf.asJSON, "json", false, "print JSON")
	return rf
}

// client talks to the admin API.
type client struct {
	base  *url.URL
	token string
	http  *http.Client
	// date is the server's clock (its Date header) at the last answer,
	// zero when it sent none.
	date time.Time
}

func (rf *remoteFlags) client(e *env) (*client, error) {
	if rf.token == "" {
		rf.token = e.getenv("GRAYKIT_TOKEN")
	}
	if rf.url == "" {
		return nil, errors.New("--url (or GRAYKIT_URL) is required")
	}
	if rf.token == "" {
		return nil, errors.New("--token (or GRAYKIT_TOKEN) is required")
	}
	u, err := url.Parse(rf.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q is not an http(s) URL", rf.url)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		fmt.Fprintf(e.stderr, "graykit: warning: sending the token over plain HTTP to %s\n", u.Host)
	}
	per := rf.timeout
	if rf.request > 0 {
		per = rf.request
	}
	return &client{base: u, token: rf.token, http: &http.Client{Timeout: per}}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// call sends one API request and decodes the answer into out.
func (c *client) call(ctx context.Context, method, path string, body, out any) error {
	u := c.base.JoinPath(path)
	if i := strings.IndexByte(path, '?'); i >= 0 {
		u = c.base.JoinPath(path[:i])
		u.RawQuery = path[i+1:]
	}
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if method == http.MethodPost {
		req.Header.Set(admin.CSRFHeader, "1")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
	}
	res, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	c.date, _ = http.ParseTime(res.Header.Get("Date"))
	data, err := io.ReadAll(io.LimitReader(res.Body, 32<<20))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		var e admin.ErrorResponse
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			return &apiError{status: res.StatusCode, resp: e}
		}
		return fmt.Errorf("HTTP %d from %s: is --url the console's address?", res.StatusCode, u.Redacted())
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("reading the answer of %s: %w", u.Redacted(), err)
	}
	return nil
}

// apiError is an error answer of the admin API.
type apiError struct {
	status int
	resp   admin.ErrorResponse
}

func (e *apiError) Error() string { return fmt.Sprintf("%s (HTTP %d)", e.resp.Error, e.status) }

func runStatus(e *env, args []string) int {
	fs := newFlags("status", "[ROLLOUT] [--url U] [--token T] [--json]", e.stderr)
	rf := addRemoteFlags(fs, e)
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintln(e.stderr, "graykit status: at most one ROLLOUT")
		return exitUsage
	}
	c, err := rf.client(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit status: %v\n", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), rf.timeout)
	defer cancel()
	var views []admin.RolloutView
	if len(pos) == 1 {
		var v admin.RolloutView
		err = c.call(ctx, http.MethodGet, "api/rollouts/"+url.PathEscape(pos[0]), nil, &v)
		views = []admin.RolloutView{v}
	} else {
		var rs admin.RolloutsResponse
		err = c.call(ctx, http.MethodGet, "api/rollouts", nil, &rs)
		views = rs.Rollouts
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit status: %v\n", err)
		return exitFail
	}
	if rf.asJSON {
		if len(pos) == 1 {
			return writeJSON(e.stdout, views[0])
		}
		return writeJSON(e.stdout, views)
	}
	rows := [][]string{{"ROLLOUT", "PHASE", "SHARE", "STEP", "CANARY REQ", "CANARY ERR", "STABLE ERR", "CANARY P95", "STABLE P95", "LAST"}}
	for _, v := range views {
		rows = append(rows, statusRow(v))
	}
	table(e.stdout, rows)
	printApprovals(e, views)
	if len(pos) == 1 {
		printDetail(e, views[0])
	}
	return exitOK
}

// printApprovals lists the rollouts awaiting a person's approval, with
// what they await, who asked, the evidence and the command that approves.
func printApprovals(e *env, views []admin.RolloutView) {
	first := true
	for _, v := range views {
		if v.State == nil || v.State.Phase != guard.PhaseAwaiting || v.Plan == nil {
			continue
		}
		if first {
			fmt.Fprintln(e.stdout, "\npending approvals:")
			first = false
		}
		st, t := v.State, v.State.Last
		fmt.Fprintf(e.stdout, "  %s → %s, asked by %s at %s\n", v.Name, fmtPercent(awaited(v)), t.Actor, t.At.Format(time.RFC3339))
		if ev := t.Evidence; ev != nil {
			fmt.Fprintf(e.stdout, "    evidence: canary %s, stable %s; error-rate difference at most %.4f\n",
				errText(ev.Canary.Errors, ev.Canary.Requests), errText(ev.Stable.Errors, ev.Stable.Requests), ev.ErrorUpper)
		}
		fmt.Fprintf(e.stdout, "    approve: graykit approve %s --expect-version %d\n", v.Name, st.Version)
	}
}

// awaited is the share a rollout awaiting approval would enter: its
// plan's next step, or 100 past the last.
func awaited(v admin.RolloutView) float64 {
	for _, s := range v.Plan.WithDefaults().Steps {
		if s > v.State.Share {
			return s
		}
	}
	return 100
}

// statusRow is one rollout's line in `graykit status`.
func statusRow(v admin.RolloutView) []string {
	phase, share, step, last := "unmanaged", v.Share, "-", "-"
	if !v.Enabled {
		phase = "off"
	}
	if v.State != nil {
		phase = string(v.State.Phase)
		// Without a plan, running means the configuration decides: show
		// what is in force.
		if v.Plan != nil || v.State.Phase != guard.PhaseRunning {
			share = v.State.Share
		} else if !v.Enabled {
			phase = "off"
		}
		if v.Plan != nil {
			n := len(v.Plan.WithDefaults().Steps)
			if v.State.Step >= 0 {
				step = fmt.Sprintf("%d/%d", v.State.Step+1, n)
			} else {
				step = fmt.Sprintf("0/%d", n)
			}
		}
		if v.State.Last.Action != "" {
			last = fmt.Sprintf("%s by %s", v.State.Last.Action, v.State.Last.Actor)
		}
	}
	canary, stable := metricsOf(v)
	return []string{
		v.Name, phase, fmtPercent(share), step,
		strconv.FormatUint(canary.Requests, 10), rate(canary), rate(stable),
		latency(canary.Requests, canary.P95), latency(stable.Requests, stable.P95), last,
	}
}

// metricsOf returns the totals of the first new variant and the default.
func metricsOf(v admin.RolloutView) (canary, stable admin.Point) {
	name := "canary"
	for _, x := range v.Variants {
		if x.Name != v.Default {
			name = x.Name
			break
		}
	}
	for _, m := range v.Metrics.Variants {
		switch m.Variant {
		case name:
			canary = m.Total
		case v.Default:
			stable = m.Total
		}
	}
	return canary, stable
}

func rate(p admin.Point) string {
	if p.Requests == 0 {
		return "-"
	}
	return strconv.FormatFloat(p.ErrorRate*100, 'f', 2, 64) + "%"
}

func latency(requests uint64, ms float64) string {
	if requests == 0 {
		return "-"
	}
	return (time.Duration(ms * float64(time.Millisecond))).Round(100 * time.Microsecond).String()
}

// printDetail writes what `status ROLLOUT` adds under the table.
func printDetail(e *env, v admin.RolloutView) {
	fmt.Fprintln(e.stdout)
	def := v.Default
	if !v.DefaultValue.IsZero() {
		def += " = " + v.DefaultValue.JSON()
	}
	rows := [][]string{{"salt", v.Salt}, {"default", def}}
	for _, vs := range v.Variants {
		val := ""
		if !vs.Value.IsZero() {
			val = " = " + vs.Value.JSON()
		}
		rows = append(rows, []string{"variant", vs.Name + " " + fmtPercent(vs.Percent) + " (this replica)" + val})
	}
	for _, r := range v.Rules {
		rows = append(rows, []string{"rule", r.Name + " → " + r.Serve})
	}
	if v.Plan != nil {
		p := v.Plan.WithDefaults()
		steps := make([]string, len(p.Steps))
		for i, s := range p.Steps {
			steps[i] = fmtPercent(s)
		}
		rows = append(rows, []string{"plan", strings.Join(steps, " → ") + ", hold " + p.Hold.String()})
	}
	if s := v.State; s != nil {
		rows = append(rows, []string{"version", strconv.FormatInt(s.Version, 10)})
	}
	if s := v.State; s != nil && s.Last.Action != "" {
		t := s.Last
		rows = append(rows, []string{"last", fmt.Sprintf("%s by %s at %s, %s → %s",
			t.Action, t.Actor, t.At.Format(time.RFC3339), fmtPercent(t.FromShare), fmtPercent(t.ToShare))})
		if t.Reason != "" {
			rows = append(rows, []string{"reason", t.Reason})
		}
	}
	if v.StateError != "" {
		rows = append(rows, []string{"error", v.StateError})
	}
	table(e.stdout, rows)
}

func runAudit(e *env, args []string) int {
	fs := newFlags("audit", "[ROLLOUT] [--limit N] [--url U] [--token T] [--json]", e.stderr)
	rf := addRemoteFlags(fs, e)
	limit := fs.Int("limit", 20, "at most this many entries, newest first")
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintln(e.stderr, "graykit audit: at most one ROLLOUT")
		return exitUsage
	}
	c, err := rf.client(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit audit: %v\n", err)
		return exitUsage
	}
	q := url.Values{"limit": {strconv.Itoa(*limit)}}
	if len(pos) == 1 {
		q.Set("rollout", pos[0])
	}
	ctx, cancel := context.WithTimeout(context.Background(), rf.timeout)
	defer cancel()
	var res admin.AuditResponse
	if err := c.call(ctx, http.MethodGet, "api/audit?"+q.Encode(), nil, &res); err != nil {
		fmt.Fprintf(e.stderr, "graykit audit: %v\n", err)
		return exitFail
	}
	if rf.asJSON {
		return writeJSON(e.stdout, res.Entries)
	}
	rows := [][]string{{"WHEN", "ROLLOUT", "ACTION", "WHO", "PHASE", "SHARE", "REASON"}}
	for _, en := range res.Entries {
		phase := string(en.ToPhase)
		if en.FromPhase != "" && en.FromPhase != en.ToPhase {
			phase = string(en.FromPhase) + " → " + phase
		}
		rows = append(rows, []string{
			en.At.Format(time.RFC3339), en.Rollout, string(en.Action), en.Actor, phase,
			fmtPercent(en.FromShare) + " → " + fmtPercent(en.ToShare), en.Reason,
		})
	}
	table(e.stdout, rows)
	return exitOK
}

// actionCommand returns the command for one action without an argument.
func actionCommand(action string) func(*env, []string) int {
	return func(e *env, args []string) int {
		return runAction(e, action, args)
	}
}

func runSetShare(e *env, args []string) int {
	return runAction(e, "set-share", args)
}

func runAction(e *env, action string, args []string) int {
	synopsis := "ROLLOUT [--reason R] [--expect-version N] [--url U] [--token T] [--json]"
	want := 1
	if action == "set-share" {
		synopsis = "ROLLOUT PERCENT [--reason R] [--expect-version N] [--url U] [--token T] [--json]"
		want = 2
	}
	fs := newFlags(action, synopsis, e.stderr)
	rf := addRemoteFlags(fs, e)
	reason := fs.String("reason", "", "why, for the audit trail")
	var version *int64
	fs.Func("expect-version", "act only if the rollout's state is still at version `N` (as 'graykit status ROLLOUT' shows it); otherwise change nothing and exit 1", func(s string) error {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return errors.New("not a version (0, 1, 2, …)")
		}
		version = &v
		return nil
	})
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != want {
		fmt.Fprintf(e.stderr, "graykit %s: want %s\n", action, synopsis)
		return exitUsage
	}
	req := admin.ActionRequest{Reason: *reason, Version: version}
	if action == "set-share" {
		p, err := strconv.ParseFloat(strings.TrimSuffix(pos[1], "%"), 64)
		if err != nil {
			fmt.Fprintf(e.stderr, "graykit set-share: %q is not a percentage\n", pos[1])
			return exitUsage
		}
		req.Share = &p
	}
	c, err := rf.client(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit %s: %v\n", action, err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), rf.timeout)
	defer cancel()
	var res admin.ActionResponse
	if err := c.call(ctx, http.MethodPost, "api/rollouts/"+url.PathEscape(pos[0])+"/"+action, req, &res); err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.status == http.StatusConflict && ae.resp.State != nil {
			fmt.Fprintf(e.stderr, "graykit: %s\n", movedSince(pos[0], action, *ae.resp.State, version != nil))
			return exitFail
		}
		fmt.Fprintf(e.stderr, "graykit %s: %v\n", action, err)
		return exitFail
	}
	if rf.asJSON {
		return writeJSON(e.stdout, res)
	}
	st := res.State
	fmt.Fprintf(e.stdout, "%s: %s, share %s (version %d)\n", st.Rollout, st.Phase, fmtPercent(st.Share), st.Version)
	fmt.Fprintf(e.stdout, "%s\n", res.Note)
	return exitOK
}

// movedSince says that an action changed nothing because the rollout's
// state moved after the action was decided on it, what it moved to, and
// how to act from there.
func movedSince(rollout, action string, st guard.State, expected bool) string {
	where := fmtPercent(st.Share)
	if st.Step >= 0 {
		where = fmt.Sprintf("step %d (%s)", st.Step+1, where)
	}
	var what string
	switch st.Phase {
	case guard.PhaseRunning:
		what = "moved to " + where
	case guard.PhasePaused:
		what = "was paused at " + where
	case guard.PhaseAwaiting:
		what = "awaits approval at " + where
	case guard.PhaseManual:
		what = "was set to " + fmtPercent(st.Share) + " by hand"
	case guard.PhaseRolledBack:
		what = "was rolled back (0%)"
	case guard.PhasePromoted:
		what = "was promoted (100%)"
	default:
		what = "changed"
	}
	by := ""
	if st.Last.Action != "" {
		by = fmt.Sprintf(" (%s by %s)", st.Last.Action, st.Last.Actor)
	}
	again := "run again"
	if expected {
		again = fmt.Sprintf("run again with --expect-version %d", st.Version)
	}
	verb := action
	if action == "set-share" {
		verb = "set the share"
	}
	return fmt.Sprintf("%s %s since you looked%s; nothing was changed; %s to %s from there", rollout, what, by, again, verb)
}
