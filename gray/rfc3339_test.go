package gray

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRFC3339(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		require.NoError(t, err)
		return tm
	}
	tests := []struct {
		give string
		want string // the instant in Go's RFC 3339, or "" when refused
	}{
		{"2026-12-01T09:00:00Z", "2026-12-01T09:00:00Z"},
		{"2026-12-01t09:00:00z", "2026-12-01T09:00:00Z"},
		{"2026-12-01T09:00:00z", "2026-12-01T09:00:00Z"},
		{"2026-12-01t09:00:00+01:00", "2026-12-01T08:00:00Z"},
		{"2026-12-01T09:00:00-00:00", "2026-12-01T09:00:00Z"},
		{"2026-12-01T09:00:00+23:59", "2026-11-30T09:01:00Z"},
		{"2026-12-01T09:00:00.5Z", "2026-12-01T09:00:00.5Z"},
		{"2026-12-01T09:00:00.123456789123Z", "2026-12-01T09:00:00.123456789Z"},
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"2000-02-29T00:00:00Z", "2000-02-29T00:00:00Z"},
		{"0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"},
		// Leap seconds: the instant the following second begins.
		{"2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"},
		{"2016-12-31t23:59:60.25z", "2017-01-01T00:00:00.25Z"},
		{"2016-12-31T15:59:60-08:00", "2017-01-01T00:00:00Z"},
		{"2015-06-30T23:59:60Z", "2015-07-01T00:00:00Z"},
		{"2017-01-01T00:59:60+01:00", "2017-01-01T00:00:00Z"},
		// Refused.
		{"2026-12-01T09:00:00+24:00", ""},
		{"2026-12-01T09:00:00+23:60", ""},
		{"2026-12-01T09:00:00-99:99", ""},
		{"2026-12-01T24:00:00Z", ""},
		{"2026-12-01T09:60:00Z", ""},
		{"2026-12-01T09:00:61Z", ""},
		{"2026-12-01T12:00:60Z", ""},
		{"2016-12-30T23:59:60Z", ""},
		{"2016-12-31T23:59:60+01:00", ""},
		{"2026-02-29T00:00:00Z", ""},
		{"1900-02-29T00:00:00Z", ""},
		{"2026-04-31T00:00:00Z", ""},
		{"2026-13-01T00:00:00Z", ""},
		{"2026-00-01T00:00:00Z", ""},
		{"2026-12-00T00:00:00Z", ""},
		{"2026-12-01T9:00:00Z", ""},
		{"2026-12-01 09:00:00Z", ""},
		{"2026-12-01T09:00:00,5Z", ""},
		{"2026-12-01T09:00:00.Z", ""},
		{"2026-12-01T09:00:00", ""},
		{"2026-12-01T09:00:00+0100", ""},
		{"2026-12-01T09:00:00+01", ""},
		{"2026-12-01T09:00:00Zx", ""},
		{"2026-12-01T09:00:00UTC", ""},
		{"+2026-12-01T09:00:00Z", ""},
		{"2026-12-01T09:00Z", ""},
		{"2026-12-01", ""},
		{"2026-1２-01T09:00:00Z", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, ok := parseRFC3339(tt.give)
			if tt.want == "" {
				assert.False(t, ok, "parsed as %v", got)
				return
			}
			require.True(t, ok)
			assert.True(t, utc(tt.want).Equal(got), "got %v", got)
		})
	}
}

func TestParseRFC3339Allocations(t *testing.T) {
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = parseRFC3339("2026-12-01T09:00:00.5+01:00") }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _, _ = parseRFC3339("2026-12-01T09:00:00+24:00") }))
}

// FuzzParseRFC3339 holds the parser to Go's time.Parse where the two
// grammars meet: an upper-case "T" and "Z", no leap second, an offset whose
// hours are below 24 and minutes below 60, two-digit fields and a "."
// fraction. There both accept the same strings, with the same instant.
func FuzzParseRFC3339(f *testing.F) {
	for _, seed := range []string{
		"2026-12-01T09:00:00Z", "2026-12-01t09:00:00.5z", "2016-12-31T23:59:60Z", "2026-12-01T09:00:00+24:00",
		"2026-12-01T9:00:00Z", "2026-12-01T09:00:00,5Z", "2024-02-29T23:59:59.999999999-23:59",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseRFC3339(s)
		std, err := time.Parse(time.RFC3339, s)
		if ok && !(s[10] == 't' || s[len(s)-1] == 'z' || s[17:19] == "60") {
			require.NoError(t, err, "time.Parse refuses %q", s)
			assert.True(t, std.Equal(got), "%q: %v, time.Parse %v", s, got, std)
		}
		if err == nil && !ok {
			// Where time.Parse is laxer than the standard.
			lax := len(s) < 20 || s[13] != ':' || s[16] != ':' || !isDigit(s[11]) || !isDigit(s[12])
			if !lax {
				off := s[len(s)-6:]
				lax = off[0] == '+' || off[0] == '-'
				if lax {
					h, _ := digits(off[1:3])
					m, _ := digits(off[4:6])
					lax = h > 23 || m > 59
				}
			}
			lax = lax || containsByte(s, ',')
			assert.True(t, lax, "time.Parse accepts %q, parseRFC3339 refuses it", s)
		}
	})
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
