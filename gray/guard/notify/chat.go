package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

func postJSON(ctx context.Context, u string, v any) (*http.Request, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	return req, nil
}

// slack formats for Slack incoming webhooks: text (the notification's
// fallback) and blocks.
type slack struct{ url string }

func (s *slack) request(ctx context.Context, ev Event, _ time.Time) (*http.Request, error) {
	head := "*" + slackEscape(ev.title()) + "*"
	if ev.alarm() {
		head = ":rotating_light: " + head
	}
	facts := ev.lines(func(s string) string { return "*" + s + "*" })
	return postJSON(ctx, s.url, map[string]any{
		"text": ev.Summary,
		"blocks": []any{
			map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": head}},
			map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": slackEscape(strings.Join(facts, "\n"))}},
		},
	})
}

// check: Slack answers 200 "ok"; refusals come with 4xx.
func (s *slack) check([]byte) error { return nil }

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// dingtalk formats for DingTalk group robots: a markdown message.
type dingtalk struct {
	url    *url.URL
	secret string
}

func (d *dingtalk) request(ctx context.Context, ev Event, now time.Time) (*http.Request, error) {
	u := *d.url
	if d.secret != "" {
		ts := strconv.FormatInt(now.UnixMilli(), 10)
		q := u.Query()
		q.Set("timestamp", ts)
		q.Set("sign", DingTalkSign(d.secret, ts))
		u.RawQuery = q.Encode()
	}
	head := ev.title()
	text := "#### " + head + "\n\n- " + strings.Join(ev.lines(func(s string) string { return "**" + s + "**" }), "\n- ")
	return postJSON(ctx, u.String(), map[string]any{
		"msgtype":  "markdown",
		"markdown": map[string]string{"title": head, "text": text},
	})
}

// check reads DingTalk's answer, {"errcode":0,"errmsg":"ok"}. 130101
// (sending too fast) is worth retrying; other codes (a bad signature,
// token, keyword or IP) are not.
func (d *dingtalk) check(body []byte) error {
	var r struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.ErrCode == nil {
		return &permanentError{fmt.Errorf("dingtalk: unexpected answer %q", snippet(body))}
	}
	switch *r.ErrCode {
	case 0:
		return nil
	case 130101:
		return fmt.Errorf("dingtalk: errcode %d: %s", *r.ErrCode, r.ErrMsg)
	default:
		return &permanentError{fmt.Errorf("dingtalk: errcode %d: %s", *r.ErrCode, r.ErrMsg)}
	}
}

// DingTalkSign is the sign parameter of a DingTalk robot request at
// timestamp (Unix milliseconds, as text), before URL encoding: the Base64
// HMAC-SHA256, keyed with secret, of timestamp + "\n" + secret.
func DingTalkSign(secret, timestamp string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// feishu formats for Feishu/Lark custom bots: a rich-text post.
type feishu struct {
	url    string
	secret string
}

func (f *feishu) request(ctx context.Context, ev Event, now time.Time) (*http.Request, error) {
	var content [][]map[string]string
	for _, l := range ev.lines(func(s string) string { return s + ":" }) {
		content = append(content, []map[string]string{{"tag": "text", "text": l}})
	}
	msg := map[string]any{
		"msg_type": "post",
		"content": map[string]any{"post": map[string]any{
			"zh_cn": map[string]any{"title": ev.title(), "content": content},
		}},
	}
	if f.secret != "" {
		ts := strconv.FormatInt(now.Unix(), 10)
		msg["timestamp"], msg["sign"] = ts, FeishuSign(f.secret, ts)
	}
	return postJSON(ctx, f.url, msg)
}

// check reads Feishu's answer, {"code":0,"msg":"success"} (older bots:
// {"StatusCode":0}). 11232 (frequency limited) is worth retrying; other
// codes (a bad signature, keyword or IP) are not.
func (f *feishu) check(body []byte) error {
	var r struct {
		Code       *int   `json:"code"`
		Msg        string `json:"msg"`
		StatusCode *int   `json:"StatusCode"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return &permanentError{fmt.Errorf("feishu: unexpected answer %q", snippet(body))}
	}
	code := r.Code
	if code == nil {
		code = r.StatusCode
	}
	switch {
	case code == nil:
		return &permanentError{fmt.Errorf("feishu: unexpected answer %q", snippet(body))}
	case *code == 0:
		return nil
	case *code == 11232:
		return fmt.Errorf("feishu: code %d: %s", *code, r.Msg)
	default:
		return &permanentError{fmt.Errorf("feishu: code %d: %s", *code, r.Msg)}
	}
}

// FeishuSign is the sign field of a Feishu/Lark bot message at timestamp
// (Unix seconds, as text): the Base64 HMAC-SHA256 keyed with
// timestamp + "\n" + secret over an empty message.
func FeishuSign(secret, timestamp string) string {
	m := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
