package bench_test

import (
	"context"
	"testing"

	"github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/adapters/grayopenfeature"
	"github.com/graykit/graykit/gray"
)

// BenchmarkOpenFeature runs the peers' job (three rules that do not match,
// then the 5% split, for the same 1,024 users) through OpenFeature's Go SDK
// twice: with its in-memory provider, whose targeting is the job written as
// a Go function (the Peers row openfeature/inmemory), and with graykit's
// provider over the same rollout as graykit's Peers rows. The difference is
// what graykit's provider costs over the SDK's own. in-request evaluates
// inside a request's decisions (gray.NewContext, as the middleware makes),
// where the provider returns the pinned decision; the provider-only rows
// call each provider without the SDK around it.
func BenchmarkOpenFeature(b *testing.B) {
	keys := benchKeys()
	e, err := gray.New(threeRulesConfig(canaryPct))
	require.NoError(b, err)
	mem := newOFPeer(b)
	gk := newGrayOFPeer(b, e)
	ctx := context.Background()

	// In a request behind graykit's middleware, with the rollout decided
	// already (by gray.Variant, say): the evaluation returns the pinned
	// decision. One context per user, as the middleware makes one per request.
	attrs := userAttrs()
	reqCtxs := make([]context.Context, len(keys))
	for i, k := range keys {
		reqCtxs[i] = gray.NewContext(ctx, e, gray.Subject{Key: k, Attrs: attrs})
		gray.Variant(reqCtxs[i], rolloutName)
	}
	flats := make([]openfeature.FlattenedContext, len(keys))
	for i, k := range keys {
		flats[i] = openfeature.FlattenedContext{openfeature.TargetingKey: k, "region": userRegion, "platform": userPlatform}
	}

	cases := []struct {
		name  string
		bench func(b *testing.B)
	}{
		{"sdk/inmemory", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkStr, _ = mem.decide(ctx, keys[i&keyMask], userRegion, userPlatform)
			}
		}},
		{"sdk/graykit", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkStr, _ = gk.decide(ctx, keys[i&keyMask], userRegion, userPlatform)
			}
		}},
		{"sdk/graykit/in-request", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				d, _ := gk.client.StringValueDetails(reqCtxs[i&keyMask], rolloutName, "stable", openfeature.EvaluationContext{})
				sinkStr = d.Value
			}
		}},
		{"provider-only/inmemory", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkStr = mem.provider.StringEvaluation(ctx, rolloutName, "stable", flats[i&keyMask]).Value
			}
		}},
		{"provider-only/graykit", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				sinkStr = gk.provider.StringEvaluation(ctx, rolloutName, "stable", flats[i&keyMask]).Value
			}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			start := processCPU()
			c.bench(b)
			// CPU time per op besides wall time: the rows are compared with
			// each other, and on a loaded machine wall time mostly measures
			// the other processes.
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// grayOFPeer is OpenFeature's SDK with graykit's provider.
type grayOFPeer struct {
	provider *grayopenfeature.Provider
	client   *openfeature.Client
}

func newGrayOFPeer(tb testing.TB, e *gray.Engine) *grayOFPeer {
	p := grayopenfeature.New(e)
	api := isolated.NewAPI()
	require.NoError(tb, api.SetProviderAndWait(context.Background(), p))
	tb.Cleanup(func() { _ = api.Shutdown(context.Background()) })
	return &grayOFPeer{provider: p, client: api.NewClient()}
}

// decide builds the evaluation context per call, as the in-memory row does.
func (p *grayOFPeer) decide(ctx context.Context, key, region, platform string) (string, openfeature.Reason) {
	d, err := p.client.StringValueDetails(ctx, rolloutName, "stable",
		openfeature.NewEvaluationContext(key, map[string]any{"region": region, "platform": platform}))
	if err != nil {
		return "stable", openfeature.ErrorReason
	}
	return d.Value, d.Reason
}
