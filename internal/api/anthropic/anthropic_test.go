package anthropic_test

import (
	"context"
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

	"github.com/sovereign-gateway/sovereign/internal/api/anthropic"
	"github.com/sovereign-gateway/sovereign/internal/api/exchange"
	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/dispatch"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/provider"
	anthropicprovider "github.com/sovereign-gateway/sovereign/internal/provider/anthropic"
	"github.com/sovereign-gateway/sovereign/internal/provider/openaicompat"
)

// fake is an upstream that answers every request with one recorded body (testdata, copies of
// the shared fixtures) and keeps the headers and bodies it was sent.
type fake struct {
	*httptest.Server
	mu      sync.Mutex
	headers []http.Header
	paths   []string
}

func newFake(t *testing.T, status int, fixture string) *fake {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", fixture))
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		f.mu.Lock()
		f.headers = append(f.headers, r.Header.Clone())
		f.paths = append(f.paths, r.URL.Path)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(f.Close)
	return f
}

// server serves the Messages API over the given providers, each with one model "m".
func server(t *testing.T, providers ...provider.Provider) http.Handler {
	t.Helper()
	cat := catalog.New(catalog.Options{})
	for _, p := range providers {
		cat.Put(&catalog.Entry{Name: p.Name(), Kind: "openai", Reachable: true, Provider: p, Models: []provider.ModelInfo{{ID: "m"}}})
	}
	log := slog.New(slog.DiscardHandler)
	h := &anthropic.Handler{Pipeline: &exchange.Pipeline{Catalog: cat, Dispatch: dispatch.New(dispatch.Options{Log: log}), Log: log, MaxBody: 1 << 20}}
	serve := func(f func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if err := f(w, r); err != nil && !exchange.IsSent(err) {
				anthropic.WriteError(w, err)
			}
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/messages", serve(h.Messages))
	mux.HandleFunc("POST /v1/messages/count_tokens", serve(h.CountTokens))
	return mux
}

func send(t *testing.T, h http.Handler, path, body string, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequestWithContext(context.Background(), http.MethodPost, path, strings.NewReader(body))
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

const request = `{"model":"%s","max_tokens":64,"system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"Are you a potato?"}]}`

func TestBetasAndDrops(t *testing.T) {
	betas := http.Header{"Anthropic-Beta": {"claude-code-20250219,interleaved-thinking-2025-05-14", "context-management-2025-06-27"}}
	oa := newFake(t, http.StatusOK, "plain.response.json")
	h := server(t, openaicompat.New(openaicompat.Options{Name: "oa", BaseURL: oa.URL}))
	w := send(t, h, "/v1/messages", strings.Replace(request, "%s", "oa/m", 1), betas)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	var msg struct {
		Type    string `json:"type"`
		Content []struct {
			Type, Text string
		} `json:"content"`
		StopReason string `json:"stop_reason"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &msg); err != nil || msg.Type != "message" || len(msg.Content) != 1 ||
		!strings.HasPrefix(msg.Content[0].Text, "That's right") || msg.StopReason != "end_turn" {
		t.Errorf("answer %s (%v)", w.Body.String(), err)
	}
	// Toward an OpenAI-compatible provider, the betas and cache breakpoints are left out, and said so.
	if d := w.Header().Get(exchange.HeaderDropped); !strings.Contains(d, "anthropic-beta") || !strings.Contains(d, "cache_control") {
		t.Errorf("x-sovereign-dropped %q", d)
	}
	if len(oa.headers) != 1 || oa.headers[0].Get("Anthropic-Beta") != "" {
		t.Errorf("the OpenAI-compatible upstream got anthropic-beta %q", oa.headers[0].Get("Anthropic-Beta"))
	}
}

func TestCountTokens(t *testing.T) {
	oa := newFake(t, http.StatusOK, "plain.response.json")
	an := newFake(t, http.StatusNotFound, "error_404_count_tokens.response.json")
	h := server(t, openaicompat.New(openaicompat.Options{Name: "oa", BaseURL: oa.URL}),
		anthropicprovider.New(anthropicprovider.Options{Name: "an", BaseURL: an.URL}))
	// Another provider's model: the gateway counts, and asks no upstream.
	w := send(t, h, "/v1/messages/count_tokens", `{"model":"oa/m","messages":[{"role":"user","content":"Are you a potato?"}]}`, nil)
	var got struct {
		InputTokens int `json:"input_tokens"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); w.Code != http.StatusOK || err != nil || got.InputTokens < 5 || got.InputTokens > 20 {
		t.Errorf("count_tokens: %d %s", w.Code, w.Body.String())
	}
	if len(oa.paths) != 0 {
		t.Errorf("counting called the upstream: %v", oa.paths)
	}
	// An Anthropic model is counted by Anthropic; its error (the recorded 404) reaches the
	// client in Anthropic's format.
	w = send(t, h, "/v1/messages/count_tokens", `{"model":"an/m","messages":[{"role":"user","content":"hi"}]}`, nil)
	if len(an.paths) != 1 || an.paths[0] != "/v1/messages/count_tokens" {
		t.Errorf("Anthropic upstream paths %v", an.paths)
	}
	var e struct {
		Type  string `json:"type"`
		Error struct {
			Type string `json:"type"`
		} `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != http.StatusNotFound || e.Type != "error" || e.Error.Type != "not_found_error" {
		t.Errorf("error %d %s", w.Code, w.Body.String())
	}
}

func TestErrorsInAnthropicFormat(t *testing.T) {
	h := server(t)
	tests := []struct {
		name, body string
		status     int
		typ        string
	}{
		{"malformed JSON", `{"model":`, http.StatusBadRequest, "invalid_request_error"},
		{"missing max_tokens", `{"model":"x/m","messages":[{"role":"user","content":"hi"}]}`, http.StatusBadRequest, "invalid_request_error"},
		{"unknown model", strings.Replace(request, "%s", "nowhere/m", 1), http.StatusNotFound, "not_found_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := send(t, h, "/v1/messages", tt.body, nil)
			var e struct {
				Type  string `json:"type"`
				Error struct {
					Type    string `json:"type"`
					Message string `json:"message"`
				} `json:"error"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != tt.status || e.Type != "error" || e.Error.Type != tt.typ || e.Error.Message == "" {
				t.Errorf("%d %s, want %d %s", w.Code, w.Body.String(), tt.status, tt.typ)
			}
		})
	}
	// A rate limit keeps its Retry-After.
	w := httptest.NewRecorder()
	anthropic.WriteError(w, &llm.Error{Status: http.StatusTooManyRequests, Type: llm.TypeRateLimit, Code: llm.CodeRateLimited,
		Message: "slow down", RetryAfter: 1500e6})
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "2" || !strings.Contains(w.Body.String(), `"rate_limit_error"`) {
		t.Errorf("rate limit: %d %q %s", w.Code, w.Header().Get("Retry-After"), w.Body.String())
	}
}

// A chunk the gateway cannot read, from an upstream of another format, ends the Anthropic
// stream with an error event (an upstream failure), not as if the client had left.
func TestStreamUnreadableChunk(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}`+"\n\n")
		io.WriteString(w, `data: {"id":"c","object":"chat.completion.chunk","created":"soon","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n")
		io.WriteString(w, "data: [DONE]\n\n")
	}))
	defer up.Close()
	h := server(t, openaicompat.New(openaicompat.Options{Name: "oa", BaseURL: up.URL}))
	w := send(t, h, "/v1/messages", `{"model":"oa/m","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, nil)
	body := w.Body.String()
	if !strings.Contains(body, `"text":"Hel"`) || !strings.Contains(body, "event: error") || !strings.Contains(body, `"api_error"`) ||
		strings.Contains(body, "message_stop") {
		t.Errorf("stream:\n%s", body)
	}
}
