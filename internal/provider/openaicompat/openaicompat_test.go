package openaicompat_test

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
	"strings"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/wiretest"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
	"github.com/sovereign-gateway/sovereign/internal/provider"
	"github.com/sovereign-gateway/sovereign/internal/provider/openaicompat"
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

// upstream is a fake OpenAI-compatible server. Its handler sees each request after the common
// checks; the test's own assertions run in the handler with t.Errorf.
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
	r, err := openaiwire.DecodeChatRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// payloads returns the data payloads of a recorded stream, without the final [DONE].
func payloads(t *testing.T, stream []byte) [][]byte {
	t.Helper()
	r := sse.NewReader(bytes.NewReader(stream))
	var out [][]byte
	for {
		ev, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.Data)
	}
	if len(out) == 0 || string(out[len(out)-1]) != "[DONE]" {
		t.Fatal("recording does not end in [DONE]")
	}
	return out[:len(out)-1]
}

func TestChat(t *testing.T) {
	for _, name := range []string{
		"openai-chat/plain", "openai-chat/plain_raw", "openai-chat/tool_call",
		"openai-chat/json_schema_response_format", "openai-chat/json_schema_raw",
	} {
		t.Run(name, func(t *testing.T) {
			rec := load(t, name)
			srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
					t.Errorf("request %s %s, want POST /v1/chat/completions", r.Method, r.URL.Path)
				}
				if got := r.Header.Get("Authorization"); got != "Bearer sk-test" {
					t.Errorf("Authorization = %q", got)
				}
				if got := r.Header.Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type = %q", got)
				}
				if got := r.Header.Get("X-Title"); got != "sovereign" {
					t.Errorf("configured header X-Title = %q", got)
				}
				body := readJSON(t, r)
				if body["model"] != "upstream-model" {
					t.Errorf("model = %v, want the upstream's id", body["model"])
				}
				if _, ok := body["stream"]; ok {
					t.Errorf("a non-streamed call sent stream = %v", body["stream"])
				}
				if _, ok := body["stream_options"]; ok {
					t.Errorf("a non-streamed call sent stream_options")
				}
				replay(w, rec)
			})
			c := openaicompat.New(openaicompat.Options{Name: "openai", BaseURL: srv.URL + "/v1/", APIKey: "sk-test",
				Header: http.Header{"X-Title": {"sovereign"}}})
			req := decodeRequest(t, rec.request)
			req.Model = "upstream-model"
			// A stream flag on the request does not make Chat stream.
			req.Stream, req.IncludeUsage = true, true
			resp, err := c.Chat(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(resp.Raw, rec.response) || resp.RawFormat != llm.FormatOpenAIChat {
				t.Error("Raw is not the upstream's body byte for byte")
			}
			if out, err := openaiwire.EncodeChatResponse(resp); err != nil || !bytes.Equal(out, rec.response) {
				t.Error("an OpenAI client would not get the upstream's body byte for byte")
			}
			var want struct {
				ID      string
				Choices []struct {
					FinishReason string `json:"finish_reason"`
				}
				Usage struct {
					TotalTokens int `json:"total_tokens"`
				}
			}
			if err := json.Unmarshal(rec.response, &want); err != nil {
				t.Fatal(err)
			}
			if resp.ID != want.ID || len(resp.Choices) != 1 || resp.Choices[0].FinishReason != want.Choices[0].FinishReason ||
				resp.Usage == nil || resp.Usage.TotalTokens != want.Usage.TotalTokens {
				t.Errorf("decoded %+v", resp)
			}
			if !req.Stream || !req.IncludeUsage {
				t.Error("Chat changed the caller's request")
			}
		})
	}
}

func TestChatWithoutAPIKey(t *testing.T) {
	rec := load(t, "openai-chat/plain")
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		if v, ok := r.Header["Authorization"]; ok {
			t.Errorf("Authorization sent without an API key: %q", v)
		}
		replay(w, rec)
	})
	c := openaicompat.New(openaicompat.Options{Name: "llamacpp", BaseURL: srv.URL})
	if _, err := c.Chat(context.Background(), decodeRequest(t, rec.request)); err != nil {
		t.Fatal(err)
	}
}

func TestStream(t *testing.T) {
	tests := []struct {
		name   string
		finish string
		usage  llm.Usage
	}{
		{"openai-chat/stream_text_include_usage", llm.FinishStop, llm.Usage{InputTokens: 78, OutputTokens: 9, TotalTokens: 87}},
		{"openai-chat/stream_parallel_tool_calls", llm.FinishToolCalls, llm.Usage{InputTokens: 364, OutputTokens: 40, TotalTokens: 404}},
		{"openai-chat/stream_tool_call_include_usage", llm.FinishToolCalls, llm.Usage{InputTokens: 53, OutputTokens: 15, TotalTokens: 68}},
		{"openai-compatible/openrouter_stream_include_usage", llm.FinishStop, llm.Usage{InputTokens: 586, OutputTokens: 3, TotalTokens: 589}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := load(t, tt.name)
			srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/chat/completions" {
					t.Errorf("path %q", r.URL.Path)
				}
				body := readJSON(t, r)
				if body["stream"] != true || body["model"] != "upstream-model" {
					t.Errorf("stream = %v, model = %v", body["stream"], body["model"])
				}
				if so, _ := body["stream_options"].(map[string]any); so["include_usage"] != true {
					t.Errorf("stream_options = %v, want include_usage true as asked", body["stream_options"])
				}
				replay(w, rec)
			})
			c := openaicompat.New(openaicompat.Options{Name: "openai", BaseURL: srv.URL + "/v1"})
			req := decodeRequest(t, rec.request)
			req.Model = "upstream-model"
			s, err := c.Stream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			want := payloads(t, rec.response)
			var finish string
			var usage *llm.Usage
			for i := 0; ; i++ {
				ch, err := s.Recv()
				if err == io.EOF {
					if i != len(want) {
						t.Errorf("io.EOF after %d chunks, want %d", i, len(want))
					}
					break
				}
				if err != nil {
					t.Fatalf("chunk %d: %v", i, err)
				}
				if i >= len(want) {
					t.Fatalf("more chunks than the %d recorded", len(want))
				}
				out, err := openaiwire.EncodeChunk(ch)
				if err != nil || !bytes.Equal(out, want[i]) {
					t.Errorf("chunk %d relayed as\n%s\nrecorded\n%s", i, out, want[i])
				}
				// Only usage chunks are decoded on arrival; a stage that wants other fields
				// decodes, as the Anthropic and Responses encoders do.
				if ch.Decoded && ch.Usage != nil {
					usage = ch.Usage
				}
				if err := ch.Decode(); err != nil {
					t.Fatal(err)
				}
				for _, c := range ch.Choices {
					if c.FinishReason != "" {
						finish = c.FinishReason
					}
				}
			}
			if finish != tt.finish || usage == nil || *usage != tt.usage {
				t.Errorf("finish %q usage %+v, want %q %+v", finish, usage, tt.finish, tt.usage)
			}
			// The end stays the end.
			if _, err := s.Recv(); err != io.EOF {
				t.Errorf("Recv after the end = %v, want io.EOF", err)
			}
		})
	}
}

func TestStreamWithoutUsage(t *testing.T) {
	rec := load(t, "openai-chat/stream_text_include_usage")
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
		body := readJSON(t, r)
		if _, ok := body["stream_options"]; ok || body["stream"] != true {
			t.Errorf("stream %v, stream_options %v: want a stream without stream_options", body["stream"], body["stream_options"])
		}
		replay(w, rec)
	})
	c := openaicompat.New(openaicompat.Options{Name: "openai", BaseURL: srv.URL})
	req := decodeRequest(t, rec.request)
	req.IncludeUsage = false
	s, err := c.Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

// call runs Chat or Stream; for Stream, a failure to start is the error.
type call struct {
	name string
	run  func(context.Context, *openaicompat.Client, *llm.Request) error
}

var calls = []call{
	{"Chat", func(ctx context.Context, c *openaicompat.Client, r *llm.Request) error {
		_, err := c.Chat(ctx, r)
		return err
	}},
	{"Stream", func(ctx context.Context, c *openaicompat.Client, r *llm.Request) error {
		s, err := c.Stream(ctx, r)
		if err == nil {
			s.Close()
		}
		return err
	}},
}

var simpleRequest = []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`)

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
	recordedAnswer := func(name string, header ...string) http.HandlerFunc {
		rec := load(t, name)
		return respond(rec.status, rec.contentType, string(rec.response), header...)
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
		{"recorded 400 unsupported value", recordedAnswer("openai-chat/error_400_unsupported_value"), 400, "unsupported_value", "messages[0].role",
			"Unsupported value: 'messages[0].role' does not support 'system' with this model.", false, 0},
		{"recorded 400 model not supported", recordedAnswer("openai-chat/error_400_model_not_supported"), 400, "", "web_search_options",
			"Web search options not supported with this model.", false, 0},
		{"recorded 429 with Retry-After", recordedAnswer("openai-compatible/openrouter_error_429_rate_limit", "Retry-After", "2"), 429, llm.CodeRateLimited, "",
			"Rate limit exceeded", true, 2 * time.Second},
		{"500", respond(500, "application/json", `{"error":{"message":"boom","type":"server_error"}}`), 502, llm.CodeUpstreamError, "", "boom", true, 0},
		{"503 html", respond(503, "text/html", "<html><body>Service Unavailable</body></html>"), 502, llm.CodeUpstreamError, "", "Service Unavailable", true, 0},
		{"401", respond(401, "application/json", `{"error":{"message":"Incorrect API key provided: sk-x****y","code":"invalid_api_key"}}`),
			502, llm.CodeUpstreamAuth, "", "credentials", false, 0},
		{"200 with an error object", respond(200, "application/json", `{"error":{"message":"model is loading","type":"server_error"}}`),
			502, llm.CodeUpstreamError, "", "model is loading", true, 0},
		{"200 with ollama's error", respond(200, "application/json", `{"error":"model not loaded"}`), 502, llm.CodeUpstreamError, "", "model not loaded", true, 0},
	}
	for _, tt := range tests {
		for _, cl := range calls {
			t.Run(tt.name+"/"+cl.name, func(t *testing.T) {
				srv := upstream(t, tt.h)
				c := openaicompat.New(openaicompat.Options{Name: "up", BaseURL: srv.URL})
				err := cl.run(context.Background(), c, decodeRequest(t, simpleRequest))
				if err == nil {
					t.Fatal("no error")
				}
				e := asLLMError(t, err)
				if e.Status != tt.status || e.Code != tt.code || e.Param != tt.param || e.Retryable != tt.retryable || e.RetryAfter != tt.retryAfter {
					t.Errorf("got status %d code %q param %q retryable %v retry after %v\nwant status %d code %q param %q retryable %v retry after %v",
						e.Status, e.Code, e.Param, e.Retryable, e.RetryAfter, tt.status, tt.code, tt.param, tt.retryable, tt.retryAfter)
				}
				if !strings.Contains(e.Message, tt.message) {
					t.Errorf("message %q should contain %q", e.Message, tt.message)
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
		{"truncated JSON", "application/json", `{"id":"x","choices":[`},
		{"other object", "application/json", `{"object":"list","data":[]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tt.contentType)
				io.WriteString(w, tt.body)
			})
			c := openaicompat.New(openaicompat.Options{Name: "up", BaseURL: srv.URL})
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
	c := openaicompat.New(openaicompat.Options{Name: "up", BaseURL: "http://" + addr + "/v1"})
	for _, cl := range calls {
		e := asLLMError(t, cl.run(context.Background(), c, decodeRequest(t, simpleRequest)))
		if e.Status != http.StatusBadGateway || e.Code != llm.CodeUpstreamUnavailable || !e.Retryable || e.Cause == nil {
			t.Errorf("%s: %+v, want a retryable 502 upstream_unavailable", cl.name, e)
		}
	}
	_, err = c.Embed(context.Background(), &llm.EmbedRequest{Model: "e", Input: []string{"x"}})
	if e := asLLMError(t, err); e.Code != llm.CodeUpstreamUnavailable {
		t.Errorf("Embed: %+v", e)
	}
	if err := c.Ping(context.Background()); err == nil {
		t.Error("Ping succeeded with nothing listening")
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
			c := openaicompat.New(openaicompat.Options{Name: "up", BaseURL: srv.URL, Timeout: 50 * time.Millisecond})
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
			c := openaicompat.New(openaicompat.Options{Name: "up", BaseURL: srv.URL})
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
	w.Header().Set("Content-Type", "text/event-stream")
	for _, ev := range events {
		io.WriteString(w, ev)
	}
	http.NewResponseController(w).Flush()
}

const (
	chunkHello  = "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n"
	chunkLo     = "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}]}\n\n"
	chunkFinish = "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
	// A server written in Python puts spaces after the colons.
	chunkFinishSpaced = "data: {\"id\": \"x\", \"object\": \"chat.completion.chunk\", \"choices\": [{\"index\": 0, \"delta\": {}, \"finish_reason\": \"stop\"}]}\n\n"
)

func startStream(t *testing.T, srv *httptest.Server, opts openaicompat.Options) llm.Stream {
	t.Helper()
	opts.Name, opts.BaseURL = "up", srv.URL
	s, err := openaicompat.New(opts).Stream(context.Background(), decodeRequest(t, simpleRequest))
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
		streamHandler(w, chunkHello)
		hang(w, r, release)
	})
	s := startStream(t, srv, openaicompat.Options{StreamIdleTimeout: 50 * time.Millisecond})
	recvN(t, s, 1)
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
		streamHandler(w, chunkHello, chunkLo)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		conn.Close()
	}), openaicompat.Options{})
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
		err    bool // the end is an error, not io.EOF
	}{
		{"[DONE]", []string{chunkHello, chunkFinish, "data: [DONE]\n\n"}, 2, false},
		{"no [DONE] after a finish reason", []string{chunkHello, chunkLo, chunkFinish}, 3, false},
		{"no [DONE] after a spaced finish reason", []string{chunkHello, chunkFinishSpaced}, 2, false},
		{"no [DONE], no finish reason", []string{chunkHello, chunkLo}, 2, true},
		{"empty stream", nil, 0, true},
		{"comments and empty events are skipped", []string{": keep-alive\n\n", "data:\n\n", chunkHello, ": x\n\n", chunkFinish, "data: [DONE]\n\n"}, 2, false},
		{"error event", []string{chunkHello, "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n"}, 1, true},
		{"spaced error event", []string{chunkHello, "data: { \"error\": { \"message\": \"overloaded\" } }\n\n"}, 1, true},
		{"named error event", []string{"event: error\ndata: {\"message\":\"overloaded\"}\n\n"}, 0, true},
		{"not JSON", []string{chunkHello, "data: {\"id\":\n\n"}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startStream(t, upstream(t, func(w http.ResponseWriter, r *http.Request) { streamHandler(w, tt.events...) }), openaicompat.Options{})
			recvN(t, s, tt.chunks)
			_, err := s.Recv()
			if tt.err {
				if err == nil || err == io.EOF {
					t.Fatalf("end = %v, want an error", err)
				}
				if e := asLLMError(t, err); e.Status != http.StatusBadGateway || (tt.chunks > 0 && e.Retryable) {
					t.Errorf("%+v, want a 502, not retryable after a chunk", e)
				}
				return
			}
			if err != io.EOF {
				t.Fatalf("end = %v, want io.EOF", err)
			}
			if _, err := s.Recv(); err != io.EOF {
				t.Errorf("Recv after the end = %v, want io.EOF", err)
			}
		})
	}
}

func TestStreamErrorEventMessage(t *testing.T) {
	s := startStream(t, upstream(t, func(w http.ResponseWriter, r *http.Request) {
		streamHandler(w, "data: {\"error\":{\"message\":\"the model crashed\",\"type\":\"server_error\"}}\n\n")
	}), openaicompat.Options{})
	_, err := s.Recv()
	if e := asLLMError(t, err); !strings.Contains(e.Message, "the model crashed") {
		t.Errorf("message %q", e.Message)
	}
}

// Cancelling the caller's context, or closing the stream, ends the upstream request.
func TestStreamCancel(t *testing.T) {
	for _, how := range []string{"cancel", "close"} {
		t.Run(how, func(t *testing.T) {
			gone := make(chan struct{})
			srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
				streamHandler(w, chunkHello)
				<-r.Context().Done()
				close(gone)
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			c := openaicompat.New(openaicompat.Options{Name: "up", BaseURL: srv.URL})
			s, err := c.Stream(ctx, decodeRequest(t, simpleRequest))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			recvN(t, s, 1)
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
	// An upstream that ignores stream:true and answers with a whole completion.
	rec := load(t, "openai-chat/plain_raw")
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) { replay(w, rec) })
	_, err := openaicompat.New(openaicompat.Options{Name: "up", BaseURL: srv.URL}).Stream(context.Background(), decodeRequest(t, simpleRequest))
	if e := asLLMError(t, err); e.Code != llm.CodeUpstreamBadResponse {
		t.Errorf("%+v, want upstream_bad_response", e)
	}
}

func TestEmbed(t *testing.T) {
	tests := []struct {
		name string
		dims int
		want map[string]any // members the upstream must get
	}{
		{"openai-embeddings/base64", 1536, map[string]any{"encoding_format": "base64", "input": []any{"Hello, world!"}}},
		{"openai-embeddings/float_with_dimensions", 256, map[string]any{"dimensions": 256.0, "input": []any{"Hello world"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := load(t, tt.name)
			srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" || r.Header.Get("Authorization") != "Bearer k" {
					t.Errorf("request %s %s, Authorization %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
				}
				body := readJSON(t, r)
				if body["model"] != "upstream-embed" {
					t.Errorf("model %v", body["model"])
				}
				for k, v := range tt.want {
					if !reflect.DeepEqual(body[k], v) {
						t.Errorf("%s = %v, want %v", k, body[k], v)
					}
				}
				replay(w, rec)
			})
			c := openaicompat.New(openaicompat.Options{Name: "openai", BaseURL: srv.URL + "/v1", APIKey: "k"})
			req, err := openaiwire.DecodeEmbeddingRequest(rec.request)
			if err != nil {
				t.Fatal(err)
			}
			req.Model = "upstream-embed"
			resp, err := c.Embed(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Vectors) != 1 || len(resp.Vectors[0]) != tt.dims || !bytes.Equal(resp.Raw, rec.response) {
				t.Errorf("%d vectors of %d, raw kept %v", len(resp.Vectors), len(resp.Vectors[0]), bytes.Equal(resp.Raw, rec.response))
			}
		})
	}
}

func TestEmbedErrors(t *testing.T) {
	rec := load(t, "openai-embeddings/error_404_model")
	tests := []struct {
		name   string
		h      http.HandlerFunc
		status int
		code   string
	}{
		{"recorded 404", func(w http.ResponseWriter, r *http.Request) { replay(w, rec) }, 404, "model_not_found"},
		{"200 with an error object", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"error":{"message":"no embeddings for this model"}}`)
		}, 502, llm.CodeUpstreamError},
		{"fewer vectors than inputs", func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[1,0]}],"model":"m"}`)
		}, 502, llm.CodeUpstreamBadResponse},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := upstream(t, tt.h)
			c := openaicompat.New(openaicompat.Options{Name: "up", BaseURL: srv.URL})
			_, err := c.Embed(context.Background(), &llm.EmbedRequest{Model: "m", Input: []string{"a", "b"}})
			if e := asLLMError(t, err); e.Status != tt.status || e.Code != tt.code {
				t.Errorf("%+v, want %d %q", e, tt.status, tt.code)
			}
		})
	}
}

func TestListModels(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []provider.ModelInfo
	}{
		{"vLLM", `{"object":"list","data":[{"id":"m","object":"model","created":1,"owned_by":"vllm","max_model_len":4096}]}`,
			[]provider.ModelInfo{{ID: "m", OwnedBy: "vllm", ContextLength: 4096, Caps: provider.Caps{Completion: true}}}},
		{"llama.cpp", `{"object":"list","data":[{"id":"qwen.gguf","object":"model","created":1,"owned_by":"llamacpp","meta":{"vocab_type":2,"n_vocab":151936,"n_ctx_train":32768,"n_embd":896}}]}`,
			[]provider.ModelInfo{{ID: "qwen.gguf", OwnedBy: "llamacpp", ContextLength: 32768, Caps: provider.Caps{Completion: true}}}},
		{"OpenRouter", `{"data":[{"id":"meta-llama/llama-3.2-3b-instruct:free","context_length":131072}]}`,
			[]provider.ModelInfo{{ID: "meta-llama/llama-3.2-3b-instruct:free", ContextLength: 131072, Caps: provider.Caps{Completion: true}}}},
		{"OpenAI", `{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1,"owned_by":"system"},{"id":"text-embedding-3-small","object":"model","created":1,"owned_by":"system"}]}`,
			[]provider.ModelInfo{{ID: "gpt-4o", OwnedBy: "system", Caps: provider.Caps{Completion: true}}, {ID: "text-embedding-3-small", OwnedBy: "system", Caps: provider.Caps{Embeddings: true}}}},
		{"empty", `{"object":"list","data":[]}`, []provider.ModelInfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != "/v1/models" || r.Header.Get("Authorization") != "Bearer k" {
					t.Errorf("request %s %s, Authorization %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
				}
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tt.body)
			})
			c := openaicompat.New(openaicompat.Options{Name: "up", BaseURL: srv.URL + "/v1", APIKey: "k"})
			got, err := c.ListModels(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("models = %+v\nwant     %+v", got, tt.want)
			}
			if err := c.Ping(context.Background()); err != nil {
				t.Errorf("Ping: %v", err)
			}
		})
	}
}

func TestListModelsErrors(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		body   string
		code   string
	}{
		{"401", 401, `{"error":{"message":"bad key"}}`, llm.CodeUpstreamAuth},
		{"not JSON", 200, `<html></html>`, llm.CodeUpstreamBadResponse},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := upstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				io.WriteString(w, tt.body)
			})
			c := openaicompat.New(openaicompat.Options{Name: "up", BaseURL: srv.URL})
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

// A request with extensions from another wire format is refused before anything is sent.
func TestForeignExtensions(t *testing.T) {
	srv := upstream(t, func(w http.ResponseWriter, r *http.Request) { t.Error("request sent upstream") })
	c := openaicompat.New(openaicompat.Options{Name: "vllm", BaseURL: srv.URL})
	req := decodeRequest(t, simpleRequest)
	req.Extensions, req.ExtensionsFormat = map[string]json.RawMessage{"keep_alive": json.RawMessage(`"5m"`)}, llm.FormatOllama
	for _, cl := range calls {
		if e := asLLMError(t, cl.run(context.Background(), c, req)); e.Code != llm.CodeUnsupportedParameter || e.Param != "keep_alive" {
			t.Errorf("%s: %+v", cl.name, e)
		}
	}
}

func TestName(t *testing.T) {
	if got := openaicompat.New(openaicompat.Options{Name: "groq"}).Name(); got != "groq" {
		t.Errorf("Name = %q", got)
	}
}

// The helpers every wire package's tests share (internal/wiretest).
func fixture(t testing.TB, name string) []byte      { return wiretest.Fixture(t, name) }
func asLLMError(t testing.TB, err error) *llm.Error { return wiretest.AsLLMError(t, err) }
