package admin

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// Config configures a [Handler]. Engine and one way to authenticate
// (Tokens or Authorize) are required; every other field has a default.
type Config struct {
	// Engine is this replica's engine: the configuration shown and the
	// decisions explained come from it.
	Engine *gray.Engine
	// Backend is the shared state behind actions, the audit trail and the
	// cross-replica metrics, normally [GuardBackend]. Nil makes the console
	// read-only: rollouts, local metrics and explain, no actions.
	Backend Backend
	// Counters are this replica's counters (the observer given to the
	// middleware). They feed the charts when the backend has no windows
	// for a rollout; nil means none.
	Counters *gray.Counters

	// Tokens are the bearer tokens accepted. Ignored when Authorize is set.
	Tokens []Token
	// Authorize authenticates requests the application's own way; when set,
	// it replaces Tokens.
	Authorize AuthorizeFunc
	// TrustedOrigins are extra origins (e.g. "https://ops.example.com")
	// whose browser pages may POST to the API; same-origin pages always may.
	TrustedOrigins []string

	// Window is how far back metrics go; charts show it in at most 30
	// points. Default 15 minutes.
	Window time.Duration
	// SampleEvery is how often, at most, Counters are sampled into a
	// window while someone reads the console. Default 10 seconds.
	SampleEvery time.Duration
	// Clock returns the current time. Default time.Now.
	Clock func() time.Time
	// Logger receives actions and unexpected backend errors. Default
	// slog.Default().
	Logger *slog.Logger

	// Migrations names, per rollout, the dualwrite migrations bound to it
	// (dualwrite.FromRollout). The rollout's view then shows whether each
	// one's old side is still read or written on any replica, from the
	// windows their contract.Reporters write to the Backend's store.
	Migrations map[string][]string
	// ContractPeriod is how far back "still in use" looks, in the view and
	// by default in api/contract. Default 24 hours.
	ContractPeriod time.Duration
}

// Limits on requests.
const (
	maxBodyBytes   = 64 << 10
	maxReasonBytes = 500
	maxAuditLimit  = 1000
	// maxPoints bounds the points of a chart series.
	maxPoints = 30
)

//go:embed ui
var uiFiles embed.FS

// Handler serves the operator console: the JSON API under api/ and the web
// page at the root, relative to where it is mounted. Mount it under a
// prefix with [http.StripPrefix], e.g.
//
//	mux.Handle("/graykit/", http.StripPrefix("/graykit", h))
//
// Every API call needs authentication; actions need [RoleOperator], POST,
// the [CSRFHeader] header and, from a browser, the same origin. The page
// itself is static and holds no data: it asks for a token and sends it as a
// bearer header on every API call. A Handler is safe for concurrent use.
type Handler struct {
	cfg     Config
	tokens  *tokenSet
	cop     originCheck
	sampler *sampler
	mux     *http.ServeMux
	ui      fs.FS
}

var _ http.Handler = (*Handler)(nil)

// New returns a console handler for cfg, or an error if cfg has no engine
// or no way to authenticate, or a token is malformed (empty name, a secret
// shorter than 16 bytes, an unknown role, a secret used twice).
func New(cfg Config) (*Handler, error) {
	if cfg.Engine == nil {
		return nil, errors.New("admin: Config.Engine is nil")
	}
	h := &Handler{cfg: cfg}
	if cfg.Authorize == nil {
		if len(cfg.Tokens) == 0 {
			return nil, errors.New("admin: no Tokens and no Authorize: the console would be open to anyone")
		}
		ts, err := newTokenSet(cfg.Tokens)
		if err != nil {
			return nil, err
		}
		h.tokens = ts
	}
	for _, o := range cfg.TrustedOrigins {
		if err := h.cop.add(o); err != nil {
			return nil, fmt.Errorf("admin: trusted origin: %w", err)
		}
	}
	if h.cfg.Window <= 0 {
		h.cfg.Window = 15 * time.Minute
	}
	if h.cfg.SampleEvery <= 0 {
		h.cfg.SampleEvery = 10 * time.Second
	}
	if h.cfg.Clock == nil {
		h.cfg.Clock = time.Now
	}
	if h.cfg.ContractPeriod <= 0 {
		h.cfg.ContractPeriod = 24 * time.Hour
	}
	if h.cfg.Logger == nil {
		h.cfg.Logger = slog.Default()
	}
	if cfg.Counters != nil {
		keep := int(h.cfg.Window/h.cfg.SampleEvery) + 1
		h.sampler = newSampler(cfg.Counters, h.cfg.SampleEvery, keep)
	}
	ui, err := fs.Sub(uiFiles, "ui")
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	h.ui = ui
	h.routes()
	return h, nil
}

func (h *Handler) routes() {
	m := http.NewServeMux()
	m.HandleFunc("/{$}", h.page("index.html", "text/html; charset=utf-8"))
	m.HandleFunc("/index.html", h.page("index.html", "text/html; charset=utf-8"))
	m.HandleFunc("/ui/app.js", h.page("app.js", "text/javascript; charset=utf-8"))
	m.HandleFunc("/ui/app.css", h.page("app.css", "text/css; charset=utf-8"))
	m.HandleFunc("/api/whoami", h.api(http.MethodGet, RoleViewer, h.whoami))
	m.HandleFunc("/api/rollouts", h.api(http.MethodGet, RoleViewer, h.listRollouts))
	m.HandleFunc("/api/rollouts/{name}", h.api(http.MethodGet, RoleViewer, h.getRollout))
	m.HandleFunc("/api/rollouts/{name}/{action}", h.api(http.MethodPost, RoleOperator, h.act))
	m.HandleFunc("GET /api/rollouts/{name}/subjects", h.api(http.MethodGet, RoleViewer, h.listSubjects))       // subjects.go
	m.HandleFunc("/api/rollouts/{name}/subjects/{op}", h.api(http.MethodPost, RoleOperator, h.changeSubjects)) // subjects.go
	m.HandleFunc("/api/audit", h.api(http.MethodGet, RoleViewer, h.audit))
	m.HandleFunc("/api/explain", h.api(http.MethodPost, RoleViewer, h.explain))
	m.HandleFunc("/api/contract/{migration}", h.api(http.MethodGet, RoleViewer, h.contractCheck))
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "admin: no such API endpoint")
	})
	h.mux = m
}

// ServeHTTP serves the console.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("X-Frame-Options", "DENY")
	h.mux.ServeHTTP(w, r)
}

// contentPolicy lets the page load only its own script and style and talk
// only to its own origin; no inline script, no framing.
const contentPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

// page serves one embedded file of the web page.
func (h *Handler) page(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		data, err := fs.ReadFile(h.ui, name)
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Security-Policy", contentPolicy)
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(data)
	}
}

// apiFunc serves one authenticated API call. It returns the value to send
// as JSON with 200, or an error that [statusOf] maps to a status.
type apiFunc func(r *http.Request, p Principal) (any, error)

// api wraps fn with the checks every API call passes: method, then
// authentication, role, and for POST the CSRF defence.
func (h *Handler) api(method string, need Role, fn apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != method {
			w.Header().Set("Allow", method)
			writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("admin: use %s", method))
			return
		}
		p, err := h.authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="graykit"`)
			writeError(w, http.StatusUnauthorized, "admin: authentication required: send Authorization: Bearer <token>")
			return
		}
		if need == RoleOperator && p.Role != RoleOperator {
			writeError(w, http.StatusForbidden, fmt.Sprintf("admin: %s has role %s; this needs %s", p.Name, p.Role, RoleOperator))
			return
		}
		if method == http.MethodPost {
			if err := checkCSRF(&h.cop, r); err != nil {
				writeError(w, http.StatusForbidden, err.Error())
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
		}
		v, err := fn(r, p)
		if err != nil {
			status, msg := h.statusOf(err)
			res := ErrorResponse{Error: msg, Status: status}
			var conflict *guard.ConflictError
			if errors.As(err, &conflict) {
				res.State = &conflict.Current
			}
			writeJSON(w, status, res)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

func (h *Handler) authenticate(r *http.Request) (Principal, error) {
	if h.cfg.Authorize != nil {
		p, err := h.cfg.Authorize(r)
		if err != nil {
			return Principal{}, err
		}
		if p.Name == "" || !p.Role.valid() {
			return Principal{}, fmt.Errorf("admin: authorizer returned %+v", p)
		}
		return p, nil
	}
	return h.tokens.authorize(r)
}

// statusOf maps an error to a status and the message the caller sees.
// Input errors are 4xx; only a failing backend gives 5xx.
func (h *Handler) statusOf(err error) (int, string) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("admin: request body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, errUnsupportedMedia):
		return http.StatusUnsupportedMediaType, err.Error()
	case errors.Is(err, errBadRequest):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, gray.ErrUnknownRollout):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, guard.ErrNoPlan), errors.Is(err, errNoBackend), errors.Is(err, errNoSubjects),
		errors.Is(err, guard.ErrInvalidAction), errors.Is(err, guard.ErrConflict):
		return http.StatusConflict, err.Error()
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "admin: request canceled"
	default:
		h.cfg.Logger.Error("admin: backend error", "err", err)
		return http.StatusServiceUnavailable, "admin: the shared state store is unavailable; see the application's log"
	}
}

// hasRollout reports whether the engine's configuration has the rollout.
func (h *Handler) hasRollout(name string) bool {
	return slices.Contains(h.cfg.Engine.Rollouts(), name)
}
