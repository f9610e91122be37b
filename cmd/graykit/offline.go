package main

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
)

// bucketLine is one key's bucket, as `bucket --json` prints it.
type bucketLine struct {
	Key    string `json:"key"`
	Salt   string `json:"salt"`
	Bucket int    `json:"bucket"`
	// InShareFrom is the smallest percentage whose range holds the bucket
	// (for the first new variant, which starts at bucket 0).
	InShareFrom float64 `json:"in_share_from"`
}

func runBucket(e *env, args []string) int {
	fs := newFlags("bucket", "[--salt S] [--json] KEY...", e.stderr)
	salt := fs.String("salt", "", "the rollout's salt (a rollout's salt defaults to its name)")
	asJSON := fs.Bool("json", false, "print JSON")
	keys, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(keys) == 0 {
		fmt.Fprintln(e.stderr, "graykit bucket: give at least one KEY")
		fs.Usage()
		return exitUsage
	}
	lines := make([]bucketLine, len(keys))
	for i, k := range keys {
		b := gray.SaltedBucket(*salt, k)
		lines[i] = bucketLine{Key: k, Salt: *salt, Bucket: b, InShareFrom: float64(b+1) / 100}
	}
	if *asJSON {
		return writeJSON(e.stdout, lines)
	}
	rows := [][]string{{"KEY", "BUCKET", "IN SHARE FROM"}}
	for _, l := range lines {
		rows = append(rows, []string{l.Key, strconv.Itoa(l.Bucket), fmtPercent(l.InShareFrom)})
	}
	table(e.stdout, rows)
	return exitOK
}

// lintResult is one file's verdict, as `lint --json` prints it.
type lintResult struct {
	File     string         `json:"file"`
	OK       bool           `json:"ok"`
	Rollouts int            `json:"rollouts"`
	Problems []gray.Problem `json:"problems"`
}

func runLint(e *env, args []string) int {
	fs := newFlags("lint", "[--json] FILE...", e.stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	files, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(files) == 0 {
		fmt.Fprintln(e.stderr, "graykit lint: give at least one FILE")
		fs.Usage()
		return exitUsage
	}
	results := make([]lintResult, 0, len(files))
	failed := false
	for _, f := range files {
		res := lintResult{File: f, Problems: []gray.Problem{}}
		cfg, err := gray.LoadConfig(f)
		var ce *gray.ConfigError
		switch {
		case err == nil:
			res.OK, res.Rollouts = true, len(cfg.Rollouts)
		case errors.As(err, &ce):
			res.Problems = ce.Problems
		default: // the file could not be read
			res.Problems = []gray.Problem{{Message: err.Error()}}
		}
		failed = failed || !res.OK
		results = append(results, res)
	}
	if *asJSON {
		writeJSON(e.stdout, results)
	} else {
		for _, r := range results {
			if r.OK {
				fmt.Fprintf(e.stdout, "%s: ok (%d rollouts)\n", r.File, r.Rollouts)
				continue
			}
			for _, p := range r.Problems {
				if p.Path == "" {
					fmt.Fprintf(e.stdout, "%s: %s\n", r.File, p.Message)
				} else {
					fmt.Fprintf(e.stdout, "%s: %s: %s\n", r.File, p.Path, p.Message)
				}
			}
			fmt.Fprintf(e.stdout, "%s: %d problem(s)\n", r.File, len(r.Problems))
		}
	}
	if failed {
		return exitFail
	}
	return exitOK
}

func runExplain(e *env, args []string) int {
	fs := newFlags("explain", "--config FILE --rollout R [--key K] [--header N=V]... [--json]", e.stderr)
	file := fs.String("config", "", "configuration file (YAML or JSON)")
	req := admin.ExplainRequest{
		Headers: map[string]string{}, Cookies: map[string]string{},
		Queries: map[string]string{}, Attrs: map[string]string{},
	}
	fs.StringVar(&req.Rollout, "rollout", "", "rollout to decide")
	fs.StringVar(&req.Key, "key", "", "subject key (user ID); empty means no key")
	fs.Var(pairs(req.Headers), "header", "request header NAME=VALUE (repeatable)")
	fs.Var(pairs(req.Cookies), "cookie", "cookie NAME=VALUE (repeatable)")
	fs.Var(pairs(req.Queries), "query", "query parameter NAME=VALUE (repeatable)")
	fs.Var(pairs(req.Attrs), "attr", "attribute NAME=VALUE (repeatable)")
	fs.StringVar(&req.IP, "ip", "", "client IP")
	fs.StringVar(&req.Method, "method", "", "request method")
	fs.StringVar(&req.Path, "path", "", "request path")
	fs.StringVar(&req.Host, "host", "", "request host")
	asJSON := fs.Bool("json", false, "print JSON")
	rest, code := parse(fs, args)
	if code >= 0 {
		return code
	}
	if len(rest) > 0 || *file == "" || req.Rollout == "" {
		fmt.Fprintln(e.stderr, "graykit explain: --config and --rollout are required, and no arguments")
		fs.Usage()
		return exitUsage
	}
	cfg, err := gray.LoadConfig(*file)
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit explain: %v\n", err)
		return exitFail
	}
	engine, err := gray.New(cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit explain: %v\n", err)
		return exitFail
	}
	res, err := admin.Explain(engine, req)
	if err != nil {
		fmt.Fprintf(e.stderr, "graykit explain: %v\n", err)
		return exitFail
	}
	if *asJSON {
		return writeJSON(e.stdout, res)
	}
	printExplain(e, res)
	return exitOK
}

// printExplain writes an explain result for a person to read.
func printExplain(e *env, res admin.ExplainResult) {
	d := res.Decision
	bucket := "none (no key)"
	if d.Bucket >= 0 {
		bucket = fmt.Sprintf("%d (salt %q)", d.Bucket, res.Salt)
	}
	reason := d.Reason
	if d.Rule != "" {
		reason += " " + strconv.Quote(d.Rule)
	}
	rows := [][]string{{"rollout", d.Rollout}, {"variant", d.Variant}}
	if !d.Value.IsZero() {
		rows = append(rows, []string{"value", d.Value.JSON()})
	}
	rows = append(rows, []string{"bucket", bucket})
	rows = append(rows, targetingRows(res)...)
	table(e.stdout, append(rows, [][]string{
		{"reason", reason},
		{"why", res.Summary},
	}...))
	if len(res.Rules) == 0 {
		return
	}
	fmt.Fprintln(e.stdout)
	rows = [][]string{{"RULE", "SERVES", "OUTCOME", "CONDITION", "VALUE", "HELD"}}
	for _, r := range res.Rules {
		if len(r.Steps) == 0 {
			rows = append(rows, []string{r.Rule, r.Serve, r.Outcome, "", "", ""})
		}
		for i, st := range r.Steps {
			name, serve, outcome := r.Rule, r.Serve, r.Outcome
			if i > 0 {
				name, serve, outcome = "", "", ""
			}
			value := strconv.Quote(st.Value)
			if !st.Present {
				value = "(absent)"
			}
			rows = append(rows, []string{name, serve, outcome, st.Condition, value, yesNo(st.Matched)})
		}
	}
	table(e.stdout, rows)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// fmtPercent formats a percentage with at most two decimals.
func fmtPercent(p float64) string {
	return strconv.FormatFloat(p, 'f', -1, 64) + "%"
}
