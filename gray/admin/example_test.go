package admin_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/admin"
)

// A console with one read-only token, asked who the caller is and why
// user-42 gets the canary.
func ExampleNew() {
	cfg, err := gray.ParseConfig([]byte("rollouts: [{name: checkout-v2, percent: 5}]"))
	if err != nil {
		log.Fatal(err)
	}
	engine, err := gray.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	console, err := admin.New(admin.Config{
		Engine: engine,
		Tokens: []admin.Token{{Name: "grafana", Secret: "read-only-token-0123", Role: admin.RoleViewer}},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/ops/graykit/", http.StripPrefix("/ops/graykit", console))

	req := httptest.NewRequest(http.MethodGet, "/ops/graykit/api/whoami", nil)
	req.Header.Set("Authorization", "Bearer read-only-token-0123")
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	fmt.Print(rec.Code, " ", rec.Body.String())

	res, err := admin.Explain(engine, admin.ExplainRequest{Rollout: "checkout-v2", Key: "user-42"})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Decision.Variant, res.Summary)
	// Output:
	// 200 {
	//   "name": "grafana",
	//   "role": "viewer",
	//   "can_act": false
	// }
	// canary no rule matched; bucket 27 is inside canary's range
}
