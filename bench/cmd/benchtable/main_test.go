package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const raw = `goos: linux
BenchmarkPeers/floor/xxhash+compare-2   	100	 10.0 ns/op	 0 B/op	 0 allocs/op
BenchmarkPeers/floor/xxhash+compare-2   	100	 12.0 ns/op	 0 B/op	 0 allocs/op
BenchmarkPeers/floor/xxhash+compare-2   	100	 30.0 ns/op	 0 B/op	 0 allocs/op
BenchmarkPeers/graykit/Decide-2         	100	 25.0 ns/op	 0 B/op	 0 allocs/op
BenchmarkPeers/launchdarkly/context-per-call-2 	100	 200 ns/op	 1072 B/op	 2 allocs/op
BenchmarkPeers/openfeature/inmemory-2   	100	 100 ns/op	 1664 B/op	 18 allocs/op
BenchmarkBackfill/hand-written/batched-UPDATE-2 	1	 5000 ns/op	 400000 rows/s
BenchmarkBogus-2 log line
PASS
`

func TestParse(t *testing.T) {
	samples, err := parse(strings.NewReader(raw))
	require.NoError(t, err)
	tests := []struct {
		name, unit string
		want       float64
	}{
		{"Peers/floor/xxhash+compare", "ns/op", 12},
		{"Peers/graykit/Decide", "ns/op", 25},
		{"Peers/launchdarkly/context-per-call", "allocs/op", 2},
		{"Backfill/hand-written/batched-UPDATE", "rows/s", 400000},
	}
	tab := table{samples: samples}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tab.med(tt.name, tt.unit))
		})
	}
	assert.Len(t, samples, 5)
}

func TestTargets(t *testing.T) {
	samples, err := parse(strings.NewReader(raw))
	require.NoError(t, err)
	var out strings.Builder
	table{w: &out, samples: samples}.peers()
	got := out.String()
	assert.Contains(t, got, "| Decide ≥ 5× faster than LaunchDarkly, context per call | 8.00× | yes |")
	assert.Contains(t, got, "| Decide faster than OpenFeature in-memory | 4.00× | yes |")
	assert.Contains(t, got, "| Decide within 3× of the floor | 2.08× | yes |")
}
