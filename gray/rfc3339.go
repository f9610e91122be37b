package gray

import "time"

// parseRFC3339 parses an RFC 3339 date-time (section 5.6), exactly:
//
//	YYYY-MM-DD "T" hh:mm:ss [ "." 1*DIGIT ] ( "Z" / ("+" / "-") hh:mm )
//
// with "t" and "z" allowed in lower case, each field in its range (the
// day within its month, the offset's hours 00-23 and minutes 00-59), and a
// leap second, hh:mm:60, only where one can fall: 23:59:60 UTC on the last
// day of a month. A leap second is taken as the instant the following
// second begins (23:59:60.25Z is 00:00:00.25Z of the next day), the instant
// Go's time package can represent. Digits of a fraction past nanoseconds
// are dropped. "-00:00" (an unknown local offset) is UTC. Go's time.Parse
// is laxer (one-digit hours, ",5" fractions, offsets such as "+24:00") and
// stricter (no "t", "z" or leap seconds); this parser is the standard's.
// It does not allocate.
func parseRFC3339(s string) (time.Time, bool) {
	// The fixed part: "2006-01-02T15:04:05" is 19 bytes, then a fraction
	// and an offset of at least one byte.
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':' ||
		(s[10] != 'T' && s[10] != 't') {
		return time.Time{}, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	sec, ok6 := digits(s[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 ||
		month < 1 || month > 12 || day < 1 || day > daysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false
	}
	rest := s[19:]
	nsec := 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			if n <= 9 {
				nsec = nsec*10 + int(rest[n]-'0')
			}
			n++
		}
		if n == 1 {
			return time.Time{}, false // "." needs a digit
		}
		for i := n; i <= 9; i++ {
			nsec *= 10
		}
		rest = rest[n:]
	}
	offset := 0 // seconds east of UTC
	switch {
	case rest == "Z" || rest == "z":
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return time.Time{}, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	shift := time.Duration(-offset) * time.Second
	if sec == 60 {
		// A leap second ends a UTC day that ends a month.
		last := time.Date(year, time.Month(month), day, hour, minute, 59, 0, time.UTC).Add(shift)
		if last.Hour() != 23 || last.Minute() != 59 || last.Day() != daysIn(last.Year(), int(last.Month())) {
			return time.Time{}, false
		}
	}
	// time.Date carries second 60 into the next minute.
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC).Add(shift), true
}

// digits parses s, all ASCII digits, as a decimal number.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// daysIn returns the number of days of a month (1-12) of a year.
func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
