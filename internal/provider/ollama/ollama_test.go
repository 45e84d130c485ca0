package ollama

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/wiretest"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/provider"
)

// fakeOllama is an Ollama stand-in: it records every request body by path, answers
// /api/show from show (404 when nil), and routes everything else to routes.
type fakeOllama struct {
	*httptest.Server
	mu      sync.Mutex
	got     map[string][][]byte
	show    []byte
	showFor func(model string) []byte // when set, replaces show; nil answers 404
}

func newFake(t *testing.T, routes map[string]http.HandlerFunc) *fakeOllama {
	t.Helper()
	f := &fakeOllama{got: map[string][][]byte{}, show: fixture(t, "show_llama.json")}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.got[r.URL.Path] = append(f.got[r.URL.Path], b)
		show := f.show
		if f.showFor != nil && r.URL.Path == "/api/show" {
			var req struct{ Model string }
			json.Unmarshal(b, &req)
			show = f.showFor(req.Model)
		}
		f.mu.Unlock()
		if h, ok := routes[r.URL.Path]; ok {
			h(w, r)
			return
		}
		if r.URL.Path == "/api/show" && show != nil {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Write(show)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"model not found"}`)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeOllama) setShow(b []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.show = b
}

func (f *fakeOllama) setShowFor(fn func(model string) []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.showFor = fn
}

func (f *fakeOllama) requests(path string) [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.got[path]...)
}

func (f *fakeOllama) last(t *testing.T, path string) []byte {
	t.Helper()
	got := f.requests(path)
	if len(got) == 0 {
		t.Fatalf("fake got no request to %s", path)
	}
	return got[len(got)-1]
}

func (f *fakeOllama) client(opts Options) *Client {
	opts.BaseURL = f.URL
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

// subset reports whether every field of want is in got with the same value.
func subset(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range w {
			if !subset(v, g[k]) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}

func ptr[T any](v T) *T { return &v }

func user(s string) llm.Message {
	return llm.Message{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart(s)}}
}

func TestChatRequestBody(t *testing.T) {
	weather := json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)
	schema := json.RawMessage(`{"type":"object","properties":{"answer":{"type":"string"}}}`)
	tests := []struct {
		name string
		opts Options
		show []byte // nil: the default fixture; "-": /api/show fails
		req  llm.Request
		want string
		// dropped, when set, is what the request must list as left out.
		dropped []string
	}{
		{
			name: "plain",
			req:  llm.Request{Model: "gemma3:1b", Messages: []llm.Message{user("Count from 1 to 5")}, MaxTokens: ptr(50), Temperature: ptr(0.0)},
			want: `{"model":"gemma3:1b","messages":[{"role":"user","content":"Count from 1 to 5"}],"stream":false,
				"options":{"num_ctx":4096,"num_predict":50,"temperature":0},"truncate":false}`,
		},
		{
			name: "every field",
			opts: Options{KeepAlive: "10m"},
			req: llm.Request{Model: "llama3.2",
				Messages: []llm.Message{
					{Role: llm.RoleSystem, Content: []llm.Part{llm.TextPart("Be brief.")}},
					{Role: llm.RoleDeveloper, Content: []llm.Part{llm.TextPart("Use metric units.")}},
					{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart("What is in "), llm.TextPart("this picture?"),
						{Type: llm.PartImage, ImageURL: "data:image/png;base64,iVBORw0KGgo="}}},
					{Role: llm.RoleAssistant, ContentNull: true, Reasoning: "Check the weather.",
						ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "get_weather", Arguments: `{"city": "Tokyo"}`}}},
					{Role: llm.RoleTool, ToolCallID: "call_1", Content: []llm.Part{llm.TextPart(`{"temp":21}`)}},
				},
				Tools:           []llm.Tool{{Name: "get_weather", Description: "Get the weather", Parameters: weather}},
				ToolChoice:      &llm.ToolChoice{Mode: llm.ToolChoiceAuto},
				ResponseFormat:  &llm.ResponseFormat{Type: llm.ResponseJSONSchema, Name: "answer", Schema: schema},
				Temperature:     ptr(0.0),
				TopP:            ptr(0.9),
				MaxTokens:       ptr(100),
				Stop:            []string{"\n\n"},
				Seed:            ptr(int64(42)),
				PresencePenalty: ptr(0.5), FrequencyPenalty: ptr(0.25),
				ReasoningEffort: "high",
				User:            "u-1", Metadata: map[string]string{"k": "v"},
			},
			want: `{"model":"llama3.2","messages":[
				{"role":"system","content":"Be brief."},
				{"role":"system","content":"Use metric units."},
				{"role":"user","content":"What is in this picture?","images":["iVBORw0KGgo="]},
				{"role":"assistant","content":"","thinking":"Check the weather.","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Tokyo"}}}]},
				{"role":"tool","content":"{\"temp\":21}","tool_name":"get_weather"}],
				"tools":[{"type":"function","function":{"name":"get_weather","description":"Get the weather",
					"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],
				"format":{"type":"object","properties":{"answer":{"type":"string"}}},
				"options":{"num_ctx":4096,"num_predict":100,"temperature":0,"top_p":0.9,"stop":["\n\n"],"seed":42,
					"presence_penalty":0.5,"frequency_penalty":0.25},
				"stream":false,"think":true,"keep_alive":"10m","truncate":false}`,
		},
		{
			name: "json object, no thinking, keep alive forever, tool_choice none drops tools",
			opts: Options{KeepAlive: "-1"},
			req: llm.Request{Model: "qwen3", Messages: []llm.Message{user("JSON please")},
				ResponseFormat:  &llm.ResponseFormat{Type: llm.ResponseJSONObject},
				Tools:           []llm.Tool{{Name: "f"}},
				ToolChoice:      &llm.ToolChoice{Mode: llm.ToolChoiceNone},
				ReasoningEffort: "none"},
			want: `{"model":"qwen3","messages":[{"role":"user","content":"JSON please"}],"format":"json",
				"options":{"num_ctx":4096},"stream":false,"think":false,"keep_alive":-1,"truncate":false}`,
		},
		{
			name: "tool without parameters, legacy function message, unknown tool call id",
			req: llm.Request{Model: "llama3.2", Messages: []llm.Message{
				user("hi"),
				{Role: llm.RoleFunction, Name: "clock", Content: []llm.Part{llm.TextPart("12:00")}},
				{Role: llm.RoleTool, ToolCallID: "call_unknown", Content: []llm.Part{llm.TextPart("x")}},
				{Role: llm.RoleAssistant, Refusal: "I can't help with that."},
			}, Tools: []llm.Tool{{Name: "clock"}}},
			want: `{"model":"llama3.2","messages":[{"role":"user","content":"hi"},
				{"role":"tool","content":"12:00","tool_name":"clock"},{"role":"tool","content":"x"},
				{"role":"assistant","content":"I can't help with that."}],
				"tools":[{"type":"function","function":{"name":"clock","parameters":{"type":"object","properties":{}}}}],
				"options":{"num_ctx":4096},"stream":false,"truncate":false}`,
		},
		{
			name: "translated from Anthropic: thinking, top_k, text document; hints, hosted tools and cache_control dropped",
			req: llm.Request{Model: "llama3.2", Messages: []llm.Message{
				{Role: llm.RoleSystem, Content: []llm.Part{{Type: llm.PartText, Text: "sys", CacheControl: json.RawMessage(`{"type":"ephemeral"}`)}}},
				{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartDocument, MediaType: "text/plain", Title: "Notes", Text: "body"}, llm.TextPart("sum up")}},
			}, Tools: []llm.Tool{{Hosted: "web_search_20250305", Raw: json.RawMessage(`{}`), RawFormat: llm.FormatAnthropic}},
				Thinking: &llm.Thinking{Type: llm.ThinkingEnabled, BudgetTokens: 2048}, TopK: ptr(40),
				Hints: map[string]json.RawMessage{"context_management": json.RawMessage(`{}`)}, ExtensionsFormat: llm.FormatAnthropic},
			want: `{"model":"llama3.2","messages":[{"role":"system","content":"sys"},{"role":"user","content":"Notes\n\nbodysum up"}],
				"options":{"num_ctx":4096,"top_k":40},"stream":false,"think":true,"truncate":false}`,
			dropped: []string{"cache_control", "context_management", "tools.web_search_20250305", "thinking.budget_tokens"},
		},
		{
			name: "show fails: no num_ctx, request still sent",
			show: []byte("-"),
			req:  llm.Request{Model: "mystery", Messages: []llm.Message{user("hi")}},
			want: `{"model":"mystery","messages":[{"role":"user","content":"hi"}],"stream":false,"truncate":false}`,
		},
		{
			name: "Modelfile num_ctx is a floor",
			show: bytes.Replace(fixture(t, "show_llama.json"), []byte(`"parameters": "`), []byte(`"parameters": "num_ctx 40960\n`), 1),
			req:  llm.Request{Model: "llama3.2", Messages: []llm.Message{user("hi")}},
			want: `{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"options":{"num_ctx":40960},"stream":false,"truncate":false}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, map[string]http.HandlerFunc{"/api/chat": serveFixture(t, "docs_chat_tools_non_stream.response.json")})
			switch {
			case string(tt.show) == "-":
				f.setShow(nil)
			case tt.show != nil:
				f.setShow(tt.show)
			}
			if _, err := f.client(tt.opts).Chat(context.Background(), &tt.req); err != nil {
				t.Fatal(err)
			}
			jsonEqual(t, f.last(t, "/api/chat"), tt.want)
			jsonEqual(t, f.last(t, "/api/show"), `{"model":"`+tt.req.Model+`"}`)
			if tt.dropped != nil && !slices.Equal(tt.req.Dropped, tt.dropped) {
				t.Errorf("dropped %q, want %q", tt.req.Dropped, tt.dropped)
			}
		})
	}
}

// The recorded requests of the tool-call fixtures, as the canonical request that would have
// produced them: every field they have must be in our body too.
func TestChatRequestMatchesRecorded(t *testing.T) {
	tools := []llm.Tool{{Name: "get_weather", Description: "Get the weather in a given city",
		Parameters: json.RawMessage(`{"type": "object", "properties": {"city": {"type": "string", "description": "The city to get the weather for"}}, "required": ["city"]}`)}}
	req := llm.Request{Model: "llama3.2", Messages: []llm.Message{user("what is the weather in tokyo?")}, Tools: tools}
	for _, tt := range []struct {
		fixture string
		stream  bool
	}{{"docs_chat_tools_non_stream", false}, {"docs_chat_tools_stream", true}} {
		t.Run(tt.fixture, func(t *testing.T) {
			ext := ".response.json"
			if tt.stream {
				ext = ".response.ndjson"
			}
			f := newFake(t, map[string]http.HandlerFunc{"/api/chat": serveFixture(t, tt.fixture+ext)})
			c := f.client(Options{})
			if tt.stream {
				s, err := c.Stream(context.Background(), &req)
				if err != nil {
					t.Fatal(err)
				}
				s.Close()
			} else if _, err := c.Chat(context.Background(), &req); err != nil {
				t.Fatal(err)
			}
			want := wiretest.DecodeAny(t, fixture(t, tt.fixture+".request.json"))
			got := wiretest.DecodeAny(t, f.last(t, "/api/chat"))
			if !subset(want, got) {
				t.Errorf("body %s\ndoes not hold the recorded request %s", f.last(t, "/api/chat"), fixture(t, tt.fixture+".request.json"))
			}
		})
	}
}

func TestChatResponse(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want llm.Response // ID and tool call ids are checked by prefix
	}{
		{
			name: "docs_chat_tools_non_stream",
			body: fixture(t, "docs_chat_tools_non_stream.response.json"),
			want: llm.Response{Model: "llama3.2", Created: 1751920373,
				Choices: []llm.Choice{{FinishReason: llm.FinishToolCalls, Message: llm.Message{Role: llm.RoleAssistant, ContentNull: true,
					ToolCalls: []llm.ToolCall{{Name: "get_weather", Arguments: `{"city":"Tokyo"}`}}}}},
				Usage: &llm.Usage{InputTokens: 169, OutputTokens: 18, TotalTokens: 187}},
		},
		{
			name: "text with thinking, length",
			body: []byte(`{"model":"qwen3:8b","created_at":"bad time","message":{"role":"assistant","content":"Four.","thinking":"2+2=4"},"done_reason":"length","done":true,"prompt_eval_count":12,"eval_count":30}`),
			want: llm.Response{Model: "qwen3:8b",
				Choices: []llm.Choice{{FinishReason: llm.FinishLength, Message: llm.Message{Role: llm.RoleAssistant,
					Content: []llm.Part{llm.TextPart("Four.")}, Reasoning: "2+2=4"}}},
				Usage: &llm.Usage{InputTokens: 12, OutputTokens: 30, TotalTokens: 42}},
		},
		{
			name: "load counts as stop",
			body: []byte(`{"model":"m","created_at":"2025-07-07T20:32:53.844124Z","message":{"role":"assistant","content":""},"done_reason":"load","done":true}`),
			want: llm.Response{Model: "m", Created: 1751920373,
				Choices: []llm.Choice{{FinishReason: llm.FinishStop, Message: llm.Message{Role: llm.RoleAssistant,
					Content: []llm.Part{llm.TextPart("")}}}},
				Usage: &llm.Usage{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, map[string]http.HandlerFunc{"/api/chat": serve(200, "application/json; charset=utf-8", tt.body)})
			before := time.Now().Unix()
			got, err := f.client(Options{}).Chat(context.Background(), &llm.Request{Model: "m", Messages: []llm.Message{user("hi")}})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got.ID, "chatcmpl-") || len(got.ID) != len("chatcmpl-")+24 {
				t.Errorf("ID = %q", got.ID)
			}
			got.ID = ""
			for i, tc := range got.Choices[0].Message.ToolCalls {
				if !strings.HasPrefix(tc.ID, "call_") || len(tc.ID) != len("call_")+24 {
					t.Errorf("tool call id = %q", tc.ID)
				}
				got.Choices[0].Message.ToolCalls[i].ID = ""
			}
			if tt.want.Created == 0 {
				// No parsable created_at: the time of the answer.
				if got.Created < before || got.Created > time.Now().Unix() {
					t.Errorf("Created = %d, want now", got.Created)
				}
				got.Created = 0
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      []byte
		wantHTTP  int
		wantCode  string
		retryable bool
		wantMsg   string
	}{
		{"400 tools not supported", 400, fixture(t, "error_400_model_does_not_support_tools.response.json"),
			400, "", false, "registry.ollama.ai/library/gemma3:1b does not support tools"},
		{"404 model not found", 404, []byte(`{"error":"model \"nope\" not found, try pulling it first"}`),
			404, llm.CodeModelNotFound, false, `model "nope" not found`},
		{"500", 500, []byte(`{"error":"llama runner process has terminated: exit status 2"}`),
			502, llm.CodeUpstreamError, true, "llama runner process has terminated"},
		{"503 not json", 503, []byte("Service Unavailable"), 502, llm.CodeUpstreamError, true, "Service Unavailable"},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			name := tt.name
			if stream {
				name += " stream"
			}
			t.Run(name, func(t *testing.T) {
				f := newFake(t, map[string]http.HandlerFunc{"/api/chat": serve(tt.status, "application/json; charset=utf-8", tt.body)})
				c := f.client(Options{})
				req := &llm.Request{Model: "gemma3:1b", Messages: []llm.Message{user("hi")}}
				var err error
				if stream {
					_, err = c.Stream(context.Background(), req)
				} else {
					_, err = c.Chat(context.Background(), req)
				}
				e := asLLMError(t, err)
				if e.Status != tt.wantHTTP || e.Code != tt.wantCode || e.Retryable != tt.retryable {
					t.Errorf("got status %d code %q retryable %v, want %d %q %v", e.Status, e.Code, e.Retryable, tt.wantHTTP, tt.wantCode, tt.retryable)
				}
				if !strings.Contains(e.Message, tt.wantMsg) || !strings.Contains(e.Message, `"ollama"`) {
					t.Errorf("message %q does not name the provider and hold %q", e.Message, tt.wantMsg)
				}
			})
		}
	}
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := New(Options{BaseURL: url})
	req := &llm.Request{Model: "m", Messages: []llm.Message{user("hi")}}
	_, err := c.Chat(context.Background(), req)
	e := asLLMError(t, err)
	if e.Status != http.StatusBadGateway || e.Code != llm.CodeUpstreamUnavailable || !e.Retryable {
		t.Errorf("Chat: got %d %q retryable %v", e.Status, e.Code, e.Retryable)
	}
	_, err = c.Stream(context.Background(), req)
	e = asLLMError(t, err)
	if e.Status != http.StatusBadGateway || e.Code != llm.CodeUpstreamUnavailable || !e.Retryable {
		t.Errorf("Stream: got %d %q retryable %v", e.Status, e.Code, e.Retryable)
	}
}

func TestRefusals(t *testing.T) {
	base := func(mod func(*llm.Request)) llm.Request {
		r := llm.Request{Model: "llama3.2", Messages: []llm.Message{user("hi")}}
		mod(&r)
		return r
	}
	tests := []struct {
		name      string
		req       llm.Request
		wantCode  string
		wantParam string
	}{
		{"n", base(func(r *llm.Request) { r.N = ptr(2) }), llm.CodeUnsupportedParameter, "n"},
		{"logprobs", base(func(r *llm.Request) { r.Logprobs = ptr(true) }), llm.CodeUnsupportedParameter, "logprobs"},
		{"top_logprobs", base(func(r *llm.Request) { r.TopLogprobs = ptr(3) }), llm.CodeUnsupportedParameter, "top_logprobs"},
		{"tool_choice required", base(func(r *llm.Request) { r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceRequired} }),
			llm.CodeUnsupportedParameter, "tool_choice"},
		{"tool_choice function", base(func(r *llm.Request) { r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "f"} }),
			llm.CodeUnsupportedParameter, "tool_choice"},
		{"extensions, first key sorted", base(func(r *llm.Request) {
			r.Extensions = map[string]json.RawMessage{"service_tier": []byte(`"flex"`), "prediction": []byte(`{}`)}
			r.ExtensionsFormat = llm.FormatOpenAIChat
		}), llm.CodeUnsupportedParameter, "prediction"},
		{"other part", base(func(r *llm.Request) {
			r.Messages[0].Content = append(r.Messages[0].Content, llm.Part{Type: llm.PartOther, RawType: "input_audio",
				Raw: []byte(`{"type":"input_audio"}`), RawFormat: llm.FormatOpenAIChat})
		}), llm.CodeUnsupportedParameter, "messages[0].content[1]"},
		{"image by URL", base(func(r *llm.Request) {
			r.Messages[0].Content = append(r.Messages[0].Content, llm.Part{Type: llm.PartImage, ImageURL: "https://example.com/cat.png"})
		}), llm.CodeUnsupportedParameter, "messages[0].content[1].image_url"},
		{"data URL without base64", base(func(r *llm.Request) {
			r.Messages[0].Content = append(r.Messages[0].Content, llm.Part{Type: llm.PartImage, ImageURL: "data:image/png,raw"})
		}), llm.CodeInvalidValue, "messages[0].content[1].image_url"},
		{"arguments not JSON", base(func(r *llm.Request) {
			r.Messages = append(r.Messages, llm.Message{Role: llm.RoleAssistant,
				ToolCalls: []llm.ToolCall{{ID: "c", Name: "f", Arguments: `{"city": `}}})
		}), llm.CodeInvalidValue, "messages[1].tool_calls[0].function.arguments"},
		{"arguments not an object", base(func(r *llm.Request) {
			r.Messages = append(r.Messages, llm.Message{Role: llm.RoleAssistant,
				ToolCalls: []llm.ToolCall{{ID: "c", Name: "f", Arguments: `[1,2]`}}})
		}), llm.CodeInvalidValue, "messages[1].tool_calls[0].function.arguments"},
		{"unknown role", base(func(r *llm.Request) { r.Messages[0].Role = "narrator" }), llm.CodeInvalidValue, "messages[0].role"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, nil)
			c := f.client(Options{})
			for _, stream := range []bool{false, true} {
				var err error
				if stream {
					_, err = c.Stream(context.Background(), &tt.req)
				} else {
					_, err = c.Chat(context.Background(), &tt.req)
				}
				e := asLLMError(t, err)
				if e.Status != 400 || e.Code != tt.wantCode || e.Param != tt.wantParam {
					t.Errorf("stream=%v: got %d %q %q, want 400 %q %q (%s)", stream, e.Status, e.Code, e.Param, tt.wantCode, tt.wantParam, e.Message)
				}
			}
			if n := len(f.requests("/api/chat")); n != 0 {
				t.Errorf("a refused request reached Ollama %d times", n)
			}
		})
	}
}

// Issue: Ollama silently truncates prompts longer than num_ctx; the gateway sizes num_ctx to
// fit and refuses what cannot fit.
func TestContextWindow(t *testing.T) {
	showWith := func(ctxLen string) []byte {
		return bytes.Replace(fixture(t, "show_llama.json"), []byte(`"llama.context_length": 131072`),
			[]byte(`"llama.context_length": `+ctxLen), 1)
	}
	tests := []struct {
		name       string
		show       []byte
		prompt     int // bytes of user text
		maxTokens  *int
		wantNumCtx int // 0: not set
		wantErr    bool
	}{
		{"small prompt", nil, 100, nil, 4096, false},
		{"answer reserve grows it", nil, 100, ptr(6000), 8192, false},
		{"long prompt", nil, 100_000, nil, 65536, false},
		{"capped at the window", showWith("6000"), 100, ptr(8000), 6000, false},
		{"fits the window by the low estimate", showWith("2048"), 10_000, nil, 2048, false},
		{"cannot fit", showWith("2048"), 20_000, nil, 0, true},
		{"unknown window", []byte(`{"model_info":{},"capabilities":["completion"]}`), 1_000_000, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, map[string]http.HandlerFunc{"/api/chat": serveFixture(t, "chat_stream.response.ndjson")})
			if tt.show != nil {
				f.setShow(tt.show)
			}
			req := &llm.Request{Model: "llama3.2", Messages: []llm.Message{user(strings.Repeat("a", tt.prompt))}, MaxTokens: tt.maxTokens}
			s, err := f.client(Options{}).Stream(context.Background(), req)
			if tt.wantErr {
				e := asLLMError(t, err)
				if e.Status != 400 || e.Code != llm.CodeContextLength || e.Param != "messages" {
					t.Errorf("got %d %q %q", e.Status, e.Code, e.Param)
				}
				for _, s := range []string{`"llama3.2"`, "2048", "shorten the conversation", "larger context window"} {
					if !strings.Contains(e.Message, s) {
						t.Errorf("message %q lacks %q", e.Message, s)
					}
				}
				if strings.Contains(e.Message, "aaaa") {
					t.Errorf("message echoes the prompt")
				}
				if n := len(f.requests("/api/chat")); n != 0 {
					t.Errorf("a refused request reached Ollama")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			s.Close()
			var body struct {
				Options struct {
					NumCtx int `json:"num_ctx"`
				} `json:"options"`
			}
			if err := json.Unmarshal(f.last(t, "/api/chat"), &body); err != nil {
				t.Fatal(err)
			}
			if body.Options.NumCtx != tt.wantNumCtx {
				t.Errorf("num_ctx = %d, want %d", body.Options.NumCtx, tt.wantNumCtx)
			}
		})
	}
}

func TestEmbed(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{"/api/embed": serveFixture(t, "embed.response.json")})
	c := f.client(Options{})
	got, err := c.Embed(context.Background(), &llm.EmbedRequest{Model: "nomic-embed-text", Input: []string{"Hello world"}, Dimensions: ptr(768)})
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, f.last(t, "/api/embed"), `{"model":"nomic-embed-text","input":["Hello world"],"dimensions":768,"truncate":false}`)
	if got.Model != "nomic-embed-text" || len(got.Vectors) != 1 || len(got.Vectors[0]) != 768 {
		t.Fatalf("got model %q, %d vectors", got.Model, len(got.Vectors))
	}
	if got.Vectors[0][0] != float32(-0.006746773) || got.Vectors[0][767] != float32(-0.004468476) {
		t.Errorf("vector ends %v %v", got.Vectors[0][0], got.Vectors[0][767])
	}
	if got.Usage == nil || got.Usage.InputTokens != 2 || got.Raw != nil {
		t.Errorf("usage %+v raw %d bytes", got.Usage, len(got.Raw))
	}

	t.Run("tokens refused", func(t *testing.T) {
		_, err := c.Embed(context.Background(), &llm.EmbedRequest{Model: "m", Tokens: [][]int{{1, 2}}})
		if e := asLLMError(t, err); e.Code != llm.CodeUnsupportedParameter || e.Param != "input" {
			t.Errorf("got %q %q", e.Code, e.Param)
		}
	})
	t.Run("count mismatch", func(t *testing.T) {
		_, err := c.Embed(context.Background(), &llm.EmbedRequest{Model: "m", Input: []string{"a", "b"}})
		if e := asLLMError(t, err); e.Code != llm.CodeUpstreamBadResponse {
			t.Errorf("got %q", e.Code)
		}
	})
	t.Run("input too long is Ollama's error", func(t *testing.T) {
		f := newFake(t, map[string]http.HandlerFunc{"/api/embed": serve(400, "application/json",
			[]byte(`{"error":"the input length exceeds the context length"}`))})
		_, err := f.client(Options{}).Embed(context.Background(), &llm.EmbedRequest{Model: "m", Input: []string{"a"}})
		if e := asLLMError(t, err); e.Status != 400 || !strings.Contains(e.Message, "exceeds the context length") {
			t.Errorf("got %d %q", e.Status, e.Message)
		}
	})
}

func TestListModels(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{"/api/tags": serveFixture(t, "docs_tags.response.json")})
	show := fixture(t, "show_llama.json")
	// deepseek-r1 has no /api/show answer: it stays listed, with unknown capabilities.
	f.setShowFor(func(model string) []byte {
		if model == "llama3.2:latest" {
			return show
		}
		return nil
	})
	c := f.client(Options{})
	want := []provider.ModelInfo{
		{ID: "deepseek-r1:latest", OwnedBy: "library"},
		{ID: "llama3.2:latest", OwnedBy: "library", ContextLength: 131072,
			Caps: provider.Caps{Known: true, Completion: true, Tools: true}},
	}
	for i := range 2 {
		got, err := c.ListModels(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("call %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	// llama3.2 is asked once and then cached; deepseek-r1's failure is not cached.
	var llama, deepseek int
	for _, b := range f.requests("/api/show") {
		switch string(b) {
		case `{"model":"llama3.2:latest"}`:
			llama++
		case `{"model":"deepseek-r1:latest"}`:
			deepseek++
		}
	}
	if llama != 1 || deepseek != 2 {
		t.Errorf("/api/show asked %d times for llama3.2, %d for deepseek-r1; want 1 and 2", llama, deepseek)
	}
	mi, err := c.ModelInfo(context.Background(), "llama3.2:latest")
	if err != nil || !reflect.DeepEqual(mi, want[1]) {
		t.Errorf("ModelInfo = %+v, %v", mi, err)
	}
	if _, err := c.ModelInfo(context.Background(), "deepseek-r1:latest"); asLLMError(t, err).Status != 404 {
		t.Errorf("ModelInfo of a failing model: %v", err)
	}
}

// A model pulled again under the same name gets a new digest in /api/tags; its cached
// /api/show answer is then dropped.
func TestListModelsRePulled(t *testing.T) {
	var tags atomic.Value
	tags.Store(fixture(t, "docs_tags.response.json"))
	f := newFake(t, map[string]http.HandlerFunc{"/api/tags": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Write(tags.Load().([]byte))
	}})
	c := f.client(Options{})
	count := func() int {
		var n int
		for _, b := range f.requests("/api/show") {
			if string(b) == `{"model":"llama3.2:latest"}` {
				n++
			}
		}
		return n
	}
	for _, step := range []struct {
		digest    string // llama3.2's new digest; "" keeps it
		wantAsked int
	}{{"", 1}, {"", 1}, {"b0c5d1f5e9a3", 2}, {"", 2}} {
		if step.digest != "" {
			tags.Store(bytes.Replace(fixture(t, "docs_tags.response.json"),
				[]byte("a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72"), []byte(step.digest), 1))
		}
		if _, err := c.ListModels(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := count(); got != step.wantAsked {
			t.Errorf("after digest %q: /api/show asked %d times, want %d", step.digest, got, step.wantAsked)
		}
	}
}

func TestShowCapabilities(t *testing.T) {
	tests := []struct {
		name string
		body string
		want showInfo
	}{
		{"embedding model", `{"model_info":{"general.architecture":"nomic-bert","nomic-bert.context_length":2048},"capabilities":["embedding"]}`,
			showInfo{ctxLen: 2048, caps: provider.Caps{Known: true, Embeddings: true}}},
		{"thinking vision", `{"model_info":{"general.architecture":"qwen3","qwen3.context_length":40960},"capabilities":["completion","tools","thinking","vision","insert"],"parameters":"num_ctx 8192\ntemperature 0.6"}`,
			showInfo{ctxLen: 40960, numCtx: 8192, caps: provider.Caps{Known: true, Completion: true, Tools: true, Thinking: true, Vision: true}}},
		{"older Ollama without capabilities", `{"model_info":{"llama.context_length":8192}}`, showInfo{ctxLen: 8192}},
		{"nothing", `{}`, showInfo{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseShow([]byte(tt.body))
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestPing(t *testing.T) {
	f := newFake(t, map[string]http.HandlerFunc{"/api/version": serve(200, "application/json", []byte(`{"version":"0.12.6"}`))})
	if err := f.client(Options{}).Ping(context.Background()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	f.Close()
	if err := f.client(Options{}).Ping(context.Background()); asLLMError(t, err).Code != llm.CodeUpstreamUnavailable {
		t.Errorf("Ping of a stopped server: %v", err)
	}
}

func TestNewDefaults(t *testing.T) {
	tests := []struct {
		opts    Options
		name    string
		base    string
		keep    string
		timeout time.Duration
	}{
		{Options{}, "ollama", DefaultBaseURL, "", 300 * time.Second},
		{Options{Name: "gpu-box", BaseURL: "http://10.0.0.5:11434/api/", KeepAlive: "24h", Timeout: time.Minute},
			"gpu-box", "http://10.0.0.5:11434", `"24h"`, time.Minute},
		{Options{KeepAlive: "300"}, "ollama", DefaultBaseURL, "300", 300 * time.Second},
		{Options{KeepAlive: "Inf"}, "ollama", DefaultBaseURL, `"Inf"`, 300 * time.Second}, // ParseFloat reads it; JSON does not
	}
	for _, tt := range tests {
		c := New(tt.opts)
		if c.Name() != tt.name || c.base != tt.base || string(c.keepAlive) != tt.keep || c.timeout != tt.timeout || c.idle != 120*time.Second {
			t.Errorf("New(%+v) = name %q base %q keep %s timeout %v idle %v", tt.opts, c.Name(), c.base, c.keepAlive, c.timeout, c.idle)
		}
	}
}

func TestOwnedBy(t *testing.T) {
	for id, want := range map[string]string{
		"llama3.2:latest":                 "library",
		"hf.co/bartowski/Qwen3-8B:Q4_K_M": "bartowski",
		"jmorgan/mixtral:8x7b":            "jmorgan",
		"plain":                           "library",
	} {
		if got := ownedBy(id); got != want {
			t.Errorf("ownedBy(%q) = %q, want %q", id, got, want)
		}
	}
}

// The helpers every wire package's tests share (internal/wiretest).
func fixture(t testing.TB, name string) []byte        { return wiretest.Fixture(t, name) }
func asLLMError(t testing.TB, err error) *llm.Error   { return wiretest.AsLLMError(t, err) }
func jsonEqual(t testing.TB, got []byte, want string) { wiretest.JSONEqual(t, got, want) }
