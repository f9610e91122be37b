package gray_test

import (
	"bufio"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

type vector struct {
	salt, key string
	bucket    int
}

// loadVectors reads testdata/bucket-vectors.tsv, a copy of the project's
// known answers. A change to any of them re-shuffles every user.
func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open("testdata/bucket-vectors.tsv")
	require.NoError(t, err)
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		require.Len(t, parts, 3, "line %q", line)
		b, err := strconv.Atoi(parts[2])
		require.NoError(t, err)
		out = append(out, vector{salt: parts[0], key: parts[1], bucket: b})
	}
	require.NoError(t, sc.Err())
	require.GreaterOrEqual(t, len(out), 30)
	return out
}

func TestBucketVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.salt+"/"+v.key, func(t *testing.T) {
			assert.Equal(t, v.bucket, gray.SaltedBucket(v.salt, v.key))
			if v.salt == "" {
				assert.Equal(t, v.bucket, gray.Bucket(v.key))
			}
		})
	}
}

func TestSaltedBucketLongInput(t *testing.T) {
	// SaltedBucket picks one of three paths by the joined length (below 32
	// bytes, below 128, longer); every pair of lengths through all three must
	// agree with a one-shot hash of the joined string.
	for ls := range 140 {
		for lk := range 140 {
			salt, key := strings.Repeat("s", ls+1), strings.Repeat("k", lk)
			require.Equal(t, gray.Bucket(salt+":"+key), gray.SaltedBucket(salt, key), "salt %d key %d", ls+1, lk)
		}
	}
	salt := strings.Repeat("s", 100)
	for _, key := range []string{strings.Repeat("k", 0), strings.Repeat("k", 1), strings.Repeat("k", 63), strings.Repeat("k", 500)} {
		assert.Equal(t, gray.Bucket(salt+":"+key), gray.SaltedBucket(salt, key), "len %d", len(key))
	}
}

func TestBucketAllocs(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name string
		give func()
	}{
		{"Bucket", func() { _ = gray.Bucket("user-42") }},
		{"SaltedBucket", func() { _ = gray.SaltedBucket("checkout-v2", "user-42") }},
		{"SaltedBucket long", func() { _ = gray.SaltedBucket("checkout-v2", long) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Zero(t, testing.AllocsPerRun(100, tt.give))
		})
	}
}

func TestBucketUniform(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 200_000
	}
	counts := make([]int, gray.Buckets)
	for i := range n {
		counts[gray.SaltedBucket("uniform", "user-"+strconv.Itoa(i))]++
	}
	expected := float64(n) / gray.Buckets
	var chi2 float64
	for _, c := range counts {
		d := float64(c) - expected
		chi2 += d * d / expected
	}
	// 9,999 degrees of freedom: mean 9999, sd sqrt(2*9999) ≈ 141.4. Six
	// standard deviations either side is a generous yet meaningful bound.
	df := float64(gray.Buckets - 1)
	sd := math.Sqrt(2 * df)
	assert.InDelta(t, df, chi2, 6*sd, "chi-square %.0f", chi2)
}

func TestBucketMonotonicGrowth(t *testing.T) {
	// Raising the share only ever adds users: whoever is in at p is in at
	// every q > p.
	steps := []float64{1, 5, 20, 50, 100}
	for i := range 20000 {
		key := "m-" + strconv.Itoa(i)
		b := gray.SaltedBucket("grow", key)
		in := false
		for _, p := range steps {
			now := b < int(math.Round(p*100))
			require.False(t, in && !now, "key %s left at %v%%", key, p)
			in = now
		}
		require.True(t, in, "everyone is in at 100%%")
	}
}

func TestBucketIndependentSalts(t *testing.T) {
	n := 200_000
	var a, b, both int
	for i := range n {
		key := "u" + strconv.Itoa(i)
		inA := gray.SaltedBucket("rollout-a", key) < 1000
		inB := gray.SaltedBucket("rollout-b", key) < 1000
		if inA {
			a++
		}
		if inB {
			b++
		}
		if inA && inB {
			both++
		}
	}
	assert.InDelta(t, 0.10, float64(a)/float64(n), 0.005)
	assert.InDelta(t, 0.10, float64(b)/float64(n), 0.005)
	assert.InDelta(t, 0.01, float64(both)/float64(n), 0.0015, "overlap of two 10%% rollouts")
	// The same salt deliberately gives the same population.
	for i := range 1000 {
		key := "u" + strconv.Itoa(i)
		require.Equal(t, gray.SaltedBucket("shared", key), gray.SaltedBucket("shared", key))
	}
}
