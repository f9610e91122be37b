// Package demoauth stands in for an application's own authentication in
// the examples. It issues bearer tokens and verifies them, so that the
// examples take each request's subject key from a verified identity, as a
// public edge must: a key read from a header the client writes (X-User-ID)
// lets any client pick its bucket and any user named in a `key in [...]`
// rule. In a real application the key comes from the session or token your
// authentication middleware verified.
package demoauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// Authority issues and verifies tokens under a secret drawn at random when
// it is created. It is safe for concurrent use.
type Authority struct {
	secret []byte
}

// New returns an authority with a fresh random secret.
func New() *Authority {
	a := &Authority{secret: make([]byte, 32)}
	_, _ = rand.Read(a.secret) // never fails (crypto/rand since Go 1.24)
	return a
}

// Token returns a bearer token for user, as a login would.
func (a *Authority) Token(user string) string {
	return user + "." + a.mac(user)
}

// UserID returns the user of the request's valid bearer token, or "" when
// there is none: it fits gray.WithKeyFunc.
func (a *Authority) UserID(r *http.Request) string {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return ""
	}
	user, mac := tok[:i], tok[i+1:]
	if !hmac.Equal([]byte(mac), []byte(a.mac(user))) {
		return ""
	}
	return user
}

// Authorize sets r's Authorization header to user's token.
func (a *Authority) Authorize(r *http.Request, user string) {
	r.Header.Set("Authorization", "Bearer "+a.Token(user))
}

func (a *Authority) mac(user string) string {
	m := hmac.New(sha256.New, a.secret)
	m.Write([]byte(user))
	return hex.EncodeToString(m.Sum(nil)[:16])
}
