package dualwrite_test

import (
	"testing"

	"github.com/graykit/graykit/dualwrite"
)

func BenchmarkUsageAdd(b *testing.B) {
	var u dualwrite.Usage
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			u.Add(dualwrite.SideOld, dualwrite.OpRead)
		}
	})
}
