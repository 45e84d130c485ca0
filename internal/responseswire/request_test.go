package responseswire_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/responseswire"
)

func decode(t *testing.T, body string) *responseswire.Request {
	t.Helper()
	r, err := responseswire.DecodeRequest([]byte(body))
	if err != nil {
		t.Fatalf("DecodeRequest: %v", err)
	}
	return r
}

// TestDecodeRequestRecorded decodes every recorded request body and checks the canonical
// values. The one OpenAI refused (a temperature of -1) is refused the same way.
func TestDecodeRequestRecorded(t *testing.T) {
	capitalTool := func(t *testing.T, r *responseswire.Request) {
		t.Helper()
		if len(r.Chat.Tools) != 1 {
			t.Fatalf("tools = %+v", r.Chat.Tools)
		}
		tl := r.Chat.Tools[0]
		if tl.Name != "get_capital" || tl.Hosted != "" || tl.Strict == nil || !*tl.Strict || !json.Valid(tl.Parameters) {
			t.Errorf("tool = %+v", tl)
		}
		if r.Chat.ToolChoice == nil || r.Chat.ToolChoice.Mode != llm.ToolChoiceAuto {
			t.Errorf("tool choice = %+v", r.Chat.ToolChoice)
		}
		if string(r.Echo["tool_choice"]) != `"auto"` || r.Echo["instructions"] == nil || len(r.Tools) == 0 {
			t.Errorf("echo = %s, tools %s", r.Echo, r.Tools)
		}
	}
	tests := []struct {
		name  string
		check func(t *testing.T, r *responseswire.Request)
	}{
		{"plain", func(t *testing.T, r *responseswire.Request) {
			c := r.Chat
			if c.Model != "gpt-4.1-nano" || c.Stream || c.IncludeUsage || !r.Store || r.Instructions != "" || len(c.Messages) != 1 {
				t.Fatalf("request = %+v, %+v", r, c)
			}
			m := c.Messages[0]
			want := []llm.Part{llm.TextPart("What is the main content on this document?"),
				{Type: llm.PartDocument, URL: "https://www.w3.org/WAI/ER/tests/xhtml/testfiles/resources/pdf/dummy.pdf", MediaType: "application/pdf"}}
			if m.Role != llm.RoleUser || !reflect.DeepEqual(m.Content, want) {
				t.Errorf("message = %+v", m)
			}
			if c.Hints != nil || c.Extensions != nil || c.ExtensionsFormat != "" {
				t.Errorf("hints %v, extensions %v (%q)", c.Hints, c.Extensions, c.ExtensionsFormat)
			}
		}},
		{"stream_function_call", func(t *testing.T, r *responseswire.Request) {
			c := r.Chat
			if c.Model != "gpt-4o" || !c.Stream || !c.IncludeUsage || len(c.Messages) != 1 || c.Messages[0].Text() != "What is the capital of France?" {
				t.Fatalf("request = %+v", c)
			}
			capitalTool(t, r)
		}},
		{"stream_text_after_tool_result", func(t *testing.T, r *responseswire.Request) {
			c := r.Chat
			if len(c.Messages) != 3 {
				t.Fatalf("messages = %+v", c.Messages)
			}
			a, tm := c.Messages[1], c.Messages[2]
			id := "fc_67e554a1de488191af0831d35cbe082e0794405d35281ae2"
			if a.Role != llm.RoleAssistant || !a.ContentNull || !reflect.DeepEqual(a.ToolCalls,
				[]llm.ToolCall{{ID: id, Name: "get_capital", Arguments: `{"country":"France"}`}}) {
				t.Errorf("assistant = %+v", a)
			}
			if tm.Role != llm.RoleTool || tm.ToolCallID != id || tm.Text() != "Paris" {
				t.Errorf("tool = %+v", tm)
			}
			capitalTool(t, r)
		}},
		{"stream_usage", func(t *testing.T, r *responseswire.Request) {
			c := r.Chat
			if c.Model != "gpt-5" || c.ReasoningEffort != "low" || r.PreviousResponseID != "" {
				t.Errorf("request = %+v", c)
			}
			if c.ToolChoice == nil || c.ToolChoice.Mode != llm.ToolChoiceRequired {
				t.Errorf("tool choice = %+v", c.ToolChoice)
			}
			if !reflect.DeepEqual(r.Include, []string{"reasoning.encrypted_content"}) {
				t.Errorf("include = %v", r.Include)
			}
			if c.ExtensionsFormat != llm.FormatOpenAIResponses || len(c.Extensions) != 0 ||
				string(c.Hints["service_tier"]) != `"flex"` || c.Hints["include"] == nil || len(c.Hints) != 2 {
				t.Errorf("hints = %s, extensions %s", c.Hints, c.Extensions)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := responseswire.DecodeRequest(fixture(t, "openai-responses/"+tt.name+".request.json"))
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			tt.check(t, r)
		})
	}
	t.Run("error_400_invalid_temperature", func(t *testing.T) {
		_, err := responseswire.DecodeRequest(fixture(t, "openai-responses/error_400_invalid_temperature.request.json"))
		var want struct {
			Error struct {
				Param, Type string
			}
		}
		if err := json.Unmarshal(fixture(t, "openai-responses/error_400_invalid_temperature.response.json"), &want); err != nil {
			t.Fatal(err)
		}
		e := asLLMError(t, err)
		if e.Status != http.StatusBadRequest || e.Param != want.Error.Param || e.Type != want.Error.Type {
			t.Errorf("error = %+v, want param %q type %q as OpenAI answered", e, want.Error.Param, want.Error.Type)
		}
	})
	for _, name := range fixtures(t, "openai-responses/*.request.json") {
		if strings.Contains(name, "error_") {
			continue
		}
		t.Run("all/"+name, func(t *testing.T) {
			if _, err := responseswire.DecodeRequest(fixture(t, name)); err != nil {
				t.Errorf("DecodeRequest: %v", err)
			}
		})
	}
}

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, r *responseswire.Request)
	}{
		{"string input and instructions", `{"model":"m","input":"hi","instructions":"be brief"}`, func(t *testing.T, r *responseswire.Request) {
			want := []llm.Message{{Role: llm.RoleSystem, Content: []llm.Part{llm.TextPart("be brief")}},
				{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart("hi")}}}
			if !reflect.DeepEqual(r.Chat.Messages, want) || r.Instructions != "be brief" {
				t.Errorf("messages = %+v", r.Chat.Messages)
			}
			if d := jsonDiff(decodeAny(t, []byte(`[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}]`)),
				decodeAny(t, r.Input)); d != nil {
				t.Errorf("input: %v", d)
			}
			if !r.Store || r.Tools != nil || string(r.Echo["instructions"]) != `"be brief"` {
				t.Errorf("store %v, tools %s, echo %s", r.Store, r.Tools, r.Echo)
			}
		}},
		{"roles and parts", `{"model":"m","input":[
			{"role":"developer","content":"dev"},
			{"type":"message","role":"system","content":[{"type":"input_text","text":"sys"}]},
			{"role":"user","content":[{"type":"input_text","text":"look"},{"type":"input_image","image_url":"https://x/y.png","detail":"low"},
				{"type":"input_file","file_data":"data:application/pdf;base64,JVBERi0=","filename":"a.pdf"},
				{"type":"input_file","file_data":"aGVsbG8=","filename":"notes.txt"},
				{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]},
			{"role":"assistant","content":[{"type":"output_text","text":"ok","annotations":[]},{"type":"refusal","refusal":"no"}]}]}`,
			func(t *testing.T, r *responseswire.Request) {
				m := r.Chat.Messages
				if len(m) != 4 || m[0].Role != llm.RoleDeveloper || m[0].Text() != "dev" || m[1].Role != llm.RoleSystem || m[1].Text() != "sys" {
					t.Fatalf("messages = %+v", m)
				}
				want := []llm.Part{llm.TextPart("look"), {Type: llm.PartImage, ImageURL: "https://x/y.png", ImageDetail: "low"},
					{Type: llm.PartDocument, MediaType: "application/pdf", Data: "JVBERi0=", Filename: "a.pdf", Title: "a.pdf"},
					{Type: llm.PartDocument, MediaType: "text/plain", Text: "hello", Filename: "notes.txt", Title: "notes.txt"}}
				if !reflect.DeepEqual(m[2].Content[:4], want) {
					t.Errorf("user parts = %+v", m[2].Content)
				}
				if p := m[2].Content[4]; p.Type != llm.PartOther || p.RawType != "input_audio" || p.RawFormat != llm.FormatOpenAIResponses || !json.Valid(p.Raw) {
					t.Errorf("audio part = %+v", p)
				}
				if m[3].Role != llm.RoleAssistant || m[3].Text() != "ok" || m[3].Refusal != "no" {
					t.Errorf("assistant = %+v", m[3])
				}
			}},
		{"one assistant turn from reasoning, text and calls", `{"model":"m","input":[
			{"role":"user","content":"q"},
			{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"think"},{"type":"summary_text","text":"more"}],"encrypted_content":"ENC"},
			{"type":"web_search_call","id":"ws_1","status":"completed","action":{"type":"search","query":"x"}},
			{"type":"message","role":"assistant","content":[{"type":"output_text","text":"calling"}]},
			{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},
			{"type":"custom_tool_call","call_id":"c2","name":"patch","input":"*** Begin"},
			{"type":"function_call_output","call_id":"c1","output":"1"},
			{"type":"custom_tool_call_output","call_id":"c2","output":[{"type":"input_text","text":"done"}]},
			{"type":"function_call","call_id":"c3","name":"f","arguments":"{\"a\":1}"},
			{"type":"reasoning","summary":[],"content":[{"type":"reasoning_text","text":"raw"}]},
			{"type":"message","role":"assistant","content":"after"},
			{"type":"mcp_call","id":"mcp_1"},{"type":"web_search_call","id":"ws_2"}]}`,
			func(t *testing.T, r *responseswire.Request) {
				want := []llm.Message{
					{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart("q")}},
					{Role: llm.RoleAssistant, Reasoning: "think\n\nmore", Thinking: []llm.ThinkingBlock{{Redacted: "ENC", Format: llm.FormatOpenAIResponses}},
						Content:   []llm.Part{llm.TextPart("calling")},
						ToolCalls: []llm.ToolCall{{ID: "c1", Name: "f", Arguments: "{}"}, {ID: "c2", Name: "patch", Arguments: `{"input":"*** Begin"}`}}},
					{Role: llm.RoleTool, ToolCallID: "c1", Content: []llm.Part{llm.TextPart("1")}},
					{Role: llm.RoleTool, ToolCallID: "c2", Content: []llm.Part{llm.TextPart("done")}},
					{Role: llm.RoleAssistant, ContentNull: true, ToolCalls: []llm.ToolCall{{ID: "c3", Name: "f", Arguments: `{"a":1}`}}},
					{Role: llm.RoleAssistant, Reasoning: "raw", Content: []llm.Part{llm.TextPart("after")}},
				}
				if !reflect.DeepEqual(r.Chat.Messages, want) {
					t.Errorf("messages =\n%+v\nwant\n%+v", r.Chat.Messages, want)
				}
				if !reflect.DeepEqual(r.DroppedItems, []string{"web_search_call", "mcp_call"}) {
					t.Errorf("dropped = %v", r.DroppedItems)
				}
			}},
		{"tools", `{"model":"m","input":"x","tools":[
			{"type":"function","name":"f","description":"d","parameters":{"type":"object"},"strict":false},
			{"type":"function","name":"g"},
			{"type":"custom","name":"patch","description":"apply","format":{"type":"grammar","syntax":"lark","definition":"start: x"}},
			{"type":"web_search","search_context_size":"low"},
			{"type":"namespace","name":"crm","description":"CRM","tools":[{"type":"function","name":"get","parameters":{}},{"type":"custom","name":"note"}]},
			{"type":"future_tool","x":1}],
			"tool_choice":{"type":"function","name":"get","namespace":"crm"}}`,
			func(t *testing.T, r *responseswire.Request) {
				tl := r.Chat.Tools
				if len(tl) != 7 {
					t.Fatalf("tools = %+v", tl)
				}
				if tl[0].Name != "f" || tl[0].Description != "d" || string(tl[0].Parameters) != `{"type":"object"}` || tl[0].Strict == nil || *tl[0].Strict {
					t.Errorf("f = %+v", tl[0])
				}
				if tl[1].Name != "g" || tl[1].Parameters != nil || tl[1].Strict != nil {
					t.Errorf("g = %+v", tl[1])
				}
				if tl[2].Name != "patch" || !strings.HasPrefix(tl[2].Description, "apply\n\n") || !strings.Contains(tl[2].Description, "lark grammar:\nstart: x") ||
					!strings.Contains(string(tl[2].Parameters), `"input"`) || tl[2].RawFormat != llm.FormatOpenAIResponses || tl[2].Hosted != "" {
					t.Errorf("patch = %+v", tl[2])
				}
				if tl[3].Hosted != "web_search" || tl[3].RawFormat != llm.FormatOpenAIResponses || !strings.Contains(string(tl[3].Raw), "search_context_size") {
					t.Errorf("web_search = %+v", tl[3])
				}
				if tl[4].Name != "crm__get" || tl[5].Name != "crm__note" || tl[6].Hosted != "future_tool" {
					t.Errorf("namespace and unknown = %+v %+v %+v", tl[4], tl[5], tl[6])
				}
				if !reflect.DeepEqual(r.CustomTools, map[string]bool{"patch": true, "crm__note": true}) {
					t.Errorf("custom tools = %v", r.CustomTools)
				}
				if !reflect.DeepEqual(r.NamespacedTools, map[string]responseswire.ToolName{
					"crm__get": {Namespace: "crm", Name: "get"}, "crm__note": {Namespace: "crm", Name: "note"}}) {
					t.Errorf("namespaced = %v", r.NamespacedTools)
				}
				if tc := r.Chat.ToolChoice; tc == nil || tc.Mode != llm.ToolChoiceFunction || tc.Name != "crm__get" {
					t.Errorf("tool choice = %+v", tc)
				}
			}},
		{"namespaced call in the input", `{"model":"m","input":[{"type":"function_call","call_id":"c","namespace":"crm","name":"get","arguments":"{}"}]}`,
			func(t *testing.T, r *responseswire.Request) {
				if tc := r.Chat.Messages[0].ToolCalls; len(tc) != 1 || tc[0].Name != "crm__get" {
					t.Errorf("calls = %+v", tc)
				}
			}},
		{"allowed_tools", `{"model":"m","input":"x","tools":[{"type":"function","name":"a"},{"type":"function","name":"b"},{"type":"web_search"},{"type":"file_search"}],
			"tool_choice":{"type":"allowed_tools","mode":"required","tools":[{"type":"function","name":"b"}]}}`,
			func(t *testing.T, r *responseswire.Request) {
				if len(r.Chat.Tools) != 1 || r.Chat.Tools[0].Name != "b" {
					t.Errorf("tools = %+v", r.Chat.Tools)
				}
				if tc := r.Chat.ToolChoice; tc == nil || tc.Mode != llm.ToolChoiceFunction || tc.Name != "b" {
					t.Errorf("tool choice = %+v", tc)
				}
				var echoed []any
				_ = json.Unmarshal(r.Tools, &echoed)
				if len(echoed) != 4 {
					t.Errorf("echoed tools = %s", r.Tools)
				}
			}},
		{"allowed_tools auto with a hosted tool", `{"model":"m","input":"x","tools":[{"type":"function","name":"a"},{"type":"function","name":"b"},{"type":"web_search"}],
			"tool_choice":{"type":"allowed_tools","mode":"auto","tools":[{"type":"function","name":"a"},{"type":"web_search"}]}}`,
			func(t *testing.T, r *responseswire.Request) {
				if len(r.Chat.Tools) != 2 || r.Chat.Tools[0].Name != "a" || r.Chat.Tools[1].Hosted != "web_search" {
					t.Errorf("tools = %+v", r.Chat.Tools)
				}
				if tc := r.Chat.ToolChoice; tc == nil || tc.Mode != llm.ToolChoiceAuto {
					t.Errorf("tool choice = %+v", tc)
				}
			}},
		{"hosted tool choice", `{"model":"m","input":"x","tools":[{"type":"file_search","vector_store_ids":["v"]}],"tool_choice":{"type":"file_search"}}`,
			func(t *testing.T, r *responseswire.Request) {
				if r.Chat.ToolChoice != nil || string(r.Chat.Extensions["tool_choice"]) != `{"type":"file_search"}` || r.Chat.ExtensionsFormat != llm.FormatOpenAIResponses {
					t.Errorf("tool choice %+v, extensions %s", r.Chat.ToolChoice, r.Chat.Extensions)
				}
			}},
		{"custom tool choice", `{"model":"m","input":"x","tools":[{"type":"custom","name":"p"}],"tool_choice":{"type":"custom","name":"p"}}`,
			func(t *testing.T, r *responseswire.Request) {
				if tc := r.Chat.ToolChoice; tc == nil || tc.Mode != llm.ToolChoiceFunction || tc.Name != "p" {
					t.Errorf("tool choice = %+v", tc)
				}
			}},
		{"sampling, limits and hints", `{"model":"m","input":"x","temperature":0.2,"top_p":0.9,"max_output_tokens":100,"parallel_tool_calls":false,
			"reasoning":{"effort":"high","summary":"auto"},"text":{"format":{"type":"json_schema","name":"r","schema":{"type":"object"},"strict":true,"description":"d"},"verbosity":"low"},
			"stream":true,"stream_options":{"include_obfuscation":false},"store":false,"previous_response_id":"resp_1","metadata":{"k":"v"},
			"safety_identifier":"u1","prompt_cache_key":"ck","prompt_cache_retention":"24h","truncation":"auto","service_tier":"priority",
			"background":false,"include":["message.output_text.logprobs"],"top_logprobs":3,"max_tool_calls":2,"conversation":"conv_1","context_management":[{"type":"compaction"}]}`,
			func(t *testing.T, r *responseswire.Request) {
				c := r.Chat
				if *c.Temperature != 0.2 || *c.TopP != 0.9 || *c.MaxTokens != 100 || *c.ParallelToolCalls || c.ReasoningEffort != "high" ||
					!c.Stream || !c.IncludeUsage || c.User != "u1" || c.CacheKey != "ck" || !reflect.DeepEqual(c.Metadata, map[string]string{"k": "v"}) ||
					*c.TopLogprobs != 3 || c.Logprobs == nil || !*c.Logprobs {
					t.Errorf("request = %+v", c)
				}
				if rf := c.ResponseFormat; rf == nil || rf.Type != llm.ResponseJSONSchema || rf.Name != "r" || rf.Description != "d" || *rf.Strict != true || string(rf.Schema) != `{"type":"object"}` {
					t.Errorf("response format = %+v", rf)
				}
				if r.Store || r.PreviousResponseID != "resp_1" {
					t.Errorf("store %v previous %q", r.Store, r.PreviousResponseID)
				}
				var hints []string
				for k := range c.Hints {
					hints = append(hints, k)
				}
				want := []string{"context_management", "include", "prompt_cache_retention", "reasoning", "service_tier", "stream_options", "text", "truncation"}
				if !sameSet(hints, want) {
					t.Errorf("hints = %v, want %v", hints, want)
				}
				var ext []string
				for k := range c.Extensions {
					ext = append(ext, k)
				}
				if !sameSet(ext, []string{"conversation", "max_tool_calls"}) || c.ExtensionsFormat != llm.FormatOpenAIResponses {
					t.Errorf("extensions = %v", ext)
				}
				for _, k := range []string{"temperature", "top_p", "max_output_tokens", "parallel_tool_calls", "reasoning", "text", "store",
					"metadata", "safety_identifier", "prompt_cache_key", "prompt_cache_retention", "truncation", "service_tier", "background", "top_logprobs", "max_tool_calls"} {
					if r.Echo[k] == nil {
						t.Errorf("echo lacks %q", k)
					}
				}
			}},
		{"reasoning effort alone is no hint", `{"model":"m","input":"x","reasoning":{"effort":"minimal","summary":null},"text":{"format":{"type":"text"}}}`,
			func(t *testing.T, r *responseswire.Request) {
				if r.Chat.ReasoningEffort != "minimal" || r.Chat.Hints != nil || r.Chat.ResponseFormat.Type != llm.ResponseText {
					t.Errorf("request = %+v", r.Chat)
				}
			}},
		{"no input with previous_response_id", `{"model":"m","previous_response_id":"resp_1"}`, func(t *testing.T, r *responseswire.Request) {
			if string(r.Input) != "[]" || len(r.Chat.Messages) != 0 {
				t.Errorf("input %s, messages %+v", r.Input, r.Chat.Messages)
			}
		}},
		{"user before safety_identifier", `{"model":"m","input":"x","user":"a","safety_identifier":"b"}`, func(t *testing.T, r *responseswire.Request) {
			if r.Chat.User != "a" {
				t.Errorf("user = %q", r.Chat.User)
			}
		}},
		{"nulls are absent", `{"model":"m","input":"x","instructions":null,"tools":null,"tool_choice":null,"temperature":null,"reasoning":null,"text":null,"store":null,"previous_response_id":null}`,
			func(t *testing.T, r *responseswire.Request) {
				if !r.Store || r.Chat.Temperature != nil || r.Chat.ToolChoice != nil || len(r.Echo) != 0 || len(r.Chat.Messages) != 1 {
					t.Errorf("request = %+v, echo %s", r.Chat, r.Echo)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.check(t, decode(t, tt.body))
		})
	}
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return len(a) == len(b)
}

func TestDecodeRequestErrors(t *testing.T) {
	const in = `"input":"hi"`
	tests := []struct {
		name  string
		body  string
		code  string
		param string
		text  string // the message contains it
	}{
		{"empty body", ``, llm.CodeInvalidJSON, "", "empty"},
		{"not JSON", `hello`, llm.CodeInvalidJSON, "", "not valid JSON"},
		{"truncated JSON", `{"model":"m",`, llm.CodeInvalidJSON, "", "not valid JSON"},
		{"JSON array", `[{"model":"m"}]`, llm.CodeInvalidType, "", "JSON object"},
		{"missing model", `{` + in + `}`, llm.CodeMissingField, "model", ""},
		{"model not a string", `{"model":1,` + in + `}`, llm.CodeInvalidType, "model", "a string"},
		{"missing input", `{"model":"m"}`, llm.CodeMissingField, "input", "previous_response_id"},
		{"empty input", `{"model":"m","input":[]}`, llm.CodeMissingField, "input", "empty"},
		{"input a number", `{"model":"m","input":1}`, llm.CodeInvalidType, "input", ""},
		{"item not an object", `{"model":"m","input":["x"]}`, llm.CodeInvalidType, "input[0]", ""},
		{"item without type or role", `{"model":"m","input":[{"content":"x"}]}`, llm.CodeMissingField, "input[0].type", ""},
		{"unknown item type", `{"model":"m","input":[{"type":"telepathy"}]}`, llm.CodeInvalidValue, "input[0].type", "telepathy"},
		{"item_reference", `{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}`, llm.CodeUnsupportedParameter, "input[0]", "item_reference"},
		{"bad role", `{"model":"m","input":[{"role":"robot","content":"x"}]}`, llm.CodeInvalidValue, "input[0].role", "robot"},
		{"message without content", `{"model":"m","input":[{"role":"user"}]}`, llm.CodeMissingField, "input[0].content", ""},
		{"content a number", `{"model":"m","input":[{"role":"user","content":1}]}`, llm.CodeInvalidType, "input[0].content", ""},
		{"role a number", `{"model":"m","input":[{"role":1,"content":"x"}]}`, llm.CodeInvalidType, "input[0].role", "a string"},
		{"part without type", `{"model":"m","input":[{"role":"user","content":[{"text":"x"}]}]}`, llm.CodeMissingField, "input[0].content[0].type", ""},
		{"part without text", `{"model":"m","input":[{"role":"user","content":[{"type":"input_text"}]}]}`, llm.CodeMissingField, "input[0].content[0].text", ""},
		{"image by file_id", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"file_1"}]}]}`,
			llm.CodeUnsupportedParameter, "input[0].content[0].file_id", "Files API"},
		{"image without url", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image"}]}]}`, llm.CodeMissingField, "input[0].content[0].image_url", ""},
		{"file by file_id", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"file_1"}]}]}`,
			llm.CodeUnsupportedParameter, "input[0].content[0].file_id", "file_data"},
		{"file without data", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","filename":"a.pdf"}]}]}`,
			llm.CodeMissingField, "input[0].content[0].file_data", ""},
		{"function_call without call_id", `{"model":"m","input":[{"type":"function_call","name":"f","arguments":"{}"}]}`, llm.CodeMissingField, "input[0].call_id", ""},
		{"function_call without name", `{"model":"m","input":[{"type":"function_call","call_id":"c","arguments":"{}"}]}`, llm.CodeMissingField, "input[0].name", ""},
		{"function_call without arguments", `{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f"}]}`, llm.CodeMissingField, "input[0].arguments", ""},
		{"arguments an object", `{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":{}}]}`, llm.CodeInvalidType, "input[0].arguments", "a string"},
		{"custom_tool_call without input", `{"model":"m","input":[{"type":"custom_tool_call","call_id":"c","name":"f"}]}`, llm.CodeMissingField, "input[0].input", ""},
		{"output without call_id", `{"model":"m","input":[{"type":"function_call_output","output":"x"}]}`, llm.CodeMissingField, "input[0].call_id", ""},
		{"output missing", `{"model":"m","input":[{"type":"function_call_output","call_id":"c"}]}`, llm.CodeMissingField, "input[0].output", ""},
		{"output a number", `{"model":"m","input":[{"type":"function_call_output","call_id":"c","output":1}]}`, llm.CodeInvalidType, "input[0].output", ""},
		{"bad summary type", `{"model":"m","input":[{"type":"reasoning","summary":[{"type":"x","text":"t"}]}]}`, llm.CodeInvalidValue, "input[0].summary[0].type", ""},
		{"instructions not a string", `{"model":"m",` + in + `,"instructions":[]}`, llm.CodeInvalidType, "instructions", "a string"},
		{"temperature too high", `{"model":"m",` + in + `,"temperature":2.5}`, llm.CodeInvalidValue, "temperature", "between 0 and 2"},
		{"temperature a string", `{"model":"m",` + in + `,"temperature":"hot"}`, llm.CodeInvalidType, "temperature", "a number"},
		{"top_p too high", `{"model":"m",` + in + `,"top_p":1.1}`, llm.CodeInvalidValue, "top_p", ""},
		{"max_output_tokens zero", `{"model":"m",` + in + `,"max_output_tokens":0}`, llm.CodeInvalidValue, "max_output_tokens", "at least 1"},
		{"max_output_tokens fractional", `{"model":"m",` + in + `,"max_output_tokens":1.5}`, llm.CodeInvalidType, "max_output_tokens", "an integer"},
		{"top_logprobs too large", `{"model":"m",` + in + `,"top_logprobs":21}`, llm.CodeInvalidValue, "top_logprobs", ""},
		{"stream a string", `{"model":"m",` + in + `,"stream":"yes"}`, llm.CodeInvalidType, "stream", "a boolean"},
		{"store a string", `{"model":"m",` + in + `,"store":"no"}`, llm.CodeInvalidType, "store", "a boolean"},
		{"background", `{"model":"m",` + in + `,"background":true}`, llm.CodeUnsupportedParameter, "background", "background"},
		{"metadata values", `{"model":"m",` + in + `,"metadata":{"a":1}}`, llm.CodeInvalidType, "metadata", "a string"},
		{"include not strings", `{"model":"m",` + in + `,"include":[1]}`, llm.CodeInvalidType, "include", "a string"},
		{"stream_options not an object", `{"model":"m",` + in + `,"stream":true,"stream_options":true}`, llm.CodeInvalidType, "stream_options", ""},
		{"reasoning effort a number", `{"model":"m",` + in + `,"reasoning":{"effort":1}}`, llm.CodeInvalidType, "reasoning.effort", "a string"},
		{"text format unknown", `{"model":"m",` + in + `,"text":{"format":{"type":"xml"}}}`, llm.CodeInvalidValue, "text.format.type", "xml"},
		{"json_schema without name", `{"model":"m",` + in + `,"text":{"format":{"type":"json_schema","schema":{}}}}`, llm.CodeMissingField, "text.format.name", ""},
		{"json_schema without schema", `{"model":"m",` + in + `,"text":{"format":{"type":"json_schema","name":"n"}}}`, llm.CodeMissingField, "text.format.schema", ""},
		{"tools not an array", `{"model":"m",` + in + `,"tools":{}}`, llm.CodeInvalidType, "tools", "an array"},
		{"tool without type", `{"model":"m",` + in + `,"tools":[{"name":"f"}]}`, llm.CodeMissingField, "tools[0].type", ""},
		{"function without name", `{"model":"m",` + in + `,"tools":[{"type":"function"}]}`, llm.CodeMissingField, "tools[0].name", ""},
		{"custom without name", `{"model":"m",` + in + `,"tools":[{"type":"custom"}]}`, llm.CodeMissingField, "tools[0].name", ""},
		{"namespace without name", `{"model":"m",` + in + `,"tools":[{"type":"namespace","tools":[]}]}`, llm.CodeMissingField, "tools[0].name", ""},
		{"namespace with a hosted tool", `{"model":"m",` + in + `,"tools":[{"type":"namespace","name":"n","tools":[{"type":"web_search"}]}]}`,
			llm.CodeInvalidValue, "tools[0].tools[0].type", ""},
		{"tool_choice unknown", `{"model":"m",` + in + `,"tool_choice":"sometimes"}`, llm.CodeInvalidValue, "tool_choice", "sometimes"},
		{"tool_choice required without tools", `{"model":"m",` + in + `,"tool_choice":"required"}`, llm.CodeInvalidValue, "tool_choice", "tools"},
		{"tool_choice of an undeclared tool", `{"model":"m",` + in + `,"tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"function","name":"g"}}`,
			llm.CodeInvalidValue, "tool_choice.name", ""},
		{"tool_choice without name", `{"model":"m",` + in + `,"tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"function"}}`,
			llm.CodeMissingField, "tool_choice.name", ""},
		{"tool_choice a number", `{"model":"m",` + in + `,"tool_choice":1}`, llm.CodeInvalidValue, "tool_choice", ""},
		{"allowed_tools mode", `{"model":"m",` + in + `,"tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"allowed_tools","mode":"none","tools":[]}}`,
			llm.CodeInvalidValue, "tool_choice.mode", ""},
		{"allowed_tools none allowed", `{"model":"m",` + in + `,"tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"allowed_tools","mode":"auto","tools":[{"type":"function","name":"g"}]}}`,
			llm.CodeInvalidValue, "tool_choice.tools", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := responseswire.DecodeRequest([]byte(tt.body))
			if err == nil {
				t.Fatal("no error")
			}
			e := asLLMError(t, err)
			if e.Status != http.StatusBadRequest || e.Type != llm.TypeInvalidRequest || e.Code != tt.code || e.Param != tt.param ||
				!strings.Contains(e.Message, tt.text) {
				t.Errorf("error = %+v; want code %q param %q and %q in the message", e, tt.code, tt.param, tt.text)
			}
		})
	}
}

// TestNoPromptInErrors checks that refusals do not echo the client's text.
func TestNoPromptInErrors(t *testing.T) {
	const secret = "SECRET-PROMPT-TEXT"
	for _, body := range []string{
		`{"model":"m","input":[{"role":"robot","content":"` + secret + `"}]}`,
		`{"model":"m","input":[{"type":"x` + secret + `"}]}`,
		`{"model":"m","input":"` + secret + `","temperature":9}`,
		`{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":1}]}],"x":"` + secret + `"}`,
	} {
		_, err := responseswire.DecodeRequest([]byte(body))
		if err == nil {
			t.Fatalf("no error for %s", body)
		}
		// An unknown item type is named in the message, as Chat Completions names an unknown
		// role: it is the client's field value, not prompt text.
		if e := asLLMError(t, err); strings.Contains(e.Message, secret) && !strings.Contains(body, `"x`+secret) {
			t.Errorf("message echoes the prompt: %s", e.Message)
		}
	}
}

func TestPrependHistory(t *testing.T) {
	history := []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart("before")}},
		{Role: llm.RoleAssistant, Content: []llm.Part{llm.TextPart("answer")}}}
	for _, tt := range []struct {
		body  string
		roles []string
	}{
		{`{"model":"m","input":"now","instructions":"sys","previous_response_id":"r"}`, []string{"system", "user", "assistant", "user"}},
		{`{"model":"m","input":"now","previous_response_id":"r"}`, []string{"user", "assistant", "user"}},
		{`{"model":"m","input":[{"role":"system","content":"in input"},{"role":"user","content":"now"}],"previous_response_id":"r"}`,
			[]string{"user", "assistant", "system", "user"}},
	} {
		r := decode(t, tt.body)
		r.PrependHistory(history)
		var roles []string
		for _, m := range r.Chat.Messages {
			roles = append(roles, m.Role)
		}
		if !reflect.DeepEqual(roles, tt.roles) {
			t.Errorf("%s: roles = %v, want %v", tt.body, roles, tt.roles)
		}
	}
}

// TestItemsRoundTrip stores a request's input and its answer's output items and reads them
// back as a later request would with previous_response_id.
func TestItemsRoundTrip(t *testing.T) {
	r := decode(t, `{"model":"m","input":"what is 2+2? use the tools","include":["reasoning.encrypted_content"],
		"tools":[{"type":"function","name":"add"},{"type":"custom","name":"calc"},{"type":"namespace","name":"ns","description":"","tools":[{"type":"function","name":"mul"}]}]}`)
	answer := llm.Message{Role: llm.RoleAssistant, Reasoning: "adding", Thinking: []llm.ThinkingBlock{{Text: "adding"}, {Redacted: "ENC"}},
		Content: []llm.Part{llm.TextPart("let me add")},
		ToolCalls: []llm.ToolCall{{ID: "c1", Name: "add", Arguments: `{"a":2,"b":2}`}, {ID: "c2", Name: "calc", Arguments: `{"input":"2+2"}`},
			{ID: "c3", Name: "ns__mul", Arguments: `{}`}}}
	out, err := responseswire.OutputItems(&llm.Response{Choices: []llm.Choice{{Message: answer, FinishReason: llm.FinishToolCalls}}},
		responseswire.Meta{ID: "resp_1", Req: r})
	if err != nil {
		t.Fatal(err)
	}
	var in, outs []json.RawMessage
	_ = json.Unmarshal(r.Input, &in)
	_ = json.Unmarshal(out, &outs)
	stored, _ := json.Marshal(append(in, outs...))
	msgs, err := responseswire.ItemsToMessages(stored)
	if err != nil {
		t.Fatalf("ItemsToMessages: %v\n%s", err, stored)
	}
	answer.Thinking = []llm.ThinkingBlock{{Redacted: "ENC", Format: llm.FormatOpenAIResponses}} // the summary comes back as Reasoning
	want := []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart("what is 2+2? use the tools")}}, answer}
	if !reflect.DeepEqual(msgs, want) {
		t.Errorf("messages =\n%+v\nwant\n%+v\nitems %s", msgs, want, stored)
	}
}

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"model":"m","input":"hi"}`,
		`{"model":"m","input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"u"},{"type":"x"}]}],"tool_choice":"none","x":1}`,
		`{"model":"m","input":[{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"1"}],"stream":true}`,
		`{"model":"m","input":[{"type":"reasoning","summary":[{"type":"summary_text","text":"t"}],"encrypted_content":"e"}],"tools":[{"type":"custom","name":"c"},{"type":"namespace","name":"n","tools":[{"type":"function","name":"f"}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := responseswire.DecodeRequest(body)
		if err != nil {
			e := asLLMError(t, err)
			if e.Status != http.StatusBadRequest || e.Type != llm.TypeInvalidRequest || e.Message == "" {
				t.Fatalf("refusal is not a 400 invalid_request_error: %+v", e)
			}
			return
		}
		if r.Chat == nil || r.Chat.Model == "" || !json.Valid(r.Input) {
			t.Fatalf("accepted request without model or input: %+v", r)
		}
		// The normalised input decodes to the same messages the request gave.
		msgs, err := responseswire.ItemsToMessages(r.Input)
		if err != nil {
			t.Fatalf("normalised input refused: %v\n%s", err, r.Input)
		}
		got := r.Chat.Messages
		if r.Instructions != "" {
			got = got[1:]
		}
		if !reflect.DeepEqual(msgs, got) && !(len(msgs) == 0 && len(got) == 0) {
			t.Fatalf("input decodes differently:\n%+v\n%+v", msgs, got)
		}
		// Whatever was accepted can be answered.
		if _, err := responseswire.EncodeResponse(&llm.Response{}, responseswire.Meta{ID: "resp_f", Req: r}); err != nil {
			t.Fatalf("EncodeResponse: %v", err)
		}
	})
}

func FuzzItemsToMessages(f *testing.F) {
	for _, s := range []string{
		`[]`, `[{"role":"user","content":"hi"}]`, `{}`, `[1]`,
		`[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"a"},{"type":"refusal","refusal":"r"}]},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"}]`,
		`[{"type":"reasoning","summary":[],"encrypted_content":"e"},{"type":"custom_tool_call","call_id":"c","name":"p","input":"x"},{"type":"custom_tool_call_output","call_id":"c","output":[{"type":"input_text","text":"ok"}]}]`,
		`[{"type":"web_search_call","id":"ws"},{"type":"item_reference","id":"msg"}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, items []byte) {
		msgs, err := responseswire.ItemsToMessages(items)
		if err != nil {
			e := asLLMError(t, err)
			if e.Status != http.StatusBadRequest || e.Message == "" {
				t.Fatalf("refusal is not a 400: %+v", e)
			}
			return
		}
		for _, m := range msgs {
			if m.Role == "" || (m.Role == llm.RoleTool && m.ToolCallID == "") {
				t.Fatalf("message without role or tool call id: %+v", m)
			}
			for _, tc := range m.ToolCalls {
				if tc.ID == "" || tc.Name == "" {
					t.Fatalf("tool call without id or name: %+v", tc)
				}
			}
		}
	})
}
