package gray

import (
	"errors"
	"fmt"
	"strings"
)

// Config is a complete gray-release configuration: the rollouts an [Engine]
// decides. It is read from YAML or JSON with [ParseConfig] or [LoadConfig], or
// built in Go; both go through the same validation when handed to [New] or
// [Engine.Update]. A Config is not modified by the engine; do not modify it
// after handing it over.
type Config struct {
	// Rollouts are the rollouts, each with a unique name.
	Rollouts []Rollout `yaml:"rollouts" json:"rollouts"`
	// Segments are named conditions that rules of any rollout use with
	// `when: {segment: NAME}`; see [Segment].
	Segments []Segment `yaml:"segments,omitempty" json:"segments,omitempty"`
	// Layers make rollouts mutually exclusive; see [Layer].
	Layers []Layer `yaml:"layers,omitempty" json:"layers,omitempty"`
}

// Rollout is one gradual release: a population of subjects split between a
// default variant and one or more new variants, with rules that decide first.
//
// A subject is decided in this order: if the rollout is off (Enabled is
// false), it gets the default variant; else the first matching rule decides;
// else a subject without a key gets the default variant; else its bucket
// ([SaltedBucket] of Salt and the key) falls into a variant's range or, past
// all ranges, into the default variant.
type Rollout struct {
	// Name identifies the rollout; it is required and unique in a Config.
	// It is 1 to 128 bytes of letters (any script), digits, '_', '.' and
	// '-', starting with a letter or digit: so never "." or "..", and
	// nothing that needs quoting in a URL path, a log line or a metric.
	Name string `yaml:"name" json:"name"`
	// Salt makes the rollout's population independent of other rollouts.
	// Empty means the rollout's name. Give two rollouts the same salt to give
	// them the same population.
	Salt string `yaml:"salt,omitempty" json:"salt,omitempty"`
	// Enabled is the brake: false sends every subject to the default
	// variant at once, rules included. Nil means true.
	Enabled *bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// Default is the variant a subject gets when nothing else decides.
	// Empty means [DefaultVariant] ("stable"). A name, as Name.
	Default string `yaml:"default,omitempty" json:"default,omitempty"`
	// DefaultValue is the value the default variant serves (see
	// [VariantSpec.Value]); required when the variants carry values. The
	// default variant may instead be listed in Variants with its value.
	DefaultValue Value `yaml:"default_value,omitempty" json:"default_value,omitzero"`
	// Percent is shorthand for Variants: [{Name: "canary", Percent: Percent}].
	// It may not be combined with Variants. With neither set, the rollout
	// still declares "canary" (at 0%), so rules alone can serve it.
	Percent float64 `yaml:"percent,omitempty" json:"percent,omitempty"`
	// Variants take consecutive bucket ranges from bucket 0 in the order
	// they are declared; their percentages add up to at most 100 and the
	// buckets left over go to the default variant.
	Variants []VariantSpec `yaml:"variants,omitempty" json:"variants,omitempty"`
	// Rules are tried in order before the split; the first that matches
	// decides.
	Rules []Rule `yaml:"rules,omitempty" json:"rules,omitempty"`
	// Layout is how the variants' shares are laid out on the buckets:
	// "ranges" (empty means it) takes consecutive ranges from bucket 0 in
	// the order declared, so raising one variant's share moves the users
	// of the variants after it; "ring" keeps them in place (layout.go,
	// README "Re-weighting"). One variant gets [0, p) in both.
	Layout string `yaml:"layout,omitempty" json:"layout,omitempty"`
	// BucketBy is the field whose value is hashed for the split, as a
	// condition's field ("key", "attr:org_id", "header:X-Tenant", …).
	// Empty means "key". A subject without it (nor BucketFallback) gets the
	// default variant with [ReasonNoBucketValue]; see bucketby.go.
	BucketBy string `yaml:"bucket_by,omitempty" json:"bucket_by,omitempty"`
	// BucketFallback is the field hashed when BucketBy is absent. Empty
	// means none.
	BucketFallback string `yaml:"bucket_fallback,omitempty" json:"bucket_fallback,omitempty"`
	// Prerequisites must all hold before rules or the split are tried; a
	// subject that fails one gets the default variant with
	// [ReasonPrerequisite]. See [Prerequisite].
	Prerequisites []Prerequisite `yaml:"prerequisites,omitempty" json:"prerequisites,omitempty"`
	// Plan, when set, makes this a guarded rollout: package
	// github.com/graykit/graykit/gray/guard walks the share of the first
	// new variant through the plan's steps and rolls it back when the
	// outcomes say it is worse than the default. The engine only validates it.
	Plan *Plan `yaml:"plan,omitempty" json:"plan,omitempty"`
	// Client makes the rollout visible to clients (browsers, mobile apps)
	// through package github.com/graykit/graykit/gray/ofrep: its name, and
	// each subject's own decision in it, are served to whoever asks.
	// Default false: a rollout's name never leaves the server unless it
	// says so.
	Client bool `yaml:"client,omitempty" json:"client,omitempty"`
}

// VariantSpec declares a variant and its share of the buckets.
type VariantSpec struct {
	// Name is the variant's name, e.g. "canary"; unique within the rollout,
	// and a name as [Rollout.Name] is.
	Name string `yaml:"name" json:"name"`
	// Percent is the variant's share, 0 to 100 with at most two decimals.
	Percent float64 `yaml:"percent" json:"percent"`
	// Value, when set, is what the variant serves: any JSON or YAML value,
	// read back from [Decision.Value]. When one variant of a rollout has a
	// value, all of them (the default included, see
	// [Rollout.DefaultValue]) need one, and all of one type ([ValueKind]).
	Value Value `yaml:"value,omitempty" json:"value,omitzero"`
}

// Rule sends the subjects it matches to a variant, before the split.
type Rule struct {
	// Name identifies the rule in decisions and explanations; it is
	// required and unique within the rollout. It is text for people, e.g.
	// "new iOS app": 1 to 128 bytes of UTF-8 without control characters
	// (no NUL, no line break) or a space at either end.
	Name string `yaml:"name" json:"name"`
	// When is the condition a subject must meet.
	When Condition `yaml:"when" json:"when"`
	// Serve is the variant the matching subjects get; it must be declared
	// (the default variant or one of Variants).
	Serve string `yaml:"serve" json:"serve"`
	// Percent, when set, limits the rule to this share of the subjects it
	// matches, by the same buckets as the split: those inside get Serve,
	// the rest (and subjects without a key) get the default variant.
	// Evaluation stops at the first matching rule either way. Nil means 100.
	Percent *float64 `yaml:"percent,omitempty" json:"percent,omitempty"`
	// BucketBy and BucketFallback, with Percent, bucket the rule's share
	// by another field than the rollout's, as [Rollout.BucketBy] does.
	// Empty means the rollout's bucketing.
	BucketBy       string `yaml:"bucket_by,omitempty" json:"bucket_by,omitempty"`
	BucketFallback string `yaml:"bucket_fallback,omitempty" json:"bucket_fallback,omitempty"`
}

// Condition is one test on a subject, or a combination of conditions.
//
// A leaf condition names a Field and exactly one operator. Field is "key",
// "ip", "method", "path", "host", or "header:NAME", "cookie:NAME",
// "query:NAME", "attr:NAME", or "rollout:NAME": the variant the subject
// gets in that rollout, under the same configuration (a prerequisite inside
// a rule; cycles are refused at load). A value that is absent (or malformed for the
// operator) matches no operator except Present=false, so a leaf never sends
// a subject to a new variant because something is missing; Not inverts that
// like any other answer. After and Before without a Field test the current
// time.
//
// A combining condition sets exactly one of All, Any or Not and no Field.
type Condition struct {
	// Field names the value a leaf tests (see above).
	Field string `yaml:"field,omitempty" json:"field,omitempty"`

	// Text operators compare the value as text. In and NotIn list at least
	// one value.
	Eq       *string  `yaml:"eq,omitempty" json:"eq,omitempty"`
	In       []string `yaml:"in,omitempty" json:"in,omitempty"`
	NotIn    []string `yaml:"not_in,omitempty" json:"not_in,omitempty"`
	Prefix   *string  `yaml:"prefix,omitempty" json:"prefix,omitempty"`
	Suffix   *string  `yaml:"suffix,omitempty" json:"suffix,omitempty"`
	Contains *string  `yaml:"contains,omitempty" json:"contains,omitempty"`
	// Regex is an RE2 expression (package regexp), unanchored.
	Regex *string `yaml:"regex,omitempty" json:"regex,omitempty"`

	// Numeric operators parse both sides as float64.
	Lt  *float64 `yaml:"lt,omitempty" json:"lt,omitempty"`
	Lte *float64 `yaml:"lte,omitempty" json:"lte,omitempty"`
	Gt  *float64 `yaml:"gt,omitempty" json:"gt,omitempty"`
	Gte *float64 `yaml:"gte,omitempty" json:"gte,omitempty"`

	// Semantic-version operators compare versions such as "5.2.0",
	// "v5.2.0-beta.1" or "5.2" (a missing minor or patch is 0). A value
	// that is not a version, or is 64 bytes or longer, matches none of them.
	SemverEq  *string `yaml:"semver_eq,omitempty" json:"semver_eq,omitempty"`
	SemverLt  *string `yaml:"semver_lt,omitempty" json:"semver_lt,omitempty"`
	SemverLte *string `yaml:"semver_lte,omitempty" json:"semver_lte,omitempty"`
	SemverGt  *string `yaml:"semver_gt,omitempty" json:"semver_gt,omitempty"`
	SemverGte *string `yaml:"semver_gte,omitempty" json:"semver_gte,omitempty"`

	// CIDR matches an IP address inside any of the prefixes.
	CIDR []string `yaml:"cidr,omitempty" json:"cidr,omitempty"`

	// Present true matches a value that is there (even empty), false one
	// that is absent.
	Present *bool `yaml:"present,omitempty" json:"present,omitempty"`

	// After and Before are RFC 3339 times (section 5.6, e.g.
	// "2026-12-01T09:00:00Z" or "2026-12-01T10:00:00.5+01:00"; "t" and "z"
	// may be lower case). A leap second, 23:59:60 UTC on a month's last
	// day, is the instant the following second begins. An offset's hours
	// are 00-23 and its minutes 00-59. With a Field they compare the value,
	// read the same way, as a time; without, the current time.
	After  *string `yaml:"after,omitempty" json:"after,omitempty"`
	Before *string `yaml:"before,omitempty" json:"before,omitempty"`

	// All matches when every condition matches; Any when at least one
	// does; Not when its condition does not.
	All []Condition `yaml:"all,omitempty" json:"all,omitempty"`
	Any []Condition `yaml:"any,omitempty" json:"any,omitempty"`
	Not *Condition  `yaml:"not,omitempty" json:"not,omitempty"`

	// Segment matches when the named segment ([Config.Segments]) does.
	Segment string `yaml:"segment,omitempty" json:"segment,omitempty"`
}

// NewVariant returns the name and share of the rollout's first variant other
// than its default: the one a guarded rollout watches and an [Override]'s
// Percent sets. With Variants empty it is "canary" at Percent. ok is false
// when every listed variant is the default.
func (r *Rollout) NewVariant() (name string, percent float64, ok bool) {
	i := r.newVariantIndex()
	switch {
	case i < 0:
		return "canary", r.Percent, true
	case i < len(r.Variants):
		return r.Variants[i].Name, r.Variants[i].Percent, true
	}
	return "", 0, false
}

// newVariantIndex returns the index in Variants of the first variant other
// than the default: -1 when Variants is empty (the Percent shorthand),
// len(Variants) when there is none.
func (r *Rollout) newVariantIndex() int {
	if len(r.Variants) == 0 {
		return -1
	}
	def := r.Default
	if def == "" {
		def = DefaultVariant
	}
	for i, v := range r.Variants {
		if v.Name != def {
			return i
		}
	}
	return len(r.Variants)
}

// DefaultVariant is the name of the default variant when a rollout names
// none, and the answer for a rollout nothing is known about.
const DefaultVariant = "stable"

// ParseConfig reads a configuration in YAML or JSON (one schema, strict).
// An unknown field, a duplicate key, a value of the wrong type or any error
// that validation finds is reported with its path, for example
// "gray: rollouts[0].rules[2].when.regex: missing closing )". Errors are of
// type [*ConfigError]. A document above the limits ([WithMaxConfigSize],
// [WithMaxConfigValues], and a nesting depth of 128) is refused.
//
// Numbers (percentages, weights, numeric operators, plan settings) are
// written in decimal, as in JSON: a YAML number with a leading zero
// ("percent: 010", which YAML 1.1 reads as 8 and YAML 1.2 as 10) is refused,
// and so are 0o, 0x and 0b numbers and "_" separators. Text stays text:
// "eq: 010" compares with "010".
func ParseConfig(data []byte, opts ...ParseOption) (*Config, error) {
	return parseConfig(data, newParseLimits(opts))
}

func parseConfig(data []byte, lim parseLimits) (*Config, error) {
	var cfg Config
	dec, parsed := decodeStrict(data, &cfg, lim)
	if !parsed {
		return nil, dec.err() // the document did not parse: nothing to validate
	}
	// Validate what did decode too, so one run reports every problem.
	_, cmp := compileConfig(&cfg)
	if len(dec.list) > 0 || len(cmp.list) > 0 {
		return nil, mergeProblems(dec, cmp)
	}
	return &cfg, nil
}

// LoadConfig reads and parses the configuration file at path, as
// [ParseConfig] does. A file above the size limit is refused without being
// read.
func LoadConfig(path string, opts ...ParseOption) (*Config, error) {
	lim := newParseLimits(opts)
	data, err := readConfigFile(path, lim)
	if err == nil {
		var cfg *Config
		if cfg, err = parseConfig(data, lim); err == nil {
			return cfg, nil
		}
	}
	return nil, inFile(err, path)
}

// inFile names the file a configuration error is in; other errors (a file
// that cannot be read) name it already.
func inFile(err error, path string) error {
	var ce *ConfigError
	if errors.As(err, &ce) {
		return fmt.Errorf("%w (in %s)", err, path)
	}
	return err
}

// mergeProblems joins decoding and validation problems. A validation
// problem on a value that failed to decode, or on what contains it, is a
// consequence of the first and is left out.
func mergeProblems(dec, cmp *problems) error {
	out := &problems{list: dec.list, dropped: dec.dropped + cmp.dropped}
next:
	for _, p := range cmp.list {
		for _, d := range dec.list {
			if within(d.Path, p.Path) || within(p.Path, d.Path) {
				continue next
			}
		}
		if len(out.list) >= maxProblems {
			out.dropped++
			continue
		}
		out.list = append(out.list, p)
	}
	return out.err()
}

// within reports whether path is inside (or is) outer.
func within(path, outer string) bool {
	if !strings.HasPrefix(path, outer) {
		return false
	}
	rest := path[len(outer):]
	return rest == "" || rest[0] == '.' || rest[0] == '['
}
