package notify

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Option configures a [Notifier]: a target (WithWebhook, WithSlack,
// WithDingTalk, WithFeishu; give one or more) or a setting.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	targets      []*target
	err          error // the first bad option
	source       string
	queue        int
	attempts     int
	firstBackoff time.Duration
	maxBackoff   time.Duration
	closeTimeout time.Duration
	client       *http.Client
	now          func() time.Time
	log          *slog.Logger
}

// addTarget adds a target named kind and the URL's host, or records why
// the URL is unusable.
func (c *config) addTarget(kind, rawURL string, s func(u *url.URL) (sender, error)) {
	if c.err != nil {
		return
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.err = fmt.Errorf("notify: %s: %q is not an http(s) URL", kind, redact(rawURL))
		return
	}
	snd, err := s(u)
	if err != nil {
		c.err = fmt.Errorf("notify: %s %s: %w", kind, u.Host, err)
		return
	}
	c.targets = append(c.targets, &target{name: kind + " " + u.Host, sender: snd})
}

// redact keeps a URL's scheme and host: the rest of a chat webhook's URL
// is its secret.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// WithWebhook adds a generic webhook: every event is POSTed to webhookURL as the
// JSON of [Event], signed with secret (at least 16 bytes) as [Verify]
// checks: headers X-Graykit-Timestamp (Unix seconds) and
// X-Graykit-Signature ("v1=" + hex HMAC-SHA256 of timestamp + "." + body).
// X-Graykit-Delivery holds the event ID, the same on every retry.
func WithWebhook(webhookURL, secret string) Option {
	return optionFunc(func(c *config) {
		c.addTarget("webhook", webhookURL, func(u *url.URL) (sender, error) {
			if len(secret) < minSecretLen {
				return nil, fmt.Errorf("secret is shorter than %d bytes", minSecretLen)
			}
			return &webhook{url: u.String(), secret: []byte(secret)}, nil
		})
	})
}

// WithSlack adds a Slack incoming webhook (https://hooks.slack.com/…): a
// message with the transition's headline and facts. Slack signs nothing
// here: the URL is the secret, so keep it out of source code.
func WithSlack(webhookURL string) Option {
	return optionFunc(func(c *config) {
		c.addTarget("slack", webhookURL, func(u *url.URL) (sender, error) { return &slack{url: u.String()}, nil })
	})
}

// WithDingTalk adds a DingTalk group robot
// (https://oapi.dingtalk.com/robot/send?access_token=…): a markdown
// message. With a secret (the robot's "加签" key, starting with SEC), each
// request is signed as DingTalk specifies: the URL gets timestamp (Unix
// milliseconds) and sign, the URL-encoded Base64 HMAC-SHA256, keyed with
// the secret, of timestamp + "\n" + secret. An empty secret suits a robot
// secured by keyword or IP; a keyword robot needs its keyword in every
// message, e.g. the application's name with [WithSource]. A refusal in
// the answer (errcode not 0) counts as a failure.
func WithDingTalk(webhookURL, secret string) Option {
	return optionFunc(func(c *config) {
		c.addTarget("dingtalk", webhookURL, func(u *url.URL) (sender, error) { return &dingtalk{url: u, secret: secret}, nil })
	})
}

// WithFeishu adds a Feishu or Lark custom bot
// (https://open.feishu.cn/open-apis/bot/v2/hook/… or
// https://open.larksuite.com/…): a rich-text ("post") message. With a
// secret (the bot's signature verification key) each body carries
// timestamp (Unix seconds) and sign, the Base64 HMAC-SHA256 keyed with
// timestamp + "\n" + secret over an empty message, as Feishu specifies. A
// refusal in the answer (code not 0) counts as a failure.
func WithFeishu(webhookURL, secret string) Option {
	return optionFunc(func(c *config) {
		c.addTarget("feishu", webhookURL, func(u *url.URL) (sender, error) { return &feishu{url: u.String(), secret: secret}, nil })
	})
}

// WithSource names the application in every event (Event.Source) and
// message headline, e.g. "shop-api". The default is none.
func WithSource(name string) Option {
	return optionFunc(func(c *config) { c.source = name })
}

// WithQueueSize sets how many events each target holds while it delivers
// or retries; further events are dropped and counted. The default is 256.
func WithQueueSize(n int) Option {
	return optionFunc(func(c *config) { c.queue = n })
}

// WithRetry sets how many attempts each delivery gets (default 5) and the
// backoff between them: first before the second attempt (default 1s),
// doubling up to max (default 1m), each with random jitter, and at least
// a receiver's Retry-After. Network errors, 408, 429 and 5xx answers are
// retried; other refusals are not.
func WithRetry(attempts int, first, max time.Duration) Option {
	return optionFunc(func(c *config) { c.attempts, c.firstBackoff, c.maxBackoff = attempts, first, max })
}

// WithCloseTimeout sets how long [Notifier.Close] keeps delivering what is
// queued before it gives up on the rest. The default is 5s.
func WithCloseTimeout(d time.Duration) Option {
	return optionFunc(func(c *config) { c.closeTimeout = d })
}

// WithHTTPClient sets the client deliveries use. The default has a 10s
// timeout per attempt.
func WithHTTPClient(client *http.Client) Option {
	return optionFunc(func(c *config) {
		if client != nil {
			c.client = client
		}
	})
}

// WithLogger sets where failed and dropped deliveries are logged (Warn for
// a retry or a drop, Error when a delivery is given up). The default is
// slog.Default().
func WithLogger(l *slog.Logger) Option {
	return optionFunc(func(c *config) {
		if l != nil {
			c.log = l
		}
	})
}

// WithClock sets the clock for signature timestamps. The default is
// time.Now.
func WithClock(now func() time.Time) Option {
	return optionFunc(func(c *config) {
		if now != nil {
			c.now = now
		}
	})
}
