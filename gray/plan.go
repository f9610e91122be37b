package gray

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Plan is the schedule of a guarded rollout: the shares its canary walks
// through, how long and on how many requests each step must hold, and the
// settings of the judge that decides, from outcome counts, to advance, hold
// or roll back. The gray engine only validates a plan; package
// github.com/graykit/graykit/gray/guard runs it. The zero value is valid and
// means every default.
//
// In YAML or JSON, under a rollout:
//
//	plan:
//	  steps: [1, 5, 20, 50, 100]
//	  hold: 10m
//	  min_requests: 1000
//	  guard: {alpha: 0.05, latency_quantile: 0.9, latency_ratio: 1.2}
//
// Durations are strings such as "90s" or "10m".
type Plan struct {
	// Steps are the canary's shares, in percent, strictly increasing, each
	// above 0 and at most 100 with at most two decimals. Passing the last
	// step promotes the canary to 100%. Empty means [DefaultPlanSteps].
	Steps []float64 `yaml:"steps,omitempty" json:"steps,omitempty"`
	// Hold is the least time a step lasts before the next. Zero means
	// [DefaultPlanHold].
	Hold time.Duration `yaml:"hold,omitempty" json:"hold,omitempty"`
	// MinRequests is the least number of canary requests, over all
	// replicas, a step must see before the next. Zero means
	// [DefaultPlanMinRequests].
	MinRequests uint64 `yaml:"min_requests,omitempty" json:"min_requests,omitempty"`
	// Guard holds the judge's settings.
	Guard PlanGuard `yaml:"guard,omitempty" json:"guard,omitempty"`
	// Approve lists the steps (shares from Steps, or 100 for the
	// promotion past the last one) that wait for a person's approval
	// before they are entered: when the judge would advance into one, the
	// rollout awaits approval at its share instead, and goes on only when
	// someone approves (it may still be rolled back meanwhile). Empty:
	// the judge advances on its own.
	Approve []float64 `yaml:"approve,omitempty" json:"approve,omitempty"`
	// Window, when set, is when the judge may advance: outside it the
	// judge still rolls back a worse canary but never advances or
	// promotes. Nil means at any time.
	Window *PlanWindow `yaml:"window,omitempty" json:"window,omitempty"`
}

// PlanWindow is a weekly time window in one time zone, e.g. working
// hours:
//
//	window: {days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00", time_zone: Asia/Shanghai}
type PlanWindow struct {
	// Days are the weekdays it is open, as mon, tue, wed, thu, fri, sat,
	// sun. Empty means every day.
	Days []string `yaml:"days,omitempty" json:"days,omitempty"`
	// From and To bound each open day's hours, "HH:MM" in 24-hour time,
	// From included and To excluded; From before To. Empty From means
	// 00:00, empty To the end of the day.
	From string `yaml:"from,omitempty" json:"from,omitempty"`
	To   string `yaml:"to,omitempty" json:"to,omitempty"`
	// TimeZone is an IANA name such as "Europe/Berlin". Empty means UTC.
	TimeZone string `yaml:"time_zone,omitempty" json:"time_zone,omitempty"`
}

// NeedsApproval reports whether entering share waits for a person's
// approval (see Plan.Approve).
func (p Plan) NeedsApproval(share float64) bool {
	return slices.Contains(p.Approve, share)
}

// Contains reports whether t falls in the window. A nil window contains
// every time; a window that does not validate contains none.
func (w *PlanWindow) Contains(t time.Time) bool {
	if w == nil {
		return true
	}
	loc, from, to, days, err := w.parse()
	if err != nil {
		return false
	}
	t = t.In(loc)
	if len(days) > 0 && !slices.Contains(days, t.Weekday()) {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	return m >= from && m < to
}

// String describes the window, e.g. "mon-fri 09:00-18:00 Asia/Shanghai".
func (w *PlanWindow) String() string {
	if w == nil {
		return "any time"
	}
	days := "every day"
	if len(w.Days) > 0 {
		days = strings.Join(w.Days, ",")
	}
	from, to, zone := w.From, w.To, w.TimeZone
	if from == "" {
		from = "00:00"
	}
	if to == "" {
		to = "24:00"
	}
	if zone == "" {
		zone = "UTC"
	}
	return days + " " + from + "-" + to + " " + zone
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// parse returns the window's location, its open minutes of the day
// [from, to) and its days.
func (w *PlanWindow) parse() (loc *time.Location, from, to int, days []time.Weekday, err error) {
	loc = time.UTC
	if w.TimeZone != "" {
		if loc, err = time.LoadLocation(w.TimeZone); err != nil {
			return nil, 0, 0, nil, fmt.Errorf("time_zone: %q is not a known time zone", w.TimeZone)
		}
	}
	for _, d := range w.Days {
		wd, ok := weekdays[strings.ToLower(d)]
		if !ok {
			return nil, 0, 0, nil, fmt.Errorf("days: %q is not mon, tue, wed, thu, fri, sat or sun", d)
		}
		days = append(days, wd)
	}
	if from, err = clockMinutes(w.From, 0); err != nil {
		return nil, 0, 0, nil, fmt.Errorf("from: %w", err)
	}
	if to, err = clockMinutes(w.To, 24*60); err != nil {
		return nil, 0, 0, nil, fmt.Errorf("to: %w", err)
	}
	if from >= to {
		return nil, 0, 0, nil, fmt.Errorf("from: %s is not before to (%s)", w.From, w.To)
	}
	return loc, from, to, days, nil
}

// clockMinutes parses "HH:MM" (00:00 to 24:00) into minutes, or returns
// def for "".
func clockMinutes(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || len(h) != 2 || len(m) != 2 || err1 != nil || err2 != nil || hh > 24 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not a time of day such as \"09:00\"", s)
	}
	return hh*60 + mm, nil
}

// PlanGuard holds the settings of the judge of a guarded rollout. Zero
// fields mean their defaults.
type PlanGuard struct {
	// Interval is the length of the time windows in which replicas record
	// outcome counts for the judge. Default 10s. How often the judge looks
	// is the controller's poll (guard.WithPollInterval), the same default.
	Interval time.Duration `yaml:"interval,omitempty" json:"interval,omitempty"`
	// Alpha bounds the probability that one test ever raises a false alarm
	// over the whole rollout, however often it looks (0 < alpha ≤ 0.5).
	// Default 0.05.
	Alpha float64 `yaml:"alpha,omitempty" json:"alpha,omitempty"`
	// MinRequests is the least number of canary requests since the
	// rollout started before the judge may roll back. Default 200.
	MinRequests uint64 `yaml:"min_requests,omitempty" json:"min_requests,omitempty"`
	// ErrorEffect is the increase in error rate (canary minus stable, as
	// a fraction) the error test is tuned to detect fastest: the scale of
	// its mixture. Any increase is detected eventually. Default 0.01.
	ErrorEffect float64 `yaml:"error_effect,omitempty" json:"error_effect,omitempty"`
	// ErrorTolerance is the increase in error rate (canary minus stable,
	// a fraction) a team accepts: the judge rolls back only when the
	// increase is above it with confidence 1−Alpha. 0, the default, rolls
	// back any increase it is confident of, however small, given enough
	// requests. It is at most MaxErrorIncrease; a canary whose increase
	// lies between the two holds at its step.
	ErrorTolerance float64 `yaml:"error_tolerance,omitempty" json:"error_tolerance,omitempty"`
	// MaxErrorIncrease gates advancing: the canary moves to the next step
	// only when the upper confidence bound of its error rate minus the
	// stable one is at most this (a fraction). Default 0.01.
	MaxErrorIncrease float64 `yaml:"max_error_increase,omitempty" json:"max_error_increase,omitempty"`
	// LatencyQuantile is the latency quantile compared (0 < q < 1).
	// Default 0.9.
	LatencyQuantile float64 `yaml:"latency_quantile,omitempty" json:"latency_quantile,omitempty"`
	// LatencyRatio rolls back a canary whose LatencyQuantile is, with
	// confidence, above this multiple of the stable one (≥ 1). Default 1.2.
	LatencyRatio float64 `yaml:"latency_ratio,omitempty" json:"latency_ratio,omitempty"`
	// Metrics are further metrics the judge weighs: outcomes the
	// application tracks (gray.Track) and Prometheus queries; see
	// [PlanMetric]. Empty: errors and latency only.
	Metrics []PlanMetric `yaml:"metrics,omitempty" json:"metrics,omitempty"`
	// DisableLatency turns the latency test off.
	DisableLatency bool `yaml:"disable_latency,omitempty" json:"disable_latency,omitempty"`
	// OnRegression is what the judge does when it finds the canary worse:
	// "rollback" (the brake, the default) or "pause" (a person decides).
	OnRegression string `yaml:"on_regression,omitempty" json:"on_regression,omitempty"`
}

// Plan defaults.
const (
	DefaultPlanHold              = 10 * time.Minute
	DefaultPlanMinRequests       = 1000
	DefaultGuardInterval         = 10 * time.Second
	DefaultGuardAlpha            = 0.05
	DefaultGuardMinRequests      = 200
	DefaultGuardErrorEffect      = 0.01
	DefaultGuardMaxErrorIncrease = 0.01
	DefaultGuardLatencyQuantile  = 0.9
	DefaultGuardLatencyRatio     = 1.2
	OnRegressionRollback         = "rollback"
	OnRegressionPause            = "pause"
)

// DefaultPlanSteps returns the default steps: 1, 5, 20, 50, 100.
func DefaultPlanSteps() []float64 { return []float64{1, 5, 20, 50, 100} }

// WithDefaults returns a copy of p with every zero field set to its
// default.
func (p Plan) WithDefaults() Plan {
	if len(p.Steps) == 0 {
		p.Steps = DefaultPlanSteps()
	} else {
		p.Steps = slices.Clone(p.Steps)
	}
	p.Approve = slices.Clone(p.Approve)
	if p.Window != nil {
		w := *p.Window
		w.Days = slices.Clone(w.Days)
		p.Window = &w
	}
	if p.Hold == 0 {
		p.Hold = DefaultPlanHold
	}
	if p.MinRequests == 0 {
		p.MinRequests = DefaultPlanMinRequests
	}
	g := &p.Guard
	if g.Interval == 0 {
		g.Interval = DefaultGuardInterval
	}
	if g.Alpha == 0 {
		g.Alpha = DefaultGuardAlpha
	}
	if g.MinRequests == 0 {
		g.MinRequests = DefaultGuardMinRequests
	}
	if g.ErrorEffect == 0 {
		g.ErrorEffect = DefaultGuardErrorEffect
	}
	if g.MaxErrorIncrease == 0 {
		g.MaxErrorIncrease = DefaultGuardMaxErrorIncrease
	}
	if g.LatencyQuantile == 0 {
		g.LatencyQuantile = DefaultGuardLatencyQuantile
	}
	if g.LatencyRatio == 0 {
		g.LatencyRatio = DefaultGuardLatencyRatio
	}
	if g.OnRegression == "" {
		g.OnRegression = OnRegressionRollback
	}
	if g.Metrics != nil {
		ms := make([]PlanMetric, len(g.Metrics))
		for i, m := range g.Metrics {
			ms[i] = m.WithDefaults()
		}
		g.Metrics = ms
	}
	return p
}

// Validate reports what is wrong with p, as a [*ConfigError] whose paths
// start with "plan", or nil.
func (p *Plan) Validate() error {
	var ps problems
	validatePlan(p, (*path)(nil).field("plan"), &ps)
	return ps.err()
}

// validatePlan adds p's problems, each under path. A nil plan is valid.
func validatePlan(p *Plan, at *path, ps *problems) {
	if p == nil {
		return
	}
	prev := 0.0
	for i, s := range p.Steps {
		sp := at.field("steps").elem(i)
		switch msg := checkPercent(s); {
		case msg != "":
			ps.report(sp, msg)
		case s == 0:
			ps.add(sp, "0 is not a step (steps are above 0)")
		case s <= prev:
			ps.add(sp, "%v is not above the step before (%v); steps increase", s, prev)
		default:
			prev = s
		}
	}
	if p.Hold < 0 {
		ps.add(at.field("hold"), "%v is negative", p.Hold)
	}
	steps := p.Steps
	if len(steps) == 0 {
		steps = DefaultPlanSteps()
	}
	for i, a := range p.Approve {
		if a != 100 && !slices.Contains(steps, a) {
			ps.add(at.field("approve").elem(i), "%v is not one of the steps (%v) nor 100", a, steps)
		}
	}
	if p.Window != nil {
		if _, _, _, _, err := p.Window.parse(); err != nil {
			field, msg, _ := strings.Cut(err.Error(), ": ")
			ps.add(at.field("window").field(field), "%s", msg)
		}
	}
	g := &p.Guard
	gp := at.field("guard")
	if g.Interval < 0 {
		ps.add(gp.field("interval"), "%v is negative", g.Interval)
	} else if g.Interval > 0 && g.Interval < 100*time.Millisecond {
		ps.add(gp.field("interval"), "%v is below 100ms", g.Interval)
	}
	if bad(g.Alpha) || g.Alpha < 0 || g.Alpha > 0.5 {
		ps.add(gp.field("alpha"), "%v is not in (0, 0.5]", g.Alpha)
	}
	if bad(g.ErrorEffect) || g.ErrorEffect < 0 || g.ErrorEffect > 1 {
		ps.add(gp.field("error_effect"), "%v is not in (0, 1]", g.ErrorEffect)
	}
	if bad(g.MaxErrorIncrease) || g.MaxErrorIncrease < 0 || g.MaxErrorIncrease > 1 {
		ps.add(gp.field("max_error_increase"), "%v is not in (0, 1]", g.MaxErrorIncrease)
	}
	if bad(g.ErrorTolerance) || g.ErrorTolerance < 0 || g.ErrorTolerance >= 1 {
		ps.add(gp.field("error_tolerance"), "%v is not in [0, 1)", g.ErrorTolerance)
	} else if maxInc := cmp.Or(g.MaxErrorIncrease, DefaultGuardMaxErrorIncrease); g.ErrorTolerance > maxInc && !bad(maxInc) {
		ps.add(gp.field("error_tolerance"), "%v is above max_error_increase (%v): such a canary would hold forever", g.ErrorTolerance, maxInc)
	}
	if bad(g.LatencyQuantile) || g.LatencyQuantile < 0 || g.LatencyQuantile >= 1 {
		ps.add(gp.field("latency_quantile"), "%v is not in (0, 1)", g.LatencyQuantile)
	}
	if bad(g.LatencyRatio) || (g.LatencyRatio != 0 && g.LatencyRatio < 1) {
		ps.add(gp.field("latency_ratio"), "%v is below 1", g.LatencyRatio)
	}
	validateMetrics(g.Metrics, gp.field("metrics"), ps)
	switch g.OnRegression {
	case "", OnRegressionRollback, OnRegressionPause:
	default:
		ps.add(gp.field("on_regression"), "%q is not rollback or pause", g.OnRegression)
	}
}

func bad(f float64) bool { return math.IsNaN(f) || math.IsInf(f, 0) }

// MarshalJSON writes Hold as a duration string ("10m0s"), the form the
// configuration parser reads, so a Config with a plan round-trips through
// encoding/json.
func (p Plan) MarshalJSON() ([]byte, error) {
	type plain Plan // without this method
	return json.Marshal(struct {
		plain
		Hold string `json:"hold,omitempty"`
	}{plain(p), durationText(p.Hold)})
}

// MarshalJSON writes Interval as a duration string, as [Plan.MarshalJSON]
// does for Hold.
func (g PlanGuard) MarshalJSON() ([]byte, error) {
	type plain PlanGuard
	return json.Marshal(struct {
		plain
		Interval string `json:"interval,omitempty"`
	}{plain(g), durationText(g.Interval)})
}

func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

// UnmarshalJSON reads what MarshalJSON writes; a number is taken as
// nanoseconds, as encoding/json wrote time.Duration before.
func (p *Plan) UnmarshalJSON(data []byte) error {
	type plain Plan
	aux := struct {
		*plain
		Hold jsonDuration `json:"hold,omitempty"`
	}{plain: (*plain)(p)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	p.Hold = time.Duration(aux.Hold)
	return nil
}

// UnmarshalJSON reads what MarshalJSON writes, as [Plan.UnmarshalJSON].
func (g *PlanGuard) UnmarshalJSON(data []byte) error {
	type plain PlanGuard
	aux := struct {
		*plain
		Interval jsonDuration `json:"interval,omitempty"`
	}{plain: (*plain)(g)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	g.Interval = time.Duration(aux.Interval)
	return nil
}

// jsonDuration decodes "90s" or a number of nanoseconds.
type jsonDuration time.Duration

func (d *jsonDuration) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("gray: %w", err)
		}
		*d = jsonDuration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(data, &n); err != nil {
		return fmt.Errorf("gray: a duration is a string such as \"10m\": %s", data)
	}
	*d = jsonDuration(n)
	return nil
}
