package gray_test

import (
	"bytes"
	"crypto/tls"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// anonVisit serves one request with the cookie (if any) and returns the
// subject key the handler saw, its checkout variant, and the cookie set on
// the response (nil if none).
func anonVisit(t *testing.T, h http.Handler, cookie string, tlsOn bool) (key, variant string, set *http.Cookie) {
	t.Helper()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "http://shop/", nil)
	if cookie != "" {
		r.Header.Set("Cookie", "gk="+cookie)
	}
	if tlsOn {
		r.TLS = &tls.ConnectionState{}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	key, variant, _ = strings.Cut(w.Body.String(), " ")
	if cs := w.Result().Cookies(); len(cs) > 0 {
		require.Len(t, cs, 1)
		set = cs[0]
	}
	return key, variant, set
}

func anonHandler(e *gray.Engine, opts ...gray.Option) http.Handler {
	return gray.Middleware(e, append([]gray.Option{gray.WithAnonymousCookie("gk")}, opts...)...)(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, _ := gray.FromContext(r.Context())
			_, _ = w.Write([]byte(d.Subject().Key + " " + d.Variant("checkout-v2")))
		}))
}

// TestAnonymousIDCannotBeChosen: XXH64 is public and the salt is the
// rollout's name, so a client can search offline for an ID in the canary's
// buckets. Such an ID, however well-formed, is replaced with a fresh one.
func TestAnonymousIDCannotBeChosen(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout-v2, percent: 1}]`)
	h := anonHandler(e)
	var chosen string
	for i := 0; chosen == ""; i++ {
		id := "anon-" + hex.EncodeToString([]byte(strconv.Itoa(1e15 + i)))[:32]
		if gray.SaltedBucket("checkout-v2", id) < 100 {
			chosen = id
		}
	}
	for _, give := range []string{chosen, chosen + "." + strings.Repeat("0", 32)} {
		key, _, set := anonVisit(t, h, give, false)
		assert.NotEqual(t, chosen, key, "the chosen ID is not the key")
		require.NotNil(t, set, "a new ID is issued")
		assert.NotContains(t, set.Value, chosen)
	}
}

func TestAnonymousCookieVerification(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout-v2, percent: 50}]`)
	secretA := []byte("anonymous-secret-a-anonymous-sec")
	secretB := []byte("anonymous-secret-b-anonymous-sec")
	replicaA := anonHandler(e, gray.WithAnonymousSecret(secretA))
	replicaA2 := anonHandler(e, gray.WithAnonymousSecret(secretA))
	rotated := anonHandler(e, gray.WithAnonymousSecret(secretB, secretA))
	otherSecret := anonHandler(e, gray.WithAnonymousSecret(secretB))
	defaultSecret := anonHandler(e)

	_, _, issued := anonVisit(t, replicaA, "", false)
	require.NotNil(t, issued)
	id, tag, ok := strings.Cut(issued.Value, ".")
	require.True(t, ok)
	flipped := tag[:31] + "0"
	if tag[31] == '0' {
		flipped = tag[:31] + "1"
	}

	tests := []struct {
		name     string
		h        http.Handler
		give     string
		wantKept bool // the cookie's ID is the key
		wantSet  bool // a cookie is set on the response
	}{
		{"as issued", replicaA, issued.Value, true, false},
		{"another replica with the same secret", replicaA2, issued.Value, true, false},
		{"rotation: an older secret verifies and the ID is re-tagged", rotated, issued.Value, true, true},
		{"a replica with another secret", otherSecret, issued.Value, false, true},
		{"the default secret of this process", defaultSecret, issued.Value, false, true},
		{"tampered tag", replicaA, id + "." + flipped, false, true},
		{"no tag (the old format)", replicaA, id, false, true},
		{"upper-case hex", replicaA, strings.ToUpper(id[:5]) + id[5:] + "." + tag, false, true},
		{"ID of another length", replicaA, id[:36] + "." + tag, false, true},
		{"garbage", replicaA, "chosen-by-client", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, _, set := anonVisit(t, tt.h, tt.give, false)
			assert.Equal(t, tt.wantKept, key == id, "key %q", key)
			require.Equal(t, tt.wantSet, set != nil)
			if set == nil {
				return
			}
			newID, _, _ := strings.Cut(set.Value, ".")
			assert.Equal(t, key, newID, "the cookie set is the key in use")
			again, _, reset := anonVisit(t, tt.h, set.Value, false)
			assert.Equal(t, key, again, "the new cookie is accepted as it is")
			assert.Nil(t, reset)
		})
	}
}

// TestAnonymousCookieAttributes: behind a proxy that terminates TLS the
// request is plain HTTP, so Secure must be asked for.
func TestAnonymousCookieAttributes(t *testing.T) {
	e := mustEngine(t, `rollouts: [{name: checkout-v2, percent: 50}]`)
	tests := []struct {
		name       string
		opts       []gray.Option
		tls        bool
		wantSecure bool
	}{
		{"plain HTTP", nil, false, false},
		{"TLS", nil, true, true},
		{"behind a TLS-terminating proxy, forced", []gray.Option{gray.WithSecureAnonymousCookie()}, false, true},
		{"TLS, forced", []gray.Option{gray.WithSecureAnonymousCookie()}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, set := anonVisit(t, anonHandler(e, tt.opts...), "", tt.tls)
			require.NotNil(t, set)
			assert.Equal(t, tt.wantSecure, set.Secure)
			assert.True(t, set.HttpOnly)
			assert.Equal(t, http.SameSiteLaxMode, set.SameSite)
			assert.Equal(t, "/", set.Path)
			assert.Equal(t, 365*24*60*60, set.MaxAge)
		})
	}
}

// TestAnonymousSecretTooShort: a secret under MinSecretSize is an error in
// the log, and the random secret of the process is used instead: IDs are
// still verified.
func TestAnonymousSecretTooShort(t *testing.T) {
	var log bytes.Buffer
	e := mustEngine(t, `rollouts: [{name: checkout-v2, percent: 50}]`, gray.WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	h := anonHandler(e, gray.WithAnonymousSecret([]byte("short")))
	assert.Contains(t, log.String(), "secrets[0]: 5 bytes, at least 32 are required")
	_, _, set := anonVisit(t, h, "", false)
	require.NotNil(t, set)
	key, _, reset := anonVisit(t, anonHandler(e), set.Value, false)
	assert.Nil(t, reset, "the process's secret tagged it")
	assert.Equal(t, strings.Split(set.Value, ".")[0], key)
}
