package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// Defaults of [AlertConfig].
const (
	// DefaultAlertLabel is the alert label that names the rollouts to act
	// on.
	DefaultAlertLabel = "graykit_rollout"
	// AlertActionLabel is the alert label that, when present, chooses the
	// action for that alert: "brake" or "pause".
	AlertActionLabel = "graykit_action"
)

// AlertConfig configures an [AlertHandler]. Backend and one way to
// authenticate (Tokens or Authorize) are required.
type AlertConfig struct {
	// Backend applies the actions and keeps the audit trail, normally
	// [GuardBackend] over the store every replica polls.
	Backend Backend
	// Tokens are the bearer tokens accepted (Alertmanager sends one with
	// http_config.authorization). Each needs [RoleOperator]; its Name is
	// the actor in the audit trail, e.g. "alertmanager". Ignored when
	// Authorize is set.
	Tokens []Token
	// Authorize authenticates requests the application's own way; the
	// principal needs RoleOperator.
	Authorize AuthorizeFunc
	// Label is the alert label whose value names the rollout to act on
	// (several: separated by commas). Alerts without it are ignored.
	// Default [DefaultAlertLabel].
	Label string
	// Action is what a firing alert does to its rollouts:
	// [guard.ActionBrake] (the default: everyone to the default variant)
	// or [guard.ActionPause] (a plan's share holds and its judge stops).
	// An alert's [AlertActionLabel] label overrides it.
	Action guard.Action
	// OnResolved is what a resolved alert does: nothing (the default,
	// "": a person decides when to go on), or [guard.ActionResume], which
	// resumes a rollout only if this alert's brake or pause is still its
	// last transition, so it never overrides what a person did since.
	OnResolved guard.Action
	// AuditDepth is how many of a rollout's newest audit entries are
	// searched for an earlier action on the same alert. Default 100.
	AuditDepth int
	// Logger receives every action taken or refused. Default
	// slog.Default().
	Logger *slog.Logger
}

// AlertHandler receives Prometheus Alertmanager's webhook (payload version
// 4) and brakes or pauses the rollouts that a firing alert names in its
// [AlertConfig] Label, so that an alert pulls the brake without a person.
// Every action is audited with the token's name as the actor and the
// alert as the reason: its name, since when it fires, its summary, and a
// marker "[alert FINGERPRINT@STARTS_AT]".
//
// It is idempotent: Alertmanager repeats a firing alert every
// repeat_interval and may deliver one notification to several replicas,
// and an alert acts on a rollout once. Before acting it looks for the
// alert's marker in the rollout's audit trail (shared by every replica),
// so a rollout that a person resumed while the alert still fires is not
// braked again by the repeats; the same alert firing anew (a new
// startsAt) acts again. A brake on a rollout already rolled back changes
// nothing. Resolved alerts do nothing unless [AlertConfig] OnResolved
// says resume.
//
// The answer is 200 with an [AlertResponse] when every named rollout was
// handled, 422 when one cannot be (an unknown rollout, pause without a
// plan: a configuration error that retrying will not fix) and 503 when the
// shared store failed, which Alertmanager retries (safely, being
// idempotent). An AlertHandler is safe for concurrent use.
type AlertHandler struct {
	cfg    AlertConfig
	tokens *tokenSet
}

var _ http.Handler = (*AlertHandler)(nil)

// AlertResponse is the body of the answer to a notification.
type AlertResponse struct {
	Results []AlertResult `json:"results"`
}

// AlertResult is what one alert did to one rollout.
type AlertResult struct {
	Rollout     string `json:"rollout"`
	Alert       string `json:"alert"`
	Fingerprint string `json:"fingerprint"`
	// Status is the alert's: "firing" or "resolved".
	Status string `json:"status"`
	// Action is the action tried, if any.
	Action guard.Action `json:"action,omitempty"`
	// Result is "acted", "duplicate" (this alert already acted),
	// "unchanged" (the rollout was already there, e.g. rolled back),
	// "ignored" (a resolved alert, by default), "left" (resolved, but
	// the rollout changed since the alert acted) or "error".
	Result string `json:"result"`
	// Version is the state version after the action, when it acted.
	Version int64  `json:"version,omitempty"`
	Error   string `json:"error,omitempty"`
}

// alertPayload is Alertmanager's webhook body (version 4), the fields used.
type alertPayload struct {
	Version  string  `json:"version"`
	Status   string  `json:"status"`
	Receiver string  `json:"receiver"`
	Alerts   []alert `json:"alerts"`
}

type alert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Fingerprint string            `json:"fingerprint"`
}

// maxAlertBody bounds a notification: Alertmanager sends every alert of a
// group in one.
const maxAlertBody = 4 << 20

// NewAlertHandler returns a handler for cfg, or an error if it has no
// backend, no way to authenticate, a malformed token or one without
// [RoleOperator], or an action other than those documented.
func NewAlertHandler(cfg AlertConfig) (*AlertHandler, error) {
	if cfg.Backend == nil {
		return nil, errors.New("admin: AlertConfig.Backend is nil")
	}
	h := &AlertHandler{cfg: cfg}
	if cfg.Authorize == nil {
		if len(cfg.Tokens) == 0 {
			return nil, errors.New("admin: alert handler: no Tokens and no Authorize: anyone could brake a rollout")
		}
		ts, err := newTokenSet(cfg.Tokens)
		if err != nil {
			return nil, err
		}
		for _, p := range ts.who {
			if p.Role != RoleOperator {
				return nil, fmt.Errorf("admin: alert handler: token %s has role %s; acting needs %s", p.Name, p.Role, RoleOperator)
			}
		}
		h.tokens = ts
	}
	if h.cfg.Label == "" {
		h.cfg.Label = DefaultAlertLabel
	}
	switch h.cfg.Action {
	case "":
		h.cfg.Action = guard.ActionBrake
	case guard.ActionBrake, guard.ActionPause:
	default:
		return nil, fmt.Errorf("admin: alert handler: action %q is neither %q nor %q", h.cfg.Action, guard.ActionBrake, guard.ActionPause)
	}
	if a := h.cfg.OnResolved; a != "" && a != guard.ActionResume {
		return nil, fmt.Errorf("admin: alert handler: OnResolved %q is neither empty nor %q", a, guard.ActionResume)
	}
	if h.cfg.AuditDepth <= 0 {
		h.cfg.AuditDepth = 100
	}
	if h.cfg.Logger == nil {
		h.cfg.Logger = slog.Default()
	}
	return h, nil
}

// ServeHTTP handles one Alertmanager notification.
func (h *AlertHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "admin: use POST")
		return
	}
	p, err := h.authenticate(r)
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="graykit"`)
		writeError(w, http.StatusUnauthorized, "admin: authentication required: send Authorization: Bearer <token>")
		return
	}
	if p.Role != RoleOperator {
		writeError(w, http.StatusForbidden, fmt.Sprintf("admin: %s has role %s; acting on alerts needs %s", p.Name, p.Role, RoleOperator))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, errUnsupportedMedia.Error())
		return
	}
	var payload alertPayload
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAlertBody))
	if err := dec.Decode(&payload); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("admin: notification is larger than %d bytes", tooBig.Limit))
			return
		}
		writeError(w, http.StatusBadRequest, "admin: body is not an Alertmanager notification: "+jsonProblem(err))
		return
	}
	res := AlertResponse{Results: []AlertResult{}}
	status := http.StatusOK
	for _, a := range payload.Alerts {
		for _, rollout := range h.rollouts(a) {
			out, unavailable := h.handle(r, p, a, rollout)
			res.Results = append(res.Results, out)
			switch {
			case unavailable:
				status = http.StatusServiceUnavailable
			case out.Result == "error" && status == http.StatusOK:
				status = http.StatusUnprocessableEntity
			}
		}
	}
	writeJSON(w, status, res)
}

func (h *AlertHandler) authenticate(r *http.Request) (Principal, error) {
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

// rollouts are the rollouts alert a names, deduplicated.
func (h *AlertHandler) rollouts(a alert) []string {
	var out []string
	for _, name := range strings.Split(a.Labels[h.cfg.Label], ",") {
		if name = strings.TrimSpace(name); name != "" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// marker identifies one firing of one alert in the audit trail.
func marker(a alert) string {
	return "[alert " + a.Fingerprint + "@" + a.StartsAt.UTC().Format(time.RFC3339) + "]"
}

// handle applies alert a to one rollout. unavailable reports a failing
// backend, which Alertmanager should retry.
func (h *AlertHandler) handle(r *http.Request, p Principal, a alert, rollout string) (out AlertResult, unavailable bool) {
	ctx := r.Context()
	name := a.Labels["alertname"]
	out = AlertResult{Rollout: rollout, Alert: name, Fingerprint: a.Fingerprint, Status: a.Status}
	fail := func(err error) (AlertResult, bool) {
		out.Result, out.Error = "error", err.Error()
		known := errors.Is(err, gray.ErrUnknownRollout) || errors.Is(err, guard.ErrNoPlan) || errors.Is(err, errBadRequest)
		h.cfg.Logger.Error("admin: alert "+name, "rollout", rollout, "action", string(out.Action), "err", err)
		return out, !known
	}
	mark := marker(a)
	if a.Status == "resolved" {
		return h.resolve(r, p, a, rollout, mark, out, fail)
	}
	if a.Status != "firing" {
		return fail(badRequest("alert %s: status %q is neither firing nor resolved", name, a.Status))
	}
	out.Action = h.cfg.Action
	if v, ok := a.Labels[AlertActionLabel]; ok {
		switch guard.Action(v) {
		case guard.ActionBrake, guard.ActionPause:
			out.Action = guard.Action(v)
		default:
			return fail(badRequest("alert %s: label %s=%q is neither brake nor pause", name, AlertActionLabel, v))
		}
	}
	done, err := h.actedOn(r, rollout, p.Name, mark)
	if err != nil {
		return fail(err)
	}
	if done {
		out.Result = "duplicate"
		return out, false
	}
	reason := fmt.Sprintf("alert %s firing since %s %s", name, a.StartsAt.UTC().Format(time.RFC3339), mark)
	if s := firstOf(a.Annotations, "summary", "description"); s != "" {
		reason += ": " + s
	}
	st, err := h.cfg.Backend.Act(ctx, rollout, out.Action, 0, p.Name, clip(reason, maxReasonBytes))
	switch {
	case errors.Is(err, guard.ErrInvalidAction):
		// Already rolled back (or paused): the rollout is where the alert
		// wants it.
		out.Result = "unchanged"
		h.cfg.Logger.Info("admin: alert "+name+": nothing to do", "rollout", rollout, "action", string(out.Action), "why", err.Error())
		return out, false
	case err != nil:
		return fail(err)
	}
	out.Result, out.Version = "acted", st.Version
	h.cfg.Logger.Warn("admin: alert "+name+": "+string(out.Action), "rollout", rollout, "actor", p.Name, "reason", reason, "version", st.Version)
	return out, false
}

// resolve applies a resolved alert: nothing, or a resume of what this
// alert's firing did if nothing happened since.
func (h *AlertHandler) resolve(r *http.Request, p Principal, a alert, rollout, mark string, out AlertResult,
	fail func(error) (AlertResult, bool)) (AlertResult, bool) {
	if h.cfg.OnResolved == "" {
		out.Result = "ignored"
		return out, false
	}
	out.Action = guard.ActionResume
	st, err := h.cfg.Backend.State(r.Context(), rollout)
	if err != nil {
		return fail(err)
	}
	last := st.Last
	if last.Actor != p.Name || !strings.Contains(last.Reason, mark) ||
		(last.Action != guard.ActionBrake && last.Action != guard.ActionPause) {
		out.Result = "left"
		h.cfg.Logger.Info("admin: alert "+a.Labels["alertname"]+" resolved; the rollout changed since the alert acted, leaving it",
			"rollout", rollout, "last_action", string(last.Action), "last_actor", last.Actor)
		return out, false
	}
	reason := fmt.Sprintf("alert %s resolved at %s %s", a.Labels["alertname"], a.EndsAt.UTC().Format(time.RFC3339), mark)
	next, err := h.cfg.Backend.Act(r.Context(), rollout, guard.ActionResume, 0, p.Name, clip(reason, maxReasonBytes), guard.ExpectVersion(st.Version))
	switch {
	case errors.Is(err, guard.ErrConflict), errors.Is(err, guard.ErrInvalidAction):
		out.Result = "left" // someone acted in between
		return out, false
	case err != nil:
		return fail(err)
	}
	out.Result, out.Version = "acted", next.Version
	h.cfg.Logger.Warn("admin: alert "+a.Labels["alertname"]+" resolved: resume", "rollout", rollout, "actor", p.Name, "version", next.Version)
	return out, false
}

// actedOn reports whether the rollout's recent audit trail holds an
// action by actor with the alert's marker.
func (h *AlertHandler) actedOn(r *http.Request, rollout, actor, mark string) (bool, error) {
	es, err := h.cfg.Backend.Audit(r.Context(), rollout, h.cfg.AuditDepth)
	if err != nil {
		return false, err
	}
	for _, e := range es {
		if e.Actor == actor && strings.Contains(e.Reason, mark) && e.Action != guard.ActionResume {
			return true, nil
		}
	}
	return false, nil
}

// firstOf returns the first non-empty value of m among keys.
func firstOf(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := strings.TrimSpace(m[k]); v != "" {
			return v
		}
	}
	return ""
}

// clip makes s a reason the console would accept (see checkReason):
// valid UTF-8, control, format and separator characters (an annotation
// may have newlines, or a bidirectional override) replaced by spaces, at
// most n bytes cut on a rune boundary.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.In(r, unicode.Zl, unicode.Zp) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
