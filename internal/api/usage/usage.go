// Package usage serves GET /v1/sovereign/usage: the same report as `sovereign report --json`,
// over HTTP, for dashboards and scripts.
//
// Query parameters: since, until (a date such as 2026-11-01, an RFC 3339 time, or an age such
// as 24h or 7d; since defaults to 30d), by (comma-separated day, model, route, task, provider,
// caller; default day), model, route, task, caller.
package usage

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/ledger"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/report"
)

// Handler serves the usage report.
type Handler struct {
	Store ledger.Store
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
}

// Serve answers one request; errors are *llm.Error values for the caller's error writer.
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request) error {
	now := time.Now
	if h.Now != nil {
		now = h.Now
	}
	q := r.URL.Query()
	get := func(k, def string) string {
		if v, ok := q[k]; ok {
			return v[0]
		}
		return def
	}
	rq := report.Query{By: report.ParseBy(get("by", "day")), Model: q.Get("model"), Route: q.Get("route"),
		Task: q.Get("task"), Caller: q.Get("caller")}
	var err error
	if rq.Since, err = report.ParseTime(get("since", "30d"), now().UTC()); err != nil {
		return llm.InvalidRequest(llm.CodeInvalidValue, "since", "since: %v", err)
	}
	if rq.Until, err = report.ParseTime(q.Get("until"), now().UTC()); err != nil {
		return llm.InvalidRequest(llm.CodeInvalidValue, "until", "until: %v", err)
	}
	if err := ledger.CheckDimensions(rq.By); err != nil {
		return llm.InvalidRequest(llm.CodeInvalidValue, "by", "by: %v", err)
	}
	rep, err := report.Build(r.Context(), h.Store, rq)
	if err != nil {
		return err
	}
	b, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
	return nil
}
