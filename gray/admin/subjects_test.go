package admin_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
)

func TestSubjectOverridesAPI(t *testing.T) {
	f := newFixture(t, 2)
	put := admin.SubjectRequest{Key: "user-42", Variant: "canary", Reason: "reproduce ticket 7"}

	status, body := f.Call(t, "POST", "/api/rollouts/banner/subjects/put", viewerToken, put, nil)
	require.Equal(t, http.StatusForbidden, status, "%s", body)

	status, body = f.Call(t, "POST", "/api/rollouts/banner/subjects/put", operatorToken, put, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	got := decode[admin.SubjectsResponse](t, body)
	require.Len(t, got.Subjects, 1)
	assert.Equal(t, "olga", got.Subjects[0].Actor)

	f.Tick(t) // one poll
	for i, e := range f.Engines {
		d := e.Decide("banner", gray.Subject{Key: "user-42"})
		assert.Equal(t, "canary", d.Variant, "replica %d", i)
		assert.Equal(t, gray.ReasonOverride, d.Reason, "replica %d", i)
	}
	status, body = f.Call(t, "POST", "/api/explain", viewerToken, admin.ExplainRequest{Rollout: "banner", Key: "user-42"}, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	ex := decode[admin.ExplainResult](t, body)
	assert.Equal(t, "override", ex.Decision.Reason)
	assert.Contains(t, ex.Summary, "an operator put this subject's key on canary")

	list := decode[admin.SubjectsResponse](t, mustGet(t, f, "/api/rollouts/banner/subjects", viewerToken))
	require.Len(t, list.Subjects, 1)
	assert.Equal(t, "reproduce ticket 7", list.Subjects[0].Reason)

	audit := decode[admin.AuditResponse](t, mustGet(t, f, "/api/audit?rollout=banner", viewerToken))
	require.NotEmpty(t, audit.Entries)
	assert.Equal(t, "put-subject", string(audit.Entries[0].Action))
	assert.Equal(t, "user-42", audit.Entries[0].Subject)

	status, body = f.Call(t, "POST", "/api/rollouts/banner/subjects/remove", operatorToken, admin.SubjectRequest{Key: "user-42", Reason: "done"}, nil)
	require.Equal(t, http.StatusOK, status, "%s", body)
	got = decode[admin.SubjectsResponse](t, body)
	require.NotNil(t, got.Removed)
	assert.True(t, *got.Removed)
	assert.Empty(t, got.Subjects)
	f.Tick(t)
	for i, e := range f.Engines {
		assert.NotEqual(t, gray.ReasonOverride, e.Decide("banner", gray.Subject{Key: "user-42"}).Reason, "replica %d", i)
	}
}

func TestSubjectOverridesAPIRefusals(t *testing.T) {
	f := newFixture(t, 1)
	tests := []struct {
		name       string
		path       string
		give       admin.SubjectRequest
		wantStatus int
	}{
		{"undeclared variant", "/api/rollouts/banner/subjects/put", admin.SubjectRequest{Key: "u", Variant: "blue", Reason: "r"}, http.StatusConflict},
		{"no variant", "/api/rollouts/banner/subjects/put", admin.SubjectRequest{Key: "u", Reason: "r"}, http.StatusBadRequest},
		{"no key", "/api/rollouts/banner/subjects/put", admin.SubjectRequest{Variant: "canary", Reason: "r"}, http.StatusBadRequest},
		{"variant on remove", "/api/rollouts/banner/subjects/remove", admin.SubjectRequest{Key: "u", Variant: "canary", Reason: "r"}, http.StatusBadRequest},
		{"unknown rollout", "/api/rollouts/nope/subjects/put", admin.SubjectRequest{Key: "u", Variant: "canary", Reason: "r"}, http.StatusNotFound},
		{"unknown operation", "/api/rollouts/banner/subjects/move", admin.SubjectRequest{Key: "u", Reason: "r"}, http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.Call(t, "POST", tt.path, operatorToken, tt.give, nil)
			assert.Equal(t, tt.wantStatus, status, "%s", body)
		})
	}
	assert.Empty(t, f.Engines[0].SubjectOverrides())
}
