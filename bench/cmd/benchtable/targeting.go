package main

import (
	"fmt"
	"strings"
)

// Rows of BenchmarkTargeting (issue 20) that the targets are judged on.
const (
	tgHandRow     = "Targeting/hand-written/subject"
	tgDecideRow   = "Targeting/graykit/Decide"
	tgLDRow       = "Targeting/launchdarkly/context-per-call"
	tgLookupRow   = "Targeting/graykit/Middleware/attrs-lookup"
	tgDecidePrefx = "Targeting/graykit/Decide"
)

// targeting prints issue 20's section: every row against the hand-written
// evaluator that reads the same gray.Subject, and the targets.
func (t table) targeting() {
	rows := t.group("Targeting")
	if len(rows) == 0 {
		return
	}
	hand := t.med(tgHandRow, "ns/op")
	decide := t.med(tgDecideRow, "ns/op")
	// cpu-ns/op (the benchmark thread's CPU time) is what the ratios use
	// when the run has it: on a shared machine, waiting for a core
	// inflates ns/op row by row, and so the ratios, at random.
	unit := "ns/op"
	if t.med(tgHandRow, "cpu-ns/op") > 0 && t.med(tgDecideRow, "cpu-ns/op") > 0 {
		unit = "cpu-ns/op"
		hand, decide = t.med(tgHandRow, unit), t.med(tgDecideRow, unit)
	}
	fmt.Fprintln(t.w, "## Targeting depth (issue 20): the peers' job with each feature")
	fmt.Fprintln(t.w)
	fmt.Fprintf(t.w, "Medians of all runs. cpu-ns/op: the process's CPU time per op (Unix). *× hand*: this row's %s over the hand-written evaluator's, which reads the same `gray.Subject` (attribute map, key) and buckets the same way. Spread: (max − min) / median of ns/op.\n", unit)
	fmt.Fprintln(t.w)
	fmt.Fprintln(t.w, "| row | ns/op | cpu-ns/op | B/op | allocs/op | × hand | spread |")
	fmt.Fprintln(t.w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	worst, worstAllocs := 0.0, 0.0
	for _, s := range rows {
		ns, _ := s.median("ns/op")
		cpu, hasCPU := s.median("cpu-ns/op")
		bop, _ := s.median("B/op")
		allocs, _ := s.median("allocs/op")
		cpuText := "–"
		if hasCPU {
			cpuText = num(cpu)
		}
		mine, _ := s.median(unit)
		fmt.Fprintf(t.w, "| %s | %s | %s | %s | %s | %s | %.0f%% |\n",
			strings.TrimPrefix(s.name, "Targeting/"), num(ns), cpuText, num(bop), num(allocs), ratio(mine, hand), s.spread())
		if s.name == tgDecidePrefx || strings.HasPrefix(s.name, tgDecidePrefx+"/") {
			worst, worstAllocs = max(worst, ns), max(worstAllocs, allocs)
		}
	}
	fmt.Fprintln(t.w)
	verdict := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}
	ld := t.med(tgLDRow, unit)
	lookup := t.med(tgLookupRow, "allocs/op")
	fmt.Fprintln(t.w, "| target (issue 20) | measured | met |")
	fmt.Fprintln(t.w, "| --- | --- | --- |")
	fmt.Fprintf(t.w, "| Decide within 1.5× of the hand-written evaluator (%s) | %s | %s |\n", unit, ratio(decide, hand), verdict(hand > 0 && decide/hand <= 1.5))
	fmt.Fprintf(t.w, "| Decide ≥ 10× faster than LaunchDarkly, context per call (%s) | %s | %s |\n", unit, ratio(ld, decide), verdict(decide > 0 && ld/decide >= 10))
	fmt.Fprintf(t.w, "| Decide with every feature 0 allocs/op | %s | %s |\n", num(worstAllocs), verdict(worst > 0 && worstAllocs == 0))
	fmt.Fprintf(t.w, "| Middleware with attributes ≤ 2 allocs/op (lookup) | %s | %s |\n", num(lookup), verdict(t.find(tgLookupRow) != nil && lookup <= 2))
	fmt.Fprintln(t.w)
}
