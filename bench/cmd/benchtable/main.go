// Command benchtable turns the raw output of the bench module's benchmarks
// (go test -bench, several -count runs) into the Markdown tables of
// RESULTS.md: the median of every metric, the spread of ns/op, the ratios of
// the peers to the floor and to graykit's Decide, and whether the issue's
// targets are met. run.sh calls it; it reads the file named by its argument.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// sample holds every value of every metric of one benchmark, in run order.
type sample struct {
	name    string
	metrics map[string][]float64
	units   []string // in first-seen order
}

func (s *sample) median(unit string) (float64, bool) {
	vs := slices.Clone(s.metrics[unit])
	if len(vs) == 0 {
		return 0, false
	}
	slices.Sort(vs)
	n := len(vs)
	if n%2 == 1 {
		return vs[n/2], true
	}
	return (vs[n/2-1] + vs[n/2]) / 2, true
}

// spread is (max-min)/median of ns/op, in percent.
func (s *sample) spread() float64 {
	vs := s.metrics["ns/op"]
	m, ok := s.median("ns/op")
	if !ok || m == 0 {
		return 0
	}
	return (slices.Max(vs) - slices.Min(vs)) / m * 100
}

func parse(r io.Reader) ([]*sample, error) {
	byName := map[string]*sample{}
	var order []*sample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue // a log line, not a result
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // the GOMAXPROCS suffix
			}
		}
		s := byName[name]
		if s == nil {
			s = &sample{name: name, metrics: map[string][]float64{}}
			byName[name] = s
			order = append(order, s)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %w", f[0], f[i], err)
			}
			unit := f[i+1]
			if _, seen := s.metrics[unit]; !seen {
				s.units = append(s.units, unit)
			}
			s.metrics[unit] = append(s.metrics[unit], v)
		}
	}
	return order, sc.Err()
}

func num(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
}

func ratio(a, b float64) string {
	if b == 0 {
		return "–"
	}
	return num(a/b) + "×"
}

type table struct {
	w       io.Writer
	samples []*sample
}

func (t table) find(name string) *sample {
	for _, s := range t.samples {
		if s.name == name {
			return s
		}
	}
	return nil
}

func (t table) group(prefix string) []*sample {
	var out []*sample
	for _, s := range t.samples {
		if strings.HasPrefix(s.name, prefix+"/") {
			out = append(out, s)
		}
	}
	return out
}

func (t table) med(name, unit string) float64 {
	if s := t.find(name); s != nil {
		v, _ := s.median(unit)
		return v
	}
	return 0
}

const (
	floorRow   = "Peers/floor/xxhash+compare"
	decideRow  = "Peers/graykit/Decide"
	ldCallRow  = "Peers/launchdarkly/context-per-call"
	ofRow      = "Peers/openfeature/inmemory"
	ldBuiltRow = "Peers/launchdarkly/context-prebuilt"
)

func (t table) peers() {
	rows := t.group("Peers")
	if len(rows) == 0 {
		return
	}
	floor := t.med(floorRow, "ns/op")
	decide := t.med(decideRow, "ns/op")
	fmt.Fprintln(t.w, "## Peers: three rules that do not match, then the 5% split")
	fmt.Fprintln(t.w)
	fmt.Fprintln(t.w, "Medians of all runs. *× floor*: this row's ns/op over the floor's. *× Decide*: this row's ns/op over graykit Decide's (above 1: graykit Decide is that many times faster). Spread: (max − min) / median of ns/op.")
	fmt.Fprintln(t.w)
	fmt.Fprintln(t.w, "| row | ns/op | B/op | allocs/op | × floor | × Decide | spread |")
	fmt.Fprintln(t.w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, s := range rows {
		ns, _ := s.median("ns/op")
		bop, _ := s.median("B/op")
		allocs, _ := s.median("allocs/op")
		fmt.Fprintf(t.w, "| %s | %s | %s | %s | %s | %s | %.0f%% |\n",
			strings.TrimPrefix(s.name, "Peers/"), num(ns), num(bop), num(allocs), ratio(ns, floor), ratio(ns, decide), s.spread())
	}
	fmt.Fprintln(t.w)

	// The matrix: every graykit row against every peer.
	var ours, theirs []*sample
	for _, s := range rows {
		if strings.HasPrefix(s.name, "Peers/graykit/") {
			ours = append(ours, s)
		} else {
			theirs = append(theirs, s)
		}
	}
	fmt.Fprintln(t.w, "Peer's ns/op over graykit's (above 1: graykit is faster):")
	fmt.Fprintln(t.w)
	fmt.Fprint(t.w, "| graykit row |")
	for _, p := range theirs {
		fmt.Fprintf(t.w, " %s |", strings.TrimPrefix(p.name, "Peers/"))
	}
	fmt.Fprint(t.w, "\n| --- |")
	for range theirs {
		fmt.Fprint(t.w, " ---: |")
	}
	fmt.Fprintln(t.w)
	for _, g := range ours {
		gns, _ := g.median("ns/op")
		fmt.Fprintf(t.w, "| %s |", strings.TrimPrefix(g.name, "Peers/"))
		for _, p := range theirs {
			pns, _ := p.median("ns/op")
			fmt.Fprintf(t.w, " %s |", ratio(pns, gns))
		}
		fmt.Fprintln(t.w)
	}
	fmt.Fprintln(t.w)

	fmt.Fprintln(t.w, "## Targets (issue 7), judged from the medians above")
	fmt.Fprintln(t.w)
	fmt.Fprintln(t.w, "| target | measured | met |")
	fmt.Fprintln(t.w, "| --- | --- | --- |")
	ld, of := t.med(ldCallRow, "ns/op"), t.med(ofRow, "ns/op")
	verdict := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}
	fmt.Fprintf(t.w, "| Decide ≥ 5× faster than LaunchDarkly, context per call | %s | %s |\n", ratio(ld, decide), verdict(decide > 0 && ld/decide >= 5))
	fmt.Fprintf(t.w, "| (for reference: LaunchDarkly, context pre-built) | %s | – |\n", ratio(t.med(ldBuiltRow, "ns/op"), decide))
	fmt.Fprintf(t.w, "| Decide faster than OpenFeature in-memory | %s | %s |\n", ratio(of, decide), verdict(decide > 0 && of > decide))
	da := t.med(decideRow, "allocs/op")
	fmt.Fprintf(t.w, "| Decide 0 allocs/op (LaunchDarkly per call: %s, OpenFeature: %s) | %s | %s |\n",
		num(t.med(ldCallRow, "allocs/op")), num(t.med(ofRow, "allocs/op")), num(da), verdict(t.find(decideRow) != nil && da == 0))
	fmt.Fprintf(t.w, "| Decide within 3× of the floor | %s | %s |\n", ratio(decide, floor), verdict(floor > 0 && decide/floor <= 3))
	fmt.Fprintln(t.w)
}

// plain prints a group with every metric's median.
func (t table) plain(prefix, title, note string) {
	rows := t.group(prefix)
	if len(rows) == 0 {
		return
	}
	var units []string
	for _, s := range rows {
		for _, u := range s.units {
			if !slices.Contains(units, u) {
				units = append(units, u)
			}
		}
	}
	fmt.Fprintf(t.w, "## %s\n\n", title)
	if note != "" {
		fmt.Fprintf(t.w, "%s\n\n", note)
	}
	fmt.Fprint(t.w, "| row |")
	for _, u := range units {
		fmt.Fprintf(t.w, " %s |", u)
	}
	fmt.Fprint(t.w, " spread |\n| --- |")
	for range units {
		fmt.Fprint(t.w, " ---: |")
	}
	fmt.Fprintln(t.w, " ---: |")
	for _, s := range rows {
		fmt.Fprintf(t.w, "| %s |", strings.TrimPrefix(s.name, prefix+"/"))
		for _, u := range units {
			if v, ok := s.median(u); ok {
				fmt.Fprintf(t.w, " %s |", num(v))
			} else {
				fmt.Fprint(t.w, " – |")
			}
		}
		fmt.Fprintf(t.w, " %.0f%% |\n", s.spread())
	}
	fmt.Fprintln(t.w)
}

// overhead prints, for each framework, graykit's row minus the bare row.
func (t table) overhead() {
	var lines []string
	for _, s := range t.group("Framework") {
		fw, variant, ok := strings.Cut(strings.TrimPrefix(s.name, "Framework/"), "/")
		if !ok || variant == "bare" {
			continue
		}
		bare := "Framework/" + fw + "/bare"
		if t.find(bare) == nil {
			continue
		}
		lines = append(lines, fmt.Sprintf("| %s/%s | %s | %s | %s |", fw, variant,
			num(t.med(s.name, "ns/op")-t.med(bare, "ns/op")),
			num(t.med(s.name, "B/op")-t.med(bare, "B/op")),
			num(t.med(s.name, "allocs/op")-t.med(bare, "allocs/op"))))
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(t.w, "What graykit adds per request (graykit row minus the bare row of the same framework):")
	fmt.Fprintln(t.w)
	fmt.Fprintln(t.w, "| framework | +ns/op | +B/op | +allocs/op |")
	fmt.Fprintln(t.w, "| --- | ---: | ---: | ---: |")
	for _, l := range lines {
		fmt.Fprintln(t.w, l)
	}
	fmt.Fprintln(t.w)
}

// ofOverhead prints what graykit's provider adds over the SDK's in-memory
// provider for the same job.
func (t table) ofOverhead() {
	const mem, gk = "OpenFeature/sdk/inmemory", "OpenFeature/sdk/graykit"
	if t.find(mem) == nil || t.find(gk) == nil {
		return
	}
	fmt.Fprintln(t.w, "What graykit's provider adds over the in-memory provider (sdk/graykit minus sdk/inmemory):")
	fmt.Fprintln(t.w)
	fmt.Fprintln(t.w, "| +ns/op | +cpu-ns/op | +B/op | +allocs/op | × inmemory (ns/op) | × inmemory (cpu-ns/op) |")
	fmt.Fprintln(t.w, "| ---: | ---: | ---: | ---: | ---: | ---: |")
	fmt.Fprintf(t.w, "| %s | %s | %s | %s | %s | %s |\n\n",
		num(t.med(gk, "ns/op")-t.med(mem, "ns/op")),
		num(t.med(gk, "cpu-ns/op")-t.med(mem, "cpu-ns/op")),
		num(t.med(gk, "B/op")-t.med(mem, "B/op")),
		num(t.med(gk, "allocs/op")-t.med(mem, "allocs/op")),
		ratio(t.med(gk, "ns/op"), t.med(mem, "ns/op")),
		ratio(t.med(gk, "cpu-ns/op"), t.med(mem, "cpu-ns/op")))
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: benchtable raw.txt")
		os.Exit(2)
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	defer f.Close()
	samples, err := parse(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	t := table{w: os.Stdout, samples: samples}
	t.peers()
	t.targeting()
	t.plain("Scaling", "Scaling: rules and user-list size (Decide, no rule matches)", "")
	t.plain("Parallel", "Parallel: Decide on every core, steady and during reloads",
		"ns/op is wall time per decision across all goroutines. During reloads, B/op includes the reloading goroutine's allocations spread over the decisions; Decide itself allocates nothing.")
	t.plain("Framework", "Framework overhead: the same trivial handler, bare and behind graykit", "")
	t.overhead()
	t.plain("OpenFeature", "OpenFeature: the SDK with graykit's provider beside its in-memory provider",
		"The Peers job through OpenFeature's Go SDK: sdk/inmemory is the Peers row openfeature/inmemory (its targeting a Go function), sdk/graykit the same SDK with graykit's provider over graykit's rollout, both with an evaluation context built per call. cpu-ns/op is the process's CPU time (user and system, all threads, GC included) per op: on a loaded machine it moves less than ns/op. sdk/graykit/in-request evaluates inside a request's decisions, where the provider returns the pinned decision; the provider-only rows call each provider without the SDK.")
	t.ofOverhead()
	t.plain("DualwritePut", "dualwrite: one write on SQLite", "")
	t.plain("Backfill", "dualwrite: backfill of 200,000 rows on SQLite (ns/op is one whole backfill)", "")
	t.plain("OFREP", "OFREP: one browser's flag fetch, 20 client rollouts (issue 17)",
		"gray/ofrep behind gray.Middleware, called with ServeHTTP (no network). bulk-20: the full answer; bulk-20/304: a poll that finds it unchanged (the answer is still computed, to compare its ETag); single: one flag; decide-20-without-ofrep: the same request deciding the same 20 rollouts with gray.Variant and no OFREP (bulk-20 minus this row is what OFREP adds).")
	// Rows present only when GRAYKIT_TEST_MYSQL_DSN was set for the run.
	t.plain("MySQLPut", "dualwrite on MySQL/MariaDB: one write", "")
	t.plain("MySQLBackfill", "dualwrite on MySQL/MariaDB: backfill of 200,000 rows (ns/op is one whole backfill)", "")
	t.plain("MySQLRatio", "dualwrite on MySQL/MariaDB: targets as paired ratios",
		"Each iteration times the reference and dualwrite back to back, order alternating. put: x-both = Pair.Put time / two autocommitted upserts (target ≤ 1.1), x-both-in-tx = Pair.Put / the two upserts in one transaction, x-locked-by-hand = Pair.Put / the same transaction under GET_LOCK by hand. backfill (50,000 rows): %hand = hand-written batched UPDATE time / Backfill (SQL mode) time × 100 (target ≥ 80).")
}
