package gray_test

import (
	"testing"

	"github.com/graykit/graykit/gray"
)

// BenchmarkParseConfigHostile parses the hostile shapes at the default
// limits; B/op is what one parse (or refusal) allocates. Run with
//
//	go test -run '^$' -bench ParseConfigHostile -benchmem ./gray
func BenchmarkParseConfigHostile(b *testing.B) {
	for _, tt := range hostileShapes(gray.DefaultMaxConfigSize, gray.DefaultMaxConfigValues) {
		b.Run(tt.name, func(b *testing.B) {
			data := []byte(tt.doc())
			b.ResetTimer()
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for range b.N {
				cfgSink, errSink = gray.ParseConfig(data)
			}
		})
	}
}

var (
	cfgSink *gray.Config
	errSink error
)
