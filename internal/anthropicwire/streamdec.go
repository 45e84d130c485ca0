package anthropicwire

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// StreamDecoder turns the events of an upstream Messages stream into canonical chunks. One
// decoder reads one stream; it is not safe for concurrent use.
//
// message_start gives a chunk with the assistant role; text_delta, thinking_delta,
// signature_delta and redacted_thinking blocks give content, reasoning, signature and
// redacted-thinking deltas; a tool_use block gives a tool-call delta with its id and name
// (Index counts tool_use blocks only), then one per input_json_delta. Blocks of server tools
// (server_tool_use, web_search_tool_result…) and citations_delta events have no canonical
// form and give nothing. message_delta gives the final chunk, with the finish reason and the
// usage of the whole answer (message_start's input counts, message_delta's output count).
type StreamDecoder struct {
	// Provider names the upstream in error messages; NewStreamDecoder sets "anthropic".
	Provider string

	id, model string
	created   int64
	started   bool
	finished  bool
	done      bool
	sent      bool
	blocks    map[int]*blockState
	tools     int
	usage     wireUsage
}

type blockState struct {
	typ     string
	tool    int  // the tool call's index, for a tool_use block
	hasArgs bool // an input_json_delta with content came
	stopped bool // content_block_stop came
}

// NewStreamDecoder returns a decoder for one stream.
func NewStreamDecoder() *StreamDecoder {
	return &StreamDecoder{Provider: "anthropic", blocks: map[int]*blockState{}}
}

// Finished reports whether message_delta with the stop reason has arrived: the answer is
// complete even if message_stop is missing.
func (d *StreamDecoder) Finished() bool { return d.finished }

// Done reports whether message_stop has arrived.
func (d *StreamDecoder) Done() bool { return d.done }

// streamEvent is the union of the events' members that matter.
type streamEvent struct {
	Type    string `json:"type"`
	Message *struct {
		ID    string     `json:"id"`
		Model string     `json:"model"`
		Usage *wireUsage `json:"usage"`
	} `json:"message"`
	Index        int `json:"index"`
	ContentBlock *struct {
		Type     string          `json:"type"`
		ID       string          `json:"id"`
		Name     string          `json:"name"`
		Input    json.RawMessage `json:"input"`
		Text     string          `json:"text"`
		Thinking string          `json:"thinking"`
		Data     string          `json:"data"`
	} `json:"content_block"`
	Delta *struct {
		Type         string  `json:"type"`
		Text         string  `json:"text"`
		PartialJSON  string  `json:"partial_json"`
		Thinking     string  `json:"thinking"`
		Signature    string  `json:"signature"`
		StopReason   *string `json:"stop_reason"`
		StopSequence *string `json:"stop_sequence"`
	} `json:"delta"`
	Usage *wireUsage   `json:"usage"`
	Error *errorObject `json:"error"`
}

// Decode reads one event and returns the chunks it yields (often none). An error event is
// returned as an *llm.Error; a malformed event as a plain error (the caller's "bad
// response").
func (d *StreamDecoder) Decode(ev sse.Event) ([]*llm.Chunk, error) {
	if len(ev.Data) == 0 {
		return nil, nil
	}
	var e streamEvent
	err := json.Unmarshal(ev.Data, &e)
	if ev.Event == "error" || (err == nil && e.Type == "error") {
		return nil, d.streamError(ev.Data, e.Error)
	}
	if err != nil {
		return nil, fmt.Errorf("decode %s event: %w", eventName(ev), err)
	}
	if e.Type == "" {
		e.Type = ev.Event
	}
	if d.done {
		return nil, nil
	}
	switch e.Type {
	case "message_start":
		if e.Message == nil {
			return nil, fmt.Errorf("decode message_start event: no message")
		}
		d.id, d.model, d.started = e.Message.ID, e.Message.Model, true
		d.created = time.Now().Unix()
		if e.Message.Usage != nil {
			d.usage = *e.Message.Usage
		}
		return d.chunk(llm.Delta{Role: llm.RoleAssistant}), nil
	case "content_block_start":
		if err := d.needStart(e.Type); err != nil || e.ContentBlock == nil {
			if err == nil {
				err = fmt.Errorf("decode content_block_start event: no content_block")
			}
			return nil, err
		}
		cb := e.ContentBlock
		b := &blockState{typ: cb.Type}
		d.blocks[e.Index] = b
		switch cb.Type {
		case "text":
			if cb.Text != "" {
				return d.chunk(llm.Delta{Content: cb.Text}), nil
			}
		case "thinking":
			if cb.Thinking != "" {
				return d.chunk(llm.Delta{Reasoning: cb.Thinking}), nil
			}
		case "redacted_thinking":
			return d.chunk(llm.Delta{RedactedThinking: cb.Data}), nil
		case "tool_use":
			b.tool = d.tools
			d.tools++
			tc := llm.ToolCallDelta{Index: b.tool, ID: cb.ID, Name: cb.Name}
			if in := compact(cb.Input); len(in) > 0 && string(in) != "{}" && !isNull(in) {
				// A start that carries the whole input (not Anthropic's own streams, which
				// send {} and then the pieces).
				tc.Arguments, b.hasArgs = string(in), true
			}
			return d.chunk(llm.Delta{ToolCalls: []llm.ToolCallDelta{tc}}), nil
		}
		return nil, nil
	case "content_block_delta":
		if err := d.needStart(e.Type); err != nil {
			return nil, err
		}
		b := d.blocks[e.Index]
		if b == nil || e.Delta == nil {
			return nil, fmt.Errorf("decode content_block_delta event: no open block %d", e.Index)
		}
		switch e.Delta.Type {
		case "text_delta":
			if b.typ == "text" && e.Delta.Text != "" {
				return d.chunk(llm.Delta{Content: e.Delta.Text}), nil
			}
		case "thinking_delta":
			if b.typ == "thinking" && e.Delta.Thinking != "" {
				return d.chunk(llm.Delta{Reasoning: e.Delta.Thinking}), nil
			}
		case "signature_delta":
			if b.typ == "thinking" && e.Delta.Signature != "" {
				return d.chunk(llm.Delta{ReasoningSignature: e.Delta.Signature}), nil
			}
		case "input_json_delta":
			if b.typ == "tool_use" && e.Delta.PartialJSON != "" {
				b.hasArgs = true
				return d.chunk(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: b.tool, Arguments: e.Delta.PartialJSON}}}), nil
			}
		}
		// citations_delta, the input of server tools, delta types yet to come.
		return nil, nil
	case "content_block_stop":
		if err := d.needStart(e.Type); err != nil {
			return nil, err
		}
		// The block's state stays: a late delta for it is still read (see StreamEncoder).
		b := d.blocks[e.Index]
		if b != nil && b.typ == "tool_use" && !b.hasArgs && !b.stopped {
			// A call without arguments: its input stays Anthropic's {}, which OpenAI
			// clients need as text.
			b.stopped = true
			return d.chunk(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: b.tool, Arguments: "{}"}}}), nil
		}
		return nil, nil
	case "message_delta":
		if err := d.needStart(e.Type); err != nil {
			return nil, err
		}
		if e.Usage != nil {
			// Every count in message_delta is a total for the whole answer; the ones it
			// leaves out keep message_start's value.
			u := e.Usage
			for _, f := range []struct{ dst, src **int }{
				{&d.usage.InputTokens, &u.InputTokens}, {&d.usage.OutputTokens, &u.OutputTokens},
				{&d.usage.CacheReadInputTokens, &u.CacheReadInputTokens},
				{&d.usage.CacheCreationInputTokens, &u.CacheCreationInputTokens},
			} {
				if *f.src != nil {
					*f.dst = *f.src
				}
			}
			if u.OutputTokensDetails != nil {
				d.usage.OutputTokensDetails = u.OutputTokensDetails
			}
		}
		if e.Delta == nil || e.Delta.StopReason == nil {
			// A usage update without the end of the answer.
			return nil, nil
		}
		d.finished = true
		ch := d.chunk(llm.Delta{})
		c := &ch[0].Choices[0]
		c.FinishReason = FinishReason(*e.Delta.StopReason)
		if e.Delta.StopSequence != nil {
			c.StopSequence = *e.Delta.StopSequence
		}
		ch[0].Usage = usageToCanonical(&d.usage)
		return ch, nil
	case "message_stop":
		if err := d.needStart(e.Type); err != nil {
			return nil, err
		}
		d.done = true
		return nil, nil
	}
	// ping, and event types yet to come.
	return nil, nil
}

func eventName(ev sse.Event) string {
	if ev.Event != "" {
		return ev.Event
	}
	return "stream"
}

func (d *StreamDecoder) needStart(typ string) error {
	if !d.started {
		return fmt.Errorf("decode %s event: it came before message_start", typ)
	}
	return nil
}

func (d *StreamDecoder) chunk(delta llm.Delta) []*llm.Chunk {
	d.sent = true
	return []*llm.Chunk{{ID: d.id, Model: d.model, Created: d.created, Decoded: true,
		Choices: []llm.ChunkChoice{{Index: 0, Delta: delta}}}}
}

// streamError maps an error event. Once chunks have been given out the failure cannot be
// retried: part of the answer may have reached the caller.
func (d *StreamDecoder) streamError(data []byte, o *errorObject) error {
	status := http.StatusInternalServerError
	if o != nil {
		status = statusOfType(o.Type)
	}
	e := UpstreamError(d.Provider, status, data)
	if d.sent {
		e.Retryable = false
	}
	return e
}
