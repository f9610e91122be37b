package gray

import (
	"net/http"

	"github.com/graykit/graykit/internal/reqval"
)

// http1Request reads an *http.Request's values without allocating: cookies
// and query parameters are found by scanning the raw header and query rather
// than by parsing all of them into maps.
type http1Request struct {
	r        *http.Request
	clientIP func(*http.Request) string
}

var _ Request = (*http1Request)(nil)

func (h *http1Request) Header(name string) (string, bool) {
	vs := h.r.Header[name]
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

func (h *http1Request) Cookie(name string) (string, bool) {
	return reqval.Cookie(h.r.Header["Cookie"], name)
}

func (h *http1Request) Query(name string) (string, bool) {
	if h.r.URL == nil {
		return "", false
	}
	return reqval.Query(h.r.URL.RawQuery, name)
}

func (h *http1Request) ClientIP() string {
	if h.clientIP != nil {
		return h.clientIP(h.r)
	}
	return reqval.HostOnly(h.r.RemoteAddr)
}

func (h *http1Request) Method() string { return h.r.Method }

func (h *http1Request) Path() string {
	if h.r.URL == nil {
		return ""
	}
	return h.r.URL.Path
}

func (h *http1Request) Host() string { return reqval.HostOnly(h.r.Host) }
