package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/graykit/graykit/gray/admin"
)

// runPutSubject puts one subject key on a variant of a rollout, for every
// replica at its next poll.
func runPutSubject(e *env, args []string) int {
	return runSubjectChange(e, "put-subject", "ROLLOUT KEY VARIANT", 3, args)
}

// runRemoveSubject removes a subject key's override.
func runRemoveSubject(e *env, args []string) int {
	return runSubjectChange(e, "remove-subject", "ROLLOUT KEY", 2, args)
}

func runSubjectChange(e *env, name, operands string, want int, args []string) int {
	synopsis := operands + " [--reason R] [--url U] [--token T] [--json]"
	fs := newFlags(name, synopsis, e.stderr)
	rf := addRemoteFlags(fs, e)
	reason := fs.String("reason", "", "why, for the audit trail")
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != want {
		fmt.Fprintf(e.stderr, "graykit %s: want %s\n", name, synopsis)
		return exitUsage
	}
	req := admin.SubjectRequest{Key: pos[1], Reason: *reason}
	op := "remove"
	if want == 3 {
		req.Variant, op = pos[2], "put"
	}
	c, err := rf.client(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit %s: %v\n", name, err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), rf.timeout)
	defer cancel()
	var res admin.SubjectsResponse
	if err := c.call(ctx, http.MethodPost, "api/rollouts/"+url.PathEscape(pos[0])+"/subjects/"+op, req, &res); err != nil {
		fmt.Fprintf(e.stderr, "graykit %s: %v\n", name, err)
		return exitFail
	}
	if rf.asJSON {
		return writeJSON(e.stdout, res)
	}
	switch {
	case op == "put":
		fmt.Fprintf(e.stdout, "%s: %s is on %s (%s)\n", pos[0], req.Key, req.Variant, res.Note)
	case res.Removed != nil && *res.Removed:
		fmt.Fprintf(e.stdout, "%s: %s has no override any more (%s)\n", pos[0], req.Key, res.Note)
	default:
		fmt.Fprintf(e.stdout, "%s: %s had no override\n", pos[0], req.Key)
	}
	return exitOK
}

// runSubjects lists a rollout's subject overrides.
func runSubjects(e *env, args []string) int {
	synopsis := "ROLLOUT [--url U] [--token T] [--json]"
	fs := newFlags("subjects", synopsis, e.stderr)
	rf := addRemoteFlags(fs, e)
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(e.stderr, "graykit subjects: want %s\n", synopsis)
		return exitUsage
	}
	c, err := rf.client(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit subjects: %v\n", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), rf.timeout)
	defer cancel()
	var res admin.SubjectsResponse
	if err := c.call(ctx, http.MethodGet, "api/rollouts/"+url.PathEscape(pos[0])+"/subjects", nil, &res); err != nil {
		fmt.Fprintf(e.stderr, "graykit subjects: %v\n", err)
		return exitFail
	}
	if rf.asJSON {
		return writeJSON(e.stdout, res.Subjects)
	}
	if len(res.Subjects) == 0 {
		fmt.Fprintf(e.stdout, "%s: no subject overrides\n", pos[0])
		return exitOK
	}
	rows := [][]string{{"KEY", "VARIANT", "BY", "AT", "REASON"}}
	for _, o := range res.Subjects {
		rows = append(rows, []string{o.Key, o.Variant, o.Actor, o.At.Format("2006-01-02 15:04:05Z07:00"), o.Reason})
	}
	table(e.stdout, rows)
	return exitOK
}
