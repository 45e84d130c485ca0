package anthropic_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/wiretest"

	"github.com/sovereign-gateway/sovereign/internal/anthropicwire"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/provider"
	"github.com/sovereign-gateway/sovereign/internal/provider/anthropic"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// recorded is one recorded exchange: <case>.request.json, <case>.response.* and <case>.meta.json.
type recorded struct {
	request     []byte
	response    []byte
	status      int
	contentType string
}

func load(t testing.TB, name string) recorded {
	t.Helper()
	var m struct {
		Status      int    `json:"status"`
		ContentType string `json:"content_type"`
	}
	if err := json.Unmarshal(fixture(t, name+".meta.json"), &m); err != nil {
		t.Fatal(err)
	}
	rec := recorded{request: fixture(t, name+".request.json"), status: m.Status, contentType: m.ContentType}
	for _, ext := range []string{".response.json", ".response.sse"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name+ext)); err == nil {
			rec.response = b
		}
	}
	if rec.response == nil {
		t.Fatalf("%s: no response file", name)
	}
	return rec
}

// upstream is a fake Anthropic API; the test's own assertions run in the handler with
// t.Errorf.
func upstream(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// replay answers with a recording, byte for byte, with its status and Content-Type. A stream
// goes out in small flushed pieces, as a real one arrives.
func replay(w http.ResponseWriter, rec recorded) {
	w.Header().Set("Content-Type", rec.contentType)
	w.WriteHeader(rec.status)
	if !strings.HasPrefix(rec.contentType, "text/event-stream") {
		w.Write(rec.response)
		return
	}
	rc := http.NewResponseController(w)
	for b := rec.response; len(b) > 0; {
		n := min(len(b), 97)
		w.Write(b[:n])
		rc.Flush()
		b = b[n:]
	}
}

// readJSON reads a request body as a generic JSON object.
func readJSON(t *testing.T, r *http.Request) map[string]any {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("reading the request body: %v", err)
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Errorf("request body is not a JSON object: %v\n%s", err, b)
	}
	return m
}

func decodeRequest(t *testing.T, body []byte) *llm.Request {
	t.Helper()
	r, err := anthropicwire.DecodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// checkHeaders checks what every call to Anthropic carries.
func checkHeaders(t *testing.T, r *http.Request, key string) {
	t.Helper()
	if got := r.Header.Get("X-Api-Key"); got != key {
		t.Errorf("x-api-key = %q, want %q", got, key)
	}
	if got := r.Header.Get("Anthropic-Version"); got != "2023-06-01" {
		t.Errorf("anthropic-version = %q", got)
	}
	if _, ok := r.Header["Authorization"]; ok {
		t.Error("Authorization sent")
	}
}

func TestChat(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		calls  int
		finish string
	}{
		{"anthropic/plain", "Paris", 0, llm.FinishStop},
		{"anthropic/plain_raw", "functioning properly", 0, llm.FinishStop},
		{"anthropic/parallel_tool_use", "youngest", 4, llm.FinishToolCalls},
		{"anthropic/thinking_tool_use", "largest city", 1, llm.FinishToolCalls},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := load(t, tt.name)
			sent := map[string]any{}
			srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/v1/messages" {
					t.Errorf("request %s %s, want POST /v1/messages", r.Method, r.URL.Path)
				}
				checkHeaders(t, r, "sk-ant-test")
				if got := r.Header.Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type = %q", got)
				}
				if got := r.Header.Get("X-Title"); got != "sovereign" {
					t.Errorf("configured header X-Title = %q", got)
				}
				if _, ok := r.Header["Anthropic-Beta"]; ok {
					t.Errorf("anthropic-beta sent unasked: %q", r.Header.Get("Anthropic-Beta"))
				}
				sent = readJSON(t, r)
				replay(w, rec)
			})
			c := anthropic.New(anthropic.Options{BaseURL: srv.URL + "/v1/", APIKey: "sk-ant-test", Header: http.Header{"X-Title": {"sovereign"}}})
			req := decodeRequest(t, rec.request)
			req.Model = "claude-upstream"
			req.Stream = true // a stream flag on the request does not make Chat stream
			resp, err := c.Chat(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			// The body sent is the recorded request, under the upstream's model name, not
			// streamed.
			want := map[string]any{}
			json.Unmarshal(rec.request, &want)
			want["model"] = "claude-upstream"
			delete(want, "stream")
			if _, ok := sent["stream"]; ok {
				t.Errorf("a non-streamed call sent stream = %v", sent["stream"])
			}
			norm := func(m map[string]any) string {
				req, err := anthropicwire.DecodeRequest(mustJSON(m))
				if err != nil {
					t.Fatal(err)
				}
				return string(mustJSON(req))
			}
			if norm(sent) != norm(want) {
				t.Errorf("sent\n%s\nwant the recorded request\n%s", mustJSON(sent), mustJSON(want))
			}
			if !bytes.Equal(resp.Raw, rec.response) || resp.RawFormat != llm.FormatAnthropic {
				t.Error("Raw is not the upstream's body byte for byte")
			}
			if out, err := anthropicwire.EncodeResponse(resp, ""); err != nil || !bytes.Equal(out, rec.response) {
				t.Error("an Anthropic client would not get the upstream's body byte for byte")
			}
			ch := resp.Choices[0]
			if !strings.Contains(ch.Message.Text(), tt.text) || len(ch.Message.ToolCalls) != tt.calls || ch.FinishReason != tt.finish ||
				resp.Usage == nil || resp.Usage.OutputTokens == 0 || !strings.HasPrefix(resp.ID, "msg_") {
				t.Errorf("decoded %+v usage %+v", ch, resp.Usage)
			}
			if !req.Stream {
				t.Error("Chat changed the caller's request")
			}
		})
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// A request from another ingress: defaults filled in, cache breakpoints and tools kept, what
// Anthropic lacks dropped and listed.
func TestChatRequestBody(t *testing.T) {
	rec := load(t, "anthropic/plain_raw")
	var sent map[string]any
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		sent = readJSON(t, r)
		replay(w, rec)
	})
	req := &llm.Request{Model: "claude-x", ExtensionsFormat: llm.FormatOpenAIChat, Seed: new(int64),
		Messages: []llm.Message{
			{Role: "system", Content: []llm.Part{{Type: "text", Text: "sys", CacheControl: json.RawMessage(`{"type":"ephemeral"}`)}}},
			{Role: "user", Content: []llm.Part{llm.TextPart("hi")}},
		},
		Tools: []llm.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"object"}`), CacheControl: json.RawMessage(`{"type":"ephemeral","ttl":"1h"}`)}},
	}
	for _, tt := range []struct {
		opts anthropic.Options
		max  string
	}{{anthropic.Options{}, "8192"}, {anthropic.Options{DefaultMaxTokens: 1000}, "1000"}} {
		tt.opts.BaseURL = srv.URL
		r := *req
		r.Dropped = nil
		if _, err := anthropic.New(tt.opts).Chat(context.Background(), &r); err != nil {
			t.Fatal(err)
		}
		want := `{"model":"claude-x","max_tokens":` + tt.max +
			`,"system":[{"type":"text","text":"sys","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"hi"}],` +
			`"tools":[{"name":"f","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral","ttl":"1h"}}]}`
		var w map[string]any
		json.Unmarshal([]byte(want), &w)
		if !reflect.DeepEqual(sent, w) {
			t.Errorf("sent\n%s\nwant\n%s", mustJSON(sent), want)
		}
		if !slices.Equal(r.Dropped, []string{"seed"}) {
			t.Errorf("dropped %v", r.Dropped)
		}
	}
}

func TestBetaHeader(t *testing.T) {
	rec := load(t, "anthropic/plain")
	var got string
	var body []byte
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Get("Anthropic-Beta")
		body, _ = io.ReadAll(r.Body)
		replay(w, rec)
	})
	c := anthropic.New(anthropic.Options{BaseURL: srv.URL, Header: http.Header{"Anthropic-Beta": {"configured-1"}}})
	req := decodeRequest(t, rec.request)
	req.Hints = map[string]json.RawMessage{anthropicwire.HintBeta: json.RawMessage(`["interleaved-thinking-2025-05-14","context-1m-2025-08-07, configured-1"]`)}
	if _, err := c.Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got != "configured-1,interleaved-thinking-2025-05-14,context-1m-2025-08-07" {
		t.Errorf("anthropic-beta = %q", got)
	}
	if bytes.Contains(body, []byte("anthropic-beta")) || bytes.Contains(body, []byte("interleaved")) {
		t.Errorf("the beta list went into the body: %s", body)
	}
	// Without the hint only the configured value goes out.
	req.Hints = nil
	if _, err := c.Chat(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got != "configured-1" {
		t.Errorf("anthropic-beta = %q", got)
	}
}

// collect reads s to its end and returns the chunks and the error that ended it (nil for a
// clean io.EOF).
func collect(t *testing.T, s llm.Stream) ([]*llm.Chunk, error) {
	t.Helper()
	var out []*llm.Chunk
	for range 100_000 {
		ch, err := s.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ch)
	}
	t.Fatal("stream does not end")
	return nil, nil
}

type summary struct {
	text, reasoning, signature string
	calls                      []llm.ToolCall
	finish                     string
	usage                      llm.Usage
}

func summarize(chunks []*llm.Chunk) summary {
	var s summary
	for _, c := range chunks {
		if c.Usage != nil {
			s.usage = *c.Usage
		}
		for _, ch := range c.Choices {
			s.text += ch.Delta.Content
			s.reasoning += ch.Delta.Reasoning
			s.signature += ch.Delta.ReasoningSignature
			for _, tc := range ch.Delta.ToolCalls {
				for len(s.calls) <= tc.Index {
					s.calls = append(s.calls, llm.ToolCall{})
				}
				s.calls[tc.Index].ID += tc.ID
				s.calls[tc.Index].Name += tc.Name
				s.calls[tc.Index].Arguments += tc.Arguments
			}
			if ch.FinishReason != "" {
				s.finish = ch.FinishReason
			}
		}
	}
	return s
}

func TestStream(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		reasoning string // its start
		calls     []llm.ToolCall
		finish    string
		usage     llm.Usage
	}{
		{"anthropic/stream_text", "2", "", nil, llm.FinishStop, llm.Usage{InputTokens: 20, OutputTokens: 5, TotalTokens: 25}},
		{"anthropic/stream_text_raw", "1\n2\n3\n4\n5", "", nil, llm.FinishStop, llm.Usage{InputTokens: 15, OutputTokens: 13, TotalTokens: 28}},
		{"anthropic/stream_thinking", "", "This is a straightforward question about pedestrian safety.", nil, llm.FinishStop,
			llm.Usage{InputTokens: 43, OutputTokens: 282, TotalTokens: 325}},
		{"anthropic/stream_tool_use_input_json_delta",
			"Let me search for a tool that can provide current exchange rate information.I found the right tool! Let me fetch the current USD to EUR exchange rate for you.",
			"", []llm.ToolCall{{ID: "toolu_01EFn5wTNBYA8Reni8rbmnHT", Name: "get_exchange_rate", Arguments: `{"from_currency": "USD", "to_currency": "EUR"}`}},
			llm.FinishToolCalls, llm.Usage{InputTokens: 1591, OutputTokens: 175, TotalTokens: 1766}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := load(t, tt.name)
			srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/messages" {
					t.Errorf("path %q", r.URL.Path)
				}
				checkHeaders(t, r, "k")
				body := readJSON(t, r)
				if body["stream"] != true || body["model"] != "claude-upstream" {
					t.Errorf("stream = %v, model = %v", body["stream"], body["model"])
				}
				replay(w, rec)
			})
			c := anthropic.New(anthropic.Options{BaseURL: srv.URL, APIKey: "k"})
			req := decodeRequest(t, rec.request)
			req.Model = "claude-upstream"
			req.Stream = false // Stream streams regardless
			s, err := c.Stream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			chunks, err := collect(t, s)
			if err != nil {
				t.Fatal(err)
			}
			got := summarize(chunks)
			if tt.text != "" && got.text != tt.text || !strings.HasPrefix(got.reasoning, tt.reasoning) || !reflect.DeepEqual(got.calls, tt.calls) ||
				got.finish != tt.finish || got.usage != tt.usage {
				t.Errorf("got %+v", got)
			}
			if tt.reasoning != "" && (got.signature == "" || got.text == "") {
				t.Errorf("thinking without signature or text: %+v", got)
			}
			// The end stays the end.
			if _, err := s.Recv(); err != io.EOF {
				t.Errorf("Recv after the end = %v, want io.EOF", err)
			}
		})
	}
}

// call runs Chat or Stream; for Stream, a failure to start is the error.
type call struct {
	name string
	run  func(context.Context, *anthropic.Client, *llm.Request) error
}

var calls = []call{
	{"Chat", func(ctx context.Context, c *anthropic.Client, r *llm.Request) error {
		_, err := c.Chat(ctx, r)
		return err
	}},
	{"Stream", func(ctx context.Context, c *anthropic.Client, r *llm.Request) error {
		s, err := c.Stream(ctx, r)
		if err == nil {
			s.Close()
		}
		return err
	}},
}

var simpleRequest = []byte(`{"model":"claude","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`)

func TestErrors(t *testing.T) {
	respond := func(status int, contentType, body string, header ...string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			io.WriteString(w, body)
		}
	}
	recordedAnswer := func(name string) http.HandlerFunc {
		rec := load(t, name)
		return respond(rec.status, rec.contentType, string(rec.response))
	}
	tests := []struct {
		name       string
		h          http.HandlerFunc
		status     int
		code       string
		param      string
		message    string
		retryable  bool
		retryAfter time.Duration
	}{
		{"recorded 400", recordedAnswer("anthropic/error_400_invalid_request"), 400, "", "",
			"This model does not support effort level 'xhigh'.", false, 0},
		{"recorded 404", recordedAnswer("anthropic/error_404_count_tokens"), 404, llm.CodeModelNotFound, "model", "model: claude-does-not-exist", false, 0},
		{"429 with Retry-After", respond(429, "application/json", `{"type":"error","error":{"type":"rate_limit_error","message":"rate limited"}}`, "Retry-After", "3"),
			429, llm.CodeRateLimited, "", "rate limited", true, 3 * time.Second},
		{"529 overloaded", respond(529, "application/json", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`),
			503, llm.CodeUpstreamError, "", "Overloaded", true, 0},
		{"500", respond(500, "application/json", `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`), 502, llm.CodeUpstreamError, "", "Internal server error", true, 0},
		{"503 html", respond(503, "text/html", "<html><body>Service Unavailable</body></html>"), 502, llm.CodeUpstreamError, "", "Service Unavailable", true, 0},
		{"401", respond(401, "application/json", `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`),
			502, llm.CodeUpstreamAuth, "", "credentials", false, 0},
		{"200 with an error object", respond(200, "application/json", `{"type":"error","error":{"type":"api_error","message":"proxy trouble"}}`),
			502, llm.CodeUpstreamError, "", "proxy trouble", true, 0},
	}
	for _, tt := range tests {
		for _, cl := range calls {
			t.Run(tt.name+"/"+cl.name, func(t *testing.T) {
				srv := upstream(t, tt.h)
				c := anthropic.New(anthropic.Options{Name: "claude", BaseURL: srv.URL})
				err := cl.run(context.Background(), c, decodeRequest(t, simpleRequest))
				if err == nil {
					t.Fatal("no error")
				}
				e := asLLMError(t, err)
				if e.Status != tt.status || e.Code != tt.code || e.Param != tt.param || e.Retryable != tt.retryable || e.RetryAfter != tt.retryAfter {
					t.Errorf("got status %d code %q param %q retryable %v retry after %v\nwant status %d code %q param %q retryable %v retry after %v",
						e.Status, e.Code, e.Param, e.Retryable, e.RetryAfter, tt.status, tt.code, tt.param, tt.retryable, tt.retryAfter)
				}
				if !strings.Contains(e.Message, tt.message) || !strings.Contains(e.Message, `"claude"`) {
					t.Errorf("message %q should contain %q and the provider's name", e.Message, tt.message)
				}
			})
		}
	}
}

func TestBadAnswers(t *testing.T) {
	for _, tt := range []struct {
		name, contentType, body string
	}{
		{"html page", "text/html", "<html>login</html>"},
		{"truncated JSON", "application/json", `{"id":"msg_1","type":"message","content":[`},
		{"other object", "application/json", `{"object":"list","data":[]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				io.WriteString(w, tt.body)
			})
			c := anthropic.New(anthropic.Options{BaseURL: srv.URL})
			for _, cl := range calls {
				e := asLLMError(t, cl.run(context.Background(), c, decodeRequest(t, simpleRequest)))
				if e.Status != http.StatusBadGateway || e.Code != llm.CodeUpstreamBadResponse || e.Retryable {
					t.Errorf("%s: %+v, want a 502 upstream_bad_response", cl.name, e)
				}
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	c := anthropic.New(anthropic.Options{BaseURL: "http://" + addr})
	for _, cl := range calls {
		e := asLLMError(t, cl.run(context.Background(), c, decodeRequest(t, simpleRequest)))
		if e.Status != http.StatusBadGateway || e.Code != llm.CodeUpstreamUnavailable || !e.Retryable || e.Cause == nil {
			t.Errorf("%s: %+v, want a retryable 502 upstream_unavailable", cl.name, e)
		}
	}
	if err := c.Ping(context.Background()); err == nil {
		t.Error("Ping succeeded with nothing listening")
	}
	if _, err := c.CountTokens(context.Background(), decodeRequest(t, simpleRequest)); err == nil {
		t.Error("CountTokens succeeded with nothing listening")
	}
}

// blocking starts a fake upstream whose handler may block on release, which is closed when
// the test ends. Cleanups run last in, first out, so release is closed before the server's
// Close, which waits for handlers to return.
func blocking(t *testing.T, h func(w http.ResponseWriter, r *http.Request, release <-chan struct{})) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) { h(w, r, release) })
	t.Cleanup(func() { close(release) })
	return srv
}

// hang waits until the test ends or the client goes away: an upstream that never answers.
func hang(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
	select {
	case <-release:
	case <-r.Context().Done():
	}
}

func TestTimeout(t *testing.T) {
	for _, cl := range calls {
		t.Run(cl.name, func(t *testing.T) {
			srv := blocking(t, hang)
			c := anthropic.New(anthropic.Options{BaseURL: srv.URL, Timeout: 50 * time.Millisecond})
			e := asLLMError(t, cl.run(context.Background(), c, decodeRequest(t, simpleRequest)))
			if e.Status != http.StatusGatewayTimeout || e.Code != llm.CodeUpstreamTimeout || !e.Retryable {
				t.Errorf("%+v, want a retryable 504 upstream_timeout", e)
			}
		})
	}
}

// A caller that goes away is not an upstream failure: the error stays context.Canceled.
func TestCallerCancelsBeforeAnswer(t *testing.T) {
	for _, cl := range calls {
		t.Run(cl.name, func(t *testing.T) {
			srv := blocking(t, hang)
			c := anthropic.New(anthropic.Options{BaseURL: srv.URL})
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := cl.run(ctx, c, decodeRequest(t, simpleRequest)); !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want context.Canceled", err)
			}
		})
	}
}

// streamHandler writes the headers of an event stream and the given events, flushed.
func streamHandler(w http.ResponseWriter, events ...string) {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	for _, ev := range events {
		io.WriteString(w, ev)
	}
	http.NewResponseController(w).Flush()
}

const (
	evStart  = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n"
	evBlock  = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	evHello  = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}\n\n"
	evStop   = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	evFinish = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":2}}\n\n"
	evEnd    = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	evPing   = "event: ping\ndata: {\"type\": \"ping\"}\n\n"
	evError  = "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n"
)

func startStream(t *testing.T, srv *httptest.Server, opts anthropic.Options) llm.Stream {
	t.Helper()
	opts.BaseURL = srv.URL
	s, err := anthropic.New(opts).Stream(context.Background(), decodeRequest(t, simpleRequest))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// recvN receives n chunks, failing the test on any error.
func recvN(t *testing.T, s llm.Stream, n int) {
	t.Helper()
	for i := range n {
		if _, err := s.Recv(); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
}

func TestStreamIdleTimeout(t *testing.T) {
	srv := blocking(t, func(w http.ResponseWriter, r *http.Request, release <-chan struct{}) {
		streamHandler(w, evStart, evBlock, evHello)
		hang(w, r, release)
	})
	s := startStream(t, srv, anthropic.Options{StreamIdleTimeout: 50 * time.Millisecond})
	recvN(t, s, 2)
	_, err := s.Recv()
	e := asLLMError(t, err)
	// A silent upstream is a timeout, not the caller going away; and after a chunk went out
	// the failure cannot be retried.
	if e.Status != http.StatusGatewayTimeout || e.Code != llm.CodeUpstreamTimeout || e.Retryable {
		t.Errorf("%+v, want a non-retryable 504 upstream_timeout", e)
	}
}

func TestStreamCutOff(t *testing.T) {
	s := startStream(t, upstream(t, func(w http.ResponseWriter, r *http.Request) {
		streamHandler(w, evStart, evBlock, evHello)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}), anthropic.Options{})
	recvN(t, s, 2)
	_, err := s.Recv()
	if err == nil || err == io.EOF {
		t.Fatalf("Recv after the connection broke = %v, want an error", err)
	}
	if e := asLLMError(t, err); e.Status != http.StatusBadGateway || e.Retryable {
		t.Errorf("%+v, want a non-retryable 502", e)
	}
}

func TestStreamEnds(t *testing.T) {
	tests := []struct {
		name   string
		events []string
		chunks int
		status int // of the error that ends it; 0 for io.EOF
		code   string
	}{
		{"whole", []string{evStart, evBlock, evPing, evHello, evStop, evFinish, evEnd}, 3, 0, ""},
		{"no message_stop after the stop reason", []string{evStart, evBlock, evHello, evStop, evFinish}, 3, 0, ""},
		{"comments are skipped", []string{": keep-alive\n\n", evStart, ": x\n\n", evFinish, evEnd}, 2, 0, ""},
		{"cut before the stop reason", []string{evStart, evBlock, evHello, evStop}, 2, 502, llm.CodeUpstreamBadResponse},
		{"empty stream", nil, 0, 502, llm.CodeUpstreamBadResponse},
		{"error event mid-stream", []string{evStart, evBlock, evHello, evError}, 2, 503, llm.CodeUpstreamError},
		{"error event first", []string{evError}, 0, 503, llm.CodeUpstreamError},
		{"garbage event", []string{evStart, "event: content_block_delta\ndata: {\"type\":\n\n"}, 1, 502, llm.CodeUpstreamBadResponse},
		{"not Anthropic's events", []string{"data: {\"id\":\"chatcmpl-1\",\"choices\":[]}\n\n", "data: [DONE]\n\n"}, 0, 502, llm.CodeUpstreamBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startStream(t, upstream(t, func(w http.ResponseWriter, r *http.Request) { streamHandler(w, tt.events...) }), anthropic.Options{})
			recvN(t, s, tt.chunks)
			_, err := s.Recv()
			if tt.status == 0 {
				if err != io.EOF {
					t.Fatalf("end = %v, want io.EOF", err)
				}
				if _, err := s.Recv(); err != io.EOF {
					t.Errorf("Recv after the end = %v, want io.EOF", err)
				}
				return
			}
			if err == nil || err == io.EOF {
				t.Fatalf("end = %v, want an error", err)
			}
			e := asLLMError(t, err)
			// Nothing can be retried once a chunk went to the caller.
			if e.Status != tt.status || e.Code != tt.code || (tt.chunks > 0 && e.Retryable) {
				t.Errorf("%+v, want %d %q, not retryable after a chunk", e, tt.status, tt.code)
			}
			if tt.name == "error event first" && !e.Retryable {
				t.Errorf("an overloaded upstream that sent nothing yet can be retried: %+v", e)
			}
		})
	}
}

// Cancelling the caller's context, or closing the stream, ends the upstream request.
func TestStreamCancel(t *testing.T) {
	for _, how := range []string{"cancel", "close"} {
		t.Run(how, func(t *testing.T) {
			gone := make(chan struct{})
			srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
				streamHandler(w, evStart, evBlock, evHello)
				<-r.Context().Done()
				close(gone)
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := anthropic.New(anthropic.Options{BaseURL: srv.URL})
			s, err := c.Stream(ctx, decodeRequest(t, simpleRequest))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			recvN(t, s, 2)
			if how == "cancel" {
				cancel()
			} else {
				s.Close()
			}
			select {
			case <-gone:
			case <-time.After(10 * time.Second): // a safety net, not a measurement
				t.Fatal("the upstream request was not cancelled")
			}
			if how == "cancel" {
				if _, err := s.Recv(); !errors.Is(err, context.Canceled) {
					t.Errorf("Recv after cancel = %v, want context.Canceled", err)
				}
			}
		})
	}
}

func TestStreamContentType(t *testing.T) {
	// An upstream that ignores stream:true and answers with a whole message.
	rec := load(t, "anthropic/plain_raw")
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) { replay(w, rec) })
	_, err := anthropic.New(anthropic.Options{BaseURL: srv.URL}).Stream(context.Background(), decodeRequest(t, simpleRequest))
	if e := asLLMError(t, err); e.Code != llm.CodeUpstreamBadResponse {
		t.Errorf("%+v, want upstream_bad_response", e)
	}
}

// The adapter's stream feeds an Anthropic client through the encoder unchanged.
func TestStreamRelayedToAnthropicClient(t *testing.T) {
	rec := load(t, "anthropic/stream_thinking")
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) { replay(w, rec) })
	s, err := anthropic.New(anthropic.Options{BaseURL: srv.URL}).Stream(context.Background(), decodeRequest(t, rec.request))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chunks, err := collect(t, s)
	if err != nil {
		t.Fatal(err)
	}
	out := httptest.NewRecorder()
	w := sse.NewWriter(out)
	enc := anthropicwire.NewStreamEncoder("", 43)
	for _, c := range chunks {
		if err := enc.Encode(w, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Finish(w, ""); err != nil {
		t.Fatal(err)
	}
	// Event for event, the client gets what Anthropic sent, except the ping's place and the
	// empty thinking delta.
	var want, got []string
	for _, b := range [][]byte{rec.response, out.Body.Bytes()} {
		r := sse.NewReader(bytes.NewReader(b))
		var names []string
		for {
			ev, err := r.Next()
			if err != nil {
				break
			}
			if ev.Event != "ping" && !bytes.Contains(ev.Data, []byte(`"thinking":""}`)) {
				names = append(names, ev.Event)
			}
		}
		if want == nil {
			want = names
		} else {
			got = names
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("events\n%v\nwant\n%v", got, want)
	}
}

func TestCountTokens(t *testing.T) {
	t.Run("counted", func(t *testing.T) {
		srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPost || r.URL.Path != "/v1/messages/count_tokens" {
				t.Errorf("request %s %s", r.Method, r.URL.Path)
			}
			checkHeaders(t, r, "k")
			body := readJSON(t, r)
			for _, k := range []string{"max_tokens", "stream", "temperature"} {
				if _, ok := body[k]; ok {
					t.Errorf("count_tokens got %s", k)
				}
			}
			if body["model"] != "claude" || body["system"] != "sys" {
				t.Errorf("body %v", body)
			}
			io.WriteString(w, `{"input_tokens":42}`)
		})
		req := decodeRequest(t, []byte(`{"model":"claude","max_tokens":10,"temperature":0.5,"stream":true,"system":"sys","messages":[{"role":"user","content":"hi"}]}`))
		n, err := anthropic.New(anthropic.Options{BaseURL: srv.URL, APIKey: "k"}).CountTokens(context.Background(), req)
		if err != nil || n != 42 {
			t.Errorf("CountTokens = %d, %v", n, err)
		}
	})
	t.Run("recorded 404", func(t *testing.T) {
		rec := load(t, "anthropic/error_404_count_tokens")
		srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
			body := readJSON(t, r)
			var want map[string]any
			json.Unmarshal(rec.request, &want)
			if body["model"] != want["model"] {
				t.Errorf("model %v", body["model"])
			}
			replay(w, rec)
		})
		req, err := anthropicwire.DecodeCountTokensRequest(rec.request)
		if err != nil {
			t.Fatal(err)
		}
		_, err = anthropic.New(anthropic.Options{BaseURL: srv.URL}).CountTokens(context.Background(), req)
		if e := asLLMError(t, err); e.Status != 404 || e.Code != llm.CodeModelNotFound || !strings.Contains(e.Message, "claude-does-not-exist") {
			t.Errorf("%+v", e)
		}
	})
	t.Run("not a count", func(t *testing.T) {
		srv := upstream(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"tokens":1}`) })
		_, err := anthropic.New(anthropic.Options{BaseURL: srv.URL}).CountTokens(context.Background(), decodeRequest(t, simpleRequest))
		if e := asLLMError(t, err); e.Code != llm.CodeUpstreamBadResponse {
			t.Errorf("%+v", e)
		}
	})
}

func TestListModels(t *testing.T) {
	pages := []string{
		`{"data":[{"type":"model","id":"claude-sonnet-4-5-20250929","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"},
			{"type":"model","id":"claude-3-7-sonnet-20250219","display_name":"Claude Sonnet 3.7"},
			{"type":"model","id":"claude-3-5-haiku-20241022","display_name":"Claude Haiku 3.5"}],"has_more":true,"first_id":"claude-sonnet-4-5-20250929","last_id":"claude-3-5-haiku-20241022"}`,
		`{"data":[{"type":"model","id":"claude-opus-4-6","max_input_tokens":1000000,"capabilities":{"image_input":{"supported":true},"thinking":{"supported":true,"types":{}}}},
			{"type":"model","id":"claude-text-only-9","max_input_tokens":50000,"capabilities":{"image_input":{"supported":false},"thinking":{"supported":false}}}],"has_more":false,"last_id":"claude-text-only-9"}`,
	}
	var seen []string
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/models" {
			t.Errorf("request %s %s", r.Method, r.URL.Path)
		}
		checkHeaders(t, r, "k")
		seen = append(seen, r.URL.RawQuery)
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("after_id") == "claude-3-5-haiku-20241022" {
			io.WriteString(w, pages[1])
			return
		}
		io.WriteString(w, pages[0])
	})
	c := anthropic.New(anthropic.Options{BaseURL: srv.URL, APIKey: "k"})
	got, err := c.ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	all := provider.Caps{Known: true, Completion: true, Tools: true, Vision: true, Thinking: true}
	noThinking := all
	noThinking.Thinking = false
	want := []provider.ModelInfo{
		{ID: "claude-sonnet-4-5-20250929", ContextLength: 200000, Caps: all, OwnedBy: "anthropic"},
		{ID: "claude-3-7-sonnet-20250219", ContextLength: 200000, Caps: all, OwnedBy: "anthropic"},
		{ID: "claude-3-5-haiku-20241022", ContextLength: 200000, Caps: noThinking, OwnedBy: "anthropic"},
		{ID: "claude-opus-4-6", ContextLength: 1000000, Caps: all, OwnedBy: "anthropic"},
		{ID: "claude-text-only-9", ContextLength: 50000, Caps: provider.Caps{Known: true, Completion: true, Tools: true}, OwnedBy: "anthropic"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("models\n%+v\nwant\n%+v", got, want)
	}
	if len(seen) != 2 || seen[0] != "limit=1000" {
		t.Errorf("queries %q", seen)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestListModelsErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		body   string
		code   string
	}{
		{"401", 401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, llm.CodeUpstreamAuth},
		{"not JSON", 200, `<html></html>`, llm.CodeUpstreamBadResponse},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			c := anthropic.New(anthropic.Options{BaseURL: srv.URL})
			_, err := c.ListModels(context.Background())
			if e := asLLMError(t, err); e.Code != tt.code {
				t.Errorf("%+v, want code %q", e, tt.code)
			}
			if err := c.Ping(context.Background()); err == nil {
				t.Error("Ping succeeded")
			}
		})
	}
}

// A request Anthropic cannot honour is refused before anything is sent.
func TestRefusedBeforeSending(t *testing.T) {
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent upstream") })
	c := anthropic.New(anthropic.Options{Name: "claude", BaseURL: srv.URL})
	for _, tt := range []struct {
		name  string
		edit  func(*llm.Request)
		param string
	}{
		{"foreign extension", func(r *llm.Request) {
			r.Extensions, r.ExtensionsFormat = map[string]json.RawMessage{"keep_alive": json.RawMessage(`"5m"`)}, llm.FormatOllama
		}, "keep_alive"},
		{"n > 1", func(r *llm.Request) { n := 3; r.N = &n }, "n"},
		{"json_object", func(r *llm.Request) { r.ResponseFormat = &llm.ResponseFormat{Type: llm.ResponseJSONObject} }, "response_format"},
	} {
		for _, cl := range calls {
			t.Run(tt.name+"/"+cl.name, func(t *testing.T) {
				req := decodeRequest(t, simpleRequest)
				tt.edit(req)
				if e := asLLMError(t, cl.run(context.Background(), c, req)); e.Code != llm.CodeUnsupportedParameter || e.Param != tt.param || !strings.Contains(e.Message, `"claude"`) {
					t.Errorf("%+v", e)
				}
			})
		}
	}
}

func TestName(t *testing.T) {
	if got := anthropic.New(anthropic.Options{}).Name(); got != "anthropic" {
		t.Errorf("Name = %q", got)
	}
	if got := anthropic.New(anthropic.Options{Name: "claude-work"}).Name(); got != "claude-work" {
		t.Errorf("Name = %q", got)
	}
}

// The helpers every wire package's tests share (internal/wiretest).
func fixture(t testing.TB, name string) []byte      { return wiretest.Fixture(t, name) }
func asLLMError(t testing.TB, err error) *llm.Error { return wiretest.AsLLMError(t, err) }
