// Package configtest builds hostile configuration documents for the tests
// of gray's parser and of gray/watch.
package configtest

import (
	"fmt"
	"strings"
)

// Laughs is a YAML "billion laughs" config: levels rules, each condition an
// any of ten aliases of the one before, so it expands to 10^levels leaves.
func Laughs(levels int) string {
	var b strings.Builder
	b.WriteString("rollouts:\n- name: a\n  rules:\n  - {name: r0, serve: canary, when: &c0 {field: key, eq: lol}}\n")
	for i := 1; i <= levels; i++ {
		aliases := strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*c%d, ", i-1), 10), ", ")
		fmt.Fprintf(&b, "  - {name: r%d, serve: canary, when: &c%d {any: [%s]}}\n", i, i, aliases)
	}
	return b.String()
}

// Nested wraps leaf in n levels of open/close.
func Nested(open, leaf, closer string, n int) string {
	return strings.Repeat(open, n) + leaf + strings.Repeat(closer, n)
}
