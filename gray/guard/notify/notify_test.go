package notify_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/graykit/graykit/gray"
	"github.com/graykit/graykit/gray/guard"
	"github.com/graykit/graykit/gray/guard/notify"
)

const secret = "SECexample0123456789"

var at = time.Date(2025, 12, 1, 3, 0, 0, 0, time.UTC)

func clock() time.Time { return at }

// delivery is one request a receiver got.
type delivery struct {
	header http.Header
	query  url.Values
	body   []byte
}

// receiver is a loopback server that records what it gets and answers
// with the next of its scripted answers (the last one repeats).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []delivery
	answers []answer
	// arrived, if set, gets a value when a request arrives, before it is
	// answered; release, if set, must give one before it is.
	arrived chan struct{}
	release chan struct{}
}

type answer struct {
	status int
	body   string
}

func newReceiver(t *testing.T, answers ...answer) *receiver {
	t.Helper()
	rc := &receiver{answers: answers}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, delivery{header: r.Header.Clone(), query: r.URL.Query(), body: body})
		a := rc.answers[min(len(rc.got), len(rc.answers))-1]
		rc.mu.Unlock()
		if rc.arrived != nil {
			rc.arrived <- struct{}{}
		}
		if rc.release != nil {
			select {
			case <-rc.release:
			case <-r.Context().Done():
				return
			}
		}
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

var (
	ok          = answer{http.StatusOK, "ok"}
	dingOK      = answer{http.StatusOK, `{"errcode":0,"errmsg":"ok"}`}
	feishuOK    = answer{http.StatusOK, `{"code":0,"msg":"success","data":{}}`}
	unavailable = answer{http.StatusServiceUnavailable, "try later"}
)

// rolledBack is the state after the judge's rollback, with its evidence.
func rolledBack() guard.State {
	ev := &guard.Evidence{
		Verdict: guard.VerdictRegress, Why: "error rate 0.2000 vs stable 0.0100", Alpha: 0.05,
		Canary:    guard.Sample{Requests: 500, Errors: 100, ErrorRate: 0.2},
		Stable:    guard.Sample{Requests: 5000, Errors: 50, ErrorRate: 0.01},
		ErrorDiff: 0.19, ErrorLower: 0.15, ErrorUpper: 0.23,
	}
	return guard.State{
		Rollout: "checkout-v2", Version: 7, Phase: guard.PhaseRolledBack, Step: -1,
		Last: guard.Transition{
			Action: guard.ActionRollback, Actor: "guard/web-1", Reason: ev.Why, At: at,
			FromPhase: guard.PhaseRunning, ToPhase: guard.PhaseRolledBack, FromShare: 5, Evidence: ev,
		},
	}
}

func quiet() notify.Option { return notify.WithLogger(slog.New(slog.DiscardHandler)) }

func fast() notify.Option { return notify.WithRetry(4, time.Millisecond, 2*time.Millisecond) }

// TestFormats delivers one rollback to a receiver of every kind and checks
// each the way its service does: the signature, then the body's shape.
func TestFormats(t *testing.T) {
	tests := []struct {
		name   string
		answer answer
		target func(u string) notify.Option
		check  func(t *testing.T, d delivery)
	}{
		{
			name: "generic webhook", answer: ok,
			target: func(u string) notify.Option { return notify.WithWebhook(u, secret) },
			check: func(t *testing.T, d delivery) {
				ts := d.header.Get("X-Graykit-Timestamp")
				assert.Equal(t, strconv.FormatInt(at.Unix(), 10), ts)
				m := hmac.New(sha256.New, []byte(secret))
				m.Write([]byte(ts + "." + string(d.body)))
				assert.Equal(t, "v1="+hex.EncodeToString(m.Sum(nil)), d.header.Get("X-Graykit-Signature"))
				require.NoError(t, notify.Verify(secret, d.header, d.body, at.Add(time.Minute), 5*time.Minute))
				assert.Equal(t, "checkout-v2@7", d.header.Get("X-Graykit-Delivery"))
				assert.Equal(t, notify.EventType, d.header.Get("X-Graykit-Event"))
				var ev notify.Event
				require.NoError(t, json.Unmarshal(d.body, &ev))
				assert.Equal(t, "checkout-v2@7", ev.ID)
				assert.Equal(t, "shop-api", ev.Source)
				assert.Equal(t, guard.PhaseRolledBack, ev.Phase)
				assert.Equal(t, guard.ActionRollback, ev.Transition.Action)
				assert.Equal(t, "guard/web-1", ev.Transition.Actor)
				require.NotNil(t, ev.Transition.Evidence)
				assert.Equal(t, uint64(100), ev.Transition.Evidence.Canary.Errors)
				assert.Equal(t, "[shop-api] checkout-v2 ROLLED BACK by guard/web-1: error rate 0.2000 vs stable 0.0100", ev.Summary)
			},
		},
		{
			name: "Slack incoming webhook", answer: ok,
			target: notify.WithSlack,
			check: func(t *testing.T, d delivery) {
				var msg struct {
					Text   string `json:"text"`
					Blocks []struct {
						Type string `json:"type"`
						Text struct {
							Type string `json:"type"`
							Text string `json:"text"`
						} `json:"text"`
					} `json:"blocks"`
				}
				require.NoError(t, json.Unmarshal(d.body, &msg))
				assert.Contains(t, msg.Text, "checkout-v2 ROLLED BACK by guard/web-1")
				require.Len(t, msg.Blocks, 2)
				for _, b := range msg.Blocks {
					assert.Equal(t, "section", b.Type)
					assert.Equal(t, "mrkdwn", b.Text.Type)
				}
				assert.Equal(t, ":rotating_light: *[shop-api] checkout-v2 ROLLED BACK by guard/web-1*", msg.Blocks[0].Text.Text)
				assert.Contains(t, msg.Blocks[1].Text.Text, "*evidence* canary 20.00% errors of 500 vs stable 1.00% errors of 5000")
				assert.Contains(t, msg.Blocks[1].Text.Text, "*change* running 5% → rolled-back 0%")
			},
		},
		{
			name: "DingTalk robot with a secret", answer: dingOK,
			target: func(u string) notify.Option { return notify.WithDingTalk(u+"/robot/send?access_token=tok", secret) },
			check: func(t *testing.T, d delivery) {
				assert.Equal(t, "tok", d.query.Get("access_token"))
				ts := d.query.Get("timestamp")
				assert.Equal(t, strconv.FormatInt(at.UnixMilli(), 10), ts, "milliseconds")
				m := hmac.New(sha256.New, []byte(secret))
				m.Write([]byte(ts + "\n" + secret))
				assert.Equal(t, base64.StdEncoding.EncodeToString(m.Sum(nil)), d.query.Get("sign"))
				var msg struct {
					MsgType  string `json:"msgtype"`
					Markdown struct {
						Title string `json:"title"`
						Text  string `json:"text"`
					} `json:"markdown"`
				}
				require.NoError(t, json.Unmarshal(d.body, &msg))
				assert.Equal(t, "markdown", msg.MsgType)
				assert.Equal(t, "[shop-api] checkout-v2 ROLLED BACK by guard/web-1", msg.Markdown.Title)
				assert.Contains(t, msg.Markdown.Text, "- **why** error rate 0.2000 vs stable 0.0100")
			},
		},
		{
			name: "Feishu bot with a secret", answer: feishuOK,
			target: func(u string) notify.Option { return notify.WithFeishu(u+"/open-apis/bot/v2/hook/abc", secret) },
			check: func(t *testing.T, d delivery) {
				var msg struct {
					Timestamp string `json:"timestamp"`
					Sign      string `json:"sign"`
					MsgType   string `json:"msg_type"`
					Content   struct {
						Post map[string]struct {
							Title   string `json:"title"`
							Content [][]struct {
								Tag  string `json:"tag"`
								Text string `json:"text"`
							} `json:"content"`
						} `json:"post"`
					} `json:"content"`
				}
				require.NoError(t, json.Unmarshal(d.body, &msg))
				assert.Equal(t, strconv.FormatInt(at.Unix(), 10), msg.Timestamp, "seconds")
				m := hmac.New(sha256.New, []byte(msg.Timestamp+"\n"+secret)) // keyed with the string to sign
				assert.Equal(t, base64.StdEncoding.EncodeToString(m.Sum(nil)), msg.Sign)
				assert.Equal(t, "post", msg.MsgType)
				post := msg.Content.Post["zh_cn"]
				assert.Equal(t, "[shop-api] checkout-v2 ROLLED BACK by guard/web-1", post.Title)
				require.NotEmpty(t, post.Content)
				assert.Equal(t, "text", post.Content[0][0].Tag)
				assert.Equal(t, "change: running 5% → rolled-back 0%", post.Content[0][0].Text)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, tt.answer)
			n, err := notify.New(tt.target(rc.URL), notify.WithSource("shop-api"), notify.WithClock(clock), quiet())
			require.NoError(t, err)
			n.Notify(rolledBack())
			require.NoError(t, n.Close()) // delivers what is queued
			got := rc.deliveries()
			require.Len(t, got, 1)
			tt.check(t, got[0])
			st := n.Stats()
			require.Len(t, st, 1)
			assert.Equal(t, uint64(1), st[0].Sent)
			assert.Zero(t, st[0].Failed+st[0].Dropped+st[0].Retries)
		})
	}
}

// TestSignatureKnownAnswers pins the chat services' signing schemes to
// values computed independently (Python's hmac module).
func TestSignatureKnownAnswers(t *testing.T) {
	assert.Equal(t, "L6vEt1ALnh4H8Q35PFKW2MPSm4lWozxDxNZqhs87wBM=", notify.DingTalkSign(secret, "1764558000000"))
	assert.Equal(t, "ZcDUmWh3Vv+9IROeIK7XL6c6kwZbGswOLU4d8xgPpUM=", notify.FeishuSign(secret, "1764558000"))
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name        string
		answers     []answer
		target      func(u string) notify.Option
		wantSent    uint64
		wantFailed  uint64
		wantRetries uint64
	}{
		{name: "5xx then ok", answers: []answer{unavailable, unavailable, ok}, target: notify.WithSlack, wantSent: 1, wantRetries: 2},
		{name: "429 then ok", answers: []answer{{http.StatusTooManyRequests, "slow down"}, ok}, target: notify.WithSlack, wantSent: 1, wantRetries: 1},
		{name: "5xx until the last attempt", answers: []answer{unavailable}, target: notify.WithSlack, wantFailed: 1, wantRetries: 3},
		{name: "4xx is not retried", answers: []answer{{http.StatusBadRequest, "invalid_payload"}}, target: notify.WithSlack, wantFailed: 1},
		{
			name: "DingTalk too fast, then ok", answers: []answer{{http.StatusOK, `{"errcode":130101,"errmsg":"send too fast"}`}, dingOK},
			target: func(u string) notify.Option { return notify.WithDingTalk(u, "") }, wantSent: 1, wantRetries: 1,
		},
		{
			name: "DingTalk refuses the signature with 200", answers: []answer{{http.StatusOK, `{"errcode":310000,"errmsg":"sign not match"}`}},
			target: func(u string) notify.Option { return notify.WithDingTalk(u, secret) }, wantFailed: 1,
		},
		{
			name: "Feishu refuses the signature with 200", answers: []answer{{http.StatusOK, `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}`}},
			target: func(u string) notify.Option { return notify.WithFeishu(u, secret) }, wantFailed: 1,
		},
		{
			name: "Feishu's older answer", answers: []answer{{http.StatusOK, `{"Extra":null,"StatusCode":0,"StatusMessage":"success"}`}},
			target: func(u string) notify.Option { return notify.WithFeishu(u, "") }, wantSent: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := newReceiver(t, tt.answers...)
			n, err := notify.New(tt.target(rc.URL), fast(), quiet())
			require.NoError(t, err)
			n.Notify(rolledBack())
			require.NoError(t, n.Close())
			st := n.Stats()[0]
			assert.Equal(t, tt.wantSent, st.Sent, "sent")
			assert.Equal(t, tt.wantFailed, st.Failed, "failed")
			assert.Equal(t, tt.wantRetries, st.Retries, "retries")
			assert.Len(t, rc.deliveries(), int(1+tt.wantRetries))
		})
	}
}

// TestQueueIsBoundedAndNeverBlocks holds the receiver on the first
// delivery: Notify keeps returning, queues one more, drops the rest.
func TestQueueIsBoundedAndNeverBlocks(t *testing.T) {
	rc := newReceiver(t, ok)
	rc.arrived, rc.release = make(chan struct{}), make(chan struct{})
	n, err := notify.New(notify.WithSlack(rc.URL), notify.WithQueueSize(1), quiet())
	require.NoError(t, err)
	n.Notify(rolledBack())
	<-rc.arrived // the worker holds the first event
	for range 3 {
		n.Notify(rolledBack()) // one queued, two dropped
	}
	assert.Equal(t, uint64(2), n.Stats()[0].Dropped)
	go func() {
		for range 2 {
			rc.release <- struct{}{}
		}
	}()
	<-rc.arrived
	require.NoError(t, n.Close())
	st := n.Stats()[0]
	assert.Equal(t, uint64(2), st.Sent)
	n.Notify(rolledBack())
	assert.Equal(t, uint64(3), n.Stats()[0].Dropped, "after Close, events are dropped")
}

// TestCloseGivesUp: a receiver that never answers holds Close only for
// the close timeout, and the delivery counts as failed.
func TestCloseGivesUp(t *testing.T) {
	rc := newReceiver(t, ok)
	rc.arrived, rc.release = make(chan struct{}, 1), make(chan struct{}) // never released
	n, err := notify.New(notify.WithSlack(rc.URL), notify.WithCloseTimeout(10*time.Millisecond), quiet())
	require.NoError(t, err)
	n.Notify(rolledBack())
	<-rc.arrived
	require.NoError(t, n.Close())
	require.NoError(t, n.Close(), "idempotent")
	assert.Equal(t, uint64(1), n.Stats()[0].Failed)
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name string
		give []notify.Option
		want string
	}{
		{name: "no target", give: nil, want: "notify: no target"},
		{name: "not a URL", give: []notify.Option{notify.WithSlack("hooks.slack.com/services/x")}, want: "is not an http(s) URL"},
		{name: "short secret", give: []notify.Option{notify.WithWebhook("https://example.com/hook", "short")}, want: "secret is shorter than 16 bytes"},
		{name: "no attempt", give: []notify.Option{notify.WithSlack("https://hooks.slack.com/x"), notify.WithRetry(0, time.Second, time.Second)}, want: "0 attempts"},
		{name: "zero queue", give: []notify.Option{notify.WithSlack("https://hooks.slack.com/x"), notify.WithQueueSize(0)}, want: "queue size 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := notify.New(tt.give...)
			require.ErrorContains(t, err, tt.want)
		})
	}
	_, err := notify.New(notify.WithSlack("ftp://hooks.slack.com/services/T0/B0/SECRETPART"))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "SECRETPART", "the URL's path is its secret")
}

func TestVerify(t *testing.T) {
	body := []byte(`{"id":"checkout-v2@7"}`)
	signed := func(key string, ts time.Time, b []byte) http.Header {
		h := http.Header{}
		s := strconv.FormatInt(ts.Unix(), 10)
		m := hmac.New(sha256.New, []byte(key))
		m.Write([]byte(s + "." + string(b)))
		h.Set("X-Graykit-Timestamp", s)
		h.Set("X-Graykit-Signature", "v1="+hex.EncodeToString(m.Sum(nil)))
		return h
	}
	tests := []struct {
		name string
		give http.Header
		want bool
	}{
		{name: "good", give: signed(secret, at, body), want: true},
		{name: "wrong secret", give: signed("another-secret-0123456789", at, body)},
		{name: "another body", give: signed(secret, at, []byte(`{"id":"checkout-v2@8"}`))},
		{name: "too old", give: signed(secret, at.Add(-10*time.Minute), body)},
		{name: "from the future", give: signed(secret, at.Add(10*time.Minute), body)},
		{name: "unsigned", give: http.Header{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := notify.Verify(secret, tt.give, body, at, 5*time.Minute)
			if tt.want {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, notify.ErrSignature)
			}
		})
	}
}

// TestFedByTheGuard wires a notifier to guard actions: a person's brake
// reaches the webhook with who and why.
func TestFedByTheGuard(t *testing.T) {
	rc := newReceiver(t, ok)
	n, err := notify.New(notify.WithWebhook(rc.URL, secret), quiet())
	require.NoError(t, err)
	engine, err := gray.New(&gray.Config{Rollouts: []gray.Rollout{{Name: "banner", Percent: 10}}})
	require.NoError(t, err)
	a, err := guard.NewActions(guard.NewMemoryStore(), guard.PlansFromEngine(engine),
		guard.WithEngine(engine), guard.WithOnTransition(n.Notify), guard.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	_, err = a.Brake(t.Context(), "banner", "olga", "p99 alarm")
	require.NoError(t, err)
	require.NoError(t, n.Close())
	got := rc.deliveries()
	require.Len(t, got, 1)
	require.NoError(t, notify.Verify(secret, got[0].header, got[0].body, time.Now(), time.Minute))
	var ev notify.Event
	require.NoError(t, json.Unmarshal(got[0].body, &ev))
	assert.Equal(t, "banner@1", ev.ID)
	assert.Equal(t, guard.ActionBrake, ev.Transition.Action)
	assert.Equal(t, "olga", ev.Transition.Actor)
	assert.Equal(t, "p99 alarm", ev.Transition.Reason)
	assert.Equal(t, "banner BRAKED by olga: p99 alarm", ev.Summary)
}
