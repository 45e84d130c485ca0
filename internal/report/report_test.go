package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/ledger"
	"github.com/sovereign-gateway/sovereign/internal/ledger/sqlite"
)

func f(v float64) *float64 { return &v }

var day1 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
var day2 = day1.Add(24 * time.Hour)

// records is a fixed ledger whose sums are worked out by hand in the tests below.
func records() []ledger.Record {
	return []ledger.Record{
		{Time: day1, RequestID: "a", Route: "local", Provider: "ollama", Model: "qwen2.5:3b", Task: "summarise",
			InputTokens: 1000, OutputTokens: 200, Status: 200, Outcome: "ok",
			CostUSD: f(0), CounterfactualUSD: f(0.0045), SavedUSD: f(0.0045), LatencyMS: 100},
		{Time: day1.Add(time.Hour), RequestID: "b", Route: "cloud", Provider: "openai", Model: "gpt-4o", Task: "summarise",
			InputTokens: 2000, OutputTokens: 500, CachedInputTokens: 1000, Status: 200, Outcome: "ok",
			CostUSD: f(0.00875), CounterfactualUSD: f(0.00875), SavedUSD: f(0), LatencyMS: 300},
		{Time: day2, RequestID: "c", Route: "local", Provider: "llamacpp", Model: "tiny", Task: "code",
			InputTokens: 10, OutputTokens: 5, Status: 200, Outcome: "ok",
			CostUSD: f(0), CounterfactualUSD: f(0.000075), SavedUSD: f(0.000075), LatencyMS: 20},
		{Time: day2.Add(time.Minute), RequestID: "d", Route: "cloud", Provider: "mystery", Model: "unpriced-1", Task: "code",
			InputTokens: 100, OutputTokens: 100, Status: 200, Outcome: "ok", LatencyMS: 50},
		{Time: day2.Add(2 * time.Minute), RequestID: "e", Status: 404, ErrorCode: "model_not_found", Outcome: "error", RequestedModel: "gpt-9"},
		{Time: day2.Add(3 * time.Minute), RequestID: "f", Route: "local", Provider: "ollama", Model: "qwen2.5:3b", Task: "code",
			InputTokens: 50, OutputTokens: 7, Status: 200, Outcome: "cancelled",
			CostUSD: f(0), CounterfactualUSD: f(0.000195), SavedUSD: f(0.000195), LatencyMS: 30},
	}
}

func openStore(t *testing.T) ledger.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "ledger.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Insert(context.Background(), records()); err != nil {
		t.Fatal(err)
	}
	return s
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestTotals(t *testing.T) {
	r, err := Build(context.Background(), openStore(t), Query{})
	if err != nil {
		t.Fatal(err)
	}
	tot := r.Total
	if tot.Requests != 6 || tot.Errors != 1 || tot.Cancelled != 1 || tot.LocalRequests != 3 || tot.UnknownCost != 2 {
		t.Errorf("counts = %+v", tot)
	}
	if tot.InputTokens != 3160 || tot.OutputTokens != 812 || tot.CachedInputTokens != 1000 {
		t.Errorf("tokens = %d/%d/%d", tot.InputTokens, tot.OutputTokens, tot.CachedInputTokens)
	}
	if !near(tot.CostUSD, 0.00875) || !near(tot.CounterfactualUSD, 0.0045+0.00875+0.000075+0.000195) ||
		!near(tot.SavedUSD, 0.0045+0.000075+0.000195) {
		t.Errorf("money = %v %v %v", tot.CostUSD, tot.CounterfactualUSD, tot.SavedUSD)
	}
	if !near(tot.LocalShare, 0.5) {
		t.Errorf("local share = %v", tot.LocalShare)
	}
}

func TestGroupedByDayAndRoute(t *testing.T) {
	r, err := Build(context.Background(), openStore(t), Query{By: []string{"day", "route"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Row{}
	for _, row := range r.Rows {
		got[row.Key["day"]+"/"+row.Key["route"]] = row
	}
	want := map[string]struct {
		requests int64
		saved    float64
	}{
		"2026-11-01/local": {1, 0.0045},
		"2026-11-01/cloud": {1, 0},
		"2026-11-02/local": {2, 0.000075 + 0.000195},
		"2026-11-02/cloud": {1, 0},
		"2026-11-02/":      {1, 0},
	}
	if len(got) != len(want) {
		t.Fatalf("groups = %v", got)
	}
	for k, w := range want {
		if g := got[k]; g.Requests != w.requests || !near(g.SavedUSD, w.saved) {
			t.Errorf("%s = %+v, want %+v", k, g, w)
		}
	}
}

func TestFilterAndFormats(t *testing.T) {
	s := openStore(t)
	r, err := Build(context.Background(), s, Query{Since: day2, By: []string{"model"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Total.Requests != 4 {
		t.Fatalf("since day2: %d requests", r.Total.Requests)
	}
	var text, js, cs bytes.Buffer
	if err := WriteText(&text, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "total") || !strings.Contains(text.String(), "ollama/qwen2.5:3b") {
		t.Errorf("text:\n%s", text.String())
	}
	if err := WriteJSON(&js, r); err != nil || !strings.Contains(js.String(), `"saved_usd"`) {
		t.Errorf("json: %v\n%s", err, js.String())
	}
	if err := WriteCSV(&cs, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&cs).ReadAll()
	if err != nil || len(rows) != 1+len(r.Rows) || rows[0][0] != "model" {
		t.Fatalf("csv rows = %v, %v", rows, err)
	}
	if _, err := Build(context.Background(), s, Query{By: []string{"weekday"}}); err == nil {
		t.Error("unknown dimension accepted")
	}
}

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-11-01":           time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		"2026-11-01T08:00:00Z": time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC),
		"7d":                   now.Add(-7 * 24 * time.Hour),
		"90m":                  now.Add(-90 * time.Minute),
		"":                     {},
	} {
		got, err := ParseTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseTime("last tuesday", now); err == nil {
		t.Error("nonsense accepted")
	}
}
