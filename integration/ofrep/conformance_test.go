package ofrep_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/ofrep"
)

const docURL = "https://ofrep.test/openapi.json"

// spec is the OFREP OpenAPI document, ready to validate responses.
type spec struct {
	doc      map[string]any
	compiler *jsonschema.Compiler
}

func loadSpec(t *testing.T) *spec {
	t.Helper()
	raw, err := os.ReadFile("testdata/openapi.yaml")
	require.NoError(t, err)
	var y any
	require.NoError(t, yaml.Unmarshal(raw, &y))
	js, err := json.Marshal(y)
	require.NoError(t, err)
	docAny, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	require.NoError(t, err)
	doc := docAny.(map[string]any)

	// The one correction (see testdata/README.md): the value types of a
	// success overlap, so their oneOf can never hold; read it as anyOf and
	// check the exact type in checkValue.
	succ := dig(t, doc, "components", "schemas", "evaluationSuccess").(map[string]any)
	types := succ["allOf"].([]any)[1].(map[string]any)
	require.Contains(t, types, "oneOf", "the document changed: revisit the correction")
	types["anyOf"] = types["oneOf"]
	delete(types, "oneOf")

	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	require.NoError(t, c.AddResource(docURL, doc))
	return &spec{doc: doc, compiler: c}
}

func dig(t *testing.T, v any, path ...string) any {
	t.Helper()
	for _, p := range path {
		m, ok := v.(map[string]any)
		require.True(t, ok, "%s: not an object", p)
		v, ok = m[p]
		require.True(t, ok, "%s: missing", p)
	}
	return v
}

// check validates a response to POST path against what the document says
// for its status: the schema of its JSON body, or no body at all.
func (s *spec) check(t *testing.T, path string, rec *httptest.ResponseRecorder) {
	t.Helper()
	resp := dig(t, s.doc, "paths", path, "post", "responses", strconv.Itoa(rec.Code)).(map[string]any)
	content, ok := resp["content"].(map[string]any)
	if !ok {
		assert.Empty(t, rec.Body.String(), "the document gives %d no body", rec.Code)
		return
	}
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	inst, err := s.validate(t, content, rec.Body.Bytes())
	if err != nil {
		t.Errorf("%d from %s does not conform: %v\nbody: %s", rec.Code, path, err, rec.Body)
	}
	if rec.Code == http.StatusOK {
		s.checkValues(t, inst)
	}
}

// validate checks body against the schema of a response's content.
func (s *spec) validate(t *testing.T, content map[string]any, body []byte) (any, error) {
	t.Helper()
	ref := dig(t, content, "application/json", "schema", "$ref").(string)
	require.True(t, strings.HasPrefix(ref, "#/"), ref)
	sch, err := s.compiler.Compile(docURL + ref)
	require.NoError(t, err, ref)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	require.NoError(t, err, "body: %s", body)
	return inst, sch.Validate(inst)
}

// TestSpecCatchesNonConformingBodies shows the check above is not vacuous:
// bodies that break the document are refused.
func TestSpecCatchesNonConformingBodies(t *testing.T) {
	s := loadSpec(t)
	content := func(path, code string) map[string]any {
		return dig(t, s.doc, "paths", path, "post", "responses", code, "content").(map[string]any)
	}
	tests := []struct {
		name     string
		givePath string
		giveCode string
		giveBody string
	}{
		{"reason outside the enum", "/ofrep/v1/evaluate/flags/{key}", "200", `{"key":"a","value":"x","reason":"DEFAULT"}`},
		{"no reason", "/ofrep/v1/evaluate/flags/{key}", "200", `{"key":"a","value":"x"}`},
		{"failure without a code", "/ofrep/v1/evaluate/flags/{key}", "400", `{"key":"a","errorDetails":"x"}`},
		{"error code outside the enum", "/ofrep/v1/evaluate/flags/{key}", "400", `{"key":"a","errorCode":"FLAG_NOT_FOUND"}`},
		{"not found with another code", "/ofrep/v1/evaluate/flags/{key}", "404", `{"key":"a","errorCode":"GENERAL"}`},
		{"bulk without flags", "/ofrep/v1/evaluate/flags", "200", `{"flag":[]}`},
		{"bulk with a bad flag", "/ofrep/v1/evaluate/flags", "200", `{"flags":[{"key":"a"}]}`},
		{"metadata holding an object", "/ofrep/v1/evaluate/flags", "200", `{"flags":[{"key":"a","value":1,"reason":"SPLIT","metadata":{"x":{}}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.validate(t, content(tt.givePath, tt.giveCode), []byte(tt.giveBody))
			assert.Error(t, err)
		})
	}
}

// checkValues checks that each success's value matches exactly one of the
// document's typed value schemas (boolean, string, integer, float, object),
// the part of the oneOf the correction relaxed.
func (s *spec) checkValues(t *testing.T, inst any) {
	t.Helper()
	m := inst.(map[string]any)
	flags := []any{m}
	if f, ok := m["flags"].([]any); ok {
		flags = f
	}
	for _, f := range flags {
		fm := f.(map[string]any)
		if _, failed := fm["errorCode"]; failed {
			continue
		}
		v, ok := fm["value"]
		require.True(t, ok, "graykit always sends a value: %v", fm)
		var matched []string
		for _, name := range []string{"booleanFlag", "stringFlag", "integerFlag", "floatFlag", "objectFlag"} {
			sch, err := s.compiler.Compile(docURL + "#/components/schemas/" + name)
			require.NoError(t, err)
			if sch.Validate(map[string]any{"value": v}) == nil {
				matched = append(matched, name)
			}
		}
		switch {
		case len(matched) == 2 && matched[0] == "integerFlag" && matched[1] == "floatFlag":
		case len(matched) == 1:
		default:
			t.Errorf("value %v of %v matches %v", v, fm["key"], matched)
		}
	}
}

const config = `
rollouts:
  - name: new-checkout
    client: true
    percent: 50
    rules:
      - name: staff
        when: {field: key, in: [staff-1]}
        serve: canary
  - name: internal-only
    percent: 100
  - name: braked
    client: true
    enabled: false
    percent: 100
  - name: anonymous-banner
    client: true
    rules:
      - name: beta-testers
        when: {field: "header:X-Beta", eq: "1"}
        serve: canary
  - name: dark-mode
    client: true
    default_value: false
    variants: [{name: canary, percent: 50, value: true}]
  - name: page-size
    client: true
    default_value: 20
    variants: [{name: canary, percent: 50, value: 50}]
  - name: ratio
    client: true
    default_value: 0.25
    variants: [{name: canary, percent: 50, value: 0.75}]
  - name: theme
    client: true
    default_value: {color: grey, sizes: [1, 2]}
    variants: [{name: canary, percent: 50, value: {color: blue}}]
`

// TestConformance sends the handler every kind of request and validates
// every status code it answers with against the OFREP OpenAPI document.
func TestConformance(t *testing.T) {
	s := loadSpec(t)
	cfg, err := gray.ParseConfig([]byte(config))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	auth := ofrep.WithAuth(func(r *http.Request) error {
		switch r.Header.Get("Authorization") {
		case "Bearer good":
			return nil
		case "Bearer read-only":
			return ofrep.ErrForbidden
		}
		return errors.New("no token")
	})
	h := gray.Middleware(e, gray.WithKeyFromCookie("uid"))(ofrep.NewHandler(auth, ofrep.WithCORS("https://app.example")))
	const (
		single = "/ofrep/v1/evaluate/flags/{key}"
		bulk   = "/ofrep/v1/evaluate/flags"
	)
	type give struct {
		path, uid, body, token, ifNoneMatch string
		beta                                bool
	}
	send := func(h http.Handler, g give) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, g.path, strings.NewReader(g.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "https://app.example")
		if g.uid != "" {
			req.AddCookie(&http.Cookie{Name: "uid", Value: g.uid})
		}
		if g.token != "" {
			req.Header.Set("Authorization", "Bearer "+g.token)
		}
		if g.ifNoneMatch != "" {
			req.Header.Set("If-None-Match", g.ifNoneMatch)
		}
		if g.beta {
			req.Header.Set("X-Beta", "1")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	etag := send(h, give{path: bulk, uid: "u-1", body: `{"context":{"targetingKey":"u-1"}}`, token: "good"}).Header().Get("ETag")
	require.NotEmpty(t, etag)

	tests := []struct {
		name       string
		give       give
		noMW       bool // the handler alone
		strict     bool // WithRequireKey
		wantStatus int
		wantSpec   string // the document's path
	}{
		{"single, split", give{path: "/ofrep/v1/evaluate/flags/new-checkout", uid: "u-1", body: `{"context":{"targetingKey":"u-1"}}`, token: "good"}, false, false, 200, single},
		{"single, rule", give{path: "/ofrep/v1/evaluate/flags/new-checkout", uid: "staff-1", body: `{"context":{"targetingKey":"staff-1","email":"s@example.com"}}`, token: "good"}, false, false, 200, single},
		{"single, braked", give{path: "/ofrep/v1/evaluate/flags/braked", uid: "u-1", body: `{"context":{}}`, token: "good"}, false, false, 200, single},
		{"single, no key", give{path: "/ofrep/v1/evaluate/flags/anonymous-banner", body: `{"context":{}}`, token: "good"}, false, false, 200, single},
		{"single, no key, rule", give{path: "/ofrep/v1/evaluate/flags/anonymous-banner", body: `{"context":{}}`, token: "good", beta: true}, false, false, 200, single},
		{"single, bool", give{path: "/ofrep/v1/evaluate/flags/dark-mode", uid: "u-1", body: `{"context":{}}`, token: "good"}, false, false, 200, single},
		{"single, integer", give{path: "/ofrep/v1/evaluate/flags/page-size", uid: "u-1", body: `{"context":{}}`, token: "good"}, false, false, 200, single},
		{"single, float", give{path: "/ofrep/v1/evaluate/flags/ratio", uid: "u-1", body: `{"context":{}}`, token: "good"}, false, false, 200, single},
		{"single, object", give{path: "/ofrep/v1/evaluate/flags/theme", uid: "u-1", body: `{"context":{}}`, token: "good"}, false, false, 200, single},
		{"single, unknown", give{path: "/ofrep/v1/evaluate/flags/nope", uid: "u-1", body: `{"context":{}}`, token: "good"}, false, false, 404, single},
		{"single, not for clients", give{path: "/ofrep/v1/evaluate/flags/internal-only", uid: "u-1", body: `{"context":{}}`, token: "good"}, false, false, 404, single},
		{"single, parse error", give{path: "/ofrep/v1/evaluate/flags/new-checkout", uid: "u-1", body: `{`, token: "good"}, false, false, 400, single},
		{"single, invalid context", give{path: "/ofrep/v1/evaluate/flags/new-checkout", uid: "u-1", body: `{"context":"u-1"}`, token: "good"}, false, false, 400, single},
		{"single, another user", give{path: "/ofrep/v1/evaluate/flags/new-checkout", uid: "u-1", body: `{"context":{"targetingKey":"staff-1"}}`, token: "good"}, false, false, 400, single},
		{"single, unauthorized", give{path: "/ofrep/v1/evaluate/flags/new-checkout", uid: "u-1", body: `{"context":{}}`}, false, false, 401, single},
		{"single, forbidden", give{path: "/ofrep/v1/evaluate/flags/new-checkout", uid: "u-1", body: `{"context":{}}`, token: "read-only"}, false, false, 403, single},
		{"single, outside the middleware", give{path: "/ofrep/v1/evaluate/flags/new-checkout", uid: "u-1", body: `{"context":{}}`, token: "good"}, true, false, 500, single},
		{"bulk", give{path: bulk, uid: "u-1", body: `{"context":{"targetingKey":"u-1"}}`, token: "good"}, false, false, 200, bulk},
		{"bulk, staff", give{path: bulk, uid: "staff-1", body: `{"context":{"targetingKey":"staff-1"}}`, token: "good"}, false, false, 200, bulk},
		{"bulk, no key", give{path: bulk, body: `{"context":{}}`, token: "good"}, false, false, 200, bulk},
		{"bulk, unchanged", give{path: bulk, uid: "u-1", body: `{"context":{"targetingKey":"u-1"}}`, token: "good", ifNoneMatch: etag}, false, false, 304, bulk},
		{"bulk, parse error", give{path: bulk, uid: "u-1", body: `[`, token: "good"}, false, false, 400, bulk},
		{"bulk, invalid context", give{path: bulk, uid: "u-1", body: `{"context":{"targetingKey":7}}`, token: "good"}, false, false, 400, bulk},
		{"bulk, unauthorized", give{path: bulk, uid: "u-1", body: `{"context":{}}`, token: "bad"}, false, false, 401, bulk},
		{"bulk, forbidden", give{path: bulk, uid: "u-1", body: `{"context":{}}`, token: "read-only"}, false, false, 403, bulk},
		{"single, no key, required", give{path: "/ofrep/v1/evaluate/flags/new-checkout", body: `{"context":{}}`, token: "good"}, false, true, 400, single},
		{"bulk, no key, required", give{path: bulk, body: `{"context":{}}`, token: "good"}, false, true, 400, bulk},
		{"bulk, outside the middleware", give{path: bulk, uid: "u-1", body: `{"context":{}}`, token: "good"}, true, false, 500, bulk},
	}
	seen := map[string]map[int]bool{single: {}, bulk: {}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			handler := h
			switch {
			case tt.noMW:
				handler = ofrep.NewHandler(auth)
			case tt.strict:
				handler = gray.Middleware(e, gray.WithKeyFromCookie("uid"))(ofrep.NewHandler(auth, ofrep.WithRequireKey()))
			}
			rec := send(handler, tt.give)
			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			s.check(t, tt.wantSpec, rec)
			seen[tt.wantSpec][rec.Code] = true
		})
	}
	// Every status the document lists is exercised, except 429: the handler
	// does no rate limiting (a limiter in front of it answers that).
	for _, p := range []string{single, bulk} {
		for code := range dig(t, s.doc, "paths", p, "post", "responses").(map[string]any) {
			n, err := strconv.Atoi(code)
			require.NoError(t, err)
			if n != http.StatusTooManyRequests {
				assert.True(t, seen[p][n], "%s %d is never exercised", p, n)
			}
		}
	}
}
