package ofrep

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"

	"github.com/graykit/graykit/gray"
)

// The paths of the protocol, as a suffix of the request's path.
const (
	bulkPath   = "/ofrep/v1/evaluate/flags"
	singlePath = bulkPath + "/"
)

// The protocol's error codes.
const (
	codeFlagNotFound   = "FLAG_NOT_FOUND"
	codeParseError     = "PARSE_ERROR"
	codeInvalidContext = "INVALID_CONTEXT"
	codeKeyMissing     = "TARGETING_KEY_MISSING"
)

// Handler answers OFREP evaluation requests from the request's
// [gray.Decisions]. It is safe for concurrent use. Build it with
// [NewHandler]; a zero Handler works as NewHandler() does without options,
// but builds its settings on every request.
type Handler struct {
	cfg     *config
	buffers sync.Pool // of *[]byte: request bodies and answers
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns an OFREP handler. Mount it behind [gray.Middleware] at
// a path under which the protocol's paths end the request path (for example
// "/ofrep/" on a mux, without StripPrefix): POST …/ofrep/v1/evaluate/flags
// and POST …/ofrep/v1/evaluate/flags/{key}. See the package documentation
// for what it serves and how it answers bad requests.
func NewHandler(opts ...Option) *Handler {
	return &Handler{cfg: newConfig(opts)}
}

// evaluation is one flag's failure; successes are written by
// appendEvaluation.
type evaluation struct {
	Key          string `json:"key"`
	ErrorCode    string `json:"errorCode"`
	ErrorDetails string `json:"errorDetails,omitempty"`
}

// failure is a request's failure: the bulk endpoint's (no key) and the
// server's (no code either).
type failure struct {
	ErrorCode    string `json:"errorCode,omitempty"`
	ErrorDetails string `json:"errorDetails,omitempty"`
}

// ServeHTTP answers one OFREP request; see [NewHandler].
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.cfg == nil { // the zero Handler: as NewHandler() without options
		NewHandler().ServeHTTP(w, r)
		return
	}
	h.cors(w, r)
	path := r.URL.Path
	var key string
	var bulk bool
	switch {
	case strings.HasSuffix(path, bulkPath):
		bulk = true
	case strings.Contains(path, singlePath):
		key = path[strings.LastIndex(path, singlePath)+len(singlePath):]
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method == http.MethodOptions && h.cfg.origins != nil {
		w.WriteHeader(http.StatusNoContent) // preflight, answered by cors
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "ofrep: use POST", http.StatusMethodNotAllowed)
		return
	}
	if h.cfg.auth != nil {
		if err := h.cfg.auth(r); err != nil {
			if errors.Is(err, ErrForbidden) {
				w.WriteHeader(http.StatusForbidden)
			} else {
				w.WriteHeader(http.StatusUnauthorized)
			}
			return
		}
	}
	d, ok := gray.FromContext(r.Context())
	if !ok {
		writeJSON(w, http.StatusInternalServerError, failure{ErrorDetails: "the OFREP handler has no decisions: mount it behind gray.Middleware"})
		return
	}
	code, details := h.checkContext(w, r, d)
	if code != "" {
		if bulk {
			writeJSON(w, http.StatusBadRequest, failure{ErrorCode: code, ErrorDetails: details})
		} else {
			writeJSON(w, http.StatusBadRequest, evaluation{Key: key, ErrorCode: code, ErrorDetails: details})
		}
		return
	}
	if bulk {
		h.serveBulk(w, r, d)
		return
	}
	h.serveSingle(w, d, key)
}

// checkContext reads the request's evaluation context and checks that its
// targetingKey, if any, is the request's subject. It returns an error code
// and details, or "".
func (h *Handler) checkContext(w http.ResponseWriter, r *http.Request, d *gray.Decisions) (code, details string) {
	buf := h.getBuffer()
	defer h.putBuffer(buf)
	body, err := readAll(http.MaxBytesReader(w, r.Body, h.cfg.maxBody), (*buf)[:0])
	*buf = body
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return codeParseError, "the request body is above the size limit"
		}
		return codeParseError, "the request body could not be read"
	}
	// One pass: other context attributes are skipped, not kept.
	var req struct {
		Context *struct {
			TargetingKey *string `json:"targetingKey"`
		} `json:"context"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case !errors.As(err, &typeErr) || typeErr.Field == "":
			return codeParseError, "the request body is not a JSON object: " + err.Error()
		case typeErr.Field == "context":
			return codeInvalidContext, "the evaluation context is not an object"
		}
		return codeInvalidContext, "the targetingKey is not a string"
	}
	if req.Context == nil || req.Context.TargetingKey == nil {
		return h.checkKey(d) // no context or no key: the request's subject decides
	}
	tk := *req.Context.TargetingKey
	if tk != "" && tk != d.Subject().Key {
		return codeInvalidContext, "the targetingKey is not the subject this request identifies"
	}
	return h.checkKey(d)
}

// checkKey refuses a request without a subject key under WithRequireKey.
func (h *Handler) checkKey(d *gray.Decisions) (code, details string) {
	if h.cfg.requireKey && d.Subject().Key == "" {
		return codeKeyMissing, "the request identifies no subject"
	}
	return "", ""
}

func (h *Handler) serveSingle(w http.ResponseWriter, d *gray.Decisions, key string) {
	if r := clientRollout(d.Config(), key); r != nil {
		buf := h.getBuffer()
		defer h.putBuffer(buf)
		body := appendEvaluation((*buf)[:0], r.Name, d.Get(r.Name))
		*buf = body
		hdr := w.Header()
		hdr.Set("Content-Type", "application/json")
		hdr.Set("Cache-Control", h.cfg.cacheControl)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		return
	}
	writeJSON(w, http.StatusNotFound, evaluation{Key: key, ErrorCode: codeFlagNotFound, ErrorDetails: "no client-visible flag of that key"})
}

func (h *Handler) serveBulk(w http.ResponseWriter, r *http.Request, d *gray.Decisions) {
	buf := h.getBuffer()
	defer h.putBuffer(buf)
	body := append((*buf)[:0], `{"flags":[`...)
	if cfg := d.Config(); cfg != nil {
		n := 0
		for i := range cfg.Rollouts {
			if ro := &cfg.Rollouts[i]; ro.Client {
				if n > 0 {
					body = append(body, ',')
				}
				body = appendEvaluation(body, ro.Name, d.Get(ro.Name))
				n++
			}
		}
	}
	body = append(body, "]}"...)
	*buf = body // the grown array serves the next request

	sum := xxhash.Sum64(body)
	var tag [2 + 16]byte
	tag[0], tag[len(tag)-1] = '"', '"'
	hex.Encode(tag[1:17], binary.BigEndian.AppendUint64(nil, sum))
	etag := string(tag[:])
	hdr := w.Header()
	hdr.Set("ETag", etag)
	hdr.Set("Cache-Control", h.cfg.cacheControl)
	if noneMatch(r.Header.Values("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	hdr.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// noneMatch reports whether an If-None-Match header names etag (weak
// comparison, as RFC 9110 asks for If-None-Match) or is "*".
func noneMatch(values []string, etag string) bool {
	for _, v := range values {
		for t := range strings.SplitSeq(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == etag {
				return true
			}
		}
	}
	return false
}

// clientRollout returns the named rollout of cfg if clients may see it.
func clientRollout(cfg *gray.Config, name string) *gray.Rollout {
	if cfg == nil {
		return nil
	}
	for i := range cfg.Rollouts {
		if r := &cfg.Rollouts[i]; r.Name == name {
			if r.Client {
				return r
			}
			return nil
		}
	}
	return nil
}

// appendEvaluation appends the answer for a rollout with the request's
// decision dec in it: the same bytes encoding/json would write for an
// evaluation, without reflection, as this is the bulk answer's inner loop.
func appendEvaluation(b []byte, rollout string, dec gray.Decision) []byte {
	b = append(b, `{"key":`...)
	b = appendString(b, rollout)
	v := dec.Value()
	if v.Kind() == gray.ValueArray { // refused for client rollouts by gray; never sent
		return append(b, `,"errorCode":"GENERAL","errorDetails":"an array value, which OFREP cannot carry"}`...)
	}
	b = append(b, `,"value":`...)
	b = appendValue(b, v, dec.Variant)
	b = append(b, `,"reason":"`...)
	b = append(b, reason(dec.Reason)...)
	b = append(b, `","variant":`...)
	b = appendString(b, dec.Variant)
	b = append(b, `,"metadata":{"graykitReason":`...)
	b = appendString(b, dec.Reason.String())
	return append(b, "}}"...)
}

// appendValue appends the value a decision serves: its typed value, or the
// variant's name for a rollout without values.
func appendValue(b []byte, v gray.Value, variant string) []byte {
	switch v.Kind() {
	case gray.ValueNone:
		return appendString(b, variant)
	case gray.ValueString:
		s, _ := v.Text()
		return appendString(b, s)
	case gray.ValueNumber:
		if i, ok := v.Int(); ok { // a whole number, written as one
			return strconv.AppendInt(b, i, 10)
		}
	}
	return append(b, v.JSON()...) // bool, object, fractional number: no allocation but the last
}

// appendString appends s as a JSON string. Rollout and variant names are
// letters, digits, '_', '.' and '-' (gray validates them), but a string is
// escaped fully anyway, as encoding/json would (without its HTML escaping).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if (r != utf8.RuneError || size != 1) && r != '\u2028' && r != '\u2029' {
				i += size - 1
				continue
			}
			b = append(b, s[start:i]...)
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, `\u202`...)
				b = append(b, hexDigits[r&0xf])
			}
			i += size - 1
			start = i + 1
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, `\n`...)
		case '\r':
			b = append(b, `\r`...)
		case '\t':
			b = append(b, `\t`...)
		case '\b':
			b = append(b, `\b`...)
		case '\f':
			b = append(b, `\f`...)
		default:
			b = append(b, `\u00`...)
			b = append(b, hexDigits[c>>4], hexDigits[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"

// getBuffer returns a buffer for a request body or an answer; putBuffer
// keeps it for another request.
func (h *Handler) getBuffer() *[]byte {
	if b, ok := h.buffers.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 1024)
	return &b
}

func (h *Handler) putBuffer(b *[]byte) {
	if cap(*b) > 256<<10 {
		return // an outsized one: let it go
	}
	h.buffers.Put(b)
}

// readAll is io.ReadAll into b's spare capacity.
func readAll(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// reason maps graykit's reason onto the protocol's (STATIC,
// TARGETING_MATCH, SPLIT, DISABLED, UNKNOWN).
func reason(r gray.Reason) string {
	switch r {
	case gray.ReasonRule, gray.ReasonOverride, gray.ReasonPrerequisite:
		return "TARGETING_MATCH"
	case gray.ReasonSplit, gray.ReasonDefault:
		return "SPLIT"
	case gray.ReasonOff:
		return "DISABLED"
	case gray.ReasonNoKey, gray.ReasonNoBucketValue:
		return "STATIC"
	}
	return "UNKNOWN"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // cannot happen for the types above
		status, body = http.StatusInternalServerError, []byte(`{"errorDetails":"the answer could not be encoded"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// cors sets the CORS headers for an allowed origin.
func (h *Handler) cors(w http.ResponseWriter, r *http.Request) {
	if h.cfg.origins == nil {
		return
	}
	hdr := w.Header()
	hdr.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	switch {
	case origin == "":
		return
	case h.cfg.origins[origin]:
		hdr.Set("Access-Control-Allow-Origin", origin)
		hdr.Set("Access-Control-Allow-Credentials", "true")
	case h.cfg.anyOrigin:
		hdr.Set("Access-Control-Allow-Origin", "*")
	default:
		return
	}
	hdr.Set("Access-Control-Expose-Headers", "ETag")
	if r.Method == http.MethodOptions {
		hdr.Set("Access-Control-Allow-Methods", "POST")
		hdr.Set("Access-Control-Allow-Headers", h.cfg.corsHeaders)
		hdr.Set("Access-Control-Max-Age", h.cfg.corsMaxAge)
	}
}
