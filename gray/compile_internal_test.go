package gray

import (
	"regexp/syntax"
	"testing"

	"github.com/stretchr/testify/assert"
)

// checkRegexSize holds regexSize to the program the regexp package
// compiles: never below its instruction count.
func checkRegexSize(t *testing.T, expr string) {
	t.Helper()
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return
	}
	const limit = 1 << 20
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return
	}
	assert.GreaterOrEqual(t, regexSize(re, limit), min(len(prog.Inst), limit+1), "regex %q", expr)
}

var regexSizeSeeds = []string{
	"", "a", "abc", "^/api/v[0-9]+/users/[a-z0-9-]+$", "a{1000}", "(a{10}){100}", "a{2,1000}", "a{1000,}", "(?i)abc",
	"(a|b|c)*", "x+y?z*", `\pL{100}`, "(?:(?:a{0,10}){0,10}){0,10}", "[^a]", ".", "(?s).", `\b\B^$\A\z`, "()", "(|)",
	"a{0}", "a{0,0}", "(a*)*", "(?U)a+?", "a{1,2}{3}",
}

func TestRegexSizeBoundsProgram(t *testing.T) {
	for _, give := range regexSizeSeeds {
		t.Run(give, func(t *testing.T) { checkRegexSize(t, give) })
	}
}

func FuzzRegexSize(f *testing.F) {
	for _, seed := range regexSizeSeeds {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		if len(expr) > 256 {
			return
		}
		checkRegexSize(t, expr)
	})
}
