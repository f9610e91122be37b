package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"

	"github.com/graykit/graykit/gray"
)

// FuzzRequestBodies feeds arbitrary bodies to the console's JSON decoding,
// as an action and as an explain request: every refusal is a 400 with a
// message, nothing panics, and an accepted body names no top-level field
// twice (in any case) and carries an audit reason with no control, format
// or separator character.
func FuzzRequestBodies(f *testing.F) {
	for _, seed := range []string{
		`{"share": 20, "reason": "looks fine"}`,
		`{"share": 1, "share": 100}`,
		`{"share": 1, "SHARE": 100}`,
		`{"reaſon": "long s folds to s", "reason": "x"}`,
		`{"reason": "fixed \u202egnp.exe"}`,
		`{"reason": "a\u2028b"}`,
		`{"rollout": "checkout", "key": "u", "headers": {"X": "1", "x": "2"}, "attrs": {"a": "b"}}`,
		`{"rollout": "checkout", "headers": {"X": "1", "X": "2"}}`,
		`{"rollout": "checkout", "ip": "::ffff:10.0.0.1"}`,
		`{"a": [{"b": 1, "b": 2}]}`,
		`{"share": 1e999}`,
		`{} {}`,
		`[`,
		``,
	} {
		f.Add([]byte(seed))
	}
	cfg, err := gray.ParseConfig([]byte("rollouts: [{name: checkout, percent: 50, rules: [{name: t, when: {field: \"header:X\", eq: \"1\"}, serve: canary}]}]"))
	if err != nil {
		f.Fatal(err)
	}
	e, err := gray.New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		newReq := func() *http.Request {
			r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			return r
		}
		var act ActionRequest
		err := decodeBody(newReq(), &act, true)
		if err == nil {
			err = checkReason(act.Reason)
		}
		if err != nil {
			wantBadRequest(t, err)
		} else {
			if dup, ok := topLevelDuplicate(body); ok {
				t.Fatalf("accepted %q, which names %q twice", body, dup)
			}
			for _, c := range act.Reason {
				if unicode.IsControl(c) || unicode.In(c, unicode.Cf, unicode.Zl, unicode.Zp) {
					t.Fatalf("accepted the reason %q", act.Reason)
				}
			}
		}

		var ex ExplainRequest
		if err := decodeBody(newReq(), &ex, false); err != nil {
			wantBadRequest(t, err)
			return
		}
		if dup, ok := topLevelDuplicate(body); ok {
			t.Fatalf("accepted %q, which names %q twice", body, dup)
		}
		if _, err := Explain(e, ex); err != nil && !errors.Is(err, gray.ErrUnknownRollout) {
			wantBadRequest(t, err)
		}
	})
}

func wantBadRequest(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, errBadRequest) && err != errUnsupportedMedia {
		t.Fatalf("error %v is not a bad request", err)
	}
	if !strings.HasPrefix(err.Error(), "admin: ") {
		t.Fatalf("error %q does not start with the package", err)
	}
}

// topLevelDuplicate is the fuzz test's own, simpler account of the top-level
// keys: it tracks nesting depth only, and compares keys with
// strings.EqualFold as encoding/json matches struct fields.
func topLevelDuplicate(body []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var keys []string
	depth, wantKey := 0, false
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		if depth == 1 && wantKey {
			if k, ok := tok.(string); ok {
				for _, seen := range keys {
					if strings.EqualFold(seen, k) {
						return k, true
					}
				}
				keys = append(keys, k)
				wantKey = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		wantKey = depth == 1
	}
}
