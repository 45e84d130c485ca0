package openai_test

// The latency the ledger adds to a request: the same round trip as BenchmarkChatCompletions,
// without a ledger, with the batched writer (the default) and with strict durability, on a
// real SQLite file.
//
//	go test ./internal/api/openai -run '^$' -bench Ledger -benchmem -count 6

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/api/exchange"
	"github.com/sovereign-gateway/sovereign/internal/api/openai"
	"github.com/sovereign-gateway/sovereign/internal/benchcpu"
	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/dispatch"
	"github.com/sovereign-gateway/sovereign/internal/ledger"
	"github.com/sovereign-gateway/sovereign/internal/ledger/sqlite"
	"github.com/sovereign-gateway/sovereign/internal/pricing"
	"github.com/sovereign-gateway/sovereign/internal/provider"
	"github.com/sovereign-gateway/sovereign/internal/provider/openaicompat"
	"github.com/sovereign-gateway/sovereign/internal/server"
)

func newLedgerBenchGateway(b *testing.B, upstreamURL, durability string) http.Handler {
	b.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cat := catalog.New(catalog.Options{})
	p := openaicompat.New(openaicompat.Options{Name: "openai", BaseURL: upstreamURL + "/v1"})
	cat.Put(&catalog.Entry{Name: "openai", Kind: "openai", BaseURL: upstreamURL + "/v1", Provider: p,
		Models: []provider.ModelInfo{{ID: "gpt-4o-mini"}}, Reachable: true, MaxRetries: 2})
	h := &openai.Handler{Pipeline: &exchange.Pipeline{Catalog: cat, Dispatch: dispatch.New(dispatch.Options{Log: log}), Log: log,
		MaxBody: 20 << 20}, Started: time.Now()}
	if durability != "" {
		store, err := sqlite.Open(filepath.Join(b.TempDir(), "ledger.db"), sqlite.Options{Durability: durability})
		if err != nil {
			b.Fatal(err)
		}
		w := ledger.NewWriter(store, ledger.WriterOptions{Durability: durability})
		b.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := w.Close(ctx); err != nil {
				b.Error(err)
			}
			store.Close()
		})
		h.Pipeline.Accounting = &exchange.Accounting{Ledger: w, Prices: pricing.Default(), Reference: "openai/gpt-4o",
			Strict: durability == ledger.DurabilityStrict}
	}
	return server.New(server.Options{OpenAI: h, Catalog: cat, Log: log, Version: "bench"}).Handler()
}

func runLedgerBench(b *testing.B, h http.Handler, body []byte, stream bool) {
	b.Helper()
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	hc := srv.Client()
	url := srv.URL + "/v1/chat/completions"
	b.ReportAllocs()
	defer benchcpu.Start(b).Report("cpu-µs/op")
	for b.Loop() {
		resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || (stream && !bytes.HasSuffix(got, []byte("data: [DONE]\n\n"))) {
			b.Fatalf("status %d, err %v, body %.300q", resp.StatusCode, err, got)
		}
	}
}

func BenchmarkLedger(b *testing.B) {
	f := loadBenchFixtures(b)
	up := newBenchUpstream(b, f)
	for _, stream := range []bool{false, true} {
		mode := "plain"
		if stream {
			mode = "stream"
		}
		body := benchRequest(b, f, "openai/gpt-4o-mini", stream)
		for _, d := range []string{"", ledger.DurabilityBatched, ledger.DurabilityStrict} {
			name := d
			if name == "" {
				name = "off"
			}
			b.Run(mode+"/ledger="+name, func(b *testing.B) {
				runLedgerBench(b, newLedgerBenchGateway(b, up.URL, d), body, stream)
			})
		}
	}
}
