package gray

import (
	"fmt"
	"maps"
	"strings"
)

// MaxSubjectOverrides bounds the subject overrides of one rollout: they are
// for naming a few people (a tester, a customer being debugged), not for
// lists, which belong in a rule or a segment.
const MaxSubjectOverrides = 10_000

// SetSubjectOverrides replaces the run-time subject overrides of the named
// rollout: each key (a subject's [Subject.Key]) gets its variant, with
// [ReasonOverride], whatever the rules and the split say. The brake still
// wins: an off rollout gives its default variant to everyone. An empty or
// nil map clears them. Like [Override]s they survive [Engine.Update].
//
// Every variant must be declared by the rollout and every key non-empty;
// an unknown rollout, an undeclared variant or more than
// [MaxSubjectOverrides] keys is an error and changes nothing. If a later
// [Engine.Update] drops a variant, the keys on it are ignored (and logged)
// until it comes back. Package gray/guard calls this on every replica from
// its shared store.
func (e *Engine) SetSubjectOverrides(rollout string, subjects map[string]string) error {
	e.updateMu.Lock()
	defer e.updateMu.Unlock()
	if err := e.checkSubjectsLocked(rollout, subjects); err != nil {
		return err
	}
	next := maps.Clone(e.subjects)
	if next == nil {
		next = map[string]map[string]string{}
	}
	if len(subjects) == 0 {
		delete(next, rollout)
	} else {
		next[rollout] = maps.Clone(subjects)
	}
	snap, err := e.compile(applyOverrides(e.base, e.overrides))
	if err != nil { // cannot happen: the same config compiled before
		return err
	}
	e.subjects = next
	e.publishLocked(snap)
	return nil
}

// CheckSubjectOverride reports whether the named rollout can put key on
// variant, without changing anything: for a console or a shared store that
// must refuse it before other replicas try to apply it.
func (e *Engine) CheckSubjectOverride(rollout, key, variant string) error {
	e.updateMu.Lock()
	defer e.updateMu.Unlock()
	return e.checkSubjectsLocked(rollout, map[string]string{key: variant})
}

// SubjectOverrides returns a copy of the subject overrides in force, by
// rollout and key.
func (e *Engine) SubjectOverrides() map[string]map[string]string {
	e.updateMu.Lock()
	defer e.updateMu.Unlock()
	out := make(map[string]map[string]string, len(e.subjects))
	for r, m := range e.subjects {
		out[r] = maps.Clone(m)
	}
	return out
}

func (e *Engine) checkSubjectsLocked(rollout string, subjects map[string]string) error {
	r := e.cur.Load().find(rollout)
	if r == nil {
		return fmt.Errorf("gray: subject override: %w: %q", ErrUnknownRollout, rollout)
	}
	if len(subjects) > MaxSubjectOverrides {
		return fmt.Errorf("gray: subject overrides of %q: %d keys, at most %d (use a rule or a segment for lists)", rollout, len(subjects), MaxSubjectOverrides)
	}
	for key, v := range subjects {
		switch {
		case key == "":
			return fmt.Errorf("gray: subject override of %q: empty key", rollout)
		case !r.declared[v]:
			return fmt.Errorf("gray: subject override of %q for key %q: variant %q is not declared (declared: %s)",
				rollout, clip(key), clip(v), strings.Join(r.variantNames(), ", "))
		}
	}
	return nil
}

// publishLocked attaches the subject overrides to a new snapshot and makes
// it current. e.updateMu must be held; snap must not be published yet.
func (e *Engine) publishLocked(snap *snapshot) {
	for name, subjects := range e.subjects {
		r := snap.find(name)
		if r == nil {
			continue // the rollout left the configuration; kept for its return
		}
		use, cloned := subjects, false
		for key, v := range subjects {
			if !r.declared[v] {
				e.log.Warn("gray: subject override ignored: its variant is not declared", "rollout", name, "key", key, "variant", v)
				if !cloned {
					use, cloned = maps.Clone(subjects), true
				}
				delete(use, key)
			}
		}
		if len(use) > 0 {
			r.subjects = use
		}
	}
	e.swap(snap)
}
