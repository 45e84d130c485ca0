package gemini

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// newID returns prefix and 24 random letters and digits.
func newID(prefix string) string {
	b := make([]byte, 0, len(prefix)+24)
	b = append(b, prefix...)
	var buf [32]byte
	for len(b) < cap(b) {
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails (Go 1.24)
		for _, x := range buf {
			// 248 = 4*62: dropping larger bytes keeps every character equally likely.
			if x < 248 && len(b) < cap(b) {
				b = append(b, idAlphabet[x%62])
			}
		}
	}
	return string(b)
}

// finishReason maps a candidate's finishReason; calls tells whether the candidate made
// function calls. A malformed or unexpected function call is not an answer: it gives an error.
func finishReason(name string, r enum, calls, retryable bool) (string, error) {
	switch n := r.name(finishReasonNames); n {
	case "MAX_TOKENS":
		return llm.FinishLength, nil
	case "SAFETY", "RECITATION", "LANGUAGE", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return llm.FinishContentFilter, nil
	case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL":
		// The model's faulty call is not shown: it is model output, not an error message.
		return "", &llm.Error{Status: http.StatusBadGateway, Type: llm.TypeUpstream, Code: llm.CodeUpstreamBadResponse,
			Message:   fmt.Sprintf("provider %q ended the answer with %s: the model made a function call it could not complete; try again", name, n),
			Retryable: retryable}
	}
	// STOP, OTHER, TOO_MANY_TOOL_CALLS, unknown new reasons.
	if calls {
		return llm.FinishToolCalls, nil
	}
	return llm.FinishStop, nil
}

// blocked reports whether promptFeedback says the prompt was refused.
func blocked(pf *promptFeedback) bool {
	return pf != nil && pf.BlockReason != "" && pf.BlockReason != "0" && pf.BlockReason != "BLOCK_REASON_UNSPECIFIED"
}

// usage maps usageMetadata. Gemini counts thoughts apart from the answer; canonical output
// tokens include them. Tokens of tool-use prompts (search results) are input too.
func usage(u *usageMetadata) *llm.Usage {
	in := u.PromptTokenCount + u.ToolUsePromptTokenCount
	out := u.CandidatesTokenCount + u.ThoughtsTokenCount
	return &llm.Usage{InputTokens: in, OutputTokens: out, TotalTokens: in + out,
		CachedInputTokens: u.CachedContentTokenCount, ReasoningTokens: u.ThoughtsTokenCount}
}

// argumentsText returns a function call's args as the JSON text the canonical form keeps.
func argumentsText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "{}", nil
	}
	if raw[0] != '{' {
		return "", errors.New("function call args are not a JSON object")
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return "", err
	}
	return b.String(), nil
}

// logprobs converts a candidate's logprobsResult to OpenAI's logprobs object, the canonical
// shape: {"content":[{"token","logprob","bytes","top_logprobs":[…]}]}.
func logprobs(lr *logprobsResult) json.RawMessage {
	if lr == nil || len(lr.ChosenCandidates) == 0 {
		return nil
	}
	type top struct {
		Token   string  `json:"token"`
		Logprob float64 `json:"logprob"`
		Bytes   []int   `json:"bytes"`
	}
	type tok struct {
		top
		TopLogprobs []top `json:"top_logprobs"`
	}
	byteList := func(s string) []int {
		out := make([]int, len(s))
		for i := range len(s) {
			out[i] = int(s[i])
		}
		return out
	}
	content := make([]tok, len(lr.ChosenCandidates))
	for i, c := range lr.ChosenCandidates {
		content[i] = tok{top: top{c.Token, c.LogProbability, byteList(c.Token)}, TopLogprobs: []top{}}
		if i < len(lr.TopCandidates) {
			for _, t := range lr.TopCandidates[i].Candidates {
				content[i].TopLogprobs = append(content[i].TopLogprobs, top{t.Token, t.LogProbability, byteList(t.Token)})
			}
		}
	}
	b, _ := json.Marshal(struct {
		Content []tok `json:"content"`
	}{content})
	return b
}

// decodeResponse parses a generateContent answer. model names the model when the answer
// does not (modelVersion).
func decodeResponse(name, model string, body []byte) (*llm.Response, error) {
	var w generateResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	if hasError(w.Error) {
		return nil, bodyError(name, body)
	}
	out := &llm.Response{ID: w.ResponseID, Model: w.ModelVersion, Created: time.Now().Unix()}
	if out.ID == "" {
		out.ID = newID("chatcmpl-")
	}
	if out.Model == "" {
		out.Model = model
	}
	if w.UsageMetadata != nil {
		out.Usage = usage(w.UsageMetadata)
	}
	if len(w.Candidates) == 0 {
		if !blocked(w.PromptFeedback) {
			return nil, errors.New("decode answer: no candidates")
		}
		// A refused prompt is an answer: empty, ended by the content filter.
		out.Choices = []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant, Content: []llm.Part{llm.TextPart("")}},
			FinishReason: llm.FinishContentFilter}}
		return out, nil
	}
	for i := range w.Candidates {
		c := &w.Candidates[i]
		m, err := decodeCandidate(c)
		if err != nil {
			return nil, fmt.Errorf("decode answer: candidate %d: %w", i, err)
		}
		fr, err := finishReason(name, c.FinishReason, len(m.ToolCalls) > 0, true)
		if err != nil {
			return nil, err
		}
		out.Choices = append(out.Choices, llm.Choice{Index: c.Index, Message: m, FinishReason: fr, Logprobs: logprobs(c.LogprobsResult)})
	}
	return out, nil
}

// decodeCandidate builds the assistant message of one candidate. Thought parts become
// Reasoning and thinking blocks; a thought signature on the part after thoughts closes the
// block before it (a signature on a function call stays with the call).
func decodeCandidate(c *candidate) (llm.Message, error) {
	m := llm.Message{Role: llm.RoleAssistant}
	if c.Content == nil {
		m.Content = []llm.Part{llm.TextPart("")}
		return m, nil
	}
	var reasoning strings.Builder
	open := false // the last thinking block may still grow
	for _, p := range c.Content.Parts {
		switch {
		case p.FunctionCall != nil:
			args, err := argumentsText(p.FunctionCall.Args)
			if err != nil {
				return m, fmt.Errorf("function call %q: %w", p.FunctionCall.Name, err)
			}
			id := p.FunctionCall.ID
			if id == "" {
				id = newID("call_")
			}
			m.ToolCalls = append(m.ToolCalls, llm.ToolCall{ID: id, Name: p.FunctionCall.Name, Arguments: args,
				Signature: p.ThoughtSignature})
			open = false
		case p.Thought:
			t := deref(p.Text)
			reasoning.WriteString(t)
			if open {
				m.Thinking[len(m.Thinking)-1].Text += t
			} else {
				m.Thinking = append(m.Thinking, llm.ThinkingBlock{Text: t, Format: llm.FormatGemini})
				open = true
			}
			if p.ThoughtSignature != "" {
				m.Thinking[len(m.Thinking)-1].Signature = p.ThoughtSignature
				open = false
			}
		case p.Text != nil:
			if open && p.ThoughtSignature != "" {
				m.Thinking[len(m.Thinking)-1].Signature = p.ThoughtSignature
			}
			open = false
			if n := len(m.Content); n > 0 && m.Content[n-1].Type == llm.PartText {
				m.Content[n-1].Text += *p.Text
			} else {
				m.Content = append(m.Content, llm.TextPart(*p.Text))
			}
		case p.InlineData != nil:
			// Image-generating models answer with inline images.
			open = false
			m.Content = append(m.Content, llm.Part{Type: llm.PartImage,
				ImageURL: "data:" + p.InlineData.MimeType + ";base64," + p.InlineData.Data})
		}
	}
	m.Reasoning = reasoning.String()
	if len(m.Content) == 0 {
		if len(m.ToolCalls) > 0 {
			m.ContentNull = true
		} else {
			m.Content = []llm.Part{llm.TextPart("")}
		}
	}
	return m, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func hasError(raw json.RawMessage) bool {
	return len(raw) > 0 && string(raw) != "null"
}

// streamState turns the events of one streamed answer into chunks. It does no I/O, so that
// it can be fuzzed alone.
type streamState struct {
	name    string
	model   string // the requested model, until an event names its version
	id      string
	created int64
	// want is the number of candidates asked for; the answer is complete when that many
	// have finished.
	want     int
	cands    map[int]*candState
	finished int
	sent     int        // chunks returned so far
	usage    *llm.Usage // the latest usageMetadata
	done     bool       // every candidate finished and usage went out
}

type candState struct {
	started  bool // its first delta, with the role, went out
	calls    int  // function calls so far: the next call's index
	thinking bool // thought text went out since the last signature
	finished bool
}

func newStreamState(name, model string, want int) *streamState {
	return &streamState{name: name, model: model, want: max(want, 1), created: time.Now().Unix(), cands: map[int]*candState{}}
}

// chunk decodes one event. It returns nil, nil for an event that adds nothing.
func (s *streamState) chunk(data []byte) (*llm.Chunk, error) {
	var w generateResponse
	if err := json.Unmarshal(data, &w); err != nil {
		return nil, fmt.Errorf("decode stream event: %w", err)
	}
	if hasError(w.Error) {
		return nil, bodyError(s.name, data)
	}
	if s.done {
		// Nothing is expected after the end; a trailing event is ignored, not an error.
		return nil, nil
	}
	if s.id == "" {
		s.id = w.ResponseID
		if s.id == "" {
			s.id = newID("chatcmpl-")
		}
	}
	if w.ModelVersion != "" {
		s.model = w.ModelVersion
	}
	if w.UsageMetadata != nil {
		s.usage = usage(w.UsageMetadata)
	}
	ch := &llm.Chunk{ID: s.id, Model: s.model, Created: s.created, Decoded: true}
	if len(w.Candidates) == 0 && blocked(w.PromptFeedback) {
		ch.Choices = []llm.ChunkChoice{{Delta: llm.Delta{Role: llm.RoleAssistant}, FinishReason: llm.FinishContentFilter}}
		return s.end(ch), nil
	}
	for i := range w.Candidates {
		c := &w.Candidates[i]
		cs := s.cands[c.Index]
		if cs == nil {
			if len(s.cands) >= 1024 {
				return nil, errors.New("decode stream event: too many candidates")
			}
			cs = &candState{}
			s.cands[c.Index] = cs
		}
		if cs.finished {
			continue
		}
		cc := llm.ChunkChoice{Index: c.Index, Logprobs: logprobs(c.LogprobsResult)}
		if !cs.started {
			cc.Delta.Role = llm.RoleAssistant
			cs.started = true
		}
		if err := cs.delta(c, &cc.Delta); err != nil {
			return nil, err
		}
		if r := c.FinishReason.name(finishReasonNames); r != "" && r != "FINISH_REASON_UNSPECIFIED" {
			fr, err := finishReason(s.name, c.FinishReason, cs.calls > 0, s.sent == 0)
			if err != nil {
				return nil, err
			}
			cc.FinishReason = fr
			cs.finished = true
			s.finished++
		}
		d := &cc.Delta
		if d.Role == "" && d.Content == "" && d.Reasoning == "" && d.ReasoningSignature == "" &&
			len(d.ToolCalls) == 0 && cc.FinishReason == "" && cc.Logprobs == nil {
			continue
		}
		ch.Choices = append(ch.Choices, cc)
	}
	if s.finished >= s.want {
		return s.end(ch), nil
	}
	if len(ch.Choices) == 0 {
		return nil, nil
	}
	s.sent++
	return ch, nil
}

// end makes ch the last chunk: it carries the latest usage.
func (s *streamState) end(ch *llm.Chunk) *llm.Chunk {
	s.done = true
	ch.Usage = s.usage
	s.sent++
	return ch
}

// eof returns what ends a stream whose body ended: a chunk with the usage when some but not
// all candidates finished, nothing when the answer was complete, or an error when no
// candidate finished (the answer was cut off).
func (s *streamState) eof() (*llm.Chunk, error) {
	switch {
	case s.done:
		return nil, nil
	case s.finished > 0:
		return s.end(&llm.Chunk{ID: s.id, Model: s.model, Created: s.created, Decoded: true}), nil
	}
	return nil, errors.New("stream ended before the answer finished")
}

// delta fills d from the parts of one event of candidate c.
func (cs *candState) delta(c *candidate, d *llm.Delta) error {
	if c.Content == nil {
		return nil
	}
	for _, p := range c.Content.Parts {
		switch {
		case p.FunctionCall != nil:
			args, err := argumentsText(p.FunctionCall.Args)
			if err != nil {
				return fmt.Errorf("decode stream event: function call %q: %w", p.FunctionCall.Name, err)
			}
			id := p.FunctionCall.ID
			if id == "" {
				id = newID("call_")
			}
			// Gemini sends each call whole: one delta carries its id, name and arguments.
			d.ToolCalls = append(d.ToolCalls, llm.ToolCallDelta{Index: cs.calls, ID: id, Name: p.FunctionCall.Name,
				Arguments: args, Signature: p.ThoughtSignature})
			cs.calls++
			cs.thinking = false
		case p.Thought:
			d.Reasoning += deref(p.Text)
			cs.thinking = true
			if p.ThoughtSignature != "" {
				d.ReasoningSignature = p.ThoughtSignature
				cs.thinking = false
			}
		case p.Text != nil:
			if cs.thinking && p.ThoughtSignature != "" {
				d.ReasoningSignature = p.ThoughtSignature
			}
			cs.thinking = false
			d.Content += *p.Text
		}
	}
	return nil
}
