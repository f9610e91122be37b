package admin

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/graykit/graykit/gray"
)

// ExplainRequest describes a subject to explain, as the console's explain
// form, the API and the CLI send it. Every field but Rollout is optional.
type ExplainRequest struct {
	// Rollout is the rollout to decide.
	Rollout string `json:"rollout"`
	// Key is the subject's key (user ID); empty means no key.
	Key string `json:"key,omitempty"`
	// Headers, Cookies, Queries and Attrs are the request values and
	// application attributes rules may test.
	Headers map[string]string `json:"headers,omitempty"`
	Cookies map[string]string `json:"cookies,omitempty"`
	Queries map[string]string `json:"queries,omitempty"`
	Attrs   map[string]string `json:"attrs,omitempty"`
	// IP is the client's address; it must parse as an IP when set.
	IP string `json:"ip,omitempty"`
	// Method, Path and Host are the request line's values.
	Method string `json:"method,omitempty"`
	Path   string `json:"path,omitempty"`
	Host   string `json:"host,omitempty"`
}

// DecisionView is a [gray.Decision] as the API shows it.
type DecisionView struct {
	Rollout string `json:"rollout"`
	Variant string `json:"variant"`
	Default string `json:"default"`
	// Bucket is -1 for a subject without a key.
	Bucket int    `json:"bucket"`
	Reason string `json:"reason"`
	Rule   string `json:"rule,omitempty"`
	// New reports whether the subject is on a variant other than the default.
	New bool `json:"new"`
	// Value is the value the variant serves, when the rollout's variants
	// carry values.
	Value gray.Value `json:"value,omitzero"`
}

// RuleTrace is what happened to one rule of the rollout during an explain.
type RuleTrace struct {
	// Rule is the rule's name and Serve the variant it serves.
	Rule  string `json:"rule"`
	Serve string `json:"serve"`
	// Outcome is "matched" (this rule decided), "no match", or
	// "not evaluated" (an earlier rule decided, or the rollout is off).
	Outcome string `json:"outcome"`
	// Steps are the leaf conditions evaluated for this rule, in order.
	Steps []gray.TraceStep `json:"steps"`
}

// Rule outcomes in a [RuleTrace].
const (
	OutcomeMatched      = "matched"
	OutcomeNoMatch      = "no match"
	OutcomeNotEvaluated = "not evaluated"
)

// ExplainResult is the answer to "why did this subject get this variant?".
type ExplainResult struct {
	Decision DecisionView `json:"decision"`
	// Salt is the salt the bucket was computed with (the layer's, for a
	// rollout in a layer).
	Salt string `json:"salt,omitempty"`
	// BucketBy is what the bucket hashes: "key", or e.g. "attr:org_id
	// (or key)".
	BucketBy string `json:"bucket_by,omitempty"`
	// Layer is the rollout's layer and Slice its buckets there, e.g.
	// "3000-4999"; empty outside a layer.
	Layer string `json:"layer,omitempty"`
	Slice string `json:"slice,omitempty"`
	// Prerequisites are the rollout's prerequisites checked, in order, each
	// with the variant the subject got in the other rollout.
	Prerequisites []gray.TraceStep `json:"prerequisites,omitempty"`
	// Rules lists every rule of the rollout in order, with its outcome.
	Rules []RuleTrace `json:"rules"`
	// Summary says in one sentence why the subject got its variant.
	Summary string `json:"summary"`
}

// Limits on an explain request, so that a console call stays cheap.
const (
	maxExplainValues = 64
	maxValueLen      = 4096
)

// errBadRequest marks input errors, which the handler answers with 400.
var errBadRequest = errors.New("admin: bad request")

// badRequest returns an input error with a message for the caller.
func badRequest(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errBadRequest}, args...)...)
}

// validate checks an explain request's shape.
func (r *ExplainRequest) validate() error {
	if r.Rollout == "" {
		return badRequest("rollout is required")
	}
	n := len(r.Headers) + len(r.Cookies) + len(r.Queries) + len(r.Attrs)
	if n > maxExplainValues {
		return badRequest("%d headers, cookies, queries and attributes; at most %d", n, maxExplainValues)
	}
	for _, s := range []string{r.Rollout, r.Key, r.IP, r.Method, r.Path, r.Host} {
		if len(s) > maxValueLen {
			return badRequest("a value is longer than %d bytes", maxValueLen)
		}
	}
	for _, m := range []map[string]string{r.Headers, r.Cookies, r.Queries, r.Attrs} {
		for k, v := range m {
			if len(k) > maxValueLen || len(v) > maxValueLen {
				return badRequest("a value is longer than %d bytes", maxValueLen)
			}
		}
	}
	if r.IP != "" {
		if _, err := netip.ParseAddr(r.IP); err != nil {
			return badRequest("ip %q is not an IP address", r.IP)
		}
	}
	return nil
}

// Explain decides req's subject with e and traces every rule: the same
// answer the console and `graykit explain` give. An unknown rollout is an
// error wrapping [gray.ErrUnknownRollout]; a malformed request (no rollout,
// a bad IP, too many or too long values) is an error too. Explain changes
// nothing and notifies no observer.
func Explain(e *gray.Engine, req ExplainRequest) (ExplainResult, error) {
	if err := req.validate(); err != nil {
		return ExplainResult{}, err
	}
	cfg := e.Config()
	i := slices.IndexFunc(cfg.Rollouts, func(r gray.Rollout) bool { return r.Name == req.Rollout })
	if i < 0 {
		return ExplainResult{}, fmt.Errorf("admin: rollout %q: %w", req.Rollout, gray.ErrUnknownRollout)
	}
	ro := cfg.Rollouts[i]
	s := gray.Subject{
		Key:   req.Key,
		Attrs: req.Attrs,
		Request: &gray.Values{
			Headers: req.Headers, Cookies: req.Cookies, Queries: req.Queries,
			IP: req.IP, HTTPMethod: req.Method, URLPath: req.Path, HostName: req.Host,
		},
	}
	d, steps := e.Explain(req.Rollout, s)
	bk, _ := cfg.Bucketing(ro.Name)
	res := ExplainResult{Decision: viewDecision(d), Salt: bk.Salt, BucketBy: bk.By, Rules: make([]RuleTrace, 0, len(ro.Rules))}
	if bk.Layer != "" {
		res.Layer, res.Slice = bk.Layer, fmt.Sprintf("%d-%d", bk.Start, bk.End-1)
	}
	for _, st := range steps {
		if st.Rule == "" && st.Condition != "" && d.Reason != gray.ReasonOff {
			res.Prerequisites = append(res.Prerequisites, st) // prerequisites trace before any rule
		}
	}
	decided := false
	for _, rule := range ro.Rules {
		rt := RuleTrace{Rule: rule.Name, Serve: rule.Serve, Steps: []gray.TraceStep{}}
		for _, st := range steps {
			if st.Rule == rule.Name {
				rt.Steps = append(rt.Steps, st)
			}
		}
		switch {
		case decided || d.Reason == gray.ReasonOff || d.Reason == gray.ReasonPrerequisite || d.Reason == gray.ReasonOverride:
			rt.Outcome = OutcomeNotEvaluated
		case d.Reason == gray.ReasonRule && d.Rule == rule.Name:
			rt.Outcome, decided = OutcomeMatched, true
		default:
			rt.Outcome = OutcomeNoMatch
		}
		res.Rules = append(res.Rules, rt)
	}
	res.Summary = summarize(d, &ro, bk, res.Prerequisites)
	return res, nil
}

func viewDecision(d gray.Decision) DecisionView {
	return DecisionView{
		Rollout: d.Rollout, Variant: d.Variant, Default: d.Default, Bucket: d.Bucket,
		Reason: d.Reason.String(), Rule: d.Rule, New: d.IsNew(), Value: d.Value(),
	}
}

// summarize says why d came out as it did, in words an operator reads.
func summarize(d gray.Decision, ro *gray.Rollout, bk gray.Bucketing, prereqs []gray.TraceStep) string {
	switch d.Reason {
	case gray.ReasonPrerequisite:
		for _, p := range prereqs {
			if !p.Matched {
				return fmt.Sprintf("prerequisite %s does not hold (the subject got %s there): %s", p.Condition, p.Value, d.Variant)
			}
		}
		return fmt.Sprintf("a prerequisite does not hold: %s", d.Variant)
	case gray.ReasonOverride:
		return fmt.Sprintf("an operator put this subject's key on %s (a subject override; remove it to return to the rules and the split)", d.Variant)
	case gray.ReasonNoBucketValue:
		return fmt.Sprintf("no rule matched and the subject has no %s to bucket by: %s", bk.By, d.Variant)
	case gray.ReasonOff:
		return fmt.Sprintf("rollout is off (braked): everyone gets %s", d.Default)
	case gray.ReasonRule:
		if d.IsNew() {
			return fmt.Sprintf("rule %q matched and serves %s", d.Rule, d.Variant)
		}
		return fmt.Sprintf("rule %q matched; the subject is outside the rule's share (or has no key) and gets %s", d.Rule, d.Variant)
	case gray.ReasonNoKey:
		return fmt.Sprintf("no rule matched and the subject has no key: %s", d.Variant)
	case gray.ReasonSplit:
		return fmt.Sprintf("no rule matched; bucket %d is inside %s's range", d.Bucket, d.Variant)
	case gray.ReasonDefault:
		if bk.Layer != "" {
			return fmt.Sprintf("no rule matched; bucket %d of layer %s is outside every variant's range (%s): %s", d.Bucket, bk.Layer, shareText(ro, bk.Start), d.Variant)
		}
		return fmt.Sprintf("no rule matched; bucket %d is past every variant's range (%s): %s", d.Bucket, shareText(ro, 0), d.Variant)
	default:
		return d.Reason.String()
	}
}

// shareText describes the variants' ranges, e.g. "canary 0-499".
func shareText(ro *gray.Rollout, start int) string {
	if ro.Layout == gray.LayoutRing {
		out := ""
		ranges, _ := ro.BucketRanges()
		for _, r := range ranges {
			if out != "" {
				out += ", "
			}
			out += fmt.Sprintf("%s %d-%d", r.Variant, r.Lo, r.Hi-1)
		}
		if out == "" {
			out = "all empty"
		}
		return out
	}
	out := ""
	for _, v := range variantsOf(ro) {
		end := start + int(v.Percent*100+0.5)
		if out != "" {
			out += ", "
		}
		if end > start {
			out += fmt.Sprintf("%s %d-%d", v.Name, start, end-1)
		} else {
			out += v.Name + " empty"
		}
		start = end
	}
	return out
}

// variantsOf returns a rollout's new variants with their shares, expanding
// the Percent shorthand.
func variantsOf(ro *gray.Rollout) []gray.VariantSpec {
	if len(ro.Variants) > 0 {
		return ro.Variants
	}
	return []gray.VariantSpec{{Name: "canary", Percent: ro.Percent}}
}
