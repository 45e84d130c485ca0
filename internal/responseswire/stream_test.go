package responseswire_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
	"github.com/sovereign-gateway/sovereign/internal/responseswire"
)

// chunksOf turns a recorded Responses stream into the canonical chunks an upstream adapter
// would give for the same answer, and returns the Meta of the recorded response.
func chunksOf(t *testing.T, events []sseEvent) ([]*llm.Chunk, responseswire.Meta) {
	t.Helper()
	var chunks []*llm.Chunk
	var m responseswire.Meta
	delta := func(d llm.Delta) {
		chunks = append(chunks, &llm.Chunk{Decoded: true, Choices: []llm.ChunkChoice{{Delta: d}}})
	}
	calls := map[string]int{} // item id → tool call index
	for _, ev := range events {
		j := ev.JSON
		item := obj(j["item"])
		switch j["type"] {
		case "response.created":
			r := obj(j["response"])
			m = responseswire.Meta{ID: r["id"].(string), CreatedAt: int64(r["created_at"].(float64)), Model: r["model"].(string)}
		case "response.output_item.added":
			if item["type"] == "function_call" {
				calls[item["id"].(string)] = len(calls)
				delta(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: calls[item["id"].(string)], ID: item["call_id"].(string), Name: item["name"].(string)}}})
			}
		case "response.output_item.done":
			if enc, ok := item["encrypted_content"].(string); ok && item["type"] == "reasoning" {
				delta(llm.Delta{RedactedThinking: enc})
			}
		case "response.function_call_arguments.delta":
			delta(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: calls[j["item_id"].(string)], Arguments: j["delta"].(string)}}})
		case "response.output_text.delta":
			delta(llm.Delta{Content: j["delta"].(string)})
		case "response.reasoning_summary_text.delta":
			delta(llm.Delta{Reasoning: j["delta"].(string)})
		case "response.completed":
			r := obj(j["response"])
			u := obj(r["usage"])
			finish := llm.FinishStop
			if len(calls) > 0 {
				finish = llm.FinishToolCalls
			}
			chunks = append(chunks, &llm.Chunk{Decoded: true, Choices: []llm.ChunkChoice{{FinishReason: finish}},
				Usage: &llm.Usage{InputTokens: int(u["input_tokens"].(float64)), OutputTokens: int(u["output_tokens"].(float64)),
					TotalTokens:       int(u["total_tokens"].(float64)),
					CachedInputTokens: int(obj(u["input_tokens_details"])["cached_tokens"].(float64)),
					ReasoningTokens:   int(obj(u["output_tokens_details"])["reasoning_tokens"].(float64))}})
		}
	}
	return chunks, m
}

// normaliseEvent removes from a stream event what legitimately differs between OpenAI and the
// gateway: item ids (the gateway makes its own), the encrypted reasoning (OpenAI re-encrypts
// it in every event), OpenAI's obfuscation padding, and the echoed tools (OpenAI writes an
// empty description as null; the gateway echoes the request as sent).
func normaliseEvent(j map[string]any) {
	delete(j, "item_id")
	delete(j, "obfuscation")
	item := func(it map[string]any) {
		delete(it, "id")
		if _, ok := it["encrypted_content"]; ok {
			it["encrypted_content"] = "(encrypted)"
		}
	}
	if it := obj(j["item"]); it != nil {
		item(it)
	}
	if r := obj(j["response"]); r != nil {
		for _, o := range arr(r["output"]) {
			item(obj(o))
		}
		var names []string
		for _, tl := range arr(r["tools"]) {
			names = append(names, fmt.Sprint(obj(tl)["name"]))
		}
		r["tools"] = names
		if rs := obj(r["reasoning"]); rs != nil {
			if _, old := rs["generate_summary"]; old {
				delete(r, "reasoning") // the API's older name for summary
			}
		}
	}
}

// TestStreamRecorded feeds the canonical chunks of each recorded Responses stream to a
// StreamEncoder and compares its events with the recording: the same events in the same
// order, each holding every member of the recorded one with the same value (newer members,
// such as sequence_number in the older recordings, may be added).
func TestStreamRecorded(t *testing.T) {
	for _, name := range fixtures(t, "openai-responses/stream_*.response.sse") {
		t.Run(name, func(t *testing.T) {
			rec, _ := readEvents(t, bytes.NewReader(fixture(t, name)))
			req, err := responseswire.DecodeRequest(fixture(t, strings.TrimSuffix(name, ".response.sse")+".request.json"))
			if err != nil {
				t.Fatal(err)
			}
			chunks, m := chunksOf(t, rec)
			m.Req = req
			w, out := recorder()
			enc := responseswire.NewStreamEncoder(m)
			if err := enc.Start(w); err != nil {
				t.Fatal(err)
			}
			for _, c := range chunks {
				if err := enc.Chunk(w, c); err != nil {
					t.Fatal(err)
				}
			}
			resp, final, err := enc.Finish(w, "")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := readEvents(t, out.Body)
			var recTypes, gotTypes []string
			for _, e := range rec {
				recTypes = append(recTypes, e.Name)
			}
			for i, e := range got {
				gotTypes = append(gotTypes, e.Name)
				if e.JSON["type"] != e.Name || e.JSON["sequence_number"] != float64(i) {
					t.Errorf("event %d: type %v, sequence_number %v", i, e.JSON["type"], e.JSON["sequence_number"])
				}
			}
			if !reflect.DeepEqual(recTypes, gotTypes) {
				t.Fatalf("events =\n%v\nwant\n%v", gotTypes, recTypes)
			}
			for i := range rec {
				r, g := rec[i].JSON, got[i].JSON
				normaliseEvent(r)
				normaliseEvent(g)
				if d := jsonSubset(r, g); len(d) > 0 {
					t.Errorf("event %d (%s):\n  %s\ngot %s", i, rec[i].Name, strings.Join(d, "\n  "), got[i].Data)
				}
			}
			// The last event carries the final object, which Finish also returns, and the
			// encoder's output items are that object's.
			var last struct {
				Response json.RawMessage `json:"response"`
			}
			_ = json.Unmarshal(got[len(got)-1].Data, &last)
			if !bytes.Equal(last.Response, final) {
				t.Errorf("Finish returned another object than it sent:\n%s\n%s", final, last.Response)
			}
			if !strings.Contains(string(final), `"output":`+string(enc.OutputItems())+`,`) {
				t.Errorf("OutputItems = %s", enc.OutputItems())
			}
			if resp.ID != m.ID || resp.Usage == nil || len(resp.Choices) != 1 {
				t.Errorf("assembled response = %+v", resp)
			}
		})
	}
}

// streamRun feeds chunks to a new encoder and returns the events, the Finish results and the
// number of comments.
func streamRun(t *testing.T, m responseswire.Meta, comment string, chunks ...*llm.Chunk) ([]sseEvent, *llm.Response, []byte, int, *responseswire.StreamEncoder) {
	t.Helper()
	w, out := recorder()
	enc := responseswire.NewStreamEncoder(m)
	for _, c := range chunks {
		if err := enc.Chunk(w, c); err != nil {
			t.Fatal(err)
		}
	}
	resp, final, err := enc.Finish(w, comment)
	if err != nil {
		t.Fatal(err)
	}
	evs, comments := readEvents(t, out.Body)
	return evs, resp, final, comments, enc
}

func dc(d llm.Delta) *llm.Chunk {
	return &llm.Chunk{Decoded: true, Choices: []llm.ChunkChoice{{Delta: d}}}
}

func types(evs []sseEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Name)
	}
	return out
}

func TestStream(t *testing.T) {
	req := decode(t, `{"model":"m","input":"x","stream":true,"include":["reasoning.encrypted_content"],
		"tools":[{"type":"function","name":"f"},{"type":"custom","name":"patch"},{"type":"namespace","name":"crm","description":"","tools":[{"type":"function","name":"get"}]}]}`)
	m := responseswire.Meta{ID: "resp_stream", CreatedAt: 100, Model: "m", Req: req}
	chunks := []*llm.Chunk{
		dc(llm.Delta{Role: llm.RoleAssistant}),
		dc(llm.Delta{Reasoning: "Let me "}),
		dc(llm.Delta{Reasoning: "think."}),
		dc(llm.Delta{ReasoningSignature: "sig1"}),
		dc(llm.Delta{Reasoning: "Again."}),
		dc(llm.Delta{RedactedThinking: "ENC"}),
		dc(llm.Delta{Content: "Hello"}),
		dc(llm.Delta{Content: " <world> & co"}),
		dc(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: "call_a", Name: "f", Arguments: `{"a"`}}}),
		dc(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, Arguments: `:1}`}}}),
		dc(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 1, ID: "call_b", Name: "patch", Arguments: `{"inp`}}}),
		dc(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 1, Arguments: `ut":"*** Begin\n"}`}}}),
		dc(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 2, Name: "crm__get", Arguments: `{}`}}}),
		{Decoded: true, Choices: []llm.ChunkChoice{{FinishReason: llm.FinishToolCalls}}},
		{Decoded: true, Usage: &llm.Usage{InputTokens: 10, OutputTokens: 20, ReasoningTokens: 5, TotalTokens: 30}},
	}
	evs, resp, final, comments, enc := streamRun(t, m, "sovereign: done", chunks...)
	want := []string{
		"response.created", "response.in_progress",
		"response.output_item.added", // reasoning
		"response.reasoning_summary_part.added", "response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta",
		"response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
		"response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
		"response.reasoning_summary_text.done", "response.reasoning_summary_part.done",
		"response.output_item.done",
		"response.output_item.added", // message
		"response.content_part.added", "response.output_text.delta", "response.output_text.delta",
		"response.output_text.done", "response.content_part.done", "response.output_item.done",
		"response.output_item.added", // function call
		"response.function_call_arguments.delta", "response.function_call_arguments.delta",
		"response.function_call_arguments.done", "response.output_item.done",
		"response.output_item.added", // custom tool call
		"response.custom_tool_call_input.delta", "response.custom_tool_call_input.done", "response.output_item.done",
		"response.output_item.added", // namespaced function call
		"response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
		"response.completed",
	}
	if got := types(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("events =\n%v\nwant\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if comments != 1 {
		t.Errorf("comments = %d, want 1", comments)
	}
	for i, e := range evs {
		if e.JSON["sequence_number"] != float64(i) {
			t.Errorf("event %d has sequence_number %v", i, e.JSON["sequence_number"])
		}
	}
	// Ids and indexes hold together.
	ids := map[float64]string{}
	for _, e := range evs {
		idx, ok := e.JSON["output_index"].(float64)
		if !ok {
			continue
		}
		id, _ := e.JSON["item_id"].(string)
		if it := obj(e.JSON["item"]); it != nil {
			id = it["id"].(string)
		}
		if ids[idx] == "" {
			ids[idx] = id
		} else if ids[idx] != id {
			t.Errorf("output_index %v has items %q and %q", idx, ids[idx], id)
		}
	}
	if len(ids) != 5 {
		t.Errorf("items = %v", ids)
	}
	if d := evs[14].JSON; d["content_index"] != 0.0 || obj(d["part"])["type"] != "output_text" {
		t.Errorf("content_part.added = %s", evs[14].Data)
	}
	if d := evs[16].JSON; d["delta"] != " <world> & co" || arr(d["logprobs"]) == nil || !bytes.Contains(evs[16].Data, []byte("<world> &")) {
		t.Errorf("output_text.delta = %s", evs[16].Data)
	}
	if d := evs[17].JSON; d["text"] != "Hello <world> & co" {
		t.Errorf("output_text.done = %s", evs[17].Data)
	}
	if d := evs[26].JSON; d["delta"] != "*** Begin\n" {
		t.Errorf("custom_tool_call_input.delta = %s", evs[26].Data)
	}
	// The signed thinking blocks travel in encrypted_content, and come back from it.
	if it := obj(evs[12].JSON["item"]); !strings.HasPrefix(it["encrypted_content"].(string), "sovereign.thinking.v1.") || len(arr(it["summary"])) != 2 {
		t.Errorf("reasoning item = %s", evs[12].Data)
	}
	back, err := responseswire.ItemsToMessages(enc.OutputItems())
	if err != nil || len(back) != 1 || !reflect.DeepEqual(back[0].Thinking, []llm.ThinkingBlock{{Text: "Let me think.", Signature: "sig1"}, {Text: "Again."}, {Redacted: "ENC"}}) {
		t.Errorf("items read back = %+v (%v)", back, err)
	}
	if it := obj(evs[29].JSON["item"]); it["name"] != "get" || it["namespace"] != "crm" || !strings.HasPrefix(it["call_id"].(string), "call_") {
		t.Errorf("namespaced call = %s", evs[29].Data)
	}
	// The assembled answer.
	msg := resp.Choices[0].Message
	wantMsg := llm.Message{Role: llm.RoleAssistant, Content: []llm.Part{llm.TextPart("Hello <world> & co")},
		Reasoning: "Let me think.\n\nAgain.",
		Thinking:  []llm.ThinkingBlock{{Text: "Let me think.", Signature: "sig1"}, {Text: "Again."}, {Redacted: "ENC"}},
		ToolCalls: []llm.ToolCall{{ID: "call_a", Name: "f", Arguments: `{"a":1}`}, {ID: "call_b", Name: "patch", Arguments: `{"input":"*** Begin\n"}`},
			{ID: msg.ToolCalls[2].ID, Name: "crm__get", Arguments: `{}`}}}
	if !reflect.DeepEqual(msg, wantMsg) || resp.Choices[0].FinishReason != llm.FinishToolCalls || resp.Usage.TotalTokens != 30 ||
		resp.ID != "resp_stream" || resp.Model != "m" || resp.Created != 100 {
		t.Errorf("response = %+v\nmessage %+v\nwant    %+v", resp, msg, wantMsg)
	}
	// The final object is the one EncodeResponse gives for the assembled answer.
	b, err := responseswire.EncodeResponse(resp, m)
	if err != nil {
		t.Fatal(err)
	}
	if d := jsonDiff(decodeAny(t, b), decodeAny(t, final)); len(d) > 0 {
		t.Errorf("final object differs from EncodeResponse's:\n  %s", strings.Join(d, "\n  "))
	}
	stored, _ := responseswire.OutputItems(resp, m)
	if d := jsonDiff(decodeAny(t, stored), decodeAny(t, enc.OutputItems())); len(d) > 0 {
		t.Errorf("output items differ: %v", d)
	}
}

func TestStreamCases(t *testing.T) {
	tests := []struct {
		name   string
		meta   responseswire.Meta
		chunks []*llm.Chunk
		want   []string
		check  func(t *testing.T, evs []sseEvent, resp *llm.Response, final map[string]any)
	}{
		{"empty answer", responseswire.Meta{ID: "resp_1"}, []*llm.Chunk{{Decoded: true, Choices: []llm.ChunkChoice{{FinishReason: llm.FinishStop}}}},
			[]string{"response.created", "response.in_progress", "response.completed"},
			func(t *testing.T, evs []sseEvent, resp *llm.Response, final map[string]any) {
				if final["status"] != "completed" || len(arr(final["output"])) != 0 {
					t.Errorf("final = %v", final)
				}
			}},
		{"cut short", responseswire.Meta{ID: "resp_2"}, []*llm.Chunk{dc(llm.Delta{Content: "Once"}),
			{Decoded: true, Choices: []llm.ChunkChoice{{FinishReason: llm.FinishLength}}}},
			[]string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
				"response.output_text.delta", "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.incomplete"},
			func(t *testing.T, evs []sseEvent, resp *llm.Response, final map[string]any) {
				if final["status"] != "incomplete" || obj(final["incomplete_details"])["reason"] != "max_output_tokens" ||
					obj(arr(final["output"])[0])["status"] != "incomplete" || obj(evs[7].JSON["item"])["status"] != "incomplete" {
					t.Errorf("final = %v", final)
				}
			}},
		{"refusal", responseswire.Meta{ID: "resp_3"}, []*llm.Chunk{dc(llm.Delta{Refusal: "No"}), dc(llm.Delta{Refusal: "pe"})},
			[]string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
				"response.refusal.delta", "response.refusal.delta", "response.refusal.done", "response.content_part.done", "response.output_item.done", "response.completed"},
			func(t *testing.T, evs []sseEvent, resp *llm.Response, final map[string]any) {
				if evs[6].JSON["refusal"] != "Nope" || resp.Choices[0].Message.Refusal != "Nope" {
					t.Errorf("refusal.done = %s", evs[6].Data)
				}
			}},
		{"encrypted reasoning not included", responseswire.Meta{ID: "resp_4", Req: decode(t, `{"model":"m","input":"x"}`)},
			[]*llm.Chunk{dc(llm.Delta{RedactedThinking: "E"}), dc(llm.Delta{Content: "a"})},
			[]string{"response.created", "response.in_progress", "response.output_item.added", "response.output_item.done",
				"response.output_item.added", "response.content_part.added", "response.output_text.delta",
				"response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"},
			func(t *testing.T, evs []sseEvent, resp *llm.Response, final map[string]any) {
				if bytes.Contains(evs[3].Data, []byte("encrypted_content")) {
					t.Errorf("encrypted content sent unasked: %s", evs[3].Data)
				}
				if resp.Choices[0].Message.Thinking[0].Redacted != "E" {
					t.Errorf("assembled answer lost the encrypted block: %+v", resp.Choices[0].Message)
				}
			}},
		{"interleaved signed thinking", responseswire.Meta{ID: "resp_i", Req: decode(t, `{"model":"m","input":"x","include":["reasoning.encrypted_content"],"tools":[{"type":"function","name":"f"}]}`)},
			[]*llm.Chunk{dc(llm.Delta{Reasoning: "a"}), dc(llm.Delta{ReasoningSignature: "s1"}), dc(llm.Delta{Content: "x"}),
				dc(llm.Delta{ToolCalls: []llm.ToolCallDelta{{ID: "c", Name: "f", Arguments: "{}"}}}),
				dc(llm.Delta{Reasoning: "b"}), dc(llm.Delta{ReasoningSignature: "s2"}), dc(llm.Delta{Content: "y"})},
			[]string{"response.created", "response.in_progress",
				"response.output_item.added", "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
				"response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
				"response.output_item.added", "response.content_part.added", "response.output_text.delta",
				"response.output_text.done", "response.content_part.done", "response.output_item.done",
				"response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
				"response.output_item.added", "response.reasoning_summary_part.added", "response.reasoning_summary_text.delta",
				"response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
				"response.output_item.added", "response.content_part.added", "response.output_text.delta",
				"response.output_text.done", "response.content_part.done", "response.output_item.done",
				"response.completed"},
			func(t *testing.T, evs []sseEvent, resp *llm.Response, final map[string]any) {
				if th := resp.Choices[0].Message.Thinking; !reflect.DeepEqual(th, []llm.ThinkingBlock{{Text: "a", Signature: "s1"}, {Text: "b", Signature: "s2"}}) {
					t.Errorf("thinking = %+v", th)
				}
				items, _ := json.Marshal(final["output"])
				msgs, err := responseswire.ItemsToMessages(items)
				want := []llm.Message{
					{Role: llm.RoleAssistant, Reasoning: "a", Thinking: []llm.ThinkingBlock{{Text: "a", Signature: "s1"}}, Content: []llm.Part{llm.TextPart("x")},
						ToolCalls: []llm.ToolCall{{ID: "c", Name: "f", Arguments: "{}"}}},
					{Role: llm.RoleAssistant, Reasoning: "b", Thinking: []llm.ThinkingBlock{{Text: "b", Signature: "s2"}}, Content: []llm.Part{llm.TextPart("y")}},
				}
				if err != nil || !reflect.DeepEqual(msgs, want) {
					t.Errorf("read back =\n%+v\nwant\n%+v (%v)", msgs, want, err)
				}
			}},
		{"unsigned encrypted blocks each get an item", responseswire.Meta{ID: "resp_u", Req: decode(t, `{"model":"m","input":"x","include":["reasoning.encrypted_content"]}`)},
			[]*llm.Chunk{dc(llm.Delta{RedactedThinking: "E1"}), dc(llm.Delta{RedactedThinking: "E2"})},
			[]string{"response.created", "response.in_progress", "response.output_item.added", "response.output_item.done",
				"response.output_item.added", "response.output_item.done", "response.completed"},
			func(t *testing.T, evs []sseEvent, resp *llm.Response, final map[string]any) {
				out := arr(final["output"])
				if len(out) != 2 || obj(out[0])["encrypted_content"] != "E1" || obj(out[1])["encrypted_content"] != "E2" ||
					obj(evs[2].JSON["item"])["encrypted_content"] != "E1" {
					t.Errorf("output = %v", out)
				}
			}},
		{"an index reused after its call ended", responseswire.Meta{ID: "resp_7"}, []*llm.Chunk{
			dc(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Name: "f", Arguments: `{"n":1}`}}}), dc(llm.Delta{Content: "and"}),
			dc(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Name: "f", Arguments: `{"n":2}`}}})},
			[]string{"response.created", "response.in_progress",
				"response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
				"response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.done", "response.content_part.done", "response.output_item.done",
				"response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
				"response.completed"},
			func(t *testing.T, evs []sseEvent, resp *llm.Response, final map[string]any) {
				tc := resp.Choices[0].Message.ToolCalls
				if len(tc) != 2 || tc[0].Arguments != `{"n":1}` || tc[1].Arguments != `{"n":2}` || tc[0].ID == tc[1].ID {
					t.Errorf("tool calls = %+v", tc)
				}
			}},
		{"parallel calls in one chunk", responseswire.Meta{ID: "resp_5"}, []*llm.Chunk{dc(llm.Delta{ToolCalls: []llm.ToolCallDelta{
			{Index: 0, ID: "a", Name: "f", Arguments: "{}"}, {Index: 1, ID: "b", Name: "g", Arguments: "{}"}}})},
			[]string{"response.created", "response.in_progress",
				"response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
				"response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
				"response.completed"},
			func(t *testing.T, evs []sseEvent, resp *llm.Response, final map[string]any) {
				if len(resp.Choices[0].Message.ToolCalls) != 2 || len(arr(final["output"])) != 2 {
					t.Errorf("response = %+v", resp)
				}
			}},
		{"raw OpenAI chunks", responseswire.Meta{ID: "resp_6"}, []*llm.Chunk{
			rawChunk(t, `{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"logprobs":{"content":[{"token":"Hi","logprob":-0.5,"bytes":[72,105],"top_logprobs":[]}]},"finish_reason":null}]}`),
			rawChunk(t, `{"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt","service_tier":"default","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}`)},
			[]string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta",
				"response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"},
			func(t *testing.T, evs []sseEvent, resp *llm.Response, final map[string]any) {
				if lp := arr(evs[4].JSON["logprobs"]); len(lp) != 1 || obj(lp[0])["token"] != "Hi" {
					t.Errorf("delta = %s", evs[4].Data)
				}
				if lp := arr(evs[5].JSON["logprobs"]); len(lp) != 1 {
					t.Errorf("done = %s", evs[5].Data)
				}
				if u := obj(final["usage"]); u["input_tokens"] != 3.0 || u["total_tokens"] != 4.0 || final["model"] != "gpt" {
					t.Errorf("final = %v", final)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs, resp, final, _, _ := streamRun(t, tt.meta, "", tt.chunks...)
			if got := types(evs); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("events =\n%v\nwant\n%v", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			tt.check(t, evs, resp, obj(decodeAny(t, final)))
		})
	}
}

func rawChunk(t *testing.T, s string) *llm.Chunk {
	t.Helper()
	c, err := openaiwire.NewChunk([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStreamFail(t *testing.T) {
	w, out := recorder()
	enc := responseswire.NewStreamEncoder(responseswire.Meta{ID: "resp_f", Model: "m"})
	if err := enc.Chunk(w, dc(llm.Delta{Content: "partial"})); err != nil {
		t.Fatal(err)
	}
	e := &llm.Error{Status: 502, Type: llm.TypeUpstream, Code: llm.CodeUpstreamError, Message: "provider \"x\" broke off the stream"}
	if err := enc.Fail(w, e); err != nil {
		t.Fatal(err)
	}
	evs, _ := readEvents(t, out.Body)
	want := []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
		"response.output_text.delta", "error", "response.failed"}
	if got := types(evs); !reflect.DeepEqual(got, want) {
		t.Fatalf("events = %v", got)
	}
	ev := evs[5].JSON
	if ev["type"] != "error" || ev["code"] != llm.CodeUpstreamError || ev["message"] != e.Message || ev["sequence_number"] != 5.0 ||
		obj(ev["error"])["message"] != e.Message || obj(ev["error"])["type"] != llm.TypeUpstream {
		t.Errorf("error event = %s", evs[5].Data)
	}
	r := obj(evs[6].JSON["response"])
	if evs[6].JSON["sequence_number"] != 6.0 || r["status"] != "failed" || obj(r["error"])["code"] != llm.CodeUpstreamError ||
		obj(arr(r["output"])[0])["status"] != "incomplete" {
		t.Errorf("response.failed = %s", evs[6].Data)
	}
	if _, _, err := enc.Finish(w, ""); err == nil {
		t.Error("Finish after Fail succeeded")
	}
	if err := enc.Chunk(w, dc(llm.Delta{Content: "x"})); err == nil {
		t.Error("Chunk after Fail succeeded")
	}
}

// TestStreamKeep checks the hook that stores a streamed response before its final event.
func TestStreamKeep(t *testing.T) {
	req := decode(t, `{"model":"m","input":"x"}`) // no include: the client does not get encrypted reasoning
	chunks := []*llm.Chunk{dc(llm.Delta{RedactedThinking: "ENC"}), dc(llm.Delta{Content: "answer"}),
		{Decoded: true, Choices: []llm.ChunkChoice{{FinishReason: llm.FinishStop}}}}
	t.Run("stored before the final event", func(t *testing.T) {
		w, out := recorder()
		enc := responseswire.NewStreamEncoder(responseswire.Meta{ID: "resp_k", Req: req})
		var kept *llm.Response
		var keptObject, keptItems []byte
		enc.Keep = func(resp *llm.Response, object []byte) error {
			if strings.Contains(out.Body.String(), "response.completed") {
				t.Error("Keep called after the final event")
			}
			kept, keptObject, keptItems = resp, object, enc.OutputItems()
			return nil
		}
		for _, c := range chunks {
			if err := enc.Chunk(w, c); err != nil {
				t.Fatal(err)
			}
		}
		if r := enc.Response(); r.Choices[0].Message.Text() != "answer" {
			t.Errorf("Response before Finish = %+v", r)
		}
		resp, final, err := enc.Finish(w, "")
		if err != nil || kept != resp || !bytes.Equal(keptObject, final) {
			t.Fatalf("Finish = %v; kept %p / %p", err, kept, resp)
		}
		if bytes.Contains(final, []byte("ENC")) || bytes.Contains(out.Body.Bytes(), []byte("ENC")) {
			t.Error("encrypted reasoning sent to a client that did not include it")
		}
		// The stored items keep it, so that a continuation gives it back to the model.
		msgs, err := responseswire.ItemsToMessages(keptItems)
		if err != nil || len(msgs) != 1 || len(msgs[0].Thinking) != 1 || msgs[0].Thinking[0].Redacted != "ENC" || msgs[0].Text() != "answer" {
			t.Errorf("stored items %s read back as %+v (%v)", keptItems, msgs, err)
		}
		stored, _ := responseswire.OutputItems(resp, responseswire.Meta{ID: "resp_k", Req: req})
		if !bytes.Contains(stored, []byte(`"encrypted_content":"ENC"`)) {
			t.Errorf("OutputItems = %s", stored)
		}
	})
	t.Run("a failed Keep sends no final event", func(t *testing.T) {
		w, out := recorder()
		enc := responseswire.NewStreamEncoder(responseswire.Meta{ID: "resp_k2", Req: req})
		enc.Keep = func(*llm.Response, []byte) error { return fmt.Errorf("store down") }
		for _, c := range chunks {
			if err := enc.Chunk(w, c); err != nil {
				t.Fatal(err)
			}
		}
		if _, _, err := enc.Finish(w, ""); err == nil || err.Error() != "store down" {
			t.Fatalf("Finish error = %v", err)
		}
		if err := enc.Fail(w, &llm.Error{Status: 503, Type: llm.TypeServer, Code: "store_unavailable", Message: "the response could not be stored"}); err != nil {
			t.Fatal(err)
		}
		evs, _ := readEvents(t, out.Body)
		got := types(evs)
		if got[len(got)-2] != "error" || got[len(got)-1] != "response.failed" || strings.Contains(strings.Join(got, " "), "response.completed") {
			t.Errorf("events = %v", got)
		}
	})
}
