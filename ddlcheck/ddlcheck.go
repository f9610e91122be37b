package ddlcheck

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Dialect names the SQL grammar a file is parsed with.
type Dialect string

// The dialects.
const (
	// MySQL covers MySQL and MariaDB, parsed by TiDB's pure-Go parser.
	MySQL Dialect = "mysql"
	// Postgres is parsed by libpg_query, PostgreSQL's own grammar (cgo).
	Postgres Dialect = "postgres"
)

// ParseDialect accepts "mysql", "mariadb", "postgres", "postgresql" and "pg".
func ParseDialect(s string) (Dialect, error) {
	switch strings.ToLower(s) {
	case "mysql", "mariadb":
		return MySQL, nil
	case "postgres", "postgresql", "pg":
		return Postgres, nil
	}
	return "", fmt.Errorf("ddlcheck: unknown dialect %q (want mysql or postgres)", s)
}

// ErrParse is wrapped by the error [Check] returns when a file does not parse.
var ErrParse = errors.New("ddlcheck: parse error")

// ErrNoPostgres is returned for the PostgreSQL dialect in a build without
// cgo (or with the graykit_nopg build tag): libpg_query is C.
var ErrNoPostgres = errors.New("ddlcheck: this build has no PostgreSQL parser (it needs cgo; build without the graykit_nopg tag and with CGO_ENABLED=1)")

// Finding is one problem in one statement.
type Finding struct {
	File string `json:"file"`
	Line int    `json:"line"`
	Rule string `json:"rule"`
	// Family is the rule's [Family].
	Family Family `json:"family"`
	Table  string `json:"table,omitempty"`
	Column string `json:"column,omitempty"`
	// Statement is the statement's text, shortened to one line.
	Statement string `json:"statement"`
	Why       string `json:"why"`
	SafePath  string `json:"safe_path"`
	// Playbook is the README playbook row to follow, if one applies.
	Playbook string `json:"playbook,omitempty"`
	// Suppressed is set when a graykit:allow comment covers the finding;
	// Reason is the comment's reason. Suppressed findings are reported but
	// do not fail the check.
	Suppressed bool   `json:"suppressed,omitempty"`
	Reason     string `json:"reason,omitempty"`
}

// String formats f as "file:line: rule: why (safe path: …)".
func (f Finding) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: %s: %s\n", f.File, f.Line, f.Rule, f.Why)
	fmt.Fprintf(&b, "    statement: %s\n", f.Statement)
	fmt.Fprintf(&b, "    safe path: %s\n", f.SafePath)
	if f.Playbook != "" {
		fmt.Fprintf(&b, "    playbook:  README \"Playbook\" row %q\n", f.Playbook)
	}
	if f.Suppressed {
		fmt.Fprintf(&b, "    allowed:   %s\n", f.Reason)
	}
	return b.String()
}

// Note records a statement the checker let through because of graykit's
// state, e.g. a column drop whose migration is complete.
type Note struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Rule    string `json:"rule"`
	Message string `json:"message"`
	// Migration, Table, Column and Statement name the contraction a
	// complete migration allowed, so a caller can confirm it with the
	// measured usage (graykit ddl check --url).
	Migration string `json:"migration,omitempty"`
	Table     string `json:"table,omitempty"`
	Column    string `json:"column,omitempty"`
	Statement string `json:"statement,omitempty"`
}

// Report is the result of checking one or more files.
type Report struct {
	Findings []Finding `json:"findings"`
	Notes    []Note    `json:"notes,omitempty"`
	// Statements counts the statements checked.
	Statements int `json:"statements"`
}

// Failed reports whether any finding is not suppressed.
func (r *Report) Failed() bool {
	for _, f := range r.Findings {
		if !f.Suppressed {
			return true
		}
	}
	return false
}

// Options tune [Check]. The zero value is valid.
type Options struct {
	// Migrations declares which columns dualwrite migrations still need;
	// nil means none are declared (every column drop is a finding).
	Migrations *Migrations
}

// Check parses src as one migration file in the dialect and returns its
// findings, sorted by line. name is used in findings only. A file that does
// not parse returns an error wrapping [ErrParse]; the PostgreSQL dialect in
// a build without cgo returns [ErrNoPostgres].
func Check(d Dialect, name, src string, opts Options) (*Report, error) {
	var (
		stmts []statement
		err   error
	)
	switch d {
	case MySQL:
		stmts, err = parseMySQL(src)
	case Postgres:
		stmts, err = parsePostgres(src)
	default:
		return nil, fmt.Errorf("ddlcheck: unknown dialect %q", d)
	}
	if err != nil {
		if errors.Is(err, ErrNoPostgres) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrParse, name, err)
	}
	lines := newLineIndex(src)
	sups, bad := suppressions(src)
	rep := &Report{Statements: len(stmts)}
	for _, b := range bad {
		r, _ := ruleByName(RuleBadSuppression)
		rep.Findings = append(rep.Findings, Finding{
			File: name, Line: b.line, Rule: r.Name, Family: r.Family,
			Statement: b.text, Why: r.Why + ": " + b.problem, SafePath: r.SafePath,
		})
	}
	for i, st := range stmts {
		line := lines.line(st.offset)
		prevLine := 0
		if i > 0 {
			prevLine = lines.line(stmts[i-1].end)
		}
		for _, h := range st.hits {
			if h.rule == RuleDropColumn && opts.Migrations != nil {
				if m, ok := opts.Migrations.contractible(h.table, h.column); ok {
					rep.Notes = append(rep.Notes, Note{File: name, Line: line, Rule: h.rule,
						Message:   fmt.Sprintf("%s.%s may be dropped: migration %q is complete everywhere", h.table, h.column, m.Name),
						Migration: m.Name, Table: h.table, Column: h.column, Statement: oneLine(st.text)})
					continue
				}
			}
			f := finding(name, line, st.text, h, opts.Migrations)
			if s, ok := sups.lookup(prevLine, line, h.rule); ok {
				f.Suppressed, f.Reason = true, s.reason
			}
			rep.Findings = append(rep.Findings, f)
		}
	}
	sort.SliceStable(rep.Findings, func(i, j int) bool { return rep.Findings[i].Line < rep.Findings[j].Line })
	return rep, nil
}

func finding(file string, line int, text string, h hit, ms *Migrations) Finding {
	r, _ := ruleByName(h.rule)
	table, column := orDash(h.table), orDash(h.column)
	f := Finding{
		File: file, Line: line, Rule: r.Name, Family: r.Family,
		Table: h.table, Column: h.column,
		Statement: oneLine(text),
		Why:       fill(r.Why, table, column),
		SafePath:  fill(r.SafePath, table, column),
		Playbook:  r.Playbook,
	}
	if h.detail != "" {
		f.Why += " (" + h.detail + ")"
	}
	if ms != nil && h.column != "" {
		if m, ok := ms.using(h.table, h.column); ok {
			f.Why += fmt.Sprintf("; dualwrite migration %q is in phase %s and still uses it", m.Name, m.Phase)
		}
	}
	return f
}

// fill puts the table and column into a rule's text; texts that name
// neither are left as they are.
func fill(text, table, column string) string {
	if !strings.Contains(text, "%") {
		return text
	}
	if !strings.Contains(text, "%[2]s") {
		return fmt.Sprintf(text, table)
	}
	return fmt.Sprintf(text, table, column)
}

func orDash(s string) string {
	if s == "" {
		return "the table"
	}
	return s
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	const max = 160
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// statement is one parsed statement and what the dialect's walker found.
type statement struct {
	offset, end int // byte offsets of the statement in the file
	text        string
	hits        []hit
}

// hit is one rule a statement triggers.
type hit struct {
	rule          string
	table, column string
	detail        string
}

type lineIndex []int // byte offset of each line's start

func newLineIndex(src string) lineIndex {
	idx := lineIndex{0}
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			idx = append(idx, i+1)
		}
	}
	return idx
}

// line returns the 1-based line of a byte offset.
func (l lineIndex) line(off int) int {
	return sort.Search(len(l), func(i int) bool { return l[i] > off })
}

// leadingComments is the length of the whitespace and comments before a
// statement's first token ("--" and "#" to the end of the line, "/* */"
// except MySQL's executable "/*!" comments), so a finding points at the
// statement's own line.
func leadingComments(s string) int {
	i := 0
	for i < len(s) {
		switch {
		case s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n':
			i++
		case strings.HasPrefix(s[i:], "--") || s[i] == '#':
			nl := strings.IndexByte(s[i:], '\n')
			if nl < 0 {
				return len(s)
			}
			i += nl + 1
		case strings.HasPrefix(s[i:], "/*") && !strings.HasPrefix(s[i:], "/*!"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return len(s)
			}
			i += 2 + end + 2
		default:
			return i
		}
	}
	return i
}
