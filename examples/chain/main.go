// Command chain shows full-chain gray: the edge decides, every service behind
// it follows. Three services run on loopback:
//
//	edge     net/http + gray.Middleware; rollout checkout-v2 at 20%; it signs
//	         its decisions for the services behind it and trusts none that a
//	         client sends
//	middle   Gin + graygin; its configuration does not have checkout-v2 at
//	         all, yet it forwards the edge's decision (a loose lane)
//	backend  net/http + gray.Middleware; its configuration lags a reload
//	         (checkout-v2 at 0%), yet it follows the edge
//
// The program sends a few hundred users through the edge and prints each
// hop's variant: a canary user is canary at every hop. Then a public client
// forges the header at the backend and gets nothing.
//
//	go run ./examples/chain
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/graykit/graykit/adapters/graygin"
	"github.com/graykit/graykit/examples/internal/demoauth"
	"github.com/graykit/graykit/gray"
)

const rollout = "checkout-v2"

const (
	edgeConfig    = `rollouts: [{name: checkout-v2, percent: 20}]`
	middleConfig  = `rollouts: [{name: search-v2, percent: 50}]`
	backendConfig = `rollouts: [{name: checkout-v2, percent: 0}]`
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "chain:", err)
		os.Exit(1)
	}
}

// servers starts HTTP servers on loopback and stops them all.
type servers struct {
	wg   sync.WaitGroup
	list []*http.Server
}

func (s *servers) start(h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	s.list = append(s.list, srv)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = srv.Serve(ln)
	}()
	return "http://" + ln.Addr().String(), nil
}

func (s *servers) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, srv := range s.list {
		_ = srv.Shutdown(ctx)
	}
	s.wg.Wait()
}

func engine(config string) (*gray.Engine, error) {
	cfg, err := gray.ParseConfig([]byte(config))
	if err != nil {
		return nil, err
	}
	return gray.New(cfg)
}

// get calls url with ctx (whose decisions the client's gray.Transport
// signs) and returns the body.
func get(ctx context.Context, client *http.Client, url string, header http.Header) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: status %d: %s", url, resp.StatusCode, b)
	}
	return string(b), nil
}

func run(ctx context.Context, out io.Writer) error {
	// Every service shares the secret (from a secret store in production).
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	prop, err := gray.NewPropagator([][]byte{secret})
	if err != nil {
		return err
	}
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	// One client for every hop: gray.Transport signs the decisions of each
	// request's context with the propagator of the middleware that made them.
	client := &http.Client{Transport: gray.Transport(transport)}
	// The public's clients are plain ones.
	public := &http.Client{Transport: transport}

	var srvs servers
	defer srvs.stop()

	backendEngine, err := engine(backendConfig)
	if err != nil {
		return err
	}
	backendURL, err := srvs.start(gray.Middleware(backendEngine, gray.WithPropagator(prop))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "backend="+gray.Variant(r.Context(), rollout))
		})))
	if err != nil {
		return err
	}

	middleEngine, err := engine(middleConfig)
	if err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	middle := gin.New()
	middle.Use(graygin.Middleware(middleEngine, gray.WithPropagator(prop)))
	middle.GET("/", func(c *gin.Context) {
		next, err := get(c.Request.Context(), client, backendURL, nil)
		if err != nil {
			c.String(http.StatusBadGateway, err.Error())
			return
		}
		c.String(http.StatusOK, "middle=%s %s", graygin.Variant(c, rollout), next)
	})
	middleURL, err := srvs.start(middle)
	if err != nil {
		return err
	}

	edgeEngine, err := engine(edgeConfig)
	if err != nil {
		return err
	}
	// The edge keys each request by its signed-in user (a verified token,
	// never a header the client writes) and signs for the services behind.
	auth := demoauth.New() // stands in for your authentication
	edgeURL, err := srvs.start(gray.Middleware(edgeEngine,
		gray.WithKeyFunc(auth.UserID), gray.WithOutboundPropagator(prop))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			v := gray.Variant(r.Context(), rollout) // the edge decides
			next, err := get(r.Context(), client, middleURL, nil)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			_, _ = io.WriteString(w, "edge="+v+" "+next)
		})))
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "edge (net/http, %s at 20%%) -> middle (Gin, no %s) -> backend (net/http, %s at 0%%)\n",
		rollout, rollout, rollout)
	const users = 200
	var canary, canaryEverywhere, stable, stableEverywhere int
	for i := range users {
		user := fmt.Sprintf("user-%03d", i)
		got, err := get(ctx, public, edgeURL, http.Header{"Authorization": {"Bearer " + auth.Token(user)}})
		if err != nil {
			return err
		}
		if i < 12 {
			fmt.Fprintf(out, "  %s  %s\n", user, got)
		}
		switch got {
		case "edge=canary middle=canary backend=canary":
			canary++
			canaryEverywhere++
		case "edge=stable middle=stable backend=stable":
			stable++
			stableEverywhere++
		default:
			if strings.HasPrefix(got, "edge=canary") {
				canary++
			} else {
				stable++
			}
		}
	}
	fmt.Fprintf(out, "canary users canary at every hop: %d of %d\n", canaryEverywhere, canary)
	fmt.Fprintf(out, "stable users stable at every hop: %d of %d\n", stableEverywhere, stable)

	forged := http.Header{gray.PropagationHeader: {"v1|9999999999|user-000|checkout-v2=canary|" + strings.Repeat("A", 43)}}
	got, err := get(ctx, public, backendURL, forged)
	if err != nil {
		return err
	}
	st := prop.Stats()
	fmt.Fprintf(out, "a public client forging the header at the backend: %s (values trusted %d, rejected %d)\n",
		got, st.Accepted, st.Rejected())
	return nil
}
