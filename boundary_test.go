package graykit_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestCoreImportsNoFramework keeps web frameworks and gRPC out of the core
// packages' dependency graphs: users of gray and dualwrite must not pull them.
func TestCoreImportsNoFramework(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatal("the go command is needed to list dependencies")
	}
	for _, pkg := range []string{"./gray/...", "./dualwrite/..."} {
		out, err := exec.Command("go", "list", "-e", "-deps", "-f", "{{.ImportPath}}", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) == 0 {
			continue // the package does not exist (yet)
		}
		for _, dep := range deps {
			for _, banned := range []string{"github.com/gin-gonic/", "github.com/labstack/", "google.golang.org/grpc"} {
				if strings.HasPrefix(dep, banned) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
