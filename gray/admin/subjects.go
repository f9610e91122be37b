package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// SubjectBackend is a [Backend] that also keeps subject overrides: one
// subject key put on a variant of a rollout, for every replica at its next
// poll ([guard.SubjectOverride]). [GuardBackend] returns one. A console
// whose backend is not one answers subject requests with 409.
type SubjectBackend interface {
	// PutSubject puts key on variant in the rollout, audited as actor with
	// reason. A bad request wraps [guard.ErrInvalidAction].
	PutSubject(ctx context.Context, rollout, key, variant, actor, reason string) (guard.SubjectOverride, error)
	// RemoveSubject removes the key's override; false when there was none.
	RemoveSubject(ctx context.Context, rollout, key, actor, reason string) (bool, error)
	// Subjects lists the rollout's subject overrides ("" for all).
	Subjects(ctx context.Context, rollout string) ([]guard.SubjectOverride, error)
}

// SubjectRequest is the body of POST /api/rollouts/{name}/subjects/put
// and …/remove.
type SubjectRequest struct {
	// Key is the subject's key (user ID).
	Key string `json:"key"`
	// Variant is the variant to put the key on (put only).
	Variant string `json:"variant,omitempty"`
	// Reason is why, for the audit trail.
	Reason string `json:"reason"`
}

// SubjectsResponse lists a rollout's subject overrides.
type SubjectsResponse struct {
	Subjects []guard.SubjectOverride `json:"subjects"`
	// Removed says, for a remove, whether there was an override.
	Removed *bool `json:"removed,omitempty"`
	// Note says when the change takes effect.
	Note string `json:"note,omitempty"`
}

var errNoSubjects = errors.New("admin: this console's backend keeps no subject overrides")

func (g *guardBackend) PutSubject(ctx context.Context, rollout, key, variant, actor, reason string) (guard.SubjectOverride, error) {
	return g.actions.PutSubject(ctx, rollout, key, variant, actor, reason)
}

func (g *guardBackend) RemoveSubject(ctx context.Context, rollout, key, actor, reason string) (bool, error) {
	return g.actions.RemoveSubject(ctx, rollout, key, actor, reason)
}

func (g *guardBackend) Subjects(ctx context.Context, rollout string) ([]guard.SubjectOverride, error) {
	return g.actions.Subjects(ctx, rollout)
}

var _ SubjectBackend = (*guardBackend)(nil)

// subjectBackend returns the console's subject backend, or an error that
// the handler answers with 409.
func (h *Handler) subjectBackend() (SubjectBackend, error) {
	if h.cfg.Backend == nil {
		return nil, errNoBackend
	}
	sb, ok := h.cfg.Backend.(SubjectBackend)
	if !ok {
		return nil, errNoSubjects
	}
	return sb, nil
}

func (h *Handler) listSubjects(r *http.Request, _ Principal) (any, error) {
	name := r.PathValue("name")
	if !h.hasRollout(name) {
		return nil, fmt.Errorf("admin: rollout %q: %w", name, gray.ErrUnknownRollout)
	}
	sb, err := h.subjectBackend()
	if err != nil {
		return nil, err
	}
	list, err := sb.Subjects(r.Context(), name)
	if err != nil {
		return nil, subjectErr(err)
	}
	if list == nil {
		list = []guard.SubjectOverride{}
	}
	return SubjectsResponse{Subjects: list}, nil
}

func (h *Handler) changeSubjects(r *http.Request, p Principal) (any, error) {
	name, op := r.PathValue("name"), r.PathValue("op")
	if op != "put" && op != "remove" {
		return nil, badRequest("unknown subject operation %q (put, remove)", op)
	}
	var req SubjectRequest
	if err := decodeBody(r, &req, true); err != nil {
		return nil, err
	}
	if err := checkReason(req.Reason); err != nil {
		return nil, err
	}
	switch {
	case req.Key == "":
		return nil, badRequest("key is required")
	case len(req.Key) > maxValueLen || len(req.Variant) > maxValueLen:
		return nil, badRequest("a value is longer than %d bytes", maxValueLen)
	case op == "put" && req.Variant == "":
		return nil, badRequest("put needs a variant, e.g. {\"key\": \"user-42\", \"variant\": \"canary\"}")
	case op == "remove" && req.Variant != "":
		return nil, badRequest("variant applies to put only")
	}
	if !h.hasRollout(name) {
		return nil, fmt.Errorf("admin: rollout %q: %w", name, gray.ErrUnknownRollout)
	}
	sb, err := h.subjectBackend()
	if err != nil {
		return nil, err
	}
	res := SubjectsResponse{Note: "every replica applies it at its next poll of the shared store"}
	if op == "put" {
		if _, err := sb.PutSubject(r.Context(), name, req.Key, req.Variant, p.Name, req.Reason); err != nil {
			return nil, subjectErr(err)
		}
		h.cfg.Logger.Info("admin: put-subject", "rollout", name, "key", req.Key, "variant", req.Variant, "actor", p.Name, "reason", req.Reason)
	} else {
		removed, err := sb.RemoveSubject(r.Context(), name, req.Key, p.Name, req.Reason)
		if err != nil {
			return nil, subjectErr(err)
		}
		res.Removed = &removed
		h.cfg.Logger.Info("admin: remove-subject", "rollout", name, "key", req.Key, "actor", p.Name, "reason", req.Reason, "removed", removed)
	}
	list, err := sb.Subjects(r.Context(), name)
	if err != nil {
		return nil, subjectErr(err)
	}
	if list == nil {
		list = []guard.SubjectOverride{}
	}
	res.Subjects = list
	return res, nil
}

// subjectErr maps a store without subject overrides to the console's 409.
func subjectErr(err error) error {
	if errors.Is(err, guard.ErrNoSubjectStore) {
		return fmt.Errorf("%w: %w", errNoSubjects, err)
	}
	return fmt.Errorf("admin: %w", err)
}
