package gemini

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/wiretest"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/provider"
)

const testKey = "AIzaTestKey-not-a-real-one"

// recorded is one request the fake received.
type recorded struct {
	method string
	path   string
	query  string
	header http.Header
	body   []byte
}

// fakeGemini is a Gemini API stand-in under /v1beta: it records every request and routes by
// the path after /v1beta (e.g. "/models/gemini-2.5-flash:generateContent").
type fakeGemini struct {
	*httptest.Server
	mu  sync.Mutex
	got []recorded
}

func newFake(t *testing.T, routes map[string]http.HandlerFunc) *fakeGemini {
	t.Helper()
	f := &fakeGemini{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got = append(f.got, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), b})
		f.mu.Unlock()
		if h, ok := routes[strings.TrimPrefix(r.URL.Path, "/v1beta")]; ok {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":{"code":404,"message":"models/nope is not found for API version v1beta, or is not supported for generateContent.","status":"NOT_FOUND"}}`)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeGemini) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.got...)
}

func (f *fakeGemini) last(t *testing.T) recorded {
	t.Helper()
	got := f.requests()
	if len(got) == 0 {
		t.Fatal("fake got no request")
	}
	return got[len(got)-1]
}

func (f *fakeGemini) client(opts Options) *Client {
	opts.BaseURL = f.URL + "/v1beta"
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	return New(opts)
}

// serve answers with status, content type and body.
func serve(status int, contentType string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(body)
	}
}

// serveFixture replays a recorded answer byte for byte with its recorded status and type.
func serveFixture(t *testing.T, name string) http.HandlerFunc {
	var meta struct {
		Status      int    `json:"status"`
		ContentType string `json:"content_type"`
	}
	base := name[:strings.IndexByte(name, '.')]
	if err := json.Unmarshal(fixture(t, base+".meta.json"), &meta); err != nil {
		t.Fatal(err)
	}
	return serve(meta.Status, meta.ContentType, fixture(t, name))
}

func chatPath(model string) string   { return "/models/" + model + ":generateContent" }
func streamPath(model string) string { return "/models/" + model + ":streamGenerateContent" }

// at returns the value at a dotted path ("contents.2.parts.0.functionResponse") of decoded
// JSON, or nil.
func at(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func user(s string) llm.Message {
	return llm.Message{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart(s)}}
}

func system(s string) llm.Message {
	return llm.Message{Role: llm.RoleSystem, Content: []llm.Part{llm.TextPart(s)}}
}

func TestNewDefaults(t *testing.T) {
	c := New(Options{})
	if c.Name() != "gemini" || c.base != DefaultBaseURL || c.timeout != 120*time.Second || c.idle != 120*time.Second {
		t.Errorf("defaults: name %q base %q timeout %v idle %v", c.Name(), c.base, c.timeout, c.idle)
	}
	if c.header.Get("x-goog-api-key") != "" {
		t.Error("a key header without a key")
	}
	c = New(Options{Name: "google", BaseURL: "http://proxy.example/v1beta/", APIKey: "k", Header: http.Header{"X-Extra": {"1"}}})
	if c.Name() != "google" || c.base != "http://proxy.example/v1beta" || c.header.Get("x-goog-api-key") != "k" || c.header.Get("X-Extra") != "1" {
		t.Errorf("options not applied: %+v", c)
	}
}

// TestRequestLine checks where each call goes and how it authenticates: the model in the
// path, the key in x-goog-api-key and never in the URL.
func TestRequestLine(t *testing.T) {
	models := fixture(t, "models_page1.json")
	f := newFake(t, map[string]http.HandlerFunc{
		chatPath("gemini-2.5-flash"):                    serveFixture(t, "generate_content.response.json"),
		streamPath("gemini-2.5-flash"):                  serveFixture(t, "stream_generate_content.response.sse"),
		"/models/text-embedding-004:batchEmbedContents": serve(200, "application/json", []byte(`{"embeddings":[{"values":[0.5]}]}`)),
		"/tunedModels/my-tune:generateContent":          serveFixture(t, "generate_content.response.json"),
		"/models":                                       serve(200, "application/json", models),
	})
	c := f.client(Options{Header: http.Header{"X-Goog-User-Project": {"p1"}}})
	req := func(model string) *llm.Request {
		return &llm.Request{Model: model, Messages: []llm.Message{user("hi")}}
	}
	tests := []struct {
		name      string
		call      func() error
		method    string
		path      string
		query     string
		wantCType bool
	}{
		{"chat", func() error { _, err := c.Chat(context.Background(), req("gemini-2.5-flash")); return err },
			"POST", "/v1beta/models/gemini-2.5-flash:generateContent", "", true},
		{"chat with models/ prefix", func() error { _, err := c.Chat(context.Background(), req("models/gemini-2.5-flash")); return err },
			"POST", "/v1beta/models/gemini-2.5-flash:generateContent", "", true},
		{"tuned model", func() error { _, err := c.Chat(context.Background(), req("tunedModels/my-tune")); return err },
			"POST", "/v1beta/tunedModels/my-tune:generateContent", "", true},
		{"stream", func() error {
			s, err := c.Stream(context.Background(), req("gemini-2.5-flash"))
			if err == nil {
				s.Close()
			}
			return err
		}, "POST", "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "alt=sse", true},
		{"embed", func() error {
			_, err := c.Embed(context.Background(), &llm.EmbedRequest{Model: "text-embedding-004", Input: []string{"x"}})
			return err
		}, "POST", "/v1beta/models/text-embedding-004:batchEmbedContents", "", true},
		{"list", func() error { _, err := c.ListModels(context.Background()); return err }, "GET", "/v1beta/models", "pageSize=1000", false},
		{"ping", func() error { return c.Ping(context.Background()) }, "GET", "/v1beta/models", "pageSize=1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			r := f.requests()[0]
			for _, x := range f.requests() {
				if x.path == tt.path {
					r = x
				}
			}
			if r.method != tt.method || r.path != tt.path || !strings.HasPrefix(r.query, tt.query) {
				t.Errorf("request %s %s?%s, want %s %s?%s", r.method, r.path, r.query, tt.method, tt.path, tt.query)
			}
			if strings.Contains(r.query, "key=") || strings.Contains(r.query, testKey) {
				t.Errorf("the key is in the URL: %s", r.query)
			}
			if got := r.header.Get("x-goog-api-key"); got != testKey {
				t.Errorf("x-goog-api-key %q", got)
			}
			if r.header.Get("Authorization") != "" {
				t.Error("an Authorization header was sent")
			}
			if r.header.Get("X-Goog-User-Project") != "p1" {
				t.Error("the extra header was not sent")
			}
			if ct := r.header.Get("Content-Type"); tt.wantCType && ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

func TestBadModelName(t *testing.T) {
	f := newFake(t, nil)
	for _, m := range []string{"", "models/", "a/b", "x:generateContent", "x?alt=json", "tunedModels/"} {
		_, err := f.client(Options{}).Chat(context.Background(), &llm.Request{Model: m, Messages: []llm.Message{user("hi")}})
		if e := asLLMError(t, err); e.Status != 400 || e.Param != "model" {
			t.Errorf("model %q: %+v", m, e)
		}
	}
	if n := len(f.requests()); n != 0 {
		t.Errorf("%d requests went out", n)
	}
}

func TestChatFixtures(t *testing.T) {
	tests := []struct {
		fixture     string
		model       string
		wantID      string
		wantModel   string
		wantText    string
		wantFinish  string
		wantUsage   llm.Usage
		wantCalls   []llm.ToolCall // ids checked for the call_ prefix; signatures by length
		wantSigned  []bool
		contentNull bool
	}{
		{fixture: "generate_content", model: "gemini-2.5-flash", wantID: "bzlXaa_EE_aHqtsPi_zw8Ao", wantModel: "gemini-2.5-flash",
			wantText: "Hello! How can I help you today?", wantFinish: llm.FinishStop,
			// thoughtsTokenCount 34 is not in candidatesTokenCount 9.
			wantUsage: llm.Usage{InputTokens: 9, OutputTokens: 43, TotalTokens: 52, ReasoningTokens: 34}},
		{fixture: "generate_content_raw", model: "gemini-2.0-flash", wantID: "Sx-jaI-JN6bFnsEPv9TJkQU", wantModel: "gemini-2.0-flash",
			wantText: "The capital of France is **Paris**.\n", wantFinish: llm.FinishStop, // finishReason 1, enum-encoding=int
			wantUsage: llm.Usage{InputTokens: 7, OutputTokens: 9, TotalTokens: 16}},
		{fixture: "function_call", model: "gemini-3-flash-preview", wantID: "wOd8abGuO5rgz7IP5tLEGA", wantModel: "gemini-3-flash-preview",
			wantFinish: llm.FinishToolCalls, contentNull: true,
			wantUsage:  llm.Usage{InputTokens: 83, OutputTokens: 220, TotalTokens: 303, ReasoningTokens: 190},
			wantCalls:  []llm.ToolCall{{Name: "generate_topic", Arguments: "{}"}, {Name: "generate_topic", Arguments: "{}"}, {Name: "generate_topic", Arguments: "{}"}},
			wantSigned: []bool{true, false, false}},
		{fixture: "function_call_raw", model: "gemini-2.0-flash", wantID: "aB-jaLOqDrDi7M8PhcnpkQU", wantModel: "gemini-2.0-flash",
			wantFinish: llm.FinishToolCalls, contentNull: true,
			wantUsage:  llm.Usage{InputTokens: 21, OutputTokens: 7, TotalTokens: 28},
			wantCalls:  []llm.ToolCall{{Name: "calculate", Arguments: `{"expression":"15 * 7"}`}},
			wantSigned: []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			f := newFake(t, map[string]http.HandlerFunc{chatPath(tt.model): serveFixture(t, tt.fixture+".response.json")})
			resp, err := f.client(Options{}).Chat(context.Background(), &llm.Request{Model: tt.model, Messages: []llm.Message{user("hi")}})
			if err != nil {
				t.Fatal(err)
			}
			if resp.ID != tt.wantID || resp.Model != tt.wantModel || resp.Raw != nil || resp.Created == 0 {
				t.Errorf("id %q model %q raw %d created %d", resp.ID, resp.Model, len(resp.Raw), resp.Created)
			}
			if len(resp.Choices) != 1 {
				t.Fatalf("%d choices", len(resp.Choices))
			}
			c := resp.Choices[0]
			m := c.Message
			if m.Role != llm.RoleAssistant || m.Text() != tt.wantText || m.ContentNull != tt.contentNull || c.FinishReason != tt.wantFinish {
				t.Errorf("message %+v finish %q", m, c.FinishReason)
			}
			if *resp.Usage != tt.wantUsage {
				t.Errorf("usage %+v, want %+v", *resp.Usage, tt.wantUsage)
			}
			if len(m.ToolCalls) != len(tt.wantCalls) {
				t.Fatalf("%d tool calls, want %d", len(m.ToolCalls), len(tt.wantCalls))
			}
			ids := map[string]bool{}
			for i, tc := range m.ToolCalls {
				if !strings.HasPrefix(tc.ID, "call_") || len(tc.ID) != len("call_")+24 {
					t.Errorf("call %d id %q", i, tc.ID)
				}
				ids[tc.ID] = true
				if tc.Name != tt.wantCalls[i].Name || tc.Arguments != tt.wantCalls[i].Arguments || (tc.Signature != "") != tt.wantSigned[i] {
					t.Errorf("call %d: %+v", i, tc)
				}
			}
			if len(ids) != len(m.ToolCalls) {
				t.Error("tool call ids repeat")
			}
			if tt.fixture == "function_call" && !strings.HasPrefix(m.ToolCalls[0].Signature, "Es8FCswFAXLI2nx") {
				t.Errorf("signature %q not kept as sent", m.ToolCalls[0].Signature[:20])
			}
		})
	}
}

func TestChatAnswers(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		check   func(t *testing.T, r *llm.Response)
		wantErr func(e *llm.Error) bool
	}{
		{
			name: "thoughts, signature on the answer, cached tokens",
			body: `{"candidates":[{"content":{"role":"model","parts":[{"text":"Let me ","thought":true},{"text":"think.","thought":true},{"text":"Answer","thoughtSignature":"c2ln"},{"text":" here."}]},"finishReason":"STOP","index":0}],
				"usageMetadata":{"promptTokenCount":100,"cachedContentTokenCount":60,"candidatesTokenCount":5,"thoughtsTokenCount":7,"totalTokenCount":112},"modelVersion":"gemini-2.5-pro","responseId":"r1"}`,
			check: func(t *testing.T, r *llm.Response) {
				m := r.Choices[0].Message
				if m.Reasoning != "Let me think." || m.Text() != "Answer here." || len(m.Content) != 1 {
					t.Errorf("message %+v", m)
				}
				if !reflect.DeepEqual(m.Thinking, []llm.ThinkingBlock{{Text: "Let me think.", Signature: "c2ln", Format: llm.FormatGemini}}) {
					t.Errorf("thinking %+v", m.Thinking)
				}
				want := llm.Usage{InputTokens: 100, CachedInputTokens: 60, OutputTokens: 12, ReasoningTokens: 7, TotalTokens: 112}
				if *r.Usage != want {
					t.Errorf("usage %+v", *r.Usage)
				}
			},
		},
		{
			name: "signed thought block, then another",
			body: `{"candidates":[{"content":{"parts":[{"text":"a","thought":true,"thoughtSignature":"s1"},{"text":"b","thought":true},{"functionCall":{"name":"f","args":{"x":[1, 2]},"id":"fc-9"},"thoughtSignature":"s2"}]},"finishReason":"STOP"}]}`,
			check: func(t *testing.T, r *llm.Response) {
				m := r.Choices[0].Message
				if !reflect.DeepEqual(m.Thinking, []llm.ThinkingBlock{{Text: "a", Signature: "s1", Format: llm.FormatGemini}, {Text: "b", Format: llm.FormatGemini}}) {
					t.Errorf("thinking %+v", m.Thinking)
				}
				if !reflect.DeepEqual(m.ToolCalls, []llm.ToolCall{{ID: "fc-9", Name: "f", Arguments: `{"x":[1,2]}`, Signature: "s2"}}) {
					t.Errorf("calls %+v", m.ToolCalls)
				}
				if r.Choices[0].FinishReason != llm.FinishToolCalls || !strings.HasPrefix(r.ID, "chatcmpl-") || r.Model != "gemini-test" {
					t.Errorf("finish %q id %q model %q", r.Choices[0].FinishReason, r.ID, r.Model)
				}
			},
		},
		{
			name: "prompt blocked",
			body: `{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8},"modelVersion":"gemini-2.5-flash","responseId":"b1"}`,
			check: func(t *testing.T, r *llm.Response) {
				c := r.Choices[0]
				if c.FinishReason != llm.FinishContentFilter || c.Message.Text() != "" || c.Message.Role != llm.RoleAssistant || r.Usage.InputTokens != 8 {
					t.Errorf("%+v usage %+v", c, r.Usage)
				}
			},
		},
		{
			name: "finish reasons, names and numbers, two candidates",
			body: `{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"MAX_TOKENS","index":0},{"content":{"parts":[{"text":"b"}]},"finishReason":3,"index":1}]}`,
			check: func(t *testing.T, r *llm.Response) {
				if len(r.Choices) != 2 || r.Choices[0].FinishReason != llm.FinishLength || r.Choices[1].FinishReason != llm.FinishContentFilter ||
					r.Choices[1].Index != 1 || r.Choices[1].Message.Text() != "b" || r.Usage != nil {
					t.Errorf("%+v", r.Choices)
				}
			},
		},
		{
			name: "safety stop without content",
			body: `{"candidates":[{"finishReason":"SAFETY","index":0}]}`,
			check: func(t *testing.T, r *llm.Response) {
				if c := r.Choices[0]; c.FinishReason != llm.FinishContentFilter || len(c.Message.Content) != 1 || c.Message.ContentNull {
					t.Errorf("%+v", c)
				}
			},
		},
		{
			name: "logprobs become OpenAI's shape",
			body: `{"candidates":[{"content":{"parts":[{"text":"Hi"}]},"finishReason":"STOP","logprobsResult":{"topCandidates":[{"candidates":[{"token":"Hi","logProbability":-0.5},{"token":"Yo","logProbability":-1.5}]}],"chosenCandidates":[{"token":"Hi","logProbability":-0.5}]}}]}`,
			check: func(t *testing.T, r *llm.Response) {
				jsonEqual(t, r.Choices[0].Logprobs, `{"content":[{"token":"Hi","logprob":-0.5,"bytes":[72,105],"top_logprobs":[{"token":"Hi","logprob":-0.5,"bytes":[72,105]},{"token":"Yo","logprob":-1.5,"bytes":[89,111]}]}]}`)
			},
		},
		{
			name: "an image in the answer",
			body: `{"candidates":[{"content":{"parts":[{"text":"Here:"},{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}]},"finishReason":"STOP"}]}`,
			check: func(t *testing.T, r *llm.Response) {
				want := []llm.Part{llm.TextPart("Here:"), {Type: llm.PartImage, ImageURL: "data:image/png;base64,iVBORw0KGgo="}}
				if got := r.Choices[0].Message.Content; !reflect.DeepEqual(got, want) {
					t.Errorf("content %+v", got)
				}
			},
		},
		{
			name: "malformed function call",
			body: `{"candidates":[{"content":{"parts":[{"text":""}]},"finishReason":"MALFORMED_FUNCTION_CALL","finishMessage":"Malformed function call: print(secret)"}]}`,
			wantErr: func(e *llm.Error) bool {
				return e.Status == 502 && e.Code == llm.CodeUpstreamBadResponse && e.Retryable && !strings.Contains(e.Message, "secret")
			},
		},
		{name: "not JSON", body: `<html>Bad gateway</html>`, wantErr: isBadResponse},
		{name: "JSON of another shape", body: `{"candidates":"yes"}`, wantErr: isBadResponse},
		{name: "no candidates and no block", body: `{"usageMetadata":{"promptTokenCount":3}}`, wantErr: isBadResponse},
		{name: "args not an object", body: `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":[1]}}]}}]}`, wantErr: isBadResponse},
		{
			name: "error object with status 200",
			body: `{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`,
			wantErr: func(e *llm.Error) bool {
				return e.Status == 502 && e.Code == llm.CodeUpstreamError && e.Retryable && strings.Contains(e.Message, "overloaded")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, map[string]http.HandlerFunc{chatPath("gemini-test"): serve(200, "application/json", []byte(tt.body))})
			resp, err := f.client(Options{}).Chat(context.Background(), &llm.Request{Model: "gemini-test", Messages: []llm.Message{user("hi")}})
			if tt.wantErr != nil {
				if e := asLLMError(t, err); !tt.wantErr(e) {
					t.Errorf("unexpected error %+v", e)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, resp)
		})
	}
}

func isBadResponse(e *llm.Error) bool {
	return e.Status == http.StatusBadGateway && e.Code == llm.CodeUpstreamBadResponse && e.Type == llm.TypeUpstream
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		header  http.Header
		body    []byte
		want    func(e *llm.Error) bool
		wantMsg string
	}{
		{
			name: "recorded 403 PERMISSION_DENIED", status: 403, body: fixture(t, "error_403_permission_denied.response.json"),
			want: func(e *llm.Error) bool {
				return e.Status == 502 && e.Code == llm.CodeUpstreamAuth && !e.Retryable && strings.Contains(e.Cause.Error(), "unregistered callers")
			},
			wantMsg: "refused the gateway's credentials (HTTP 403)",
		},
		{
			name: "invalid key answered with 400", status: 400,
			body:    []byte(`{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com","metadata":{"service":"generativelanguage.googleapis.com"}}]}}`),
			want:    func(e *llm.Error) bool { return e.Status == 502 && e.Code == llm.CodeUpstreamAuth },
			wantMsg: "HTTP 400, API_KEY_INVALID",
		},
		{
			name: "invalid argument", status: 400,
			body: []byte(`{"error":{"code":400,"message":"Invalid JSON payload received. Unknown name \"foo\": Cannot find field.","status":"INVALID_ARGUMENT"}}`),
			want: func(e *llm.Error) bool {
				return e.Status == 400 && e.Type == llm.TypeInvalidRequest && !e.Retryable
			},
			wantMsg: `Unknown name "foo"`,
		},
		{
			name: "prompt longer than the window", status: 400,
			body: []byte(`{"error":{"code":400,"message":"The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}`),
			want: func(e *llm.Error) bool { return e.Status == 400 && e.Code == llm.CodeContextLength },
		},
		{
			name: "unknown model", status: 404,
			body: []byte(`{"error":{"code":404,"message":"models/gemini-9 is not found for API version v1beta, or is not supported for generateContent.","status":"NOT_FOUND"}}`),
			want: func(e *llm.Error) bool {
				return e.Status == 404 && e.Code == llm.CodeModelNotFound && e.Param == "model"
			},
		},
		{
			name: "rate limited with RetryInfo", status: 429,
			body: []byte(`{"error":{"code":429,"message":"You exceeded your current quota.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[]},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}`),
			want: func(e *llm.Error) bool {
				return e.Status == 429 && e.Code == llm.CodeRateLimited && e.Type == llm.TypeRateLimit && e.Retryable && e.RetryAfter == 37*time.Second
			},
		},
		{
			name: "rate limited with Retry-After", status: 429, header: http.Header{"Retry-After": {"5"}},
			body: []byte(`{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}}`),
			want: func(e *llm.Error) bool { return e.Status == 429 && e.Retryable && e.RetryAfter == 5*time.Second },
		},
		{
			name: "internal", status: 500,
			body: []byte(`{"error":{"code":500,"message":"An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting","status":"INTERNAL"}}`),
			want: func(e *llm.Error) bool { return e.Status == 502 && e.Code == llm.CodeUpstreamError && e.Retryable },
		},
		{
			name: "overloaded", status: 503,
			body: []byte(`{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`),
			want: func(e *llm.Error) bool { return e.Status == 502 && e.Code == llm.CodeUpstreamError && e.Retryable },
		},
		{
			name: "deadline exceeded", status: 504,
			body: []byte(`{"error":{"code":504,"message":"Deadline expired before operation could complete.","status":"DEADLINE_EXCEEDED"}}`),
			want: func(e *llm.Error) bool { return e.Status == 504 && e.Code == llm.CodeUpstreamTimeout && e.Retryable },
		},
		{
			name: "HTML from a proxy", status: 502, body: []byte("<html><body>Bad Gateway</body></html>"),
			want: func(e *llm.Error) bool { return e.Status == 502 && e.Retryable },
		},
	}
	for _, tt := range tests {
		for _, mode := range []string{"chat", "stream"} {
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				h := func(w http.ResponseWriter, r *http.Request) {
					for k, v := range tt.header {
						w.Header()[k] = v
					}
					serve(tt.status, "application/json; charset=UTF-8", tt.body)(w, r)
				}
				f := newFake(t, map[string]http.HandlerFunc{chatPath("gemini-2.0-flash"): h, streamPath("gemini-2.0-flash"): h})
				c := f.client(Options{})
				req := &llm.Request{Model: "gemini-2.0-flash", Messages: []llm.Message{user("my secret prompt")}}
				var err error
				if mode == "chat" {
					_, err = c.Chat(context.Background(), req)
				} else {
					_, err = c.Stream(context.Background(), req)
				}
				e := asLLMError(t, err)
				if !tt.want(e) {
					t.Errorf("unexpected error %+v", e)
				}
				if !strings.Contains(e.Message, tt.wantMsg) {
					t.Errorf("message %q lacks %q", e.Message, tt.wantMsg)
				}
				if !strings.Contains(e.Message, `"gemini"`) {
					t.Errorf("message %q does not name the provider", e.Message)
				}
				if strings.Contains(e.Error(), testKey) || strings.Contains(e.Error(), "secret prompt") {
					t.Errorf("error leaks the key or the prompt: %v", e)
				}
			})
		}
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close()
	_, err := New(Options{BaseURL: base}).Chat(context.Background(), &llm.Request{Model: "gemini-2.5-flash", Messages: []llm.Message{user("hi")}})
	if e := asLLMError(t, err); e.Status != 502 || e.Code != llm.CodeUpstreamUnavailable || !e.Retryable {
		t.Errorf("got %+v", e)
	}
}

func TestListModels(t *testing.T) {
	pages := map[string][]byte{"": fixture(t, "models_page1.json"), "page-2": fixture(t, "models_page2.json")}
	f := newFake(t, map[string]http.HandlerFunc{"/models": func(w http.ResponseWriter, r *http.Request) {
		b, ok := pages[r.URL.Query().Get("pageToken")]
		if !ok || r.URL.Query().Get("pageSize") != "1000" {
			w.WriteHeader(400)
			return
		}
		serve(200, "application/json; charset=UTF-8", b)(w, r)
	}})
	got, err := f.client(Options{}).ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []provider.ModelInfo{
		{ID: "gemini-2.5-flash", ContextLength: 1048576, OwnedBy: "google",
			Caps: provider.Caps{Known: true, Completion: true, Tools: true, Vision: true, Thinking: true}},
		{ID: "gemini-2.0-flash", ContextLength: 1048576, OwnedBy: "google",
			Caps: provider.Caps{Known: true, Completion: true, Tools: true, Vision: true}},
		{ID: "gemma-3-27b-it", ContextLength: 131072, OwnedBy: "google", Caps: provider.Caps{Known: true, Completion: true}},
		{ID: "gemini-embedding-001", ContextLength: 2048, OwnedBy: "google", Caps: provider.Caps{Known: true, Embeddings: true}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	if n := len(f.requests()); n != 2 {
		t.Errorf("%d requests, want 2 pages", n)
	}
}

func TestListModelsErrors(t *testing.T) {
	tests := []struct {
		name string
		h    http.HandlerFunc
		want func(*llm.Error) bool
	}{
		{"not JSON", serve(200, "text/html", []byte("<html>")), isBadResponse},
		{"bad key", serve(403, "application/json", fixture(t, "error_403_permission_denied.response.json")),
			func(e *llm.Error) bool { return e.Code == llm.CodeUpstreamAuth }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, map[string]http.HandlerFunc{"/models": tt.h})
			_, err := f.client(Options{}).ListModels(context.Background())
			if e := asLLMError(t, err); !tt.want(e) {
				t.Errorf("got %+v", e)
			}
			if e := asLLMError(t, f.client(Options{}).Ping(context.Background())); !tt.want(e) {
				t.Errorf("Ping: got %+v", e)
			}
		})
	}
	t.Run("a page token that repeats ends the walk", func(t *testing.T) {
		f := newFake(t, map[string]http.HandlerFunc{"/models": serve(200, "application/json", []byte(`{"models":[],"nextPageToken":"same"}`))})
		if _, err := f.client(Options{}).ListModels(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n := len(f.requests()); n != 2 {
			t.Errorf("%d requests", n)
		}
	})
}

func TestEmbed(t *testing.T) {
	path := "/models/gemini-embedding-001:batchEmbedContents"
	tests := []struct {
		name     string
		req      llm.EmbedRequest
		answer   string
		wantBody string
		want     [][]float32
		wantErr  func(*llm.Error) bool
	}{
		{
			name:     "two inputs with dimensions",
			req:      llm.EmbedRequest{Model: "gemini-embedding-001", Input: []string{"a", "b"}, Dimensions: ptr(3), User: "u1"},
			answer:   `{"embeddings":[{"values":[0.1,0.2,0.3]},{"values":[0.4,0.5,0.6]}]}`,
			wantBody: `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]},"outputDimensionality":3},{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"b"}]},"outputDimensionality":3}]}`,
			want:     [][]float32{{0.1, 0.2, 0.3}, {0.4, 0.5, 0.6}},
		},
		{
			name:     "models/ prefix",
			req:      llm.EmbedRequest{Model: "models/gemini-embedding-001", Input: []string{"a"}},
			answer:   `{"embeddings":[{"values":[1]}]}`,
			wantBody: `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]}}]}`,
			want:     [][]float32{{1}},
		},
		{
			name: "token inputs",
			req:  llm.EmbedRequest{Model: "gemini-embedding-001", Tokens: [][]int{{1, 2}}},
			wantErr: func(e *llm.Error) bool {
				return e.Status == 400 && e.Code == llm.CodeUnsupportedParameter && e.Param == "input"
			},
		},
		{
			name:    "no input",
			req:     llm.EmbedRequest{Model: "gemini-embedding-001"},
			wantErr: func(e *llm.Error) bool { return e.Status == 400 && e.Param == "input" },
		},
		{
			name:    "extensions",
			req:     llm.EmbedRequest{Model: "gemini-embedding-001", Input: []string{"a"}, Extensions: map[string]json.RawMessage{"task_type": []byte(`"X"`)}},
			wantErr: func(e *llm.Error) bool { return e.Code == llm.CodeUnsupportedParameter && e.Param == "task_type" },
		},
		{
			name:    "fewer vectors than inputs",
			req:     llm.EmbedRequest{Model: "gemini-embedding-001", Input: []string{"a", "b"}},
			answer:  `{"embeddings":[{"values":[1]}]}`,
			wantErr: isBadResponse,
		},
		{
			name:    "garbage",
			req:     llm.EmbedRequest{Model: "gemini-embedding-001", Input: []string{"a"}},
			answer:  `{"embeddings":`,
			wantErr: isBadResponse,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, map[string]http.HandlerFunc{path: serve(200, "application/json", []byte(tt.answer))})
			resp, err := f.client(Options{}).Embed(context.Background(), &tt.req)
			if tt.wantErr != nil {
				if e := asLLMError(t, err); !tt.wantErr(e) {
					t.Errorf("unexpected error %+v", e)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			jsonEqual(t, f.last(t).body, tt.wantBody)
			if !reflect.DeepEqual(resp.Vectors, tt.want) || resp.Usage != nil || resp.Model != "gemini-embedding-001" {
				t.Errorf("got %+v", resp)
			}
		})
	}
}

// The helpers every wire package's tests share (internal/wiretest).
func fixture(t testing.TB, name string) []byte        { return wiretest.Fixture(t, name) }
func asLLMError(t testing.TB, err error) *llm.Error   { return wiretest.AsLLMError(t, err) }
func jsonEqual(t testing.TB, got []byte, want string) { wiretest.JSONEqual(t, got, want) }
