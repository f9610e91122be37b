package gray

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/semver"
)

// TestIPSetAgreesWithPrefixContains holds the prepared CIDR matcher to
// netip.Prefix.Contains (after unmapping, as conditions do) on random
// addresses near and far from random prefixes.
func TestIPSetAgreesWithPrefixContains(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randAddr := func(v6 bool) netip.Addr {
		if v6 {
			var b [16]byte
			for i := range b {
				b[i] = byte(rng.UintN(256))
			}
			return netip.AddrFrom16(b)
		}
		return netip.AddrFrom4([4]byte{byte(rng.UintN(256)), byte(rng.UintN(256)), byte(rng.UintN(256)), byte(rng.UintN(256))})
	}
	for range 2000 {
		v6 := rng.IntN(2) == 0
		base := randAddr(v6)
		bits := rng.IntN(base.BitLen() + 1)
		p := netip.PrefixFrom(base, bits).Masked()
		var set ipSet
		set.add(p)
		for range 20 {
			a := randAddr(v6)
			if rng.IntN(2) == 0 { // often inside: keep the prefix's bits
				a = netip.PrefixFrom(a, base.BitLen()).Addr()
				b16 := a.As16()
				p16 := p.Addr().As16()
				off := 0
				if !v6 {
					off = 12
				}
				for i := 0; i < bits; i++ {
					byteI, bit := off+i/8, byte(0x80>>(i%8))
					b16[byteI] = b16[byteI]&^bit | p16[byteI]&bit
				}
				a = netip.AddrFrom16(b16)
				if !v6 {
					a = a.Unmap()
				}
			}
			require.Equal(t, p.Contains(a.Unmap()), set.contains(a), "%v in %v", a, p)
		}
	}
	var set ipSet
	set.add(netip.MustParsePrefix("10.0.0.0/8"))
	assert.True(t, set.contains(netip.MustParseAddr("::ffff:10.1.2.3")), "4in6 is unmapped")
	set.add(netip.MustParsePrefix("fe80::/10"))
	assert.False(t, set.contains(netip.MustParseAddr("fe80::1%eth0")), "zoned addresses match nothing")
	assert.True(t, set.contains(netip.MustParseAddr("fe80::1")))
}

// TestSemverPrecheckAgreesWithLibrary compares every semver operator with
// the library's own answer (IsValid and Compare) on valid and broken
// versions around the operand.
func TestSemverPrecheckAgreesWithLibrary(t *testing.T) {
	values := []string{"", "v", "1", "1.2", "1.2.3", "v2.0.0", "2.0.0-rc.1", "2.0.0+build", "3.0.0", "10.0.0",
		"01.2.3", "1.x", "1.2.3.4", "0.9.9", "1-beta", "v1+x", "99999999999.0.0", "2", "2.0", "1a.0.0",
		"1.2.2+" + strings.Repeat("b", 70), "v2.0.0+" + strings.Repeat("b", 70), "2.0.0-" + strings.Repeat("rc", 40)}
	for _, operand := range []string{"v2.0.0", "v1.2.3", "v0.0.1", "v10.1.0"} {
		for _, op := range []opKind{opSemverEq, opSemverLt, opSemverLte, opSemverGt, opSemverGte} {
			c := cond{op: op, str: operand}
			c.major, _ = leadingMajor(semver.Canonical(operand))
			for _, v := range values {
				w := v
				if len(w) == 0 || w[0] != 'v' {
					w = "v" + w
				}
				cmp, valid := semver.Compare(w, operand), semver.IsValid(w)
				want := valid && map[opKind]bool{opSemverEq: cmp == 0, opSemverLt: cmp < 0, opSemverLte: cmp <= 0, opSemverGt: cmp > 0, opSemverGte: cmp >= 0}[op]
				if v == "" || len(v) >= maxVersionLen {
					want = false // too long to be a real version
				}
				assert.Equal(t, want, c.semver(v), "%q op %d %s", v, op, operand)
			}
		}
	}
}

func TestLeadingMajor(t *testing.T) {
	tests := []struct {
		give   string
		want   int
		wantOK bool
	}{
		{"v1.2.3", 1, true}, {"v10", 10, true}, {"v0.1", 0, true}, {"v2-rc", 2, true}, {"v3+b", 3, true},
		{"1.2.3", 1, true}, {"7", 7, true}, {"01.2", 0, false}, {"", 0, false}, {"vv1", 0, false},
		{"v", 0, false}, {"v01.0.0", 0, false}, {"vx", 0, false}, {"v1x", 0, false}, {"v" + strconv.Itoa(1e9) + "0", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, ok := leadingMajor(tt.give)
			assert.Equal(t, tt.wantOK, ok)
			if tt.wantOK {
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

// TestParseIPv4AgreesWithNetip holds the fast IPv4 parser to netip: where
// it answers, netip must parse the same IPv4 address, and every address
// netip prints must take the fast path.
func TestParseIPv4AgreesWithNetip(t *testing.T) {
	check := func(s string) {
		t.Helper()
		x, ok := parseIPv4(s)
		if !ok {
			return
		}
		a, err := netip.ParseAddr(s)
		require.NoError(t, err, "%q: fast path accepted what netip rejects", s)
		require.True(t, a.Is4(), "%q", s)
		b := a.As4()
		require.Equal(t, binary.BigEndian.Uint32(b[:]), x, "%q", s)
	}
	for _, s := range []string{"0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.02.3.4",
		"1..2.3", ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "10.0.0.1%eth0", "::ffff:1.2.3.4", "1.2.3.4000", "0.0.0.00"} {
		check(s)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "0123456789....x"
	for range 200000 {
		b := make([]byte, 7+rng.IntN(9))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		check(string(b))
		var a [4]byte
		binary.BigEndian.PutUint32(a[:], rng.Uint32())
		s := netip.AddrFrom4(a).String()
		x, ok := parseIPv4(s)
		require.True(t, ok, "%q must take the fast path", s)
		require.Equal(t, binary.BigEndian.Uint32(a[:]), x)
	}
}

func TestParseNumberAgreesWithParseFloat(t *testing.T) {
	for _, v := range []string{"0", "12", "-7", " 42 ", "007", "123456789012345", "1234567890123456", "1.5", "-0.25",
		"1e3", "NaN", "Inf", "-", "", "12a", "0x1p4", "1_000", "+5", "9223372036854775807"} {
		got, ok := parseNumber(v)
		want, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		wantOK := err == nil && want == want
		assert.Equal(t, wantOK, ok, "%q", v)
		if wantOK {
			assert.Equal(t, want, got, "%q", v)
		}
	}
	assert.Zero(t, testing.AllocsPerRun(10, func() { _, _ = parseNumber("12") }))
}
