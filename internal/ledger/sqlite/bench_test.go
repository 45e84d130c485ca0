package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/benchcpu"
	"github.com/sovereign-gateway/sovereign/internal/ledger"
)

// benchRecord is a typical ledger record: a local chat completion with known costs and a
// little metadata, no prompt.
func benchRecord(i int64) ledger.Record {
	cost, cf := 0.0, 0.00042
	saved := cf - cost
	return ledger.Record{
		Time: time.Now().UTC(), RequestID: fmt.Sprintf("req-%012d", i), Caller: "team-a", Team: "a",
		Task: "summarise", Session: "s-42", Ingress: "openai.chat", Stream: i%2 == 0,
		RequestedModel: "auto", Route: ledger.RouteLocal, Provider: "ollama", Model: "qwen2.5:3b",
		InputTokens: 812, OutputTokens: 164, CachedInputTokens: 256, LatencyMS: 431.5, TTFTMS: 38.2,
		Status: 200, Outcome: ledger.OutcomeOK, CostUSD: &cost, CounterfactualUSD: &cf, SavedUSD: &saved,
		ReferenceModel: "openai/gpt-4o", PriceTableDate: "2026-01-15",
		Metadata: map[string]string{"project": "sovereign"},
	}
}

// BenchmarkWriterThroughput measures the Writer and the SQLite store together, from Add (or
// Commit) to committed rows: b.N records from many concurrent request handlers, then Close.
// The target (issue: Ledger) is 20,000 records/s on the 2-core development machine:
//
//	go test -run '^$' -bench WriterThroughput -benchtime 200000x ./internal/ledger/sqlite
func BenchmarkWriterThroughput(b *testing.B) {
	for _, tt := range []struct {
		name       string
		durability string
		commit     bool // Commit (wait for each record) instead of Add
		handlers   int  // concurrent callers per core (b.SetParallelism)
	}{
		{"batched/Add", ledger.DurabilityBatched, false, 32},
		{"strict/Commit", ledger.DurabilityStrict, true, 32},
		{"strict/Commit/2-handlers", ledger.DurabilityStrict, true, 1},
	} {
		b.Run(tt.name, func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "ledger.db"), Options{Durability: tt.durability})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			w := ledger.NewWriter(s, ledger.WriterOptions{Durability: tt.durability})
			var seq atomic.Int64
			// 64 handlers on 2 cores by default: strict mode's group commit needs company.
			b.SetParallelism(tt.handlers)
			b.ResetTimer()
			cpu := benchcpu.Start(b)
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					r := benchRecord(seq.Add(1))
					if tt.commit {
						if err := w.Commit(ctx, r, nil); err != nil {
							b.Error(err)
							return
						}
					} else {
						w.Add(r)
					}
				}
			})
			if err := w.Close(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			cpu.Report("cpu-µs/record")
			var n int64
			if err := s.r.QueryRow("SELECT count(*) FROM requests").Scan(&n); err != nil || n != int64(b.N) {
				b.Fatalf("%d rows, %v; want %d", n, err, b.N)
			}
		})
	}
}

// BenchmarkSummarize measures the report query by day, model and route over 100,000 records.
func BenchmarkSummarize(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "ledger.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const rows = 100_000
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	models := []string{"qwen2.5:3b", "llama3.2:1b", "gpt-4o-mini", "claude-sonnet-4", "mistral-small"}
	routes := []string{"local", "local", "cloud", "cache", "peer"}
	batch := make([]ledger.Record, 0, 1000)
	for i := range int64(rows) {
		r := benchRecord(i)
		r.Time = start.Add(time.Duration(i) * 20 * time.Second)
		r.Model, r.Route = models[i%5], routes[i%5]
		batch = append(batch, r)
		if len(batch) == cap(batch) {
			if err := s.Insert(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	f := ledger.Filter{Since: start, Until: start.Add(rows * 20 * time.Second)}
	b.ResetTimer()
	for range b.N {
		sum, err := s.Summarize(context.Background(), f, []string{ledger.ByDay, ledger.ByModel, ledger.ByRoute})
		if err != nil || len(sum) == 0 {
			b.Fatal(len(sum), err)
		}
	}
}
