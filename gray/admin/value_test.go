package admin_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
)

func TestExplainShowsTheVariantsValue(t *testing.T) {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: banner
    default_value: "old"
    variants: [{name: canary, percent: 100, value: "new"}]
`))
	require.NoError(t, err)
	e, err := gray.New(cfg)
	require.NoError(t, err)

	res, err := admin.Explain(e, admin.ExplainRequest{Rollout: "banner", Key: "u1"})
	require.NoError(t, err)
	txt, ok := res.Decision.Value.Text()
	assert.True(t, ok)
	assert.Equal(t, "new", txt)

	body, err := json.Marshal(res)
	require.NoError(t, err)
	assert.Contains(t, string(body), `"value":"new"`)
	var back admin.ExplainResult
	require.NoError(t, json.Unmarshal(body, &back))
	assert.True(t, back.Decision.Value.Equal(gray.StringValue("new")))
}
