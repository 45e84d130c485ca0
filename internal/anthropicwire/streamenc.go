package anthropicwire

import (
	"strconv"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// StreamEncoder writes the chunks of a streamed answer, from any provider, as Anthropic's
// event sequence:
//
//	message_start, ping,
//	content_block_start, content_block_delta…, content_block_stop   (once per block)
//	message_delta (stop reason, usage), message_stop
//
// Reasoning becomes a thinking block, which a signature delta closes; a redacted-thinking
// delta becomes a redacted_thinking block; content (and a refusal) a text block; each tool
// call a tool_use block whose arguments go out as input_json_delta pieces. A text or thinking
// block is closed when a block of another kind starts, as Anthropic does.
//
// Parallel tool calls: a tool_use block is closed as soon as its arguments form a whole JSON
// value, so calls whose pieces come one call after the other (OpenAI) or whole (Gemini,
// Ollama) give exactly Anthropic's order. Should a call's pieces still be coming when the
// next call starts, its block stays open and the pieces of both go out by index, interleaved,
// which Anthropic's Go SDK documents as valid (deltas and stops of open blocks may
// interleave) and adds up by index. Nothing is buffered. A piece for a block already closed (a text or thinking block
// came between) is still sent with that block's index rather than dropped; whether a client
// can use it depends on the client (the Go SDK resets unfinished arguments at the stop).
//
// Usage and the finish reason are taken from the chunks that carry them (the last seen
// wins) and written by Finish. One encoder serves one stream; it is not safe for concurrent
// use.
type StreamEncoder struct {
	model       string
	inputTokens int
	id          string
	started     bool

	cur     int    // index of the open text or thinking block, -1 for none
	curKind string // "text" or "thinking"
	next    int    // index of the next block
	tools   map[int]*toolBlock
	open    []*toolBlock // open tool_use blocks, in index order
	anyTool bool

	finish, stopSeq string
	usage           *llm.Usage
	buf             []byte
}

// toolBlock is a tool call's block and a scanner that tells when its arguments are whole.
type toolBlock struct {
	id      string // the call's id as the chunk gave it ("" when it gave none)
	index   int
	open    bool
	depth   int
	inStr   bool
	esc     bool
	started bool
	whole   bool
}

// feed scans a piece of arguments and reports whether they now form a whole JSON value.
func (t *toolBlock) feed(s string) bool {
	for i := 0; i < len(s) && !t.whole; i++ {
		c := s[i]
		switch {
		case t.inStr:
			switch {
			case t.esc:
				t.esc = false
			case c == '\\':
				t.esc = true
			case c == '"':
				t.inStr = false
			}
		case c == '"':
			t.inStr = true
		case c == '{' || c == '[':
			t.depth++
			t.started = true
		case c == '}' || c == ']':
			t.depth--
			t.whole = t.started && t.depth == 0
		}
	}
	return t.whole
}

// NewStreamEncoder returns an encoder that names model in message_start (the first chunk's
// model when ""), and reports inputTokens there, as Anthropic does before the answer's usage
// is known (0 is fine).
func NewStreamEncoder(model string, inputTokens int) *StreamEncoder {
	return &StreamEncoder{model: model, inputTokens: inputTokens, cur: -1, tools: map[int]*toolBlock{}}
}

// Started reports whether message_start has been written: from then on, an error can only be
// an error event (EncodeStreamError), not an HTTP status.
func (e *StreamEncoder) Started() bool { return e.started }

// ID returns the message id sent in message_start ("" before it).
func (e *StreamEncoder) ID() string { return e.id }

// Encode writes the events for one chunk. A raw chunk is decoded first.
func (e *StreamEncoder) Encode(w *sse.Writer, c *llm.Chunk) error {
	if err := c.Decode(); err != nil {
		return err
	}
	if !e.started {
		if err := e.start(w, c.ID, c.Model); err != nil {
			return err
		}
	}
	if c.Usage != nil {
		u := *c.Usage
		e.usage = &u
	}
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.Index != 0 {
			continue // Anthropic has one answer per request
		}
		if err := e.delta(w, &ch.Delta); err != nil {
			return err
		}
		if ch.FinishReason != "" {
			e.finish, e.stopSeq = ch.FinishReason, ch.StopSequence
		}
	}
	return nil
}

func (e *StreamEncoder) start(w *sse.Writer, id, model string) error {
	e.started = true
	if e.model == "" {
		e.model = model
	}
	e.id = id
	if !strings.HasPrefix(id, "msg_") {
		e.id = newID("msg_")
	}
	b := append(e.buf[:0], `{"type":"message_start","message":{"id":`...)
	b = appendString(b, e.id)
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = appendString(b, e.model)
	b = append(b, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(e.inputTokens), 10)
	b = append(b, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}`...)
	if err := e.write(w, "message_start", b); err != nil {
		return err
	}
	return w.Event("ping", []byte(`{"type":"ping"}`))
}

func (e *StreamEncoder) write(w *sse.Writer, name string, b []byte) error {
	e.buf = b
	return w.Event(name, b)
}

func (e *StreamEncoder) delta(w *sse.Writer, d *llm.Delta) error {
	if d.Reasoning != "" {
		if err := e.ensure(w, "thinking"); err != nil {
			return err
		}
		if err := e.blockDelta(w, e.cur, "thinking_delta", "thinking", d.Reasoning); err != nil {
			return err
		}
	}
	if d.ReasoningSignature != "" {
		if err := e.ensure(w, "thinking"); err != nil {
			return err
		}
		if err := e.blockDelta(w, e.cur, "signature_delta", "signature", d.ReasoningSignature); err != nil {
			return err
		}
		// A signature ends its thinking block.
		if err := e.closeCur(w); err != nil {
			return err
		}
	}
	if d.RedactedThinking != "" {
		if err := e.closeAll(w); err != nil {
			return err
		}
		b := e.startPrefix()
		b = append(b, `"type":"redacted_thinking","data":`...)
		b = appendString(b, d.RedactedThinking)
		if err := e.write(w, "content_block_start", append(b, "}}"...)); err != nil {
			return err
		}
		if err := e.stop(w, e.next); err != nil {
			return err
		}
		e.next++
	}
	for _, s := range []string{d.Content, d.Refusal} {
		if s == "" {
			continue
		}
		if err := e.ensure(w, "text"); err != nil {
			return err
		}
		if err := e.blockDelta(w, e.cur, "text_delta", "text", s); err != nil {
			return err
		}
	}
	for i := range d.ToolCalls {
		if err := e.toolCall(w, &d.ToolCalls[i]); err != nil {
			return err
		}
	}
	return nil
}

func (e *StreamEncoder) toolCall(w *sse.Writer, tc *llm.ToolCallDelta) error {
	t := e.tools[tc.Index]
	if t != nil && tc.ID != "" && t.id != "" && tc.ID != t.id {
		// A new call that reuses an index (upstreams that number each whole call 0): it gets
		// a block of its own.
		t = nil
	}
	if t == nil {
		if err := e.closeCur(w); err != nil {
			return err
		}
		id := tc.ID
		if id == "" {
			id = newID("toolu_")
		}
		b := e.startPrefix()
		b = append(b, `"type":"tool_use","id":`...)
		b = appendString(b, id)
		b = append(b, `,"name":`...)
		b = appendString(b, tc.Name)
		if err := e.write(w, "content_block_start", append(b, `,"input":{}}}`...)); err != nil {
			return err
		}
		t = &toolBlock{id: tc.ID, index: e.next, open: true}
		e.next++
		e.tools[tc.Index] = t
		e.open = append(e.open, t)
		e.anyTool = true
	}
	if tc.Arguments == "" {
		return nil
	}
	// t may be closed already: see the type's doc on late pieces.
	if err := e.blockDelta(w, t.index, "input_json_delta", "partial_json", tc.Arguments); err != nil {
		return err
	}
	if t.open && t.feed(tc.Arguments) {
		return e.closeTool(w, t)
	}
	return nil
}

func (e *StreamEncoder) closeTool(w *sse.Writer, t *toolBlock) error {
	t.open = false
	for i, o := range e.open {
		if o == t {
			e.open = append(e.open[:i], e.open[i+1:]...)
			break
		}
	}
	return e.stop(w, t.index)
}

// startPrefix begins a content_block_start event for the next block, up to the block's
// members.
func (e *StreamEncoder) startPrefix() []byte {
	b := append(e.buf[:0], `{"type":"content_block_start","index":`...)
	b = strconv.AppendInt(b, int64(e.next), 10)
	return append(b, `,"content_block":{`...)
}

// ensure makes an open block of kind (text or thinking) the current one, closing the others.
func (e *StreamEncoder) ensure(w *sse.Writer, kind string) error {
	if e.cur >= 0 && e.curKind == kind {
		return nil
	}
	if err := e.closeAll(w); err != nil {
		return err
	}
	b := e.startPrefix()
	switch kind {
	case "text":
		b = append(b, `"type":"text","text":""}}`...)
	case "thinking":
		b = append(b, `"type":"thinking","thinking":"","signature":""}}`...)
	}
	if err := e.write(w, "content_block_start", b); err != nil {
		return err
	}
	e.cur, e.curKind = e.next, kind
	e.next++
	return nil
}

func (e *StreamEncoder) blockDelta(w *sse.Writer, index int, typ, member, s string) error {
	b := append(e.buf[:0], `{"type":"content_block_delta","index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `,"delta":{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","`...)
	b = append(b, member...)
	b = append(b, `":`...)
	b = appendString(b, s)
	return e.write(w, "content_block_delta", append(b, "}}"...))
}

// closeCur closes the open text or thinking block.
func (e *StreamEncoder) closeCur(w *sse.Writer) error {
	if e.cur < 0 {
		return nil
	}
	i := e.cur
	e.cur, e.curKind = -1, ""
	return e.stop(w, i)
}

// closeAll closes every open block, in index order.
func (e *StreamEncoder) closeAll(w *sse.Writer) error {
	if err := e.closeCur(w); err != nil {
		return err
	}
	for len(e.open) > 0 {
		if err := e.closeTool(w, e.open[0]); err != nil {
			return err
		}
	}
	return nil
}

func (e *StreamEncoder) stop(w *sse.Writer, index int) error {
	b := append(e.buf[:0], `{"type":"content_block_stop","index":`...)
	b = strconv.AppendInt(b, int64(index), 10)
	return e.write(w, "content_block_stop", append(b, '}'))
}

// Finish ends the stream: it closes the open block, writes message_delta with the stop reason
// and the final usage, then comment as an SSE comment line when it is not "", then
// message_stop. A stream without any chunk still gets its message_start first.
func (e *StreamEncoder) Finish(w *sse.Writer, comment string) error {
	if !e.started {
		if err := e.start(w, "", ""); err != nil {
			return err
		}
	}
	if err := e.closeAll(w); err != nil {
		return err
	}
	finish := e.finish
	if e.anyTool && (finish == "" || finish == llm.FinishStop) {
		// Engines that say "stop" after calling tools: an Anthropic client runs the tools
		// only on tool_use.
		finish = llm.FinishToolCalls
	}
	b := append(e.buf[:0], `{"type":"message_delta","delta":{"stop_reason":`...)
	b = appendString(b, StopReason(finish, e.stopSeq))
	b = append(b, `,"stop_sequence":`...)
	if e.stopSeq != "" {
		b = appendString(b, e.stopSeq)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `},"usage":`...)
	u := llm.Usage{InputTokens: e.inputTokens}
	if e.usage != nil {
		u = *e.usage
	}
	b = appendUsage(b, u)
	if err := e.write(w, "message_delta", append(b, '}')); err != nil {
		return err
	}
	if comment != "" {
		if err := w.Comment(comment); err != nil {
			return err
		}
	}
	return w.Event("message_stop", []byte(`{"type":"message_stop"}`))
}
