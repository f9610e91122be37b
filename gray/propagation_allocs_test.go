//go:build !race

// The race detector makes sync.Pool drop items, so allocations are pinned
// without it.

package gray_test

import "testing"

// TestPropagationAllocs pins the allocations the benchmark reports: one for
// a signed value, two for a verified one with a decision (the map), none
// for a rejected one.
func TestPropagationAllocs(t *testing.T) {
	p := mustPropagator(t, [][]byte{propNew})
	bc := propBenchCases[0]
	v, err := p.Sign(bc.key, bc.decisions)
	if err != nil {
		t.Fatal(err)
	}
	// Change the signature's last character; the value carries an expiry,
	// so that character differs from run to run and may already be "A".
	last := "A"
	if v[len(v)-1] == 'A' {
		last = "B"
	}
	forged := v[:len(v)-1] + last
	if _, err := p.Verify(forged); err == nil {
		t.Fatal("the forged value verifies")
	}
	tests := []struct {
		name string
		give func()
		want float64
	}{
		{"sign", func() { s, _ := p.Sign(bc.key, bc.decisions); propSink += len(s) }, 1},
		{"verify", func() { pv, _ := p.Verify(v); propSink += len(pv.Variants) }, 2},
		{"reject", func() { _, err := p.Verify(forged); propSink += len(err.Error()) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := testing.AllocsPerRun(100, tt.give); got > tt.want {
				t.Errorf("%v allocations, want at most %v", got, tt.want)
			}
		})
	}
}
