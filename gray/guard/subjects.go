package guard

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/graykit/graykit/gray"
)

// SubjectOverride puts one subject's key on a variant of a rollout at run
// time, for every replica: a tester on the canary, a customer back on the
// stable version while a bug is found. Replicas apply the stored set with
// [gray.Engine.SetSubjectOverrides] at each poll; decisions then carry
// [gray.ReasonOverride].
type SubjectOverride struct {
	Rollout string `json:"rollout"`
	// Key is the subject's key ([gray.Subject.Key]).
	Key     string `json:"key"`
	Variant string `json:"variant"`
	// Actor, Reason and At say who put it there, why and when.
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Subject override actions, in the audit log.
const (
	ActionPutSubject    Action = "put-subject"
	ActionRemoveSubject Action = "remove-subject"
)

// SubjectStore is a [Store] that also keeps subject overrides. [MemoryStore]
// and [SQLStore] are; a store that is not cannot take them
// ([ErrNoSubjectStore]). Each change is stored with its audit entry, both
// or neither.
type SubjectStore interface {
	// PutSubject stores o, replacing the variant its key had in its
	// rollout, and audits it.
	PutSubject(ctx context.Context, o SubjectOverride) error
	// RemoveSubject removes the key's override in the rollout and audits
	// it; false when there was none (nothing is audited then).
	RemoveSubject(ctx context.Context, rollout, key, actor, reason string, at time.Time) (bool, error)
	// Subjects lists the overrides of the rollout ("" for every rollout),
	// sorted by rollout and key.
	Subjects(ctx context.Context, rollout string) ([]SubjectOverride, error)
}

// ErrNoSubjectStore is returned for subject overrides on a store that does
// not implement [SubjectStore].
var ErrNoSubjectStore = errors.New("guard: the store keeps no subject overrides")

// maxSubjectKey bounds a subject key put at run time.
const maxSubjectKey = 512

// PutSubject puts the subject key on variant in the rollout, for every
// replica at its next poll, audited as actor with reason. The variant must
// be declared (checked against the engine given with [WithEngine], when
// there is one); the key is 1 to 512 bytes; a rollout holds at most
// [gray.MaxSubjectOverrides] of them. A bad request is an error wrapping
// [ErrInvalidAction].
func (a *Actions) PutSubject(ctx context.Context, rollout, key, variant, actor, reason string) (SubjectOverride, error) {
	ss, ok := a.store.(SubjectStore)
	if !ok {
		return SubjectOverride{}, ErrNoSubjectStore
	}
	if key == "" || len(key) > maxSubjectKey {
		return SubjectOverride{}, fmt.Errorf("guard: %s %q: %w: the key must be 1 to %d bytes", ActionPutSubject, rollout, ErrInvalidAction, maxSubjectKey)
	}
	if variant == "" {
		return SubjectOverride{}, fmt.Errorf("guard: %s %q: %w: no variant", ActionPutSubject, rollout, ErrInvalidAction)
	}
	if e := a.cfg.engine; e != nil {
		if err := e.CheckSubjectOverride(rollout, key, variant); err != nil {
			if errors.Is(err, gray.ErrUnknownRollout) {
				return SubjectOverride{}, fmt.Errorf("guard: %w: %q", gray.ErrUnknownRollout, rollout)
			}
			return SubjectOverride{}, fmt.Errorf("guard: %s %q: %w: %w", ActionPutSubject, rollout, ErrInvalidAction, err)
		}
	}
	have, err := ss.Subjects(ctx, rollout)
	if err != nil {
		return SubjectOverride{}, fmt.Errorf("guard: %s %q: %w", ActionPutSubject, rollout, err)
	}
	if len(have) >= gray.MaxSubjectOverrides && !slices.ContainsFunc(have, func(o SubjectOverride) bool { return o.Key == key }) {
		return SubjectOverride{}, fmt.Errorf("guard: %s %q: %w: the rollout has %d subject overrides, the most it may have (use a rule or a segment for lists)",
			ActionPutSubject, rollout, ErrInvalidAction, len(have))
	}
	o := SubjectOverride{Rollout: rollout, Key: key, Variant: variant, Actor: actor, Reason: reason, At: a.cfg.now().UTC()}
	if err := ss.PutSubject(ctx, o); err != nil {
		return SubjectOverride{}, fmt.Errorf("guard: %s %q: %w", ActionPutSubject, rollout, err)
	}
	a.cfg.log.Info("guard: subject override", "rollout", rollout, "key", key, "variant", variant, "actor", actor, "reason", reason)
	return o, nil
}

// RemoveSubject removes the key's override in the rollout, for every
// replica at its next poll, audited. It reports false when there was none.
func (a *Actions) RemoveSubject(ctx context.Context, rollout, key, actor, reason string) (bool, error) {
	ss, ok := a.store.(SubjectStore)
	if !ok {
		return false, ErrNoSubjectStore
	}
	removed, err := ss.RemoveSubject(ctx, rollout, key, actor, reason, a.cfg.now().UTC())
	if err != nil {
		return false, fmt.Errorf("guard: %s %q: %w", ActionRemoveSubject, rollout, err)
	}
	if removed {
		a.cfg.log.Info("guard: subject override removed", "rollout", rollout, "key", key, "actor", actor, "reason", reason)
	}
	return removed, nil
}

// Subjects lists the subject overrides of the rollout ("" for all).
func (a *Actions) Subjects(ctx context.Context, rollout string) ([]SubjectOverride, error) {
	ss, ok := a.store.(SubjectStore)
	if !ok {
		return nil, ErrNoSubjectStore
	}
	return ss.Subjects(ctx, rollout)
}

// subjectTransition is the audit entry of a subject override change.
func subjectTransition(act Action, key, variant, actor, reason string, at time.Time) Transition {
	return Transition{Action: act, Actor: actor, Reason: reason, At: at, Subject: key, Variant: variant}
}

// applySubjects gives the engine the stored subject overrides, changing
// only the rollouts whose set changed since the last tick. c.mu is held.
func (c *Controller) applySubjects(ctx context.Context) error {
	ss, ok := c.store.(SubjectStore)
	if !ok {
		return nil
	}
	list, err := ss.Subjects(ctx, "")
	if err != nil {
		return fmt.Errorf("guard: subject overrides: %w", err)
	}
	want := map[string]map[string]string{}
	for _, o := range list {
		if want[o.Rollout] == nil {
			want[o.Rollout] = map[string]string{}
		}
		want[o.Rollout][o.Key] = o.Variant
	}
	var errs []error
	for rollout, m := range want {
		if maps.Equal(m, c.subjects[rollout]) {
			continue
		}
		if err := c.engine.SetSubjectOverrides(rollout, m); err != nil {
			if !errors.Is(err, gray.ErrUnknownRollout) { // another service's rollout, or not configured here yet
				errs = append(errs, fmt.Errorf("guard: apply subject overrides: %w", err))
			}
			continue
		}
		c.subjects[rollout] = m
	}
	for rollout := range c.subjects {
		if _, ok := want[rollout]; !ok {
			if err := c.engine.SetSubjectOverrides(rollout, nil); err == nil || errors.Is(err, gray.ErrUnknownRollout) {
				delete(c.subjects, rollout)
			}
		}
	}
	return errors.Join(errs...)
}

// PutSubject implements [SubjectStore].
func (m *MemoryStore) PutSubject(ctx context.Context, o SubjectOverride) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.subjects == nil {
		m.subjects = map[[2]string]SubjectOverride{}
	}
	m.subjects[[2]string{o.Rollout, o.Key}] = o
	m.auditLocked(o.Rollout, subjectTransition(ActionPutSubject, o.Key, o.Variant, o.Actor, o.Reason, o.At))
	return nil
}

// RemoveSubject implements [SubjectStore].
func (m *MemoryStore) RemoveSubject(ctx context.Context, rollout, key, actor, reason string, at time.Time) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.subjects[[2]string{rollout, key}]
	if !ok {
		return false, nil
	}
	delete(m.subjects, [2]string{rollout, key})
	m.auditLocked(rollout, subjectTransition(ActionRemoveSubject, key, o.Variant, actor, reason, at))
	return true, nil
}

// Subjects implements [SubjectStore].
func (m *MemoryStore) Subjects(ctx context.Context, rollout string) ([]SubjectOverride, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []SubjectOverride
	for k, o := range m.subjects {
		if rollout == "" || k[0] == rollout {
			out = append(out, o)
		}
	}
	sortSubjects(out)
	return out, nil
}

// auditLocked appends an audit entry that changes no state: it carries the
// rollout's current state version. m.mu is held.
func (m *MemoryStore) auditLocked(rollout string, t Transition) {
	m.audit = append(m.audit, AuditEntry{Seq: int64(len(m.audit)) + 1, Rollout: rollout, Version: m.states[rollout].Version, Transition: t})
}

func sortSubjects(list []SubjectOverride) {
	slices.SortFunc(list, func(a, b SubjectOverride) int {
		if c := strings.Compare(a.Rollout, b.Rollout); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
}

var (
	_ SubjectStore = (*MemoryStore)(nil)
	_ SubjectStore = (*SQLStore)(nil)
)
