package grayopenfeature_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cucumber/godog"
	of "github.com/open-feature/go-sdk/openfeature"
	"github.com/open-feature/go-sdk/openfeature/isolated"
	"github.com/stretchr/testify/assert"

	"github.com/graykit/graykit/adapters/grayopenfeature"
	"github.com/graykit/graykit/gray"
)

// The OpenFeature specification's Gherkin suites (testdata/gherkin, see its
// README), run against the provider with the spec's flags written as
// graykit configuration (testdata/flags.yaml).
//
// Scenarios that cannot apply to graykit are skipped by notApplicable, each
// with its reason, and TestGherkin checks that exactly those were skipped,
// so that nothing else can be skipped silently.

// notApplicable says why a scenario cannot apply, or "".
func notApplicable(sc *godog.Scenario) string {
	step := func(text string) bool {
		return slices.ContainsFunc(sc.Steps, func(s *godog.Step) bool { return s.Text == text })
	}
	switch {
	case sc.Name == "CACHED reason":
		return "CACHED: the provider evaluates in process on every call and caches nothing, so no answer is CACHED"
	case sc.Name == "DISABLED reason":
		return "DISABLED: the reason is DISABLED, but the value is the rollout's default variant's value, not the caller's fallback: graykit's brake means everyone gets the default variant"
	case strings.Contains(sc.Name, "metadata") && step(`a Boolean-flag with key "metadata-flag" and a fallback value "true"`),
		sc.Name == "Returns metadata":
		return "flag metadata: graykit's configuration has no free-form flag metadata; the provider's metadata is the decision's bucket and rule"
	case step("a not ready provider"), step("a error provider"), step("a fatal provider"):
		return "provider states NOT_READY, ERROR, FATAL: the provider is created over an engine that already holds a valid configuration, so its Init never fails and it cannot be in these states (STALE is tested)"
	}
	return ""
}

// wantSkipped counts the scenarios (outline rows included) notApplicable
// skips in each file.
var wantSkipped = map[string]int{
	// Provider states: "Provider not ready error" and "Provider in fatal
	// state error" (5 rows each) and 3 rows of "Provider status
	// accessibility" (stable and stale run).
	"evaluation_v2.feature": 2 /* CACHED */ + 5 /* DISABLED */ + 1 /* metadata */ + 13, /* states */
	"metadata.feature":      1,
}

func TestGherkin(t *testing.T) {
	data, err := os.ReadFile("testdata/flags.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := gray.ParseConfig(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{"evaluation.feature", "evaluation_v2.feature", "metadata.feature", "hooks.feature"} {
		t.Run(file, func(t *testing.T) {
			var mu sync.Mutex
			skipped := map[string]int{}
			suite := godog.TestSuite{
				Name: file,
				ScenarioInitializer: func(sc *godog.ScenarioContext) {
					w := &world{cfg: cfg}
					sc.Before(func(ctx context.Context, s *godog.Scenario) (context.Context, error) {
						if why := notApplicable(s); why != "" {
							mu.Lock()
							skipped[why]++
							mu.Unlock()
							return ctx, godog.ErrSkip // its steps are skipped
						}
						return ctx, nil
					})
					sc.After(func(ctx context.Context, _ *godog.Scenario, err error) (context.Context, error) {
						w.close()
						return ctx, err
					})
					w.steps(sc)
				},
				Options: &godog.Options{
					Format:   "pretty",
					Output:   testOutput{t},
					Paths:    []string{"testdata/gherkin/" + file},
					Strict:   true, // an undefined or pending step fails
					NoColors: true,
					TestingT: t,
				},
			}
			if suite.Run() != 0 {
				t.Fatal("the suite failed")
			}
			n := 0
			for why, c := range skipped {
				t.Logf("not applicable (%d): %s", c, why)
				n += c
			}
			assert.Equal(t, wantSkipped[file], n, "scenarios skipped as not applicable")
		})
	}
}

// testOutput writes godog's report to the test log.
type testOutput struct{ t *testing.T }

func (o testOutput) Write(p []byte) (int, error) {
	if testing.Verbose() {
		o.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// world is one scenario's state.
type world struct {
	cfg      *gray.Config
	api      *of.EvaluationAPI
	client   *of.Client
	provider *grayopenfeature.Provider

	flagType string // boolean, string, integer, float, object
	flagKey  string
	fallback any
	attrs    map[string]any
	opts     []of.Option

	value   any
	details of.EvaluationDetails
	err     error

	hooks       []*recordingHook
	order       *[]string
	original    of.EvaluationContext
	originalMap map[string]any
	elapsed     time.Duration
}

func (w *world) close() {
	if w.api != nil {
		_ = w.api.Shutdown(context.Background())
	}
}

func (w *world) provide(status string) error {
	e, err := gray.New(w.cfg)
	if err != nil {
		return err
	}
	w.provider = grayopenfeature.New(e)
	w.api = isolated.NewAPI()
	if err := w.api.SetProviderAndWait(context.Background(), w.provider); err != nil {
		return err
	}
	w.client = w.api.NewClient()
	if status == "stale" {
		w.provider.FileReloaded(errors.New("the watched file is invalid"))
		deadline := time.Now().Add(5 * time.Second)
		for w.client.State() != of.StaleState {
			if time.Now().After(deadline) {
				return fmt.Errorf("provider state %s, want STALE", w.client.State())
			}
			time.Sleep(time.Millisecond)
		}
	}
	return nil
}

func (w *world) steps(sc *godog.ScenarioContext) {
	sc.Step(`^a (stable|not ready|error|fatal|stale) provider$`, w.provide)
	sc.Step(`^a ([A-Za-z]+)-flag with key "([^"]*)" and a fallback value "(.*)"$`, w.flag)
	sc.Step(`^a context containing a key "([^"]*)", with type "([^"]*)" and with value "([^"]*)"$`, w.contextValue)
	sc.Step(`^a context containing a key "([^"]*)" with null value$`, func(key string) error {
		w.attr(key, nil)
		return nil
	})
	sc.Step(`^the flag was evaluated with details$`, func() error { w.evaluate(context.Background()); return nil })
	sc.Step(`^the resolved details value should be "(.*)"$`, w.resolvedValue)
	sc.Step(`^the reason should be "([^"]*)"$`, func(want string) error { return eq("reason", want, string(w.details.Reason)) })
	sc.Step(`^the error-code should be "([^"]*)"$`, func(want string) error { return eq("error code", want, string(w.details.ErrorCode)) })
	sc.Step(`^the flag key should be "([^"]*)"$`, func(want string) error { return eq("flag key", want, w.details.FlagKey) })
	sc.Step(`^the variant should be "([^"]*)"$`, func(want string) error { return eq("variant", want, w.details.Variant) })
	sc.Step(`^the resolved metadata is empty$`, func() error {
		if len(w.details.FlagMetadata) > 0 {
			return fmt.Errorf("metadata %v, want none", w.details.FlagMetadata)
		}
		return nil
	})
	sc.Step(`^the resolved metadata should contain$`, func(*godog.Table) error { return godog.ErrPending })
	sc.Step(`^the provider status should be "([^"]*)"$`, func(want string) error { return eq("status", want, string(w.client.State())) })

	// evaluation_v2: evaluation options, immutability, asynchrony.
	sc.Step(`^evaluation options containing specific hooks$`, func() error {
		w.order = &[]string{}
		w.hooks = []*recordingHook{{name: "first", order: w.order}, {name: "second", order: w.order}}
		w.opts = append(w.opts, of.WithHooks(w.hooks[0], w.hooks[1]))
		return nil
	})
	sc.Step(`^the flag was evaluated with details using the evaluation options$`, func() error { w.evaluate(context.Background()); return nil })
	sc.Step(`^the specified hooks should execute during evaluation$`, func() error {
		for _, h := range w.hooks {
			if !h.ran("before") || !h.ran("after") || !h.ran("finally") {
				return fmt.Errorf("hook %s ran %v", h.name, h.stages)
			}
		}
		return nil
	})
	sc.Step(`^the hook order should be maintained$`, func() error {
		// Before hooks run in the order given; after and finally in reverse.
		return eq("hook order", "first.before second.before second.after first.after second.finally first.finally", strings.Join(*w.order, " "))
	})
	sc.Step(`^an evaluation context with modifiable data$`, func() error {
		w.attrs = map[string]any{"team": "staff", "age": 42}
		w.originalMap = maps.Clone(w.attrs)
		w.original = of.NewEvaluationContext("user-1", w.attrs)
		return nil
	})
	sc.Step(`^the original evaluation context should remain unmodified$`, func() error {
		if !reflect.DeepEqual(w.original.Attributes(), w.originalMap) || w.original.TargetingKey() != "user-1" {
			return fmt.Errorf("context changed: %v", w.original.Attributes())
		}
		return nil
	})
	sc.Step(`^the evaluation details should be immutable$`, func() error {
		// Details are values; the metadata map is the caller's own copy.
		if w.details.FlagMetadata == nil {
			return nil
		}
		w.details.FlagMetadata["bucket"] = "changed"
		again := w.evalDetails(context.Background())
		if again.FlagMetadata["bucket"] == "changed" {
			return errors.New("metadata shared between evaluations")
		}
		return nil
	})
	sc.Step(`^the flag was evaluated with details asynchronously$`, func() error {
		done := make(chan struct{})
		start := time.Now()
		go func() {
			defer close(done)
			w.evaluate(context.Background())
		}()
		select {
		case <-done:
			w.elapsed = time.Since(start)
			return nil
		case <-time.After(5 * time.Second):
			return errors.New("evaluation did not complete")
		}
	})
	sc.Step(`^the evaluation should complete without blocking$`, func() error {
		if w.elapsed > time.Second {
			return fmt.Errorf("evaluation took %v", w.elapsed)
		}
		return nil
	})

	// hooks.feature.
	sc.Step(`^a client with added hook$`, func() error {
		w.order = &[]string{}
		w.hooks = []*recordingHook{{name: "hook", order: w.order}}
		w.client.AddHooks(w.hooks[0])
		return nil
	})
	sc.Step(`^the "([^"]*)" hook should have been executed$`, func(stage string) error {
		if !w.hooks[0].ran(stage) {
			return fmt.Errorf("%s did not run; ran %v", stage, w.hooks[0].stages)
		}
		return nil
	})
	sc.Step(`^the "([^"]*)" hooks should be called with evaluation details$`, w.hookDetails)

	// evaluation.feature (the first suite).
	typed := func(typ string) func(key string, def string) error {
		return func(key, def string) error {
			if err := w.flag(typ, key, def); err != nil {
				return err
			}
			w.evaluate(context.Background())
			return nil
		}
	}
	for _, typ := range []string{"boolean", "string"} {
		sc.Step(`^a `+typ+` flag with key "([^"]*)" is evaluated with default value "([^"]*)"$`, typed(typ))
		sc.Step(`^a `+typ+` flag with key "([^"]*)" is evaluated with details and default value "([^"]*)"$`, typed(typ))
	}
	for _, typ := range []string{"integer", "float"} {
		num := `(-?\d+(?:\.\d+)?)`
		sc.Step(`^an? `+typ+` flag with key "([^"]*)" is evaluated with default value `+num+`$`, typed(typ))
		sc.Step(`^an? `+typ+` flag with key "([^"]*)" is evaluated with details and default value `+num+`$`, typed(typ))
	}
	objectNull := func(key string) error { return typed("object")(key, "null") }
	sc.Step(`^an object flag with key "([^"]*)" is evaluated with a null default value$`, objectNull)
	sc.Step(`^an object flag with key "([^"]*)" is evaluated with details and a null default value$`, objectNull)
	sc.Step(`^the resolved (?:boolean|string|integer|float) (?:details )?value should be "?([^"]*)"?$`, w.resolvedValue)
	sc.Step(`^the resolved (?:boolean|string|integer|float) details value should be "?([^",]*)"?, the variant should be "([^"]*)", and the reason should be "([^"]*)"$`,
		func(value, variant, reason string) error {
			return errors.Join(w.resolvedValue(value), eq("variant", variant, w.details.Variant), eq("reason", reason, string(w.details.Reason)))
		})
	sc.Step(`^the resolved object (?:details )?value should be contain fields "([^"]*)", "([^"]*)", and "([^"]*)", with values "([^"]*)", "([^"]*)" and (\d+), respectively$`,
		func(f1, f2, f3, v1, v2, v3 string) error {
			m, ok := w.value.(map[string]any)
			if !ok {
				return fmt.Errorf("value %#v is not an object", w.value)
			}
			return errors.Join(eq(f1, v1, fmt.Sprint(m[f1])), eq(f2, v2, fmt.Sprint(m[f2])), eq(f3, v3, fmt.Sprint(m[f3])))
		})
	sc.Step(`^context contains keys "([^"]*)", "([^"]*)", "([^"]*)", "([^"]*)" with values "([^"]*)", "([^"]*)", (\d+), "([^"]*)"$`,
		func(k1, k2, k3, k4, v1, v2, v3, v4 string) error {
			age, err := strconv.Atoi(v3)
			w.attr(k1, v1)
			w.attr(k2, v2)
			w.attr(k3, age)
			w.attr(k4, v4)
			return err
		})
	sc.Step(`^a flag with key "([^"]*)" is evaluated with default value "([^"]*)"$`, typed("string"))
	sc.Step(`^the resolved string response should be "([^"]*)"$`, w.resolvedValue)
	sc.Step(`^the resolved flag value is "([^"]*)" when the context is empty$`, func(want string) error {
		w.attrs = nil
		w.evaluate(context.Background())
		return w.resolvedValue(want)
	})
	sc.Step(`^a non-existent string flag with key "([^"]*)" is evaluated with details and a fallback value "([^"]*)"$`, typed("string"))
	sc.Step(`^a string flag with key "([^"]*)" is evaluated as an integer, with details and a fallback value (\d+)$`, typed("integer"))
	sc.Step(`^the default (?:string|integer) value should be returned$`, func() error {
		return eq("value", fmt.Sprint(w.fallback), fmt.Sprint(w.value))
	})
	sc.Step(`^the reason should indicate an error and the error code should indicate a (?:missing flag|type mismatch) with "([^"]*)"$`, func(code string) error {
		return errors.Join(eq("reason", string(of.ErrorReason), string(w.details.Reason)), eq("error code", code, string(w.details.ErrorCode)))
	})
	sc.Step(`^the variant should be "([^"]*)", and the reason should be "([^"]*)"$`, func(variant, reason string) error {
		return errors.Join(eq("variant", variant, w.details.Variant), eq("reason", reason, string(w.details.Reason)))
	})
}

func eq(what, want, got string) error {
	if want != got {
		return fmt.Errorf("%s: got %q, want %q", what, got, want)
	}
	return nil
}

func (w *world) attr(k string, v any) {
	if w.attrs == nil {
		w.attrs = map[string]any{}
	}
	w.attrs[k] = v
}

// flag records the flag to evaluate and its fallback, read for its type.
func (w *world) flag(typ, key, fallback string) error {
	w.flagType, w.flagKey = strings.ToLower(typ), key
	v, err := parseAs(w.flagType, fallback)
	w.fallback = v
	return err
}

// parseAs reads a value of the step's text for a flag type; "null" is nil
// for an object.
func parseAs(typ, s string) (any, error) {
	switch typ {
	case "boolean":
		return strconv.ParseBool(s)
	case "string":
		return s, nil
	case "integer":
		return strconv.ParseInt(s, 10, 64)
	case "float":
		return strconv.ParseFloat(s, 64)
	case "object":
		var v any
		err := json.Unmarshal([]byte(strings.ReplaceAll(s, `\"`, `"`)), &v)
		return v, err
	}
	return nil, fmt.Errorf("unknown flag type %q", typ)
}

func (w *world) contextValue(key, typ, value string) error {
	var v any
	var err error
	switch typ {
	case "String":
		v = value
	case "Integer":
		v, err = strconv.ParseInt(value, 10, 64)
	case "Float":
		v, err = strconv.ParseFloat(value, 64)
	case "Boolean":
		v, err = strconv.ParseBool(value)
	default:
		err = fmt.Errorf("unknown context type %q", typ)
	}
	w.attr(key, v)
	return err
}

func (w *world) evalContext() of.EvaluationContext {
	if w.originalMap != nil {
		return w.original
	}
	return of.NewTargetlessEvaluationContext(w.attrs)
}

func (w *world) evaluate(ctx context.Context) {
	w.details = w.evalDetails(ctx)
}

// evalDetails evaluates the flag as its type and records the value.
func (w *world) evalDetails(ctx context.Context) of.EvaluationDetails {
	ec := w.evalContext()
	switch w.flagType {
	case "boolean":
		d, err := w.client.BooleanValueDetails(ctx, w.flagKey, w.fallback.(bool), ec, w.opts...)
		w.value, w.err = d.Value, err
		return d.EvaluationDetails
	case "string":
		d, err := w.client.StringValueDetails(ctx, w.flagKey, w.fallback.(string), ec, w.opts...)
		w.value, w.err = d.Value, err
		return d.EvaluationDetails
	case "integer":
		d, err := w.client.IntValueDetails(ctx, w.flagKey, w.fallback.(int64), ec, w.opts...)
		w.value, w.err = d.Value, err
		return d.EvaluationDetails
	case "float":
		d, err := w.client.FloatValueDetails(ctx, w.flagKey, w.fallback.(float64), ec, w.opts...)
		w.value, w.err = d.Value, err
		return d.EvaluationDetails
	default:
		d, err := w.client.ObjectValueDetails(ctx, w.flagKey, w.fallback, ec, w.opts...)
		w.value, w.err = d.Value, err
		return d.EvaluationDetails
	}
}

// resolvedValue compares the value with the step's text, read for the
// flag's type.
func (w *world) resolvedValue(want string) error {
	v, err := parseAs(w.flagType, want)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(v, w.value) {
		return fmt.Errorf("value %#v, want %#v (details %+v)", w.value, v, w.details)
	}
	return nil
}

// hookDetails checks what the hook's stages saw against the table.
func (w *world) hookDetails(stages string, table *godog.Table) error {
	var errs []error
	for _, stage := range strings.Split(stages, ", ") {
		d, ok := w.hooks[0].details[stage]
		if !ok {
			errs = append(errs, fmt.Errorf("%s did not run", stage))
			continue
		}
		got := map[string]string{
			"flag_key": d.FlagKey, "value": fmt.Sprint(d.Value), "variant": d.Variant,
			"reason": string(d.Reason), "error_code": string(d.ErrorCode),
		}
		for _, row := range table.Rows[1:] {
			key, want := row.Cells[1].Value, row.Cells[2].Value
			if want == "null" {
				want = ""
			}
			if err := eq(stage+" "+key, want, got[key]); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// recordingHook records the stages it ran in and the details it saw.
type recordingHook struct {
	of.UnimplementedHook
	name    string
	order   *[]string
	mu      sync.Mutex
	stages  []string
	details map[string]of.InterfaceEvaluationDetails
}

func (h *recordingHook) record(stage string, d *of.InterfaceEvaluationDetails) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stages = append(h.stages, stage)
	*h.order = append(*h.order, h.name+"."+stage)
	if d != nil {
		if h.details == nil {
			h.details = map[string]of.InterfaceEvaluationDetails{}
		}
		h.details[stage] = *d
	}
}

func (h *recordingHook) ran(stage string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Contains(h.stages, stage)
}

func (h *recordingHook) Before(context.Context, of.HookContext, of.HookHints) (*of.EvaluationContext, error) {
	h.record("before", nil)
	return nil, nil
}

func (h *recordingHook) After(_ context.Context, _ of.HookContext, d of.InterfaceEvaluationDetails, _ of.HookHints) error {
	h.record("after", &d)
	return nil
}

func (h *recordingHook) Error(context.Context, of.HookContext, error, of.HookHints) {
	h.record("error", nil)
}

func (h *recordingHook) Finally(_ context.Context, _ of.HookContext, d of.InterfaceEvaluationDetails, _ of.HookHints) {
	h.record("finally", &d)
}
