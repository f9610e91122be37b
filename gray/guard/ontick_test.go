package guard_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
)

// flakyStore fails every call while down is set.
type flakyStore struct {
	guard.Store
	down atomic.Bool
}

var errDown = errors.New("store down")

func (s *flakyStore) Load(ctx context.Context, rollout string) (guard.State, error) {
	if s.down.Load() {
		return guard.State{}, errDown
	}
	return s.Store.Load(ctx, rollout)
}

func (s *flakyStore) States(ctx context.Context) ([]guard.State, error) {
	if s.down.Load() {
		return nil, errDown
	}
	return s.Store.States(ctx)
}

func (s *flakyStore) PutWindow(ctx context.Context, w guard.Window) error {
	if s.down.Load() {
		return errDown
	}
	return s.Store.PutWindow(ctx, w)
}

func TestOnTickReportsStoreHealth(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	eng, err := gray.New(replicaConfig())
	require.NoError(t, err)
	st := &flakyStore{Store: guard.NewMemoryStore()}
	st.down.Store(true)
	var mu sync.Mutex
	var got []error
	ctrl, err := guard.New(eng, st, guard.WithPollInterval(5*time.Millisecond), guard.WithOnTick(func(err error) {
		mu.Lock()
		got = append(got, err)
		mu.Unlock()
	}))
	require.NoError(t, err)
	require.NoError(t, ctrl.Start(t.Context()))
	last := func() (n int, err error) {
		mu.Lock()
		defer mu.Unlock()
		if len(got) == 0 {
			return 0, nil
		}
		return len(got), got[len(got)-1]
	}
	require.Eventually(t, func() bool { n, err := last(); return n > 0 && errors.Is(err, errDown) }, 2*time.Second, 5*time.Millisecond)
	st.down.Store(false)
	require.Eventually(t, func() bool { n, err := last(); return n > 1 && err == nil }, 2*time.Second, 5*time.Millisecond)
	require.NoError(t, ctrl.Close())
	n, _ := last()
	time.Sleep(20 * time.Millisecond)
	after, _ := last()
	assert.Equal(t, n, after, "no tick after Close")
}
