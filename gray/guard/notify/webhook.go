package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The headers of the generic webhook.
const (
	HeaderEvent     = "X-Graykit-Event"
	HeaderDelivery  = "X-Graykit-Delivery"
	HeaderTimestamp = "X-Graykit-Timestamp"
	HeaderSignature = "X-Graykit-Signature"
)

// minSecretLen is the shortest generic webhook secret accepted.
const minSecretLen = 16

// ErrSignature is what [Verify] returns, wrapped, for a request it does
// not accept.
var ErrSignature = errors.New("notify: bad signature")

type webhook struct {
	url    string
	secret []byte
}

func (w *webhook) request(ctx context.Context, ev Event, now time.Time) (*http.Request, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderEvent, EventType)
	req.Header.Set(HeaderDelivery, ev.ID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, "v1="+hex.EncodeToString(sign(w.secret, ts, body)))
	return req, nil
}

func (w *webhook) check([]byte) error { return nil }

// sign is HMAC-SHA256(secret, timestamp + "." + body).
func sign(secret []byte, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Verify checks a generic webhook delivery, for receivers written in Go:
// header holds the request's headers and body its raw body. It accepts
// the delivery when X-Graykit-Signature holds a v1 signature of
// X-Graykit-Timestamp and body under secret (compared in constant time)
// and the timestamp is within tolerance of now, which bounds replays;
// otherwise it returns an error wrapping [ErrSignature]. Receivers in
// other languages compute hex(HMAC-SHA256(secret, timestamp + "." + body))
// and compare it with the header's value after "v1=".
func Verify(secret string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts := header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not Unix seconds", ErrSignature, HeaderTimestamp, ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("%w: timestamp is %v away from now, more than %v", ErrSignature, d.Round(time.Second), tolerance)
	}
	want := sign([]byte(secret), ts, body)
	for _, part := range strings.Split(header.Get(HeaderSignature), ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if !ok {
			continue
		}
		got, err := hex.DecodeString(v)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return fmt.Errorf("%w: no v1 signature in %s matches", ErrSignature, HeaderSignature)
}
