package openaiwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// DecodeChatResponse parses an upstream chat.completion body. The body is kept as Raw so that
// an OpenAI-format client can get it byte for byte.
func DecodeChatResponse(body []byte) (*llm.Response, error) {
	if IsErrorBody(body) {
		// Without this check an error envelope decodes as an empty answer.
		return nil, errors.New("decode chat.completion: the body is an error object")
	}
	var w ChatResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decode chat.completion: %w", err)
	}
	if w.Object != "" && w.Object != "chat.completion" {
		return nil, fmt.Errorf("decode chat.completion: unexpected object %q", w.Object)
	}
	r := &llm.Response{ID: w.ID, Model: w.Model, Created: w.Created, ServiceTier: w.ServiceTier,
		Usage: usageToCanonical(w.Usage), Raw: body, RawFormat: llm.FormatOpenAIChat}
	if w.SystemFingerprint != nil {
		r.SystemFingerprint = *w.SystemFingerprint
	}
	r.Choices = make([]llm.Choice, len(w.Choices))
	for i, c := range w.Choices {
		out := &r.Choices[i]
		out.Index = c.Index
		if c.FinishReason != nil {
			out.FinishReason = *c.FinishReason
		}
		if !isNull(c.Logprobs) {
			out.Logprobs = c.Logprobs
		}
		m := &out.Message
		m.Role = c.Message.Role
		if m.Role == "" {
			m.Role = llm.RoleAssistant
		}
		if c.Message.Content != nil {
			m.Content = []llm.Part{llm.TextPart(*c.Message.Content)}
		} else {
			m.ContentNull = true
		}
		if c.Message.Refusal != nil {
			m.Refusal = *c.Message.Refusal
		}
		m.Reasoning = c.Message.ReasoningContent
		for _, tc := range c.Message.ToolCalls {
			m.ToolCalls = append(m.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
		if fc := c.Message.FunctionCall; fc != nil && len(c.Message.ToolCalls) == 0 {
			// A legacy "functions" answer is a tool call without an id; EncodeChatResponse
			// turns it back into function_call when the finish reason says so.
			m.ToolCalls = append(m.ToolCalls, llm.ToolCall{Name: fc.Name, Arguments: fc.Arguments})
		}
	}
	return r, nil
}

// IsErrorBody reports whether body is an error envelope: a JSON object with a non-null "error"
// member. Some servers answer with one under status 200, or send one as a stream event.
func IsErrorBody(body []byte) bool {
	if !bytes.Contains(body, []byte(`"error"`)) {
		return false
	}
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	return json.Unmarshal(body, &env) == nil && len(env.Error) > 0 && !isNull(env.Error)
}

// EncodeChatResponse renders r as a chat.completion body. Raw upstream bytes in this format are
// returned as they are.
func EncodeChatResponse(r *llm.Response) ([]byte, error) {
	if r.Raw != nil && r.RawFormat == llm.FormatOpenAIChat {
		return r.Raw, nil
	}
	w := ChatResponse{ID: r.ID, Object: "chat.completion", Created: r.Created, Model: r.Model,
		Usage: usageFromCanonical(r.Usage), ServiceTier: r.ServiceTier}
	if r.SystemFingerprint != "" {
		w.SystemFingerprint = &r.SystemFingerprint
	}
	w.Choices = make([]Choice, len(r.Choices))
	for i := range r.Choices {
		c := &r.Choices[i]
		out := &w.Choices[i]
		out.Index = c.Index
		out.Logprobs = c.Logprobs
		if out.Logprobs == nil {
			out.Logprobs = json.RawMessage("null")
		}
		if c.FinishReason != "" {
			fr := c.FinishReason
			out.FinishReason = &fr
		}
		out.Message.Role = llm.RoleAssistant
		if !c.Message.ContentNull || len(c.Message.Content) > 0 {
			s := c.Message.Text()
			out.Message.Content = &s
		}
		if c.Message.Refusal != "" {
			out.Message.Refusal = &c.Message.Refusal
		}
		out.Message.ReasoningContent = c.Message.Reasoning
		if tcs := c.Message.ToolCalls; c.FinishReason == llm.FinishFunctionCall && len(tcs) == 1 && tcs[0].ID == "" {
			// The answer to a legacy "functions" request (see DecodeChatResponse).
			out.Message.FunctionCall = &FunctionCall{Name: tcs[0].Name, Arguments: tcs[0].Arguments}
		} else {
			for _, tc := range tcs {
				out.Message.ToolCalls = append(out.Message.ToolCalls, ToolCall{ID: tc.ID, Type: "function",
					Function: FunctionCall{Name: tc.Name, Arguments: tc.Arguments}})
			}
		}
	}
	return json.Marshal(&w)
}

// NewChunk wraps one upstream SSE data payload as a lazily decoded chunk. Chunks that carry
// usage (or an error) are decoded at once, so that later stages and the ledger see them without
// paying for decoding every token's chunk. A finish reason needs no decoding to be noticed: see
// Finishes.
func NewChunk(data []byte) (*llm.Chunk, error) {
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, errors.New("decode chat.completion.chunk: not a JSON object")
	}
	c := llm.NewRawChunk(data, llm.FormatOpenAIChat, decodeChunk)
	if isErr := bytes.Contains(data, memberError); isErr || hasMember(data, memberUsage, '{') {
		if !isErr && decodeUsageChunk(c, data) {
			c.Decoded = true
		} else if err := c.Decode(); err != nil {
			return nil, err
		}
	} else if !looksLikeObject(data) {
		// A full json.Valid of every relayed chunk was a third of the relay's cost. Chunks
		// that the gateway reads (usage, error) are decoded above; the others only need to be one whole JSON object, as a truncated or garbled line is not.
		return nil, fmt.Errorf("decode chat.completion.chunk: invalid JSON")
	}
	return c, nil
}

// Finishes reports whether a chunk payload carries a finish reason (a string, not null), without
// decoding it. The test allows white space around the colon: servers written in Python send
// "finish_reason": "stop", and a missed finish reason looks like a cut-off stream.
func Finishes(data []byte) bool {
	for rest := data; ; {
		i := bytes.Index(rest, memberFinishReason)
		if i < 0 {
			return false
		}
		rest = rest[i+len(memberFinishReason):]
		v := bytes.TrimLeft(rest, " \t\r\n")
		if len(v) == 0 || v[0] != ':' {
			continue
		}
		v = bytes.TrimLeft(v[1:], " \t\r\n")
		// A string, and not the empty one some servers send on every chunk.
		if len(v) > 1 && v[0] == '"' && v[1] != '"' {
			return true
		}
	}
}

var (
	memberFinishReason = []byte(`"finish_reason"`)
	memberUsage        = []byte(`"usage"`)
	memberError        = []byte(`"error"`)
)

// looksLikeObject reports whether data is framed as one JSON object: it opens with '{' and
// closes with '}'. That catches the garbage a broken upstream sends (HTML, cut-off lines) at
// no cost; a chunk garbled inside fails in the client's decoder, as it would behind any proxy.
func looksLikeObject(data []byte) bool {
	t := bytes.TrimSpace(data)
	return len(t) >= 2 && t[0] == '{' && t[len(t)-1] == '}'
}

// hasMember reports whether data holds the quoted member name followed by a colon and a value
// that starts with first. It is a quick filter: a match inside a string only costs an early
// decode.
func hasMember(data, name []byte, first byte) bool {
	for {
		i := bytes.Index(data, name)
		if i < 0 {
			return false
		}
		data = data[i+len(name):]
		rest := bytes.TrimLeft(data, " \t\r\n")
		if len(rest) > 0 && rest[0] == ':' {
			rest = bytes.TrimLeft(rest[1:], " \t\r\n")
			if len(rest) > 0 && rest[0] == first {
				return true
			}
		}
	}
}

func decodeChunk(c *llm.Chunk) error {
	var w Chunk
	if err := json.Unmarshal(c.Raw, &w); err != nil {
		return fmt.Errorf("decode chat.completion.chunk: %w", err)
	}
	c.ID, c.Model, c.Created, c.ServiceTier = w.ID, w.Model, w.Created, w.ServiceTier
	if w.SystemFingerprint != nil {
		c.SystemFingerprint = *w.SystemFingerprint
	}
	c.Usage = usageToCanonical(w.Usage)
	c.Choices = make([]llm.ChunkChoice, len(w.Choices))
	for i, ch := range w.Choices {
		out := &c.Choices[i]
		out.Index = ch.Index
		if ch.FinishReason != nil {
			out.FinishReason = *ch.FinishReason
		}
		if !isNull(ch.Logprobs) {
			out.Logprobs = ch.Logprobs
		}
		d := &out.Delta
		d.Role = ch.Delta.Role
		if ch.Delta.Content != nil {
			d.Content = *ch.Delta.Content
		}
		if ch.Delta.Refusal != nil {
			d.Refusal = *ch.Delta.Refusal
		}
		d.Reasoning = ch.Delta.ReasoningContent
		for j, tc := range ch.Delta.ToolCalls {
			idx := j
			if tc.Index != nil {
				idx = *tc.Index
			}
			d.ToolCalls = append(d.ToolCalls, llm.ToolCallDelta{Index: idx, ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
		if fc := ch.Delta.FunctionCall; fc != nil && len(ch.Delta.ToolCalls) == 0 {
			// A piece of a legacy "functions" call, as the only tool call of the answer.
			d.ToolCalls = append(d.ToolCalls, llm.ToolCallDelta{Name: fc.Name, Arguments: fc.Arguments})
		}
	}
	return nil
}

// EncodeChunk renders c as a chat.completion.chunk payload, relaying raw bytes in this format
// untouched.
func EncodeChunk(c *llm.Chunk) ([]byte, error) {
	if c.Raw != nil && c.RawFormat == llm.FormatOpenAIChat {
		return c.Raw, nil
	}
	if err := c.Decode(); err != nil {
		return nil, err
	}
	w := Chunk{ID: c.ID, Object: "chat.completion.chunk", Created: c.Created, Model: c.Model,
		ServiceTier: c.ServiceTier, Usage: usageFromCanonical(c.Usage)}
	if c.SystemFingerprint != "" {
		w.SystemFingerprint = &c.SystemFingerprint
	}
	w.Choices = make([]ChunkChoice, len(c.Choices))
	for i := range c.Choices {
		ch := &c.Choices[i]
		out := &w.Choices[i]
		out.Index = ch.Index
		out.Logprobs = ch.Logprobs
		if ch.FinishReason != "" {
			fr := ch.FinishReason
			out.FinishReason = &fr
		}
		d := &ch.Delta
		out.Delta.Role = d.Role
		if d.Content != "" || (d.Role != "" && len(d.ToolCalls) == 0) {
			s := d.Content
			out.Delta.Content = &s
		}
		if d.Refusal != "" {
			out.Delta.Refusal = &d.Refusal
		}
		out.Delta.ReasoningContent = d.Reasoning
		for _, tc := range d.ToolCalls {
			idx := tc.Index
			t := ToolCall{Index: &idx, ID: tc.ID, Function: FunctionCall{Name: tc.Name, Arguments: tc.Arguments}}
			if tc.ID != "" {
				t.Type = "function"
			}
			out.Delta.ToolCalls = append(out.Delta.ToolCalls, t)
		}
	}
	return json.Marshal(&w)
}

func usageToCanonical(u *Usage) *llm.Usage {
	if u == nil {
		return nil
	}
	out := &llm.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	if u.PromptTokensDetails != nil {
		out.CachedInputTokens = u.PromptTokensDetails.CachedTokens
	}
	if u.CompletionTokensDetails != nil {
		out.ReasoningTokens = u.CompletionTokensDetails.ReasoningTokens
	}
	if out.TotalTokens == 0 {
		out.TotalTokens = out.InputTokens + out.OutputTokens
	}
	return out
}

func usageFromCanonical(u *llm.Usage) *Usage {
	if u == nil {
		return nil
	}
	total := u.TotalTokens
	if total == 0 {
		total = u.InputTokens + u.OutputTokens
	}
	return &Usage{PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens, TotalTokens: total,
		PromptTokensDetails:     &PromptTokensDetails{CachedTokens: u.CachedInputTokens},
		CompletionTokensDetails: &CompletionTokensDetails{ReasoningTokens: u.ReasoningTokens}}
}
