package ddlcheck

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzCheck: no input panics the checker, and every finding points at a
// line of the file. The corpus files are the seeds.
func FuzzCheck(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "corpus", "*", "*.sql"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(string(data))
		}
	}
	f.Add("-- graykit:allow\n;;\n/* unterminated")
	f.Fuzz(func(t *testing.T, src string) {
		lines := len(newLineIndex(src))
		for _, d := range []Dialect{MySQL, Postgres} {
			rep, err := Check(d, "f.sql", src, Options{})
			if err != nil {
				continue
			}
			for _, fd := range rep.Findings {
				if fd.Line < 1 || fd.Line > lines {
					t.Fatalf("%s: finding %s on line %d of %d", d, fd.Rule, fd.Line, lines)
				}
			}
		}
	})
}
