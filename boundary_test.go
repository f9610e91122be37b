package graykit_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/semver"

	"github.com/graykit/graykit/internal/testenv"
)

// The root module's promise to its users: a low go line and almost no
// requirements. Raising either is a decision for the README's "Module
// layout" section, not something a dependency bump may do by accident.
const maxGoLine = "1.24"

// allowedRequires are the only modules the root go.mod may require: what the
// core's packages import, the light test helpers, and what they need.
var allowedRequires = map[string]bool{
	"github.com/cespare/xxhash/v2": true, // bucketing (DESIGN.md)
	"github.com/fsnotify/fsnotify": true, // gray/watch
	"go.yaml.in/yaml/v3":           true, // the config parser
	"golang.org/x/mod":             true, // semver for rules, modfile for this test
	"golang.org/x/sys":             true, // fsnotify's
	"github.com/stretchr/testify":  true, // tests
	"go.uber.org/goleak":           true, // tests
}

// heavy are modules a user of the core must never find in their module
// graph because of graykit.
var heavy = []string{
	"github.com/gin-gonic/gin", "github.com/labstack/echo", "google.golang.org/grpc",
	"google.golang.org/protobuf", "github.com/prometheus/client_golang", "github.com/jackc/pgx",
	"modernc.org/sqlite", "github.com/chromedp/", "go.mongodb.org/", "github.com/go-sql-driver/mysql",
	// The DDL checker's SQL parsers (ddlcheck module; the PostgreSQL one is cgo).
	"github.com/pingcap/", "github.com/pganalyze/",
}

var frameworks = []string{"github.com/gin-gonic/", "github.com/labstack/", "google.golang.org/grpc"}

// goCmd runs the go command in dir with extra environment, failing t on error.
func goCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// deps lists the import paths pkg depends on, pkg's own included, as the
// module in dir sees them.
func deps(t *testing.T, dir, pkg string) []string {
	t.Helper()
	return strings.Fields(goCmd(t, dir, nil, "list", "-deps", "-f", "{{.ImportPath}}", pkg))
}

func matching(list, prefixes []string) []string {
	var found []string
	for _, dep := range list {
		for _, f := range prefixes {
			if strings.HasPrefix(dep, f) {
				found = append(found, dep)
			}
		}
	}
	return found
}

// TestCoreImportsNoFramework keeps web frameworks and gRPC out of the core
// packages' dependency graphs: users of gray and dualwrite must not pull them.
func TestCoreImportsNoFramework(t *testing.T) {
	for _, pkg := range []string{"./gray/...", "./dualwrite/...", "./internal/..."} {
		if found := matching(deps(t, ".", pkg), frameworks); len(found) > 0 {
			t.Errorf("%s depends on %v", pkg, found)
		}
	}
}

// TestGrayImportsNoWatcher keeps fsnotify (and so x/sys's file-watching
// code) out of gray itself: only programs that import gray/watch get it.
func TestGrayImportsNoWatcher(t *testing.T) {
	if found := matching(deps(t, ".", "./gray"), []string{"github.com/fsnotify/"}); len(found) > 0 {
		t.Errorf("gray depends on %v; the file watcher belongs in gray/watch", found)
	}
	if len(matching(deps(t, ".", "./gray/watch"), []string{"github.com/fsnotify/"})) == 0 {
		t.Error("gray/watch shows no fsnotify dependency: the check above is blind")
	}
}

// TestBoundaryCheckSeesFrameworks is the check's own control: the adapters
// do depend on their frameworks, so the check above would see a violation.
func TestBoundaryCheckSeesFrameworks(t *testing.T) {
	for _, dir := range []string{"adapters/graygin", "adapters/grayecho", "adapters/graygrpc"} {
		if len(matching(deps(t, dir, "."), frameworks)) == 0 {
			t.Errorf("%s shows no framework dependency: the boundary check is blind", dir)
		}
	}
}

// TestRootModuleRequirements reads the root go.mod: its go line is at most
// maxGoLine and it requires nothing beyond allowedRequires.
func TestRootModuleRequirements(t *testing.T) {
	data, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.ParseLax("go.mod", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Go == nil || semver.Compare("v"+f.Go.Version, "v"+maxGoLine+".0") > 0 {
		t.Errorf("go.mod's go line is %v; users on Go %s could not adopt graykit", f.Go, maxGoLine)
	}
	if f.Toolchain != nil {
		t.Errorf("go.mod names toolchain %s: it would be forced on users' builds", f.Toolchain.Name)
	}
	for _, r := range f.Require {
		if !allowedRequires[r.Mod.Path] {
			t.Errorf("go.mod requires %s %s: the root module must stay light (see README, Module layout)", r.Mod.Path, r.Mod.Version)
		}
	}
}

// TestConsumerModule is the check a new user would make: a fresh module on
// the lowest supported go line that imports only gray keeps its go line
// after go mod tidy and finds no heavy module in its graph; one that imports
// graygin finds gin there but neither echo nor gRPC.
func TestConsumerModule(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: builds fresh modules with go mod tidy")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		imports   string
		replace   []string
		wantGo    string // the consumer's go line after tidy
		wantIn    []string
		wantNotIn []string
	}{
		{name: "gray only", imports: "github.com/graykit/graykit/gray", wantGo: maxGoLine, wantNotIn: heavy},
		{
			name: "graygin", imports: "github.com/graykit/graykit/adapters/graygin",
			replace: []string{"github.com/graykit/graykit/adapters/graygin => " + filepath.Join(root, "adapters/graygin")},
			// Gin's own dependencies need 1.24.0, which tidy writes in full.
			wantGo: maxGoLine + ".0",
			wantIn: []string{"github.com/gin-gonic/gin"}, wantNotIn: []string{"github.com/labstack/echo", "google.golang.org/grpc", "modernc.org/sqlite"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mod := "module example.com/consumer\n\ngo " + maxGoLine + "\n\nreplace github.com/graykit/graykit => " + root + "\n"
			for _, r := range tt.replace {
				mod += "\nreplace " + r + "\n"
			}
			write(t, filepath.Join(dir, "go.mod"), mod)
			write(t, filepath.Join(dir, "main.go"), "package main\n\nimport _ \""+tt.imports+"\"\n\nfunc main() {}\n")
			env := []string{"GOWORK=off", "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local"}
			cmd := exec.Command("go", "mod", "tidy")
			cmd.Dir, cmd.Env = dir, append(os.Environ(), env...)
			if out, err := cmd.CombinedOutput(); err != nil {
				if strings.Contains(string(out), "dial tcp") || strings.Contains(string(out), "lookup ") {
					testenv.Missing(t, "the Go module proxy", "go mod tidy needs it to resolve a fresh module: "+string(out))
				}
				t.Fatalf("go mod tidy: %v\n%s", err, out)
			}
			data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
			if err != nil {
				t.Fatal(err)
			}
			f, err := modfile.ParseLax("go.mod", data, nil)
			if err != nil {
				t.Fatal(err)
			}
			if f.Go.Version != tt.wantGo {
				t.Errorf("go mod tidy raised the consumer's go line to %s:\n%s", f.Go.Version, data)
			}
			graph := moduleGraph(t, dir, env)
			t.Logf("%s: %d modules in the consumer's module graph", tt.name, len(graph))
			for _, w := range tt.wantIn {
				if len(matching(graph, []string{w})) == 0 {
					t.Errorf("%s missing from the graph %v", w, graph)
				}
			}
			if found := matching(graph, tt.wantNotIn); len(found) > 0 {
				t.Errorf("the graph holds %v", found)
			}
		})
	}
}

// moduleGraph lists every module path in the module graph of the module in
// dir (go mod graph: every requirement edge, not only the build list).
func moduleGraph(t *testing.T, dir string, env []string) []string {
	t.Helper()
	seen := map[string]bool{}
	var paths []string
	for _, f := range strings.Fields(goCmd(t, dir, env, "mod", "graph")) {
		p, _, _ := strings.Cut(f, "@")
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	return paths
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}
