package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// closedURL returns the URL of a loopback port nothing listens on.
func closedURL(t *testing.T) string {
	return "http://" + freeAddr(t)
}

// failingUpstreams are OpenAI-compatible fakes that each fail one way, with the gateway
// configuration that declares them as cloud providers.
type failingUpstreams struct {
	fakeai, fail500, limited, garbage, slow *fakeOpenAI
	config                                  string
}

func newFailingUpstreams(t *testing.T) *failingUpstreams {
	u := &failingUpstreams{fakeai: newFakeOpenAI(t, nil)}
	u.fail500 = newFakeOpenAI(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusInternalServerError, []byte(`{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`))
	})
	u.limited = newFakeOpenAI(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusTooManyRequests, load(t, "openai-compatible/openrouter_error_429_rate_limit.response.json"))
	})
	u.garbage = newFakeOpenAI(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []byte("<html>502 Bad Gateway</html> this is not JSON"))
	})
	u.slow = newFakeOpenAI(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // never answers; the gateway gives up first
	})
	provider := func(name, base, extra string) string {
		return fmt.Sprintf("  - name: %s\n    base_url: %s/v1\n    api_key: %s\n    local: false\n    models: [m]\n%s", name, base, testAPIKey, extra)
	}
	u.config = "max_body_bytes: 64KiB\nretry:\n  max_retries: 1\n  backoff: 10ms\nproviders:\n" +
		provider("fakeai", u.fakeai.URL, "") +
		provider("deadprov", closedURL(t), "") +
		provider("fail500", u.fail500.URL, "") +
		provider("limited", u.limited.URL, "") +
		provider("garbage", u.garbage.URL, "") +
		provider("slow", u.slow.URL, "    timeout: 300ms\n    max_retries: 0\n") +
		"aliases:\n  smart: [deadprov/m, fakeai/gpt-4o-mini]\n"
	return u
}

// chatBody is a valid chat request for model, with extra top-level fields.
func chatBody(model string, extra map[string]any) []byte {
	m := map[string]any{"model": model, "messages": []map[string]string{{"role": "user", "content": secretPrompt}}}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

func TestErrors(t *testing.T) {
	t.Parallel()
	up := newFailingUpstreams(t)
	ollama := newFakeOllama(t, nil)
	g := startGateway(t, up.config+fmt.Sprintf("discovery:\n  skip_default_ports: true\n  engines:\n    - kind: ollama\n      url: %s\n", ollama.URL))

	big := chatBody("fakeai/gpt-4o-mini", map[string]any{"padding": strings.Repeat("x", 100<<10)})
	for _, tc := range []struct {
		name    string
		method  string // default POST
		path    string // default /v1/chat/completions
		body    []byte
		chunked bool // send without Content-Length
		want    wantError
		// calls, when not zero, is how many chat requests the upstream fake must have seen.
		upstream *fakeOpenAI
		calls    int
	}{
		{name: "malformed JSON", body: []byte(`{"model":"fakeai/gpt-4o-mini","messages":[`),
			want: wantError{status: 400, typ: "invalid_request_error", code: "invalid_json"}},
		{name: "empty body", body: nil,
			want: wantError{status: 400, typ: "invalid_request_error", code: "invalid_json"}},
		{name: "not an object", body: []byte(`["model"]`),
			want: wantError{status: 400, typ: "invalid_request_error"}},
		{name: "missing model", body: []byte(`{"messages":[{"role":"user","content":"hi"}]}`),
			want: wantError{status: 400, typ: "invalid_request_error", code: "missing_required_parameter", param: "model"}},
		{name: "missing messages", body: []byte(`{"model":"fakeai/gpt-4o-mini"}`),
			want: wantError{status: 400, typ: "invalid_request_error", code: "missing_required_parameter", param: "messages"}},
		{name: "messages not an array", body: []byte(`{"model":"fakeai/gpt-4o-mini","messages":"x"}`),
			want: wantError{status: 400, typ: "invalid_request_error", code: "invalid_type", param: "messages"}},
		{name: "temperature not a number", body: chatBody("fakeai/gpt-4o-mini", map[string]any{"temperature": "hot"}),
			want: wantError{status: 400, typ: "invalid_request_error", code: "invalid_type", param: "temperature"}},
		{name: "stream not a boolean", body: chatBody("fakeai/gpt-4o-mini", map[string]any{"stream": "yes"}),
			want: wantError{status: 400, code: "invalid_type", param: "stream"}},
		{name: "max_tokens not an integer", body: chatBody("fakeai/gpt-4o-mini", map[string]any{"max_tokens": 1.5}),
			want: wantError{status: 400, code: "invalid_type", param: "max_tokens"}},
		{name: "message without content", body: []byte(`{"model":"fakeai/gpt-4o-mini","messages":[{"role":"user"}]}`),
			want: wantError{status: 400, code: "missing_required_parameter", param: "messages[0].content"}},
		{name: "message with a bad role", body: []byte(`{"model":"fakeai/gpt-4o-mini","messages":[{"role":"boss","content":"hi"}]}`),
			want: wantError{status: 400, code: "invalid_value", param: "messages[0].role"}},
		{name: "temperature out of range", body: chatBody("fakeai/gpt-4o-mini", map[string]any{"temperature": 7}),
			want: wantError{status: 400, code: "invalid_value", param: "temperature"}},
		{name: "unknown model", body: chatBody("no-such-model", nil),
			want: wantError{status: 404, typ: "invalid_request_error", code: "model_not_found", param: "model"}},
		{name: "unknown provider", body: chatBody("nope/gpt-4o-mini", nil),
			want: wantError{status: 404, code: "model_not_found", param: "model"}},
		{name: "unknown ollama model", body: chatBody("ollama/not-pulled", nil),
			want: wantError{status: 404, code: "model_not_found", param: "model"}},
		{name: "body over the limit", body: big,
			want: wantError{status: 413, typ: "invalid_request_error", code: "request_too_large"}},
		{name: "chunked body over the limit", body: big, chunked: true,
			want: wantError{status: 413, typ: "invalid_request_error", code: "request_too_large"}},
		{name: "n for ollama", body: chatBody("ollama/gemma3:1b", map[string]any{"n": 2}),
			want: wantError{status: 400, typ: "invalid_request_error", code: "unsupported_parameter", param: "n"}},
		{name: "logprobs for ollama", body: chatBody("ollama/gemma3:1b", map[string]any{"logprobs": true}),
			want: wantError{status: 400, typ: "invalid_request_error", code: "unsupported_parameter", param: "logprobs"}},
		{name: "upstream down", body: chatBody("deadprov/m", nil),
			want: wantError{status: 502, typ: "upstream_error", code: "upstream_unavailable"}},
		{name: "upstream down, streamed", body: chatBody("deadprov/m", map[string]any{"stream": true}),
			want: wantError{status: 502, typ: "upstream_error", code: "upstream_unavailable"}},
		{name: "upstream timeout", body: chatBody("slow/m", nil),
			want: wantError{status: 504, typ: "timeout_error", code: "upstream_timeout"}, upstream: up.slow, calls: 1},
		{name: "upstream timeout, streamed", body: chatBody("slow/m", map[string]any{"stream": true}),
			want: wantError{status: 504, typ: "timeout_error", code: "upstream_timeout"}},
		{name: "upstream 500, retried once", body: chatBody("fail500/m", nil),
			want: wantError{status: 502, typ: "upstream_error", code: "upstream_error"}, upstream: up.fail500, calls: 2},
		{name: "upstream 429", body: chatBody("limited/m", nil),
			want: wantError{status: 429, typ: "rate_limit_error", code: "rate_limit_exceeded"}, upstream: up.limited, calls: 2},
		{name: "upstream garbage", body: chatBody("garbage/m", nil),
			want: wantError{status: 502, typ: "upstream_error", code: "upstream_bad_response"}},
		{name: "upstream garbage, streamed", body: chatBody("garbage/m", map[string]any{"stream": true}),
			want: wantError{status: 502, typ: "upstream_error", code: "upstream_bad_response"}},
		{name: "wrong method", method: http.MethodGet,
			want: wantError{status: 405, typ: "invalid_request_error", code: "method_not_allowed"}},
		{name: "unknown path", method: http.MethodGet, path: "/v1/nope",
			want: wantError{status: 404, typ: "invalid_request_error", code: "not_found"}},
		{name: "embeddings without input", path: "/v1/embeddings", body: []byte(`{"model":"fakeai/text-embedding-3-small"}`),
			want: wantError{status: 400, typ: "invalid_request_error", param: "input"}},
		{name: "embeddings for an unknown model", path: "/v1/embeddings", body: []byte(`{"model":"nope/x","input":"hi"}`),
			want: wantError{status: 404, code: "model_not_found", param: "model"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Cases that count upstream calls run first, one at a time (parallel subtests wait
			// for the loop to end), so that no other case adds to the count.
			if tc.upstream == nil {
				t.Parallel()
			}
			method, path := tc.method, tc.path
			if method == "" {
				method = http.MethodPost
			}
			if path == "" {
				path = "/v1/chat/completions"
			}
			var body io.Reader = bytes.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(body) // hides the length: sent chunked
			}
			req, err := http.NewRequestWithContext(testCtx(t), method, g.URL+path, body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			before := 0
			if tc.upstream != nil {
				before = tc.upstream.seen.count("/v1/chat/completions")
			}
			resp, b := do(t, req)
			checkError(t, resp, b, tc.want)
			if tc.want.status == 405 && resp.Header.Get("Allow") != http.MethodPost {
				t.Errorf("Allow %q, want POST", resp.Header.Get("Allow"))
			}
			if tc.upstream != nil {
				if n := tc.upstream.seen.count("/v1/chat/completions") - before; n != tc.calls {
					t.Errorf("the upstream saw %d chat requests, want %d", n, tc.calls)
				}
			}
		})
	}
}

// TestErrorsSDK checks that the official SDK sees the gateway's errors as API errors with the
// right status and fields, and that fallback works.
func TestErrorsSDK(t *testing.T) {
	t.Parallel()
	up := newFailingUpstreams(t)
	ollama := newFakeOllama(t, nil)
	g := startGateway(t, up.config+fmt.Sprintf("discovery:\n  skip_default_ports: true\n  engines:\n    - kind: ollama\n      url: %s\n", ollama.URL))
	c := g.client()

	for _, tc := range []struct {
		model string
		extra []option.RequestOption
		want  wantError
	}{
		{model: "no-such-model", want: wantError{status: 404, code: "model_not_found", param: "model"}},
		{model: "ollama/gemma3:1b", extra: []option.RequestOption{option.WithJSONSet("n", 2)},
			want: wantError{status: 400, code: "unsupported_parameter", param: "n"}},
		{model: "fakeai/gpt-4o-mini", extra: []option.RequestOption{option.WithJSONSet("padding", strings.Repeat("x", 100<<10))},
			want: wantError{status: 413, code: "request_too_large"}},
		{model: "deadprov/m", want: wantError{status: 502, code: "upstream_unavailable"}},
		{model: "slow/m", want: wantError{status: 504, code: "upstream_timeout"}},
		{model: "fail500/m", want: wantError{status: 502, code: "upstream_error"}},
		{model: "limited/m", want: wantError{status: 429, typ: "rate_limit_error"}},
		{model: "garbage/m", want: wantError{status: 502, code: "upstream_bad_response"}},
	} {
		t.Run(tc.model, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: tc.model, Messages: userMessage()}, tc.extra...)
			sdkError(t, err, tc.want)

			s := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: tc.model, Messages: userMessage()}, tc.extra...)
			for s.Next() {
				t.Errorf("streamed chunk %s, want an error before any", s.Current().RawJSON())
			}
			sdkError(t, s.Err(), tc.want)
		})
	}

	t.Run("rate limit message passed on", func(t *testing.T) {
		t.Parallel()
		_, err := c.Chat.Completions.New(testCtx(t), openai.ChatCompletionNewParams{Model: "limited/m", Messages: userMessage()})
		e := sdkError(t, err, wantError{status: 429})
		if !strings.Contains(e.Message, "Rate limit exceeded") {
			t.Errorf("message %q does not pass on the upstream's", e.Message)
		}
	})

	t.Run("fallback", func(t *testing.T) {
		t.Parallel()
		var httpResp *http.Response
		resp, err := c.Chat.Completions.New(testCtx(t), openai.ChatCompletionNewParams{Model: "smart", Messages: userMessage()},
			option.WithResponseInto(&httpResp))
		if err != nil {
			t.Fatal(err)
		}
		checkRoute(t, httpResp, "cloud", "fakeai/gpt-4o-mini")
		if resp.Choices[0].FinishReason != "stop" || resp.Choices[0].Message.Content == "" {
			t.Errorf("answer %+v", resp.Choices[0])
		}
	})
}

// hangUp closes the connection under a handler that has started its answer, as an upstream
// that crashes does.
func hangUp(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijack: %v", err)
		return
	}
	conn.Close()
}

// TestUpstreamFailsMidStream: an upstream that dies after two chunks ends the caller's stream
// with an error event and no [DONE], which the SDK reports as an error.
func TestUpstreamFailsMidStream(t *testing.T) {
	t.Parallel()
	sse := sseEvents(fixture(t, "openai-chat/stream_text_include_usage.response.sse"))
	ndjson := bytes.SplitAfter(fixture(t, "ollama/chat_stream.response.ndjson"), []byte("\n"))
	openaiUp := newFakeOpenAI(t, func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, bytes.Join(sse[:2], nil))
		hangUp(t, w)
	})
	ollamaUp := newFakeOllama(t, func(w http.ResponseWriter, r *http.Request) {
		writeNDJSON(w, bytes.Join(ndjson[:2], nil))
		hangUp(t, w)
	})
	g := startGateway(t, ollamaConfig(ollamaUp)+fakeaiConfig(openaiUp))

	for _, tc := range []struct {
		model string
		// relayed, when set, are the data lines the caller must get before the error.
		relayed []string
	}{
		{"fakeai/gpt-4o-mini", dataLines(bytes.Join(sse[:2], nil))},
		{"ollama/gemma3:1b", nil},
	} {
		t.Run(tc.model, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			c := g.client()
			s := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: tc.model, Messages: userMessage()})
			n := 0
			for s.Next() {
				n++
			}
			if s.Err() == nil {
				t.Fatal("the SDK saw the stream end cleanly; want an error")
			}
			if n != 2 {
				t.Errorf("%d chunks before the error, want the 2 sent", n)
			}
			t.Logf("SDK error: %v", s.Err())

			resp, body := g.post(ctx, t, "/v1/chat/completions", chatBody(tc.model, map[string]any{"stream": true}))
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200 (the failure comes after the stream started)", resp.StatusCode)
			}
			lines := dataLines(body)
			if len(lines) != 3 {
				t.Fatalf("%d events, want 2 chunks and an error: %s", len(lines), body)
			}
			if tc.relayed != nil && !slices.Equal(lines[:2], tc.relayed) {
				t.Errorf("the chunks before the failure were not relayed as sent")
			}
			if !strings.HasPrefix(lines[2], `{"error":`) {
				t.Errorf("last event %s, want an error event", lines[2])
			}
			checkErrorJSON(t, []byte(lines[2]), wantError{typ: "upstream_error"})
			if bytes.Contains(body, []byte("[DONE]")) {
				t.Errorf("a failed stream must not end with [DONE]")
			}
		})
	}
}

// TestClientDisconnectCancelsUpstream: when the caller goes away mid-stream, the gateway
// cancels its upstream request.
func TestClientDisconnectCancelsUpstream(t *testing.T) {
	t.Parallel()
	firstEvent := sseEvents(fixture(t, "openai-chat/stream_text_include_usage.response.sse"))[0]
	firstLine := bytes.SplitAfter(fixture(t, "ollama/chat_stream.response.ndjson"), []byte("\n"))[0]
	// Each upstream sends one chunk, then waits for the gateway to hang up.
	openaiCancelled, ollamaCancelled := make(chan struct{}), make(chan struct{})
	openaiUp := newFakeOpenAI(t, func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, firstEvent)
		<-r.Context().Done()
		close(openaiCancelled)
	})
	ollamaUp := newFakeOllama(t, func(w http.ResponseWriter, r *http.Request) {
		writeNDJSON(w, firstLine)
		<-r.Context().Done()
		close(ollamaCancelled)
	})
	g := startGateway(t, ollamaConfig(ollamaUp)+fakeaiConfig(openaiUp))

	for _, tc := range []struct {
		model     string
		cancelled chan struct{}
	}{
		{"fakeai/gpt-4o-mini", openaiCancelled},
		{"ollama/gemma3:1b", ollamaCancelled},
	} {
		t.Run(tc.model, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(testCtx(t))
			c := g.client()
			s := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: tc.model, Messages: userMessage()})
			if !s.Next() {
				t.Fatalf("no first chunk: %v", s.Err())
			}
			cancel()
			s.Close()
			select {
			case <-tc.cancelled:
			case <-time.After(10 * time.Second): // a failure bound, not a timing assertion
				t.Fatal("the upstream request was not cancelled after the client disconnected")
			}
		})
	}
}
