// Command gin serves a checkout endpoint on Gin behind graygin: testers
// (header X-Gray: canary) and 20% of users get the new checkout. It starts a
// server on loopback, makes a few requests as different users, prints what
// each got, and exits.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"

	"github.com/gin-gonic/gin"

	"github.com/graykit/graykit/adapters/graygin"
	"github.com/graykit/graykit/examples/internal/demoauth"
	"github.com/graykit/graykit/gray"
)

const config = `
rollouts:
  - name: checkout-v2
    percent: 20
    rules:
      - {name: testers, when: {field: "header:X-Gray", eq: canary}, serve: canary}
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gin:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	cfg, err := gray.ParseConfig([]byte(config))
	if err != nil {
		return err
	}
	engine, err := gray.New(cfg)
	if err != nil {
		return err
	}
	counters := gray.NewCounters()
	auth := demoauth.New() // stands in for your authentication

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	// The key is the signed-in user from a verified token, never a header
	// the client writes: a public client could then pick its bucket.
	r.Use(gin.Recovery(), graygin.Middleware(engine, gray.WithKeyFunc(auth.UserID), gray.WithObserver(counters)))
	r.GET("/checkout", func(c *gin.Context) {
		if graygin.Variant(c, "checkout-v2") == "canary" {
			c.String(http.StatusOK, "new checkout")
			return
		}
		c.String(http.StatusOK, "old checkout")
	})

	lis, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()

	client := &http.Client{Transport: &http.Transport{}}
	err = visit(ctx, client, auth, "http://"+lis.Addr().String()+"/checkout", out)
	client.CloseIdleConnections()
	if shutdownErr := srv.Shutdown(context.Background()); err == nil {
		err = shutdownErr
	}
	if serveErr := <-served; err == nil && !errors.Is(serveErr, http.ErrServerClosed) {
		err = serveErr
	}
	if err != nil {
		return err
	}
	for _, s := range counters.Snapshot() {
		fmt.Fprintf(out, "%s/%s: %d requests\n", s.Rollout, s.Variant, s.Requests)
	}
	return nil
}

func visit(ctx context.Context, client *http.Client, auth *demoauth.Authority, url string, out io.Writer) error {
	visits := []struct{ user, gray string }{
		{"user-1", ""}, {"user-2", ""}, {"user-3", ""}, {"user-7", ""}, {"user-7", "canary"},
	}
	for _, v := range visits {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		auth.Authorize(req, v.user)
		if v.gray != "" {
			req.Header.Set("X-Gray", v.gray)
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s (X-Gray: %q): %s\n", v.user, v.gray, body)
	}
	return nil
}
