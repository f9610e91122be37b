package admin

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// originCheck refuses state-changing requests that a browser sent from
// another origin. It follows the rules of Go 1.25's
// http.CrossOriginProtection, written here because the root module supports
// Go 1.24: a safe method passes; a browser's Sec-Fetch-Site of same-origin or
// none passes; without Sec-Fetch-Site, a request with no Origin (not a
// browser) or whose Origin's host is the request's Host passes; an origin
// added with add passes; everything else is refused.
type originCheck struct {
	trusted map[string]bool
}

// add trusts origin, given as scheme://host[:port] with nothing after it.
func (c *originCheck) add(origin string) error {
	u, err := url.Parse(origin)
	if err != nil {
		return fmt.Errorf("invalid origin %q: %w", origin, err)
	}
	if u.Scheme == "" || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("invalid origin %q: want scheme://host[:port] only", origin)
	}
	if c.trusted == nil {
		c.trusted = map[string]bool{}
	}
	c.trusted[origin] = true
	return nil
}

var errCrossOrigin = errors.New("cross-origin request")

// check returns errCrossOrigin when r must be refused.
func (c *originCheck) check(r *http.Request) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "":
	case "same-origin", "none":
		return nil
	default:
		if c.trusted[r.Header.Get("Origin")] {
			return nil
		}
		return errCrossOrigin
	}
	origin := r.Header.Get("Origin")
	if origin == "" || c.trusted[origin] {
		return nil
	}
	if u, err := url.Parse(origin); err == nil && u.Host != "" && u.Host == r.Host {
		return nil
	}
	return errCrossOrigin
}
