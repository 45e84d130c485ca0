package responseswire_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/responseswire"
)

// TestEncodeResponseRecorded encodes the answer of the recorded plain response and compares
// it with the recording member for member; only ids and OpenAI's billing member differ.
func TestEncodeResponseRecorded(t *testing.T) {
	rec := obj(decodeAny(t, fixture(t, "openai-responses/plain.response.json")))
	req, err := responseswire.DecodeRequest(fixture(t, "openai-responses/plain.request.json"))
	if err != nil {
		t.Fatal(err)
	}
	msg := obj(arr(rec["output"])[0])
	text := obj(arr(msg["content"])[0])["text"].(string)
	resp := &llm.Response{Model: rec["model"].(string), ServiceTier: "default",
		Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant, Content: []llm.Part{llm.TextPart(text)}}, FinishReason: llm.FinishStop}},
		Usage:   &llm.Usage{InputTokens: 23, OutputTokens: 72, TotalTokens: 95}}
	m := responseswire.Meta{ID: rec["id"].(string), CreatedAt: int64(rec["created_at"].(float64)), Req: req}
	b, err := responseswire.EncodeResponse(resp, m)
	if err != nil {
		t.Fatal(err)
	}
	got := obj(decodeAny(t, b))
	delete(rec, "billing") // who pays OpenAI: nothing the gateway can say
	if id := obj(arr(got["output"])[0])["id"].(string); !strings.HasPrefix(id, "msg_") || len(id) != 52 {
		t.Errorf("message id = %q", id)
	}
	delete(msg, "id")
	delete(obj(arr(got["output"])[0]), "id")
	if _, ok := got["prompt_cache_retention"]; !ok {
		t.Error("prompt_cache_retention missing")
	}
	if d := jsonDiff(rec, got); len(d) > 0 {
		t.Errorf("response object differs from the recording:\n  %s\n%s", strings.Join(d, "\n  "), b)
	}
	// Numbers that OpenAI writes as 1.0 stay 1.0.
	if !strings.Contains(string(b), `"temperature":1.0,`) || !strings.Contains(string(b), `"top_p":1.0,`) {
		t.Errorf("defaults not written as OpenAI does: %s", b)
	}
	// The members come in OpenAI's order, as in the byte-exact recorded streams (the plain
	// recording was re-serialised with sorted keys).
	want := streamResponseKeys(t)
	var order []string
	for _, k := range keyOrder(t, b) {
		if slices.Contains(want, k) {
			order = append(order, k)
		}
	}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("member order =\n%v\nwant\n%v", order, want)
	}
	// Encoding again gives the same bytes, ids included.
	if b2, _ := responseswire.EncodeResponse(resp, m); string(b2) != string(b) {
		t.Error("encoding is not deterministic")
	}
	out, err := responseswire.OutputItems(resp, m)
	if err != nil || !strings.Contains(string(b), `"output":`+string(out)+`,`) {
		t.Errorf("OutputItems = %s (%v), not the output of %s", out, err, b)
	}
}

// streamResponseKeys returns the members of the response object in the newest recorded
// stream, in OpenAI's order.
func streamResponseKeys(t *testing.T) []string {
	t.Helper()
	evs, _ := readEvents(t, strings.NewReader(string(fixture(t, "openai-responses/stream_usage.response.sse"))))
	var env struct {
		Response json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(evs[len(evs)-1].Data, &env); err != nil {
		t.Fatal(err)
	}
	return keyOrder(t, env.Response)
}

// signedThinking is Anthropic-style thinking: a signed block and a redacted one.
var signedThinking = []llm.ThinkingBlock{{Text: "a", Signature: "secret-sig"}, {Redacted: "R"}}

func TestEncodeResponse(t *testing.T) {
	withTools := decode(t, `{"model":"m","input":"x","include":["reasoning.encrypted_content"],"tools":[{"type":"function","name":"f"},{"type":"custom","name":"patch"},
		{"type":"namespace","name":"crm","description":"","tools":[{"type":"function","name":"get"}]}],"tool_choice":"required","temperature":0.5,
		"reasoning":{"effort":"low","summary":"auto"},"text":{"verbosity":"low"},"metadata":{"a":"b"},"store":false,"user":"u",
		"previous_response_id":"resp_0","max_output_tokens":50,"instructions":"sys","service_tier":"auto"}`)
	tests := []struct {
		name  string
		resp  *llm.Response
		meta  responseswire.Meta
		check func(t *testing.T, o map[string]any)
	}{
		{"tool calls, reasoning and echo", &llm.Response{Model: "upstream-model", Created: 7,
			Choices: []llm.Choice{{FinishReason: llm.FinishToolCalls, Message: llm.Message{Role: llm.RoleAssistant, ContentNull: true,
				Reasoning: "a\n\nb", Thinking: []llm.ThinkingBlock{{Text: "a"}, {Text: "b"}, {Redacted: "E1"}, {Redacted: "E2"}},
				ToolCalls: []llm.ToolCall{{ID: "call_1", Name: "f", Arguments: `{"x":1}`}, {ID: "call_2", Name: "patch", Arguments: `{"input":"diff"}`},
					{Name: "crm__get", Arguments: `{}`}}}}},
			Usage: &llm.Usage{InputTokens: 100, CachedInputTokens: 40, OutputTokens: 30, ReasoningTokens: 20}},
			responseswire.Meta{ID: "resp_x", Model: "alias", Req: withTools},
			func(t *testing.T, o map[string]any) {
				out := arr(o["output"])
				if len(out) != 5 {
					t.Fatalf("output = %v", out)
				}
				r0, r1 := obj(out[0]), obj(out[1])
				if r0["type"] != "reasoning" || r0["encrypted_content"] != "E1" || len(arr(r0["summary"])) != 2 ||
					obj(arr(r0["summary"])[1])["text"] != "b" || obj(arr(r0["summary"])[0])["type"] != "summary_text" {
					t.Errorf("reasoning = %v", r0)
				}
				if r1["type"] != "reasoning" || r1["encrypted_content"] != "E2" || len(arr(r1["summary"])) != 0 || r0["id"] == r1["id"] {
					t.Errorf("second reasoning = %v", r1)
				}
				want := []any{
					map[string]any{"type": "function_call", "status": "completed", "arguments": `{"x":1}`, "call_id": "call_1", "name": "f"},
					map[string]any{"type": "custom_tool_call", "status": "completed", "input": "diff", "call_id": "call_2", "name": "patch"},
					map[string]any{"type": "function_call", "status": "completed", "arguments": `{}`, "name": "get", "namespace": "crm"},
				}
				for i, w := range want {
					g := obj(out[2+i])
					id, _ := g["id"].(string)
					prefix := map[string]string{"function_call": "fc_", "custom_tool_call": "ctc_"}[g["type"].(string)]
					if !strings.HasPrefix(id, prefix) {
						t.Errorf("item %d id = %q", i, id)
					}
					delete(g, "id")
					if i == 2 {
						if c, _ := g["call_id"].(string); !strings.HasPrefix(c, "call_") || len(c) != 29 {
							t.Errorf("generated call id = %q", c)
						}
						delete(g, "call_id")
					}
					if d := jsonDiff(w, g); len(d) > 0 {
						t.Errorf("item %d: %v", i, d)
					}
				}
				echo := map[string]any{"status": "completed", "model": "alias", "created_at": 7.0, "temperature": 0.5, "tool_choice": "required",
					"store": false, "user": "u", "metadata": map[string]any{"a": "b"}, "previous_response_id": "resp_0", "max_output_tokens": 50.0,
					"instructions": "sys", "service_tier": "default", "incomplete_details": nil, "error": nil,
					"reasoning": map[string]any{"effort": "low", "summary": "auto"},
					"text":      map[string]any{"format": map[string]any{"type": "text"}, "verbosity": "low"},
					"usage": map[string]any{"input_tokens": 100.0, "input_tokens_details": map[string]any{"cached_tokens": 40.0},
						"output_tokens": 30.0, "output_tokens_details": map[string]any{"reasoning_tokens": 20.0}, "total_tokens": 130.0}}
				if d := jsonSubset(echo, o); len(d) > 0 {
					t.Errorf("response object: %v", d)
				}
				if len(arr(o["tools"])) != 3 {
					t.Errorf("tools = %v", o["tools"])
				}
			}},
		{"signed thinking travels in encrypted_content", &llm.Response{Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant,
			Reasoning: "a", Thinking: signedThinking, Content: []llm.Part{llm.TextPart("hi")}}}}},
			responseswire.Meta{ID: "resp_t", Req: withTools},
			func(t *testing.T, o map[string]any) {
				out := arr(o["output"])
				r := obj(out[0])
				if len(out) != 2 || r["type"] != "reasoning" || len(arr(r["summary"])) != 1 {
					t.Fatalf("output = %v", out)
				}
				enc, _ := r["encrypted_content"].(string)
				if !strings.HasPrefix(enc, "sovereign.thinking.v1.") || strings.Contains(enc, "secret-sig") {
					t.Errorf("encrypted_content = %q", enc)
				}
				items, _ := json.Marshal(out)
				msgs, err := responseswire.ItemsToMessages(items)
				if err != nil || len(msgs) != 1 || !reflect.DeepEqual(msgs[0].Thinking, signedThinking) || msgs[0].Reasoning != "a" {
					t.Errorf("read back = %+v (%v)", msgs, err)
				}
			}},
		{"encrypted reasoning only when included", &llm.Response{Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant,
			Thinking: []llm.ThinkingBlock{{Redacted: "E"}}, Content: []llm.Part{llm.TextPart("hi")}}}}},
			responseswire.Meta{ID: "resp_y", Req: decode(t, `{"model":"m","input":"x"}`)},
			func(t *testing.T, o map[string]any) {
				if out := arr(o["output"]); len(out) != 1 || obj(out[0])["type"] != "message" {
					t.Errorf("output = %v", out)
				}
				if o["model"] != "m" {
					t.Errorf("model = %v, want the request's", o["model"])
				}
			}},
		{"cut short by length", &llm.Response{Choices: []llm.Choice{{FinishReason: llm.FinishLength,
			Message: llm.Message{Role: llm.RoleAssistant, Content: []llm.Part{llm.TextPart("Once upon")}}}}},
			responseswire.Meta{ID: "resp_z"},
			func(t *testing.T, o map[string]any) {
				m := obj(arr(o["output"])[0])
				if o["status"] != "incomplete" || obj(o["incomplete_details"])["reason"] != "max_output_tokens" || m["status"] != "incomplete" {
					t.Errorf("object = %v", o)
				}
				if o["usage"] != nil {
					t.Errorf("usage = %v, want null when unknown", o["usage"])
				}
			}},
		{"refusal", &llm.Response{Choices: []llm.Choice{{FinishReason: llm.FinishContentFilter,
			Message: llm.Message{Role: llm.RoleAssistant, Refusal: "I can't help with that."}}}},
			responseswire.Meta{ID: "resp_r"},
			func(t *testing.T, o map[string]any) {
				content := arr(obj(arr(o["output"])[0])["content"])
				if len(content) != 1 || obj(content[0])["type"] != "refusal" || obj(content[0])["refusal"] != "I can't help with that." {
					t.Errorf("content = %v", content)
				}
				if obj(o["incomplete_details"])["reason"] != "content_filter" {
					t.Errorf("incomplete_details = %v", o["incomplete_details"])
				}
			}},
		{"status given", &llm.Response{Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant}}}},
			responseswire.Meta{ID: "resp_s", Status: "cancelled"},
			func(t *testing.T, o map[string]any) {
				out := arr(o["output"])
				if o["status"] != "cancelled" || len(out) != 1 || obj(arr(obj(out[0])["content"])[0])["text"] != "" {
					t.Errorf("object = %v", o)
				}
			}},
		{"logprobs", &llm.Response{Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant, Content: []llm.Part{llm.TextPart("Hi")}},
			Logprobs: json.RawMessage(`{"content":[{"token":"Hi","logprob":-0.1,"bytes":[72,105],"top_logprobs":[]}],"refusal":null}`)}}},
			responseswire.Meta{ID: "resp_l"},
			func(t *testing.T, o map[string]any) {
				part := obj(arr(obj(arr(o["output"])[0])["content"])[0])
				if lp := arr(part["logprobs"]); len(lp) != 1 || obj(lp[0])["token"] != "Hi" {
					t.Errorf("part = %v", part)
				}
			}},
		{"no choices", &llm.Response{}, responseswire.Meta{ID: "resp_e"}, func(t *testing.T, o map[string]any) {
			if o["status"] != "completed" || len(arr(o["output"])) != 1 {
				t.Errorf("object = %v", o)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := responseswire.EncodeResponse(tt.resp, tt.meta)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), `\u003c`) {
				t.Errorf("HTML-escaped output: %s", b)
			}
			tt.check(t, obj(decodeAny(t, b)))
		})
	}
}
