package openai

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/api/exchange"
	"github.com/sovereign-gateway/sovereign/internal/ledger"
	"github.com/sovereign-gateway/sovereign/internal/ledger/ledgertest"
	"github.com/sovereign-gateway/sovereign/internal/ledger/sqlite"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/pricing"
)

// answeringProvider answers every plain request with "ok".
type answeringProvider struct{ scriptedProvider }

func (*answeringProvider) Chat(_ context.Context, req *llm.Request) (*llm.Response, error) {
	return &llm.Response{ID: "r", Model: "m", Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant,
		Content: []llm.Part{{Type: llm.PartText, Text: "ok"}}}, FinishReason: llm.FinishStop}},
		Usage: &llm.Usage{InputTokens: 1, OutputTokens: 1, TotalTokens: 2}}, nil
}

// answerHandler is a handler whose one model, fake/m, answers plain requests.
func answerHandler() *Handler {
	h := streamHandler(nil)
	e := *h.Pipeline.Catalog.Get("fake")
	e.Provider = &answeringProvider{}
	h.Pipeline.Catalog.Put(&e)
	return h
}

// In strict mode an answer whose record cannot be committed in time is withheld, and the
// record, written once the store recovers, says so: the client's 503 for a plain answer, a
// failed stream for a streamed one.
func TestStrictLedgerWithholdsAnswer(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "stream"}[stream], func(t *testing.T) {
			inner, err := sqlite.Open(filepath.Join(t.TempDir(), "ledger.db"), sqlite.Options{Durability: ledger.DurabilityStrict})
			if err != nil {
				t.Fatal(err)
			}
			defer inner.Close()
			store := &ledgertest.BreakableStore{Store: inner}
			store.Broken.Store(true)
			w := ledger.NewWriter(store, ledger.WriterOptions{Durability: ledger.DurabilityStrict, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})

			h := streamHandler(newScriptedStream(t, 3, nil))
			if !stream {
				h = answerHandler()
			}
			h.Pipeline.Accounting = &exchange.Accounting{Ledger: w, Prices: pricing.Default(), Strict: true, CommitTimeout: 50 * time.Millisecond}
			body := `{"model":"fake/m","messages":[{"role":"user","content":"hi"}]}`
			if stream {
				body = streamRequest
			}
			rec := httptest.NewRecorder()
			if err := h.ChatCompletions(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body))); err != nil {
				WriteError(rec, err)
			}
			got, _ := io.ReadAll(rec.Result().Body)
			if stream {
				if rec.Code != http.StatusOK || strings.Contains(string(got), "[DONE]") || !strings.Contains(string(got), exchange.CodeLedgerUnavailable) {
					t.Fatalf("stream answer %d %s: want an error event instead of the end", rec.Code, got)
				}
			} else {
				var e struct {
					Error struct{ Code string } `json:"error"`
				}
				if rec.Code != http.StatusServiceUnavailable || json.Unmarshal(got, &e) != nil || e.Error.Code != exchange.CodeLedgerUnavailable {
					t.Fatalf("answer %d %s: want 503 ledger_unavailable", rec.Code, got)
				}
			}

			store.Broken.Store(false)
			if err := w.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			recs, err := inner.Records(context.Background(), ledger.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 1 {
				t.Fatalf("%d records, want 1", len(recs))
			}
			r := recs[0]
			wantStatus, wantOutcome := http.StatusServiceUnavailable, ledger.OutcomeError
			if stream {
				wantStatus, wantOutcome = http.StatusOK, ledger.OutcomeFailed
			}
			if r.Status != wantStatus || r.Outcome != wantOutcome || r.ErrorCode != exchange.CodeLedgerUnavailable {
				t.Errorf("record status %d outcome %s code %q, want %d %s %s", r.Status, r.Outcome, r.ErrorCode, wantStatus, wantOutcome, exchange.CodeLedgerUnavailable)
			}
		})
	}
}
