package openaiwire_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
)

// normaliseChatRequest applies to a client's request body the changes that decoding and
// re-encoding it may make without changing its meaning:
//
//   - "stream": false is dropped (false is the default);
//   - a tool's "description": "" is dropped (an empty description is no description);
//   - an assistant message without "content" gets "content": null (both mean no text);
//   - a content array of exactly one text part becomes that text as a string.
func normaliseChatRequest(v any) any {
	m := obj(v)
	if s, ok := m["stream"].(bool); ok && !s {
		delete(m, "stream")
	}
	for _, tl := range arr(m["tools"]) {
		if fn := obj(obj(tl)["function"]); fn != nil && fn["description"] == "" {
			delete(fn, "description")
		}
	}
	for _, msg := range arr(m["messages"]) {
		mm := obj(msg)
		if _, ok := mm["content"]; !ok && mm["role"] == "assistant" {
			mm["content"] = nil
		}
		if parts := arr(mm["content"]); len(parts) == 1 && obj(parts[0])["type"] == "text" && len(obj(parts[0])) == 2 {
			mm["content"] = obj(parts[0])["text"]
		}
	}
	return v
}

// TestChatRequestRecorded decodes every recorded Chat Completions request body and encodes it
// again: the result must mean the same as the recording.
func TestChatRequestRecorded(t *testing.T) {
	for _, name := range append(fixtures(t, "openai-chat/*.request.json"), fixtures(t, "openai-compatible/*.request.json")...) {
		t.Run(name, func(t *testing.T) {
			in := fixture(t, name)
			r, err := openaiwire.DecodeChatRequest(in)
			if err != nil {
				t.Fatalf("DecodeChatRequest: %v", err)
			}
			out, err := openaiwire.EncodeChatRequest(r, r.Model, "openai")
			if err != nil {
				t.Fatalf("EncodeChatRequest: %v", err)
			}
			want := normaliseChatRequest(decodeAny(t, in))
			if d := jsonDiff(want, decodeAny(t, out)); len(d) > 0 {
				t.Errorf("re-encoded request differs from the recording:\n  %s\nencoded: %s", strings.Join(d, "\n  "), out)
			}
		})
	}
}

// TestChatRequestRecordedFields checks what decoding the recordings gives, field by field.
func TestChatRequestRecordedFields(t *testing.T) {
	decode := func(t *testing.T, name string) *llm.Request {
		t.Helper()
		r, err := openaiwire.DecodeChatRequest(fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	t.Run("tool result turn", func(t *testing.T) {
		r := decode(t, "openai-chat/stream_text_include_usage.request.json")
		if r.Model != "gpt-4o-mini" || !r.Stream || !r.IncludeUsage || len(r.Messages) != 3 || len(r.Tools) != 1 {
			t.Fatalf("request = %+v", r)
		}
		if r.ToolChoice == nil || r.ToolChoice.Mode != llm.ToolChoiceAuto {
			t.Errorf("tool choice = %+v", r.ToolChoice)
		}
		a := r.Messages[1]
		want := []llm.ToolCall{{ID: "call_ZR5UUuTt3pf61kjwAJIYdVMj", Name: "get_capital", Arguments: `{"country":"UK"}`}}
		if a.Role != llm.RoleAssistant || !a.ContentNull || len(a.Content) != 0 || !reflect.DeepEqual(a.ToolCalls, want) {
			t.Errorf("assistant turn = %+v", a)
		}
		tm := r.Messages[2]
		if tm.Role != llm.RoleTool || tm.ToolCallID != "call_ZR5UUuTt3pf61kjwAJIYdVMj" || tm.Text() != "London" {
			t.Errorf("tool turn = %+v", tm)
		}
		tl := r.Tools[0]
		if tl.Name != "get_capital" || tl.Strict == nil || !*tl.Strict || !json.Valid(tl.Parameters) {
			t.Errorf("tool = %+v", tl)
		}
	})
	t.Run("max_completion_tokens and legacy functions", func(t *testing.T) {
		r := decode(t, "openai-chat/tool_call_raw.request.json")
		if r.MaxTokens == nil || *r.MaxTokens != 100 || !r.MaxTokensNewName {
			t.Errorf("max tokens = %v, new name %v", r.MaxTokens, r.MaxTokensNewName)
		}
		if r.Temperature == nil || *r.Temperature != 0 {
			t.Errorf("temperature = %v, want a pointer to 0", r.Temperature)
		}
		if _, ok := r.Extensions["functions"]; !ok || r.ExtensionsFormat != llm.FormatOpenAIChat {
			t.Errorf("extensions = %v (%q), want the legacy \"functions\" kept", r.Extensions, r.ExtensionsFormat)
		}
	})
	t.Run("json_schema", func(t *testing.T) {
		r := decode(t, "openai-chat/json_schema_raw.request.json")
		rf := r.ResponseFormat
		if rf == nil || rf.Type != llm.ResponseJSONSchema || rf.Name != "math_schema" || rf.Strict == nil || !*rf.Strict || !json.Valid(rf.Schema) {
			t.Errorf("response format = %+v", rf)
		}
	})
	t.Run("unknown fields", func(t *testing.T) {
		for name, field := range map[string]string{
			"openai-chat/stream_text_moderation.request.json":        "moderation",
			"openai-chat/error_400_model_not_supported.request.json": "web_search_options",
		} {
			r := decode(t, name)
			if len(r.Extensions) != 1 || r.Extensions[field] == nil {
				t.Errorf("%s: extensions = %v, want only %q", name, r.Extensions, field)
			}
		}
	})
}

func TestDecodeChatRequestErrors(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	tests := []struct {
		name  string
		body  string
		code  string
		param string
		text  string // the message contains it, besides the param
	}{
		{"empty body", ``, llm.CodeInvalidJSON, "", "empty"},
		{"blank body", " \r\n\t", llm.CodeInvalidJSON, "", "empty"},
		{"not JSON", `hello`, llm.CodeInvalidJSON, "", "not valid JSON"},
		{"truncated JSON", `{"model":"m",` + msgs[:20], llm.CodeInvalidJSON, "", "not valid JSON"},
		{"trailing garbage", `{"model":"m",` + msgs + `} x`, llm.CodeInvalidJSON, "", "not valid JSON"},
		{"JSON array", `[{"model":"m"}]`, llm.CodeInvalidType, "", "JSON object"},
		{"JSON string", `"hi"`, llm.CodeInvalidType, "", "JSON object"},
		{"JSON null", `null`, llm.CodeInvalidType, "", "JSON object"},
		{"missing model", `{` + msgs + `}`, llm.CodeMissingField, "model", ""},
		{"null model", `{"model":null,` + msgs + `}`, llm.CodeMissingField, "model", ""},
		{"empty model", `{"model":"",` + msgs + `}`, llm.CodeMissingField, "model", ""},
		{"missing messages", `{"model":"m"}`, llm.CodeMissingField, "messages", ""},
		{"empty messages", `{"model":"m","messages":[]}`, llm.CodeMissingField, "messages", ""},
		{"messages not an array", `{"model":"m","messages":"hi"}`, llm.CodeInvalidType, "messages", "an array"},
		{"message not an object", `{"model":"m","messages":[1]}`, llm.CodeInvalidType, "messages", "an object"},
		{"model not a string", `{"model":5,` + msgs + `}`, llm.CodeInvalidType, "model", "a string"},
		{"temperature not a number", `{"model":"m",` + msgs + `,"temperature":"hot"}`, llm.CodeInvalidType, "temperature", "a number"},
		{"max_tokens not an integer", `{"model":"m",` + msgs + `,"max_tokens":"10"}`, llm.CodeInvalidType, "max_tokens", "an integer"},
		{"max_tokens fractional", `{"model":"m",` + msgs + `,"max_tokens":1.5}`, llm.CodeInvalidType, "max_tokens", "an integer"},
		{"stream not a boolean", `{"model":"m",` + msgs + `,"stream":"yes"}`, llm.CodeInvalidType, "stream", "a boolean"},
		{"max_tokens zero", `{"model":"m",` + msgs + `,"max_tokens":0}`, llm.CodeInvalidValue, "max_tokens", "at least 1"},
		{"max_completion_tokens negative", `{"model":"m",` + msgs + `,"max_completion_tokens":-1}`, llm.CodeInvalidValue, "max_completion_tokens", "at least 1"},
		{"temperature too high", `{"model":"m",` + msgs + `,"temperature":2.01}`, llm.CodeInvalidValue, "temperature", "between 0 and 2"},
		{"temperature negative", `{"model":"m",` + msgs + `,"temperature":-0.1}`, llm.CodeInvalidValue, "temperature", "between 0 and 2"},
		{"top_p too high", `{"model":"m",` + msgs + `,"top_p":1.5}`, llm.CodeInvalidValue, "top_p", "between 0 and 1"},
		{"presence_penalty too low", `{"model":"m",` + msgs + `,"presence_penalty":-3}`, llm.CodeInvalidValue, "presence_penalty", ""},
		{"frequency_penalty too high", `{"model":"m",` + msgs + `,"frequency_penalty":2.5}`, llm.CodeInvalidValue, "frequency_penalty", ""},
		{"n zero", `{"model":"m",` + msgs + `,"n":0}`, llm.CodeInvalidValue, "n", "between 1 and 128"},
		{"n too large", `{"model":"m",` + msgs + `,"n":129}`, llm.CodeInvalidValue, "n", "between 1 and 128"},
		{"top_logprobs too large", `{"model":"m",` + msgs + `,"top_logprobs":21}`, llm.CodeInvalidValue, "top_logprobs", ""},
		{"bad role", `{"model":"m","messages":[{"role":"robot","content":"hi"}]}`, llm.CodeInvalidValue, "messages[0].role", "robot"},
		{"missing role", `{"model":"m","messages":[{"content":"hi"}]}`, llm.CodeMissingField, "messages[0].role", ""},
		{"role not a string", `{"model":"m","messages":[{"role":1,"content":"hi"}]}`, llm.CodeInvalidType, "messages.role", "a string"},
		{"tool message without tool_call_id", `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"tool","content":"42"}]}`,
			llm.CodeMissingField, "messages[1].tool_call_id", ""},
		{"user content null", `{"model":"m","messages":[{"role":"user","content":null}]}`, llm.CodeMissingField, "messages[0].content", ""},
		{"user content missing", `{"model":"m","messages":[{"role":"user"}]}`, llm.CodeMissingField, "messages[0].content", ""},
		{"content a number", `{"model":"m","messages":[{"role":"user","content":42}]}`, llm.CodeInvalidType, "messages[0].content", ""},
		{"content part not an object", `{"model":"m","messages":[{"role":"user","content":["hi"]}]}`, llm.CodeInvalidType, "messages[0].content[0]", ""},
		{"content part without type", `{"model":"m","messages":[{"role":"user","content":[{"text":"hi"}]}]}`, llm.CodeMissingField, "messages[0].content[0].type", ""},
		{"text part without text", `{"model":"m","messages":[{"role":"user","content":[{"type":"text"}]}]}`, llm.CodeMissingField, "messages[0].content[0].text", ""},
		{"image part without url", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{}}]}]}`,
			llm.CodeMissingField, "messages[0].content[0].image_url.url", ""},
		{"tool call without name", `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"arguments":"{}"}}]}]}`,
			llm.CodeMissingField, "messages[0].tool_calls[0].function.name", ""},
		{"stop with 5 items", `{"model":"m",` + msgs + `,"stop":["a","b","c","d","e"]}`, llm.CodeInvalidValue, "stop", "at most 4"},
		{"stop a number", `{"model":"m",` + msgs + `,"stop":1}`, llm.CodeInvalidType, "stop", ""},
		{"stop with a number", `{"model":"m",` + msgs + `,"stop":["a",1]}`, llm.CodeInvalidType, "stop", ""},
		{"bad tool_choice", `{"model":"m",` + msgs + `,"tool_choice":"sometimes"}`, llm.CodeInvalidValue, "tool_choice", "sometimes"},
		{"tool_choice object without name", `{"model":"m",` + msgs + `,"tool_choice":{"type":"function"}}`, llm.CodeInvalidValue, "tool_choice", ""},
		{"tool_choice a number", `{"model":"m",` + msgs + `,"tool_choice":1}`, llm.CodeInvalidValue, "tool_choice", ""},
		{"tool_choice required without tools", `{"model":"m",` + msgs + `,"tool_choice":"required"}`, llm.CodeInvalidValue, "tool_choice", "tools"},
		{"tool of another type", `{"model":"m",` + msgs + `,"tools":[{"type":"retrieval"}]}`, llm.CodeInvalidValue, "tools[0].type", "retrieval"},
		{"tool without name", `{"model":"m",` + msgs + `,"tools":[{"type":"function","function":{"parameters":{}}}]}`, llm.CodeMissingField, "tools[0].function.name", ""},
		{"json_schema without name", `{"model":"m",` + msgs + `,"response_format":{"type":"json_schema","json_schema":{"schema":{}}}}`,
			llm.CodeMissingField, "response_format.json_schema", "name"},
		{"json_schema missing", `{"model":"m",` + msgs + `,"response_format":{"type":"json_schema"}}`, llm.CodeMissingField, "response_format.json_schema", ""},
		{"response_format of unknown type", `{"model":"m",` + msgs + `,"response_format":{"type":"xml"}}`, llm.CodeInvalidValue, "response_format.type", "xml"},
		{"stream_options without stream", `{"model":"m",` + msgs + `,"stream_options":{"include_usage":true}}`, llm.CodeInvalidValue, "stream_options", "stream"},
		{"stream_options with stream false", `{"model":"m",` + msgs + `,"stream":false,"stream_options":{"include_usage":true}}`, llm.CodeInvalidValue, "stream_options", ""},
		{"metadata values not strings", `{"model":"m",` + msgs + `,"metadata":{"a":1}}`, llm.CodeInvalidType, "metadata", "a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := openaiwire.DecodeChatRequest([]byte(tt.body))
			if err == nil {
				t.Fatalf("no error; decoded %+v", r)
			}
			e := asLLMError(t, err)
			if e.Status != http.StatusBadRequest || e.Type != llm.TypeInvalidRequest {
				t.Errorf("status %d type %q, want 400 %q", e.Status, e.Type, llm.TypeInvalidRequest)
			}
			if e.Code != tt.code || e.Param != tt.param {
				t.Errorf("code %q param %q, want %q %q (message %q)", e.Code, e.Param, tt.code, tt.param, e.Message)
			}
			if !strings.Contains(e.Message, tt.param) || !strings.Contains(e.Message, tt.text) {
				t.Errorf("message %q should name %q and say %q", e.Message, tt.param, tt.text)
			}
			if e.Retryable || e.Cause != nil {
				t.Errorf("a client error must not be retryable or carry a cause: %+v", e)
			}
		})
	}
}

func TestDecodeChatRequestAccepts(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(*testing.T, *llm.Request)
	}{
		{"nulls mean absent", `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":null,"tools":null,"stop":null,"stream_options":null}`,
			func(t *testing.T, r *llm.Request) {
				if r.Temperature != nil || r.Tools != nil || r.Stop != nil || r.IncludeUsage {
					t.Errorf("request = %+v", r)
				}
			}},
		{"limits are inclusive", `{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":2,"top_p":0,"n":128,"presence_penalty":-2,"top_logprobs":20,"max_tokens":1}`,
			func(t *testing.T, r *llm.Request) {
				if *r.Temperature != 2 || *r.TopP != 0 || *r.N != 128 || *r.MaxTokens != 1 || r.MaxTokensNewName {
					t.Errorf("request = %+v", r)
				}
			}},
		{"max_completion_tokens wins", `{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":5,"max_completion_tokens":7}`,
			func(t *testing.T, r *llm.Request) {
				if *r.MaxTokens != 7 || !r.MaxTokensNewName {
					t.Errorf("max tokens %d, new name %v", *r.MaxTokens, r.MaxTokensNewName)
				}
			}},
		{"stop as a string", `{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":"END"}`,
			func(t *testing.T, r *llm.Request) {
				if !reflect.DeepEqual(r.Stop, []string{"END"}) {
					t.Errorf("stop = %q", r.Stop)
				}
			}},
		{"tool_choice function", `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}}}`,
			func(t *testing.T, r *llm.Request) {
				if *r.ToolChoice != (llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "f"}) {
					t.Errorf("tool choice = %+v", r.ToolChoice)
				}
			}},
		{"content parts", `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}},{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}]}`,
			func(t *testing.T, r *llm.Request) {
				p := r.Messages[0].Content
				if len(p) != 3 || !reflect.DeepEqual(p[0], llm.TextPart("a")) || p[1].Type != llm.PartImage || p[1].ImageURL != "https://x/y.png" || p[1].ImageDetail != "low" {
					t.Fatalf("parts = %+v", p)
				}
				if p[2].Type != llm.PartOther || p[2].RawType != "input_audio" || p[2].RawFormat != llm.FormatOpenAIChat || !json.Valid(p[2].Raw) {
					t.Errorf("audio part = %+v", p[2])
				}
			}},
		{"leading white space", "\n\t {\"model\":\"m\",\"messages\":[{\"role\":\"developer\",\"content\":\"hi\"}]}\n",
			func(t *testing.T, r *llm.Request) {
				if r.Messages[0].Role != llm.RoleDeveloper {
					t.Errorf("role = %q", r.Messages[0].Role)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := openaiwire.DecodeChatRequest([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, r)
		})
	}
}

func TestChatRequestExtensions(t *testing.T) {
	body := `{"model":"m","messages":[{"role":"user","content":"hi"}],"web_search_options":{"search_context_size":"low"},` +
		`"logit_bias":{"50256":-100},"prediction":null,"x-vendor":[1,"two",{"3":true}],"service_tier":"flex"}`
	r, err := openaiwire.DecodeChatRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if r.ExtensionsFormat != llm.FormatOpenAIChat {
		t.Errorf("extensions format = %q", r.ExtensionsFormat)
	}
	var keys []string
	for k := range r.Extensions {
		keys = append(keys, k)
	}
	if len(keys) != 5 {
		t.Errorf("extensions = %v, want the 5 unknown fields", keys)
	}
	out, err := openaiwire.EncodeChatRequest(r, "upstream-id", "openai")
	if err != nil {
		t.Fatal(err)
	}
	want := decodeAny(t, []byte(body))
	obj(want)["model"] = "upstream-id"
	if d := jsonDiff(want, decodeAny(t, out)); len(d) > 0 {
		t.Errorf("extensions not re-emitted as sent:\n  %s", strings.Join(d, "\n  "))
	}
	// The same request gives the same bytes each time (key order does not follow map order),
	// so that bodies can be compared, hashed and cached.
	for range 20 {
		again, err := openaiwire.EncodeChatRequest(r, "upstream-id", "openai")
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("encoding is not deterministic:\n%s\n%s", out, again)
		}
	}

	// Extensions from another wire format cannot be forwarded to an OpenAI-compatible upstream.
	r.ExtensionsFormat = llm.FormatOllama
	_, err = openaiwire.EncodeChatRequest(r, "m", "vllm")
	e := asLLMError(t, err)
	if e.Status != http.StatusBadRequest || e.Code != llm.CodeUnsupportedParameter || r.Extensions[e.Param] == nil || !strings.Contains(e.Message, `"vllm"`) {
		t.Errorf("error = %+v", e)
	}
}

func TestEncodeChatRequest(t *testing.T) {
	tests := []struct {
		name string
		req  llm.Request
		want string
	}{
		{"upstream model id and minimal message", llm.Request{Model: "alias", Messages: []llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("hi")}}}},
			`{"model":"upstream","messages":[{"role":"user","content":"hi"}]}`},
		{"stream with usage", llm.Request{Model: "m", Stream: true, IncludeUsage: true, Messages: []llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("hi")}}}},
			`{"model":"upstream","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}`},
		{"usage without stream is dropped", llm.Request{Model: "m", IncludeUsage: true, Messages: []llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("hi")}}}},
			`{"model":"upstream","messages":[{"role":"user","content":"hi"}]}`},
		{"max tokens, old and new name", llm.Request{Model: "m", MaxTokens: ptr(9), Messages: []llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("hi")}}}},
			`{"model":"upstream","messages":[{"role":"user","content":"hi"}],"max_tokens":9}`},
		{"max_completion_tokens", llm.Request{Model: "m", MaxTokens: ptr(9), MaxTokensNewName: true, Messages: []llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("hi")}}}},
			`{"model":"upstream","messages":[{"role":"user","content":"hi"}],"max_completion_tokens":9}`},
		{"one stop is a string", llm.Request{Model: "m", Stop: []string{"x"}, Messages: []llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("hi")}}}},
			`{"model":"upstream","messages":[{"role":"user","content":"hi"}],"stop":"x"}`},
		{"several stops", llm.Request{Model: "m", Stop: []string{"x", "y"}, Messages: []llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("hi")}}}},
			`{"model":"upstream","messages":[{"role":"user","content":"hi"}],"stop":["x","y"]}`},
		{"tool call turn", llm.Request{Model: "m", Messages: []llm.Message{
			{Role: "assistant", ContentNull: true, ToolCalls: []llm.ToolCall{{ID: "c1", Name: "f", Arguments: `{"a":1}`}}},
			{Role: "tool", ToolCallID: "c1", Content: []llm.Part{llm.TextPart("ok")}},
		}, Tools: []llm.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"object"}`)}}, ToolChoice: &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "f"}},
			`{"model":"upstream","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},` +
				`{"role":"tool","content":"ok","tool_call_id":"c1"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],` +
				`"tool_choice":{"function":{"name":"f"},"type":"function"}}`},
		{"empty content", llm.Request{Model: "m", Messages: []llm.Message{{Role: "assistant"}}},
			`{"model":"upstream","messages":[{"role":"assistant","content":""}]}`},
		{"parts", llm.Request{Model: "m", Messages: []llm.Message{{Role: "user", Content: []llm.Part{
			llm.TextPart("a"), {Type: llm.PartImage, ImageURL: "data:image/png;base64,AAAA", ImageDetail: "high"},
			{Type: llm.PartOther, RawType: "file", RawFormat: llm.FormatOpenAIChat, Raw: json.RawMessage(`{"type":"file","file":{"file_id":"f1"}}`)},
		}}}},
			`{"model":"upstream","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA","detail":"high"}},{"type":"file","file":{"file_id":"f1"}}]}]}`},
		{"json_schema", llm.Request{Model: "m", Messages: []llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("hi")}}},
			ResponseFormat: &llm.ResponseFormat{Type: llm.ResponseJSONSchema, Name: "s", Schema: json.RawMessage(`{}`), Strict: ptr(true)}},
			`{"model":"upstream","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{},"strict":true}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := openaiwire.EncodeChatRequest(&tt.req, "upstream", "openai")
			if err != nil {
				t.Fatal(err)
			}
			if d := jsonDiff(decodeAny(t, []byte(tt.want)), decodeAny(t, out)); len(d) > 0 {
				t.Errorf("body differs:\n  %s\ngot %s", strings.Join(d, "\n  "), out)
			}
		})
	}
	// Features from other wire formats: those without an equivalent that do not change the
	// answer's meaning are left out and listed; documents and tool-result images are carried
	// in Chat Completions' own forms.
	translated := []struct {
		name     string
		provider string
		req      llm.Request
		want     string
		dropped  []string
	}{
		{"hints, cache_control, hosted tools, thinking, top_k", "openai", llm.Request{Model: "m",
			Messages: []llm.Message{{Role: "system", Content: []llm.Part{{Type: llm.PartText, Text: "s", CacheControl: json.RawMessage(`{"type":"ephemeral"}`)}}},
				{Role: "user", Content: []llm.Part{llm.TextPart("hi")}}},
			Tools: []llm.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"object"}`)},
				{Hosted: "web_search_20250305", Raw: json.RawMessage(`{"type":"web_search_20250305","name":"web_search"}`), RawFormat: llm.FormatAnthropic}},
			Thinking: &llm.Thinking{Type: llm.ThinkingEnabled, BudgetTokens: 1024}, TopK: ptr(5),
			Hints: map[string]json.RawMessage{"context_management": json.RawMessage(`{}`)}, ExtensionsFormat: llm.FormatAnthropic,
			CacheKey: "k"},
			`{"model":"upstream","messages":[{"role":"system","content":[{"type":"text","text":"s"}]},{"role":"user","content":"hi"}],` +
				`"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"prompt_cache_key":"k"}`,
			[]string{"top_k", "thinking", "cache_control", "tools.web_search_20250305", "context_management"}},
		{"prompt_cache_key only for OpenAI", "groq", llm.Request{Model: "m", CacheKey: "k",
			Messages: []llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("hi")}}}},
			`{"model":"upstream","messages":[{"role":"user","content":"hi"}]}`, []string{"prompt_cache_key"}},
		{"documents and images in tool results", "openai", llm.Request{Model: "m", Messages: []llm.Message{
			{Role: "user", Content: []llm.Part{{Type: llm.PartDocument, MediaType: "text/plain", Text: "body", Title: "T"},
				{Type: llm.PartDocument, MediaType: "application/pdf", Data: "JVBER", Filename: "a.pdf"}}},
			{Role: "assistant", ToolCalls: []llm.ToolCall{{ID: "c1", Name: "shot", Arguments: `{}`}}},
			{Role: "tool", ToolCallID: "c1", ToolError: true, Content: []llm.Part{llm.TextPart("see image"), {Type: llm.PartImage, ImageURL: "data:image/png;base64,AAAA"}}},
		}},
			`{"model":"upstream","messages":[{"role":"user","content":[{"type":"text","text":"T\n\nbody"},{"type":"file","file":{"file_data":"data:application/pdf;base64,JVBER","filename":"a.pdf"}}]},` +
				`{"role":"assistant","content":"","tool_calls":[{"id":"c1","type":"function","function":{"name":"shot","arguments":"{}"}}]},` +
				`{"role":"tool","content":"see image","tool_call_id":"c1"},{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}`,
			[]string{"is_error"}},
	}
	for _, tt := range translated {
		t.Run(tt.name, func(t *testing.T) {
			out, err := openaiwire.EncodeChatRequest(&tt.req, "upstream", tt.provider)
			if err != nil {
				t.Fatal(err)
			}
			if d := jsonDiff(decodeAny(t, []byte(tt.want)), decodeAny(t, out)); len(d) > 0 {
				t.Errorf("body differs:\n  %s\ngot %s", strings.Join(d, "\n  "), out)
			}
			if !slices.Equal(tt.req.Dropped, tt.dropped) {
				t.Errorf("dropped %q, want %q", tt.req.Dropped, tt.dropped)
			}
		})
	}
	// Extensions of another format may change the answer: refused, not dropped.
	ext := llm.Request{Model: "m", Messages: []llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("hi")}}},
		Extensions: map[string]json.RawMessage{"container": json.RawMessage(`"c"`)}, ExtensionsFormat: llm.FormatAnthropic}
	if _, err := openaiwire.EncodeChatRequest(&ext, "m", "vllm"); asLLMError(t, err).Param != "container" {
		t.Errorf("extension of another format: err = %v", err)
	}
	// A document by URL has no equivalent.
	doc := llm.Request{Model: "m", Messages: []llm.Message{{Role: "user", Content: []llm.Part{{Type: llm.PartDocument, URL: "https://x/a.pdf"}, llm.TextPart("x")}}}}
	if _, err := openaiwire.EncodeChatRequest(&doc, "m", "vllm"); asLLMError(t, err).Code != llm.CodeUnsupportedParameter {
		t.Errorf("document by URL: err = %v", err)
	}
	// A part kept raw in another wire format cannot be sent.
	req := llm.Request{Model: "m", Messages: []llm.Message{{Role: "user", Content: []llm.Part{
		llm.TextPart("a"), {Type: llm.PartOther, RawType: "document", RawFormat: "anthropic", Raw: json.RawMessage(`{}`)},
	}}}}
	_, err := openaiwire.EncodeChatRequest(&req, "m", "vllm")
	if e := asLLMError(t, err); e.Code != llm.CodeUnsupportedParameter || !strings.Contains(e.Param, "document") {
		t.Errorf("error = %+v", e)
	}
}

// FuzzDecodeChatRequest: no body makes the decoder panic; every refusal is a 400 *llm.Error;
// whatever it accepts can be encoded again, and the encoded body is itself accepted.
func FuzzDecodeChatRequest(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"u"}},{"type":"x"}]}],"stop":["a"],"tool_choice":"none","x":1}`,
		`{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"1"}],"stream":true,"stream_options":{"include_usage":true}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := openaiwire.DecodeChatRequest(body)
		if err != nil {
			e := asLLMError(t, err)
			if e.Status != http.StatusBadRequest || e.Type != llm.TypeInvalidRequest || e.Message == "" {
				t.Fatalf("refusal is not a 400 invalid_request_error: %+v", e)
			}
			return
		}
		out, err := openaiwire.EncodeChatRequest(r, r.Model, "openai")
		if err != nil {
			t.Fatalf("EncodeChatRequest of a decoded request: %v", err)
		}
		if !json.Valid(out) {
			t.Fatalf("encoded body is not JSON: %s", out)
		}
		r2, err := openaiwire.DecodeChatRequest(out)
		if err != nil {
			t.Fatalf("re-encoded body refused: %v\nbody: %s", err, out)
		}
		out2, err := openaiwire.EncodeChatRequest(r2, r2.Model, "openai")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("encoding is not stable:\n%s\n%s", out, out2)
		}
	})
}
