package gray_test

import (
	"strconv"
	"testing"

	"github.com/cespare/xxhash/v2"

	"github.com/graykit/graykit/gray"
)

var sink int

// benchKeys are realistic user keys; "checkout-v2:user-000042" is 23 bytes,
// the length the reference numbers were measured on.
func benchKeys() []string {
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "user-" + pad6(i)
	}
	return keys
}

func pad6(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 6 {
		s = "0" + s
	}
	return s
}

func BenchmarkBucket(b *testing.B) {
	keys := benchKeys()
	joined := make([]string, len(keys))
	for i, k := range keys {
		joined[i] = "checkout-v2:" + k
	}
	b.Run("floor/xxhash.Sum64String/key", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sink += int(xxhash.Sum64String(keys[i&1023]))
		}
	})
	b.Run("Bucket", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sink += gray.Bucket(keys[i&1023])
		}
	})
	b.Run("floor/xxhash.Sum64String/salt:key", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sink += int(xxhash.Sum64String(joined[i&1023]))
		}
	})
	b.Run("SaltedBucket", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sink += gray.SaltedBucket("checkout-v2", keys[i&1023])
		}
	})
	// UUID keys make the joined string 48 bytes: XXH64's striped path.
	uuids := make([]string, len(keys))
	joinedUUIDs := make([]string, len(keys))
	for i := range uuids {
		uuids[i] = "3f6c1a52-9d4e-4b7a-8e21-5c0d" + pad6(i) + "ab"
		joinedUUIDs[i] = "checkout-v2:" + uuids[i]
	}
	b.Run("floor/xxhash.Sum64String/salt:uuid", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sink += int(xxhash.Sum64String(joinedUUIDs[i&1023]))
		}
	})
	b.Run("SaltedBucket/uuid", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			sink += gray.SaltedBucket("checkout-v2", uuids[i&1023])
		}
	})
}
