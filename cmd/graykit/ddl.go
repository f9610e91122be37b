package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/graykit/graykit/ddlcheck"
	"github.com/graykit/graykit/dualwrite/contract"
)

// ddlResult is what `ddl check --json` prints.
type ddlResult struct {
	Files      []string           `json:"files"`
	Statements int                `json:"statements"`
	Findings   []ddlcheck.Finding `json:"findings"`
	Notes      []ddlcheck.Note    `json:"notes"`
	// Failed is true when a finding is not suppressed (exit status 1).
	Failed bool `json:"failed"`
}

func runDDL(e *env, args []string) int {
	if len(args) == 0 || (args[0] != "check" && args[0] != "rules") {
		fmt.Fprintln(e.stderr, "usage: graykit ddl check [--dialect mysql|postgres] [--migrations FILE] [--url U [--period D]] [--json] FILE|DIR...")
		fmt.Fprintln(e.stderr, "       graykit ddl rules [--json]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			return exitOK
		}
		return exitUsage
	}
	if args[0] == "rules" {
		return runDDLRules(e, args[1:])
	}
	return runDDLCheck(e, args[1:])
}

func runDDLRules(e *env, args []string) int {
	fs := newFlags("ddl rules", "[--json]", e.stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	if _, code := parse(fs, args); code >= 0 {
		return code
	}
	rules := ddlcheck.Rules()
	if *asJSON {
		return writeJSON(e.stdout, rules)
	}
	rows := [][]string{{"RULE", "FAMILY", "DIALECTS"}}
	for _, r := range rules {
		ds := make([]string, len(r.Dialects))
		for i, d := range r.Dialects {
			ds[i] = string(d)
		}
		rows = append(rows, []string{r.Name, string(r.Family), strings.Join(ds, ",")})
	}
	table(e.stdout, rows)
	return exitOK
}

func runDDLCheck(e *env, args []string) int {
	fs := newFlags("ddl check", "[--dialect mysql|postgres] [--migrations FILE] [--url U [--period D]] [--json] FILE|DIR...", e.stderr)
	dialect := fs.String("dialect", "mysql", "SQL dialect: mysql (also MariaDB) or postgres")
	migrations := fs.String("migrations", "", "the dualwrite migrations file (default: "+ddlcheck.MigrationsFile+" next to each SQL file)")
	asJSON := fs.Bool("json", false, "print JSON")
	confirmURL := fs.String("url", "", "a running application's console: confirm each contraction a complete migration allows with its measured usage (graykit contract-check)")
	token := fs.String("token", "", "bearer token for --url (default $GRAYKIT_TOKEN)")
	period := fs.Duration("period", 24*time.Hour, "with --url: how far back the old side must be unused")
	paths, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(paths) == 0 {
		fmt.Fprintln(e.stderr, "graykit ddl check: give at least one FILE or DIR")
		fs.Usage()
		return exitUsage
	}
	d, err := ddlcheck.ParseDialect(*dialect)
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit ddl check: %v\n", err)
		return exitUsage
	}
	files, err := sqlFiles(paths)
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit ddl check: %v\n", err)
		return exitUsage
	}
	var fixed *ddlcheck.Migrations
	if *migrations != "" {
		if fixed, err = ddlcheck.LoadMigrations(*migrations); err != nil {
			fmt.Fprintf(e.stderr, "graykit ddl check: %v\n", err)
			return exitUsage
		}
	}
	perDir := map[string]*ddlcheck.Migrations{}
	res := ddlResult{Files: files, Findings: []ddlcheck.Finding{}, Notes: []ddlcheck.Note{}}
	for _, f := range files {
		ms := fixed
		if ms == nil {
			dir := filepath.Dir(f)
			m, seen := perDir[dir]
			if !seen {
				if m, err = ddlcheck.FindMigrations(dir); err != nil {
					fmt.Fprintf(e.stderr, "graykit ddl check: %v\n", err)
					return exitUsage
				}
				perDir[dir] = m
			}
			ms = m
		}
		src, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintf(e.stderr, "graykit ddl check: %v\n", err)
			return exitUsage
		}
		rep, err := ddlcheck.Check(d, f, string(src), ddlcheck.Options{Migrations: ms})
		if err != nil {
			fmt.Fprintf(e.stderr, "graykit ddl check: %v\n", err)
			if errors.Is(err, ddlcheck.ErrNoPostgres) {
				fmt.Fprintln(e.stderr, "  (this graykit was built without cgo; rebuild it with CGO_ENABLED=1 to check PostgreSQL)")
			}
			return exitUsage
		}
		res.Statements += rep.Statements
		res.Findings = append(res.Findings, rep.Findings...)
		res.Notes = append(res.Notes, rep.Notes...)
		res.Failed = res.Failed || rep.Failed()
	}
	if *confirmURL != "" && len(res.Notes) > 0 {
		rf := &remoteFlags{url: *confirmURL, token: *token, timeout: 15 * time.Second}
		if code := confirmContractions(e, rf, *period, &res); code != exitOK {
			return code
		}
	}
	if *asJSON {
		writeJSON(e.stdout, res)
	} else {
		printDDL(e, res)
	}
	if res.Failed {
		return exitFail
	}
	return exitOK
}

// confirmContractions asks the console whether the old side of each
// migration that allowed a contraction is really unused; one that is in use
// or has no data becomes a finding.
func confirmContractions(e *env, rf *remoteFlags, period time.Duration, res *ddlResult) int {
	c, err := rf.client(e)
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit ddl check: --url: %v\n", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), rf.timeout)
	defer cancel()
	asked := map[string]contract.Readiness{}
	kept := res.Notes[:0]
	for _, n := range res.Notes {
		rd, ok := asked[n.Migration]
		if !ok {
			path := "api/contract/" + url.PathEscape(n.Migration) + "?period=" + url.QueryEscape(period.String())
			if err := c.call(ctx, http.MethodGet, path, nil, &rd); err != nil {
				fmt.Fprintf(e.stderr, "graykit ddl check: --url: %v\n", err)
				return exitUsage
			}
			asked[n.Migration] = rd
		}
		if rd.Ready() {
			n.Message += fmt.Sprintf(", and no replica used its old side in the last %v", period)
			kept = append(kept, n)
			continue
		}
		r := ddlRule(ddlcheck.RuleDropColumn)
		why := fmt.Sprintf("migration %q is complete in %s, but the application says its old side is %s in the last %v", n.Migration, ddlcheck.MigrationsFile, rd.Verdict, period)
		if rd.Verdict == contract.InUse {
			why += fmt.Sprintf(" (%d reads, %d writes; last %s)", rd.OldReads, rd.OldWrites, rd.LastOldUse.Format(time.RFC3339))
		}
		res.Findings = append(res.Findings, ddlcheck.Finding{
			File: n.File, Line: n.Line, Rule: r.Name, Family: r.Family, Table: n.Table, Column: n.Column,
			Statement: n.Statement, Why: why, Playbook: r.Playbook,
			SafePath: "find what still uses the old side (graykit contract-check " + n.Migration + "), stop it, and drop the column once the period has passed without use",
		})
		res.Failed = true
	}
	res.Notes = kept
	return exitOK
}

func ddlRule(name string) ddlcheck.Rule {
	for _, r := range ddlcheck.Rules() {
		if r.Name == name {
			return r
		}
	}
	return ddlcheck.Rule{Name: name}
}

func printDDL(e *env, res ddlResult) {
	allowed := 0
	for _, f := range res.Findings {
		fmt.Fprint(e.stdout, f.String())
		if f.Suppressed {
			allowed++
		}
	}
	for _, n := range res.Notes {
		fmt.Fprintf(e.stdout, "%s:%d: ok: %s\n", n.File, n.Line, n.Message)
	}
	fmt.Fprintf(e.stdout, "%d finding(s), %d allowed by graykit:allow, in %d statement(s) of %d file(s)\n",
		len(res.Findings)-allowed, allowed, res.Statements, len(res.Files))
}

// sqlFiles expands directories into their *.sql files (recursively, in
// name order, which is the order migration tools apply them).
func sqlFiles(paths []string) ([]string, error) {
	var out []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, de fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !de.IsDir() && strings.EqualFold(filepath.Ext(path), ".sql") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no .sql files", p)
		}
		sort.Strings(found)
		out = append(out, found...)
	}
	return out, nil
}
