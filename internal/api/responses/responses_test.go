package responses_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/api/exchange"
	"github.com/sovereign-gateway/sovereign/internal/api/openai"
	"github.com/sovereign-gateway/sovereign/internal/api/responses"
	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/dispatch"
	"github.com/sovereign-gateway/sovereign/internal/ledger"
	"github.com/sovereign-gateway/sovereign/internal/ledger/ledgertest"
	"github.com/sovereign-gateway/sovereign/internal/ledger/sqlite"
	"github.com/sovereign-gateway/sovereign/internal/pricing"
	"github.com/sovereign-gateway/sovereign/internal/provider"
	"github.com/sovereign-gateway/sovereign/internal/provider/openaicompat"
)

// upstream is an OpenAI-compatible fake that replays recorded answers (testdata, copies of the
// shared fixtures) and keeps the bodies it was sent.
type upstream struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	plain, err := os.ReadFile(filepath.Join("testdata", "plain.response.json"))
	if err != nil {
		t.Fatal(err)
	}
	stream, err := os.ReadFile(filepath.Join("testdata", "stream_text_include_usage.response.sse"))
	if err != nil {
		t.Fatal(err)
	}
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.bodies = append(u.bodies, body)
		u.mu.Unlock()
		if bytes.Contains(body, []byte(`"stream":true`)) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.Write(stream)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(plain)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) last(t *testing.T) map[string]any {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.bodies) == 0 {
		t.Fatal("the upstream got no request")
	}
	var m map[string]any
	if err := json.Unmarshal(u.bodies[len(u.bodies)-1], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// newHandler serves the Responses API with one model, fake/gpt-4o-mini, and a real store.
func newHandler(t *testing.T, u *upstream) http.Handler {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "ledger.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	cat := catalog.New(catalog.Options{})
	cat.Put(&catalog.Entry{Name: "fake", Kind: "openai", Reachable: true, Provider: openaicompat.New(openaicompat.Options{Name: "fake", BaseURL: u.URL}),
		Models: []provider.ModelInfo{{ID: "gpt-4o-mini"}}})
	log := slog.New(slog.DiscardHandler)
	h := &responses.Handler{Pipeline: &exchange.Pipeline{Catalog: cat, Dispatch: dispatch.New(dispatch.Options{Log: log}), Log: log, MaxBody: 1 << 20},
		Store: store}
	mux := http.NewServeMux()
	serve := func(f func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if err := f(w, r); err != nil && !exchange.IsSent(err) {
				openai.WriteError(w, err)
			}
		}
	}
	mux.HandleFunc("POST /v1/responses", serve(h.Create))
	mux.HandleFunc("GET /v1/responses/{id}", serve(h.Get))
	mux.HandleFunc("DELETE /v1/responses/{id}", serve(h.Delete))
	return mux
}

func post(t *testing.T, h http.Handler, body string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/v1/responses", strings.NewReader(body)))
	return w
}

func get(t *testing.T, h http.Handler, id string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/v1/responses/"+id, nil))
	return w
}

func responseID(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var r struct {
		ID     string `json:"id"`
		Object string `json:"object"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &r); err != nil || r.Object != "response" || !strings.HasPrefix(r.ID, "resp_") {
		t.Fatalf("not a response object (%v): %s", err, w.Body.String())
	}
	return r.ID
}

func TestStoreAndContinue(t *testing.T) {
	u := newUpstream(t)
	h := newHandler(t, u)
	first := post(t, h, `{"model":"fake/gpt-4o-mini","input":"Are you a potato?","instructions":"Be brief."}`)
	if first.Code != http.StatusOK {
		t.Fatalf("status %d: %s", first.Code, first.Body.String())
	}
	id := responseID(t, first)
	// GET gives back the stored object as the client got it.
	if g := get(t, h, id); g.Code != http.StatusOK || g.Body.String() != first.Body.String() {
		t.Errorf("GET %s: %d %s\nwant the created object %s", id, g.Code, g.Body.String(), first.Body.String())
	}
	// A follow-up with previous_response_id sends the whole conversation upstream, after the
	// new request's own instructions (the first one's are not carried over).
	second := post(t, h, `{"model":"fake/gpt-4o-mini","input":"And now?","previous_response_id":"`+id+`","instructions":"Answer in French."}`)
	if second.Code != http.StatusOK {
		t.Fatalf("status %d: %s", second.Code, second.Body.String())
	}
	var roles []string
	for _, m := range u.last(t)["messages"].([]any) {
		msg := m.(map[string]any)
		roles = append(roles, msg["role"].(string)+":"+strings.SplitN(contentText(msg["content"]), " ", 2)[0])
	}
	if got, want := strings.Join(roles, ","), "system:Answer,user:Are,assistant:That's,user:And"; got != want {
		t.Errorf("upstream conversation %s, want %s", got, want)
	}
	// Deleting the first response removes it; the second keeps its own copy of the conversation.
	del := httptest.NewRecorder()
	h.ServeHTTP(del, httptest.NewRequestWithContext(context.Background(), http.MethodDelete, "/v1/responses/"+id, nil))
	if del.Code != http.StatusOK || !strings.Contains(del.Body.String(), `"deleted":true`) {
		t.Errorf("DELETE: %d %s", del.Code, del.Body.String())
	}
	if g := get(t, h, id); g.Code != http.StatusNotFound {
		t.Errorf("GET after DELETE: %d", g.Code)
	}
	// A third turn continues the second: the chain keeps growing.
	third := post(t, h, `{"model":"fake/gpt-4o-mini","input":"Last one.","previous_response_id":"`+responseID(t, second)+`"}`)
	if third.Code != http.StatusOK {
		t.Fatalf("status %d: %s", third.Code, third.Body.String())
	}
	if n := len(u.last(t)["messages"].([]any)); n != 5 {
		t.Errorf("third turn sent %d messages upstream, want 5 (two turns of two, then the new input)", n)
	}
}

func contentText(c any) string {
	switch v := c.(type) {
	case string:
		return v
	case []any:
		var b strings.Builder
		for _, p := range v {
			if s, ok := p.(map[string]any)["text"].(string); ok {
				b.WriteString(s)
			}
		}
		return b.String()
	}
	return ""
}

func TestNotStoredAndUnknown(t *testing.T) {
	u := newUpstream(t)
	h := newHandler(t, u)
	w := post(t, h, `{"model":"fake/gpt-4o-mini","input":"hi","store":false}`)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	if g := get(t, h, responseID(t, w)); g.Code != http.StatusNotFound {
		t.Errorf("a response created with store:false was found: %d %s", g.Code, g.Body.String())
	}
	// Input items that only record a hosted tool's work are left out, and said so, next to what
	// the adapter itself left out.
	w = post(t, h, `{"model":"fake/gpt-4o-mini","store":false,"include":["reasoning.encrypted_content"],"input":[`+
		`{"type":"message","role":"user","content":"find it"},{"type":"web_search_call","id":"ws_1","status":"completed"},`+
		`{"type":"message","role":"user","content":"and?"}]}`)
	if d := w.Header().Get(exchange.HeaderDropped); w.Code != http.StatusOK || !strings.Contains(d, "input.web_search_call") || !strings.Contains(d, "include") {
		t.Errorf("%d, x-sovereign-dropped %q", w.Code, d)
	}
	n := len(u.bodies)
	w = post(t, h, `{"model":"fake/gpt-4o-mini","input":"hi","previous_response_id":"resp_nope"}`)
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `"param":"previous_response_id"`) {
		t.Errorf("unknown previous_response_id: %d %s", w.Code, w.Body.String())
	}
	if len(u.bodies) != n {
		t.Error("a request continuing an unknown response reached the upstream")
	}
}

func TestStreamStoresBeforeTheEnd(t *testing.T) {
	u := newUpstream(t)
	h := newHandler(t, u)
	w := post(t, h, `{"model":"fake/gpt-4o-mini","input":"count","stream":true,"include":["reasoning.encrypted_content"],"client_metadata":{"k":"v"}}`)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	var types []string
	var id string
	for _, line := range strings.Split(w.Body.String(), "\n") {
		if ev, ok := strings.CutPrefix(line, "event: "); ok {
			types = append(types, ev)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok && id == "" {
			var e struct {
				Response struct {
					ID string `json:"id"`
				} `json:"response"`
			}
			_ = json.Unmarshal([]byte(data), &e)
			id = e.Response.ID
		}
	}
	if len(types) < 4 || types[0] != "response.created" || types[len(types)-1] != "response.completed" {
		t.Fatalf("events %v", types)
	}
	if !strings.Contains(strings.Join(types, ","), "response.output_text.delta") {
		t.Errorf("no text deltas in %v", types)
	}
	g := get(t, h, id)
	if g.Code != http.StatusOK || !strings.Contains(g.Body.String(), `"status":"completed"`) {
		t.Errorf("GET of the streamed response: %d %s", g.Code, g.Body.String())
	}
	// Hints for a Responses upstream are left out toward Chat Completions, and said so.
	if d := w.Header().Get(exchange.HeaderDropped); !strings.Contains(d, "include") || !strings.Contains(d, "client_metadata") {
		t.Errorf("x-sovereign-dropped %q", d)
	}
}

// An answer withheld because its ledger record could not be committed (strict durability) is
// not left in the store, where previous_response_id would find it.
func TestWithheldAnswerIsNotStored(t *testing.T) {
	u := newUpstream(t)
	path := filepath.Join(t.TempDir(), "ledger.db")
	store, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	led := &ledgertest.BreakableStore{Store: store}
	led.Broken.Store(true)
	w := ledger.NewWriter(led, ledger.WriterOptions{Durability: ledger.DurabilityStrict, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})
	cat := catalog.New(catalog.Options{})
	cat.Put(&catalog.Entry{Name: "fake", Kind: "openai", Reachable: true, Provider: openaicompat.New(openaicompat.Options{Name: "fake", BaseURL: u.URL}),
		Models: []provider.ModelInfo{{ID: "gpt-4o-mini"}}})
	log := slog.New(slog.DiscardHandler)
	h := &responses.Handler{Pipeline: &exchange.Pipeline{Catalog: cat, Dispatch: dispatch.New(dispatch.Options{Log: log}), Log: log, MaxBody: 1 << 20,
		Accounting: &exchange.Accounting{Ledger: w, Prices: pricing.Default(), Strict: true, CommitTimeout: 50 * time.Millisecond}}, Store: store}

	rec := httptest.NewRecorder()
	if err := h.Create(rec, httptest.NewRequest(http.MethodPost, "/v1/responses", strings.NewReader(`{"model":"fake/gpt-4o-mini","input":"hi"}`))); err != nil {
		openai.WriteError(rec, err)
	}
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), exchange.CodeLedgerUnavailable) {
		t.Fatalf("answer %d %s, want 503 %s", rec.Code, rec.Body, exchange.CodeLedgerUnavailable)
	}
	led.Broken.Store(false)
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM responses`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d stored responses after a withheld answer, want 0", n)
	}
}
