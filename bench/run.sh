#!/usr/bin/env bash
# run.sh runs every benchmark of the bench module and writes the published
# table: raw.txt (the raw go test output) and RESULTS.md. It needs only Go:
# benchstat is installed from the Go module proxy at a pinned version.
#
#   ./run.sh              # COUNT=8 runs of each benchmark, about 6 minutes on 2 cores
#   COUNT=10 ./run.sh     # more runs, tighter intervals
set -euo pipefail
cd "$(dirname "$0")"

COUNT=${COUNT:-8}
BENCHTIME=${BENCHTIME:-1s}
BENCHSTAT_VERSION=v0.0.0-20260908200009-22c9c6c9d4da # golang.org/x/perf

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
echo "installing benchstat ($BENCHSTAT_VERSION)" >&2
GOBIN=$bin go install "golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION"
benchstat=$bin/benchstat

# The peers must do the same job before their numbers mean anything.
echo "checking that the peers do the same job" >&2
go test -count=1 -run 'TestPeers' .

cmd="go test -run '^\$' -bench . -benchtime $BENCHTIME -count $COUNT -timeout 60m ."

# What was measured: the commit, and any uncommitted changes before this run.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
changed=$(git status --porcelain --untracked-files=no -- .. 2>/dev/null | awk '{print $2}' | paste -sd, - | sed 's/,/, /g' || true)
dirty=""
[ -z "$changed" ] || dirty=" plus uncommitted changes to: $changed"

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
echo "running: $cmd" >&2
eval "$cmd" | tee raw.txt >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)

cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
[ -n "$cpu" ] || cpu=$(uname -m)

{
	echo "# graykit bench results"
	echo
	echo "Written by \`bench/run.sh\`; do not edit by hand. Rerun: \`cd bench && ./run.sh\`."
	echo
	echo "| | |"
	echo "| --- | --- |"
	echo "| date | $started – $finished |"
	echo "| machine | $(nproc) cores (nproc), $cpu, $(uname -sr) |"
	echo "| Go | $(go version | cut -d' ' -f3-) |"
	echo "| graykit | commit $commit$dirty |"
	echo "| load average (1, 5, 15 min) | before: $load_before; after: $load_after |"
	echo "| runs | -count $COUNT, -benchtime $BENCHTIME |"
	echo
	echo "Commands, from \`bench/\`:"
	echo
	echo '```'
	echo "$cmd > raw.txt"
	echo "go run ./cmd/benchtable raw.txt"
	echo "benchstat raw.txt   # golang.org/x/perf/cmd/benchstat@$BENCHSTAT_VERSION"
	echo '```'
	echo
	# Flag a run that shared the machine: other work already running when it
	# started (a 1-minute load average above half the cores). The load at the
	# end is no guide: the benchmarks themselves keep one core, and in the
	# parallel cases all cores, busy.
	busy=$(awk -v l="$(echo "$load_before" | cut -d' ' -f1)" -v n="$(nproc)" 'BEGIN { print (l > n / 2) ? "yes" : "no" }')
	if [ "$busy" = yes ]; then
		echo "**Disturbed run.** The load average reached $load_after (1, 5, 15 min) on $(nproc) cores: other work shared the machine during these benchmarks, so absolute figures are inflated and noisier than on an idle machine (see the spread column and benchstat's intervals). Ratios between rows of this run are more meaningful than absolute numbers; rerun on an idle machine for absolute figures."
		echo
	fi
	if [ -n "${RESULTS_NOTE:-}" ]; then
		echo "**Note.** $RESULTS_NOTE"
		echo
	fi
	go run ./cmd/benchtable raw.txt
	echo "## benchstat"
	echo
	echo "The same runs with benchstat's medians and 95% confidence intervals (\`benchstat raw.txt\`):"
	echo
	echo '```'
	"$benchstat" raw.txt
	echo '```'
	# Measured elsewhere (adapters/grayotel) and kept as written.
	[ ! -f telemetry.md ] || cat telemetry.md
} > RESULTS.md
echo "wrote raw.txt and RESULTS.md" >&2
