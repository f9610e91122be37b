package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/graykit/graykit/dualwrite/contract"
	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// ErrorResponse is the body of every API error.
type ErrorResponse struct {
	// Error says what went wrong, starting with "admin: ".
	Error string `json:"error"`
	// Status repeats the HTTP status.
	Status int `json:"status"`
	// State is the rollout's state in force when an action changed nothing
	// because the state moved after it was decided (409 Conflict; the
	// backend's error wraps [guard.ErrConflict]). Decide again from it.
	State *guard.State `json:"state,omitempty"`
}

// WhoAmI is the answer of GET api/whoami.
type WhoAmI struct {
	Principal
	// CanAct reports whether the caller may take actions: an operator, on a
	// console with a backend.
	CanAct bool `json:"can_act"`
}

// RolloutView is one rollout as GET api/rollouts shows it.
type RolloutView struct {
	Name    string `json:"name"`
	Salt    string `json:"salt"`
	Default string `json:"default"`
	// DefaultValue is the default variant's value, when the variants carry
	// values (each variant's is in Variants).
	DefaultValue gray.Value `json:"default_value,omitzero"`
	// Enabled and Variants are in force on the replica that answered,
	// overrides applied; Share is the first new variant's percentage.
	Enabled  bool               `json:"enabled"`
	Share    float64            `json:"share"`
	Variants []gray.VariantSpec `json:"variants"`
	Rules    []gray.Rule        `json:"rules"`
	Plan     *gray.Plan         `json:"plan,omitempty"`
	// BucketBy is what the split hashes ("key", "attr:org_id (or key)");
	// Layer and Slice the rollout's layer and its buckets there, when it
	// is in one; Layout its variant layout ("ranges" or "ring");
	// Prerequisites what a subject must have got in other rollouts.
	BucketBy      string              `json:"bucket_by"`
	Layer         string              `json:"layer,omitempty"`
	Slice         string              `json:"slice,omitempty"`
	Layout        string              `json:"layout"`
	Prerequisites []gray.Prerequisite `json:"prerequisites,omitempty"`
	// Managed reports whether actions apply to the rollout through the
	// backend. With [GuardBackend] every rollout is managed: brake, resume,
	// set-share and promote work with or without a plan; advance and pause
	// need one (Plan not nil).
	Managed bool `json:"managed"`
	// State is the shared state every replica applies; nil when unmanaged.
	// For a rollout without a plan that nobody acted on, it is the state it
	// would start in (Version 0, running as configured). Its Last field is
	// the last transition, with the judge's evidence.
	State *guard.State `json:"state,omitempty"`
	// Override is the run-time override in force on the replica that
	// answered (the shared state as it last applied it), if any.
	Override *gray.Override `json:"override,omitempty"`
	// StateError says why State is missing when the backend failed.
	StateError string `json:"state_error,omitempty"`
	// Metrics are outcomes per variant over the recent windows.
	Metrics Metrics `json:"metrics"`
	// Contract says, for each migration bound to the rollout
	// (Config.Migrations), whether its old side was read or written on any
	// replica within Config.ContractPeriod.
	Contract []contract.Readiness `json:"contract,omitempty"`
}

// RolloutsResponse is the answer of GET api/rollouts.
type RolloutsResponse struct {
	Now      time.Time     `json:"now"`
	Rollouts []RolloutView `json:"rollouts"`
}

// ActionRequest is the body of POST api/rollouts/{name}/{action}. It may be
// empty for every action but set-share. As every body the API reads, it is
// refused (400) if it has a field the type lacks or names a field twice.
type ActionRequest struct {
	// Share is the new percentage, for set-share only: 0 to 100, at most
	// two decimals.
	Share *float64 `json:"share,omitempty"`
	// Reason is recorded in the audit trail; optional, at most 500 bytes of
	// UTF-8 without control, format (such as U+202E) or line-separator
	// characters.
	Reason string `json:"reason,omitempty"`
	// Version, when set, is the state version the caller decided on
	// (RolloutView.State.Version): the action applies only if the state is
	// still there, else it changes nothing and the answer is 409 with the
	// current state (see [guard.ExpectVersion]). Without it, advance and
	// resume are still bound to the version the backend loads.
	Version *int64 `json:"version,omitempty"`
}

// ActionResponse is the answer to an action.
type ActionResponse struct {
	// State is the shared state after the action.
	State guard.State `json:"state"`
	// Note says when the action takes effect.
	Note string `json:"note"`
}

// AuditResponse is the answer of GET api/audit.
type AuditResponse struct {
	Entries []guard.AuditEntry `json:"entries"`
}

// Actions the API accepts, by their path segment.
var manualActions = map[string]guard.Action{
	"start":     guard.ActionStart,
	"approve":   guard.ActionApprove,
	"advance":   guard.ActionAdvance,
	"pause":     guard.ActionPause,
	"resume":    guard.ActionResume,
	"brake":     guard.ActionBrake,
	"promote":   guard.ActionPromote,
	"set-share": guard.ActionSetShare,
}

var (
	errNoBackend        = errors.New("admin: this console has no backend (shared state store); actions are off")
	errUnsupportedMedia = errors.New("admin: send the body as Content-Type: application/json")
)

func (h *Handler) whoami(_ *http.Request, p Principal) (any, error) {
	return WhoAmI{Principal: p, CanAct: p.Role == RoleOperator && h.cfg.Backend != nil}, nil
}

func (h *Handler) listRollouts(r *http.Request, _ Principal) (any, error) {
	now := h.cfg.Clock()
	if h.sampler != nil {
		h.sampler.sample(now)
	}
	cfg := h.cfg.Engine.Config()
	out := RolloutsResponse{Now: now, Rollouts: make([]RolloutView, 0, len(cfg.Rollouts))}
	for i := range cfg.Rollouts {
		v, err := h.view(r, &cfg.Rollouts[i], now)
		if err != nil {
			return nil, err
		}
		out.Rollouts = append(out.Rollouts, v)
	}
	return out, nil
}

func (h *Handler) getRollout(r *http.Request, _ Principal) (any, error) {
	name := r.PathValue("name")
	now := h.cfg.Clock()
	if h.sampler != nil {
		h.sampler.sample(now)
	}
	cfg := h.cfg.Engine.Config()
	for i := range cfg.Rollouts {
		if cfg.Rollouts[i].Name == name {
			return h.view(r, &cfg.Rollouts[i], now)
		}
	}
	return nil, fmt.Errorf("admin: rollout %q: %w", name, gray.ErrUnknownRollout)
}

// view builds a rollout's view. Only a request canceled midway is an
// error; a failing backend shows in StateError and empty metrics.
func (h *Handler) view(r *http.Request, ro *gray.Rollout, now time.Time) (RolloutView, error) {
	ctx := r.Context()
	v := RolloutView{
		Name: ro.Name, Salt: ro.Salt, Default: ro.Default, DefaultValue: ro.DefaultValue, Enabled: ro.Enabled == nil || *ro.Enabled,
		Variants: variantsOf(ro), Rules: ro.Rules, Plan: ro.Plan,
	}
	if v.Salt == "" {
		v.Salt = ro.Name
	}
	v.BucketBy, v.Layout, v.Prerequisites = ro.BucketDesc(), ro.Layout, ro.Prerequisites
	if v.Layout == "" {
		v.Layout = gray.LayoutRanges
	}
	if bk, ok := h.cfg.Engine.Config().Bucketing(ro.Name); ok && bk.Layer != "" {
		v.Salt, v.BucketBy, v.Layer, v.Slice = bk.Salt, bk.By, bk.Layer, fmt.Sprintf("%d-%d", bk.Start, bk.End-1)
	}
	if v.Default == "" {
		v.Default = gray.DefaultVariant
	}
	if v.Rules == nil {
		v.Rules = []gray.Rule{}
	}
	_, v.Share, _ = ro.NewVariant()
	if o, ok := h.cfg.Engine.Overrides()[ro.Name]; ok {
		v.Override = &o
	}
	since := now.Add(-h.cfg.Window)
	v.Metrics = Metrics{Source: "none", Since: since, Variants: []VariantMetrics{}}
	if b := h.cfg.Backend; b != nil {
		st, err := b.State(ctx, ro.Name)
		switch {
		case err == nil:
			v.Managed, v.State = true, &st
		case errors.Is(err, guard.ErrNoPlan), errors.Is(err, gray.ErrUnknownRollout):
		case ctx.Err() != nil:
			return v, ctx.Err()
		default:
			h.cfg.Logger.Error("admin: loading state", "rollout", ro.Name, "err", err)
			v.StateError = "the shared state store is unavailable"
		}
		ws, err := b.Windows(ctx, ro.Name, since)
		if err == nil && len(ws) > 0 {
			v.Metrics.Source, v.Metrics.Variants = "store", aggregate(ws, h.step())
		}
	}
	v.Contract = h.contracts(ctx, ro.Name, now)
	if v.Metrics.Source == "none" && h.sampler != nil {
		if ws := h.sampler.windowsOf(ro.Name, since); len(ws) > 0 {
			v.Metrics.Source, v.Metrics.Variants = "local", aggregate(ws, h.step())
		}
	}
	return v, nil
}

// step is the width of a chart point: the window over at most maxPoints.
func (h *Handler) step() time.Duration {
	return max(h.cfg.Window/maxPoints, time.Second)
}

func (h *Handler) act(r *http.Request, p Principal) (any, error) {
	name, verb := r.PathValue("name"), r.PathValue("action")
	act, ok := manualActions[verb]
	if !ok {
		return nil, badRequest("unknown action %q (start, approve, advance, pause, resume, brake, promote, set-share)", verb)
	}
	var req ActionRequest
	if err := decodeBody(r, &req, true); err != nil {
		return nil, err
	}
	if err := checkReason(req.Reason); err != nil {
		return nil, err
	}
	var share float64
	if act == guard.ActionSetShare {
		if req.Share == nil {
			return nil, badRequest("set-share needs a share, e.g. {\"share\": 20}")
		}
		share = *req.Share
		if !validPercent(share) {
			return nil, badRequest("share %v is not a percentage from 0 to 100 with at most two decimals", share)
		}
	} else if req.Share != nil {
		return nil, badRequest("share applies to set-share only")
	}
	var opts []guard.ActOption
	if req.Version != nil {
		if *req.Version < 0 {
			return nil, badRequest("version %d is negative", *req.Version)
		}
		opts = append(opts, guard.ExpectVersion(*req.Version))
	}
	if !h.hasRollout(name) {
		return nil, fmt.Errorf("admin: rollout %q: %w", name, gray.ErrUnknownRollout)
	}
	if h.cfg.Backend == nil {
		return nil, errNoBackend
	}
	st, err := h.cfg.Backend.Act(r.Context(), name, act, share, p.Name, req.Reason, opts...)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	h.cfg.Logger.Info("admin: "+string(act), "rollout", name, "actor", p.Name, "reason", req.Reason,
		"phase", string(st.Phase), "share", st.Share, "version", st.Version)
	return ActionResponse{State: st, Note: "every replica applies the new state at its next poll of the shared store"}, nil
}

func (h *Handler) audit(r *http.Request, _ Principal) (any, error) {
	q := r.URL.Query()
	limit := 100
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxAuditLimit {
			return nil, badRequest("limit %q is not a number from 1 to %d", s, maxAuditLimit)
		}
		limit = n
	}
	rollout := q.Get("rollout")
	if len(rollout) > maxValueLen {
		return nil, badRequest("rollout name is longer than %d bytes", maxValueLen)
	}
	if h.cfg.Backend == nil {
		return AuditResponse{Entries: []guard.AuditEntry{}}, nil
	}
	es, err := h.cfg.Backend.Audit(r.Context(), rollout, limit)
	if err != nil {
		return nil, err
	}
	if es == nil {
		es = []guard.AuditEntry{}
	}
	return AuditResponse{Entries: es}, nil
}

func (h *Handler) explain(r *http.Request, _ Principal) (any, error) {
	var req ExplainRequest
	if err := decodeBody(r, &req, false); err != nil {
		return nil, err
	}
	return Explain(h.cfg.Engine, req)
}

// decodeBody reads r's JSON body into v, strictly: one object, no unknown
// field, no key given twice. An empty body is allowed when emptyOK.
func decodeBody(r *http.Request, v any, emptyOK bool) error {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return err // *http.MaxBytesError, or the client went away
	}
	if len(bytes.TrimSpace(data)) == 0 {
		if emptyOK {
			return nil
		}
		return badRequest("the request body is empty; send a JSON object")
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		return errUnsupportedMedia
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("body: %s", jsonProblem(err))
	}
	if dec.More() {
		return badRequest("body: more than one JSON value")
	}
	return checkDuplicateKeys(data)
}

// jsonProblem words a decoding error without echoing large input.
func jsonProblem(err error) string {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return fmt.Sprintf("invalid JSON at byte %d", syntax.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("%s must be %s, not %s", typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	default:
		msg := err.Error()
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return msg
	}
}

func checkReason(s string) error {
	if len(s) > maxReasonBytes {
		return badRequest("reason is longer than %d bytes", maxReasonBytes)
	}
	if !utf8.ValidString(s) {
		return badRequest("reason is not valid UTF-8")
	}
	for _, c := range s {
		switch {
		case unicode.IsControl(c):
			return badRequest("reason contains a control character")
		case unicode.Is(unicode.Cf, c):
			// Bidirectional overrides (U+202E), zero-width characters and
			// the like make the audit trail read differently from what
			// was recorded.
			return badRequest("reason contains the format character %U", c)
		case unicode.In(c, unicode.Zl, unicode.Zp):
			return badRequest("reason contains a line or paragraph separator")
		}
	}
	return nil
}

func validPercent(p float64) bool {
	return !math.IsNaN(p) && p >= 0 && p <= 100 && math.Abs(p*100-math.Round(p*100)) < 1e-6
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, ErrorResponse{Error: msg, Status: status})
}
