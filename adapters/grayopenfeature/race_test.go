package grayopenfeature_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/stretchr/testify/assert"

	"github.com/graykit/graykit/adapters/grayopenfeature"
	"github.com/graykit/graykit/gray"
)

// Evaluations, reloads, overrides, health reports and tracking at once:
// for the race detector, and every answer is one of the configured ones.
func TestConcurrentUse(t *testing.T) {
	e := newEngine(t, testConfig)
	tc := grayopenfeature.NewTrackCounters()
	p := grayopenfeature.New(e, grayopenfeature.WithTrackObserver(tc), grayopenfeature.WithObserver(gray.NewCounters()))
	_, client := newClient(t, p)
	base := e.Config()

	stop := make(chan struct{})
	var writer sync.WaitGroup
	writer.Add(1)
	go func() { // the operator, the file, the store
		defer writer.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			pct := float64(i % 100)
			assert.NoError(t, e.SetOverride("flag-bool", gray.Override{Percent: &pct}))
			assert.NoError(t, e.Update(base))
			p.FileReloaded(nil)
			if i%7 == 0 {
				p.StoreTicked(errors.New("flaky"))
			} else {
				p.StoreTicked(nil)
			}
		}
	}()
	var evaluators sync.WaitGroup
	for g := range 4 {
		evaluators.Add(1)
		go func() {
			defer evaluators.Done()
			for i := range 300 {
				ec := of.NewEvaluationContext("user-"+strconv.Itoa(g*1000+i), map[string]any{"team": "dev", "version": i})
				_, err := client.BooleanValue(context.Background(), "flag-bool", false, ec)
				assert.NoError(t, err)
				o, err := client.ObjectValue(context.Background(), "flag-object", nil, ec)
				assert.NoError(t, err)
				assert.Contains(t, []any{map[string]any{"a": 1.0}, map[string]any{"a": 2.0, "list": []any{"x", 3.0}}}, o)
				client.Track(context.Background(), "seen", ec, of.NewTrackingEventDetails(1))
			}
		}()
	}
	evaluators.Wait()
	close(stop)
	writer.Wait()
	seen := tc.Stats("flag-bool", "on", "seen").Count + tc.Stats("flag-bool", "off", "seen").Count
	assert.Equal(t, uint64(4*300), seen, "every event attributed to one side of flag-bool")
}
