package gray

import (
	"encoding/binary"
	"math/bits"

	"github.com/cespare/xxhash/v2"
)

// [SaltedBucket] hashes salt + ":" + key (XXH64, seed 0) without joining the
// two strings in memory, through saltedShort below 32 bytes and saltedLong
// from 32.
//
// Joining them in a buffer and hashing the buffer costs several times the
// hash itself: a few small copies followed by the hash's 8-byte loads defeat
// the CPU's store forwarding. Here each 8-byte word of the joined string is
// assembled in registers from one load of each input word, shifted into place
// (the colon moves every word of key by one byte). Below 32 bytes the words
// are mixed straight into the XXH64 state; from 32 to 127 bytes, where XXH64
// reads four lanes, they are stored whole and hashed by xxhash, whose wide
// loads then match the wide stores. The algorithm is XXH64 as published
// (github.com/Cyan4973/xxHash, doc/xxhash_spec.md); TestSaltedSum compares
// it with xxhash.Sum64String of the joined string for every pair of lengths
// around each path's limits, and FuzzSaltedBucket for arbitrary bytes.

// saltedLong hashes a joined length of 32 bytes or more.
func saltedLong(salt, key string) uint64 {
	if n := len(salt) + 1 + len(key); n < 8*joinedWords {
		return saltedWords(salt, key, n)
	}
	var d xxhash.Digest
	d.Reset()
	_, _ = d.WriteString(salt)
	_, _ = d.WriteString(":")
	_, _ = d.WriteString(key)
	return d.Sum64()
}

// XXH64's primes.
const (
	prime1 uint64 = 11400714785074694791
	prime2 uint64 = 14029467366897019727
	prime3 uint64 = 1609587929392839161
	prime4 uint64 = 9650029242287828579
	prime5 uint64 = 2870177450012600261
)

// joinedWords bounds the joined length saltedWords handles (8*joinedWords-1
// bytes); longer inputs stream through an xxhash.Digest.
const joinedWords = 16

func xxRound(acc, in uint64) uint64 {
	acc += in * prime2
	return bits.RotateLeft64(acc, 31) * prime1
}

// xxWord mixes one 8-byte word of the input's tail into h.
func xxWord(h, w uint64) uint64 {
	h ^= xxRound(0, w)
	return bits.RotateLeft64(h, 27)*prime1 + prime4
}

// xxFinish mixes the last rem (< 8) bytes, held in the low bytes of w, into
// h and returns the avalanche of the result.
func xxFinish(h, w uint64, rem uint) uint64 {
	if rem >= 4 {
		h ^= uint64(uint32(w)) * prime1
		h = bits.RotateLeft64(h, 23)*prime2 + prime3
		w >>= 32
		rem -= 4
	}
	for ; rem > 0; rem-- {
		h ^= (w & 0xff) * prime5
		h = bits.RotateLeft64(h, 11) * prime1
		w >>= 8
	}
	h ^= h >> 33
	h *= prime2
	h ^= h >> 29
	h *= prime3
	h ^= h >> 32
	return h
}

// load64 reads s[i:i+8] as a little-endian word; the compiler turns it into
// one load on the platforms that allow unaligned loads.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// lastBytes returns the last r (< 8) bytes of s in the low bytes of a word,
// the rest zero, without reading outside s. The hot paths inline its first
// case by hand.
func lastBytes(s string, r uint) uint64 {
	if len(s) >= 8 {
		// x >> 1 >> (63 - 8r) is x >> (64 - 8r), and 0 for r == 0.
		return load64(s, len(s)-8) >> 1 >> (63 - 8*r)
	}
	return lastFewBytes(s, r)
}

func lastFewBytes(s string, r uint) uint64 {
	var w uint64
	for i := uint(0); i < r; i++ {
		w |= uint64(s[len(s)-int(r)+int(i)]) << (8 * i)
	}
	return w
}

// saltedShort hashes a joined length n below 32 bytes: XXH64's short path,
// each word mixed as soon as it is assembled.
func saltedShort(salt, key string, n int) uint64 {
	h := prime5 + uint64(n)
	j := 0
	for ; j+8 <= len(salt); j += 8 {
		h = xxWord(h, load64(salt, j))
	}
	// pend holds the k bytes of the joined string not yet mixed.
	k := uint(len(salt)-j) & 7
	var pend uint64
	if len(salt) >= 8 {
		pend = load64(salt, len(salt)-8) >> 1 >> (63 - 8*k)
	} else {
		pend = lastFewBytes(salt, k)
	}
	pend |= uint64(':') << (8 * k)
	k++
	if k == 8 {
		h = xxWord(h, pend)
		pend, k = 0, 0
	}
	sh := 8 * k & 63
	i := 0
	for ; i+8 <= len(key); i += 8 {
		x := load64(key, i)
		h = xxWord(h, pend|x<<sh)
		pend = x >> 1 >> (63 - sh)
	}
	r := uint(len(key)-i) & 7
	var t uint64
	if len(key) >= 8 {
		t = load64(key, len(key)-8) >> 1 >> (63 - 8*r)
	} else {
		t = lastFewBytes(key, r)
	}
	w := pend | t<<sh
	rem := k + r
	if rem >= 8 {
		h = xxWord(h, w)
		w = t >> 1 >> (63 - sh)
		rem -= 8
	}
	return xxFinish(h, w, rem)
}

// saltedWords hashes a joined length n from 32 to 8*joinedWords-1 bytes.
// The words are assembled as in saltedShort and stored whole into a buffer
// that xxhash then hashes in one pass: its 8-byte loads read exactly what
// 8-byte stores wrote, so store forwarding works, unlike after byte copies.
func saltedWords(salt, key string, n int) uint64 {
	var buf [8 * joinedWords]byte
	o := 0
	j := 0
	for ; j+8 <= len(salt); j += 8 {
		binary.LittleEndian.PutUint64(buf[o&(len(buf)-8):], load64(salt, j))
		o += 8
	}
	k := uint(len(salt)-j) & 7
	pend := lastBytes(salt, k) | uint64(':')<<(8*k)
	k++
	if k == 8 {
		binary.LittleEndian.PutUint64(buf[o&(len(buf)-8):], pend)
		o += 8
		pend, k = 0, 0
	}
	sh := 8 * k & 63
	i := 0
	for ; i+8 <= len(key); i += 8 {
		x := load64(key, i)
		binary.LittleEndian.PutUint64(buf[o&(len(buf)-8):], pend|x<<sh)
		o += 8
		pend = x >> 1 >> (63 - sh)
	}
	r := uint(len(key)-i) & 7
	t := lastBytes(key, r)
	binary.LittleEndian.PutUint64(buf[o&(len(buf)-8):], pend|t<<sh)
	if k+r >= 8 {
		binary.LittleEndian.PutUint64(buf[(o+8)&(len(buf)-8):], t>>1>>(63-sh))
	}
	return xxhash.Sum64(buf[:n])
}
