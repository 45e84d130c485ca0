package ledger_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/ledger"
	"github.com/sovereign-gateway/sovereign/internal/ledger/sqlite"
)

func Example() {
	dir, err := os.MkdirTemp("", "ledger-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	store, err := sqlite.Open(filepath.Join(dir, "ledger.db"), sqlite.Options{})
	if err != nil {
		fmt.Println(err) // names the file and the fix
		return
	}
	defer store.Close()
	w := ledger.NewWriter(store, ledger.WriterOptions{})

	usd := func(v float64) *float64 { return &v }
	day := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	w.Add(ledger.Record{Time: day, RequestID: "a", Route: ledger.RouteLocal, Provider: "ollama", Model: "qwen2.5:3b",
		InputTokens: 900, OutputTokens: 100, Outcome: ledger.OutcomeOK,
		CostUSD: usd(0), CounterfactualUSD: usd(0.004), SavedUSD: usd(0.004)})
	w.Add(ledger.Record{Time: day.Add(time.Hour), RequestID: "b", Route: ledger.RouteCloud, Provider: "openai", Model: "gpt-4o",
		InputTokens: 2000, OutputTokens: 500, Outcome: ledger.OutcomeOK,
		CostUSD: usd(0.01), CounterfactualUSD: usd(0.01), SavedUSD: usd(0)})

	ctx := context.Background()
	if err := w.Close(ctx); err != nil { // writes what is queued
		panic(err)
	}
	report, err := store.Summarize(ctx, ledger.Filter{Since: day.Truncate(24 * time.Hour)}, []string{ledger.ByDay, ledger.ByRoute})
	if err != nil {
		panic(err)
	}
	for _, s := range report {
		fmt.Printf("%s %-5s requests=%d tokens=%d cost=$%.3f saved=$%.3f\n", s.Key[ledger.ByDay], s.Key[ledger.ByRoute],
			s.Requests, s.InputTokens+s.OutputTokens, s.CostUSD, s.SavedUSD)
	}
	// Output:
	// 2026-05-01 cloud requests=1 tokens=2500 cost=$0.010 saved=$0.000
	// 2026-05-01 local requests=1 tokens=1000 cost=$0.000 saved=$0.004
}
