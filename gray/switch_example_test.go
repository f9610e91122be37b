package gray_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/graykit/graykit/gray"
)

// A Switch routes a whole route to the handler of the request's variant;
// users on any other variant, and requests outside the middleware, get the
// fallback. Here staff reach the new search at once, everyone else at 0%.
func ExampleNewSwitch() {
	cfg, err := gray.ParseConfig([]byte(`
rollouts:
  - name: search-v2
    percent: 0
    rules: [{name: staff, when: {field: key, suffix: "@example.com"}, serve: canary}]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	engine, err := gray.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	oldSearch := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "old search") })
	newSearch := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "new search") })
	sw := gray.NewSwitch("search-v2", oldSearch).Handle("canary", newSearch)

	// The key is the signed-in user, as the application's authentication
	// established it (here a stand-in that trusts a header, for the example).
	user := func(r *http.Request) string { return r.Header.Get("X-Authenticated-User") }
	handler := gray.Middleware(engine, gray.WithKeyFunc(user))(sw)

	for _, u := range []string{"ana@example.com", "bob@mail.test"} {
		r := httptest.NewRequest(http.MethodGet, "/search?q=shoes", nil)
		r.Header.Set("X-Authenticated-User", u)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Println(u, "->", w.Body.String())
	}
	// Outside the middleware nothing was decided: the fallback serves.
	w := httptest.NewRecorder()
	sw.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/search", nil))
	fmt.Println("no middleware ->", w.Body.String())
	// Output:
	// ana@example.com -> new search
	// bob@mail.test -> old search
	// no middleware -> old search
}
