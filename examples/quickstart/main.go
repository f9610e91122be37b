// Command quickstart is graykit's tour: it serves a stable and a canary
// checkout behind gray.Middleware on a loopback port, drives a few thousand
// simulated users through it over real HTTP, and prints what happened: the
// split, proof of stickiness, the share rising with no user leaving the
// canary, the brake, why one user got the canary, and a value carried from an
// old table to a new one with dualwrite (embedded SQLite, a temp file).
//
//	go run ./examples/quickstart          # the report, then exit
//	go run ./examples/quickstart -serve   # keep serving; try it with curl
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/graykit/graykit/examples/internal/demoauth"
	"github.com/graykit/graykit/gray"
)

//go:embed rollouts.yaml
var rolloutsYAML []byte

const rollout = "checkout-v2"

func main() {
	users := flag.Int("users", 2000, "simulated users")
	serve := flag.Bool("serve", false, "keep serving after the report (Ctrl-C stops)")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, options{users: *users, serve: *serve, addr: *addr}); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

type options struct {
	users int
	serve bool
	addr  string
}

func run(ctx context.Context, out io.Writer, opt options) error {
	if opt.users < 10 {
		return errors.New("need at least 10 users")
	}
	cfg, err := gray.ParseConfig(rolloutsYAML)
	if err != nil {
		return err
	}
	engine, err := gray.New(cfg)
	if err != nil {
		return err
	}
	counters := gray.NewCounters()

	oldCheckout := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "stable") })
	newCheckout := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "canary") })
	mux := http.NewServeMux()
	mux.Handle("/checkout", gray.NewSwitch(rollout, oldCheckout).Handle("canary", newCheckout))
	// The subject key is the signed-in user, from a verified token: never a
	// header the client writes, or any client could pick its bucket.
	auth := demoauth.New() // stands in for your authentication
	handler := gray.Middleware(engine, gray.WithKeyFunc(auth.UserID), gray.WithObserver(counters))(mux)

	ln, err := net.Listen("tcp", opt.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		<-served
	}()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	p := printer{w: out}

	users := make([]string, opt.users)
	for i := range users {
		users[i] = fmt.Sprintf("user-%04d", i)
	}
	p.f("graykit quickstart: %s users against %s/checkout (rollout %q)\n\n", num(len(users)), base, rollout)

	// 1. The split at 5%, three requests per user.
	seen, err := drive(ctx, client, auth, base, users, 3)
	if err != nil {
		return err
	}
	at5 := canaryUsers(seen)
	p.f("1. Split at 5%%\n")
	p.f("   stable %s users, canary %s users (%.1f%%)\n", num(len(users)-len(at5)), num(len(at5)), pct(len(at5), len(users)))

	// 2. Stickiness: every user saw one variant on every request.
	flipped := 0
	for _, vs := range seen {
		if len(vs) != 1 {
			flipped++
		}
	}
	p.f("2. Stickiness\n")
	p.f("   %s requests; users who saw both variants: %d\n", num(3*len(users)), flipped)
	if flipped != 0 {
		return fmt.Errorf("%d users flipped between variants", flipped)
	}

	// 3. Raise the share: 5% -> 20%. Nobody leaves the canary.
	twenty := 20.0
	if err := engine.SetOverride(rollout, gray.Override{Percent: &twenty}); err != nil {
		return err
	}
	seen, err = drive(ctx, client, auth, base, users, 1)
	if err != nil {
		return err
	}
	at20 := canaryUsers(seen)
	left := 0
	for u := range at5 {
		if !at20[u] {
			left++
		}
	}
	p.f("3. Raise the share 5%% -> 20%%\n")
	p.f("   canary %s -> %s users (%.1f%%); users who left the canary: %d\n", num(len(at5)), num(len(at20)), pct(len(at20), len(users)), left)
	if left != 0 {
		return fmt.Errorf("%d users left the canary when the share rose", left)
	}

	// 4. The brake: everyone back on stable at once, testers included.
	off := false
	if err := engine.SetOverride(rollout, gray.Override{Percent: &twenty, Enabled: &off}); err != nil {
		return err
	}
	seen, err = drive(ctx, client, auth, base, users, 1)
	if err != nil {
		return err
	}
	tester, err := get(ctx, client, auth, base, "staff-1", "canary")
	if err != nil {
		return err
	}
	p.f("4. Brake\n")
	p.f("   canary users after the brake: %d (a tester with X-Gray: canary gets %q)\n", len(canaryUsers(seen)), tester)
	if len(canaryUsers(seen)) != 0 || tester != "stable" {
		return errors.New("the brake did not take everyone back")
	}
	engine.ClearOverride(rollout)

	// 5. Why did this user get the canary?
	var chosen string
	for _, u := range users {
		if at5[u] {
			chosen = u
			break
		}
	}
	p.f("5. Why did %s get canary?\n", chosen)
	explain(p, engine, chosen)
	p.f("   and staff-1:\n")
	explain(p, engine, "staff-1")

	dir, err := os.MkdirTemp("", "graykit-quickstart-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := dataPart(ctx, p, engine, users, dir); err != nil {
		return err
	}

	// What the observer counted, per variant.
	p.f("\nRequests per variant (gray.Counters):\n")
	for _, s := range counters.Snapshot() {
		p.f("   %-8s %6s requests, %d errors, p90 latency <= %v\n", s.Variant, num(int(s.Requests)), s.Errors, s.Latency.Quantile(0.9))
	}

	if opt.serve {
		p.f("\nServing on %s until Ctrl-C. Try:\n", base)
		p.f("   curl -H 'Authorization: Bearer %s' %s/checkout\n", auth.Token(chosen), base)
		p.f("   curl -H 'Authorization: Bearer %s' -H 'X-Gray: canary' %s/checkout\n", auth.Token("someone"), base)
		select {
		case <-ctx.Done():
		case err := <-served:
			return err
		}
	}
	return p.err
}

func explain(p printer, engine *gray.Engine, user string) {
	d, trace := engine.Explain(rollout, gray.Subject{Key: user})
	for _, step := range trace {
		mark := "no "
		if step.Matched {
			mark = "YES"
		}
		p.f("   rule %-12s %s  (%s; value %q)\n", step.Rule, mark, step.Condition, step.Value)
	}
	switch d.Reason {
	case gray.ReasonSplit:
		share := engine.Config().Rollouts[0].Percent
		p.f("   -> %s: bucket %d of %d is inside the canary's range [0, %d), %v%% of the buckets\n",
			d.Variant, d.Bucket, gray.Buckets, int(share*100), share)
	default:
		p.f("   -> %s: reason %q, rule %q, bucket %d\n", d.Variant, d.Reason, d.Rule, d.Bucket)
	}
}

// drive sends rounds requests for each user from 16 workers and returns the
// set of variants each user saw.
func drive(ctx context.Context, client *http.Client, auth *demoauth.Authority, base string, users []string, rounds int) (map[string]map[string]bool, error) {
	type result struct {
		user, variant string
		err           error
	}
	jobs := make(chan string)
	results := make(chan result)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range jobs {
				v, err := get(ctx, client, auth, base, u, "")
				results <- result{u, v, err}
			}
		}()
	}
	go func() {
		defer close(jobs)
		for range rounds {
			for _, u := range users {
				select {
				case jobs <- u:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	seen := make(map[string]map[string]bool, len(users))
	var firstErr error
	for r := range results {
		if r.err != nil {
			firstErr = cmpErr(firstErr, r.err)
			continue
		}
		if seen[r.user] == nil {
			seen[r.user] = map[string]bool{}
		}
		seen[r.user][r.variant] = true
	}
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return seen, firstErr
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func get(ctx context.Context, client *http.Client, auth *demoauth.Authority, base, user, grayHeader string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/checkout", nil)
	if err != nil {
		return "", err
	}
	auth.Authorize(req, user)
	if grayHeader != "" {
		req.Header.Set("X-Gray", grayHeader)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET /checkout: %s", resp.Status)
	}
	return string(body), nil
}

func canaryUsers(seen map[string]map[string]bool) map[string]bool {
	out := map[string]bool{}
	for u, vs := range seen {
		if vs["canary"] {
			out[u] = true
		}
	}
	return out
}

func pct(n, total int) float64 { return 100 * float64(n) / float64(total) }

// num formats n with thousands separators.
func num(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

type printer struct {
	w   io.Writer
	err error
}

func (p printer) f(format string, args ...any) {
	if p.err == nil {
		_, _ = fmt.Fprintf(p.w, format, args...)
	}
}
