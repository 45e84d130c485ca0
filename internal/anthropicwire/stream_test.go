package anthropicwire_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/anthropicwire"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// reference adds up a recorded Anthropic stream from its JSON alone, the way Anthropic's
// documentation describes the events, as the expected result for the decoder.
func reference(t *testing.T, stream []byte) answer {
	t.Helper()
	var a answer
	type blk struct {
		typ  string
		call int
	}
	blocks := map[float64]*blk{}
	var in, read, write, out float64
	for _, ev := range events(t, stream) {
		e := obj(decodeAny(t, ev.Data))
		switch e["type"] {
		case "message_start":
			m := obj(e["message"])
			a.ID, a.Model = m["id"].(string), m["model"].(string)
			u := obj(m["usage"])
			in, read, write = u["input_tokens"].(float64), u["cache_read_input_tokens"].(float64), u["cache_creation_input_tokens"].(float64)
		case "content_block_start":
			cb := obj(e["content_block"])
			b := &blk{typ: cb["type"].(string)}
			blocks[e["index"].(float64)] = b
			switch b.typ {
			case "thinking":
				a.Thinking = append(a.Thinking, llm.ThinkingBlock{})
			case "tool_use":
				b.call = len(a.Calls)
				a.Calls = append(a.Calls, llm.ToolCall{ID: cb["id"].(string), Name: cb["name"].(string)})
			}
		case "content_block_delta":
			b, d := blocks[e["index"].(float64)], obj(e["delta"])
			switch {
			case d["type"] == "text_delta" && b.typ == "text":
				a.Text += d["text"].(string)
			case d["type"] == "thinking_delta":
				a.Thinking[len(a.Thinking)-1].Text += d["thinking"].(string)
			case d["type"] == "signature_delta":
				a.Thinking[len(a.Thinking)-1].Signature += d["signature"].(string)
			case d["type"] == "input_json_delta" && b.typ == "tool_use":
				a.Calls[b.call].Arguments += d["partial_json"].(string)
			}
		case "message_delta":
			a.Finish = anthropicwire.FinishReason(obj(e["delta"])["stop_reason"].(string))
			if s, ok := obj(e["delta"])["stop_sequence"].(string); ok {
				a.StopSequence = s
			}
			u := obj(e["usage"])
			out = u["output_tokens"].(float64)
			if v, ok := u["input_tokens"].(float64); ok {
				in = v
			}
		}
	}
	total := int(in + read + write)
	a.Usage = &llm.Usage{InputTokens: total, CachedInputTokens: int(read), CacheWriteTokens: int(write), OutputTokens: int(out), TotalTokens: total + int(out)}
	return a
}

func TestStreamDecoderFixtures(t *testing.T) {
	tests := []struct {
		name   string
		text   string // a piece of the text
		calls  int
		think  int
		finish string
		in     int
		out    int
	}{
		{"stream_text", "2", 0, 0, llm.FinishStop, 20, 5},
		{"stream_text_raw", "1\n2\n3\n4\n5", 0, 0, llm.FinishStop, 15, 13},
		{"stream_thinking", "prioritize safety over speed when crossing streets.", 0, 1, llm.FinishStop, 43, 282},
		{"stream_tool_use_input_json_delta", "information.I found the right tool!", 1, 0, llm.FinishToolCalls, 1591, 175},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stream := fixture(t, "anthropic/"+tt.name+".response.sse")
			chunks, d := decodeStream(t, stream)
			if !d.Finished() || !d.Done() {
				t.Errorf("finished %v done %v", d.Finished(), d.Done())
			}
			got := accumulate(t, chunks)
			want := reference(t, stream)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decoded\n%+v\nrecorded\n%+v", got, want)
			}
			if !strings.Contains(got.Text, tt.text) || len(got.Calls) != tt.calls || len(got.Thinking) != tt.think || got.Finish != tt.finish ||
				got.Usage.InputTokens != tt.in || got.Usage.OutputTokens != tt.out {
				t.Errorf("decoded %+v", got)
			}
			for _, th := range got.Thinking {
				if th.Text == "" || th.Signature == "" {
					t.Errorf("thinking block %+v", th)
				}
			}
			for _, c := range got.Calls {
				if !json.Valid([]byte(c.Arguments)) || !strings.HasPrefix(c.ID, "toolu_") {
					t.Errorf("tool call %+v", c)
				}
			}
			// Every chunk is whole: decoded, one choice, the message's id and model; only the
			// last carries the finish reason and usage.
			for i, c := range chunks {
				last := i == len(chunks)-1
				if !c.Decoded || c.Raw != nil || len(c.Choices) != 1 || c.ID != want.ID || c.Model != want.Model ||
					(c.Choices[0].FinishReason != "") != last || (c.Usage != nil) != last {
					t.Errorf("chunk %d: %+v", i, c)
				}
			}
			if chunks[0].Choices[0].Delta.Role != llm.RoleAssistant {
				t.Errorf("first chunk %+v has no role", chunks[0])
			}
		})
	}
	t.Run("server tool blocks give no tool calls", func(t *testing.T) {
		chunks, _ := decodeStream(t, fixture(t, "anthropic/stream_tool_use_input_json_delta.response.sse"))
		a := accumulate(t, chunks)
		want := []llm.ToolCall{{ID: "toolu_01EFn5wTNBYA8Reni8rbmnHT", Name: "get_exchange_rate", Arguments: `{"from_currency": "USD", "to_currency": "EUR"}`}}
		if !reflect.DeepEqual(a.Calls, want) {
			t.Errorf("calls %+v", a.Calls)
		}
	})
}

func ev(name, data string) sse.Event { return sse.Event{Event: name, Data: []byte(data)} }

const (
	evStart  = `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"cache_creation_input_tokens":3,"cache_read_input_tokens":50,"output_tokens":1}}}`
	evText   = `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`
	evDelta  = `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}`
	evStop0  = `{"type":"content_block_stop","index":0}`
	evFinish = `{"type":"message_delta","delta":{"stop_reason":"stop_sequence","stop_sequence":"END"},"usage":{"output_tokens":9}}`
	evEnd    = `{"type":"message_stop"}`
)

func TestStreamDecoderEvents(t *testing.T) {
	t.Run("usage and stop sequence", func(t *testing.T) {
		d := anthropicwire.NewStreamDecoder()
		var chunks []*llm.Chunk
		for _, e := range []sse.Event{ev("message_start", evStart), ev("ping", `{"type": "ping"}`), ev("content_block_start", evText),
			ev("content_block_delta", evDelta), ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"citations_delta","citation":{}}}`),
			ev("content_block_stop", evStop0), ev("", `{"type":"message_delta","delta":{},"usage":{"output_tokens":4}}`), ev("message_delta", evFinish),
			ev("message_stop", evEnd), ev("future_event", `{"type":"future_event"}`)} {
			c, err := d.Decode(e)
			if err != nil {
				t.Fatal(err)
			}
			chunks = append(chunks, c...)
		}
		a := accumulate(t, chunks)
		want := llm.Usage{InputTokens: 63, CachedInputTokens: 50, CacheWriteTokens: 3, OutputTokens: 9, TotalTokens: 72}
		if a.Text != "hi" || a.Finish != llm.FinishStop || a.StopSequence != "END" || *a.Usage != want || len(chunks) != 3 {
			t.Errorf("%d chunks: %+v usage %+v", len(chunks), a, a.Usage)
		}
	})
	t.Run("tool call without arguments and redacted thinking", func(t *testing.T) {
		d := anthropicwire.NewStreamDecoder()
		var chunks []*llm.Chunk
		for _, e := range []string{evStart,
			`{"type":"content_block_start","index":0,"content_block":{"type":"redacted_thinking","data":"enc"}}`,
			`{"type":"content_block_stop","index":0}`,
			`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_a","name":"now","input":{}}}`,
			`{"type":"content_block_stop","index":1}`,
			`{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_b","name":"f","input":{}}}`,
			`{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"x\":"}}`,
			`{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"1}"}}`,
			`{"type":"content_block_stop","index":2}`,
			`{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":5}}`} {
			c, err := d.Decode(ev("", e))
			if err != nil {
				t.Fatal(err)
			}
			chunks = append(chunks, c...)
		}
		a := accumulate(t, chunks)
		want := []llm.ToolCall{{ID: "toolu_a", Name: "now", Arguments: "{}"}, {ID: "toolu_b", Name: "f", Arguments: `{"x":1}`}}
		if !reflect.DeepEqual(a.Calls, want) || len(a.Thinking) != 1 || a.Thinking[0].Redacted != "enc" || a.Finish != llm.FinishToolCalls {
			t.Errorf("%+v", a)
		}
		if !d.Finished() || d.Done() {
			t.Errorf("finished %v done %v without message_stop", d.Finished(), d.Done())
		}
	})
}

func TestStreamDecoderErrors(t *testing.T) {
	overloaded := `{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}`
	tests := []struct {
		name      string
		before    []string // events decoded first
		event     sse.Event
		status    int
		code      string
		retryable bool
		llmErr    bool
	}{
		{"overloaded before anything", nil, ev("error", overloaded), http.StatusServiceUnavailable, llm.CodeUpstreamError, true, true},
		{"overloaded after text", []string{evStart, evText, evDelta}, ev("error", overloaded), http.StatusServiceUnavailable, llm.CodeUpstreamError, false, true},
		{"api_error without an event name", []string{evStart}, ev("", `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`), http.StatusBadGateway, llm.CodeUpstreamError, false, true},
		{"error event that is not JSON", nil, ev("error", `oops`), http.StatusBadGateway, llm.CodeUpstreamError, true, true},
		{"invalid request mid-stream", []string{evStart}, ev("error", `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 300000 tokens > 200000 maximum"}}`), http.StatusBadRequest, llm.CodeContextLength, false, true},
		{"not JSON", []string{evStart}, ev("content_block_delta", `{"type":`), 0, "", false, false},
		{"delta before message_start", nil, ev("content_block_delta", evDelta), 0, "", false, false},
		{"delta of an unknown block", []string{evStart}, ev("content_block_delta", evDelta), 0, "", false, false},
		{"message_start without a message", nil, ev("message_start", `{"type":"message_start"}`), 0, "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := anthropicwire.NewStreamDecoder()
			d.Provider = "claude-up"
			for _, b := range tt.before {
				if _, err := d.Decode(ev("", b)); err != nil {
					t.Fatal(err)
				}
			}
			_, err := d.Decode(tt.event)
			if err == nil {
				t.Fatal("no error")
			}
			var e *llm.Error
			if isLLM := asError(err, &e); isLLM != tt.llmErr {
				t.Fatalf("error %v: *llm.Error %v, want %v", err, isLLM, tt.llmErr)
			}
			if !tt.llmErr {
				return
			}
			if e.Status != tt.status || e.Code != tt.code || e.Retryable != tt.retryable || !strings.Contains(e.Message, `"claude-up"`) {
				t.Errorf("%+v, want %d %q retryable %v", e, tt.status, tt.code, tt.retryable)
			}
		})
	}
}

func asError(err error, e **llm.Error) bool {
	le, ok := err.(*llm.Error)
	*e = le
	return ok
}

// The encoder's output, read back by the decoder, gives the answer the chunks held.
func TestStreamEncoderRoundTrip(t *testing.T) {
	for _, name := range fixtures(t, "anthropic/*.response.sse") {
		t.Run(name, func(t *testing.T) {
			chunks, _ := decodeStream(t, fixture(t, name))
			want := accumulate(t, chunks)
			enc := anthropicwire.NewStreamEncoder("alias", 7)
			out := encodeStream(t, enc, chunks, "sovereign: done")
			back, d := decodeStream(t, out)
			got := accumulate(t, back)
			if !d.Done() || got.ID != want.ID || got.Model != "alias" {
				t.Errorf("done %v id %q model %q", d.Done(), got.ID, got.Model)
			}
			got.Model, want.Model = "", ""
			if !reflect.DeepEqual(got, want) {
				t.Errorf("read back\n%+v\nwant\n%+v", got, want)
			}
			checkSequence(t, out, false)
		})
	}
}

// checkSequence checks the event grammar of a stream: message_start, ping, blocks started in
// index order and each stopped once, deltas only for open blocks, one message_delta after
// every block stopped, message_stop last. Unless interleave, one block at a time is open.
func checkSequence(t *testing.T, stream []byte, interleave bool) {
	t.Helper()
	evs := events(t, stream)
	names := eventNames(evs)
	if !strings.HasPrefix(names, "message_start ping ") || !strings.HasSuffix(names, " message_delta message_stop") ||
		strings.Count(names, "message_delta") != 1 || strings.Count(names, "ping") != 1 {
		t.Errorf("event sequence %s", names)
	}
	open := map[int]bool{}
	next := 0
	for _, e := range evs {
		o := obj(decodeAny(t, e.Data))
		if o["type"] != e.Event {
			t.Errorf("event %s has type %v", e.Event, o["type"])
		}
		f, _ := o["index"].(float64)
		idx := int(f)
		switch e.Event {
		case "content_block_start":
			if (len(open) > 0 && !interleave) || idx != next {
				t.Errorf("block %d starts while %v are open, next %d", idx, open, next)
			}
			open[idx] = true
			next++
		case "content_block_delta", "content_block_stop":
			if !open[idx] {
				t.Errorf("%s for block %d, which is not open", e.Event, idx)
			}
			if e.Event == "content_block_stop" {
				delete(open, idx)
			}
		case "message_delta":
			if len(open) > 0 {
				t.Errorf("message_delta with blocks %v open", open)
			}
		}
	}
}

func TestStreamEncoderSequence(t *testing.T) {
	chunks, _ := decodeStream(t, fixture(t, "anthropic/stream_thinking.response.sse"))
	out := encodeStream(t, anthropicwire.NewStreamEncoder("", 43), chunks, "x-sovereign: cost 0")
	evs := events(t, out)
	var names []string
	for i, e := range evs {
		if i > 0 && e.Event == evs[i-1].Event && e.Event == "content_block_delta" {
			continue
		}
		names = append(names, e.Event)
	}
	want := "message_start ping content_block_start content_block_delta content_block_stop content_block_start content_block_delta content_block_stop message_delta message_stop"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("events\n%s\nwant\n%s", got, want)
	}
	if !bytes.Contains(out, []byte("\n: x-sovereign: cost 0\n\nevent: message_stop\n")) {
		t.Errorf("the comment is not just before message_stop:\n%s", out[max(0, len(out)-300):])
	}
	start := obj(decodeAny(t, evs[0].Data))
	m := obj(start["message"])
	if m["model"] != "claude-sonnet-4-20250514" || m["id"] != "msg_01ALwQ87pTS7hH1PjSdC9wJD" || obj(m["usage"])["input_tokens"] != 43.0 ||
		obj(m["usage"])["output_tokens"] != 1.0 || len(arr(m["content"])) != 0 || m["role"] != "assistant" {
		t.Errorf("message_start %s", evs[0].Data)
	}
	delta := obj(decodeAny(t, evs[len(evs)-2].Data))
	if d := jsonDiff(decodeAny(t, []byte(`{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":43,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":282}}`)), delta); len(d) > 0 {
		t.Errorf("message_delta differs: %v", d)
	}
}

// Chunks of an OpenAI-compatible upstream, relayed raw, become Anthropic events.
func TestStreamEncoderOpenAIChunks(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		calls  int
		finish string
	}{
		{"stream_text_include_usage", "", 0, llm.FinishStop},
		{"stream_parallel_tool_calls", "", 2, llm.FinishToolCalls},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var chunks []*llm.Chunk
			for _, e := range events(t, fixture(t, "openai-chat/"+tt.name+".response.sse")) {
				if string(e.Data) == "[DONE]" {
					break
				}
				c, err := openaiwire.NewChunk(e.Data)
				if err != nil {
					t.Fatal(err)
				}
				chunks = append(chunks, c)
			}
			out := encodeStream(t, anthropicwire.NewStreamEncoder("gpt-alias", 0), chunks, "")
			checkSequence(t, out, false)
			back, _ := decodeStream(t, out)
			got := accumulate(t, back)
			// The same chunks, added up directly.
			var raw []*llm.Chunk
			for _, e := range events(t, fixture(t, "openai-chat/"+tt.name+".response.sse")) {
				if string(e.Data) != "[DONE]" {
					c, _ := openaiwire.NewChunk(e.Data)
					raw = append(raw, c)
				}
			}
			want := accumulate(t, raw)
			if got.Text != want.Text || !reflect.DeepEqual(got.Calls, want.Calls) || len(got.Calls) != tt.calls || got.Finish != tt.finish ||
				*got.Usage != *want.Usage || !strings.HasPrefix(got.ID, "msg_") || got.Model != "gpt-alias" {
				t.Errorf("read back %+v usage %+v\nwant %+v usage %+v", got, got.Usage, want, want.Usage)
			}
		})
	}
}

// Pieces of parallel tool calls that interleave still add up per call.
func TestStreamEncoderInterleavedToolCalls(t *testing.T) {
	tc := func(i int, id, name, args string) *llm.Chunk {
		return &llm.Chunk{ID: "chatcmpl-x", Decoded: true, Choices: []llm.ChunkChoice{{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: i, ID: id, Name: name, Arguments: args}}}}}}
	}
	chunks := []*llm.Chunk{
		{ID: "chatcmpl-x", Decoded: true, Choices: []llm.ChunkChoice{{Delta: llm.Delta{Role: "assistant", Content: "Looking."}}}},
		tc(0, "call_a", "f", `{"x":`), tc(1, "call_b", "g", `{"y":`), tc(0, "", "", `1}`), tc(1, "", "", `2}`),
		{ID: "chatcmpl-x", Decoded: true, Choices: []llm.ChunkChoice{{FinishReason: llm.FinishToolCalls}}},
	}
	out := encodeStream(t, anthropicwire.NewStreamEncoder("m", 0), chunks, "")
	checkSequence(t, out, true)
	back, _ := decodeStream(t, out)
	got := accumulate(t, back)
	want := []llm.ToolCall{{ID: "call_a", Name: "f", Arguments: `{"x":1}`}, {ID: "call_b", Name: "g", Arguments: `{"y":2}`}}
	if !reflect.DeepEqual(got.Calls, want) || got.Text != "Looking." || got.Finish != llm.FinishToolCalls {
		t.Errorf("%+v", got)
	}
	msg := sdkAccumulate(t, out)
	if len(msg.Content) != 3 || string(msg.Content[1].Input) != `{"x":1}` || string(msg.Content[2].Input) != `{"y":2}` {
		t.Errorf("the SDK accumulated %s", msg.RawJSON())
	}
	var seq []string
	for _, e := range events(t, out)[2:] {
		o := obj(decodeAny(t, e.Data))
		seq = append(seq, fmt.Sprintf("%s:%v", strings.TrimPrefix(e.Event, "content_block_"), o["index"]))
	}
	want2 := "start:0 delta:0 stop:0 start:1 delta:1 start:2 delta:2 delta:1 stop:1 delta:2 stop:2 message_delta:<nil> message_stop:<nil>"
	if got := strings.Join(seq, " "); got != want2 {
		t.Errorf("sequence\n%s\nwant\n%s", got, want2)
	}
}

// Upstreams that send each whole call with index 0 (or none) still give one block per call.
func TestStreamEncoderReusedIndex(t *testing.T) {
	tc := func(id, name, args string) *llm.Chunk {
		return &llm.Chunk{ID: "chatcmpl-x", Decoded: true, Choices: []llm.ChunkChoice{{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: id, Name: name, Arguments: args}}}}}}
	}
	chunks := []*llm.Chunk{tc("call_a", "f", `{}`), tc("call_b", "g", `{"x":1}`),
		{ID: "chatcmpl-x", Decoded: true, Choices: []llm.ChunkChoice{{FinishReason: llm.FinishToolCalls}}}}
	out := encodeStream(t, anthropicwire.NewStreamEncoder("m", 0), chunks, "")
	checkSequence(t, out, true)
	back, _ := decodeStream(t, out)
	got := accumulate(t, back)
	want := []llm.ToolCall{{ID: "call_a", Name: "f", Arguments: `{}`}, {ID: "call_b", Name: "g", Arguments: `{"x":1}`}}
	if !reflect.DeepEqual(got.Calls, want) {
		t.Errorf("calls %+v, want %+v", got.Calls, want)
	}
}

// A tool_use block closes when its arguments are whole, not at a brace inside a string.
func TestStreamEncoderArgumentsEnd(t *testing.T) {
	args := []string{`{"a":"}`, `\"{",`, `"b":[1,{}]`, `}`}
	var chunks []*llm.Chunk
	for i, a := range args {
		d := llm.ToolCallDelta{Index: 0, Arguments: a}
		if i == 0 {
			d.ID, d.Name = "call_1", "f"
		}
		chunks = append(chunks, &llm.Chunk{Decoded: true, Choices: []llm.ChunkChoice{{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{d}}}}})
	}
	chunks = append(chunks, &llm.Chunk{Decoded: true, Choices: []llm.ChunkChoice{{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 1, ID: "call_2", Name: "g", Arguments: "{}"}}}}}})
	out := encodeStream(t, anthropicwire.NewStreamEncoder("m", 0), chunks, "")
	checkSequence(t, out, false)
	if names := eventNames(events(t, out)); !strings.Contains(names, "content_block_delta content_block_delta content_block_delta content_block_delta content_block_stop content_block_start") {
		t.Errorf("events %s", names)
	}
	msg := sdkAccumulate(t, out)
	if len(msg.Content) != 2 || string(msg.Content[0].Input) != `{"a":"}\"{","b":[1,{}]}` || string(msg.Content[1].Input) != `{}` {
		t.Errorf("the SDK accumulated %s", msg.RawJSON())
	}
}

func TestStreamEncoderOtherProviders(t *testing.T) {
	tests := []struct {
		name   string
		chunks []*llm.Chunk
		want   string // the events' names, deltas folded
		stop   string
	}{
		{"nothing at all", nil, "message_start ping message_delta message_stop", "end_turn"},
		{"reasoning without a signature, then text (Ollama, DeepSeek)", []*llm.Chunk{
			{ID: "chatcmpl-1", Decoded: true, Choices: []llm.ChunkChoice{{Delta: llm.Delta{Reasoning: "hmm"}}}},
			{ID: "chatcmpl-1", Decoded: true, Choices: []llm.ChunkChoice{{Delta: llm.Delta{Content: "ok"}, FinishReason: llm.FinishLength}},
				Usage: &llm.Usage{InputTokens: 5, OutputTokens: 2, TotalTokens: 7}},
		}, "message_start ping content_block_start content_block_delta content_block_stop content_block_start content_block_delta content_block_stop message_delta message_stop", "max_tokens"},
		{"whole tool calls said to stop (Gemini, Ollama)", []*llm.Chunk{
			{Decoded: true, Choices: []llm.ChunkChoice{{Delta: llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: "call_1", Name: "f", Arguments: `{"a":1}`}, {Index: 1, ID: "call_2", Name: "g", Arguments: `{}`}}}, FinishReason: llm.FinishStop}}},
		}, "message_start ping content_block_start content_block_delta content_block_stop content_block_start content_block_delta content_block_stop message_delta message_stop", "tool_use"},
		{"redacted thinking and a usage-only chunk", []*llm.Chunk{
			{Decoded: true, Choices: []llm.ChunkChoice{{Delta: llm.Delta{RedactedThinking: "enc"}}}},
			{Decoded: true, Choices: []llm.ChunkChoice{{Delta: llm.Delta{Refusal: "I can't"}, FinishReason: llm.FinishContentFilter}}},
			{Decoded: true, Usage: &llm.Usage{InputTokens: 1, OutputTokens: 1, TotalTokens: 2}},
		}, "message_start ping content_block_start content_block_stop content_block_start content_block_delta content_block_stop message_delta message_stop", "refusal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := anthropicwire.NewStreamEncoder("m", 3)
			out := encodeStream(t, enc, tt.chunks, "")
			checkSequence(t, out, false)
			evs := events(t, out)
			var names []string
			for i, e := range evs {
				if i > 0 && e.Event == "content_block_delta" && evs[i-1].Event == e.Event {
					continue
				}
				names = append(names, e.Event)
			}
			if got := strings.Join(names, " "); got != tt.want {
				t.Errorf("events\n%s\nwant\n%s", got, tt.want)
			}
			md := obj(decodeAny(t, evs[len(evs)-2].Data))
			if obj(md["delta"])["stop_reason"] != tt.stop {
				t.Errorf("message_delta %s", evs[len(evs)-2].Data)
			}
			if !enc.Started() || !strings.HasPrefix(enc.ID(), "msg_") {
				t.Errorf("started %v id %q", enc.Started(), enc.ID())
			}
			msg := sdkAccumulate(t, out)
			if string(msg.StopReason) != tt.stop {
				t.Errorf("the SDK read stop reason %q", msg.StopReason)
			}
		})
	}
}

func TestEncodeStreamError(t *testing.T) {
	e := &llm.Error{Status: http.StatusServiceUnavailable, Message: "provider \"x\" is overloaded"}
	want := `{"type":"error","error":{"type":"overloaded_error","message":"provider \"x\" is overloaded"}}`
	if got := string(anthropicwire.EncodeStreamError(e)); got != want {
		t.Errorf("got %s", got)
	}
	// The decoder reads it back as the same kind of failure.
	d := anthropicwire.NewStreamDecoder()
	_, err := d.Decode(ev("error", want))
	if le := asLLMError(t, err); le.Status != http.StatusServiceUnavailable || !le.Retryable {
		t.Errorf("%+v", le)
	}
}

// Reading an encoded stream with io.Reader semantics the SDK uses: the bytes end cleanly.
func TestStreamEncoderEndsCleanly(t *testing.T) {
	chunks, _ := decodeStream(t, fixture(t, "anthropic/stream_text.response.sse"))
	out := encodeStream(t, anthropicwire.NewStreamEncoder("m", 0), chunks, "")
	r := sse.NewReader(bytes.NewReader(out))
	var last sse.Event
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		last = e
	}
	if last.Event != "message_stop" || !bytes.HasSuffix(out, []byte("\n\n")) {
		t.Errorf("last event %q", last.Event)
	}
}

// An error event's type gives the status Anthropic would have answered with, mapped as an
// HTTP answer is.
func TestStreamErrorTypes(t *testing.T) {
	for _, tt := range []struct {
		typ    string
		status int
		code   string
	}{
		{"invalid_request_error", 400, ""},
		{"authentication_error", 502, llm.CodeUpstreamAuth},
		{"billing_error", 502, llm.CodeUpstreamAuth},
		{"permission_error", 502, llm.CodeUpstreamAuth},
		{"not_found_error", 404, ""},
		{"request_too_large", 413, llm.CodeBodyTooLarge},
		{"rate_limit_error", 429, llm.CodeRateLimited},
		{"api_error", 502, llm.CodeUpstreamError},
		{"timeout_error", 504, llm.CodeUpstreamTimeout},
		{"overloaded_error", 503, llm.CodeUpstreamError},
		{"brand_new_error", 502, llm.CodeUpstreamError},
	} {
		d := anthropicwire.NewStreamDecoder()
		_, err := d.Decode(ev("error", `{"type":"error","error":{"type":"`+tt.typ+`","message":"m"}}`))
		if e := asLLMError(t, err); e.Status != tt.status || e.Code != tt.code {
			t.Errorf("%s: %d %q, want %d %q", tt.typ, e.Status, e.Code, tt.status, tt.code)
		}
	}
}
