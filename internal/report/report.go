// Package report turns the ledger into the figures people read: spend, what the cloud would
// have charged, savings, tokens, the local share, requests and errors, grouped by day, model,
// route, task, provider or caller. The CLI (`sovereign report`) and the HTTP endpoint
// (GET /v1/sovereign/usage) both use it, so they always agree.
package report

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/ledger"
)

// Query selects and groups records.
type Query struct {
	Since, Until time.Time
	By           []string
	Model, Route string
	Task, Caller string
}

// Row is one group's figures.
type Row struct {
	Key               map[string]string `json:"key,omitempty"`
	Requests          int64             `json:"requests"`
	Errors            int64             `json:"errors"`
	Cancelled         int64             `json:"cancelled"`
	InputTokens       int64             `json:"input_tokens"`
	OutputTokens      int64             `json:"output_tokens"`
	CachedInputTokens int64             `json:"cached_input_tokens"`
	ReasoningTokens   int64             `json:"reasoning_tokens"`
	CostUSD           float64           `json:"cost_usd"`
	CounterfactualUSD float64           `json:"counterfactual_usd"`
	SavedUSD          float64           `json:"saved_usd"`
	UnknownCost       int64             `json:"unknown_cost_requests"`
	LocalRequests     int64             `json:"local_requests"`
	LocalShare        float64           `json:"local_share"`
	LatencyMeanMS     float64           `json:"latency_mean_ms"`
}

// Report is a whole report.
type Report struct {
	Since *time.Time `json:"since,omitempty"`
	Until *time.Time `json:"until,omitempty"`
	By    []string   `json:"by"`
	Rows  []Row      `json:"rows"`
	Total Row        `json:"total"`
}

// Build runs q against the store.
func Build(ctx context.Context, s ledger.Store, q Query) (*Report, error) {
	if err := ledger.CheckDimensions(q.By); err != nil {
		return nil, err
	}
	f := ledger.Filter{Since: q.Since, Until: q.Until, Model: q.Model, Route: q.Route, Task: q.Task, Caller: q.Caller}
	groups, err := s.Summarize(ctx, f, q.By)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r := &Report{By: q.By, Rows: make([]Row, 0, len(groups))}
	if r.By == nil {
		r.By = []string{}
	}
	if !q.Since.IsZero() {
		r.Since = &q.Since
	}
	if !q.Until.IsZero() {
		r.Until = &q.Until
	}
	var latencySum float64
	for _, g := range groups {
		row := fromSummary(g)
		r.Rows = append(r.Rows, row)
		add(&r.Total, row)
		latencySum += g.LatencyMeanMS * float64(g.Requests)
	}
	if r.Total.Requests > 0 {
		r.Total.LocalShare = float64(r.Total.LocalRequests) / float64(r.Total.Requests)
		r.Total.LatencyMeanMS = latencySum / float64(r.Total.Requests)
	}
	return r, nil
}

func fromSummary(g ledger.Summary) Row {
	row := Row{Key: g.Key, Requests: g.Requests, Errors: g.Errors, Cancelled: g.Cancelled,
		InputTokens: g.InputTokens, OutputTokens: g.OutputTokens, CachedInputTokens: g.CachedInputTokens,
		ReasoningTokens: g.ReasoningTokens, CostUSD: g.CostUSD, CounterfactualUSD: g.CounterfactualUSD,
		SavedUSD: g.SavedUSD, UnknownCost: g.UnknownCost, LocalRequests: g.LocalRequests, LatencyMeanMS: g.LatencyMeanMS}
	if row.Requests > 0 {
		row.LocalShare = float64(row.LocalRequests) / float64(row.Requests)
	}
	return row
}

func add(t *Row, r Row) {
	t.Requests += r.Requests
	t.Errors += r.Errors
	t.Cancelled += r.Cancelled
	t.InputTokens += r.InputTokens
	t.OutputTokens += r.OutputTokens
	t.CachedInputTokens += r.CachedInputTokens
	t.ReasoningTokens += r.ReasoningTokens
	t.CostUSD += r.CostUSD
	t.CounterfactualUSD += r.CounterfactualUSD
	t.SavedUSD += r.SavedUSD
	t.UnknownCost += r.UnknownCost
	t.LocalRequests += r.LocalRequests
}

// ParseTime reads a --since/--until value: a date (2026-11-01, UTC midnight), an RFC 3339
// time, or an age before now ("24h", "7d", "30m").
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if strings.HasSuffix(s, "d") {
		if n, err := strconv.Atoi(strings.TrimSuffix(s, "d")); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date (2026-11-01), a time (RFC 3339) or an age (24h, 7d)", s)
}

// ParseBy splits a comma-separated list of dimensions.
func ParseBy(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// WriteJSON writes the report as JSON.
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func usd(f float64) string { return "$" + strconv.FormatFloat(f, 'f', 4, 64) }

// WriteText writes the report as an aligned table with a total line.
func WriteText(w io.Writer, r *Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := append([]string{}, r.By...)
	head = append(head, "requests", "errors", "local", "input tok", "output tok", "cost", "cloud cost", "saved", "unpriced")
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	line := func(keys []string, x Row) {
		cols := append(keys, strconv.FormatInt(x.Requests, 10), strconv.FormatInt(x.Errors, 10),
			strconv.FormatFloat(100*x.LocalShare, 'f', 0, 64)+"%", strconv.FormatInt(x.InputTokens, 10),
			strconv.FormatInt(x.OutputTokens, 10), usd(x.CostUSD), usd(x.CounterfactualUSD), usd(x.SavedUSD),
			strconv.FormatInt(x.UnknownCost, 10))
		fmt.Fprintln(tw, strings.Join(cols, "\t")+"\t")
	}
	for _, row := range r.Rows {
		keys := make([]string, len(r.By))
		for i, d := range r.By {
			keys[i] = orDash(row.Key[d])
		}
		line(keys, row)
	}
	if len(r.By) > 0 {
		keys := make([]string, len(r.By))
		keys[0] = "total"
		for i := 1; i < len(keys); i++ {
			keys[i] = ""
		}
		line(keys, r.Total)
	} else if len(r.Rows) == 0 {
		line(nil, r.Total)
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// WriteCSV writes one row per group (no total), for spreadsheets and scripts.
func WriteCSV(w io.Writer, r *Report) error {
	cw := csv.NewWriter(w)
	head := append([]string{}, r.By...)
	head = append(head, "requests", "errors", "cancelled", "local_requests", "local_share", "input_tokens", "output_tokens",
		"cached_input_tokens", "reasoning_tokens", "cost_usd", "counterfactual_usd", "saved_usd", "unknown_cost_requests", "latency_mean_ms")
	if err := cw.Write(head); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	for _, row := range r.Rows {
		rec := make([]string, 0, len(head))
		for _, d := range r.By {
			rec = append(rec, row.Key[d])
		}
		rec = append(rec, i(row.Requests), i(row.Errors), i(row.Cancelled), i(row.LocalRequests), f(row.LocalShare),
			i(row.InputTokens), i(row.OutputTokens), i(row.CachedInputTokens), i(row.ReasoningTokens),
			f(row.CostUSD), f(row.CounterfactualUSD), f(row.SavedUSD), i(row.UnknownCost), f(row.LatencyMeanMS))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
