package gray_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// req is a request with every kind of value set.
func req() *gray.Values {
	return &gray.Values{
		Headers:    map[string]string{"X-Gray": "canary", "X-Empty": ""},
		Cookies:    map[string]string{"version": "beta"},
		Queries:    map[string]string{"v": "2"},
		IP:         "10.1.2.3",
		HTTPMethod: "POST",
		URLPath:    "/api/checkout",
		HostName:   "shop.example.com",
	}
}

func TestOperators(t *testing.T) {
	attrs := map[string]string{
		"region": "eu-west-1", "app_version": "5.2.1", "old_app": "5.1.9", "pre": "5.2.0-beta.1",
		"age": "42", "junk": "x\x00\xff", "ts": "2026-12-02T00:00:00Z", "ipv6": "2001:db8::1", "mapped": "::ffff:10.0.0.1",
	}
	tests := []struct {
		name string
		give string // the `when` condition, in YAML flow style
		want bool
	}{
		{"key eq", `{field: key, eq: user-42}`, true},
		{"key eq miss", `{field: key, eq: user-43}`, false},
		{"in", `{field: "header:X-Gray", in: [beta, canary]}`, true},
		{"in single value", `{field: "header:x-gray", in: canary}`, true},
		{"not_in", `{field: "attr:region", not_in: [us-east-1]}`, true},
		{"not_in member", `{field: "attr:region", not_in: [eu-west-1]}`, false},
		{"not_in absent is no match", `{field: "attr:missing", not_in: [x]}`, false},
		{"prefix", `{field: path, prefix: /api/}`, true},
		{"suffix", `{field: host, suffix: .example.com}`, true},
		{"contains", `{field: path, contains: check}`, true},
		{"regex", `{field: path, regex: "^/api/(checkout|cart)$"}`, true},
		{"regex miss", `{field: path, regex: "^/admin"}`, false},
		{"regex literal precheck", `{field: path, regex: "checkout$"}`, true},
		{"regex case fold", `{field: path, regex: "(?i)CHECKOUT"}`, true},
		{"lt", `{field: "attr:age", lt: 50}`, true},
		{"lte", `{field: "attr:age", lte: 42}`, true},
		{"gt", `{field: "attr:age", gt: 42}`, false},
		{"gte", `{field: "attr:age", gte: 42}`, true},
		{"numeric on junk", `{field: "attr:junk", gt: 0}`, false},
		{"query numeric", `{field: "query:v", gte: 2}`, true},
		{"semver_gte", `{field: "attr:app_version", semver_gte: "5.2.0"}`, true},
		{"semver_gte older", `{field: "attr:old_app", semver_gte: "5.2.0"}`, false},
		{"semver prerelease is lower", `{field: "attr:pre", semver_lt: "5.2.0"}`, true},
		{"semver_eq with v", `{field: "attr:app_version", semver_eq: "v5.2.1"}`, true},
		{"semver_gt short", `{field: "attr:app_version", semver_gt: "5.2"}`, true},
		{"semver_lte", `{field: "attr:app_version", semver_lte: "5.2.1"}`, true},
		{"semver on junk", `{field: "attr:junk", semver_gt: "0.0.1"}`, false},
		{"cidr", `{field: ip, cidr: [192.168.0.0/16, 10.0.0.0/8]}`, true},
		{"cidr miss", `{field: ip, cidr: 192.168.0.0/16}`, false},
		{"cidr single address", `{field: ip, cidr: 10.1.2.3}`, true},
		{"cidr v6", `{field: "attr:ipv6", cidr: "2001:db8::/32"}`, true},
		{"cidr 4in6", `{field: "attr:mapped", cidr: "10.0.0.0/8"}`, true},
		{"cidr mapped prefix", `{field: ip, cidr: "::ffff:10.0.0.0/104"}`, true},
		{"cidr mapped prefix, mapped address", `{field: "attr:mapped", cidr: "::ffff:10.0.0.0/104"}`, true},
		{"cidr mapped prefix miss", `{field: ip, cidr: "::ffff:192.168.0.0/112"}`, false},
		{"cidr junk", `{field: "attr:junk", cidr: "0.0.0.0/0"}`, false},
		{"present", `{field: "cookie:version", present: true}`, true},
		{"present empty header", `{field: "header:X-Empty", present: true}`, true},
		{"absent", `{field: "cookie:nope", present: false}`, true},
		{"absent but present", `{field: "cookie:version", present: false}`, false},
		{"method", `{field: method, eq: POST}`, true},
		{"after field", `{field: "attr:ts", after: "2026-12-01T00:00:00Z"}`, true},
		{"before field", `{field: "attr:ts", before: "2026-12-01T00:00:00Z"}`, false},
		{"all", `{all: [{field: method, eq: POST}, {field: "cookie:version", eq: beta}]}`, true},
		{"all one false", `{all: [{field: method, eq: POST}, {field: "cookie:version", eq: alpha}]}`, false},
		{"any", `{any: [{field: method, eq: GET}, {field: "cookie:version", eq: beta}]}`, true},
		{"not", `{not: {field: method, eq: GET}}`, true},
		{"nested", `{all: [{not: {field: ip, cidr: 192.168.0.0/16}}, {any: [{field: key, prefix: user-}]}]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustEngine(t, "rollouts: [{name: r, rules: [{name: x, serve: canary, when: "+tt.give+"}]}]")
			d := e.Decide("r", gray.Subject{Key: "user-42", Attrs: attrs, Request: req()})
			assert.Equal(t, tt.want, d.Variant == "canary", "decision %+v", d)
		})
	}
}

func TestNoRequestValuesMatchNothing(t *testing.T) {
	for _, field := range []string{"ip", "method", "path", "host", "header:X", "cookie:c", "query:q", "attr:a"} {
		e := mustEngine(t, `rollouts: [{name: r, rules: [{name: x, serve: canary, when: {field: "`+field+`", prefix: ""}}]}]`)
		assert.Equal(t, "stable", e.Decide("r", gray.Subject{Key: "k"}).Variant, field)
	}
}

func TestHostileValuesNeverPanic(t *testing.T) {
	e := mustEngine(t, `
rollouts:
  - name: r
    rules:
      - {name: a, serve: canary, when: {field: "header:X", semver_gte: "1.0.0"}}
      - {name: b, serve: canary, when: {field: "header:X", cidr: "10.0.0.0/8"}}
      - {name: c, serve: canary, when: {field: "header:X", gt: 1}}
      - {name: d, serve: canary, when: {field: "header:X", regex: "a+b"}}
      - {name: e, serve: canary, when: {field: "header:X", after: "2026-01-01T00:00:00Z"}}
`)
	for _, v := range []string{"", strings.Repeat("9", 1<<16), strings.Repeat("v1.", 5000), "\xff\xfe", "1e999", "NaN", "::::", "v" + strings.Repeat("1", 70)} {
		d := e.Decide("r", gray.Subject{Key: "k", Request: &gray.Values{Headers: map[string]string{"X": v}}})
		assert.Equal(t, "stable", d.Variant, "value %.20q", v)
	}
}

// TestTimeConditions: after and before read RFC 3339 as the standard
// writes it (section 5.6): "t" and "z" in lower case, and leap seconds,
// taken as the instant the following second begins. Offsets out of range
// are refused, in the config and in request values.
func TestTimeConditions(t *testing.T) {
	at := func(s string) func() time.Time {
		return func() time.Time {
			tm, err := time.Parse(time.RFC3339Nano, s)
			require.NoError(t, err)
			return tm
		}
	}
	tests := []struct {
		name  string
		give  string // the when condition
		clock string
		attr  string
		want  bool
	}{
		{"lower case", `{after: "2026-12-01t09:00:00z"}`, "2026-12-01T09:00:01Z", "", true},
		{"lower case, before", `{after: "2026-12-01t09:00:00z"}`, "2026-12-01T08:59:59Z", "", false},
		{"leap second", `{after: "2016-12-31T23:59:60Z"}`, "2017-01-01T00:00:00.5Z", "", true},
		{"leap second is the next second", `{after: "2016-12-31T23:59:60Z"}`, "2016-12-31T23:59:59.999Z", "", false},
		{"leap second with an offset", `{before: "2016-12-31T15:59:60-08:00"}`, "2016-12-31T23:59:59.5Z", "", true},
		{"request value in lower case", `{field: "attr:ts", after: "2026-12-01T00:00:00Z"}`, "2026-12-01T00:00:00Z", "2026-12-02t00:00:00z", true},
		{"request value with a leap second", `{field: "attr:ts", before: "2017-01-01T00:00:00.5Z"}`, "2026-12-01T00:00:00Z", "2016-12-31T23:59:60Z", true},
		{"request value with offset +24:00", `{field: "attr:ts", after: "2000-01-01T00:00:00Z"}`, "2026-12-01T00:00:00Z", "2026-12-02T00:00:00+24:00", false},
		{"request value with a one-digit hour", `{field: "attr:ts", after: "2000-01-01T00:00:00Z"}`, "2026-12-01T00:00:00Z", "2026-12-02T0:00:00Z", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := mustEngine(t, "rollouts: [{name: r, rules: [{name: x, serve: canary, when: "+tt.give+"}]}]", gray.WithClock(at(tt.clock)))
			d := e.Decide("r", gray.Subject{Key: "u", Attrs: map[string]string{"ts": tt.attr}})
			assert.Equal(t, tt.want, d.Variant == "canary", "decision %+v", d)
		})
	}

	for _, give := range []string{"2026-12-01T09:00:00+24:00", "2026-12-01T09:00:00-10:60", "2026-12-01T12:00:60Z", "2026-12-01T9:00:00Z"} {
		t.Run("refused "+give, func(t *testing.T) {
			_, err := gray.ParseConfig([]byte(`rollouts: [{name: r, rules: [{name: x, serve: canary, when: {before: "` + give + `"}}]}]`))
			assert.ErrorContains(t, err, `gray: rollouts[0].rules[0].when.before: "`+give+`" is not an RFC 3339 time`)
		})
	}
}
