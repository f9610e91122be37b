package ofrep_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/ofrep"
)

// FuzzHandler sends arbitrary bodies, keys and cookies: every answer is one
// the protocol has, with a JSON body where it has one, and nothing panics.
func FuzzHandler(f *testing.F) {
	cfg, err := gray.ParseConfig([]byte(testConfig))
	if err != nil {
		f.Fatal(err)
	}
	e, err := gray.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	h := gray.Middleware(e, gray.WithKeyFromCookie("uid"))(ofrep.NewHandler(ofrep.WithMaxBody(4096)))
	for _, seed := range []struct{ key, uid, body, inm string }{
		{"", "u", `{"context":{"targetingKey":"u"}}`, ""},
		{"new-checkout", "staff-1", `{"context":{}}`, `"x"`},
		{"banner", "", `{"context":{"targetingKey":{"a":1}}}`, "*"},
		{"nope", "u", `{"context":[]}`, ""},
		{"x/y", "u", `\x00`, ""},
	} {
		f.Add(seed.key, seed.uid, seed.body, seed.inm)
	}
	f.Fuzz(func(t *testing.T, key, uid, body, inm string) {
		path := "/ofrep/v1/evaluate/flags"
		if key != "" {
			path += "/" + key
		}
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", strings.NewReader(body))
		req.URL.Path = path
		req.Header.Set("Cookie", "uid="+uid)
		req.Header.Set("If-None-Match", inm)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusNotFound:
			if !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("%d with a body that is not JSON: %q", rec.Code, rec.Body)
			}
		case http.StatusNotModified:
			if rec.Body.Len() != 0 || key != "" {
				t.Fatalf("304 for %q with body %q", key, rec.Body)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
