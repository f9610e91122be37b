package guard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Querier runs an instant query against a metrics backend and returns its
// one value. The controller uses it for the plan's metrics of kind
// prometheus (gray.PlanMetric), once per variant per tick.
type Querier interface {
	Query(ctx context.Context, query string) (float64, error)
}

// Prometheus is a [Querier] over the Prometheus HTTP API (an instant
// query, GET /api/v1/query), with nothing but net/http. Any server that
// speaks that API answers it: Prometheus, Thanos, Mimir, VictoriaMetrics.
// It is safe for concurrent use.
type Prometheus struct {
	endpoint *url.URL
	client   *http.Client
	header   http.Header
}

// ErrNoData is returned when a query's result holds no sample, e.g. no
// request of that variant was scraped yet.
var ErrNoData = errors.New("guard: query returned no data")

// NewPrometheus returns a querier for the server at base, e.g.
// "http://127.0.0.1:9090" (a path prefix is kept). A nil client means a
// client with a 10s timeout. header is sent with every query (e.g.
// Authorization); it may be nil.
func NewPrometheus(base string, client *http.Client, header http.Header) (*Prometheus, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("guard: prometheus address: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("guard: prometheus address %q: want http(s)://host[:port][/prefix]", base)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/query"
	u.RawQuery, u.Fragment = "", ""
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	return &Prometheus{endpoint: u, client: client, header: header.Clone()}, nil
}

// promResponse is the envelope of every Prometheus API answer.
type promResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// Query runs an instant query at the current time. The result must be a
// scalar or a vector of exactly one sample (aggregate with sum(), avg(),
// … otherwise); an empty vector gives [ErrNoData]; NaN is an error too.
func (p *Prometheus) Query(ctx context.Context, query string) (float64, error) {
	u := *p.endpoint
	u.RawQuery = url.Values{"query": {query}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("guard: prometheus: %w", err)
	}
	for k, v := range p.header {
		req.Header[k] = v
	}
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("guard: prometheus: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, fmt.Errorf("guard: prometheus: %w", err)
	}
	var r promResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return 0, fmt.Errorf("guard: prometheus: HTTP %d, not an API answer: %.200q", resp.StatusCode, body)
	}
	if r.Status != "success" {
		return 0, fmt.Errorf("guard: prometheus: %s: %s", r.ErrorType, r.Error)
	}
	var sample [2]json.RawMessage // [unix time, "value"]
	switch r.Data.ResultType {
	case "scalar":
		if err := json.Unmarshal(r.Data.Result, &sample); err != nil {
			return 0, fmt.Errorf("guard: prometheus: scalar: %w", err)
		}
	case "vector":
		var vec []struct {
			Value [2]json.RawMessage `json:"value"`
		}
		if err := json.Unmarshal(r.Data.Result, &vec); err != nil {
			return 0, fmt.Errorf("guard: prometheus: vector: %w", err)
		}
		switch len(vec) {
		case 0:
			return 0, ErrNoData
		case 1:
			sample = vec[0].Value
		default:
			return 0, fmt.Errorf("guard: prometheus: the query returned %d series, not 1: aggregate it (sum, avg, max)", len(vec))
		}
	default:
		return 0, fmt.Errorf("guard: prometheus: result type %q, not scalar or vector", r.Data.ResultType)
	}
	var text string
	if err := json.Unmarshal(sample[1], &text); err != nil {
		return 0, fmt.Errorf("guard: prometheus: sample value: %w", err)
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return 0, fmt.Errorf("guard: prometheus: sample value %q: %w", text, err)
	}
	if math.IsNaN(v) {
		return 0, fmt.Errorf("%w (NaN, e.g. a ratio of no requests)", ErrNoData)
	}
	return v, nil
}
