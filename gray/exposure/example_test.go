package exposure_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/exposure"
)

// An exposure log in JSON lines: one line per rollout a request decided,
// with the subject's key and the allowed attributes. Close exports what is
// buffered.
func ExampleNewRecorder() {
	cfg, _ := gray.ParseConfig([]byte(`
rollouts:
  - name: checkout-v2
    percent: 5
    rules: [{name: staff, when: {field: key, in: [u-1]}, serve: canary}]
`))
	engine, _ := gray.New(cfg)

	// exposure.NewJSONExporter(os.Stdout) in production; here the time is
	// left out so that the output is the same on every run.
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	jsonLines := exposure.NewSlogExporter(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: noTime}))
	rec, err := exposure.NewRecorder(jsonLines, exposure.WithAttributes("region"))
	if err != nil {
		log.Fatal(err)
	}
	attrs := gray.WithAttributes(func(context.Context, gray.Request) map[string]string {
		return map[string]string{"region": "eu", "email": "not exported"}
	})
	handler := gray.Middleware(engine, gray.WithKeyFromHeader("X-User"), attrs, gray.WithObserver(rec))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Println("serving", gray.Variant(r.Context(), "checkout-v2"))
		}))

	req := httptest.NewRequest(http.MethodGet, "/checkout", nil)
	req.Header.Set("X-User", "u-1")
	handler.ServeHTTP(httptest.NewRecorder(), req)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rec.Close(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%+v\n", rec.Stats())
	// Output:
	// serving canary
	// {"level":"INFO","msg":"gray.exposure","rollout":"checkout-v2","variant":"canary","default":"stable","reason":"rule","rule":"staff","bucket":8622,"subject":"u-1","attrs":{"region":"eu"}}
	// {Recorded:1 Exported:1 Dropped:0 Failed:0}
}

// With a secret, keys leave the process as keyed hashes; HashKey gives the
// same pseudonym for joining with outcomes.
func ExampleHashKey() {
	secret := []byte("0123456789abcdef-secret")
	fmt.Println(exposure.HashKey(secret, "alice@example.com"))
	// Output:
	// 13e14219e1d4e5b45729c2b369aca32083dd8547d19746a827aca4ebecc37051
}
