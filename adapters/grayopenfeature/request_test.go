package grayopenfeature_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/adapters/grayopenfeature"
	"github.com/graykit/graykit/gray"
)

// answer is what the test server reports for one request.
type answer struct {
	Variant       string `json:"variant"`        // gray.Variant
	OFVariant     string `json:"of_variant"`     // OpenFeature's details
	OFValue       bool   `json:"of_value"`       // OpenFeature's value
	Value         bool   `json:"value"`          // gray's typed value
	AfterReload   bool   `json:"after_reload"`   // OpenFeature after a brake mid-request
	OFReason      string `json:"of_reason"`      // OpenFeature's reason
	OtherUser     string `json:"other_user"`     // OpenFeature for another targeting key
	OtherExpected string `json:"other_expected"` // Engine.Decide for that key
}

// TestRequestPinnedDecision runs a real HTTP server on loopback behind
// gray.Middleware: for 200 users, OpenFeature inside the handler returns
// the decision gray.Variant returns, also after the configuration changes
// in the middle of the request.
func TestRequestPinnedDecision(t *testing.T) {
	e := newEngine(t, testConfig)
	_, client := newClient(t, grayopenfeature.New(e))

	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var a answer
		// OpenFeature first: it decides the rollout for the request.
		d, err := client.BooleanValueDetails(ctx, "flag-bool", false, of.EvaluationContext{})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		a.OFValue, a.OFVariant, a.OFReason = d.Value, d.Variant, string(d.Reason)
		a.Variant = gray.Variant(ctx, "flag-bool")
		ds, _ := gray.FromContext(ctx)
		a.Value, _ = ds.Value("flag-bool").Bool()

		// A brake pulled now changes nothing for this request.
		off := false
		if err := e.SetOverride("flag-bool", gray.Override{Enabled: &off}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer e.ClearOverride("flag-bool")
		a.AfterReload, _ = client.BooleanValue(ctx, "flag-bool", !a.OFValue, of.EvaluationContext{})

		// Another targeting key asks about another subject.
		other := "other-" + ds.Subject().Key
		a.OtherUser, _ = client.StringValue(ctx, "plain", "", of.NewEvaluationContext(other, nil))
		a.OtherExpected = e.Decide("plain", gray.Subject{Key: other}).Variant
		_ = json.NewEncoder(w).Encode(a)
	})
	srv := httptest.NewServer(gray.Middleware(e, gray.WithKeyFromHeader("X-User"))(h))
	defer srv.Close()

	seen := map[string]int{}
	for i := range 200 {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		req.Header.Set("X-User", "user-"+strconv.Itoa(i))
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		var a answer
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&a))
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)

		assert.Equal(t, a.Variant, a.OFVariant, "user-%d", i)
		assert.Equal(t, a.Value, a.OFValue, "user-%d", i)
		assert.Equal(t, a.OFValue, a.AfterReload, "user-%d: the request keeps its decision", i)
		assert.Equal(t, a.Variant == "on", a.OFValue)
		assert.Equal(t, a.OtherExpected, a.OtherUser)
		seen[a.OFReason+"/"+a.Variant]++
	}
	// Both sides of the split were exercised.
	assert.Greater(t, seen["SPLIT/on"], 50)
	assert.Greater(t, seen["DEFAULT/off"], 50)
}
