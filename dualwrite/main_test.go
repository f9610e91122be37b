package dualwrite_test

import (
	"context"
	"sort"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/graykit/graykit/dualwrite"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// memStore is an in-memory store that logs operations and can be made to fail.
type memStore struct {
	name string
	log  *opLog
	mu   sync.Mutex
	m    map[string]string
	fail error // returned by every call while set
}

type opLog struct {
	mu  sync.Mutex
	ops []string
}

func (l *opLog) add(s string) {
	l.mu.Lock()
	l.ops = append(l.ops, s)
	l.mu.Unlock()
}

func (l *opLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ops := l.ops
	l.ops = nil
	return ops
}

func newMem(name string, log *opLog) *memStore {
	return &memStore{name: name, log: log, m: map[string]string{}}
}

func (s *memStore) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func (s *memStore) Get(_ context.Context, k string) (string, error) {
	s.log.add("get " + s.name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return "", s.fail
	}
	v, ok := s.m[k]
	if !ok {
		return "", dualwrite.ErrNotFound
	}
	return v, nil
}

func (s *memStore) Put(_ context.Context, k, v string) error {
	s.log.add("put " + s.name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	s.m[k] = v
	return nil
}

func (s *memStore) Delete(_ context.Context, k string) error {
	s.log.add("delete " + s.name)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	delete(s.m, k)
	return nil
}

func (s *memStore) Scan(_ context.Context, after *string, limit int) ([]dualwrite.Entry[string, string], error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		if after == nil || k > *after {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) > limit {
		keys = keys[:limit]
	}
	out := make([]dualwrite.Entry[string, string], len(keys))
	for i, k := range keys {
		out[i] = dualwrite.Entry[string, string]{Key: k, Value: s.m[k]}
	}
	return out, nil
}
