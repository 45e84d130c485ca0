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
	"sync"
	"testing"
)

// seen records what an upstream fake was asked.
type seen struct {
	mu   sync.Mutex
	reqs []seenRequest
}

type seenRequest struct {
	Method, Path, Auth string
	Body               []byte
}

func (s *seen) add(r *http.Request, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqs = append(s.reqs, seenRequest{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Body: body})
}

// count returns how many requests had path.
func (s *seen) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if r.Path == path {
			n++
		}
	}
	return n
}

// last returns the last request to path.
func (s *seen) last(t *testing.T, path string) seenRequest {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.reqs) - 1; i >= 0; i-- {
		if s.reqs[i].Path == path {
			return s.reqs[i]
		}
	}
	t.Fatalf("the upstream fake got no request to %s", path)
	return seenRequest{}
}

// fakeOpenAI is an OpenAI-compatible upstream replaying recorded answers.
type fakeOpenAI struct {
	*httptest.Server
	seen seen
}

// openAIModels is the fake's /v1/models answer; no recording of this endpoint exists, and its
// shape is OpenAI's documented list.
const openAIModels = `{"object":"list","data":[` +
	`{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},` +
	`{"id":"text-embedding-3-small","object":"model","created":1705948997,"owned_by":"system"}]}`

// newFakeOpenAI starts an OpenAI-compatible upstream. chat, when not nil, answers
// /v1/chat/completions instead of the recorded replay (for failure cases).
func newFakeOpenAI(t *testing.T, chat http.HandlerFunc) *fakeOpenAI {
	t.Helper()
	f := &fakeOpenAI{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		f.seen.add(r, nil)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, openAIModels)
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.seen.add(r, body)
		if chat != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			chat(w, r)
			return
		}
		replayChat(t, w, body)
	})
	mux.HandleFunc("POST /v1/embeddings", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.seen.add(r, body)
		var req struct {
			EncodingFormat string `json:"encoding_format"`
		}
		_ = json.Unmarshal(body, &req)
		name := "openai-embeddings/float_with_dimensions.response.json"
		if req.EncodingFormat == "base64" {
			name = "openai-embeddings/base64.response.json"
		}
		writeJSON(w, http.StatusOK, load(t, name))
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// replayChat answers a chat request with the recorded case that fits what it asks for.
func replayChat(t *testing.T, w http.ResponseWriter, body []byte) {
	var req struct {
		Stream bool `json:"stream"`
		Tools  []struct {
			Function struct {
				Name string `json:"name"`
			} `json:"function"`
		} `json:"tools"`
		ResponseFormat *struct {
			Type string `json:"type"`
		} `json:"response_format"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeJSON(w, http.StatusBadRequest, []byte(`{"error":{"message":"fake: bad JSON","type":"invalid_request_error","param":null,"code":null}}`))
		return
	}
	tool := ""
	if len(req.Tools) > 0 {
		tool = req.Tools[0].Function.Name
	}
	switch {
	case req.Stream && tool == "get_country":
		writeSSE(w, load(t, "openai-chat/stream_parallel_tool_calls.response.sse"))
	case req.Stream && tool != "":
		writeSSE(w, load(t, "openai-chat/stream_tool_call_include_usage.response.sse"))
	case req.Stream:
		writeSSE(w, load(t, "openai-chat/stream_text_include_usage.response.sse"))
	case req.ResponseFormat != nil && tool != "":
		writeJSON(w, http.StatusOK, load(t, "openai-chat/json_schema_response_format.response.json"))
	case req.ResponseFormat != nil:
		writeJSON(w, http.StatusOK, load(t, "openai-chat/json_schema_raw.response.json"))
	case tool != "":
		writeJSON(w, http.StatusOK, load(t, "openai-chat/tool_call.response.json"))
	default:
		writeJSON(w, http.StatusOK, load(t, "openai-chat/plain.response.json"))
	}
}

// load reads testdata/name from a handler goroutine, where t.Fatal must not be called.
func load(t *testing.T, name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Errorf("upstream fake: %v", err)
	}
	return b
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// sseEvents splits a recorded SSE stream into its events, each with its blank line.
func sseEvents(stream []byte) [][]byte {
	var out [][]byte
	for len(stream) > 0 {
		i := bytes.Index(stream, []byte("\n\n"))
		if i < 0 {
			return append(out, stream)
		}
		out = append(out, stream[:i+2])
		stream = stream[i+2:]
	}
	return out
}

// writeSSE replays a recorded stream byte for byte, one event per flush.
func writeSSE(w http.ResponseWriter, stream []byte) {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	for _, ev := range sseEvents(stream) {
		w.Write(ev)
		w.(http.Flusher).Flush()
	}
}

// fakeOllama is an Ollama server replaying recorded /api/chat and /api/embed answers.
type fakeOllama struct {
	*httptest.Server
	seen seen
}

// newFakeOllama starts an Ollama upstream. Its model list and /api/show answers are written
// for these tests (see testdata/PROVENANCE.md); chat and embed answers are recordings. chat,
// when not nil, answers /api/chat instead of the recorded replay.
func newFakeOllama(t *testing.T, chat http.HandlerFunc) *fakeOllama {
	t.Helper()
	f := &fakeOllama{}
	shows := map[string]json.RawMessage{}
	if err := json.Unmarshal(fixture(t, "ollama/e2e_show.json"), &shows); err != nil {
		t.Fatal(err)
	}
	nonStream := ollamaNonStream(t, fixture(t, "ollama/chat_stream.response.ndjson"))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, r *http.Request) {
		f.seen.add(r, nil)
		writeJSON(w, http.StatusOK, load(t, "ollama/e2e_tags.json"))
	})
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []byte(`{"version":"0.12.6"}`))
	})
	mux.HandleFunc("POST /api/show", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.seen.add(r, body)
		var req struct {
			Model string `json:"model"`
		}
		_ = json.Unmarshal(body, &req)
		s, ok := shows[req.Model]
		if !ok {
			writeJSON(w, http.StatusNotFound, []byte(`{"error":"model '`+req.Model+`' not found"}`))
			return
		}
		writeJSON(w, http.StatusOK, s)
	})
	mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.seen.add(r, body)
		if chat != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			chat(w, r)
			return
		}
		var req struct {
			Stream *bool             `json:"stream"`
			Tools  []json.RawMessage `json:"tools"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			writeJSON(w, http.StatusBadRequest, []byte(`{"error":"invalid JSON"}`))
			return
		}
		stream := req.Stream == nil || *req.Stream // Ollama streams unless told not to
		switch {
		case stream && len(req.Tools) > 0:
			writeNDJSON(w, load(t, "ollama/docs_chat_tools_stream.response.ndjson"))
		case stream:
			writeNDJSON(w, load(t, "ollama/chat_stream.response.ndjson"))
		case len(req.Tools) > 0:
			writeJSON(w, http.StatusOK, load(t, "ollama/docs_chat_tools_non_stream.response.json"))
		default:
			writeJSON(w, http.StatusOK, nonStream)
		}
	})
	mux.HandleFunc("POST /api/embed", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.seen.add(r, body)
		writeJSON(w, http.StatusOK, load(t, "ollama/embed.response.json"))
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// writeNDJSON replays recorded NDJSON byte for byte, one line per flush, as Ollama streams.
func writeNDJSON(w http.ResponseWriter, stream []byte) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	for _, line := range bytes.SplitAfter(stream, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		w.Write(line)
		w.(http.Flusher).Flush()
	}
}

// ndjsonLine is the part of a streamed /api/chat line the tests read.
type ndjsonLine struct {
	Message struct {
		Content string `json:"content"`
	} `json:"message"`
	Done            bool   `json:"done"`
	DoneReason      string `json:"done_reason"`
	PromptEvalCount int64  `json:"prompt_eval_count"`
	EvalCount       int64  `json:"eval_count"`
}

// recordedOllamaStream returns the text and the final line of a recorded /api/chat stream.
func recordedOllamaStream(t *testing.T, stream []byte) (string, ndjsonLine) {
	t.Helper()
	var text strings.Builder
	var last ndjsonLine
	for _, line := range bytes.Split(bytes.TrimSpace(stream), []byte("\n")) {
		var l ndjsonLine
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatal(err)
		}
		text.WriteString(l.Message.Content)
		last = l
	}
	if !last.Done {
		t.Fatal("recorded stream has no done line")
	}
	return text.String(), last
}

// ollamaNonStream builds the non-streamed answer Ollama gives for the same generation as a
// recorded stream: its final line, with the whole text as the message (that is how Ollama
// assembles it server-side). No non-streamed /api/chat recording without tools exists.
func ollamaNonStream(t *testing.T, stream []byte) []byte {
	t.Helper()
	text, _ := recordedOllamaStream(t, stream)
	lines := bytes.Split(bytes.TrimSpace(stream), []byte("\n"))
	var final map[string]any
	if err := json.Unmarshal(lines[len(lines)-1], &final); err != nil {
		t.Fatal(err)
	}
	final["message"] = map[string]any{"role": "assistant", "content": text}
	b, err := json.Marshal(final)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
