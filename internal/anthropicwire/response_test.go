package anthropicwire_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/anthropicwire"
	"github.com/sovereign-gateway/sovereign/internal/llm"
)

func TestDecodeResponseFixtures(t *testing.T) {
	tests := []struct {
		name     string
		text     string // a piece of the answer's text
		calls    []llm.ToolCall
		thinking int // thinking blocks, each with text and signature
		finish   string
		usage    llm.Usage
	}{
		{"plain", "The capital of France is Paris.", nil, 0, llm.FinishStop, llm.Usage{InputTokens: 20, OutputTokens: 10, TotalTokens: 30}},
		{"plain_raw", "functioning properly", nil, 0, llm.FinishStop, llm.Usage{InputTokens: 13, OutputTokens: 35, TotalTokens: 48}},
		{"parallel_tool_use", "youngest", []llm.ToolCall{
			{ID: "toolu_0167cfEnoQaPviGdVXA95zcu", Name: "retrieve_entity_info", Arguments: `{"name":"Alice"}`},
			{ID: "toolu_01EEe2V5HD1Ac4rKiUR4HD2T", Name: "retrieve_entity_info", Arguments: `{"name":"Bob"}`},
			{ID: "toolu_01XFyAjstT3966qvRynZyVPo", Name: "retrieve_entity_info", Arguments: `{"name":"Charlie"}`},
			{ID: "toolu_013mnQZbgtK2oe3Mo3XKJsx3", Name: "retrieve_entity_info", Arguments: `{"name":"Daisy"}`},
		}, 0, llm.FinishToolCalls, llm.Usage{InputTokens: 423, OutputTokens: 202, TotalTokens: 625}},
		{"thinking_tool_use", "largest city", []llm.ToolCall{{ID: "toolu_01YGzqpRE16Vricda3Aqcejo", Name: "get_user_country", Arguments: `{}`}},
			1, llm.FinishToolCalls, llm.Usage{InputTokens: 398, OutputTokens: 155, TotalTokens: 553}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := fixture(t, "anthropic/"+tt.name+".response.json")
			r, err := anthropicwire.DecodeResponse(body)
			if err != nil {
				t.Fatal(err)
			}
			want := obj(decodeAny(t, body))
			if r.ID != want["id"] || r.Model != want["model"] || len(r.Choices) != 1 || !bytes.Equal(r.Raw, body) || r.RawFormat != llm.FormatAnthropic {
				t.Fatalf("%+v", r)
			}
			c := r.Choices[0]
			if !strings.Contains(c.Message.Text(), tt.text) || c.FinishReason != tt.finish || c.Message.Role != llm.RoleAssistant ||
				!reflect.DeepEqual(c.Message.ToolCalls, tt.calls) || r.Usage == nil || *r.Usage != tt.usage {
				t.Errorf("decoded %+v usage %+v", c, r.Usage)
			}
			if len(c.Message.Thinking) != tt.thinking {
				t.Errorf("%d thinking blocks, want %d", len(c.Message.Thinking), tt.thinking)
			}
			for _, th := range c.Message.Thinking {
				if th.Text == "" || th.Signature == "" || !strings.Contains(c.Message.Reasoning, th.Text) {
					t.Errorf("thinking block %+v, reasoning %q", th, c.Message.Reasoning)
				}
			}

			// An Anthropic client gets the upstream's bytes; under another model name, the
			// same message.
			if out, err := anthropicwire.EncodeResponse(r, ""); err != nil || !bytes.Equal(out, body) {
				t.Errorf("not relayed byte for byte")
			}
			out, err := anthropicwire.EncodeResponse(r, "my-alias")
			if err != nil {
				t.Fatal(err)
			}
			got := obj(decodeAny(t, out))
			want["model"] = "my-alias"
			// Usage details Anthropic adds that llm.Usage has no place for.
			for _, k := range []string{"cache_creation", "service_tier", "inference_geo"} {
				delete(obj(want["usage"]), k)
			}
			if d := jsonDiff(want, got); len(d) > 0 {
				t.Errorf("re-encoded answer differs:\n%s", strings.Join(d, "\n"))
			}
			// And decoding it again gives the same canonical answer.
			r2, err := anthropicwire.DecodeResponse(out)
			if err != nil {
				t.Fatal(err)
			}
			r2.Raw, r.Raw, r2.Model = nil, nil, r.Model
			if !reflect.DeepEqual(r, r2) {
				t.Errorf("decoded again\n%+v\nfirst\n%+v", r2, r)
			}
		})
	}
}

func TestDecodeResponseErrors(t *testing.T) {
	for _, tt := range []struct{ name, body string }{
		{"error object", string(fixture(t, "anthropic/error_400_invalid_request.response.json"))},
		{"not JSON", `<html>`},
		{"another object", `{"type":"completion","completion":"x"}`},
		{"content not an array", `{"type":"message","content":"x"}`},
		{"block not an object", `{"type":"message","content":["x"]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := anthropicwire.DecodeResponse([]byte(tt.body)); err == nil {
				t.Error("no error")
			}
		})
	}
}

func TestDecodeResponseBlocks(t *testing.T) {
	body := `{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[
		{"type":"redacted_thinking","data":"enc"},
		{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"q"}},
		{"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[]},
		{"type":"text","text":"Paris","citations":[{"type":"web_search_result_location","url":"u","title":"t","cited_text":"c","encrypted_index":"e"}]}],
		"stop_reason":"stop_sequence","stop_sequence":"END",
		"usage":{"input_tokens":10,"cache_creation_input_tokens":5,"cache_read_input_tokens":100,"output_tokens":7,"output_tokens_details":{"thinking_tokens":3}}}`
	r, err := anthropicwire.DecodeResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	m := r.Choices[0].Message
	if len(m.Content) != 3 || m.Content[0].RawType != "server_tool_use" || m.Content[1].RawType != "web_search_tool_result" ||
		m.Content[2].Text != "Paris" || !strings.Contains(string(m.Content[2].Raw), "citations") || m.Text() != "Paris" {
		t.Errorf("content %+v", m.Content)
	}
	if len(m.Thinking) != 1 || m.Thinking[0].Redacted != "enc" || m.Reasoning != "" {
		t.Errorf("thinking %+v", m.Thinking)
	}
	if c := r.Choices[0]; c.FinishReason != llm.FinishStop || c.StopSequence != "END" {
		t.Errorf("finish %q stop sequence %q", c.FinishReason, c.StopSequence)
	}
	want := llm.Usage{InputTokens: 115, CachedInputTokens: 100, CacheWriteTokens: 5, OutputTokens: 7, ReasoningTokens: 3, TotalTokens: 122}
	if *r.Usage != want {
		t.Errorf("usage %+v, want %+v", *r.Usage, want)
	}
	out, err := anthropicwire.EncodeResponse(r, "alias")
	if err != nil {
		t.Fatal(err)
	}
	w := obj(decodeAny(t, []byte(body)))
	w["model"] = "alias"
	delete(obj(w["usage"]), "output_tokens_details")
	if d := jsonDiff(w, decodeAny(t, out)); len(d) > 0 {
		t.Errorf("re-encoded answer differs:\n%s\n%s", strings.Join(d, "\n"), out)
	}
}

// An answer of another provider becomes an Anthropic message.
func TestEncodeResponse(t *testing.T) {
	tests := []struct {
		name string
		r    llm.Response
		want string
	}{
		{"OpenAI answer with reasoning and tool calls", llm.Response{ID: "chatcmpl-1", Model: "gpt", Choices: []llm.Choice{{
			FinishReason: llm.FinishStop,
			Message: llm.Message{Role: "assistant", Reasoning: "think", Content: []llm.Part{llm.TextPart("")},
				ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "f", Arguments: `{"a":1}`}, {ID: "call_2", Name: "g", Arguments: `not json`}}}}},
			Usage: &llm.Usage{InputTokens: 100, CachedInputTokens: 60, OutputTokens: 20, TotalTokens: 120}},
			`{"id":"*","type":"message","role":"assistant","model":"alias","content":[
				{"type":"thinking","thinking":"think","signature":""},
				{"type":"tool_use","id":"call_1","name":"f","input":{"a":1}},
				{"type":"tool_use","id":"call_2","name":"g","input":{}}],
				"stop_reason":"tool_use","stop_sequence":null,
				"usage":{"input_tokens":40,"cache_creation_input_tokens":0,"cache_read_input_tokens":60,"output_tokens":20}}`},
		{"length", llm.Response{ID: "msg_keep", Choices: []llm.Choice{{FinishReason: llm.FinishLength, Message: llm.Message{Content: []llm.Part{llm.TextPart("cut")}}}}},
			`{"id":"msg_keep","type":"message","role":"assistant","model":"alias","content":[{"type":"text","text":"cut"}],
				"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}`},
		{"refusal", llm.Response{ID: "x", Choices: []llm.Choice{{FinishReason: llm.FinishContentFilter, Message: llm.Message{Refusal: "no", ContentNull: true}}}},
			`{"id":"*","type":"message","role":"assistant","model":"alias","content":[{"type":"text","text":"no"}],
				"stop_reason":"refusal","stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}`},
		{"no choices", llm.Response{ID: "x"},
			`{"id":"*","type":"message","role":"assistant","model":"alias","content":[],
				"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := anthropicwire.EncodeResponse(&tt.r, "alias")
			if err != nil {
				t.Fatal(err)
			}
			got := obj(decodeAny(t, out))
			want := obj(decodeAny(t, []byte(tt.want)))
			if want["id"] == "*" {
				id, _ := got["id"].(string)
				if !strings.HasPrefix(id, "msg_") || len(id) != 28 {
					t.Errorf("id %q, want a new msg_ id", id)
				}
				want["id"] = id
			}
			if d := jsonDiff(want, got); len(d) > 0 {
				t.Errorf("differs:\n%s\n%s", strings.Join(d, "\n"), out)
			}
			if _, err := anthropicwire.DecodeResponse(out); err != nil {
				t.Errorf("our own answer does not decode: %v", err)
			}
		})
	}
}

func TestFinishReasons(t *testing.T) {
	for _, tt := range []struct{ stop, finish, back string }{
		{"end_turn", llm.FinishStop, "end_turn"},
		{"max_tokens", llm.FinishLength, "max_tokens"},
		{"tool_use", llm.FinishToolCalls, "tool_use"},
		{"pause_turn", llm.FinishPause, "pause_turn"},
		{"refusal", llm.FinishContentFilter, "refusal"},
		{"model_context_window_exceeded", llm.FinishLength, "max_tokens"},
		{"something_new", llm.FinishStop, "end_turn"},
	} {
		if got := anthropicwire.FinishReason(tt.stop); got != tt.finish {
			t.Errorf("FinishReason(%q) = %q, want %q", tt.stop, got, tt.finish)
		}
		if got := anthropicwire.StopReason(tt.finish, ""); got != tt.back {
			t.Errorf("StopReason(%q) = %q, want %q", tt.finish, got, tt.back)
		}
	}
	if got := anthropicwire.StopReason(llm.FinishStop, "END"); got != "stop_sequence" {
		t.Errorf("StopReason with a stop sequence = %q", got)
	}
	// Text the model wrote stays literal, as Anthropic writes it.
	r := &llm.Response{Choices: []llm.Choice{{Message: llm.Message{Content: []llm.Part{llm.TextPart("a<b>&\u2028\x01")}}}}}
	out, _ := anthropicwire.EncodeResponse(r, "m")
	if !strings.Contains(string(out), `"a<b>&\u2028\u0001"`) || !json.Valid(out) {
		t.Errorf("%s", out)
	}
}

func TestEncodeCountTokensResponse(t *testing.T) {
	if got := string(anthropicwire.EncodeCountTokensResponse(1234)); got != `{"input_tokens":1234}` {
		t.Errorf("got %s", got)
	}
}
