package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/graykit/graykit/dualwrite/contract"
)

// runContractCheck asks a running application (its console's API) whether
// a dualwrite migration's old side was read or written on any replica in
// the last period. Exit 0 only when replicas reported and none touched it.
func runContractCheck(e *env, args []string) int {
	fs := newFlags("contract-check", "MIGRATION [--hours N | --period D] [--url U] [--token T] [--json]", e.stderr)
	rf := addRemoteFlags(fs, e)
	hours := fs.Float64("hours", 0, "look back this many hours (default: the console's ContractPeriod, 24h)")
	period := fs.Duration("period", 0, "look back this long, e.g. 72h (instead of --hours)")
	pos, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(e.stderr, "graykit contract-check: give one MIGRATION")
		fs.Usage()
		return exitUsage
	}
	if *hours < 0 || *period < 0 || (*hours > 0 && *period > 0) {
		fmt.Fprintln(e.stderr, "graykit contract-check: give a positive --hours or --period, not both")
		return exitUsage
	}
	if *hours > 0 {
		*period = time.Duration(*hours * float64(time.Hour))
	}
	c, err := rf.client(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit contract-check: %v\n", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), rf.timeout)
	defer cancel()
	path := "api/contract/" + url.PathEscape(pos[0])
	if *period > 0 {
		path += "?period=" + url.QueryEscape(period.String())
	}
	var rd contract.Readiness
	if err := c.call(ctx, http.MethodGet, path, nil, &rd); err != nil {
		fmt.Fprintf(e.stderr, "graykit contract-check: %v\n", err)
		return exitFail
	}
	if rf.asJSON {
		writeJSON(e.stdout, rd)
	} else {
		printReadiness(e, rd)
	}
	if rd.Ready() {
		return exitOK
	}
	return exitFail
}

func printReadiness(e *env, rd contract.Readiness) {
	span := rd.To.Sub(rd.From)
	switch rd.Verdict {
	case contract.InUse:
		fmt.Fprintf(e.stdout, "%s: IN USE: the old side was read %d and written %d times in the last %v; last use %s\n",
			rd.Migration, rd.OldReads, rd.OldWrites, span, rd.LastOldUse.Format(time.RFC3339))
		fmt.Fprintf(e.stdout, "  ready to contract at %s if nothing touches it again\n", rd.LastOldUse.Add(span).Format(time.RFC3339))
	case contract.Unused:
		fmt.Fprintf(e.stdout, "%s: UNUSED: %d replica(s) reported in the last %v and none read or wrote the old side\n",
			rd.Migration, len(rd.Replicas), span)
	default:
		fmt.Fprintf(e.stdout, "%s: NO DATA: no replica reported in the last %v (is a contract.Reporter running?)\n", rd.Migration, span)
	}
	if len(rd.Replicas) == 0 {
		return
	}
	rows := [][]string{{"REPLICA", "OLD READS", "OLD WRITES", "NEW READS", "NEW WRITES", "LAST OLD USE", "LAST SEEN"}}
	for _, r := range rd.Replicas {
		last := "-"
		if !r.LastOldUse.IsZero() {
			last = r.LastOldUse.Format(time.RFC3339)
		}
		rows = append(rows, []string{r.Replica, u64(r.OldReads), u64(r.OldWrites), u64(r.NewReads), u64(r.NewWrites),
			last, r.LastSeen.Format(time.RFC3339)})
	}
	table(e.stdout, rows)
}

func u64(n uint64) string { return strconv.FormatUint(n, 10) }
