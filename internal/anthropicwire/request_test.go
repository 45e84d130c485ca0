package anthropicwire_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/anthropicwire"
	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// normalize rewrites an Anthropic request body into one form per meaning: string content as
// one text block, no stream:false, no empty tool description.
func normalize(v any) any {
	m := obj(v)
	textBlocks := func(x any) any {
		if s, ok := x.(string); ok {
			return []any{map[string]any{"type": "text", "text": s}}
		}
		return x
	}
	if s, ok := m["system"].(string); ok && s == "" {
		delete(m, "system")
	} else if _, ok := m["system"]; ok {
		m["system"] = textBlocks(m["system"])
	}
	for _, msg := range arr(m["messages"]) {
		obj(msg)["content"] = textBlocks(obj(msg)["content"])
		for _, b := range arr(obj(msg)["content"]) {
			if b := obj(b); b["type"] == "tool_result" {
				if _, ok := b["content"]; ok {
					b["content"] = textBlocks(b["content"])
				}
				if b["is_error"] == false {
					delete(b, "is_error")
				}
			}
		}
	}
	if m["stream"] == false {
		delete(m, "stream")
	}
	for _, t := range arr(m["tools"]) {
		if obj(t)["description"] == "" {
			delete(obj(t), "description")
		}
		if obj(t)["type"] == "custom" {
			delete(obj(t), "type")
		}
	}
	return v
}

// Every recorded request decodes, and encoding it again gives the same request.
func TestRequestFixturesRoundTrip(t *testing.T) {
	for _, name := range fixtures(t, "anthropic/*.request.json") {
		t.Run(name, func(t *testing.T) {
			body := fixture(t, name)
			count := strings.Contains(name, "count_tokens")
			decode, encode := anthropicwire.DecodeRequest, func(r *llm.Request) ([]byte, error) {
				return anthropicwire.EncodeRequest(r, r.Model, "anthropic", 1)
			}
			if count {
				decode, encode = anthropicwire.DecodeCountTokensRequest, func(r *llm.Request) ([]byte, error) {
					return anthropicwire.EncodeCountTokensRequest(r, r.Model, "anthropic")
				}
			}
			r, err := decode(body)
			if err != nil {
				t.Fatal(err)
			}
			out, err := encode(r)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Dropped) > 0 {
				t.Errorf("dropped %v sending an Anthropic request to Anthropic", r.Dropped)
			}
			if d := jsonDiff(normalize(decodeAny(t, body)), normalize(decodeAny(t, out))); len(d) > 0 {
				t.Errorf("re-encoded request differs:\n%s\n%s", strings.Join(d, "\n"), out)
			}
			// Decoding the re-encoded body gives the same canonical request.
			r2, err := decode(out)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r, r2) {
				t.Errorf("decoded again:\n%+v\nfirst:\n%+v", r2, r)
			}
		})
	}
}

func TestDecodeRequestFixtures(t *testing.T) {
	t.Run("system prompt", func(t *testing.T) {
		r := decode(t, fixture(t, "anthropic/plain.request.json"))
		if r.Model != "claude-3-opus-latest" || *r.MaxTokens != 4096 || r.Stream || len(r.Messages) != 2 ||
			r.Messages[0].Role != llm.RoleSystem || r.Messages[0].Text() != "You are a helpful assistant.\n\n" ||
			r.Messages[1].Text() != "What is the capital of France?" {
			t.Errorf("%+v", r)
		}
	})
	t.Run("thinking", func(t *testing.T) {
		r := decode(t, fixture(t, "anthropic/stream_thinking.request.json"))
		if !r.Stream || r.Thinking == nil || *r.Thinking != (llm.Thinking{Type: llm.ThinkingEnabled, BudgetTokens: 1024}) {
			t.Errorf("stream %v thinking %+v", r.Stream, r.Thinking)
		}
	})
	t.Run("tools", func(t *testing.T) {
		r := decode(t, fixture(t, "anthropic/stream_tool_use_input_json_delta.request.json"))
		if len(r.Tools) != 3 || r.ToolChoice == nil || r.ToolChoice.Mode != llm.ToolChoiceAuto {
			t.Fatalf("tools %+v choice %+v", r.Tools, r.ToolChoice)
		}
		custom := r.Tools[0]
		if custom.Name != "get_exchange_rate" || custom.Hosted != "" || string(custom.Raw) != `{"defer_loading":true}` ||
			!strings.Contains(string(custom.Parameters), `"from_currency"`) {
			t.Errorf("custom tool %+v", custom)
		}
		hosted := r.Tools[2]
		if hosted.Hosted != "tool_search_tool_bm25_20251119" || hosted.Name != "tool_search_tool_bm25" || hosted.RawFormat != llm.FormatAnthropic {
			t.Errorf("hosted tool %+v", hosted)
		}
	})
	t.Run("output_config effort is a hint", func(t *testing.T) {
		r := decode(t, fixture(t, "anthropic/error_400_invalid_request.request.json"))
		if string(r.Hints["output_config"]) != `{"effort":"xhigh"}` || r.ResponseFormat != nil || len(r.Extensions) != 0 {
			t.Errorf("hints %s, response format %+v, extensions %v", r.Hints["output_config"], r.ResponseFormat, r.Extensions)
		}
	})
	t.Run("count_tokens without max_tokens", func(t *testing.T) {
		body := fixture(t, "anthropic/error_404_count_tokens.request.json")
		if r, err := anthropicwire.DecodeCountTokensRequest(body); err != nil || r.MaxTokens != nil {
			t.Errorf("%+v, %v", r, err)
		}
		if e := asLLMError(t, decodeErr(body)); e.Param != "max_tokens" || e.Code != llm.CodeMissingField {
			t.Errorf("a Messages request without max_tokens: %+v", e)
		}
	})
}

func decode(t testing.TB, body []byte) *llm.Request {
	t.Helper()
	r, err := anthropicwire.DecodeRequest(body)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func decodeErr(body []byte) error {
	_, err := anthropicwire.DecodeRequest(body)
	return err
}

// msgBody is a request around the given messages JSON.
func msgBody(messages string) []byte {
	return []byte(`{"model":"claude-sonnet-4-5","max_tokens":100,"messages":` + messages + `}`)
}

func TestDecodeRequestContent(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want []llm.Message
	}{
		{"string content", msgBody(`[{"role":"user","content":"hi"}]`),
			[]llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("hi")}}}},
		{"text blocks with cache_control and citations",
			msgBody(`[{"role":"user","content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral","ttl":"1h"}},{"type":"text","text":"b","citations":[]}]}]`),
			[]llm.Message{{Role: "user", Content: []llm.Part{
				{Type: "text", Text: "a", CacheControl: json.RawMessage(`{"type":"ephemeral","ttl":"1h"}`)},
				{Type: "text", Text: "b", Raw: json.RawMessage(`{"citations":[]}`), RawFormat: llm.FormatAnthropic}}}}},
		{"images", msgBody(`[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}},{"type":"image","source":{"type":"url","url":"https://x/y.jpg"}},{"type":"image","source":{"type":"file","file_id":"file_1"}}]}]`),
			[]llm.Message{{Role: "user", Content: []llm.Part{
				{Type: "image", ImageURL: "data:image/png;base64,iVBOR"},
				{Type: "image", ImageURL: "https://x/y.jpg"},
				{Type: "other", Raw: json.RawMessage(`{"type":"image","source":{"type":"file","file_id":"file_1"}}`), RawFormat: llm.FormatAnthropic, RawType: "image"}}}}},
		{"documents", msgBody(`[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBER"},"title":"T","citations":{"enabled":true},"context":"c"},{"type":"document","source":{"type":"text","media_type":"text/plain","data":"plain"}},{"type":"document","source":{"type":"url","url":"https://x/a.pdf"},"cache_control":{"type":"ephemeral"}}]}]`),
			[]llm.Message{{Role: "user", Content: []llm.Part{
				{Type: "document", MediaType: "application/pdf", Data: "JVBER", Title: "T", Raw: json.RawMessage(`{"citations":{"enabled":true},"context":"c"}`), RawFormat: llm.FormatAnthropic},
				{Type: "document", MediaType: "text/plain", Text: "plain"},
				{Type: "document", MediaType: "application/pdf", URL: "https://x/a.pdf", CacheControl: json.RawMessage(`{"type":"ephemeral"}`)}}}}},
		{"assistant thinking, text and tool calls", msgBody(`[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"sig"},{"type":"redacted_thinking","data":"enc"},{"type":"thinking","thinking":"more","signature":"s2"},{"type":"text","text":"let me look"},{"type":"tool_use","id":"toolu_1","name":"f","input":{ "a" : 1 }},{"type":"tool_use","id":"toolu_2","name":"g","input":{},"cache_control":{"type":"ephemeral"}}]}]`),
			[]llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("q")}}, {Role: "assistant",
				Content:      []llm.Part{llm.TextPart("let me look")},
				Thinking:     []llm.ThinkingBlock{{Text: "hmm", Signature: "sig", Format: llm.FormatAnthropic}, {Redacted: "enc", Format: llm.FormatAnthropic}, {Text: "more", Signature: "s2", Format: llm.FormatAnthropic}},
				Reasoning:    "hmm\n\nmore",
				ToolCalls:    []llm.ToolCall{{ID: "toolu_1", Name: "f", Arguments: `{"a":1}`}, {ID: "toolu_2", Name: "g", Arguments: `{}`}},
				CacheControl: json.RawMessage(`{"type":"ephemeral"}`)}}},
		{"assistant with tool calls only", msgBody(`[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]}]`),
			[]llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("q")}}, {Role: "assistant", ContentNull: true,
				ToolCalls: []llm.ToolCall{{ID: "t", Name: "f", Arguments: `{}`}}}}},
		{"tool results then user text", msgBody(`[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"42"},{"type":"tool_result","tool_use_id":"t2","is_error":true,"content":[{"type":"text","text":"boom"},{"type":"image","source":{"type":"url","url":"https://x/i.png"}}],"cache_control":{"type":"ephemeral"}},{"type":"tool_result","tool_use_id":"t3"},{"type":"text","text":"and now?"}]}]`),
			[]llm.Message{
				{Role: "tool", ToolCallID: "t1", Content: []llm.Part{llm.TextPart("42")}},
				{Role: "tool", ToolCallID: "t2", ToolError: true, CacheControl: json.RawMessage(`{"type":"ephemeral"}`),
					Content: []llm.Part{llm.TextPart("boom"), {Type: "image", ImageURL: "https://x/i.png"}}},
				{Role: "tool", ToolCallID: "t3"},
				{Role: "user", Content: []llm.Part{llm.TextPart("and now?")}}}},
		{"server tool blocks are kept raw", msgBody(`[{"role":"user","content":[{"type":"search_result","source":"s","title":"t","content":[{"type":"text","text":"x"}]}]},{"role":"assistant","content":[{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"q"}},{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]}]}]`),
			[]llm.Message{
				{Role: "user", Content: []llm.Part{{Type: "other", RawType: "search_result", RawFormat: llm.FormatAnthropic,
					Raw: json.RawMessage(`{"type":"search_result","source":"s","title":"t","content":[{"type":"text","text":"x"}]}`)}}},
				{Role: "assistant", Content: []llm.Part{
					{Type: "other", RawType: "server_tool_use", RawFormat: llm.FormatAnthropic, Raw: json.RawMessage(`{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"q"}}`)},
					{Type: "other", RawType: "web_search_tool_result", RawFormat: llm.FormatAnthropic, Raw: json.RawMessage(`{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]}`)}}}}},
		{"system blocks", []byte(`{"model":"m","max_tokens":1,"system":[{"type":"text","text":"a"},{"type":"text","text":"b","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"x"}]}`),
			[]llm.Message{{Role: "system", Content: []llm.Part{llm.TextPart("a"), {Type: "text", Text: "b", CacheControl: json.RawMessage(`{"type":"ephemeral"}`)}}},
				{Role: "user", Content: []llm.Part{llm.TextPart("x")}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := decode(t, tt.body)
			if !reflect.DeepEqual(r.Messages, tt.want) {
				t.Errorf("messages\n%+v\nwant\n%+v", r.Messages, tt.want)
			}
			// Anthropic gets the same content back.
			out, err := anthropicwire.EncodeRequest(r, r.Model, "anthropic", 1)
			if err != nil {
				t.Fatal(err)
			}
			if d := jsonDiff(normalize(decodeAny(t, tt.body)), normalize(decodeAny(t, out))); len(d) > 0 {
				t.Errorf("re-encoded request differs:\n%s\n%s", strings.Join(d, "\n"), out)
			}
		})
	}
}

func TestDecodeRequestFields(t *testing.T) {
	body := []byte(`{"model":"claude-opus-4-1","max_tokens":2048,"messages":[{"role":"user","content":"x"}],
		"temperature":0.5,"top_p":0.9,"top_k":40,"stop_sequences":["END","STOP"],"stream":true,
		"metadata":{"user_id":"u-1"},"thinking":{"type":"enabled","budget_tokens":2000,"display":"omitted"},
		"tools":[{"name":"f","description":"d","input_schema":{"type":"object"},"strict":true,"cache_control":{"type":"ephemeral"}},
			{"type":"web_search_20250305","name":"web_search","max_uses":5},{"type":"bash_20250124","name":"bash"},
			{"type":"custom","name":"g","input_schema":{"type":"object"},"input_examples":[{"a":1}]}],
		"tool_choice":{"type":"tool","name":"f","disable_parallel_tool_use":true},
		"output_config":{"effort":"high","format":{"type":"json_schema","schema":{"type":"object"}}},
		"context_management":{"edits":[]},"service_tier":"auto","container":"c1","mcp_servers":[],"inference_geo":"us",
		"future_field":{"x":1}}`)
	r := decode(t, body)
	want := &llm.Request{
		Model: "claude-opus-4-1", MaxTokens: ptr(2048),
		Messages:    []llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("x")}}},
		Temperature: ptr(0.5), TopP: ptr(0.9), TopK: ptr(40), Stop: []string{"END", "STOP"}, Stream: true, User: "u-1",
		Thinking: &llm.Thinking{Type: "enabled", BudgetTokens: 2000},
		Tools: []llm.Tool{
			{Name: "f", Description: "d", Parameters: json.RawMessage(`{"type":"object"}`), Strict: ptr(true), CacheControl: json.RawMessage(`{"type":"ephemeral"}`)},
			{Name: "web_search", Hosted: "web_search_20250305", Raw: json.RawMessage(`{"type":"web_search_20250305","name":"web_search","max_uses":5}`), RawFormat: llm.FormatAnthropic},
			{Name: "bash", Hosted: "bash_20250124", Raw: json.RawMessage(`{"type":"bash_20250124","name":"bash"}`), RawFormat: llm.FormatAnthropic},
			{Name: "g", Parameters: json.RawMessage(`{"type":"object"}`), Raw: json.RawMessage(`{"input_examples":[{"a":1}]}`), RawFormat: llm.FormatAnthropic},
		},
		ToolChoice:        &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "f"},
		ParallelToolCalls: ptr(false),
		ResponseFormat:    &llm.ResponseFormat{Type: llm.ResponseJSONSchema, Schema: json.RawMessage(`{"type":"object"}`)},
		ExtensionsFormat:  llm.FormatAnthropic,
		Extensions:        map[string]json.RawMessage{"future_field": json.RawMessage(`{"x":1}`)},
		Hints: map[string]json.RawMessage{
			"thinking.display": json.RawMessage(`"omitted"`), "output_config": json.RawMessage(`{"effort":"high"}`),
			"context_management": json.RawMessage(`{"edits":[]}`), "service_tier": json.RawMessage(`"auto"`),
			"container": json.RawMessage(`"c1"`), "mcp_servers": json.RawMessage(`[]`), "inference_geo": json.RawMessage(`"us"`),
		},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", r, want)
	}
	out, err := anthropicwire.EncodeRequest(r, "claude-opus-4-1-20250805", "anthropic", 8192)
	if err != nil {
		t.Fatal(err)
	}
	wantOut := normalize(decodeAny(t, body))
	obj(wantOut)["model"] = "claude-opus-4-1-20250805"
	if d := jsonDiff(wantOut, normalize(decodeAny(t, out))); len(d) > 0 {
		t.Errorf("re-encoded request differs:\n%s\n%s", strings.Join(d, "\n"), out)
	}

	for _, tc := range []struct{ in, mode string }{{"auto", "auto"}, {"any", "required"}, {"none", "none"}} {
		r := decode(t, []byte(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"`+tc.in+`"}}`))
		if r.ToolChoice == nil || r.ToolChoice.Mode != tc.mode || r.ParallelToolCalls != nil {
			t.Errorf("tool_choice %s: %+v", tc.in, r.ToolChoice)
		}
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		code  string
		param string
		msg   string // a piece of the message
	}{
		{"empty body", ``, llm.CodeInvalidJSON, "", "empty"},
		{"malformed JSON", `{"model":`, llm.CodeInvalidJSON, "", "not valid JSON"},
		{"not an object", `[1]`, llm.CodeInvalidType, "", "JSON object"},
		{"no model", `{"max_tokens":1,"messages":[{"role":"user","content":"x"}]}`, llm.CodeMissingField, "model", "field required"},
		{"model not a string", `{"model":1,"max_tokens":1,"messages":[]}`, llm.CodeInvalidType, "model", "expected a string, got a number"},
		{"no max_tokens", `{"model":"m","messages":[{"role":"user","content":"x"}]}`, llm.CodeMissingField, "max_tokens", "field required"},
		{"max_tokens a string", `{"model":"m","max_tokens":"1","messages":[]}`, llm.CodeInvalidType, "max_tokens", "expected an integer"},
		{"negative max_tokens", `{"model":"m","max_tokens":-1,"messages":[]}`, llm.CodeInvalidValue, "max_tokens", "0 or more"},
		{"no messages", `{"model":"m","max_tokens":1}`, llm.CodeMissingField, "messages", "field required"},
		{"empty messages", `{"model":"m","max_tokens":1,"messages":[]}`, llm.CodeInvalidValue, "messages", "at least one"},
		{"messages an object", `{"model":"m","max_tokens":1,"messages":{}}`, llm.CodeInvalidType, "messages", "expected an array"},
		{"unknown role", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"},{"role":"tool","content":"x"}]}`, llm.CodeInvalidValue, "messages.1.role", `"system" field`},
		{"no content", `{"model":"m","max_tokens":1,"messages":[{"role":"user"}]}`, llm.CodeMissingField, "messages.0.content", "field required"},
		{"content a number", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":1}]}`, llm.CodeInvalidType, "messages.0.content", "string or an array"},
		{"block without type", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"text":"x"}]}]}`, llm.CodeMissingField, "messages.0.content.0.type", "field required"},
		{"text without text", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text"}]}]}`, llm.CodeMissingField, "messages.0.content.0.text", "field required"},
		{"block not an object", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":["x"]}]}`, llm.CodeInvalidType, "messages.0.content.0", "expected an object"},
		{"image without source", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image"}]}]}`, llm.CodeMissingField, "messages.0.content.0.source", "field required"},
		{"base64 image without data", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png"}}]}]}`, llm.CodeMissingField, "messages.0.content.0.source.data", "field required"},
		{"tool_use in a user message", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]}]}`, llm.CodeInvalidValue, "messages.0.content.0.type", "assistant messages"},
		{"tool_result in an assistant message", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_result","tool_use_id":"t"}]}]}`, llm.CodeInvalidValue, "messages.1.content.0.type", "user messages"},
		{"tool_use input an array", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":[]}]}]}`, llm.CodeInvalidType, "messages.1.content.0.input", "expected an object"},
		{"tool_result without id", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}`, llm.CodeMissingField, "messages.0.content.0.tool_use_id", "field required"},
		{"tool use inside a tool result", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"tool_result","tool_use_id":"u"}]}]}]}`, llm.CodeInvalidValue, "messages.0.content.0.content.0.type", ""},
		{"system image", `{"model":"m","max_tokens":1,"system":[{"type":"image"}],"messages":[{"role":"user","content":"x"}]}`, llm.CodeInvalidValue, "system.0.type", "text blocks only"},
		{"system a number", `{"model":"m","max_tokens":1,"system":1,"messages":[{"role":"user","content":"x"}]}`, llm.CodeInvalidType, "system", ""},
		{"temperature too high", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"temperature":1.5}`, llm.CodeInvalidValue, "temperature", "between 0 and 1"},
		{"stop_sequences of numbers", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"stop_sequences":[1]}`, llm.CodeInvalidType, "stop_sequences.0", "expected a string"},
		{"stream a string", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"stream":"yes"}`, llm.CodeInvalidType, "stream", "expected a boolean"},
		{"unknown metadata", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"metadata":{"session":"s"}}`, llm.CodeInvalidValue, "metadata.session", "user_id only"},
		{"unknown tool_choice", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"required"}}`, llm.CodeInvalidValue, "tool_choice.type", `"any"`},
		{"tool_choice tool without name", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"tool"}}`, llm.CodeMissingField, "tool_choice.name", ""},
		{"tool without name", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"input_schema":{}}]}`, llm.CodeMissingField, "tools.0.name", ""},
		{"tool without schema", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f"}]}`, llm.CodeMissingField, "tools.0.input_schema", ""},
		{"bad cache_control", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{},"cache_control":"yes"}]}`, llm.CodeInvalidType, "tools.0.cache_control", "expected an object"},
		{"thinking without budget", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled"}}`, llm.CodeMissingField, "thinking.budget_tokens", ""},
		{"unknown thinking", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"deep"}}`, llm.CodeInvalidValue, "thinking.type", ""},
		{"output format not json_schema", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"output_config":{"format":{"type":"json"}}}`, llm.CodeInvalidValue, "output_config.format.type", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := decodeErr([]byte(tt.body))
			if err == nil {
				t.Fatal("no error")
			}
			e := asLLMError(t, err)
			if e.Status != http.StatusBadRequest || e.Type != llm.TypeInvalidRequest || e.Code != tt.code || e.Param != tt.param {
				t.Errorf("got %d %s %q %q, want 400 invalid_request_error %q %q (%s)", e.Status, e.Type, e.Code, e.Param, tt.code, tt.param, e.Message)
			}
			if !strings.Contains(e.Message, tt.msg) {
				t.Errorf("message %q should contain %q", e.Message, tt.msg)
			}
		})
	}
}

// A request as another ingress decodes it.
func foreign() *llm.Request {
	return &llm.Request{Model: "gpt-4o", ExtensionsFormat: llm.FormatOpenAIChat, Messages: []llm.Message{
		{Role: "system", Content: []llm.Part{llm.TextPart("be brief")}},
		{Role: "user", Content: []llm.Part{llm.TextPart("hi")}},
	}}
}

func TestEncodeRequest(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(r *llm.Request)
		want    string   // the body, compared as JSON
		dropped []string // what r.Dropped must hold
	}{
		{"minimal, default max_tokens", nil,
			`{"model":"up","max_tokens":4096,"system":"be brief","messages":[{"role":"user","content":"hi"}]}`, nil},
		{"sampling and stream", func(r *llm.Request) {
			r.MaxTokens, r.Temperature, r.TopP, r.TopK, r.Stop, r.Stream, r.User = ptr(10), ptr(0.2), ptr(0.5), ptr(3), []string{"x"}, true, "u"
			r.IncludeUsage = true
		}, `{"model":"up","max_tokens":10,"system":"be brief","messages":[{"role":"user","content":"hi"}],"temperature":0.2,"top_p":0.5,"top_k":3,"stop_sequences":["x"],"stream":true,"metadata":{"user_id":"u"}}`, nil},
		{"system and developer messages anywhere are merged, roles alternate", func(r *llm.Request) {
			r.Messages = append(r.Messages,
				llm.Message{Role: "user", Content: []llm.Part{llm.TextPart("again")}},
				llm.Message{Role: "developer", Content: []llm.Part{llm.TextPart("dev"), {Type: "text", Text: "cached", CacheControl: json.RawMessage(`{"type":"ephemeral"}`)}}},
				llm.Message{Role: "assistant", Content: []llm.Part{llm.TextPart("a1")}},
				llm.Message{Role: "assistant", Content: []llm.Part{llm.TextPart("a2")}})
		}, `{"model":"up","max_tokens":4096,
			"system":[{"type":"text","text":"be brief"},{"type":"text","text":"dev"},{"type":"text","text":"cached","cache_control":{"type":"ephemeral"}}],
			"messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"text","text":"again"}]},
				{"role":"assistant","content":[{"type":"text","text":"a1"},{"type":"text","text":"a2"}]}]}`, nil},
		{"tool calls and results are merged, results first", func(r *llm.Request) {
			r.Messages = append(r.Messages,
				llm.Message{Role: "assistant", ContentNull: true, Reasoning: "unsigned, not sent",
					ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "f", Arguments: `{"a":1}`}, {ID: "functions.g:1", Name: "g", Arguments: ""}}},
				llm.Message{Role: "user", Content: []llm.Part{llm.TextPart("btw")}},
				llm.Message{Role: "tool", ToolCallID: "call_1", Content: []llm.Part{llm.TextPart("1")}},
				llm.Message{Role: "tool", ToolCallID: "functions.g:1", ToolError: true, CacheControl: json.RawMessage(`{"type":"ephemeral"}`),
					Content: []llm.Part{llm.TextPart("no"), {Type: "image", ImageURL: "data:image/png;base64,AAAA"}}})
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[
			{"role":"user","content":"hi"},
			{"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"f","input":{"a":1}},{"type":"tool_use","id":"functions_g_1","name":"g","input":{}}]},
			{"role":"user","content":[
				{"type":"tool_result","tool_use_id":"call_1","content":"1"},
				{"type":"tool_result","tool_use_id":"functions_g_1","content":[{"type":"text","text":"no"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}],"is_error":true,"cache_control":{"type":"ephemeral"}},
				{"type":"text","text":"btw"}]}]}`, nil},
		{"legacy function results without ids", func(r *llm.Request) {
			r.Messages = append(r.Messages,
				llm.Message{Role: "assistant", ToolCalls: []llm.ToolCall{{Name: "f", Arguments: "{}"}}},
				llm.Message{Role: "function", Name: "f", Content: []llm.Part{llm.TextPart("ok")}})
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[
			{"role":"user","content":"hi"},
			{"role":"assistant","content":[{"type":"tool_use","id":"toolu_gw2_0","name":"f","input":{}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_gw2_0","content":"ok"}]}]}`, nil},
		{"signed thinking goes back first, unsigned is left out", func(r *llm.Request) {
			r.Messages = append(r.Messages,
				llm.Message{Role: "assistant", Content: []llm.Part{llm.TextPart("x")}, Reasoning: "a\n\nb",
					Thinking: []llm.ThinkingBlock{{Text: "a", Signature: "s"}, {Text: "b"}, {Redacted: "r"}}},
				llm.Message{Role: "user", Content: []llm.Part{llm.TextPart("y")}})
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[
			{"role":"user","content":"hi"},
			{"role":"assistant","content":[{"type":"thinking","thinking":"a","signature":"s"},{"type":"redacted_thinking","data":"r"},{"type":"text","text":"x"}]},
			{"role":"user","content":"y"}]}`, nil},
		{"blocks signed by another provider are left out", func(r *llm.Request) {
			r.Messages = append(r.Messages,
				llm.Message{Role: "assistant", Content: []llm.Part{llm.TextPart("x")}, Reasoning: "a",
					Thinking: []llm.ThinkingBlock{{Text: "a", Signature: "gemini-sig", Format: llm.FormatGemini},
						{Redacted: "openai-enc", Format: llm.FormatOpenAIResponses}, {Text: "c", Signature: "s", Format: llm.FormatAnthropic}}},
				llm.Message{Role: "user", Content: []llm.Part{llm.TextPart("y")}})
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[
			{"role":"user","content":"hi"},
			{"role":"assistant","content":[{"type":"thinking","thinking":"c","signature":"s"},{"type":"text","text":"x"}]},
			{"role":"user","content":"y"}]}`, nil},
		{"images and documents", func(r *llm.Request) {
			r.Messages[1].Content = append(r.Messages[1].Content,
				llm.Part{Type: "image", ImageURL: "https://x/y.png", ImageDetail: "high"},
				llm.Part{Type: "document", MediaType: "application/pdf", Data: "JVBER", Filename: "a.pdf"},
				llm.Part{Type: "document", MediaType: "text/plain", Text: "plain", Title: "T"},
				llm.Part{Type: "document", URL: "https://x/a.pdf"})
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[{"role":"user","content":[
			{"type":"text","text":"hi"},
			{"type":"image","source":{"type":"url","url":"https://x/y.png"}},
			{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBER"},"title":"a.pdf"},
			{"type":"document","source":{"type":"text","media_type":"text/plain","data":"plain"},"title":"T"},
			{"type":"document","source":{"type":"url","url":"https://x/a.pdf"}}]}]}`, []string{"image_url.detail"}},
		{"tools and tool choice", func(r *llm.Request) {
			r.Tools = []llm.Tool{{Name: "f", Description: "d", Parameters: json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}}}`), Strict: ptr(true)},
				{Name: "g"},
				{Name: "web_search", Hosted: "web_search_preview", Raw: json.RawMessage(`{"type":"web_search_preview"}`), RawFormat: llm.FormatOpenAIResponses}}
			r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceRequired}
			r.ParallelToolCalls = ptr(false)
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[{"role":"user","content":"hi"}],
			"tools":[{"name":"f","description":"d","input_schema":{"type":"object","properties":{"a":{"type":"string"}}},"strict":true},
				{"name":"g","input_schema":{"type":"object","properties":{}}}],
			"tool_choice":{"type":"any","disable_parallel_tool_use":true}}`, []string{"tools.web_search_preview"}},
		{"named tool choice", func(r *llm.Request) {
			r.Tools = []llm.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"object"}`)}}
			r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "f"}
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[{"role":"user","content":"hi"}],
			"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"f"}}`, nil},
		{"parallel tool calls off without a choice", func(r *llm.Request) {
			r.Tools = []llm.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"object"}`)}}
			r.ParallelToolCalls = ptr(false)
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[{"role":"user","content":"hi"}],
			"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"auto","disable_parallel_tool_use":true}}`, nil},
		{"tool choice without tools is left out", func(r *llm.Request) {
			r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceNone}
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[{"role":"user","content":"hi"}]}`, nil},
		{"features Anthropic lacks that only tune are dropped", func(r *llm.Request) {
			r.Seed, r.PresencePenalty, r.FrequencyPenalty, r.Logprobs, r.TopLogprobs = ptr(int64(1)), ptr(0.1), ptr(0.1), ptr(true), ptr(2)
			r.ReasoningEffort, r.CacheKey, r.Metadata = "high", "k", map[string]string{"a": "b"}
			r.Hints = map[string]json.RawMessage{"store": json.RawMessage(`true`)}
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[{"role":"user","content":"hi"}]}`,
			[]string{"metadata", "seed", "presence_penalty", "frequency_penalty", "logprobs", "top_logprobs", "prompt_cache_key", "reasoning_effort", "store"}},
		{"thinking with a default budget raises max_tokens", func(r *llm.Request) {
			r.Thinking = &llm.Thinking{Type: llm.ThinkingEnabled}
			r.ReasoningEffort = "high"
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[{"role":"user","content":"hi"}],"thinking":{"type":"enabled","budget_tokens":1024}}`, nil},
		{"thinking budget above the default max_tokens", func(r *llm.Request) {
			r.Thinking = &llm.Thinking{Type: llm.ThinkingEnabled, BudgetTokens: 5000}
		}, `{"model":"up","max_tokens":9096,"system":"be brief","messages":[{"role":"user","content":"hi"}],"thinking":{"type":"enabled","budget_tokens":5000}}`, nil},
		{"adaptive thinking", func(r *llm.Request) {
			r.Thinking = &llm.Thinking{Type: llm.ThinkingAdaptive}
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[{"role":"user","content":"hi"}],"thinking":{"type":"adaptive"}}`, nil},
		{"thinking in a tool turn without a signature is dropped", func(r *llm.Request) {
			r.Thinking = &llm.Thinking{Type: llm.ThinkingEnabled, BudgetTokens: 2000}
			r.Messages = append(r.Messages,
				llm.Message{Role: "assistant", Reasoning: "from another provider", ToolCalls: []llm.ToolCall{{ID: "c", Name: "f", Arguments: "{}"}}},
				llm.Message{Role: "tool", ToolCallID: "c", Content: []llm.Part{llm.TextPart("1")}})
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[{"role":"user","content":"hi"},
			{"role":"assistant","content":[{"type":"tool_use","id":"c","name":"f","input":{}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"c","content":"1"}]}]}`, []string{"thinking"}},
		{"json_schema response format is structured output", func(r *llm.Request) {
			r.ResponseFormat = &llm.ResponseFormat{Type: llm.ResponseJSONSchema, Name: "x", Strict: ptr(true), Schema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}`)}
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[{"role":"user","content":"hi"}],
			"output_config":{"format":{"type":"json_schema","schema":{"type":"object","properties":{"a":{"type":"string"}},"required":["a"],"additionalProperties":false}}}}`, nil},
		{"message cache breakpoint goes on the last block", func(r *llm.Request) {
			r.Messages[1].CacheControl = json.RawMessage(`{"type":"ephemeral"}`)
			r.Messages = append(r.Messages, llm.Message{Role: "assistant", ToolCalls: []llm.ToolCall{{ID: "a", Name: "f", Arguments: "{}"}, {ID: "b", Name: "f", Arguments: "{}"}},
				CacheControl: json.RawMessage(`{"type":"ephemeral"}`), Content: []llm.Part{llm.TextPart("t")}})
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[
			{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral"}}]},
			{"role":"assistant","content":[{"type":"text","text":"t"},{"type":"tool_use","id":"a","name":"f","input":{}},{"type":"tool_use","id":"b","name":"f","input":{},"cache_control":{"type":"ephemeral"}}]}]}`, nil},
		{"empty text parts are left out", func(r *llm.Request) {
			r.Messages = append(r.Messages, llm.Message{Role: "assistant", Content: []llm.Part{llm.TextPart("")}}, llm.Message{Role: "user", Content: []llm.Part{llm.TextPart("z")}})
		}, `{"model":"up","max_tokens":4096,"system":"be brief","messages":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"text","text":"z"}]}]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := foreign()
			if tt.edit != nil {
				tt.edit(r)
			}
			out, err := anthropicwire.EncodeRequest(r, "up", "anthropic", 4096)
			if err != nil {
				t.Fatal(err)
			}
			if d := jsonDiff(decodeAny(t, []byte(tt.want)), decodeAny(t, out)); len(d) > 0 {
				t.Errorf("body differs:\n%s\n%s", strings.Join(d, "\n"), out)
			}
			if !slices.Equal(r.Dropped, tt.dropped) {
				t.Errorf("dropped %q, want %q", r.Dropped, tt.dropped)
			}
		})
	}
}

func TestEncodeRequestSameFormat(t *testing.T) {
	r := decode(t, []byte(`{"model":"claude","max_tokens":5,"messages":[{"role":"user","content":"x"}],
		"thinking":{"type":"enabled","budget_tokens":2048,"display":"summarized"},"output_config":{"effort":"low"},
		"context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]},"future":1}`))
	r.Hints[anthropicwire.HintBeta] = json.RawMessage(`["context-management-2025-06-27"]`)
	out, err := anthropicwire.EncodeRequest(r, "claude-x", "anthropic", 4096)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":"x"}],
		"thinking":{"type":"enabled","budget_tokens":2048,"display":"summarized"},"output_config":{"effort":"low"},
		"context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]},"future":1}`
	if d := jsonDiff(decodeAny(t, []byte(want)), decodeAny(t, out)); len(d) > 0 {
		t.Errorf("body differs:\n%s\n%s", strings.Join(d, "\n"), out)
	}
	if strings.Contains(string(out), "anthropic-beta") || len(r.Dropped) > 0 {
		t.Errorf("anthropic-beta in the body, or dropped %v", r.Dropped)
	}

	// An Anthropic client's own budget goes out as it is, even below Anthropic's minimum.
	small := decode(t, []byte(`{"model":"c","max_tokens":5,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":500}}`))
	if b, _ := anthropicwire.EncodeRequest(small, "c", "anthropic", 1); !strings.Contains(string(b), `"thinking":{"type":"enabled","budget_tokens":500}`) {
		t.Errorf("small budget: %s", b)
	}

	count, err := anthropicwire.EncodeCountTokensRequest(r, "claude-x", "anthropic")
	if err != nil {
		t.Fatal(err)
	}
	want = `{"model":"claude-x","messages":[{"role":"user","content":"x"}],
		"thinking":{"type":"enabled","budget_tokens":2048,"display":"summarized"},"output_config":{"effort":"low"},
		"context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]}}`
	if d := jsonDiff(decodeAny(t, []byte(want)), decodeAny(t, count)); len(d) > 0 {
		t.Errorf("count_tokens body differs:\n%s\n%s", strings.Join(d, "\n"), count)
	}
}

func TestEncodeRequestRefusals(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(r *llm.Request)
		param string
		msg   string
	}{
		{"n > 1", func(r *llm.Request) { r.N = ptr(2) }, "n", "one answer"},
		{"json_object", func(r *llm.Request) { r.ResponseFormat = &llm.ResponseFormat{Type: llm.ResponseJSONObject} }, "response_format", "json_schema"},
		{"extensions of another format", func(r *llm.Request) {
			r.Extensions = map[string]json.RawMessage{"prediction": json.RawMessage(`{}`)}
		}, "prediction", ""},
		{"content part of another format", func(r *llm.Request) {
			r.Messages[1].Content = append(r.Messages[1].Content, llm.Part{Type: llm.PartOther, RawType: "input_audio", Raw: json.RawMessage(`{}`), RawFormat: llm.FormatOpenAIChat})
		}, "content part input_audio", ""},
		{"a docx document", func(r *llm.Request) {
			r.Messages[1].Content = append(r.Messages[1].Content, llm.Part{Type: llm.PartDocument, MediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Data: "UEsD"})
		}, "document", "PDF and plain-text"},
		{"an image by file path", func(r *llm.Request) {
			r.Messages[1].Content = append(r.Messages[1].Content, llm.Part{Type: llm.PartImage, ImageURL: "file:///etc/x.png"})
		}, "image", "http(s)"},
		{"a system image", func(r *llm.Request) {
			r.Messages[0].Content = append(r.Messages[0].Content, llm.Part{Type: llm.PartImage, ImageURL: "https://x"})
		}, "system content image", "text only"},
		{"a forced call of a dropped hosted tool", func(r *llm.Request) {
			r.Tools = []llm.Tool{{Name: "web_search", Hosted: "web_search", RawFormat: llm.FormatOpenAIResponses}}
			r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceRequired}
		}, "tool_choice", "forces a tool call"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := foreign()
			tt.edit(r)
			_, err := anthropicwire.EncodeRequest(r, "up", "anthropic", 4096)
			e := asLLMError(t, err)
			if e.Status != http.StatusBadRequest || e.Code != llm.CodeUnsupportedParameter || e.Param != tt.param || !strings.Contains(e.Message, tt.msg) ||
				!strings.Contains(e.Message, `"anthropic"`) {
				t.Errorf("%+v, want an unsupported %q mentioning %q", e, tt.param, tt.msg)
			}
		})
	}
	t.Run("tool arguments that are not an object", func(t *testing.T) {
		r := foreign()
		r.Messages = append(r.Messages, llm.Message{Role: "assistant", ToolCalls: []llm.ToolCall{{ID: "c", Name: "f", Arguments: `{"a":`}}})
		e := asLLMError(t, func() error { _, err := anthropicwire.EncodeRequest(r, "up", "anthropic", 1); return err }())
		if e.Status != http.StatusBadRequest || strings.Contains(e.Message, `{"a":`) {
			t.Errorf("%+v", e)
		}
	})
}

// Claude Code sends system turns inside the conversation (the mid-conversation-system beta);
// they decode as system messages in place, and go to Anthropic in its system prompt.
func TestDecodeRequestSystemTurn(t *testing.T) {
	body := `{"model":"m","max_tokens":5,"system":"top","messages":[{"role":"user","content":"a"},` +
		`{"role":"system","content":[{"type":"text","text":"agents: x"}]},{"role":"user","content":"b"}]}`
	req, err := anthropicwire.DecodeRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var roles []string
	for _, m := range req.Messages {
		roles = append(roles, m.Role+":"+m.Text())
	}
	if got := strings.Join(roles, ","); got != "system:top,user:a,system:agents: x,user:b" {
		t.Errorf("messages %s", got)
	}
	out, err := anthropicwire.EncodeRequest(req, "m", "anthropic", 0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"agents: x"`) || strings.Contains(string(out), `"role":"system"`) {
		t.Errorf("encoded %s: the system turn must be in the system prompt", out)
	}
}
