package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpenFeatureOverhead(t *testing.T) {
	samples, err := parse(strings.NewReader(`goos: linux
BenchmarkOpenFeature/sdk/inmemory-2 	100	 2000 ns/op	 1800 cpu-ns/op	 1664 B/op	 18 allocs/op
BenchmarkOpenFeature/sdk/graykit-2  	100	 2500 ns/op	 1980 cpu-ns/op	 2600 B/op	 23 allocs/op
BenchmarkOpenFeature/sdk/graykit/in-request-2 	100	 1500 ns/op	 1400 cpu-ns/op	 1000 B/op	 13 allocs/op
`))
	require.NoError(t, err)
	var out strings.Builder
	tab := table{w: &out, samples: samples}
	tab.plain("OpenFeature", "OpenFeature", "")
	tab.ofOverhead()
	got := out.String()
	assert.Contains(t, got, "| sdk/graykit/in-request | 1500 | 1400 | 1000 | 13.0 |")
	assert.Contains(t, got, "| 500 | 180 | 936 | 5.00 | 1.25× | 1.10× |")

	out.Reset()
	table{w: &out}.ofOverhead()
	assert.Empty(t, out.String(), "nothing without the rows")
}
