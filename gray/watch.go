package gray

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watcher reloads an engine's configuration from a file whenever the file
// changes. It watches the file's directory, not the file, so it survives
// editors that write a new file and rename it over the old one, and
// Kubernetes ConfigMap volumes that swap a symlink. A file that fails to
// read or validate is logged and skipped: the running configuration stays.
type Watcher struct {
	e        *Engine
	path     string
	fsw      *fsnotify.Watcher
	cancel   context.CancelFunc
	done     chan struct{}
	onLoad   func(error)
	debounce time.Duration
	limits   parseLimits

	last []byte // the content last applied; only the watcher's goroutine touches it once running
}

// WatchOption configures [WatchConfig].
type WatchOption interface{ applyWatch(*Watcher) }

type watchOptionFunc func(*Watcher)

func (f watchOptionFunc) applyWatch(w *Watcher) { f(w) }

// OnReload sets a function called after every reload attempt, with nil on
// success or the error that kept the old configuration. It runs on the
// watcher's goroutine.
func OnReload(fn func(error)) WatchOption {
	return watchOptionFunc(func(w *Watcher) { w.onLoad = fn })
}

// WithDebounce sets how long the watcher waits after a change before it
// reads the file, so a burst of writes is read once. The default is 100ms.
func WithDebounce(d time.Duration) WatchOption {
	return watchOptionFunc(func(w *Watcher) { w.debounce = d })
}

// WatchConfig loads the file at path into e (returning its error if it is
// invalid, with e untouched), then keeps watching it until ctx is done or
// Close is called. The watcher's goroutine ends with it. A [ParseOption]
// among opts sets the limits the file is read within; a file that breaks
// one is logged and skipped like any invalid file.
func WatchConfig(ctx context.Context, e *Engine, path string, opts ...WatchOption) (*Watcher, error) {
	w := &Watcher{e: e, path: path, done: make(chan struct{}), debounce: 100 * time.Millisecond}
	for _, o := range opts {
		o.applyWatch(w)
	}
	w.limits = w.limits.withDefaults()
	// Watch before the first read, so a change made in between is seen.
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("gray: watch %s: %w", path, err)
	}
	if err := fsw.Add(filepath.Dir(path)); err != nil {
		_ = fsw.Close()
		return nil, fmt.Errorf("gray: watch %s: %w", path, err)
	}
	data, err := readConfigFile(path, w.limits)
	if err == nil {
		err = w.apply(data)
	}
	if err != nil {
		_ = fsw.Close()
		return nil, inFile(err, path)
	}
	w.fsw = fsw
	ctx, w.cancel = context.WithCancel(ctx)
	go w.run(ctx)
	return w, nil
}

// Close stops the watcher and waits for its goroutine to end.
func (w *Watcher) Close() error {
	w.cancel()
	<-w.done
	return nil
}

func (w *Watcher) run(ctx context.Context) {
	defer close(w.done)
	defer w.fsw.Close()
	var timer *time.Timer
	var fire <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.fsw.Events:
			if !ok {
				return
			}
			if !w.concerns(ev) {
				continue
			}
			if timer == nil {
				timer = time.NewTimer(w.debounce)
			} else {
				timer.Reset(w.debounce)
			}
			fire = timer.C
		case err, ok := <-w.fsw.Errors:
			if !ok {
				return
			}
			w.e.log.Warn("gray: config watcher error", "path", w.path, "err", err)
		case <-fire:
			fire = nil
			w.reload()
		}
	}
}

// concerns reports whether an event in the directory may have changed the
// file: any event on the file itself, and, for ConfigMaps, any event on the
// "..data" symlink or other entries whose swap changes what path resolves to.
func (w *Watcher) concerns(ev fsnotify.Event) bool {
	if ev.Has(fsnotify.Chmod) && !ev.Has(fsnotify.Write) {
		return false
	}
	name := filepath.Clean(ev.Name)
	return name == filepath.Clean(w.path) || filepath.Base(name) == "..data" || isSymlink(w.path)
}

func isSymlink(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&os.ModeSymlink != 0
}

func (w *Watcher) reload() {
	data, err := readConfigFile(w.path, w.limits)
	var ce *ConfigError
	if err != nil && !errors.As(err, &ce) {
		if errors.Is(err, os.ErrNotExist) {
			// Mid-swap, or deleted: keep serving, a later event brings it back.
			w.e.log.Warn("gray: config file missing; keeping the running config", "path", w.path)
		} else {
			w.e.log.Error("gray: config file unreadable; keeping the running config", "path", w.path, "err", err)
		}
		w.report(err)
		return
	}
	if err == nil {
		if bytes.Equal(data, w.last) {
			return
		}
		err = w.apply(data)
	}
	if err != nil {
		err = inFile(err, w.path)
		w.e.log.Error("gray: invalid config; keeping the running config", "path", w.path, "err", err)
	} else {
		w.e.log.Info("gray: config reloaded", "path", w.path, "rollouts", len(w.e.Config().Rollouts))
	}
	w.report(err)
}

func (w *Watcher) apply(data []byte) error {
	cfg, err := parseConfig(data, w.limits)
	if err == nil {
		err = w.e.Update(cfg)
	}
	if err != nil {
		return err
	}
	w.last = data
	return nil
}

func (w *Watcher) report(err error) {
	if w.onLoad != nil {
		w.onLoad(err)
	}
}
