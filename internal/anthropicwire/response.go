package anthropicwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// wireUsage is Anthropic's usage object, as read; absent counts are nil.
type wireUsage struct {
	InputTokens              *int `json:"input_tokens"`
	OutputTokens             *int `json:"output_tokens"`
	CacheCreationInputTokens *int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int `json:"cache_read_input_tokens"`
	// service_tier ("standard", "priority", "batch") is not kept: Response.ServiceTier is in
	// OpenAI's vocabulary ("default", "flex", "priority"), and clients of that format read it.
	OutputTokensDetails *struct {
		ThinkingTokens int `json:"thinking_tokens"`
	} `json:"output_tokens_details"`
}

// wireResponse is the message object of a non-streamed answer.
type wireResponse struct {
	ID           string            `json:"id"`
	Type         string            `json:"type"`
	Role         string            `json:"role"`
	Model        string            `json:"model"`
	Content      []json.RawMessage `json:"content"`
	StopReason   *string           `json:"stop_reason"`
	StopSequence *string           `json:"stop_sequence"`
	Usage        *wireUsage        `json:"usage"`
}

func intOf(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// usageToCanonical converts Anthropic's counts: its input_tokens leave out the tokens read
// from and written to the prompt cache, which llm.Usage.InputTokens includes.
func usageToCanonical(u *wireUsage) *llm.Usage {
	if u == nil {
		return nil
	}
	read, write := intOf(u.CacheReadInputTokens), intOf(u.CacheCreationInputTokens)
	out := &llm.Usage{InputTokens: intOf(u.InputTokens) + read + write, OutputTokens: intOf(u.OutputTokens),
		CachedInputTokens: read, CacheWriteTokens: write}
	if u.OutputTokensDetails != nil {
		out.ReasoningTokens = u.OutputTokensDetails.ThinkingTokens
	}
	out.TotalTokens = out.InputTokens + out.OutputTokens
	return out
}

// appendUsage appends Anthropic's usage object for u.
func appendUsage(b []byte, u llm.Usage) []byte {
	in := max(u.InputTokens-u.CachedInputTokens-u.CacheWriteTokens, 0)
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(in), 10)
	b = append(b, `,"cache_creation_input_tokens":`...)
	b = strconv.AppendInt(b, int64(u.CacheWriteTokens), 10)
	b = append(b, `,"cache_read_input_tokens":`...)
	b = strconv.AppendInt(b, int64(u.CachedInputTokens), 10)
	b = append(b, `,"output_tokens":`...)
	b = strconv.AppendInt(b, int64(u.OutputTokens), 10)
	return append(b, '}')
}

// FinishReason maps an Anthropic stop_reason to the canonical finish reason.
func FinishReason(stopReason string) string {
	switch stopReason {
	case "end_turn", "stop_sequence", "":
		return llm.FinishStop
	case "max_tokens", "model_context_window_exceeded":
		return llm.FinishLength
	case "tool_use":
		return llm.FinishToolCalls
	case "pause_turn":
		return llm.FinishPause
	case "refusal":
		return llm.FinishContentFilter
	}
	return llm.FinishStop
}

// StopReason maps a canonical finish reason to Anthropic's stop_reason; stopSequence is the
// matched stop sequence, if any.
func StopReason(finish, stopSequence string) string {
	switch finish {
	case llm.FinishLength:
		return "max_tokens"
	case llm.FinishToolCalls, llm.FinishFunctionCall:
		return "tool_use"
	case llm.FinishContentFilter:
		return "refusal"
	case llm.FinishPause:
		return "pause_turn"
	}
	if stopSequence != "" {
		return "stop_sequence"
	}
	return "end_turn"
}

// DecodeResponse parses an upstream message object. The body is kept as Raw so that an
// Anthropic client can get it byte for byte.
func DecodeResponse(body []byte) (*llm.Response, error) {
	if IsErrorBody(body) {
		return nil, errors.New("decode message: the body is an error object")
	}
	var w wireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decode message: %w", err)
	}
	if w.Type != "message" {
		return nil, fmt.Errorf("decode message: unexpected type %q", w.Type)
	}
	r := &llm.Response{ID: w.ID, Model: w.Model, Usage: usageToCanonical(w.Usage), Raw: body, RawFormat: llm.FormatAnthropic}
	c := llm.Choice{Message: llm.Message{Role: llm.RoleAssistant}}
	if w.StopReason != nil {
		c.FinishReason = FinishReason(*w.StopReason)
	}
	if w.StopSequence != nil {
		c.StopSequence = *w.StopSequence
	}
	m := &c.Message
	for i, raw := range w.Content {
		o, err := decodeObject(raw, fmt.Sprintf("content.%d", i))
		if err != nil {
			return nil, fmt.Errorf("decode message: content block %d is not an object", i)
		}
		t, _, _ := o.str("type", "")
		switch t {
		case "text":
			s, _, err := o.str("text", "")
			if err != nil {
				return nil, fmt.Errorf("decode message: content block %d: text is not a string", i)
			}
			m.Content = append(m.Content, withExtras(llm.TextPart(s), o, "type", "text"))
		case "thinking":
			tb := llm.ThinkingBlock{Format: llm.FormatAnthropic}
			tb.Text, _, _ = o.str("thinking", "")
			tb.Signature, _, _ = o.str("signature", "")
			m.Thinking = append(m.Thinking, tb)
			if tb.Text != "" {
				if m.Reasoning != "" {
					m.Reasoning += "\n\n"
				}
				m.Reasoning += tb.Text
			}
		case "redacted_thinking":
			tb := llm.ThinkingBlock{Format: llm.FormatAnthropic}
			tb.Redacted, _, _ = o.str("data", "")
			m.Thinking = append(m.Thinking, tb)
		case "tool_use":
			var tc llm.ToolCall
			tc.ID, _, _ = o.str("id", "")
			tc.Name, _, _ = o.str("name", "")
			tc.Arguments = "{}"
			if o.has("input") {
				tc.Arguments = string(compact(o["input"]))
			}
			m.ToolCalls = append(m.ToolCalls, tc)
		default:
			m.Content = append(m.Content, otherPart(raw, t))
		}
	}
	m.ContentNull = len(m.Content) == 0
	r.Choices = []llm.Choice{c}
	return r, nil
}

// EncodeResponse renders r as Anthropic's message object, naming model (r.Model when ""). Raw
// upstream bytes in this format are returned as they are when the model name is the same.
// An id that is not Anthropic's ("msg_…") is replaced by a new one; tool-call ids are kept.
func EncodeResponse(r *llm.Response, model string) ([]byte, error) {
	if model == "" {
		model = r.Model
	}
	if r.Raw != nil && r.RawFormat == llm.FormatAnthropic && model == r.Model {
		return r.Raw, nil
	}
	id := r.ID
	if !strings.HasPrefix(id, "msg_") {
		id = newID("msg_")
	}
	b := append([]byte(`{"id":`), appendString(nil, id)...)
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = appendString(b, model)
	b = append(b, `,"content":[`...)
	var c llm.Choice
	if len(r.Choices) > 0 {
		c = r.Choices[0]
	}
	m := &c.Message
	n := 0
	sep := func() {
		if n > 0 {
			b = append(b, ',')
		}
		n++
	}
	if len(m.Thinking) > 0 {
		for _, t := range m.Thinking {
			sep()
			if t.Redacted != "" {
				b = append(b, `{"type":"redacted_thinking","data":`...)
				b = appendString(b, t.Redacted)
			} else {
				b = append(b, `{"type":"thinking","thinking":`...)
				b = appendString(b, t.Text)
				b = append(b, `,"signature":`...)
				b = appendString(b, t.Signature)
			}
			b = append(b, '}')
		}
	} else if m.Reasoning != "" {
		// Reasoning of another provider: shown as a thinking block without a signature,
		// which the gateway leaves out if the client sends it back to Anthropic.
		sep()
		b = append(b, `{"type":"thinking","thinking":`...)
		b = appendString(b, m.Reasoning)
		b = append(b, `,"signature":""}`...)
	}
	texts := 0
	for _, p := range m.Content {
		switch {
		case p.Type == llm.PartText:
			if p.Text == "" {
				continue
			}
			sep()
			texts++
			tb := append([]byte(`{"type":"text","text":`), appendString(nil, p.Text)...)
			b = append(b, closeBlock(tb, nil, extrasOf(p), "type", "text")...)
		case p.Type == llm.PartOther && p.RawFormat == llm.FormatAnthropic && len(p.Raw) > 0:
			sep()
			b = append(b, p.Raw...)
		}
	}
	if texts == 0 && m.Refusal != "" {
		sep()
		b = append(b, `{"type":"text","text":`...)
		b = appendString(b, m.Refusal)
		b = append(b, '}')
	}
	for _, tc := range m.ToolCalls {
		sep()
		tid := tc.ID
		if tid == "" {
			tid = newID("toolu_")
		}
		b = append(b, `{"type":"tool_use","id":`...)
		b = appendString(b, tid)
		b = append(b, `,"name":`...)
		b = appendString(b, tc.Name)
		b = append(b, `,"input":`...)
		b = append(b, toolInput(tc.Arguments)...)
		b = append(b, '}')
	}
	b = append(b, `],"stop_reason":`...)
	finish := c.FinishReason
	if len(m.ToolCalls) > 0 && (finish == "" || finish == llm.FinishStop) {
		// Engines that say "stop" after calling tools: an Anthropic client runs the tools
		// only on tool_use.
		finish = llm.FinishToolCalls
	}
	b = appendString(b, StopReason(finish, c.StopSequence))
	b = append(b, `,"stop_sequence":`...)
	if c.StopSequence != "" {
		b = appendString(b, c.StopSequence)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"usage":`...)
	var u llm.Usage
	if r.Usage != nil {
		u = *r.Usage
	}
	b = appendUsage(b, u)
	return append(b, '}'), nil
}

// toolInput returns a tool call's arguments as the JSON object Anthropic's input is; anything
// else (a model's broken JSON) becomes an empty object.
func toolInput(args string) []byte {
	a := bytes.TrimSpace([]byte(args))
	if len(a) == 0 || a[0] != '{' || !json.Valid(a) {
		return []byte("{}")
	}
	return a
}

// EncodeCountTokensResponse renders the answer of POST /v1/messages/count_tokens.
func EncodeCountTokensResponse(inputTokens int) []byte {
	b := strconv.AppendInt([]byte(`{"input_tokens":`), int64(inputTokens), 10)
	return append(b, '}')
}
