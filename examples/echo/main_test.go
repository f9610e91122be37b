package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(t.Context(), &out))
	assert.Equal(t, `user-1 (X-Gray: ""): old checkout
user-2 (X-Gray: ""): new checkout
user-3 (X-Gray: ""): old checkout
user-7 (X-Gray: ""): old checkout
user-7 (X-Gray: "canary"): new checkout
checkout-v2/canary: 2 requests
checkout-v2/stable: 3 requests
`, out.String())
}
