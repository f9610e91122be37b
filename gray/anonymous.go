package gray

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"net/http"
	"sync"
)

// An anonymous visitor's cookie is its ID and a tag that proves the ID was
// issued here:
//
//	anon-<32 hex digits: 16 random bytes>.<32 hex digits: HMAC-SHA256(secret, "graykit-anon|" + ID), first 16 bytes>
//
// The subject key is the ID alone, so the bucket does not depend on the
// secret and a rotation can re-tag an ID without moving its visitor. XXH64
// is public and the salt is usually the rollout's name, so an ID the client
// could write itself would let it pick its bucket (an offline search finds
// one in bucket 0 in well under a second); with the tag it can only take
// the IDs it is given.
const (
	anonPrefix  = "anon-"
	anonIDLen   = len(anonPrefix) + 32
	anonTagLen  = 32
	anonLen     = anonIDLen + 1 + anonTagLen
	anonMACInfo = "graykit-anon|"
)

// anonCookieMaxAge is how long an anonymous ID lives: a year.
const anonCookieMaxAge = 365 * 24 * 60 * 60

// processAnonSecret is the secret of hooks given none: random, drawn once
// per process, so every hook of one process accepts the others' IDs and no
// other process accepts them.
var processAnonSecret = sync.OnceValue(func() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand since Go 1.24)
	return b
})

// anonIDs issues and verifies anonymous IDs. It is safe for concurrent use.
type anonIDs struct {
	name    string
	secure  bool
	secrets [][]byte
	states  sync.Pool // *anonState
}

type anonState struct {
	hs  []hash.Hash
	buf []byte
	sum []byte
}

func newAnonIDs(name string, secrets [][]byte, secure bool) *anonIDs {
	a := &anonIDs{name: name, secure: secure, secrets: secrets}
	a.states.New = func() any {
		st := &anonState{buf: make([]byte, 0, len(anonMACInfo)+anonIDLen), sum: make([]byte, 0, sha256.Size)}
		for _, s := range a.secrets {
			st.hs = append(st.hs, hmac.New(sha256.New, s))
		}
		return st
	}
	return a
}

// checkAnonSecrets returns the problem with secrets given to
// WithAnonymousSecret, if any.
func checkAnonSecrets(secrets [][]byte) error {
	if len(secrets) == 0 {
		return fmt.Errorf("gray: anonymous cookie: no secret given")
	}
	for i, s := range secrets {
		if len(s) < MinSecretSize {
			return fmt.Errorf("gray: anonymous cookie: secrets[%d]: %d bytes, at least %d are required", i, len(s), MinSecretSize)
		}
	}
	return nil
}

// tag appends the tag of id under secrets[i] to b, in hex.
func (a *anonIDs) tag(st *anonState, i int, id string, b []byte) []byte {
	h := st.hs[i]
	h.Reset()
	st.buf = append(append(st.buf[:0], anonMACInfo...), id...)
	h.Write(st.buf)
	st.sum = h.Sum(st.sum[:0])
	return hex.AppendEncode(b, st.sum[:anonTagLen/2])
}

// verify returns the ID of a cookie value this process (or one sharing its
// secrets) issued, and which secret tagged it: 0 for the current one.
func (a *anonIDs) verify(v string) (id string, secret int, ok bool) {
	if len(v) != anonLen || v[:len(anonPrefix)] != anonPrefix || v[anonIDLen] != '.' || !isLowerHex(v[len(anonPrefix):anonIDLen]) {
		return "", 0, false
	}
	id, got := v[:anonIDLen], v[anonIDLen+1:]
	st := a.states.Get().(*anonState)
	defer a.states.Put(st)
	var want [anonTagLen]byte
	for i := range st.hs {
		if hmac.Equal(a.tag(st, i, id, want[:0]), []byte(got)) {
			return id, i, true
		}
	}
	return "", 0, false
}

// cookie returns the cookie value for id, tagged with the current secret.
func (a *anonIDs) cookie(id string) string {
	st := a.states.Get().(*anonState)
	defer a.states.Put(st)
	b := make([]byte, 0, anonLen)
	b = append(b, id...)
	b = append(b, '.')
	return string(a.tag(st, 0, id, b))
}

// key returns the anonymous visitor's key: the ID of a valid cookie, or a
// new ID, set as the cookie on w. A cookie tagged with an older secret is
// re-tagged, keeping its ID.
func (a *anonIDs) key(req Request, hr *http.Request, w http.ResponseWriter) string {
	v, _ := req.Cookie(a.name)
	id, secret, ok := a.verify(v)
	if ok && secret == 0 {
		return id
	}
	if !ok {
		var b [16]byte
		_, _ = rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
		id = anonPrefix + hex.EncodeToString(b[:])
	}
	if w != nil {
		http.SetCookie(w, &http.Cookie{
			Name: a.name, Value: a.cookie(id), Path: "/", MaxAge: anonCookieMaxAge,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.secure || hr.TLS != nil,
		})
	}
	return id
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
