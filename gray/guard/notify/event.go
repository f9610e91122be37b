package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/graykit/graykit/gray/guard"
)

// EventType is the Type of every [Event] and the X-Graykit-Event header of
// the generic webhook.
const EventType = "graykit.transition"

// Event is one transition of a rollout, as the generic webhook sends it
// (the JSON body) and as the chat formats word it.
type Event struct {
	// ID is "<rollout>@<version>": the same for every retry of one
	// delivery, so that a receiver can drop duplicates.
	ID   string `json:"id"`
	Type string `json:"type"`
	// Source names the application ([WithSource]); empty if not set.
	Source  string `json:"source,omitempty"`
	Rollout string `json:"rollout"`
	// Version, Phase, Step and Share are the state the transition produced.
	Version int64       `json:"version"`
	Phase   guard.Phase `json:"phase"`
	Step    int         `json:"step"`
	Share   float64     `json:"share"`
	// Transition is who did what, when and why, with the judge's evidence
	// when the judge acted.
	Transition guard.Transition `json:"transition"`
	// Summary is the transition in one line for people.
	Summary string `json:"summary"`
}

// NewEvent returns the event of a state as [guard.WithOnTransition] passes
// it.
func NewEvent(source string, s guard.State) Event {
	ev := Event{
		ID: s.Rollout + "@" + strconv.FormatInt(s.Version, 10), Type: EventType, Source: source,
		Rollout: s.Rollout, Version: s.Version, Phase: s.Phase, Step: s.Step, Share: s.Share,
		Transition: s.Last,
	}
	ev.Summary = ev.title()
	if t := s.Last; t.Reason != "" {
		ev.Summary += ": " + t.Reason
	}
	return ev
}

// verbs says what each action did, for people.
var verbs = map[guard.Action]string{
	guard.ActionStart:    "started",
	guard.ActionAdvance:  "advanced",
	guard.ActionPause:    "paused",
	guard.ActionResume:   "resumed",
	guard.ActionRollback: "ROLLED BACK",
	guard.ActionBrake:    "BRAKED",
	guard.ActionPromote:  "promoted",
	guard.ActionSetShare: "share set",
	// The judge asks a person to approve the next step.
	guard.ActionRequestApproval: "AWAITS APPROVAL",
	guard.ActionApprove:         "approved",
}

// title is e.g. "[shop] checkout-v2 ROLLED BACK by guard/web-1".
func (ev Event) title() string {
	verb, ok := verbs[ev.Transition.Action]
	if !ok {
		verb = string(ev.Transition.Action)
	}
	s := ev.Rollout + " " + verb + " by " + ev.Transition.Actor
	if ev.Source != "" {
		s = "[" + ev.Source + "] " + s
	}
	return s
}

// alarm reports whether the event stopped a canary: a rollback or brake.
func (ev Event) alarm() bool {
	a := ev.Transition.Action
	return a == guard.ActionRollback || a == guard.ActionBrake
}

// lines are the facts of the event, one per line, for chat formats; bold
// wraps a label the way the format marks it up.
func (ev Event) lines(bold func(string) string) []string {
	t := ev.Transition
	out := []string{
		bold("change") + " " + phaseShare(t.FromPhase, t.FromShare) + " → " + phaseShare(t.ToPhase, t.ToShare),
	}
	if t.Reason != "" {
		out = append(out, bold("why")+" "+t.Reason)
	}
	if e := t.Evidence; e != nil {
		out = append(out, bold("evidence")+" "+evidenceText(e))
	}
	out = append(out, bold("when")+" "+t.At.UTC().Format(time.RFC3339)+", state version "+strconv.FormatInt(ev.Version, 10))
	return out
}

func phaseShare(p guard.Phase, share float64) string {
	if p == "" {
		return strconv.FormatFloat(share, 'f', -1, 64) + "%"
	}
	return string(p) + " " + strconv.FormatFloat(share, 'f', -1, 64) + "%"
}

// evidenceText is the judge's reading in one line.
func evidenceText(e *guard.Evidence) string {
	var b strings.Builder
	fmt.Fprintf(&b, "canary %s vs stable %s", sampleText(e.Canary), sampleText(e.Stable))
	if e.Canary.Requests > 0 && e.Stable.Requests > 0 && e.Alpha > 0 {
		fmt.Fprintf(&b, "; error-rate difference %+.4f, in [%.4f, %.4f] with %.0f%% confidence",
			e.ErrorDiff, e.ErrorLower, e.ErrorUpper, 100*(1-e.Alpha))
	}
	return b.String()
}

func sampleText(s guard.Sample) string {
	if s.Requests == 0 {
		return "no requests"
	}
	text := fmt.Sprintf("%.2f%% errors of %d", 100*float64(s.Errors)/float64(s.Requests), s.Requests)
	if s.Latency > 0 {
		text += ", latency " + s.Latency.String()
	}
	return text
}
