package notify_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/gray/guard/notify"
)

// A receiver of the generic webhook checks the signature before it trusts
// the body; a Notifier fed by the guard sends every transition there.
func Example() {
	const secret = "whsec-0123456789abcdef"
	got := make(chan string, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := notify.Verify(secret, r.Header, body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		got <- r.Header.Get(notify.HeaderDelivery)
	}))
	defer receiver.Close()

	n, err := notify.New(notify.WithSource("shop-api"), notify.WithWebhook(receiver.URL, secret))
	if err != nil {
		panic(err)
	}
	// In an application: guard.New(engine, store, guard.WithOnTransition(n.Notify)).
	n.Notify(guard.State{
		Rollout: "checkout-v2", Version: 7, Phase: guard.PhaseRolledBack,
		Last: guard.Transition{Action: guard.ActionBrake, Actor: "olga", Reason: "p99 alarm"},
	})
	n.Close() // delivers what is queued
	fmt.Println("verified delivery", <-got)
	fmt.Println(notify.NewEvent("shop-api", guard.State{
		Rollout: "checkout-v2", Version: 7,
		Last: guard.Transition{Action: guard.ActionBrake, Actor: "olga", Reason: "p99 alarm"},
	}).Summary)
	// Output:
	// verified delivery checkout-v2@7
	// [shop-api] checkout-v2 BRAKED by olga: p99 alarm
}
