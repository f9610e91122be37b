// Command proxy is an in-app gateway in front of two deployments of one
// service, an old and a new one, as an Nginx upstream with weights would be,
// but sticky per user: gray.Proxy sends each user to the upstream of the
// variant they got in the rollout "backend-v2" (10%), so a user never flips
// between versions from one click to the next. Both backends and the gateway
// run on loopback; the program drives a few hundred users through the
// gateway and prints that every user stayed on one upstream, the split, the
// outcomes per variant, and what happens when the new backend goes down
// (GETs are retried on the old one, a POST gets a clear 502).
//
//	go run ./examples/proxy
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/graykit/graykit/examples/internal/demoauth"
	"github.com/graykit/graykit/gray"
)

const rollout = "backend-v2"

const config = `
rollouts:
  - name: backend-v2
    percent: 10
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
}

// servers starts HTTP servers on loopback and stops them all.
type servers struct {
	wg   sync.WaitGroup
	list []*http.Server
}

func (s *servers) start(h http.Handler) (*http.Server, *url.URL, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	s.list = append(s.list, srv)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = srv.Serve(ln)
	}()
	return srv, &url.URL{Scheme: "http", Host: ln.Addr().String()}, nil
}

func (s *servers) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.list {
		_ = srv.Shutdown(ctx)
	}
	s.wg.Wait()
}

func backend(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, name)
	})
}

func run(ctx context.Context, out io.Writer) error {
	var srvs servers
	defer srvs.stop()

	_, oldURL, err := srvs.start(backend("old"))
	if err != nil {
		return err
	}
	newSrv, newURL, err := srvs.start(backend("new"))
	if err != nil {
		return err
	}

	cfg, err := gray.ParseConfig([]byte(config))
	if err != nil {
		return err
	}
	engine, err := gray.New(cfg)
	if err != nil {
		return err
	}
	upstreamTransport := &http.Transport{}
	defer upstreamTransport.CloseIdleConnections()
	proxy, err := gray.NewProxy(rollout,
		map[string]*url.URL{"stable": oldURL, "canary": newURL},
		gray.WithUnreachablePolicy(gray.RetryOnDefault),
		gray.WithProxyTransport(upstreamTransport),
		gray.WithProxyLogger(slog.New(slog.DiscardHandler)), // the report says what happened
	)
	if err != nil {
		return err
	}
	counters := gray.NewCounters()
	// The key is the signed-in user from a verified token, never a header
	// the client writes: a public client could then pick its upstream.
	auth := demoauth.New() // stands in for your authentication
	gateway := gray.Middleware(engine, gray.WithKeyFunc(auth.UserID), gray.WithObserver(counters))(proxy)
	_, gatewayURL, err := srvs.start(gateway)
	if err != nil {
		return err
	}

	clientTransport := &http.Transport{}
	defer clientTransport.CloseIdleConnections()
	client := &http.Client{Transport: clientTransport}
	call := func(method, user string) (int, string, error) {
		req, err := http.NewRequestWithContext(ctx, method, gatewayURL.String()+"/orders", nil)
		if err != nil {
			return 0, "", err
		}
		auth.Authorize(req, user)
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}

	const users, clicks = 300, 5
	fmt.Fprintf(out, "gateway %s: %d users, %d requests each, rollout %s at 10%%\n", gatewayURL.Host, users, clicks, rollout)
	seen := map[string]map[string]bool{} // user → upstreams
	perUpstream := map[string]int{}
	for i := range users {
		user := fmt.Sprintf("user-%03d", i)
		seen[user] = map[string]bool{}
		for range clicks {
			status, body, err := call(http.MethodGet, user)
			if err != nil {
				return err
			}
			if status != http.StatusOK {
				return fmt.Errorf("%s: status %d: %s", user, status, body)
			}
			seen[user][body] = true
		}
		for up := range seen[user] {
			perUpstream[up]++
		}
	}
	sticky := 0
	for _, ups := range seen {
		if len(ups) == 1 {
			sticky++
		}
	}
	fmt.Fprintf(out, "users who stayed on one upstream: %d of %d\n", sticky, users)
	fmt.Fprintf(out, "split: old %d users (%.1f%%), new %d users (%.1f%%)\n",
		perUpstream["old"], pct(perUpstream["old"], users), perUpstream["new"], pct(perUpstream["new"], users))
	for _, s := range counters.Snapshot() {
		fmt.Fprintf(out, "  %-7s requests %4d  errors %d\n", s.Variant, s.Requests, s.Errors)
	}

	// The new deployment goes down.
	if err := newSrv.Shutdown(ctx); err != nil {
		return err
	}
	var canaryUser string
	for i := range users {
		if user := fmt.Sprintf("user-%03d", i); seen[user]["new"] {
			canaryUser = user
			break
		}
	}
	if canaryUser == "" {
		return errors.New("no user on the new upstream")
	}
	fmt.Fprintf(out, "new backend stopped; %s (a canary user):\n", canaryUser)
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		status, body, err := call(method, canaryUser)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %-4s -> %d %s\n", method, status, strings.TrimSpace(body))
	}
	c := counters.Stats(rollout, "canary")
	fmt.Fprintf(out, "canary errors recorded: %d\n", c.Errors)
	return nil
}

func pct(n, of int) float64 { return 100 * float64(n) / float64(of) }
