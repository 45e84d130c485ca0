package openaiwire_test

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// normaliseChatResponse applies to a recorded chat.completion the changes that decoding and
// re-encoding it (after a stage cleared Raw) may make:
//
//   - a null member is dropped (null and absent mean the same);
//   - an empty "annotations" list is dropped (llm has no annotations; a non-empty list would
//     be lost and fails this test);
//   - usage fields without a place in llm.Usage are dropped (see unmodelledUsage).
func normaliseChatResponse(v any) any {
	v = dropNulls(v)
	for _, c := range arr(obj(v)["choices"]) {
		m := obj(obj(c)["message"])
		if a, ok := m["annotations"].([]any); ok && len(a) == 0 {
			delete(m, "annotations")
		}
	}
	unmodelledUsage(obj(obj(v)["usage"]))
	return v
}

func TestChatResponseRecorded(t *testing.T) {
	for _, name := range fixtures(t, "openai-chat/*.response.json") {
		t.Run(name, func(t *testing.T) {
			body := fixture(t, name)
			r, err := openaiwire.DecodeChatResponse(body)
			if fixtureMeta(t, name).Status != 200 {
				// An error envelope is not an empty answer.
				if err == nil {
					t.Fatalf("error body decoded as a response: %+v", r)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.RawFormat != llm.FormatOpenAIChat || !bytes.Equal(r.Raw, body) {
				t.Fatal("Raw does not hold the upstream body")
			}
			out, err := openaiwire.EncodeChatResponse(r)
			if err != nil || !bytes.Equal(out, body) {
				t.Fatalf("raw passthrough changed the body (err %v)", err)
			}

			// What the recording says, read independently of the code under test.
			rec := decodeAny(t, body)
			ch := obj(arr(obj(rec)["choices"])[0])
			if len(r.Choices) != 1 || r.Choices[0].FinishReason != ch["finish_reason"] || r.ID != obj(rec)["id"] {
				t.Errorf("decoded %+v", r)
			}
			u := obj(obj(rec)["usage"])
			if r.Usage == nil || float64(r.Usage.InputTokens) != u["prompt_tokens"] || float64(r.Usage.OutputTokens) != u["completion_tokens"] ||
				float64(r.Usage.TotalTokens) != u["total_tokens"] ||
				float64(r.Usage.ReasoningTokens) != obj(u["completion_tokens_details"])["reasoning_tokens"] {
				t.Errorf("usage = %+v, recorded %v", r.Usage, u)
			}

			r.Raw, r.RawFormat = nil, ""
			out, err = openaiwire.EncodeChatResponse(r)
			if err != nil {
				t.Fatal(err)
			}
			want := normaliseChatResponse(decodeAny(t, body))
			if d := jsonDiff(want, normaliseChatResponse(decodeAny(t, out))); len(d) > 0 {
				t.Errorf("re-encoded response differs from the recording:\n  %s", strings.Join(d, "\n  "))
			}
		})
	}
}

func TestChatResponseRecordedFields(t *testing.T) {
	decode := func(t *testing.T, name string) *llm.Response {
		t.Helper()
		r, err := openaiwire.DecodeChatResponse(fixture(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	t.Run("text", func(t *testing.T) {
		r := decode(t, "openai-chat/plain.response.json")
		m := r.Choices[0].Message
		if m.Role != llm.RoleAssistant || !strings.HasPrefix(m.Text(), "That's right—I am a potato!") || m.ContentNull {
			t.Errorf("message = %+v", m)
		}
		want := llm.Usage{InputTokens: 11, OutputTokens: 809, TotalTokens: 820, ReasoningTokens: 768}
		if *r.Usage != want || r.Model != "o3-mini-2025-01-31" || r.Created != 1744099208 || r.SystemFingerprint != "fp_617f206dd9" || r.ServiceTier != "default" {
			t.Errorf("response = %+v, usage %+v", r, *r.Usage)
		}
	})
	t.Run("tool call", func(t *testing.T) {
		r := decode(t, "openai-chat/tool_call_followup.response.json")
		c := r.Choices[0]
		want := []llm.ToolCall{{ID: "call_gmD2oUZUzSoCkmNmp3JPUF7R", Name: "final_result", Arguments: `{"city": "Mexico City", "country": "Mexico"}`}}
		if c.FinishReason != llm.FinishToolCalls || !c.Message.ContentNull || !reflect.DeepEqual(c.Message.ToolCalls, want) {
			t.Errorf("choice = %+v", c)
		}
	})
	t.Run("legacy function_call", func(t *testing.T) {
		// The answer to the legacy "functions" parameter: before the fix, decoding dropped the
		// call, and a re-encoded answer held nothing but finish_reason "function_call".
		r := decode(t, "openai-chat/tool_call_raw.response.json")
		c := r.Choices[0]
		want := []llm.ToolCall{{Name: "get_weather", Arguments: `{"location":"Boston"}`}}
		if c.FinishReason != llm.FinishFunctionCall || !reflect.DeepEqual(c.Message.ToolCalls, want) {
			t.Errorf("choice = %+v", c)
		}
	})
}

func TestEncodeChatResponse(t *testing.T) {
	tests := []struct {
		name string
		resp llm.Response
		want string
	}{
		{"text", llm.Response{ID: "x", Model: "m", Created: 1, Choices: []llm.Choice{{Message: llm.Message{Content: []llm.Part{llm.TextPart("hi")}}, FinishReason: "stop"}},
			Usage: &llm.Usage{InputTokens: 1, OutputTokens: 2}},
			`{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi","refusal":null},"logprobs":null,"finish_reason":"stop"}],` +
				`"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`},
		{"tool calls, content null", llm.Response{ID: "x", Choices: []llm.Choice{{Message: llm.Message{ContentNull: true, ToolCalls: []llm.ToolCall{{ID: "c", Name: "f", Arguments: "{}"}}}, FinishReason: "tool_calls"}}},
			`{"id":"x","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,` +
				`"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}]}`},
		{"refusal and reasoning", llm.Response{ID: "x", Choices: []llm.Choice{{Message: llm.Message{Refusal: "no", Reasoning: "because"}, FinishReason: "stop"}}},
			`{"id":"x","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":"","refusal":"no","reasoning_content":"because"},"logprobs":null,"finish_reason":"stop"}]}`},
		{"legacy function call", llm.Response{ID: "x", Choices: []llm.Choice{{Message: llm.Message{ContentNull: true, ToolCalls: []llm.ToolCall{{Name: "f", Arguments: "{}"}}}, FinishReason: "function_call"}}},
			`{"id":"x","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,` +
				`"function_call":{"name":"f","arguments":"{}"}},"logprobs":null,"finish_reason":"function_call"}]}`},
		{"raw in another format is not relayed", llm.Response{ID: "x", Raw: []byte(`{"message":{}}`), RawFormat: llm.FormatOllama},
			`{"id":"x","object":"chat.completion","created":0,"model":"","choices":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := openaiwire.EncodeChatResponse(&tt.resp)
			if err != nil {
				t.Fatal(err)
			}
			if d := jsonDiff(decodeAny(t, []byte(tt.want)), decodeAny(t, out)); len(d) > 0 {
				t.Errorf("body differs:\n  %s\ngot %s", strings.Join(d, "\n  "), out)
			}
		})
	}
}

func TestDecodeChatResponseErrors(t *testing.T) {
	for _, body := range []string{
		``, `not json`, `[]`, `{"object":"chat.completion.chunk","choices":[]}`, `{"object":"list"}`,
		`{"error":{"message":"boom","type":"server_error"}}`, `{"error":"model not loaded"}`,
		`{"choices":[{"message":{"content":5}}]}`,
	} {
		if r, err := openaiwire.DecodeChatResponse([]byte(body)); err == nil {
			t.Errorf("%s: decoded %+v, want an error", body, r)
		}
	}
	// "error": null is no error.
	if _, err := openaiwire.DecodeChatResponse([]byte(`{"id":"x","object":"chat.completion","choices":[],"error":null}`)); err != nil {
		t.Errorf("error null: %v", err)
	}
}

// streamPayloads reads the data payloads of a recorded SSE stream.
func streamPayloads(t testing.TB, name string) [][]byte {
	t.Helper()
	r := sse.NewReader(bytes.NewReader(fixture(t, name)))
	var out [][]byte
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev.Data)
	}
}

// normaliseChunk applies to a recorded chat.completion.chunk the changes that decoding and
// re-encoding it (after a stage touched it) may make:
//
//   - a null member is dropped (null and absent mean the same);
//   - OpenAI's "obfuscation" padding is dropped (it only hides the payload's length);
//   - usage fields without a place in llm.Usage are dropped (see unmodelledUsage);
//   - OpenRouter's "provider" and "native_finish_reason", and OpenAI's "moderation" results,
//     are dropped: llm.Chunk has no place for them, so a touched chunk loses them;
//   - a delta that only names the role gets "content": "" where it had null.
func normaliseChunk(v any) any {
	v = dropNulls(v)
	m := obj(v)
	delete(m, "obfuscation")
	delete(m, "provider")
	delete(m, "moderation")
	unmodelledUsage(obj(m["usage"]))
	for _, c := range arr(m["choices"]) {
		delete(obj(c), "native_finish_reason")
		d := obj(obj(c)["delta"])
		if _, ok := d["content"]; !ok && d["role"] != nil && d["tool_calls"] == nil {
			d["content"] = ""
		}
	}
	return v
}

// TestChunksRecorded replays every recorded OpenAI-format stream through NewChunk and
// EncodeChunk.
func TestChunksRecorded(t *testing.T) {
	names := append(fixtures(t, "openai-chat/*.response.sse"), fixtures(t, "openai-compatible/*.response.sse")...)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			payloads := streamPayloads(t, name)
			if len(payloads) < 3 || string(payloads[len(payloads)-1]) != "[DONE]" {
				t.Fatalf("recording has %d events and does not end in [DONE]", len(payloads))
			}
			var finishes []string
			var usage *llm.Usage
			for i, data := range payloads[:len(payloads)-1] {
				c, err := openaiwire.NewChunk(data)
				if err != nil {
					t.Fatalf("chunk %d: %v", i, err)
				}
				out, err := openaiwire.EncodeChunk(c)
				if err != nil || !bytes.Equal(out, data) {
					t.Fatalf("chunk %d: raw passthrough changed the payload (err %v)", i, err)
				}

				// What the recording says, read independently of the code under test.
				rec := obj(decodeAny(t, data))
				recFinish := ""
				for _, ch := range arr(rec["choices"]) {
					if fr, ok := obj(ch)["finish_reason"].(string); ok {
						recFinish = fr
					}
				}
				recUsage := obj(rec["usage"])
				if eager := recUsage != nil; c.Decoded != eager {
					t.Errorf("chunk %d: Decoded = %v, want %v (usage %v)", i, c.Decoded, eager, recUsage != nil)
				}
				if got := openaiwire.Finishes(data); got != (recFinish != "") {
					t.Errorf("chunk %d: Finishes = %v, recorded finish reason %q", i, got, recFinish)
				}
				if recFinish != "" {
					finishes = append(finishes, recFinish)
				}
				if c.Decoded {
					if got := finishOf(c); got != recFinish {
						t.Errorf("chunk %d: finish reason %q, recorded %q", i, got, recFinish)
					}
					if (c.Usage != nil) != (recUsage != nil) {
						t.Errorf("chunk %d: usage %+v, recorded %v", i, c.Usage, recUsage)
					} else if c.Usage != nil && (float64(c.Usage.InputTokens) != recUsage["prompt_tokens"] ||
						float64(c.Usage.OutputTokens) != recUsage["completion_tokens"] || float64(c.Usage.TotalTokens) != recUsage["total_tokens"]) {
						t.Errorf("chunk %d: usage %+v, recorded %v", i, *c.Usage, recUsage)
					}
					if c.Usage != nil {
						usage = c.Usage
					}
				}

				if err := c.Decode(); err != nil {
					t.Fatalf("chunk %d: Decode: %v", i, err)
				}
				if got := finishOf(c); got != recFinish {
					t.Errorf("chunk %d: finish reason %q, recorded %q", i, got, recFinish)
				}
				if c.ID != rec["id"] || c.Model != rec["model"] || float64(c.Created) != rec["created"] {
					t.Errorf("chunk %d: id %q model %q created %d", i, c.ID, c.Model, c.Created)
				}
				c.Touch()
				out, err = openaiwire.EncodeChunk(c)
				if err != nil {
					t.Fatalf("chunk %d: EncodeChunk: %v", i, err)
				}
				if d := jsonDiff(normaliseChunk(decodeAny(t, data)), normaliseChunk(decodeAny(t, out))); len(d) > 0 {
					t.Errorf("chunk %d: re-encoded chunk differs from the recording:\n  %s", i, strings.Join(d, "\n  "))
				}
				// Decoding the re-encoded chunk gives the same chunk.
				again, err := openaiwire.NewChunk(out)
				if err != nil {
					t.Fatal(err)
				}
				if err := again.Decode(); err != nil {
					t.Fatal(err)
				}
				if !sameChunk(c, again) {
					t.Errorf("chunk %d: decode(encode(c)) = %+v, want %+v", i, again, c)
				}
			}
			if len(finishes) != 1 || usage == nil {
				t.Errorf("finish reasons %q, usage %v: want one of each", finishes, usage)
			}
		})
	}
}

// TestChunksRecordedValues pins the finish reasons and usage of some recordings.
func TestChunksRecordedValues(t *testing.T) {
	tests := []struct {
		name   string
		finish string
		usage  llm.Usage
		text   string
		tools  []string
	}{
		{"openai-chat/stream_text_include_usage.response.sse", llm.FinishStop, llm.Usage{InputTokens: 78, OutputTokens: 9, TotalTokens: 87}, "The capital of the UK is London.", nil},
		{"openai-chat/stream_parallel_tool_calls.response.sse", llm.FinishToolCalls, llm.Usage{InputTokens: 364, OutputTokens: 40, TotalTokens: 404}, "",
			[]string{"get_country({})", "get_product_name({})"}},
		{"openai-chat/stream_tool_call_include_usage.response.sse", llm.FinishToolCalls, llm.Usage{InputTokens: 53, OutputTokens: 15, TotalTokens: 68}, "",
			[]string{`get_capital({"country":"UK"})`}},
		{"openai-compatible/openrouter_stream_include_usage.response.sse", llm.FinishStop, llm.Usage{InputTokens: 586, OutputTokens: 3, TotalTokens: 589}, "test response", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var text strings.Builder
			calls := map[int]*strings.Builder{}
			var names []string
			var finish string
			var usage *llm.Usage
			for _, data := range streamPayloads(t, tt.name) {
				if string(data) == "[DONE]" {
					break
				}
				c, err := openaiwire.NewChunk(data)
				if err != nil {
					t.Fatal(err)
				}
				if c.Decoded && c.Usage != nil {
					usage = c.Usage
				}
				if err := c.Decode(); err != nil {
					t.Fatal(err)
				}
				if f := finishOf(c); f != "" {
					finish = f
				}
				for _, ch := range c.Choices {
					text.WriteString(ch.Delta.Content)
					for _, tc := range ch.Delta.ToolCalls {
						if tc.Name != "" {
							calls[tc.Index] = &strings.Builder{}
							names = append(names, tc.Name)
						}
						calls[tc.Index].WriteString(tc.Arguments)
					}
				}
			}
			var tools []string
			for i, n := range names {
				tools = append(tools, n+"("+calls[i].String()+")")
			}
			if finish != tt.finish || usage == nil || *usage != tt.usage || text.String() != tt.text || !reflect.DeepEqual(tools, tt.tools) {
				t.Errorf("finish %q usage %+v text %q tools %q", finish, usage, text.String(), tools)
			}
		})
	}
}

func finishOf(c *llm.Chunk) string {
	for _, ch := range c.Choices {
		if ch.FinishReason != "" {
			return ch.FinishReason
		}
	}
	return ""
}

// sameChunk compares the decoded fields of two chunks; raw logprobs compare as JSON.
func sameChunk(a, b *llm.Chunk) bool {
	if a.ID != b.ID || a.Model != b.Model || a.Created != b.Created || a.SystemFingerprint != b.SystemFingerprint ||
		a.ServiceTier != b.ServiceTier || !reflect.DeepEqual(a.Usage, b.Usage) || len(a.Choices) != len(b.Choices) {
		return false
	}
	for i := range a.Choices {
		x, y := a.Choices[i], b.Choices[i]
		if x.Index != y.Index || x.FinishReason != y.FinishReason || !reflect.DeepEqual(x.Delta, y.Delta) || !sameJSON(x.Logprobs, y.Logprobs) {
			return false
		}
	}
	return true
}

func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func TestNewChunk(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		decoded bool // decoded at once
		finish  string
		usage   *llm.Usage
		err     bool
	}{
		{"token", `{"id":"a","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"usage":null}`, false, "", nil, false},
		// Some servers send an empty finish reason on every chunk: it does not end the answer.
		{"empty finish reason", `{"id":"a","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":""}]}`, false, "", nil, false},
		{"finish reason", `{"id":"a","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`, false, "stop", nil, false},
		// Servers written in Python put spaces after colons; a missed finish reason made the
		// stream look cut off when it ended without [DONE].
		{"finish reason with spaces", `{"id": "a", "choices": [{"index": 0, "delta": {}, "finish_reason" : "length"}]}`, false, "length", nil, false},
		{"finish reason after a line break", "{\"choices\":[{\"finish_reason\":\n\t\"stop\"}]}", false, "stop", nil, false},
		{"usage", `{"id":"a","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`, true, "", &llm.Usage{InputTokens: 3, OutputTokens: 4, TotalTokens: 7}, false},
		{"usage with spaces", `{"id": "a", "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}}`, true, "", &llm.Usage{InputTokens: 3, OutputTokens: 4, TotalTokens: 7}, false},
		{"usage null", `{"id":"a","choices":[],"usage": null}`, false, "", nil, false},
		{"the word in content", `{"id":"a","choices":[{"index":0,"delta":{"content":"\"finish_reason\":\"x\""}}]}`, false, "", nil, false},
		{"error member", `{"error":{"message":"boom"}}`, true, "", nil, false},
		{"not JSON", `{"id":`, false, "", nil, true},
		{"not JSON with finish reason", `{"choices":[{"finish_reason":"stop"`, false, "", nil, true},
		{"a number", `42`, false, "", nil, true},
		{"an array", `[{"choices":[]}]`, false, "", nil, true},
		{"null", `null`, false, "", nil, true},
		{"empty", ``, false, "", nil, true},
		{"wrong type in an eager chunk", `{"choices":[],"usage":{"prompt_tokens":"3"}}`, false, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := openaiwire.NewChunk([]byte(tt.data))
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			if err != nil {
				return
			}
			if c.Decoded != tt.decoded {
				t.Errorf("Decoded = %v, want %v", c.Decoded, tt.decoded)
			}
			if err := c.Decode(); err != nil {
				t.Fatal(err)
			}
			if finishOf(c) != tt.finish || !reflect.DeepEqual(c.Usage, tt.usage) {
				t.Errorf("finish %q usage %+v, want %q %+v", finishOf(c), c.Usage, tt.finish, tt.usage)
			}
			if got := openaiwire.Finishes([]byte(tt.data)); got != (tt.finish != "") {
				t.Errorf("Finishes = %v, want %v", got, tt.finish != "")
			}
		})
	}
}

func TestEncodeChunk(t *testing.T) {
	tests := []struct {
		name  string
		chunk llm.Chunk
		want  string
	}{
		{"role delta has empty content", llm.Chunk{ID: "a", Choices: []llm.ChunkChoice{{Delta: llm.Delta{Role: "assistant"}}}},
			`{"id":"a","object":"chat.completion.chunk","created":0,"model":"","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`},
		{"tool call start", llm.Chunk{ID: "a", Choices: []llm.ChunkChoice{{Delta: llm.Delta{Role: "assistant", ToolCalls: []llm.ToolCallDelta{{Index: 1, ID: "c", Name: "f"}}}}}},
			`{"id":"a","object":"chat.completion.chunk","created":0,"model":"","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":1,"id":"c","type":"function","function":{"name":"f","arguments":""}}]},"finish_reason":null}]}`},
		{"tool call arguments", llm.Chunk{ID: "a", Choices: []llm.ChunkChoice{{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 1, Arguments: "{}"}}}}}},
			`{"id":"a","object":"chat.completion.chunk","created":0,"model":"","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]},"finish_reason":null}]}`},
		{"finish and usage", llm.Chunk{ID: "a", Choices: []llm.ChunkChoice{{FinishReason: "stop"}}, Usage: &llm.Usage{InputTokens: 1, OutputTokens: 1, CachedInputTokens: 1}},
			`{"id":"a","object":"chat.completion.chunk","created":0,"model":"","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],` +
				`"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2,"prompt_tokens_details":{"cached_tokens":1},"completion_tokens_details":{"reasoning_tokens":0}}}`},
		{"reasoning", llm.Chunk{ID: "a", Choices: []llm.ChunkChoice{{Delta: llm.Delta{Reasoning: "hm", Refusal: "no"}}}},
			`{"id":"a","object":"chat.completion.chunk","created":0,"model":"","choices":[{"index":0,"delta":{"reasoning_content":"hm","refusal":"no"},"finish_reason":null}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := openaiwire.EncodeChunk(&tt.chunk)
			if err != nil {
				t.Fatal(err)
			}
			if d := jsonDiff(decodeAny(t, []byte(tt.want)), decodeAny(t, out)); len(d) > 0 {
				t.Errorf("chunk differs:\n  %s\ngot %s", strings.Join(d, "\n  "), out)
			}
		})
	}
	// A legacy function_call delta decodes as a tool call delta.
	c, err := openaiwire.NewChunk([]byte(`{"id":"a","choices":[{"index":0,"delta":{"role":"assistant","content":null,"function_call":{"name":"get_weather","arguments":""}},"finish_reason":null}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Decode(); err != nil {
		t.Fatal(err)
	}
	if tcs := c.Choices[0].Delta.ToolCalls; len(tcs) != 1 || tcs[0] != (llm.ToolCallDelta{Name: "get_weather"}) {
		t.Errorf("tool calls = %+v", tcs)
	}
}

// FuzzNewChunk: no payload makes NewChunk panic; an accepted payload is relayed untouched;
// a chunk with usage is decoded at once (the ledger depends on it), one with a finish reason is
// seen by Finishes (the stream's end depends on it); and a decoded chunk survives encoding and decoding again.
func FuzzNewChunk(f *testing.F) {
	for _, s := range []string{
		`{"id":"a","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}`,
		`{"id": "a", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 1}}`,
		`{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":"{"}}]}}]}`,
		`{"error":{"message":"x"}}`, `[DONE]`, `{}`, `null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := openaiwire.NewChunk(data)
		if err != nil {
			return
		}
		if out, err := openaiwire.EncodeChunk(c); err != nil || !bytes.Equal(out, data) {
			t.Fatalf("raw passthrough changed the payload (err %v)", err)
		}
		eager := c.Decoded
		if err := c.Decode(); err != nil {
			return // malformed chunks fail when decoded; that is allowed
		}
		// A chunk whose "usage" is an object must have been decoded at once, and one whose
		// "finish_reason" is a string must be seen by Finishes. Member names are read exactly as written: encoding/json also
		// takes "USAGE" or "finish\u005freason" for them, which no real server sends and
		// the quick filter does not catch.
		// Numbers stay text: a chunk may carry one beyond float64's range in a member that
		// nobody reads.
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("accepted chunk is not JSON: %v", err)
		}
		finish := ""
		for _, ch := range arr(obj(v)["choices"]) {
			if fr, ok := obj(ch)["finish_reason"].(string); ok && fr != "" {
				finish = fr
			}
		}
		if !eager && !bytes.Contains(data, []byte(`\`)) && obj(obj(v)["usage"]) != nil {
			t.Fatalf("chunk with usage %v was not decoded at once", obj(v)["usage"])
		}
		if finish != "" && !bytes.Contains(data, []byte(`\`)) && !openaiwire.Finishes(data) {
			t.Fatalf("chunk with finish reason %q: Finishes says no", finish)
		}
		c.Touch()
		out, err := openaiwire.EncodeChunk(c)
		if err != nil {
			t.Fatalf("EncodeChunk of a decoded chunk: %v", err)
		}
		again, err := openaiwire.NewChunk(out)
		if err != nil {
			t.Fatalf("re-encoded chunk refused: %v\n%s", err, out)
		}
		if err := again.Decode(); err != nil {
			t.Fatalf("re-encoded chunk does not decode: %v\n%s", err, out)
		}
		if !sameChunk(c, again) {
			t.Fatalf("decode(encode(c)) differs:\n%+v\n%+v\n%s", c, again, out)
		}
	})
}
