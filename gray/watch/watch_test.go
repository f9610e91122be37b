package watch_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/watch"
	"github.com/graykit/graykit/internal/configtest"
)

// reloads collects the watcher's reload results.
type reloads struct {
	mu   sync.Mutex
	errs []error
	ch   chan struct{}
}

func newReloads() *reloads { return &reloads{ch: make(chan struct{}, 100)} }

func (r *reloads) record(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
	r.ch <- struct{}{}
}

func (r *reloads) wait(t *testing.T) error {
	t.Helper()
	select {
	case <-r.ch:
	case <-time.After(10 * time.Second):
		t.Fatal("no reload within 10s")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.errs[len(r.errs)-1]
}

func percentOf(e *gray.Engine) float64 { return e.Config().Rollouts[0].Percent }

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
}

func TestWatchConfigReloads(t *testing.T) {
	defer goleak.VerifyNone(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "rollouts.yaml")
	writeFile(t, path, "rollouts: [{name: r, percent: 5}]")
	e := mustEngine(t, "rollouts: [{name: r, percent: 1}]")
	rl := newReloads()
	w, err := watch.File(t.Context(), e, path, watch.OnReload(rl.record), watch.WithDebounce(20*time.Millisecond))
	require.NoError(t, err)
	defer w.Close()
	assert.Equal(t, 5.0, percentOf(e), "the file is loaded at start")

	// An in-place write.
	writeFile(t, path, "rollouts: [{name: r, percent: 10}]")
	require.NoError(t, rl.wait(t))
	assert.Equal(t, 10.0, percentOf(e))

	// A bad file is skipped; the running config stays.
	writeFile(t, path, "rollouts: [{name: r, percent: 300}]")
	err = rl.wait(t)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rollouts[0].percent: 300 is above 100")
	assert.Equal(t, 10.0, percentOf(e))

	// An editor's write-to-temp-then-rename.
	tmp := filepath.Join(dir, ".rollouts.yaml.swp")
	writeFile(t, tmp, "rollouts: [{name: r, percent: 20}]")
	require.NoError(t, os.Rename(tmp, path))
	require.NoError(t, waitFor(t, rl, func() bool { return percentOf(e) == 20 }))
}

func TestWatchConfigMapSymlinkSwap(t *testing.T) {
	defer goleak.VerifyNone(t)
	// A Kubernetes ConfigMap volume: rollouts.yaml -> ..data/rollouts.yaml,
	// ..data -> ..2026_v1; an update writes ..2026_v2 and swaps ..data.
	dir := t.TempDir()
	v1 := filepath.Join(dir, "..2026_v1")
	require.NoError(t, os.Mkdir(v1, 0o755))
	writeFile(t, filepath.Join(v1, "rollouts.yaml"), "rollouts: [{name: r, percent: 5}]")
	require.NoError(t, os.Symlink("..2026_v1", filepath.Join(dir, "..data")))
	require.NoError(t, os.Symlink(filepath.Join("..data", "rollouts.yaml"), filepath.Join(dir, "rollouts.yaml")))

	e := mustEngine(t, "rollouts: [{name: r, percent: 1}]")
	rl := newReloads()
	w, err := watch.File(t.Context(), e, filepath.Join(dir, "rollouts.yaml"), watch.OnReload(rl.record), watch.WithDebounce(20*time.Millisecond))
	require.NoError(t, err)
	defer w.Close()
	assert.Equal(t, 5.0, percentOf(e))

	v2 := filepath.Join(dir, "..2026_v2")
	require.NoError(t, os.Mkdir(v2, 0o755))
	writeFile(t, filepath.Join(v2, "rollouts.yaml"), "rollouts: [{name: r, percent: 50}]")
	require.NoError(t, os.Symlink("..2026_v2", filepath.Join(dir, "..data_tmp")))
	require.NoError(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
	require.NoError(t, os.RemoveAll(v1))
	require.NoError(t, waitFor(t, rl, func() bool { return percentOf(e) == 50 }))
}

func TestWatchConfigStopsOnCancel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.yaml")
	writeFile(t, path, "rollouts: [{name: r, percent: 5}]")
	e := mustEngine(t, "rollouts: []")
	ctx, cancel := context.WithCancel(t.Context())
	w, err := watch.File(ctx, e, path)
	require.NoError(t, err)
	cancel()
	// VerifyNone retries until the watcher's goroutine is gone.
	goleak.VerifyNone(t)
	require.NoError(t, w.Close(), "Close after cancel returns")
	require.NoError(t, w.Close(), "Close is idempotent")
}

func TestWatchConfigBadStart(t *testing.T) {
	defer goleak.VerifyNone(t)
	dir := t.TempDir()
	e := mustEngine(t, "rollouts: [{name: r, percent: 1}]")
	_, err := watch.File(t.Context(), e, filepath.Join(dir, "missing.yaml"))
	assert.Error(t, err)
	bad := filepath.Join(dir, "bad.yaml")
	writeFile(t, bad, "rollouts: [{name: r, percnt: 1}]")
	_, err = watch.File(t.Context(), e, bad)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "rollouts[0].percnt: unknown field")
	assert.Equal(t, 1.0, percentOf(e), "engine untouched")
}

// waitFor waits for reloads until cond holds.
func waitFor(t *testing.T, rl *reloads, cond func() bool) error {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10s")
		}
		select {
		case <-rl.ch:
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// TestWatchConfigSkipsHostileFiles: a watched file that is too big, too
// deep or too many is logged and skipped like any invalid file; the
// application keeps running on the config it has. (16 MB of "[" used to
// end the process with a stack overflow.)
func TestWatchConfigSkipsHostileFiles(t *testing.T) {
	defer goleak.VerifyNone(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "rollouts.json")
	writeFile(t, path, `{"rollouts": [{"name": "r", "percent": 5}]}`)
	e := mustEngine(t, "rollouts: [{name: r, percent: 1}]")
	rl := newReloads()
	w, err := watch.File(t.Context(), e, path, watch.OnReload(rl.record), watch.WithDebounce(20*time.Millisecond),
		watch.WithParseOptions(gray.WithMaxConfigSize(20<<20)))
	require.NoError(t, err)
	defer w.Close()
	require.Equal(t, 5.0, percentOf(e))

	tests := []struct {
		name string
		give string
		want string
	}{
		{"16 MB of [", strings.Repeat("[", 16<<20), "gray: " + strings.Repeat("[0]", 128) + ": nested deeper than 128 levels"},
		{"above the size limit", `{"rollouts": []}` + strings.Repeat(" ", 20<<20), "above the limit of 20971520"},
		{"deep objects", configtest.Nested(`{"not":`, "", "}", 100_000), "gray: not" + strings.Repeat(".not", 127) + ": nested deeper than 128 levels"},
		{"too many values", "[" + strings.Repeat("1,", 200_000) + "1]", "more than 100000 values"},
		{"billion laughs", configtest.Laughs(9), "aliases expand to more than 100000 values"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Written aside and renamed, so the watcher never reads half a file.
			tmp := filepath.Join(dir, ".next")
			writeFile(t, tmp, tt.give)
			require.NoError(t, os.Rename(tmp, path))
			err := waitForError(t, rl, tt.want)
			assert.Contains(t, err.Error(), "(in "+path+")")
			assert.Equal(t, 5.0, percentOf(e), "the running config stays")
		})
	}

	writeFile(t, path, `{"rollouts": [{"name": "r", "percent": 7}]}`)
	require.NoError(t, waitFor(t, rl, func() bool { return percentOf(e) == 7 }))
}

// waitForError waits for a reload that fails with an error containing want
// (an event may bring more than one reload of the same file).
func waitForError(t *testing.T, rl *reloads, want string) error {
	t.Helper()
	for {
		if err := rl.wait(t); err != nil && strings.Contains(err.Error(), want) {
			return err
		}
	}
}

func mustEngine(t testing.TB, yaml string) *gray.Engine {
	t.Helper()
	cfg, err := gray.ParseConfig([]byte(yaml))
	require.NoError(t, err)
	e, err := gray.New(cfg, gray.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	return e
}
