package gray

import "strconv"

// Decision is the answer for one subject in one rollout, with the reason, so
// that "why did user X get canary?" always has an answer.
type Decision struct {
	// Rollout is the rollout's name.
	Rollout string
	// Variant is the variant the subject gets.
	Variant string
	// Default is the rollout's default variant; Variant != Default means the
	// subject is on a new side.
	Default string
	// Bucket is the subject's bucket under the rollout's salt (its
	// layer's, in a layer) of the value it buckets by (the key unless
	// BucketBy says otherwise; a rule's own, when a rule with its own
	// bucketing decided), or -1 when the subject has no such value or the
	// rollout is unknown.
	Bucket int
	// Reason says what decided.
	Reason Reason
	// Rule is the name of the rule that matched, when Reason is ReasonRule.
	Rule string

	// val is the variant's value in the compiled rollout, nil for none.
	val *Value
}

// Value returns the value the decided variant serves (see
// [VariantSpec.Value]), or the zero Value when the rollout's variants carry
// no values, the rollout is unknown, or the variant (propagated from
// upstream) is not declared here. It does not allocate.
func (d Decision) Value() Value {
	if d.val == nil {
		return Value{}
	}
	return *d.val
}

// Reason says what decided a [Decision].
type Reason uint8

// The reasons a decision can have.
const (
	// ReasonUnknownRollout: the engine has no rollout of that name; the
	// subject gets [DefaultVariant].
	ReasonUnknownRollout Reason = iota
	// ReasonOff: the rollout is switched off (the brake).
	ReasonOff
	// ReasonRule: a rule matched (see Decision.Rule). With a rule percent, a
	// subject outside the rule's share gets the default variant, still for
	// this reason.
	ReasonRule
	// ReasonNoKey: no rule matched and the subject has no key.
	ReasonNoKey
	// ReasonSplit: the subject's bucket is inside a variant's range.
	ReasonSplit
	// ReasonDefault: the subject's bucket is past every variant's range.
	ReasonDefault
	// ReasonPropagated: an upstream service decided, and its signed
	// decision was trusted.
	ReasonPropagated
	// ReasonNoBucketValue: no rule matched and the subject lacks the value
	// the rollout buckets by ([Rollout.BucketBy]) and its fallback.
	ReasonNoBucketValue
	// ReasonPrerequisite: a prerequisite of the rollout did not hold
	// ([Rollout.Prerequisites]).
	ReasonPrerequisite
	// ReasonOverride: an operator put the subject's key on this variant at
	// run time ([Engine.SetSubjectOverrides]).
	ReasonOverride
)

var reasonNames = [...]string{
	ReasonUnknownRollout: "unknown rollout",
	ReasonOff:            "off",
	ReasonRule:           "rule",
	ReasonNoKey:          "no key",
	ReasonSplit:          "split",
	ReasonDefault:        "default",
	ReasonPropagated:     "propagated",
	ReasonNoBucketValue:  "no bucket value",
	ReasonPrerequisite:   "prerequisite",
	ReasonOverride:       "override",
}

// String returns the reason in words, e.g. "unknown rollout" or "split".
func (r Reason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return "reason(" + strconv.Itoa(int(r)) + ")"
}

// MarshalText makes a reason read as its words in JSON and logs.
func (r Reason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// IsNew reports whether the subject got a variant other than the default.
func (d Decision) IsNew() bool { return d.Variant != d.Default }
