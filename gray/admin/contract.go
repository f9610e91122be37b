package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/graykit/graykit/dualwrite/contract"
)

// maxContractPeriod bounds api/contract's period: the guard keeps windows
// for 7 days by default, so a longer period would claim more than it knows.
const maxContractPeriod = 30 * 24 * time.Hour

// contractCheck answers GET api/contract/{migration}?period=24h: whether
// the migration's old side was read or written on any replica within the
// period (a [contract.Readiness]).
func (h *Handler) contractCheck(r *http.Request, _ Principal) (any, error) {
	if h.cfg.Backend == nil {
		return nil, errNoBackend
	}
	period := h.cfg.ContractPeriod
	if s := r.URL.Query().Get("period"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 || d > maxContractPeriod {
			return nil, badRequest("period %q is not a duration from 1s to %v, e.g. 24h", s, maxContractPeriod)
		}
		period = d
	}
	name := r.PathValue("migration")
	if name == "" || len(name) > 200 {
		return nil, badRequest("give a migration name of at most 200 bytes")
	}
	return contract.Check(r.Context(), h.cfg.Backend, name, period, h.cfg.Clock())
}

// contracts checks the migrations bound to a rollout; a failing backend
// shows as no data (never as unused).
func (h *Handler) contracts(ctx context.Context, rollout string, now time.Time) []contract.Readiness {
	names := h.cfg.Migrations[rollout]
	if len(names) == 0 || h.cfg.Backend == nil {
		return nil
	}
	out := make([]contract.Readiness, 0, len(names))
	for _, name := range names {
		rd, err := contract.Check(ctx, h.cfg.Backend, name, h.cfg.ContractPeriod, now)
		if err != nil {
			h.cfg.Logger.Error("admin: contract readiness", "migration", name, "err", err)
			rd = contract.Readiness{Migration: name, Verdict: contract.NoData, From: now.Add(-h.cfg.ContractPeriod), To: now, Replicas: []contract.ReplicaUsage{}}
		}
		out = append(out, rd)
	}
	return out
}
