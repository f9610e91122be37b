// Package reqval reads single values out of raw request text (Cookie
// headers, query strings, host:port) without allocating, for the core and
// the adapters alike, so every protocol reads them the same way.
package reqval

import (
	"net/url"
	"strings"
)

// HostOnly strips a port from host:port or [v6]:port. Unlike
// net.SplitHostPort it does not allocate an error for a host without a port,
// the usual Host header.
func HostOnly(hostport string) string {
	if strings.HasPrefix(hostport, "[") {
		if i := strings.IndexByte(hostport, ']'); i > 0 {
			return hostport[1:i]
		}
		return hostport
	}
	if i := strings.IndexByte(hostport, ':'); i >= 0 && i == strings.LastIndexByte(hostport, ':') {
		return hostport[:i]
	}
	return hostport // no port, or a bare IPv6 address
}

// Cookie finds the named cookie in Cookie header lines. Like
// net/http, it takes the first cookie of that name and strips surrounding
// double quotes; a value with characters a cookie may not hold counts as
// absent.
func Cookie(lines []string, name string) (string, bool) {
	for _, line := range lines {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			k, v, ok := strings.Cut(part, "=")
			if !ok || k != name {
				continue
			}
			if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
				v = v[1 : len(v)-1]
			}
			if !validCookieValue(v) {
				return "", false
			}
			return v, true
		}
	}
	return "", false
}

func validCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == ';' || c == '\\' || c == ',' {
			return false
		}
	}
	return true
}

// Query finds the first value of name in a raw query string,
// unescaping it only when it holds escapes.
func Query(raw, name string) (string, bool) {
	for len(raw) > 0 {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		k, v, _ := strings.Cut(part, "=")
		if k != name {
			if !strings.ContainsAny(k, "%+") {
				continue
			}
			uk, err := url.QueryUnescape(k)
			if err != nil || uk != name {
				continue
			}
		}
		if strings.ContainsAny(v, "%+") {
			uv, err := url.QueryUnescape(v)
			if err != nil {
				return "", false
			}
			return uv, true
		}
		return v, true
	}
	return "", false
}
