package gray

import "strings"

// Subject is who, or what, a decision is made for.
type Subject struct {
	// Key identifies the subject for the split: a user ID, an account, a
	// device. The same key always lands in the same bucket. An empty key
	// takes no part in any split (bucket -1) and gets the default variant
	// unless a rule matches.
	Key string
	// Attrs are facts the application supplies for rules with "attr:NAME"
	// fields: region, platform, app_version, tenant, … A nil map is empty.
	// An attribute Attrs does not have is asked of Request when it
	// implements [AttrSource], so attributes can be looked up by name, only
	// when a rule or a bucket_by reads them, without a map per subject.
	Attrs map[string]string
	// Request gives rules the request's values (header, cookie, query, ip,
	// method, path, host). Nil means there are none; the middleware and the
	// adapters set it.
	Request Request
}

// Request is how the engine reads a request's values. The middleware and
// each adapter implement it over their framework's request; [Values] is a
// plain implementation for code that has no request (jobs, tests, the CLI).
// Implementations should not allocate on these calls.
type Request interface {
	// Header returns the first value of the header (canonical name, as
	// textproto.CanonicalMIMEHeaderKey gives it; for gRPC, metadata) and
	// whether it is present.
	Header(name string) (string, bool)
	// Cookie returns the named cookie's value and whether it is present.
	Cookie(name string) (string, bool)
	// Query returns the first value of the query parameter, unescaped, and
	// whether it is present.
	Query(name string) (string, bool)
	// ClientIP returns the client's IP address as text, or "" if unknown.
	ClientIP() string
	// Method returns the request method (for gRPC, "POST").
	Method() string
	// Path returns the URL path (for gRPC, the full method name).
	Path() string
	// Host returns the requested host, without a port.
	Host() string
}

// Values is a [Request] made of plain values, for deciding outside a
// request: a job, a test, the CLI's explain. Nil maps are empty; header
// names match case-insensitively.
type Values struct {
	Headers    map[string]string
	Cookies    map[string]string
	Queries    map[string]string
	IP         string
	HTTPMethod string
	URLPath    string
	HostName   string
	// AttrLookup, when set, gives attributes by name that the subject's
	// Attrs lack (see [AttrSource]).
	AttrLookup func(name string) (string, bool)
}

var _ Request = (*Values)(nil)

// Header looks name up exactly, then case-insensitively.
func (v *Values) Header(name string) (string, bool) {
	if s, ok := v.Headers[name]; ok {
		return s, true
	}
	for k, s := range v.Headers {
		if strings.EqualFold(k, name) {
			return s, true
		}
	}
	return "", false
}

// Cookie returns the named cookie from Cookies.
func (v *Values) Cookie(name string) (string, bool) { s, ok := v.Cookies[name]; return s, ok }

// Query returns the named query parameter from Queries.
func (v *Values) Query(name string) (string, bool) { s, ok := v.Queries[name]; return s, ok }

// ClientIP returns IP.
func (v *Values) ClientIP() string { return v.IP }

// Method returns HTTPMethod.
func (v *Values) Method() string { return v.HTTPMethod }

// Path returns URLPath.
func (v *Values) Path() string { return v.URLPath }

// Host returns HostName.
func (v *Values) Host() string { return v.HostName }

// AttrSource gives a subject's attributes by name, for "attr:NAME" fields,
// as an alternative to [Subject.Attrs] that needs no map per subject: a
// [Request] that implements it is asked for an attribute Attrs lacks, only
// when a decision reads it. [Values] implements it with its AttrLookup; the
// middleware and adapters with [WithAttributeLookup]. Implementations must
// be safe for concurrent use and should not allocate.
type AttrSource interface {
	// Attr returns the named attribute and whether the subject has it.
	Attr(name string) (string, bool)
}

// attr returns the named attribute: from Attrs, else from the request when
// it is an AttrSource.
func (s *Subject) attr(name string) (string, bool) {
	if v, ok := s.Attrs[name]; ok {
		return v, true
	}
	if src, ok := s.Request.(AttrSource); ok {
		return src.Attr(name)
	}
	return "", false
}

var _ AttrSource = (*Values)(nil)

// Attr returns AttrLookup(name), or false without an AttrLookup.
func (v *Values) Attr(name string) (string, bool) {
	if v.AttrLookup == nil {
		return "", false
	}
	return v.AttrLookup(name)
}
