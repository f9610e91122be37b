package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Role is what an authenticated caller may do.
type Role string

// The roles. An operator can do everything a viewer can, and act.
const (
	// RoleViewer reads rollouts, metrics and the audit trail, and explains
	// decisions.
	RoleViewer Role = "viewer"
	// RoleOperator also acts: set share, advance, pause, resume, brake,
	// promote.
	RoleOperator Role = "operator"
)

func (r Role) valid() bool { return r == RoleViewer || r == RoleOperator }

// Principal is an authenticated caller. Its Name is what the audit trail
// records as the actor.
type Principal struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

// Token is a bearer token from configuration: a caller that sends
// "Authorization: Bearer <Secret>" is Name with Role.
type Token struct {
	// Name identifies the holder in the audit trail, e.g. "alice" or "ci".
	Name string
	// Secret is the token itself; at least 16 bytes. Keep it out of source
	// code: read it from the environment or a secret store.
	Secret string
	// Role is RoleViewer or RoleOperator.
	Role Role
}

// AuthorizeFunc authenticates a request the application's own way
// (a session, mTLS, a reverse proxy's header) and returns who it is. An
// error means the request is not authenticated and gets 401; the error's
// text is not shown to the caller.
type AuthorizeFunc func(r *http.Request) (Principal, error)

// ErrUnauthenticated is what the built-in token check returns for a
// request without a valid bearer token.
var ErrUnauthenticated = errors.New("admin: missing or invalid bearer token")

// minSecretLen is the shortest token secret accepted.
const minSecretLen = 16

// tokenSet checks bearer tokens in constant time.
type tokenSet struct {
	hashes [][sha256.Size]byte
	who    []Principal
}

func newTokenSet(tokens []Token) (*tokenSet, error) {
	ts := &tokenSet{}
	seen := map[[sha256.Size]byte]bool{}
	for i, t := range tokens {
		switch {
		case t.Name == "":
			return nil, fmt.Errorf("admin: tokens[%d]: name is empty", i)
		case len(t.Secret) < minSecretLen:
			return nil, fmt.Errorf("admin: tokens[%d] (%s): secret is shorter than %d bytes", i, t.Name, minSecretLen)
		case !t.Role.valid():
			return nil, fmt.Errorf("admin: tokens[%d] (%s): role %q is neither %q nor %q", i, t.Name, t.Role, RoleViewer, RoleOperator)
		}
		h := sha256.Sum256([]byte(t.Secret))
		if seen[h] {
			return nil, fmt.Errorf("admin: tokens[%d] (%s): secret is used by another token", i, t.Name)
		}
		seen[h] = true
		ts.hashes = append(ts.hashes, h)
		ts.who = append(ts.who, Principal{Name: t.Name, Role: t.Role})
	}
	return ts, nil
}

// authorize finds the token in r's Authorization header. Every configured
// token is compared, each in constant time over equal-length hashes, so
// the time taken says nothing about which token or how much of it matched.
func (ts *tokenSet) authorize(r *http.Request) (Principal, error) {
	secret, ok := bearer(r)
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	h := sha256.Sum256([]byte(secret))
	found := -1
	for i := range ts.hashes {
		if subtle.ConstantTimeCompare(h[:], ts.hashes[i][:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, ErrUnauthenticated
	}
	return ts.who[found], nil
}

// bearer returns the token of an "Authorization: Bearer" header.
func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// CSRFHeader is the header every POST to the API must carry (with any
// non-empty value). A cross-site HTML form cannot send a custom header, and
// a cross-site script cannot without a CORS preflight, which the handler
// never grants.
const CSRFHeader = "X-Graykit-CSRF"

// checkCSRF rejects a state-changing request that a browser sent from
// another origin, or that lacks [CSRFHeader].
func checkCSRF(cop *originCheck, r *http.Request) error {
	if r.Header.Get(CSRFHeader) == "" {
		return fmt.Errorf("admin: POST requests need the %s header", CSRFHeader)
	}
	if err := cop.check(r); err != nil {
		return errors.New("admin: cross-origin request refused")
	}
	return nil
}
