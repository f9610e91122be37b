package gray_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/graykit/graykit/gray"
)

// The value of docs/propagation.md's worked example.
func ExamplePropagator_Sign() {
	expires := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p, err := gray.NewPropagator([][]byte{[]byte("graykit-example-secret-32-bytes!")},
		gray.WithPropagationClock(func() time.Time { return expires.Add(-gray.DefaultPropagationTTL) }))
	if err != nil {
		panic(err)
	}
	v, err := p.Sign("alice@example.com", []gray.Decision{
		{Rollout: "checkout-v2", Variant: "canary"},
		{Rollout: "search", Variant: "stable"},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(v)
	// Output:
	// v1|1767225600|alice%40example.com|checkout-v2=canary&search=stable|Zj-zTlx6HT3h8b3wL8L5fb9NB1Cl_lbwvYttOspuR_Q
}

func ExamplePropagator_Verify() {
	p, err := gray.NewPropagator([][]byte{[]byte("graykit-example-secret-32-bytes!")})
	if err != nil {
		panic(err)
	}
	v, _ := p.Sign("user-42", []gray.Decision{{Rollout: "checkout-v2", Variant: "canary"}})
	pv, err := p.Verify(v)
	fmt.Println(pv.Key, pv.Variants, err)
	_, err = p.Verify("v1|1767225600|user-42|checkout-v2=canary|")
	fmt.Println(err)
	fmt.Printf("%+v\n", p.Stats())
	// Output:
	// user-42 map[checkout-v2:canary] <nil>
	// gray: propagated value unsigned
	// {Signed:1 Dropped:0 Accepted:1 AcceptedOld:0 Oversized:0 Malformed:0 Unsigned:1 BadSignature:0 Expired:0 Future:0 KeyMismatch:0}
}

// An edge signs its decisions for the services behind it; those services
// follow them and pass them on.
func ExampleTransport() {
	secret := []byte("a shared secret of 32 bytes or more")
	prop, err := gray.NewPropagator([][]byte{secret})
	if err != nil {
		panic(err)
	}
	cfg, _ := gray.ParseConfig([]byte(`rollouts: [{name: checkout-v2, percent: 20}]`))
	engine, _ := gray.New(cfg)
	client := &http.Client{Transport: gray.Transport(nil)}

	// The edge: public traffic, so it signs but never trusts inbound values.
	edge := gray.Middleware(engine, gray.WithKeyFunc(signedInUser), gray.WithOutboundPropagator(prop))
	_ = edge(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = gray.Variant(r.Context(), "checkout-v2") // decide
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://inventory.internal/items", nil)
		resp, err := client.Do(req) // carries the signed decision
		if err == nil {
			resp.Body.Close()
		}
	}))

	// A service behind it: follows verified decisions, also for rollouts
	// its own configuration lacks, and forwards them with the same client.
	_ = gray.Middleware(engine, gray.WithPropagator(prop))
}

// signedInUser stands for the application's authentication: the user of
// a verified session. A public edge takes the subject key from there, never
// from a header the client writes (X-User-ID), with which any client could
// pick its bucket or a user named in a `key in [...]` rule.
func signedInUser(r *http.Request) string {
	c, err := r.Cookie("session")
	if err != nil {
		return ""
	}
	switch c.Value { // your session store
	case "s-3f9a":
		return "user-7"
	case "s-77c1":
		return "alice@example.com"
	}
	return ""
}
