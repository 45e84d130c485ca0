package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeAnthropic is an Anthropic Messages API upstream replaying recorded answers. Like
// Anthropic it refuses a request without the configured key in x-api-key or without
// anthropic-version.
type fakeAnthropic struct {
	*httptest.Server
	seen seen
}

// Anthropic answers no recording holds, written for these tests in the shapes Anthropic's API
// reference gives: an empty model list (the configured models are used), and a token count.
const (
	anthropicModels      = `{"data":[],"has_more":false,"first_id":null,"last_id":null}`
	anthropicCountTokens = `{"input_tokens":14}`
)

// newFakeAnthropic starts an Anthropic upstream. messages, when not nil, answers
// POST /v1/messages instead of the recorded replay (for failures and held streams).
func newFakeAnthropic(t *testing.T, messages http.HandlerFunc) *fakeAnthropic {
	t.Helper()
	f := &fakeAnthropic{}
	mux := http.NewServeMux()
	authorized := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("X-Api-Key") != testAPIKey || r.Header.Get("Anthropic-Version") == "" {
			writeJSON(w, http.StatusUnauthorized, []byte(`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`))
			return false
		}
		return true
	}
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		f.seen.add(r, nil)
		if authorized(w, r) {
			writeJSON(w, http.StatusOK, []byte(anthropicModels))
		}
	})
	mux.HandleFunc("POST /v1/messages/count_tokens", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.seen.add(r, body)
		if !authorized(w, r) {
			return
		}
		var req struct {
			Model string `json:"model"`
		}
		_ = json.Unmarshal(body, &req)
		if req.Model == "claude-does-not-exist" {
			// The model the recorded 404 was asked about.
			replayRecorded(t, w, "anthropic/error_404_count_tokens.response.json", nil)
			return
		}
		writeJSON(w, http.StatusOK, []byte(anthropicCountTokens))
	})
	mux.HandleFunc("POST /v1/messages", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.seen.add(r, body)
		if !authorized(w, r) {
			return
		}
		if messages != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			messages(w, r)
			return
		}
		replayRecorded(t, w, anthropicCase(body), nil)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// anthropicRawModel is the model whose requests the fake answers with the second set of
// recordings (the langchaingo ones, and a tool call with extended thinking).
const anthropicRawModel = "claude-3-opus-20240229"

// anthropicCase picks the recording that answers a Messages request: the final answer once
// the request carries tool results, a tool call when it offers tools, else text.
func anthropicCase(body []byte) string {
	var req struct {
		Model    string            `json:"model"`
		Stream   bool              `json:"stream"`
		Tools    []json.RawMessage `json:"tools"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	_ = json.Unmarshal(body, &req)
	results := false
	if n := len(req.Messages); n > 0 && req.Messages[n-1].Role == "user" {
		var blocks []struct {
			Type string `json:"type"`
		}
		_ = json.Unmarshal(req.Messages[n-1].Content, &blocks)
		for _, b := range blocks {
			results = results || b.Type == "tool_result"
		}
	}
	raw := req.Model == anthropicRawModel
	switch {
	case raw && req.Stream && (results || len(req.Tools) == 0):
		return "anthropic/stream_text_raw.response.sse"
	case raw && (results || len(req.Tools) == 0):
		return "anthropic/plain_raw.response.json"
	case raw && !req.Stream:
		return "anthropic/thinking_tool_use.response.json"
	case results && req.Stream:
		return "anthropic/stream_text.response.sse"
	case results:
		return "anthropic/plain.response.json"
	case len(req.Tools) > 0 && req.Stream:
		return "anthropic/stream_tool_use_input_json_delta.response.sse"
	case len(req.Tools) > 0:
		return "anthropic/parallel_tool_use.response.json"
	case req.Stream:
		return "anthropic/stream_text.response.sse"
	}
	return "anthropic/plain.response.json"
}

// recordedMeta is a recording's <case>.meta.json.
type recordedMeta struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
}

// metaName returns the meta file of a recorded response file.
func metaName(name string) string {
	i := strings.LastIndex(name, ".response.")
	if i < 0 {
		return name
	}
	return name[:i] + ".meta.json"
}

// replayRecorded answers with testdata/name as it was recorded: the status and content type of
// its meta file and the body byte for byte. An SSE stream goes out one event per flush (before,
// when not nil, runs before each event with its index, and may hold the stream); a JSON body
// goes out whole. It runs on a handler goroutine, so it reports problems with t.Errorf.
func replayRecorded(t *testing.T, w http.ResponseWriter, name string, before func(event int)) {
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Errorf("upstream fake: %v", err)
		http.Error(w, "fake: no recording", http.StatusInternalServerError)
		return
	}
	var meta recordedMeta
	if b, err := os.ReadFile(filepath.Join("testdata", metaName(name))); err != nil || json.Unmarshal(b, &meta) != nil {
		t.Errorf("upstream fake: no meta for %s (%v)", name, err)
		http.Error(w, "fake: no meta", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", meta.ContentType)
	w.WriteHeader(meta.Status)
	if !strings.HasSuffix(name, ".sse") {
		w.Write(body)
		return
	}
	for i, ev := range sseEventsAnyEOL(body) {
		if before != nil {
			before(i)
		}
		w.Write(ev)
		w.(http.Flusher).Flush()
	}
}

// sseEventsAnyEOL splits a recorded SSE stream into its events, each with the blank line that
// ends it, whether its lines end in LF (Anthropic, OpenAI) or CRLF (Gemini).
func sseEventsAnyEOL(stream []byte) [][]byte {
	var out [][]byte
	for len(stream) > 0 {
		end := -1
		if i := bytes.Index(stream, []byte("\n\n")); i >= 0 {
			end = i + 2
		}
		if i := bytes.Index(stream, []byte("\r\n\r\n")); i >= 0 && (end < 0 || i+4 < end) {
			end = i + 4
		}
		if end < 0 {
			return append(out, stream)
		}
		out = append(out, stream[:end])
		stream = stream[end:]
	}
	return out
}
