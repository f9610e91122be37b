package ofrep_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/ofrep"
)

const testConfig = `
rollouts:
  - name: new-checkout
    client: true
    percent: 50
    rules:
      - name: staff
        when: {field: key, in: [staff-1]}
        serve: canary
  - name: internal-db-migration
    percent: 100
  - name: dark-mode
    client: true
    enabled: false
    percent: 100
  - name: banner
    client: true
    default: off
    variants: [{name: on, percent: 100}]
`

func newEngine(t *testing.T) *gray.Engine {
	t.Helper()
	cfg, err := gray.ParseConfig([]byte(testConfig))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	return e
}

// serve sends one request through gray.Middleware (key from the "uid"
// cookie) and the handler.
func serve(t *testing.T, h http.Handler, method, path, uid, body string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), method, path, strings.NewReader(body))
	if uid != "" {
		req.AddCookie(&http.Cookie{Name: "uid", Value: uid})
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func behindMiddleware(e *gray.Engine, opts ...ofrep.Option) http.Handler {
	return gray.Middleware(e, gray.WithKeyFromCookie("uid"))(ofrep.NewHandler(opts...))
}

type flag struct {
	Key          string         `json:"key"`
	Value        any            `json:"value"`
	Reason       string         `json:"reason"`
	Variant      string         `json:"variant"`
	ErrorCode    string         `json:"errorCode"`
	ErrorDetails string         `json:"errorDetails"`
	Metadata     map[string]any `json:"metadata"`
}

// userIn returns a key whose bucket in rollout is (inside) or is not
// (outside) below threshold.
func userIn(t *testing.T, e *gray.Engine, rollout, variant string) string {
	t.Helper()
	for i := range 1000 {
		k := "user-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		if e.Decide(rollout, gray.Subject{Key: k}).Variant == variant {
			return k
		}
	}
	t.Fatalf("no user gets %s in %s", variant, rollout)
	return ""
}

func TestBulkServesOnlyClientRolloutsWithTheRequestsDecisions(t *testing.T) {
	e := newEngine(t)
	h := behindMiddleware(e)
	for _, uid := range []string{userIn(t, e, "new-checkout", "canary"), userIn(t, e, "new-checkout", "stable"), "staff-1"} {
		rec := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags", uid, `{"context":{"targetingKey":"`+uid+`"}}`, nil)
		require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
		assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		var got struct{ Flags []flag }
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
		var keys []string
		for _, f := range got.Flags {
			keys = append(keys, f.Key)
		}
		assert.Equal(t, []string{"new-checkout", "dark-mode", "banner"}, keys, "configuration order; internal rollouts never listed")
		assert.NotContains(t, rec.Body.String(), "internal-db-migration")
		assert.NotContains(t, rec.Body.String(), "staff", "rule names are not sent")

		want := e.Decide("new-checkout", gray.Subject{Key: uid})
		assert.Equal(t, want.Variant, got.Flags[0].Variant, uid)
		assert.Equal(t, want.Variant, got.Flags[0].Value, uid)
		assert.Equal(t, "stable", got.Flags[1].Variant, "a braked rollout serves its default")
		assert.Equal(t, "DISABLED", got.Flags[1].Reason)
		assert.Equal(t, "off", got.Flags[1].Metadata["graykitReason"])
		assert.Equal(t, "on", got.Flags[2].Variant)
	}
}

func TestReasons(t *testing.T) {
	e := newEngine(t)
	h := behindMiddleware(e)
	tests := []struct {
		name       string
		give       string // uid
		wantReason string
		wantGray   string
	}{
		{"rule", "staff-1", "TARGETING_MATCH", "rule"},
		{"split", userIn(t, e, "new-checkout", "canary"), "SPLIT", "split"},
		{"default", userIn(t, e, "new-checkout", "stable"), "SPLIT", "default"},
		{"no key", "", "STATIC", "no key"},
		{"subject override", "pinned-1", "TARGETING_MATCH", "override"},
	}
	require.NoError(t, e.SetSubjectOverrides("new-checkout", map[string]string{"pinned-1": "canary"}))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags/new-checkout", tt.give, `{"context":{}}`, nil)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			var got flag
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			assert.Equal(t, tt.wantReason, got.Reason)
			assert.Equal(t, tt.wantGray, got.Metadata["graykitReason"])
			assert.Equal(t, e.Decide("new-checkout", gray.Subject{Key: tt.give}).Variant, got.Variant)
		})
	}
}

func TestErrors(t *testing.T) {
	e := newEngine(t)
	h := behindMiddleware(e, ofrep.WithMaxBody(256))
	tests := []struct {
		name       string
		givePath   string
		giveUID    string
		giveBody   string
		wantStatus int
		wantCode   string
		wantKey    string
	}{
		{"unknown flag", "/ofrep/v1/evaluate/flags/nope", "u", `{"context":{}}`, 404, "FLAG_NOT_FOUND", "nope"},
		{"internal rollout looks unknown", "/ofrep/v1/evaluate/flags/internal-db-migration", "u", `{"context":{}}`, 404, "FLAG_NOT_FOUND", "internal-db-migration"},
		{"not JSON, single", "/ofrep/v1/evaluate/flags/banner", "u", `{"context":`, 400, "PARSE_ERROR", "banner"},
		{"not JSON, bulk", "/ofrep/v1/evaluate/flags", "u", `nope`, 400, "PARSE_ERROR", ""},
		{"empty body", "/ofrep/v1/evaluate/flags", "u", ``, 400, "PARSE_ERROR", ""},
		{"trailing garbage", "/ofrep/v1/evaluate/flags", "u", `{"context":{}} x`, 400, "PARSE_ERROR", ""},
		{"too big", "/ofrep/v1/evaluate/flags", "u", `{"context":{"a":"` + strings.Repeat("x", 300) + `"}}`, 400, "PARSE_ERROR", ""},
		{"context not an object", "/ofrep/v1/evaluate/flags", "u", `{"context":[1]}`, 400, "INVALID_CONTEXT", ""},
		{"context a string", "/ofrep/v1/evaluate/flags/banner", "u", `{"context":"u"}`, 400, "INVALID_CONTEXT", "banner"},
		{"body an array", "/ofrep/v1/evaluate/flags/banner", "u", `[{"context":{}}]`, 400, "PARSE_ERROR", "banner"},
		{"targetingKey not a string", "/ofrep/v1/evaluate/flags", "u", `{"context":{"targetingKey":42}}`, 400, "INVALID_CONTEXT", ""},
		{"someone else's key", "/ofrep/v1/evaluate/flags", "u", `{"context":{"targetingKey":"staff-1"}}`, 400, "INVALID_CONTEXT", ""},
		{"a key on a request without one", "/ofrep/v1/evaluate/flags/new-checkout", "", `{"context":{"targetingKey":"staff-1"}}`, 400, "INVALID_CONTEXT", "new-checkout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, h, http.MethodPost, tt.givePath, tt.giveUID, tt.giveBody, nil)
			require.Equal(t, tt.wantStatus, rec.Code, rec.Body.String())
			var got map[string]any
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
			assert.Equal(t, tt.wantCode, got["errorCode"])
			assert.NotEmpty(t, got["errorDetails"])
			if tt.wantKey != "" {
				assert.Equal(t, tt.wantKey, got["key"])
			} else {
				assert.NotContains(t, got, "key")
			}
			assert.NotContains(t, got, "value", "a failure never carries a value")
		})
	}
}

func TestOutsideMiddlewareFailsClosed(t *testing.T) {
	rec := serve(t, ofrep.NewHandler(), http.MethodPost, "/ofrep/v1/evaluate/flags", "u", `{"context":{}}`, nil)
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.JSONEq(t, `{"errorDetails":"the OFREP handler has no decisions: mount it behind gray.Middleware"}`, rec.Body.String())
}

func TestMethodsAndPaths(t *testing.T) {
	h := behindMiddleware(newEngine(t))
	rec := serve(t, h, http.MethodGet, "/ofrep/v1/evaluate/flags", "u", "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, "POST", rec.Header().Get("Allow"))
	rec = serve(t, h, http.MethodPost, "/ofrep/v2/whatever", "u", `{}`, nil)
	assert.Equal(t, http.StatusNotFound, rec.Code)
	rec = serve(t, h, http.MethodPost, "/api/flags/ofrep/v1/evaluate/flags", "u", `{}`, nil)
	assert.Equal(t, http.StatusOK, rec.Code, "any prefix before the protocol's paths")
	rec = serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags/banner/x", "u", `{}`, nil)
	assert.Equal(t, http.StatusNotFound, rec.Code)
}

func TestETagAnd304(t *testing.T) {
	e := newEngine(t)
	h := behindMiddleware(e)
	uid := userIn(t, e, "new-checkout", "stable")
	body := `{"context":{"targetingKey":"` + uid + `"}}`
	first := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags", uid, body, nil)
	require.Equal(t, http.StatusOK, first.Code)
	etag := first.Header().Get("ETag")
	require.Regexp(t, `^"[0-9a-f]{16}"$`, etag)

	tests := []struct {
		name string
		give string
		want int
	}{
		{"same", etag, http.StatusNotModified},
		{"weak form", "W/" + etag, http.StatusNotModified},
		{"in a list", `"0000000000000000", ` + etag, http.StatusNotModified},
		{"star", "*", http.StatusNotModified},
		{"other", `"0000000000000000"`, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags", uid, body, map[string]string{"If-None-Match": tt.give})
			assert.Equal(t, tt.want, rec.Code)
			assert.Equal(t, etag, rec.Header().Get("ETag"))
			if tt.want == http.StatusNotModified {
				assert.Empty(t, rec.Body.String())
			}
		})
	}

	// A change that leaves this user's answers alone keeps the tag; one that
	// changes them does not.
	cfg := *e.Config()
	cfg.Rollouts = append([]gray.Rollout(nil), cfg.Rollouts...)
	cfg.Rollouts[1].Percent = 0 // internal-db-migration: not visible
	require.NoError(t, e.Update(&cfg))
	rec := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags", uid, body, map[string]string{"If-None-Match": etag})
	assert.Equal(t, http.StatusNotModified, rec.Code)

	cfg.Rollouts[0].Percent = 100
	require.NoError(t, e.Update(&cfg))
	rec = serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags", uid, body, map[string]string{"If-None-Match": etag})
	require.Equal(t, http.StatusOK, rec.Code)
	assert.NotEqual(t, etag, rec.Header().Get("ETag"))
	assert.Contains(t, rec.Body.String(), `"variant":"canary"`)

	// Another user's answers carry another tag.
	other := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags", "staff-1", `{"context":{}}`, nil)
	assert.NotEqual(t, rec.Header().Get("ETag"), other.Header().Get("ETag"))
}

func TestAuth(t *testing.T) {
	e := newEngine(t)
	h := behindMiddleware(e, ofrep.WithAuth(func(r *http.Request) error {
		switch r.Header.Get("X-API-Key") {
		case "good":
			return nil
		case "read-only":
			return ofrep.ErrForbidden
		}
		return errors.New("no key")
	}))
	tests := []struct {
		name string
		give string
		want int
	}{
		{"good", "good", http.StatusOK},
		{"forbidden", "read-only", http.StatusForbidden},
		{"missing", "", http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags", "u", `{"context":{}}`, map[string]string{"X-API-Key": tt.give})
			assert.Equal(t, tt.want, rec.Code)
			if tt.want != http.StatusOK {
				assert.Empty(t, rec.Body.String(), "the protocol gives 401 and 403 no body")
			}
		})
	}
}

func TestCORS(t *testing.T) {
	e := newEngine(t)
	h := behindMiddleware(e, ofrep.WithCORS("https://app.example.com"), ofrep.WithCORSHeaders("X-Tenant"))
	pre := serve(t, h, http.MethodOptions, "/ofrep/v1/evaluate/flags", "", "", map[string]string{
		"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type, if-none-match"})
	assert.Equal(t, http.StatusNoContent, pre.Code)
	assert.Equal(t, "https://app.example.com", pre.Header().Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", pre.Header().Get("Access-Control-Allow-Credentials"))
	assert.Equal(t, "POST", pre.Header().Get("Access-Control-Allow-Methods"))
	assert.Equal(t, "Content-Type, If-None-Match, Authorization, X-API-Key, X-Tenant", pre.Header().Get("Access-Control-Allow-Headers"))
	assert.Equal(t, "600", pre.Header().Get("Access-Control-Max-Age"))

	rec := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags", "u", `{"context":{}}`, map[string]string{"Origin": "https://app.example.com"})
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "https://app.example.com", rec.Header().Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "ETag", rec.Header().Get("Access-Control-Expose-Headers"))
	assert.Contains(t, rec.Header().Values("Vary"), "Origin")

	evil := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags", "u", `{"context":{}}`, map[string]string{"Origin": "https://evil.example"})
	assert.Empty(t, evil.Header().Get("Access-Control-Allow-Origin"), "other origins get no CORS grant")

	anyOrigin := behindMiddleware(e, ofrep.WithCORS("*"))
	rec = serve(t, anyOrigin, http.MethodPost, "/ofrep/v1/evaluate/flags", "u", `{"context":{}}`, map[string]string{"Origin": "https://elsewhere.example"})
	assert.Equal(t, "*", rec.Header().Get("Access-Control-Allow-Origin"))
	assert.Empty(t, rec.Header().Get("Access-Control-Allow-Credentials"), "credentials never go with *")

	plain := serve(t, behindMiddleware(e), http.MethodOptions, "/ofrep/v1/evaluate/flags", "", "", map[string]string{"Origin": "https://app.example.com"})
	assert.Equal(t, http.StatusMethodNotAllowed, plain.Code, "no CORS without WithCORS")
	assert.Empty(t, plain.Header().Get("Access-Control-Allow-Origin"))
}

// TestSameAnswerAsTheRequest pins the point of the handler: within one
// request, the OFREP answer and gray.Variant agree, even when the
// configuration changes under the request.
func TestSameAnswerAsTheRequest(t *testing.T) {
	e := newEngine(t)
	uid := userIn(t, e, "new-checkout", "canary")
	var before string
	h := gray.Middleware(e, gray.WithKeyFromCookie("uid"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		before = gray.Variant(r.Context(), "new-checkout")
		cfg := *e.Config()
		cfg.Rollouts = append([]gray.Rollout(nil), cfg.Rollouts...)
		cfg.Rollouts[0].Percent = 0
		require.NoError(t, e.Update(&cfg)) // a reload mid-request
		ofrep.NewHandler().ServeHTTP(w, r)
	}))
	rec := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags/new-checkout", uid, `{"context":{"targetingKey":"`+uid+`"}}`, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	var got flag
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	assert.Equal(t, "canary", before)
	assert.Equal(t, before, got.Variant)
	assert.Equal(t, "stable", e.Decide("new-checkout", gray.Subject{Key: uid}).Variant, "later requests see the reload")
}

func TestTypedValues(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: names-only
    client: true
    percent: 100
  - name: dark-mode
    client: true
    default_value: false
    variants: [{name: canary, percent: 100, value: true}]
  - name: page-size
    client: true
    default_value: 20
    variants: [{name: canary, percent: 100, value: 50}]
  - name: ratio
    client: true
    default_value: 0.25
    variants: [{name: canary, percent: 100, value: 2.0}]
  - name: greeting
    client: true
    default_value: "Hello"
    variants: [{name: canary, percent: 100, value: "Grüß \"dich\""}]
  - name: theme
    client: true
    default_value: {color: grey}
    variants: [{name: canary, percent: 0, value: {color: blue, sizes: [1, 2]}}]
`))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)
	rec := serve(t, behindMiddleware(e), http.MethodPost, "/ofrep/v1/evaluate/flags", "u-1", `{"context":{}}`, nil)
	require.Equal(t, http.StatusOK, rec.Code)
	var got struct {
		Flags []struct {
			Key     string
			Variant string
			Value   json.RawMessage
		}
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &got))
	want := map[string]string{
		"names-only": `"canary"`,
		"dark-mode":  `true`,
		"page-size":  `50`,
		"ratio":      `2`,
		"greeting":   `"Grüß \"dich\""`,
		"theme":      `{"color":"grey"}`,
	}
	require.Len(t, got.Flags, len(want))
	for _, f := range got.Flags {
		assert.JSONEq(t, want[f.Key], string(f.Value), f.Key)
		assert.Equal(t, e.Decide(f.Key, gray.Subject{Key: "u-1"}).Variant, f.Variant, f.Key)
	}
	assert.Contains(t, rec.Body.String(), `"key":"page-size","value":50,`, "whole numbers stay whole")

	// Each value as the engine gives it.
	for _, f := range got.Flags {
		if v := e.Decide(f.Key, gray.Subject{Key: "u-1"}).Value(); !v.IsZero() {
			assert.JSONEq(t, v.JSON(), string(f.Value), f.Key)
		}
	}
}

func TestContextWithoutKey(t *testing.T) {
	e := newEngine(t)
	h := behindMiddleware(e)
	uid := userIn(t, e, "new-checkout", "canary")
	for _, body := range []string{`{}`, `{"context":null}`, `{"context":{}}`, `{"context":{"targetingKey":null}}`, `{"context":{"targetingKey":""}}`, `{"context":{"email":"a@example.com","plan":{"tier":2}}}`} {
		rec := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags/new-checkout", uid, body, nil)
		require.Equal(t, http.StatusOK, rec.Code, body)
		assert.Contains(t, rec.Body.String(), `"variant":"canary"`, "%s: the request's subject decides", body)
	}
}

func TestZeroHandler(t *testing.T) {
	e := newEngine(t)
	h := gray.Middleware(e, gray.WithKeyFromCookie("uid"))(&ofrep.Handler{})
	rec := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags/banner", "u", `{"context":{}}`, nil)
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Contains(t, rec.Body.String(), `"variant":"on"`)
}

func TestRequireKey(t *testing.T) {
	e := newEngine(t)
	h := behindMiddleware(e, ofrep.WithRequireKey())
	tests := []struct {
		name       string
		giveUID    string
		giveBody   string
		wantStatus int
		wantBody   string
	}{
		{"no key, bulk", "", `{"context":{}}`, 400, `{"errorCode":"TARGETING_KEY_MISSING","errorDetails":"the request identifies no subject"}`},
		{"no key, no context", "", `{}`, 400, `{"errorCode":"TARGETING_KEY_MISSING","errorDetails":"the request identifies no subject"}`},
		{"no key, empty targetingKey", "", `{"context":{"targetingKey":""}}`, 400, `{"errorCode":"TARGETING_KEY_MISSING","errorDetails":"the request identifies no subject"}`},
		{"no key, a claimed one", "", `{"context":{"targetingKey":"u"}}`, 400, `{"errorCode":"INVALID_CONTEXT","errorDetails":"the targetingKey is not the subject this request identifies"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags", tt.giveUID, tt.giveBody, nil)
			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.JSONEq(t, tt.wantBody, rec.Body.String())
		})
	}
	rec := serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags/banner", "", `{"context":{}}`, nil)
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.JSONEq(t, `{"key":"banner","errorCode":"TARGETING_KEY_MISSING","errorDetails":"the request identifies no subject"}`, rec.Body.String())
	rec = serve(t, h, http.MethodPost, "/ofrep/v1/evaluate/flags", "u", `{"context":{}}`, nil)
	assert.Equal(t, http.StatusOK, rec.Code, "a request with a key is answered")
}
