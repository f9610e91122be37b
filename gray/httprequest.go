package gray

import "github.com/graykit/graykit/internal/reqval"

// httpView is a request's context seen as its [Request]: it reads the
// *http.Request's values without allocating (cookies and query parameters
// are found by scanning the raw header and query rather than by parsing all
// of them into maps), and being the context itself it costs no storage.
type httpView reqCtx

var (
	_ Request      = (*httpView)(nil)
	_ ValuesGetter = (*httpView)(nil)
)

func (h *httpView) Header(name string) (string, bool) {
	vs := h.hr.Header[name]
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// Values returns every value of the header (canonical name): baggage may
// come on several lines.
func (h *httpView) Values(name string) []string { return h.hr.Header[name] }

func (h *httpView) Cookie(name string) (string, bool) {
	return reqval.Cookie(h.hr.Header["Cookie"], name)
}

func (h *httpView) Query(name string) (string, bool) {
	if h.hr.URL == nil {
		return "", false
	}
	return reqval.Query(h.hr.URL.RawQuery, name)
}

func (h *httpView) ClientIP() string {
	if fn := h.d.hook.cfg.clientIP; fn != nil {
		return fn(h.hr)
	}
	return reqval.HostOnly(h.hr.RemoteAddr)
}

func (h *httpView) Method() string { return h.hr.Method }

func (h *httpView) Path() string {
	if h.hr.URL == nil {
		return ""
	}
	return h.hr.URL.Path
}

func (h *httpView) Host() string { return reqval.HostOnly(h.hr.Host) }
