package graykit_test

import (
	"os/exec"
	"strings"
	"testing"
)

var frameworks = []string{"github.com/gin-gonic/", "github.com/labstack/", "google.golang.org/grpc"}

// deps lists the import paths pkg depends on, pkg's own included.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", pkg, err, out)
	}
	return strings.Fields(string(out))
}

func frameworkDeps(list []string) []string {
	var found []string
	for _, dep := range list {
		for _, f := range frameworks {
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
		if found := frameworkDeps(deps(t, pkg)); len(found) > 0 {
			t.Errorf("%s depends on %v", pkg, found)
		}
	}
}

// TestBoundaryCheckSeesFrameworks is the check's own control: the adapters
// do depend on their frameworks, so the check above would see a violation.
func TestBoundaryCheckSeesFrameworks(t *testing.T) {
	for _, pkg := range []string{"./adapters/graygin", "./adapters/grayecho", "./adapters/graygrpc"} {
		if len(frameworkDeps(deps(t, pkg))) == 0 {
			t.Errorf("%s shows no framework dependency: the boundary check is blind", pkg)
		}
	}
}
