package graytest

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// Path is the path HTTP targets serve [Respond] on, with method POST (not
// replayable, so a client never retries a call whose handler panicked).
const Path = "/conformance"

// ServeHTTP starts a loopback server for h (the adapter-wrapped handler) and
// returns a client for it. The server's panic log is discarded: panics are
// part of the table.
func ServeHTTP(t *testing.T, h http.Handler) Client {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	tr := &http.Transport{}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		srv.Close()
	})
	hc := &http.Client{Transport: tr}
	url := srv.URL + Path
	return func(ctx context.Context, c Call) Reply {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
		require.NoError(t, err)
		if c.Key != "" {
			req.Header.Set(KeyHeader, c.Key)
		}
		for k, v := range c.Headers {
			req.Header.Set(k, v)
		}
		if c.Cookie != "" {
			req.Header.Set("Cookie", c.Cookie)
		}
		if c.Action != "" {
			req.Header.Set(ActionHeader, c.Action)
		}
		resp, err := hc.Do(req)
		if err != nil {
			return Reply{} // the connection broke: a panic
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return Reply{}
		}
		r := Reply{OK: resp.StatusCode/100 == 2, Body: string(body)}
		for _, ck := range resp.Cookies() {
			if r.Cookies == nil {
				r.Cookies = map[string]string{}
			}
			r.Cookies[ck.Name] = ck.Value
		}
		return r
	}
}

// HandleHTTP is [Respond] as a net/http handler: what the Gin and Echo
// handlers do too, in their framework's terms.
func HandleHTTP(w http.ResponseWriter, r *http.Request) {
	body, fail := Respond(r.Context(), r.Header.Get(ActionHeader))
	if fail {
		w.WriteHeader(http.StatusInternalServerError)
	}
	_, _ = io.WriteString(w, body)
}
