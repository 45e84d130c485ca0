package responseswire

import (
	"encoding/json"
	"errors"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// StreamEncoder turns a canonical stream into the events of a streamed Responses API answer:
// response.created and response.in_progress, the events that add output items and stream
// their content, and response.completed (or response.incomplete, or an error) with the whole
// response object. Every event carries a sequence number, counted from 0.
//
// Items follow each other: when a chunk brings content of another kind (reasoning, text, a
// tool call) the item that was open is finished first. A StreamEncoder serves one stream; it
// is not safe for concurrent use.
type StreamEncoder struct {
	// Keep, when set, is called by Finish once the last item is finished, before the final
	// event goes out, with the answer assembled from the stream and the final response
	// object; the ingress stores the response there, so that a client that saw it complete
	// can continue it. When Keep fails, Finish returns its error without sending the final
	// event, and the stream may still be ended with Fail.
	Keep func(resp *llm.Response, object []byte) error

	m        Meta
	seq      int
	started  bool
	finished bool

	items []*streamItem // in output order
	open  *streamItem   // the item the next delta of its kind goes to
	tools map[int]*streamItem

	// The answer assembled from the stream.
	text        strings.Builder
	refusal     strings.Builder
	thinking    []*thinkingState
	thinkOpen   bool // the last thinking block takes more text
	calls       []*streamItem
	finish      string
	usage       *llm.Usage
	model       string
	serviceTier string
}

type streamItem struct {
	kind   string // itemReasoning, itemMessage, itemFunctionCall or itemCustomToolCall
	id     string
	index  int
	done   bool
	status string

	// reasoning
	parts     []*strings.Builder
	partOpen  bool
	encrypted string           // the first encrypted block
	blocks    []*thinkingState // the thinking blocks the item holds

	// message: the content parts in the order they started
	content []*contentState
	textC   *contentState
	refC    *contentState

	// tool call
	callID, name, canonical string
	args                    strings.Builder
	signature               string
}

type contentState struct {
	index    int
	refusal  bool
	buf      strings.Builder
	logprobs []json.RawMessage
}

type thinkingState struct {
	text      strings.Builder
	signature string
	redacted  string
}

// NewStreamEncoder returns an encoder for the stream of the response m describes.
func NewStreamEncoder(m Meta) *StreamEncoder {
	return &StreamEncoder{m: m, tools: map[int]*streamItem{}}
}

// Start sends response.created and response.in_progress. Chunk, Finish and Fail call it
// when it has not been called.
func (e *StreamEncoder) Start(w *sse.Writer) error {
	if e.started {
		return nil
	}
	e.started = true
	b, err := marshal(e.m.object(nil, StatusInProgress))
	if err != nil {
		return err
	}
	if err := e.emit(w, &event{Type: "response.created", Response: b}); err != nil {
		return err
	}
	return e.emit(w, &event{Type: "response.in_progress", Response: b})
}

// Chunk sends the events for one canonical chunk. Only the first choice is read: a Responses
// answer has one.
func (e *StreamEncoder) Chunk(w *sse.Writer, c *llm.Chunk) error {
	if e.finished {
		return errors.New("responseswire: chunk after the end of the stream")
	}
	if err := c.Decode(); err != nil {
		return err
	}
	if err := e.Start(w); err != nil {
		return err
	}
	if c.Usage != nil {
		e.usage = c.Usage
	}
	if c.Model != "" {
		e.model = c.Model
	}
	if c.ServiceTier != "" {
		e.serviceTier = c.ServiceTier
	}
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.Index != 0 {
			continue
		}
		if err := e.delta(w, &ch.Delta, ch.Logprobs); err != nil {
			return err
		}
		if ch.FinishReason != "" {
			e.finish = ch.FinishReason
		}
	}
	return nil
}

func (e *StreamEncoder) delta(w *sse.Writer, d *llm.Delta, logprobs json.RawMessage) error {
	if d.Reasoning != "" {
		if err := e.reasoning(w, d.Reasoning); err != nil {
			return err
		}
	}
	if d.ReasoningSignature != "" {
		if err := e.signature(w, d.ReasoningSignature); err != nil {
			return err
		}
	}
	if d.RedactedThinking != "" {
		if err := e.redacted(w, d.RedactedThinking); err != nil {
			return err
		}
	}
	if d.Content != "" {
		if err := e.content(w, d.Content, false, logprobs); err != nil {
			return err
		}
	}
	if d.Refusal != "" {
		if err := e.content(w, d.Refusal, true, nil); err != nil {
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

// item returns the open item if it is of kind, else finishes the open item and adds a new one
// of kind, set up by init (which may be nil) before it is announced.
func (e *StreamEncoder) item(w *sse.Writer, kind string, init func(*streamItem)) (*streamItem, error) {
	if e.open != nil && e.open.kind == kind && kind != itemFunctionCall && kind != itemCustomToolCall && init == nil {
		return e.open, nil
	}
	if e.open != nil {
		if err := e.closeItem(w, e.open, StatusCompleted); err != nil {
			return nil, err
		}
	}
	prefix := map[string]string{itemReasoning: "rs", itemMessage: "msg", itemFunctionCall: "fc", itemCustomToolCall: "ctc"}[kind]
	it := &streamItem{kind: kind, index: len(e.items), status: StatusInProgress}
	it.id = e.m.itemID(prefix, it.index)
	if init != nil {
		init(it)
	}
	e.items = append(e.items, it)
	e.open = it
	return it, e.emit(w, &event{Type: "response.output_item.added", OutputIndex: &it.index, Item: e.itemJSON(it)})
}

func (e *StreamEncoder) reasoning(w *sse.Writer, delta string) error {
	it, err := e.item(w, itemReasoning, nil)
	if err != nil {
		return err
	}
	if !it.partOpen {
		it.parts = append(it.parts, new(strings.Builder))
		it.partOpen = true
		n := len(it.parts) - 1
		part, _ := marshal(summaryPart{Type: "summary_text", Text: ""})
		if err := e.emit(w, &event{Type: "response.reasoning_summary_part.added", ItemID: it.id, OutputIndex: &it.index,
			SummaryIndex: &n, Part: part}); err != nil {
			return err
		}
	}
	n := len(it.parts) - 1
	it.parts[n].WriteString(delta)
	if !e.thinkOpen {
		ts := &thinkingState{}
		e.thinking = append(e.thinking, ts)
		it.blocks = append(it.blocks, ts)
		e.thinkOpen = true
	}
	e.thinking[len(e.thinking)-1].text.WriteString(delta)
	return e.emit(w, &event{Type: "response.reasoning_summary_text.delta", ItemID: it.id, OutputIndex: &it.index,
		SummaryIndex: &n, Delta: &delta})
}

// signature ends a thinking block (Anthropic's signature_delta): it ends the summary part,
// and a later reasoning delta starts a new one. The signature itself has no place in the
// Responses format; the assembled answer keeps it.
func (e *StreamEncoder) signature(w *sse.Writer, sig string) error {
	it := e.open
	if it != nil && it.kind != itemReasoning {
		it = nil
	}
	if e.thinkOpen {
		e.thinking[len(e.thinking)-1].signature = sig
		e.thinkOpen = false
	} else {
		ts := &thinkingState{signature: sig}
		e.thinking = append(e.thinking, ts)
		if it != nil {
			it.blocks = append(it.blocks, ts)
		}
	}
	if it != nil && it.partOpen {
		return e.closePart(w, it)
	}
	return nil
}

// redacted records an encrypted thinking block as a reasoning item's encrypted_content: the
// open reasoning item's, unless that already has one, then a new item's. Signed blocks share
// an item (see thinkingEnvelope).
func (e *StreamEncoder) redacted(w *sse.Writer, data string) error {
	ts := &thinkingState{redacted: data}
	e.thinking = append(e.thinking, ts)
	e.thinkOpen = false
	if it := e.open; it != nil && it.kind == itemReasoning && (it.encrypted == "" || it.signed()) {
		if it.encrypted == "" {
			it.encrypted = data
		}
		it.blocks = append(it.blocks, ts)
		return nil
	}
	_, err := e.item(w, itemReasoning, func(it *streamItem) {
		it.encrypted = data
		it.blocks = []*thinkingState{ts}
	})
	return err
}

// signed reports whether any of the item's thinking blocks has a signature.
func (it *streamItem) signed() bool {
	for _, b := range it.blocks {
		if b.signature != "" {
			return true
		}
	}
	return false
}

func (e *StreamEncoder) closePart(w *sse.Writer, it *streamItem) error {
	it.partOpen = false
	n := len(it.parts) - 1
	text := it.parts[n].String()
	if err := e.emit(w, &event{Type: "response.reasoning_summary_text.done", ItemID: it.id, OutputIndex: &it.index,
		SummaryIndex: &n, Text: &text}); err != nil {
		return err
	}
	part, _ := marshal(summaryPart{Type: "summary_text", Text: text})
	return e.emit(w, &event{Type: "response.reasoning_summary_part.done", ItemID: it.id, OutputIndex: &it.index,
		SummaryIndex: &n, Part: part})
}

// content streams text (or refusal text) into the open message item.
func (e *StreamEncoder) content(w *sse.Writer, delta string, refusal bool, logprobs json.RawMessage) error {
	it, err := e.item(w, itemMessage, nil)
	if err != nil {
		return err
	}
	c := it.textC
	if refusal {
		c = it.refC
	}
	if c == nil {
		c = &contentState{index: len(it.content), refusal: refusal}
		it.content = append(it.content, c)
		if refusal {
			it.refC = c
		} else {
			it.textC = c
		}
		if err := e.emit(w, &event{Type: "response.content_part.added", ItemID: it.id, OutputIndex: &it.index,
			ContentIndex: &c.index, Part: c.part("")}); err != nil {
			return err
		}
	}
	c.buf.WriteString(delta)
	if refusal {
		e.refusal.WriteString(delta)
		return e.emit(w, &event{Type: "response.refusal.delta", ItemID: it.id, OutputIndex: &it.index,
			ContentIndex: &c.index, Delta: &delta})
	}
	e.text.WriteString(delta)
	lp := json.RawMessage("[]")
	if l := chatLogprobs(logprobs); l != nil {
		var elems []json.RawMessage
		if json.Unmarshal(l, &elems) == nil {
			c.logprobs = append(c.logprobs, elems...)
			lp = l
		}
	}
	return e.emit(w, &event{Type: "response.output_text.delta", ItemID: it.id, OutputIndex: &it.index,
		ContentIndex: &c.index, Delta: &delta, Logprobs: lp})
}

// part renders a content part holding text.
func (c *contentState) part(text string) json.RawMessage {
	if c.refusal {
		b, _ := marshal(refusalPart{Type: "refusal", Refusal: text})
		return b
	}
	lp := json.RawMessage("[]")
	if len(c.logprobs) > 0 && text != "" {
		lp, _ = marshal(c.logprobs)
	}
	return textPart(text, lp)
}

// toolCall streams a piece of a tool call: its first piece (a new index or id) adds a
// function_call (or custom_tool_call) item, later pieces add to its arguments.
func (e *StreamEncoder) toolCall(w *sse.Writer, d *llm.ToolCallDelta) error {
	it := e.tools[d.Index]
	if it != nil && (d.ID != "" && d.ID != it.callID || d.ID == "" && d.Name != "" && it.done) {
		it = nil // a new call that reuses an index
	}
	if it == nil {
		kind := itemFunctionCall
		if e.m.Req != nil && e.m.Req.CustomTools[d.Name] {
			kind = itemCustomToolCall
		}
		var err error
		it, err = e.item(w, kind, func(it *streamItem) {
			it.callID = d.ID
			if it.callID == "" {
				it.callID = "call_" + e.m.hash("call", len(e.calls))[:24]
			}
			it.canonical = d.Name
			_, it.name = e.m.toolName(d.Name)
		})
		if err != nil {
			return err
		}
		e.tools[d.Index] = it
		e.calls = append(e.calls, it)
	} else if it.canonical == "" && d.Name != "" {
		it.canonical = d.Name
		_, it.name = e.m.toolName(d.Name)
	}
	if d.Signature != "" {
		it.signature = d.Signature
	}
	if d.Arguments == "" {
		return nil
	}
	it.args.WriteString(d.Arguments)
	if it.done || it.kind == itemCustomToolCall {
		// A custom tool's input is sent whole when the call ends: the arguments stream as a
		// JSON object that holds it. A piece of a call that already ended (providers send
		// calls one after the other) only reaches the final response object.
		return nil
	}
	return e.emit(w, &event{Type: "response.function_call_arguments.delta", ItemID: it.id, OutputIndex: &it.index,
		Delta: &d.Arguments})
}

// closeItem sends the events that end an item, down to response.output_item.done.
func (e *StreamEncoder) closeItem(w *sse.Writer, it *streamItem, status string) error {
	if e.open == it {
		e.open = nil
	}
	switch it.kind {
	case itemReasoning:
		// A thinking block ends with its item: later reasoning goes to a new item and block.
		e.thinkOpen = false
		if it.partOpen {
			if err := e.closePart(w, it); err != nil {
				return err
			}
		}
	case itemMessage:
		for _, c := range it.content {
			text := c.buf.String()
			ev := &event{Type: "response.output_text.done", ItemID: it.id, OutputIndex: &it.index, ContentIndex: &c.index, Text: &text,
				Logprobs: json.RawMessage("[]")}
			if c.refusal {
				ev = &event{Type: "response.refusal.done", ItemID: it.id, OutputIndex: &it.index, ContentIndex: &c.index, Refusal: &text}
			} else if len(c.logprobs) > 0 {
				ev.Logprobs, _ = marshal(c.logprobs)
			}
			if err := e.emit(w, ev); err != nil {
				return err
			}
			if err := e.emit(w, &event{Type: "response.content_part.done", ItemID: it.id, OutputIndex: &it.index,
				ContentIndex: &c.index, Part: c.part(text)}); err != nil {
				return err
			}
		}
	case itemFunctionCall:
		args := it.args.String()
		if err := e.emit(w, &event{Type: "response.function_call_arguments.done", ItemID: it.id, OutputIndex: &it.index,
			Arguments: &args}); err != nil {
			return err
		}
	case itemCustomToolCall:
		input := customInput(it.args.String())
		if input != "" {
			if err := e.emit(w, &event{Type: "response.custom_tool_call_input.delta", ItemID: it.id, OutputIndex: &it.index,
				Delta: &input}); err != nil {
				return err
			}
		}
		if err := e.emit(w, &event{Type: "response.custom_tool_call_input.done", ItemID: it.id, OutputIndex: &it.index,
			Input: &input}); err != nil {
			return err
		}
	}
	it.done = true
	it.status = status
	return e.emit(w, &event{Type: "response.output_item.done", OutputIndex: &it.index, Item: e.itemJSON(it)})
}

// itemJSON renders an item as it stands, for the client.
func (e *StreamEncoder) itemJSON(it *streamItem) json.RawMessage {
	return e.renderItem(it, e.m.Req.includes(includeEncryptedReasoning))
}

// renderItem renders an item as it stands; encrypted says whether a reasoning item holds its
// encrypted content.
func (e *StreamEncoder) renderItem(it *streamItem, encrypted bool) json.RawMessage {
	var v any
	switch it.kind {
	case itemReasoning:
		r := reasoningItem{ID: it.id, Type: itemReasoning, Summary: []summaryPart{}}
		for _, p := range it.parts {
			r.Summary = append(r.Summary, summaryPart{Type: "summary_text", Text: p.String()})
		}
		if encrypted {
			if it.signed() {
				var blocks []llm.ThinkingBlock
				for _, b := range it.blocks {
					blocks = append(blocks, llm.ThinkingBlock{Text: b.text.String(), Signature: b.signature, Redacted: b.redacted})
				}
				sealed := sealThinking(blocks)
				r.EncryptedContent = &sealed
			} else if it.encrypted != "" {
				r.EncryptedContent = &it.encrypted
			}
		}
		v = r
	case itemMessage:
		mi := messageItem{ID: it.id, Type: itemMessage, Status: it.status, Content: []json.RawMessage{}, Role: llm.RoleAssistant}
		for _, c := range it.content {
			mi.Content = append(mi.Content, c.part(c.buf.String()))
		}
		v = mi
	case itemFunctionCall, itemCustomToolCall:
		ns, _ := e.m.toolName(it.canonical)
		if it.kind == itemCustomToolCall {
			input := ""
			if it.done {
				input = customInput(it.args.String())
			}
			v = customToolCallItem{ID: it.id, Type: itemCustomToolCall, Status: it.status, CallID: it.callID,
				Input: input, Name: it.name, Namespace: ns}
		} else {
			v = functionCallItem{ID: it.id, Type: itemFunctionCall, Status: it.status, Arguments: it.args.String(),
				CallID: it.callID, Name: it.name, Namespace: ns}
		}
	}
	b, _ := marshal(v)
	return b
}

// Finish ends the stream: it finishes the open item, writes comment (an SSE comment, when not
// empty), and sends response.completed, or response.incomplete when the answer was cut short
// (finish reason length or content_filter), with the whole response object and the usage of
// the last chunk that had one. It returns the answer assembled from the stream, for storage
// and accounting, and the final response object.
func (e *StreamEncoder) Finish(w *sse.Writer, comment string) (*llm.Response, []byte, error) {
	if e.finished {
		return nil, nil, errors.New("responseswire: stream already ended")
	}
	if err := e.Start(w); err != nil {
		return nil, nil, err
	}
	status := e.m.Status
	if status == "" {
		status = statusOf(e.finish)
	}
	if e.open != nil {
		if err := e.closeItem(w, e.open, itemStatus(status)); err != nil {
			return nil, nil, err
		}
	}
	if comment != "" {
		if err := w.Comment(comment); err != nil {
			return nil, nil, err
		}
	}
	resp := e.response()
	obj := e.m.object(resp, status)
	obj.Output = e.output()
	obj.Usage = usageOf(e.usage)
	if status == StatusIncomplete {
		obj.IncompleteDetails = incompleteOf(e.finish)
	}
	b, err := marshal(obj)
	if err != nil {
		return nil, nil, err
	}
	if e.Keep != nil {
		if err := e.Keep(resp, b); err != nil {
			return resp, b, err
		}
	}
	e.finished = true
	typ := "response.completed"
	switch status {
	case StatusIncomplete:
		typ = "response.incomplete"
	case StatusFailed:
		typ = "response.failed"
	}
	if err := e.emit(w, &event{Type: typ, Response: b}); err != nil {
		return resp, b, err
	}
	return resp, b, nil
}

// Fail ends the stream with an error after it has started, which can no longer be an HTTP
// status: an "error" event, which OpenAI's SDKs raise as an error, then response.failed with
// the response object (status failed, its error, the output so far).
func (e *StreamEncoder) Fail(w *sse.Writer, le *llm.Error) error {
	if e.finished {
		return errors.New("responseswire: stream already ended")
	}
	if err := e.Start(w); err != nil {
		return err
	}
	e.finished = true
	code := le.Code
	if code == "" {
		code = "server_error"
	}
	typ := le.Type
	if typ == "" {
		typ = llm.TypeServer
	}
	var param *string
	if le.Param != "" {
		param = &le.Param
	}
	ev := errorEvent{Type: "error", SequenceNumber: e.seq, Code: &code, Message: le.Message, Param: param,
		Error: errorDetail{Type: typ, Code: &code, Message: le.Message, Param: param}}
	e.seq++
	b, err := marshal(ev)
	if err != nil {
		return err
	}
	if err := w.Event("error", b); err != nil {
		return err
	}
	for _, it := range e.items {
		if !it.done {
			it.status = StatusIncomplete
		}
	}
	resp := e.response()
	obj := e.m.object(resp, StatusFailed)
	obj.Output = e.output()
	obj.Usage = usageOf(e.usage)
	obj.Error = &responseError{Code: code, Message: le.Message}
	ob, err := marshal(obj)
	if err != nil {
		return err
	}
	return e.emit(w, &event{Type: "response.failed", Response: ob})
}

// OutputItems returns the output items the stream has sent so far, for storage (see the
// function OutputItems): after Finish, or in Keep, the items to store for
// previous_response_id. They hold the encrypted reasoning whether or not the request
// included it.
func (e *StreamEncoder) OutputItems() json.RawMessage {
	out := make([]json.RawMessage, 0, len(e.items))
	for _, it := range e.items {
		out = append(out, e.renderItem(it, true))
	}
	b, _ := marshal(out)
	return b
}

// Response returns the answer assembled from the chunks sent so far.
func (e *StreamEncoder) Response() *llm.Response { return e.response() }

func (e *StreamEncoder) output() []json.RawMessage {
	out := make([]json.RawMessage, 0, len(e.items))
	for _, it := range e.items {
		out = append(out, e.itemJSON(it))
	}
	return out
}

// response assembles the canonical answer from what the stream sent.
func (e *StreamEncoder) response() *llm.Response {
	msg := llm.Message{Role: llm.RoleAssistant, Refusal: e.refusal.String()}
	if s := e.text.String(); s != "" {
		msg.Content = []llm.Part{llm.TextPart(s)}
	}
	var reasoning []string
	for _, t := range e.thinking {
		b := llm.ThinkingBlock{Text: t.text.String(), Signature: t.signature, Redacted: t.redacted}
		msg.Thinking = append(msg.Thinking, b)
		if b.Text != "" {
			reasoning = append(reasoning, b.Text)
		}
	}
	msg.Reasoning = strings.Join(reasoning, reasoningJoin)
	for _, c := range e.calls {
		msg.ToolCalls = append(msg.ToolCalls, llm.ToolCall{ID: c.callID, Name: c.canonical, Arguments: c.args.String(),
			Signature: c.signature})
	}
	if len(msg.Content) == 0 && len(msg.ToolCalls) > 0 {
		msg.ContentNull = true
	}
	model := e.m.Model
	if model == "" {
		model = e.model
	}
	if model == "" && e.m.Req != nil && e.m.Req.Chat != nil {
		model = e.m.Req.Chat.Model
	}
	return &llm.Response{ID: e.m.ID, Model: model, Created: e.m.CreatedAt, ServiceTier: e.serviceTier, Usage: e.usage,
		Choices: []llm.Choice{{Message: msg, FinishReason: e.finish}}}
}

func (e *StreamEncoder) emit(w *sse.Writer, ev *event) error {
	ev.SequenceNumber = e.seq
	e.seq++
	b, err := marshal(ev)
	if err != nil {
		return err
	}
	return w.Event(ev.Type, b)
}
