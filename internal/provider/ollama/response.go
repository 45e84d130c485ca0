package ollama

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// chatResponse is a non-streamed /api/chat answer and also one line of a streamed one.
type chatResponse struct {
	Model     string `json:"model"`
	CreatedAt string `json:"created_at"`
	Message   struct {
		Role      string     `json:"role"`
		Content   string     `json:"content"`
		Thinking  string     `json:"thinking"`
		ToolCalls []toolCall `json:"tool_calls"`
	} `json:"message"`
	Done            bool   `json:"done"`
	DoneReason      string `json:"done_reason"`
	PromptEvalCount int    `json:"prompt_eval_count"`
	EvalCount       int    `json:"eval_count"`
	// Error is set instead of everything else when Ollama fails after it began to answer.
	Error json.RawMessage `json:"error"`
}

// newID returns prefix and 24 random hex digits, the shape of OpenAI's ids.
func newID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	return prefix + hex.EncodeToString(b[:])
}

func createdUnix(s string) int64 {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.Unix()
	}
	return time.Now().Unix()
}

func finishReason(doneReason string, toolCalls bool) string {
	switch {
	case toolCalls:
		return llm.FinishToolCalls
	case doneReason == "length":
		return llm.FinishLength
	default: // "stop", "load", "unload" and none
		return llm.FinishStop
	}
}

func usage(w *chatResponse) *llm.Usage {
	return &llm.Usage{InputTokens: w.PromptEvalCount, OutputTokens: w.EvalCount,
		TotalTokens: w.PromptEvalCount + w.EvalCount}
}

// argumentsText returns a tool call's arguments as the JSON text the canonical form keeps.
func argumentsText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "{}", nil
	case raw[0] == '"':
		// Not what Ollama sends today, but a string is already the text.
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		return s, nil
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", err
	}
	return b.String(), nil
}

// streamError is the error for an {"error": …} object in a 200 answer.
func streamError(name string, raw json.RawMessage, retryable bool) *llm.Error {
	var msg string
	if json.Unmarshal(raw, &msg) != nil {
		msg = string(raw) // not a string: show the JSON itself
	}
	return &llm.Error{Status: http.StatusBadGateway, Type: llm.TypeUpstream, Code: llm.CodeUpstreamError,
		Message: fmt.Sprintf("provider %q failed while answering: %s", name, printable(msg)), Retryable: retryable}
}

func hasError(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

// printable keeps a short, single-line excerpt of an upstream message.
func printable(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = strings.ToValidUTF8(s[:300], "") + "…"
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		return r
	}, s)
}

// decodeResponse parses a non-streamed /api/chat answer.
func decodeResponse(name string, body []byte) (*llm.Response, error) {
	var w chatResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decode chat answer: %w", err)
	}
	if hasError(w.Error) {
		return nil, streamError(name, w.Error, true)
	}
	m := llm.Message{Role: llm.RoleAssistant, Reasoning: w.Message.Thinking}
	if w.Message.Content != "" || len(w.Message.ToolCalls) == 0 {
		m.Content = []llm.Part{llm.TextPart(w.Message.Content)}
	} else {
		m.ContentNull = true
	}
	for i, tc := range w.Message.ToolCalls {
		args, err := argumentsText(tc.Function.Arguments)
		if err != nil {
			return nil, fmt.Errorf("decode chat answer: tool call %d: %w", i, err)
		}
		m.ToolCalls = append(m.ToolCalls, llm.ToolCall{ID: newID("call_"), Name: tc.Function.Name, Arguments: args})
	}
	return &llm.Response{
		ID:      newID("chatcmpl-"),
		Model:   w.Model,
		Created: createdUnix(w.CreatedAt),
		Choices: []llm.Choice{{Message: m, FinishReason: finishReason(w.DoneReason, len(m.ToolCalls) > 0)}},
		Usage:   usage(&w),
	}, nil
}

// streamState turns the lines of one streamed answer into chunks. It does no I/O, so that it
// can be fuzzed alone.
type streamState struct {
	name    string
	id      string
	created int64
	sent    int  // chunks returned so far
	calls   int  // tool calls seen so far, the next call's index
	done    bool // the done line was seen
}

// chunk decodes one line. It returns nil, nil for a line that adds nothing (an empty delta
// after the first chunk).
func (s *streamState) chunk(line []byte) (*llm.Chunk, error) {
	var w chatResponse
	if err := json.Unmarshal(line, &w); err != nil {
		return nil, fmt.Errorf("decode stream line: %w", err)
	}
	if hasError(w.Error) {
		return nil, streamError(s.name, w.Error, s.sent == 0)
	}
	if s.done {
		return nil, fmt.Errorf("decode stream line: data after the last line")
	}
	if s.sent == 0 {
		s.id = newID("chatcmpl-")
		s.created = createdUnix(w.CreatedAt)
	}
	d := llm.Delta{Content: w.Message.Content, Reasoning: w.Message.Thinking}
	for i, tc := range w.Message.ToolCalls {
		args, err := argumentsText(tc.Function.Arguments)
		if err != nil {
			return nil, fmt.Errorf("decode stream line: tool call %d: %w", i, err)
		}
		// Ollama sends each call whole, so one delta carries its id, name and arguments.
		d.ToolCalls = append(d.ToolCalls, llm.ToolCallDelta{Index: s.calls, ID: newID("call_"),
			Name: tc.Function.Name, Arguments: args})
		s.calls++
	}
	c := llm.ChunkChoice{Delta: d}
	ch := &llm.Chunk{ID: s.id, Model: w.Model, Created: s.created, Decoded: true}
	if w.Done {
		s.done = true
		c.FinishReason = finishReason(w.DoneReason, s.calls > 0)
		ch.Usage = usage(&w)
	} else if s.sent > 0 && d.Content == "" && d.Reasoning == "" && len(d.ToolCalls) == 0 {
		return nil, nil
	}
	if s.sent == 0 {
		c.Delta.Role = llm.RoleAssistant
	}
	ch.Choices = []llm.ChunkChoice{c}
	s.sent++
	return ch, nil
}
