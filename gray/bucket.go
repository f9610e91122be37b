package gray

import "github.com/cespare/xxhash/v2"

// Buckets is the number of buckets a key is hashed into. A percentage p
// covers buckets [0, round(p*100)), so the split has a resolution of 0.01%.
const Buckets = 10000

// Bucket returns the bucket of key: XXH64 (seed 0) of the key's UTF-8 bytes,
// modulo [Buckets]. The answer is the same in every process, on every
// machine, forever; it never allocates.
func Bucket(key string) int {
	return int(xxhash.Sum64String(key) % Buckets)
}

// SaltedBucket returns the bucket of key under salt: XXH64 (seed 0) of
// salt + ":" + key, modulo [Buckets]. An empty salt gives [Bucket](key).
// Different salts give independent populations. It never allocates.
func SaltedBucket(salt, key string) int {
	if salt == "" {
		return Bucket(key)
	}
	// Dispatched here rather than in a helper: each call level is a visible
	// share of a hash this short.
	if n := len(salt) + 1 + len(key); n < 32 {
		return int(saltedShort(salt, key, n) % Buckets)
	}
	return int(saltedLong(salt, key) % Buckets)
}
