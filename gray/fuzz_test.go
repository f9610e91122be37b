package gray_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/cespare/xxhash/v2"

	"github.com/graykit/graykit/gray"
)

// FuzzParseConfig feeds arbitrary documents, YAML and JSON, to the parser:
// it must return a config or a *ConfigError with at most 100 problems (and
// a count of the rest) in an error of bounded size, never panic, and a
// config it accepts must build an engine and come back the same through
// its JSON form. The seeds run in every test run.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range parseConfigSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := gray.ParseConfig(data)
		if err != nil {
			var ce *gray.ConfigError
			if !errors.As(err, &ce) || len(ce.Problems) == 0 || len(ce.Problems) > 101 {
				t.Fatalf("error %T %v is not a *ConfigError with 1 to 101 problems", err, err)
			}
			if len(err.Error()) > 64<<10 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		if _, err := gray.New(cfg); err != nil {
			t.Fatalf("ParseConfig accepted what New rejects: %v", err)
		}
		j, err := json.Marshal(cfg)
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		again, err := gray.ParseConfig(j)
		if err != nil {
			t.Fatalf("the JSON form of an accepted config is refused: %v\n%s", err, j)
		}
		if j2, _ := json.Marshal(again); !bytes.Equal(j, j2) {
			t.Fatalf("the JSON form does not come back the same:\n%s\n%s", j, j2)
		}
	})
}

var parseConfigSeeds = []string{
	seedYAML,
	"rollouts: [{name: a, default_value: {x: [1, 2.5, \"s\", null, true]}, variants: [{name: b, percent: 5, value: {}}]}]",
	`{"rollouts":[{"name":"a","default_value":-0.5e3,"variants":[{"name":"b","percent":5,"value":9223372036854775807}]}]}`,
	mwYAML,
	`{"rollouts":[{"name":"a","percent":5,"rules":[{"name":"r","serve":"canary","when":{"any":[{"field":"ip","cidr":["10.0.0.0/8"]},{"not":{"field":"path","regex":"^/a"}}]}}]}]}`,
	`{"rollouts":[{"name":"a","variants":[{"name":"b","percent":12.5}],"default":"old","salt":"s","enabled":false,
		"rules":[{"name":"r","serve":"b","percent":50,"when":{"all":[{"field":"attr:v","semver_gte":"1.2.3"},{"field":"query:n","lte":-1e3}]}}],
		"plan":{"steps":[1,50],"hold":"90s","min_requests":10,"guard":{"alpha":0.1,"interval":"1m","on_regression":"pause"}}}]}`,
	"rollouts: [{name: a, variants: [{name: b, percent: 50}, {name: c, percent: 50}]}]",
	"rollouts: [{name: a, percent: 101}]",
	"rollouts: &x [*x]",
	"rollouts: [{name: a, rules: [{name: r, serve: canary, when: &w {not: *w}}]}]",
	"rollouts: [{name: a, rules: [{name: r, serve: canary, when: {field: key, in: {a: b}}}]}]",
	"rollouts: [{name: a, rules: [{name: r0, serve: canary, when: &c {field: key, eq: x}}, {name: r1, serve: canary, when: {any: [*c, *c]}}]}]",
	"rollouts: [{name: a, rules: [{name: r, serve: canary, when: {not: {not: {not: {all: [{any: [{field: key, eq: x}]}]}}}}}]}]",
	"rollouts: [{name: a, rules: [{name: r, serve: canary, when: {after: 2016-12-31t23:59:60z}}]}]",
	"rollouts: [{name: a, rules: [{name: r, serve: canary, when: {field: attr:t, before: \"2026-12-01T09:00:00+24:00\"}}]}]",
	"rollouts: [{name: a, percent: 010}]",
	"rollouts: [{name: a, percent: 0x10, rules: [{name: r, serve: canary, when: {field: attr:n, gt: 1_000}}]}]",
	"rollouts: [{name: \"a\\0b\"}, {name: \"..\"}, {name: 用户迁移}]",
	"rollouts: [{name: a, rules: [{name: \"x\\ny\", serve: canary, when: {field: key, regex: \"a{1000}b{1000}\"}}]}]",
	"rollouts:\n- name: a\n  rules:\n  - name: r\n    serve: canary\n    when:\n      not:\n        not:\n          field: key\n          eq: x\n",
	"{\"rollouts\": [1, \"x\", null, true]}",
	`{"rollouts": [{"name": "a", "percent": 010}]}`,
	`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[`,
	`{"a":{"a":{"a":{"a":{"a":{"a":1}}}}}}`,
	"{\"rollouts\": [{\"name\": \"a\\u0000\"}]}",
	"- - - -",
	"? a\n: b",
	"[a: b, ? c]",
	"",
}

// FuzzDecide evaluates every operator on arbitrary request values: the
// answer is always a declared variant, and the same on a second ask.
func FuzzDecide(f *testing.F) {
	e, err := gray.New(mustParse(f, `
rollouts:
  - name: r
    percent: 10
    rules:
      - {name: a, serve: canary, when: {field: "header:X", semver_gte: "1.2.3"}}
      - {name: b, serve: canary, when: {field: "cookie:c", cidr: ["10.0.0.0/8", "2001:db8::/32"]}}
      - {name: c, serve: canary, when: {field: "query:q", gt: 100}}
      - {name: d, serve: canary, when: {field: "attr:a", regex: "^a+b$"}}
      - {name: e, serve: canary, when: {field: "header:X", after: "2026-01-01T00:00:00Z"}}
      - {name: f, serve: canary, when: {field: ip, cidr: 192.0.2.0/24}}
      - {name: g, serve: canary, when: {all: [{field: key, prefix: "u"}, {not: {field: host, suffix: ".test"}}]}}
`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("user-42", "1.2.3", "10.0.0.1", "101", "aab", "192.0.2.1", "x.test")
	f.Add("", "\xff\xfe", "::ffff:10.0.0.1", "1e999", "", "[::1]", "")
	f.Add("u", "v1.2.3-rc.1+build", "2001:db8::1%eth0", "NaN", "ab\x00", "not-an-ip", "host")
	f.Fuzz(func(t *testing.T, key, x, c, q, a, ip, host string) {
		s := gray.Subject{Key: key, Attrs: map[string]string{"a": a}, Request: &gray.Values{
			Headers: map[string]string{"X": x}, Cookies: map[string]string{"c": c},
			Queries: map[string]string{"q": q}, IP: ip, HostName: host,
		}}
		d := e.Decide("r", s)
		if d.Variant != "canary" && d.Variant != "stable" {
			t.Fatalf("undeclared variant %q", d.Variant)
		}
		if again := e.Decide("r", s); again != d {
			t.Fatalf("not deterministic: %+v then %+v", d, again)
		}
	})
}

func mustParse(tb testing.TB, yaml string) *gray.Config {
	tb.Helper()
	cfg, err := gray.ParseConfig([]byte(yaml))
	if err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// FuzzSaltedBucket checks that SaltedBucket hashes salt + ":" + key exactly
// as xxhash does the joined string, for any bytes and lengths.
func FuzzSaltedBucket(f *testing.F) {
	f.Add("checkout-v2", "user-000042")
	f.Add("s", "")
	f.Add("a-salt-of-exactly-thirty-one-by", "and a key that makes it longer than one stripe")
	f.Add("\xff\x00:", "\x00\x00\x00\x00\x00\x00\x00\xff")
	f.Fuzz(func(t *testing.T, salt, key string) {
		want := int(xxhash.Sum64String(salt+":"+key) % gray.Buckets)
		if salt == "" {
			want = gray.Bucket(key)
		}
		if got := gray.SaltedBucket(salt, key); got != want {
			t.Fatalf("SaltedBucket(%q, %q) = %d, want %d", salt, key, got, want)
		}
	})
}
