package ddlcheck

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/internal/testenv"
)

// wants reads a corpus file's annotations: "-- want: r1,r2" (or "ok")
// applies to the next statement's first line, "-- want-above: r" to the
// line before it. A rule suffixed "(allowed)" must be suppressed.
func wants(t *testing.T, src string) map[int][]string {
	t.Helper()
	lines := strings.Split(src, "\n")
	out := map[int][]string{}
	for i, l := range lines {
		l = strings.TrimSpace(l)
		var target int
		var list string
		switch {
		case strings.HasPrefix(l, "-- want-above:"):
			target, list = i, strings.TrimPrefix(l, "-- want-above:")
		case strings.HasPrefix(l, "-- want:"):
			list = strings.TrimPrefix(l, "-- want:")
			for j := i + 1; j < len(lines); j++ {
				if s := strings.TrimSpace(lines[j]); s != "" && !strings.HasPrefix(s, "--") {
					target = j + 1
					break
				}
			}
			require.NotZero(t, target, "want on line %d has no statement after it", i+1)
		default:
			continue
		}
		for _, r := range strings.Split(list, ",") {
			if r = strings.TrimSpace(r); r != "ok" {
				out[target] = append(out[target], r)
			}
		}
		if out[target] == nil {
			out[target] = []string{}
		}
	}
	return out
}

func got(r *Report) map[int][]string {
	out := map[int][]string{}
	for _, f := range r.Findings {
		name := f.Rule
		if f.Suppressed {
			name += "(allowed)"
		}
		out[f.Line] = append(out[f.Line], name)
	}
	return out
}

// TestCorpus runs every known-answer file of testdata/corpus/<dialect>:
// each statement's findings must be exactly the rules its want names.
func TestCorpus(t *testing.T) {
	for _, d := range []Dialect{MySQL, Postgres} {
		files, err := filepath.Glob(filepath.Join("testdata", "corpus", string(d), "*.sql"))
		require.NoError(t, err)
		require.NotEmpty(t, files)
		for _, file := range files {
			t.Run(string(d)+"/"+filepath.Base(file), func(t *testing.T) {
				if d == Postgres && !PostgresAvailable {
					testenv.Missing(t, "the PostgreSQL parser (libpg_query, cgo)", "build with CGO_ENABLED=1 and a C compiler, without the graykit_nopg tag")
				}
				data, err := os.ReadFile(file)
				require.NoError(t, err)
				want := wants(t, string(data))
				rep, err := Check(d, file, string(data), Options{})
				require.NoError(t, err)
				have := got(rep)
				for line := range have {
					_, ok := want[line]
					assert.True(t, ok, "line %d: unexpected findings %v", line, have[line])
				}
				for line, w := range want {
					g := append([]string{}, have[line]...)
					sort.Strings(g)
					sort.Strings(w)
					assert.Equal(t, w, g, "line %d", line)
				}
			})
		}
	}
}

// TestCorpusCoversEveryRule keeps the corpus honest: every rule of a
// dialect has a file of its own with at least one unsafe and one safe case.
func TestCorpusCoversEveryRule(t *testing.T) {
	for _, r := range Rules() {
		if r.Name == RuleBadSuppression {
			continue
		}
		for _, d := range r.Dialects {
			file := filepath.Join("testdata", "corpus", string(d), r.Name+".sql")
			data, err := os.ReadFile(file)
			if !assert.NoError(t, err, "rule %s has no %s corpus", r.Name, d) {
				continue
			}
			s := string(data)
			assert.Contains(t, s, "-- want: ok", "%s: no safe case", file)
			assert.True(t, strings.Contains(s, "want: "+r.Name) || strings.Contains(s, ","+r.Name),
				"%s: no unsafe case", file)
		}
	}
}
