package gray_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/graykit/graykit/gray"
)

// FuzzAnonymousCookie sends arbitrary Cookie headers to a middleware with
// anonymous stickiness: nothing panics; a cookie's ID becomes the key only
// if the cookie is one the server issued (the fuzzer cannot forge a tag),
// and every other request gets a fresh, well-formed ID that the server
// accepts on the next request.
func FuzzAnonymousCookie(f *testing.F) {
	e := mustEngine(f, `rollouts: [{name: checkout-v2, percent: 50}]`)
	secret := []byte("anonymous-secret-a-anonymous-sec")
	h := anonHandler(e, gray.WithAnonymousSecret(secret))
	// tagOf is the documented tag, computed independently of the package.
	tagOf := func(id string) string {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("graykit-anon|" + id))
		return hex.EncodeToString(m.Sum(nil)[:16])
	}
	serve := func(cookie string) (key string, set []*http.Cookie) {
		r := httptest.NewRequest(http.MethodGet, "http://shop/", nil)
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		key, _, _ = strings.Cut(w.Body.String(), " ")
		return key, w.Result().Cookies()
	}
	_, set := serve("")
	if len(set) != 1 {
		f.Fatalf("cookies %v", set)
	}
	issued := set[0].Value
	id, tag, _ := strings.Cut(issued, ".")
	if tag != tagOf(id) {
		f.Fatalf("cookie %q: the tag is not HMAC-SHA256(secret, \"graykit-anon|\" + ID)[:16] in hex", issued)
	}
	for _, seed := range []string{
		"gk=" + issued,
		"a=1; gk=" + issued + "; b=2",
		"gk=" + id,
		"gk=" + id + "." + strings.ToUpper(tag),
		"gk=" + id + "." + tag + "0",
		"gk=anon-00000000000000000000000000000000.00000000000000000000000000000000",
		`gk="` + issued + `"`,
		"gk=; gk=" + issued,
		"gk",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cookie string) {
		key, set := serve(cookie)
		if !strings.HasPrefix(key, "anon-") || len(key) != 37 {
			t.Fatalf("key %q is not an anonymous ID", key)
		}
		if len(set) == 0 {
			if !strings.Contains(cookie, key+"."+tagOf(key)) {
				t.Fatalf("cookie %q kept a key %q the server never issued", cookie, key)
			}
			return
		}
		if len(set) != 1 || !strings.HasPrefix(set[0].Value, key+".") || !set[0].HttpOnly {
			t.Fatalf("cookie %q: set %v for key %q", cookie, set, key)
		}
		again, reset := serve("gk=" + set[0].Value)
		if again != key || len(reset) != 0 {
			t.Fatalf("the issued cookie %q was not accepted: key %q, set %v", set[0].Value, again, reset)
		}
	})
}
