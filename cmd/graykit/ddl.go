package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/graykit/graykit/ddlcheck"
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
		fmt.Fprintln(e.stderr, "usage: graykit ddl check [--dialect mysql|postgres] [--migrations FILE] [--json] FILE|DIR...")
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
	fs := newFlags("ddl check", "[--dialect mysql|postgres] [--migrations FILE] [--json] FILE|DIR...", e.stderr)
	dialect := fs.String("dialect", "mysql", "SQL dialect: mysql (also MariaDB) or postgres")
	migrations := fs.String("migrations", "", "the dualwrite migrations file (default: "+ddlcheck.MigrationsFile+" next to each SQL file)")
	asJSON := fs.Bool("json", false, "print JSON")
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
