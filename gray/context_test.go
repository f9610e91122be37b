package gray_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
)

// TestDecisionsAgreeWithDecide checks that a request's decisions, whichever
// is asked first and however they are stored, are exactly what
// Engine.Decide answers: rollout, variant, default, bucket, reason and rule.
func TestDecisionsAgreeWithDecide(t *testing.T) {
	e := mustEngine(t, `
rollouts:
  - name: checkout
    percent: 30
    rules:
      - {name: never, when: {field: "attr:tier", eq: none}, serve: canary}
      - {name: gold, when: {field: "attr:tier", eq: gold}, serve: canary}
  - name: search
    default: old
    variants: [{name: blue, percent: 40}, {name: green, percent: 40}]
  - name: braked
    enabled: false
    percent: 100
`)
	orders := [][]string{
		{"checkout", "search", "braked", "nope"},
		{"nope", "search", "checkout", "braked"},
		{"braked", "checkout", "nope", "search"},
	}
	for i := range 60 {
		s := gray.Subject{Key: fmt.Sprintf("user-%d", i), Attrs: map[string]string{"tier": []string{"gold", "silver", ""}[i%3]}}
		if i%7 == 0 {
			s.Key = ""
		}
		order := orders[i%len(orders)]
		ctx := gray.NewContext(context.Background(), e, s)
		d, ok := gray.FromContext(ctx)
		require.True(t, ok)
		var want []gray.Decision
		for _, name := range order {
			w := e.Decide(name, s)
			require.Equal(t, w, d.Get(name), "%s for %+v", name, s)
			require.Equal(t, w.Variant, gray.Variant(ctx, name))
			require.Equal(t, w, d.Get(name), "asked again")
			if w.Reason != gray.ReasonUnknownRollout {
				want = append(want, w)
			}
		}
		assert.Equal(t, want, d.Decided(), "decided in the order asked, unknown rollouts not kept")
	}
}
