package gray

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cespare/xxhash/v2"
)

// saltedSum is SaltedBucket's dispatch before the modulo, the full 64-bit
// hash the tests compare.
func saltedSum(salt, key string) uint64 {
	if n := len(salt) + 1 + len(key); n < 32 {
		return saltedShort(salt, key, n)
	}
	return saltedLong(salt, key)
}

// TestSaltedSum checks the unjoined hash against xxhash over the joined
// string for every pair of lengths through both assembled paths and into the
// streaming one, with contents that differ at every byte.
func TestSaltedSum(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	src := make([]byte, 300)
	for i := range src {
		src[i] = byte(rng.Uint32())
	}
	for ls := 0; ls <= 8*joinedWords+8; ls++ {
		for lk := 0; ls+1+lk <= 8*joinedWords+16; lk++ {
			salt, key := string(src[:ls]), string(src[ls+7:ls+7+lk])
			if got, want := saltedSum(salt, key), xxhash.Sum64String(salt+":"+key); got != want {
				t.Fatalf("salt %d bytes, key %d bytes: %#x, want %#x", ls, lk, got, want)
			}
		}
	}
	for _, n := range []int{200, 1000} {
		salt, key := "checkout-v2", strings.Repeat("k", n)
		if got, want := saltedSum(salt, key), xxhash.Sum64String(salt+":"+key); got != want {
			t.Fatalf("key %d bytes: %#x, want %#x", n, got, want)
		}
	}
}
