package gray_test

import (
	"strings"
	"testing"
)

// BenchmarkDecideOneRule prices each kind of condition: one rule that does
// not match, then the split. Compare each case with "none".
func BenchmarkDecideOneRule(b *testing.B) {
	rules := map[string]string{
		"none":    ``,
		"header":  `{name: testers, when: {field: "header:X-Gray", in: [canary, beta]}, serve: canary}`,
		"cookie":  `{name: beta-cookie, when: {field: "cookie:version", eq: beta}, serve: canary}`,
		"staff":   "{name: staff, when: {field: key, in: [" + staffList() + "]}, serve: canary}",
		"cidr":    `{name: office, when: {field: ip, cidr: [203.0.113.0/24, "2001:db8::/32"]}, serve: canary}`,
		"semver":  `{name: new-app, when: {field: "attr:app_version", semver_gte: "9.0.0"}, serve: canary}`,
		"regex":   `{name: internal, when: {field: host, regex: "^internal-[a-z]+\\.example\\.com$"}, serve: canary}`,
		"attrin":  `{name: region, when: {field: "attr:region", in: [eu-north-1, ap-south-1]}, serve: canary}`,
		"numeric": `{name: heavy, when: {field: "attr:orders", gt: 1000}, serve: canary}`,
		"prefix":  `{name: admin-path, when: {field: path, prefix: /admin/}, serve: canary}`,
		"combo":   `{name: combo, when: {all: [{field: method, eq: DELETE}, {field: "query:force", present: true}]}, serve: canary}`,
	}
	subjects := newBenchSubjects().subjects
	for _, name := range []string{"none", "header", "cookie", "staff", "cidr", "semver", "regex", "attrin", "numeric", "prefix", "combo"} {
		y := "rollouts: [{name: r, percent: 5, rules: [" + rules[name] + "]}]"
		e := mustEngine(b, y)
		b.Run(name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sink += e.Decide("r", subjects[i&1023]).Bucket
			}
		})
	}
}

func staffList() string {
	var s strings.Builder
	for i := range 10000 {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString("staff-" + pad6(i))
	}
	return s.String()
}
