package bench_test

import (
	"context"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/launchdarkly/go-sdk-common/v3/ldcontext"
	"github.com/launchdarkly/go-sdk-common/v3/ldreason"
	"github.com/launchdarkly/go-sdk-common/v3/ldvalue"
	evaluation "github.com/launchdarkly/go-server-sdk-evaluation/v3"
	"github.com/launchdarkly/go-server-sdk-evaluation/v3/ldbuilders"
	"github.com/launchdarkly/go-server-sdk-evaluation/v3/ldmodel"
	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/open-feature/go-sdk/openfeature/memprovider"
	"github.com/spaolacci/murmur3"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// floor is the least any library can do: one XXH64 over the same
// "salt:key" bytes graykit hashes (joined beforehand) and a comparison.
func floor(saltKey string) bool {
	return xxhash.Sum64String(saltKey)%gray.Buckets < canaryBuckets
}

// handWritten is the same job with no library: the three rules by hand, then
// XXH64 of salt, ":" and key streamed into a digest (no concatenation).
func (h byHand) decide(key, region, platform string) (variant string, ruleMatched bool) {
	if h.ruleMatches(key, region, platform) {
		return "canary", true
	}
	d := xxhash.New()
	_, _ = d.WriteString(rolloutName)
	_, _ = d.WriteString(":")
	_, _ = d.WriteString(key)
	if d.Sum64()%gray.Buckets < canaryBuckets {
		return "canary", false
	}
	return "stable", false
}

// ldPeer is LaunchDarkly's server-side evaluator (the engine inside its Go
// SDK) with a flag of the same three rules and a 5/95 rollout.
type ldPeer struct {
	eval evaluation.Evaluator
	flag ldmodel.FeatureFlag
	ctxs []ldcontext.Context // pre-built, one per benchmark key
}

type noData struct{}

func (noData) GetFeatureFlag(string) *ldmodel.FeatureFlag { return nil }
func (noData) GetSegment(string) *ldmodel.Segment         { return nil }

func ldStrings(ss []string) []ldvalue.Value {
	out := make([]ldvalue.Value, len(ss))
	for i, s := range ss {
		out[i] = ldvalue.String(s)
	}
	return out
}

func newLDPeer(keys []string) *ldPeer {
	const stable, canary = 0, 1
	flag := ldbuilders.NewFlagBuilder(rolloutName).
		On(true).
		Salt(rolloutName).
		Variations(ldvalue.String("stable"), ldvalue.String("canary")).
		OffVariation(stable).
		AddRule(ldbuilders.NewRuleBuilder().ID("regions").Variation(canary).
			Clauses(ldbuilders.Clause("region", ldmodel.OperatorIn, ldStrings(ruleRegions)...))).
		AddRule(ldbuilders.NewRuleBuilder().ID("platforms").Variation(canary).
			Clauses(ldbuilders.Clause("platform", ldmodel.OperatorIn, ldStrings(rulePlatforms)...))).
		AddRule(ldbuilders.NewRuleBuilder().ID("staff").Variation(canary).
			Clauses(ldbuilders.Clause("key", ldmodel.OperatorIn, ldStrings(staffKeys(100))...))).
		// LaunchDarkly weights are out of 100,000: 5% canary, 95% stable.
		Fallthrough(ldbuilders.Rollout(ldbuilders.Bucket(canary, 5000), ldbuilders.Bucket(stable, 95000))).
		Build() // Build preprocesses the flag (sets for "in" clauses), as the SDK does on load.
	p := &ldPeer{eval: evaluation.NewEvaluator(noData{}), flag: flag, ctxs: make([]ldcontext.Context, len(keys))}
	for i, k := range keys {
		p.ctxs[i] = ldContext(k, userRegion, userPlatform)
	}
	return p
}

// ldContext is what a middleware does per request: build the context.
func ldContext(key, region, platform string) ldcontext.Context {
	return ldcontext.NewBuilder(key).SetString("region", region).SetString("platform", platform).Build()
}

func (p *ldPeer) decide(c ldcontext.Context) (variant string, reason ldreason.EvaluationReason) {
	r := p.eval.Evaluate(&p.flag, c, nil)
	return r.Detail.Value.StringValue(), r.Detail.Reason
}

// ofPeer is OpenFeature's SDK with its in-memory provider. That provider has
// no targeting language: a flag's targeting is a Go function over the
// flattened evaluation context, here the three rules and graykit's bucketing,
// so the row measures what the OpenFeature SDK adds around the same logic.
type ofPeer struct {
	api      *openfeature.EvaluationAPI
	client   *openfeature.Client
	provider *memprovider.InMemoryProvider
}

func newOFPeer(tb testing.TB) *ofPeer {
	h := newByHand()
	targeting := func(_ memprovider.InMemoryFlag, flat openfeature.FlattenedContext) (any, openfeature.ProviderResolutionDetail) {
		key, _ := flat[openfeature.TargetingKey].(string)
		region, _ := flat["region"].(string)
		platform, _ := flat["platform"].(string)
		if h.ruleMatches(key, region, platform) {
			return "canary", openfeature.ProviderResolutionDetail{Reason: openfeature.TargetingMatchReason, Variant: "canary"}
		}
		if key != "" && gray.SaltedBucket(rolloutName, key) < canaryBuckets {
			return "canary", openfeature.ProviderResolutionDetail{Reason: openfeature.SplitReason, Variant: "canary"}
		}
		return "stable", openfeature.ProviderResolutionDetail{Reason: openfeature.SplitReason, Variant: "stable"}
	}
	provider := memprovider.NewInMemoryProvider(map[string]memprovider.InMemoryFlag{
		rolloutName: {
			Key:              rolloutName,
			State:            memprovider.Enabled,
			DefaultVariant:   "stable",
			Variants:         map[string]any{"stable": "stable", "canary": "canary"},
			ContextEvaluator: &targeting,
		},
	})
	api := isolated.NewAPI()
	require.NoError(tb, api.SetProviderAndWait(context.Background(), provider))
	tb.Cleanup(func() { _ = api.Shutdown(context.Background()) })
	return &ofPeer{api: api, client: api.NewClient(), provider: provider}
}

// decide builds the evaluation context per call, as a middleware would.
func (p *ofPeer) decide(ctx context.Context, key, region, platform string) (string, openfeature.Reason) {
	d, err := p.client.StringValueDetails(ctx, rolloutName, "stable",
		openfeature.NewEvaluationContext(key, map[string]any{"region": region, "platform": platform}))
	if err != nil {
		return "stable", openfeature.ErrorReason
	}
	return d.Value, d.Reason
}

// unleashRollout re-implements, from its published description, Unleash's
// gradual rollout (strategy "flexibleRollout" with stickiness userId):
// murmur3-32 (seed 0) of "groupId:userId", modulo 100, plus 1, compared with
// the percentage. It is not the Unleash SDK, which the Go module proxy here
// does not serve; its constraints are written as the plain Go an "IN"
// constraint and a user-ID list amount to.
type unleashRollout struct {
	h byHand
}

func unleashNormalizedValue(groupID, userID string) uint32 {
	return murmur3.Sum32([]byte(groupID+":"+userID))%100 + 1
}

func (u unleashRollout) decide(key, region, platform string) (variant string, ruleMatched bool) {
	if u.h.ruleMatches(key, region, platform) {
		return "canary", true
	}
	if unleashNormalizedValue(rolloutName, key) <= canaryPct {
		return "canary", false
	}
	return "stable", false
}
