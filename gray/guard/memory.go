package guard

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// MemoryStore is a [Store] in memory, for one process (several controllers
// in one process may share it) and for tests. The zero value is not ready;
// use [NewMemoryStore].
type MemoryStore struct {
	mu      sync.Mutex
	states  map[string]State
	audit   []AuditEntry
	windows map[windowKey]Window
	// subjects are the subject overrides by rollout and key (subjects.go).
	subjects map[[2]string]SubjectOverride
}

type windowKey struct {
	rollout, replica, variant string
	start                     int64
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{states: map[string]State{}, windows: map[windowKey]Window{}}
}

// Load implements [Store].
func (m *MemoryStore) Load(ctx context.Context, rollout string) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.states[rollout]
	if !ok {
		return State{}, fmt.Errorf("%w for rollout %q", ErrNoState, rollout)
	}
	return s, nil
}

// States implements [Store].
func (m *MemoryStore) States(ctx context.Context) ([]State, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]State, 0, len(m.states))
	for _, s := range m.states {
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b State) int { return strings.Compare(a.Rollout, b.Rollout) })
	return out, nil
}

// CompareAndSwap implements [Store].
func (m *MemoryStore) CompareAndSwap(ctx context.Context, version int64, next State, t Transition) (State, error) {
	if err := ctx.Err(); err != nil {
		return State{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.states[next.Rollout] // zero Version when absent
	if cur.Version != version {
		return State{}, fmt.Errorf("%w: rollout %q is at version %d, not %d", ErrConflict, next.Rollout, cur.Version, version)
	}
	next.Version = version + 1
	next.Last = t
	m.states[next.Rollout] = next
	m.audit = append(m.audit, AuditEntry{Seq: int64(len(m.audit)) + 1, Rollout: next.Rollout, Version: next.Version, Transition: t})
	return next, nil
}

// Audit implements [Store].
func (m *MemoryStore) Audit(ctx context.Context, rollout string, limit int) ([]AuditEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []AuditEntry
	for i := len(m.audit) - 1; i >= 0 && (limit <= 0 || len(out) < limit); i-- {
		if rollout == "" || m.audit[i].Rollout == rollout {
			out = append(out, m.audit[i])
		}
	}
	return out, nil
}

// PutWindow implements [Store].
func (m *MemoryStore) PutWindow(ctx context.Context, w Window) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.windows[windowKey{w.Rollout, w.Replica, w.Variant, w.Start.UnixNano()}] = w
	return nil
}

// Windows implements [Store].
func (m *MemoryStore) Windows(ctx context.Context, rollout string, since time.Time) ([]Window, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Window
	for k, w := range m.windows {
		if k.rollout == rollout && !w.Start.Before(since) {
			out = append(out, w)
		}
	}
	return out, nil
}

// PruneWindows implements [Store].
func (m *MemoryStore) PruneWindows(ctx context.Context, before time.Time) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var n int64
	for k, w := range m.windows {
		if w.Start.Before(before) {
			delete(m.windows, k)
			n++
		}
	}
	return n, nil
}
