// Package watch keeps a [gray.Engine]'s configuration in step with a file:
// it loads the file, then reloads it whenever it changes. It lives apart from
// gray so that fsnotify is in the import graph only of programs that watch
// files.
//
//	w, err := watch.File(ctx, engine, "/etc/app/rollouts.yaml")
//	if err != nil {
//		log.Fatal(err) // the first load failed; the engine is untouched
//	}
//	defer w.Close()
package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/graykit/graykit/gray"
)

// Watcher reloads an engine's configuration from a file whenever the file
// changes. It watches the file's directory, not the file, so it survives
// editors that write a new file and rename it over the old one, and
// Kubernetes ConfigMap volumes that swap a symlink. A file that fails to
// read or validate — invalid, or beyond the [gray.ParseOption] limits — is
// logged (with the engine's [gray.Engine.Logger]) and skipped: the running
// configuration stays.
type Watcher struct {
	e         *gray.Engine
	path      string
	fsw       *fsnotify.Watcher
	cancel    context.CancelFunc
	done      chan struct{}
	onReload  func(error)
	debounce  time.Duration
	parseOpts []gray.ParseOption

	last *gray.Config // the configuration last applied; only the watcher's goroutine touches it once running
}

// Option configures [File].
type Option interface{ apply(*Watcher) }

type optionFunc func(*Watcher)

func (f optionFunc) apply(w *Watcher) { f(w) }

// OnReload sets a function called after every reload attempt, with nil on
// success or the error that kept the old configuration. It runs on the
// watcher's goroutine.
func OnReload(fn func(error)) Option {
	return optionFunc(func(w *Watcher) { w.onReload = fn })
}

// WithDebounce sets how long the watcher waits after a change before it
// reads the file, so a burst of writes is read once. The default is 100ms.
func WithDebounce(d time.Duration) Option {
	return optionFunc(func(w *Watcher) { w.debounce = d })
}

// WithParseOptions sets the limits the file is read within, as for
// [gray.LoadConfig] (e.g. gray.WithMaxConfigSize). A file that breaks one is
// logged and skipped like any invalid file.
func WithParseOptions(opts ...gray.ParseOption) Option {
	return optionFunc(func(w *Watcher) { w.parseOpts = append(w.parseOpts, opts...) })
}

// File loads the file at path into e (returning its error if it is invalid,
// with e untouched), then keeps watching it until ctx is done or Close is
// called. The watcher's goroutine ends with it.
func File(ctx context.Context, e *gray.Engine, path string, opts ...Option) (*Watcher, error) {
	if e == nil {
		return nil, errors.New("watch: nil engine")
	}
	w := &Watcher{e: e, path: path, done: make(chan struct{}), debounce: 100 * time.Millisecond}
	for _, o := range opts {
		if o != nil {
			o.apply(w)
		}
	}
	fsw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watch: %s: %w", path, err)
	}
	if err := fsw.Add(filepath.Dir(path)); err != nil {
		_ = fsw.Close()
		return nil, fmt.Errorf("watch: %s: %w", path, err)
	}
	if err := w.load(); err != nil {
		_ = fsw.Close()
		return nil, err
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
			w.e.Logger().Warn("watch: file watcher error", "path", w.path, "err", err)
		case <-fire:
			fire = nil
			w.reload()
		}
	}
}

// concerns reports whether ev may have changed the watched file: an event
// on it, on a ConfigMap's ..data symlink, or any event when the path is a
// symlink (its target may have moved).
func (w *Watcher) concerns(ev fsnotify.Event) bool {
	name := filepath.Clean(ev.Name)
	return name == filepath.Clean(w.path) || filepath.Base(name) == "..data" || isSymlink(w.path)
}

func isSymlink(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&os.ModeSymlink != 0
}

// load reads, validates and applies the file, unless it holds the
// configuration applied last.
func (w *Watcher) load() error {
	cfg, err := gray.LoadConfig(w.path, w.parseOpts...)
	if err != nil {
		return err
	}
	if w.last != nil && reflect.DeepEqual(cfg, w.last) {
		return nil
	}
	if err := w.e.Update(cfg); err != nil {
		return fmt.Errorf("%w (in %s)", err, w.path)
	}
	w.last = cfg
	return nil
}

func (w *Watcher) reload() {
	err := w.load()
	log := w.e.Logger()
	var ce *gray.ConfigError
	switch {
	case err == nil:
		log.Info("watch: config reloaded", "path", w.path, "rollouts", len(w.e.Config().Rollouts))
	case errors.Is(err, os.ErrNotExist):
		// Mid-swap, or deleted: keep serving, a later event brings it back.
		log.Warn("watch: config file missing; keeping the running config", "path", w.path)
	case errors.As(err, &ce):
		log.Error("watch: invalid config; keeping the running config", "path", w.path, "err", err)
	default:
		log.Error("watch: config file unreadable or refused; keeping the running config", "path", w.path, "err", err)
	}
	if w.onReload != nil {
		w.onReload(err)
	}
}
