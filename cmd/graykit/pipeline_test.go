package main

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
	"github.com/graykit/graykit/gray/guard"
)

// pipelineConfig is the README's release plan (10%, then 100%) with a
// hold and evidence sized for a test: a healthy canary is promoted within
// seconds, a failing one rolled back.
const pipelineConfig = `rollouts:
  - name: checkout-v2
    plan:
      steps: [10, 100]
      hold: 300ms
      min_requests: 100
      guard: {interval: 100ms, min_requests: 100, max_error_increase: 0.05, disable_latency: true}
`

// TestPipeline runs the graykit steps of the README's GitLab CI and GitHub
// Actions examples, as a pipeline would: the built binary, against a
// running application that serves traffic and runs the guard. A healthy
// canary ends in promotion (exit 0), a bad one in the judge's rollback
// (exit 3).
func TestPipeline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a rollout; skipped with -short")
	}
	gitlab, github := readmePipelines(t)
	require.NotEmpty(t, gitlab)
	require.Equal(t, gitlab, github, "the two examples run the same graykit steps")
	require.Equal(t, []string{"start", "wait"}, []string{gitlab[0][0], gitlab[1][0]})
	bin := buildCLI(t)

	tests := []struct {
		name     string
		give     [][]string
		bad      bool
		wantCode int
		wantOut  string
	}{
		{name: "GitLab CI, healthy canary", give: gitlab, wantCode: exitOK, wantOut: "promoted to 100%"},
		{name: "GitHub Actions, bad canary", give: github, bad: true, wantCode: exitRolledBack, wantOut: "ROLLED BACK (rollback by guard/web-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Deploy: the new version comes up; the last release left the
			// rollout promoted.
			url := runPipelineApp(t, tt.bad)
			var out string
			code := -1
			for _, args := range tt.give {
				if args[0] == "wait" {
					args = append(args, "--interval", "50ms") // the default 10s, sped up
				}
				cmd := exec.CommandContext(t.Context(), bin, args...)
				cmd.Env = append(os.Environ(), "GRAYKIT_URL="+url, "GRAYKIT_TOKEN="+operatorToken)
				data, err := cmd.CombinedOutput()
				out = string(data)
				code = 0
				var exit *exec.ExitError
				if errors.As(err, &exit) {
					code = exit.ExitCode()
				} else {
					require.NoError(t, err)
				}
				t.Logf("$ graykit %s\n%s(exit %d)", strings.Join(args, " "), out, code)
				if code != 0 {
					break
				}
			}
			require.Equal(t, tt.wantCode, code, out)
			assert.Contains(t, out, tt.wantOut)
			assert.Contains(t, out, "checkout-v2: running at step 1/2 (10%)", "wait reports progress")
			if tt.bad {
				assert.Contains(t, out, "evidence: canary 100.00% errors of", "the judge's evidence is in the CI log")
			}
		})
	}
}

// readmePipelines returns the graykit commands of the README's GitLab CI
// and GitHub Actions examples, as argument lists, CI variables filled in.
func readmePipelines(t *testing.T) (gitlab, github [][]string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	defer f.Close()
	var which *[][]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "GitLab CI:":
			which = &gitlab
		case line == "GitHub Actions:":
			which = &github
		case which == nil:
		case strings.HasPrefix(line, "- graykit "), strings.HasPrefix(line, "- run: graykit "):
			cmd := line[strings.Index(line, "graykit ")+len("graykit "):]
			cmd, _, _ = strings.Cut(cmd, " #")
			cmd = strings.NewReplacer("$CI_COMMIT_SHORT_SHA", "0a1b2c3", "${{ github.sha }}", "0a1b2c3").Replace(cmd)
			*which = append(*which, shellWords(t, cmd))
		case strings.HasPrefix(line, "`TestPipeline`"):
			which = nil
		}
	}
	require.NoError(t, sc.Err())
	return gitlab, github
}

// shellWords splits s at spaces outside double quotes, the little shell
// the README's lines use.
func shellWords(t *testing.T, s string) []string {
	var words []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, c := range s {
		switch {
		case c == '"':
			quoted, inWord = !quoted, true
		case c == ' ' && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
			}
			inWord = false
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	require.False(t, quoted, "unbalanced quotes in %q", s)
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// buildCLI builds the command into a temporary directory.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "graykit")
	out, err := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// runPipelineApp starts an application on loopback: checkout-v2 under the
// guard (one replica, polling every 20ms), the console at /ops/graykit/,
// and a client sending a steady stream of users until the test ends. With
// bad, the canary answers 500. The last release left the rollout promoted.
// It returns the console's URL.
func runPipelineApp(t *testing.T, bad bool) string {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	cfg, err := gray.ParseConfig([]byte(pipelineConfig))
	require.NoError(t, err)
	engine, err := gray.New(cfg)
	require.NoError(t, err)
	store := guard.NewMemoryStore()
	ctrl, err := guard.New(engine, store, guard.WithReplica("web-1"), guard.WithLogger(quiet), guard.WithPollInterval(20*time.Millisecond))
	require.NoError(t, err)
	_, err = ctrl.Promote(t.Context(), "checkout-v2", "ci", "release 41")
	require.NoError(t, err)
	backend, err := admin.GuardBackend(store, ctrl.Actions)
	require.NoError(t, err)
	console, err := admin.New(admin.Config{
		Engine: engine, Backend: backend, Counters: ctrl.Counters(), Logger: quiet,
		Tokens: []admin.Token{{Name: "ci", Secret: operatorToken, Role: admin.RoleOperator}},
	})
	require.NoError(t, err)
	checkout := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The new code path serves canary users; the outcome of every
		// request that asked is recorded for the judge.
		if gray.Variant(r.Context(), "checkout-v2") == "canary" && bad {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})
	mux := http.NewServeMux()
	mux.Handle("/ops/graykit/", http.StripPrefix("/ops/graykit", console))
	mux.Handle("/checkout", gray.Middleware(engine, gray.WithKeyFromHeader("X-User"), gray.WithObserver(ctrl.Counters()))(checkout))
	srv := httptest.NewServer(mux)

	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, ctrl.Start(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the users
		defer wg.Done()
		client := srv.Client()
		for i := 0; ctx.Err() == nil; i++ {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/checkout", nil)
			if err != nil {
				return
			}
			req.Header.Set("X-User", "user-"+strconv.Itoa(i))
			res, err := client.Do(req)
			if err != nil {
				continue // canceled at the end
			}
			_ = res.Body.Close()
			select {
			case <-ctx.Done():
			case <-time.After(time.Millisecond): // about 1000 users a second
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		require.NoError(t, ctrl.Close())
		srv.Close()
	})
	return srv.URL + "/ops/graykit/"
}
