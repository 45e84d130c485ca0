package responseswire

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// Response statuses.
const (
	StatusCompleted  = "completed"
	StatusIncomplete = "incomplete"
	StatusFailed     = "failed"
	StatusInProgress = "in_progress"
)

// Meta is what a response object holds besides the answer.
type Meta struct {
	// ID is the response's id ("resp_…"); the ids of its output items derive from it, so
	// encoding one answer twice gives the same items.
	ID string
	// CreatedAt is the Unix time the request arrived; zero means the answer's own.
	CreatedAt int64
	// Model is the model name shown to the client; "" means the answer's own.
	Model string
	// Req is the decoded request, whose fields the response object echoes; nil means a
	// request with every field at its default.
	Req *Request
	// Status overrides the status; "" means it follows from the finish reason.
	Status string
}

// EncodeResponse renders resp as a Responses API response object.
func EncodeResponse(resp *llm.Response, m Meta) ([]byte, error) {
	c := answer(resp)
	status := m.Status
	if status == "" {
		status = statusOf(c.FinishReason)
	}
	obj := m.object(resp, status)
	obj.Output = outputItems(&c.Message, chatLogprobs(c.Logprobs), m, status, m.Req.includes(includeEncryptedReasoning))
	if status == StatusIncomplete {
		obj.IncompleteDetails = incompleteOf(c.FinishReason)
	}
	obj.Usage = usageOf(resp.Usage)
	return marshal(obj)
}

// OutputItems renders the output array of the response object EncodeResponse gives, for
// storage: with the request's input items it is the conversation a later request continues
// with previous_response_id. Unlike the response object it always holds the encrypted
// reasoning (encrypted_content), whether or not the request included it: the model needs it
// back when the conversation goes on.
func OutputItems(resp *llm.Response, m Meta) (json.RawMessage, error) {
	c := answer(resp)
	status := m.Status
	if status == "" {
		status = statusOf(c.FinishReason)
	}
	return marshal(outputItems(&c.Message, chatLogprobs(c.Logprobs), m, status, true))
}

// answer returns the first choice; a Responses answer has one.
func answer(resp *llm.Response) *llm.Choice {
	if resp == nil || len(resp.Choices) == 0 {
		return &llm.Choice{Message: llm.Message{Role: llm.RoleAssistant}}
	}
	return &resp.Choices[0]
}

// chatLogprobs returns the token log probabilities of an answer in OpenAI's Chat Completions
// shape ({"content": [...]}) as the logprobs of an output_text part, whose elements have the
// same shape; nil when there are none.
func chatLogprobs(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	var w struct {
		Content json.RawMessage `json:"content"`
	}
	if json.Unmarshal(raw, &w) != nil || len(w.Content) == 0 || isNull(w.Content) || bytes.TrimSpace(w.Content)[0] != '[' {
		return nil
	}
	return w.Content
}

func statusOf(finish string) string {
	switch finish {
	case llm.FinishLength, llm.FinishContentFilter:
		return StatusIncomplete
	}
	return StatusCompleted
}

func incompleteOf(finish string) *incompleteDetails {
	if finish == llm.FinishContentFilter {
		return &incompleteDetails{Reason: "content_filter"}
	}
	return &incompleteDetails{Reason: "max_output_tokens"}
}

// itemStatus is the status of the output items of a response in status.
func itemStatus(status string) string {
	if status == StatusCompleted {
		return StatusCompleted
	}
	return StatusIncomplete
}

// outputItems renders an answer as output items: its reasoning, its text, its tool calls.
// encrypted says whether reasoning items hold their encrypted content.
func outputItems(msg *llm.Message, logprobs json.RawMessage, m Meta, status string, encrypted bool) []json.RawMessage {
	items := []json.RawMessage{}
	add := func(v any) {
		b, _ := marshal(v)
		items = append(items, b)
	}
	for _, r := range reasoningItems(msg, encrypted) {
		r.ID = m.itemID("rs", len(items))
		add(r)
	}
	text := msg.Text()
	if text != "" || msg.Refusal != "" || len(msg.ToolCalls) == 0 && len(items) == 0 {
		mi := messageItem{ID: m.itemID("msg", len(items)), Type: itemMessage, Status: itemStatus(status), Role: llm.RoleAssistant}
		if text != "" || msg.Refusal == "" {
			mi.Content = append(mi.Content, textPart(text, logprobs))
		}
		if msg.Refusal != "" {
			b, _ := marshal(refusalPart{Type: "refusal", Refusal: msg.Refusal})
			mi.Content = append(mi.Content, b)
		}
		add(mi)
	}
	for i, tc := range msg.ToolCalls {
		add(m.toolCallItem(tc, len(items), i, StatusCompleted))
	}
	return items
}

// reasoningItems renders an answer's reasoning: one item with the summary and the first
// encrypted block (when withEncrypted), and one more item for each further encrypted block;
// or, when the blocks are signed, one item that carries them all (see thinkingEnvelope).
// Their ids are set by the caller.
func reasoningItems(msg *llm.Message, withEncrypted bool) []reasoningItem {
	var summary []summaryPart
	var encrypted []string
	hasText := false
	for _, b := range msg.Thinking {
		if b.Text != "" {
			hasText = true
		}
		if b.Redacted != "" {
			encrypted = append(encrypted, b.Redacted)
		}
	}
	if hasText {
		for _, b := range msg.Thinking {
			if b.Text != "" {
				summary = append(summary, summaryPart{Type: "summary_text", Text: b.Text})
			}
		}
	} else if msg.Reasoning != "" {
		summary = append(summary, summaryPart{Type: "summary_text", Text: msg.Reasoning})
	}
	if !withEncrypted {
		encrypted = nil
	} else if signed(msg.Thinking) {
		encrypted = []string{sealThinking(msg.Thinking)}
	}
	if len(summary) == 0 && len(encrypted) == 0 {
		return nil
	}
	first := reasoningItem{Type: itemReasoning, Summary: summary}
	if first.Summary == nil {
		first.Summary = []summaryPart{}
	}
	out := []reasoningItem{first}
	for i, e := range encrypted {
		if i > 0 {
			out = append(out, reasoningItem{Type: itemReasoning, Summary: []summaryPart{}})
		}
		out[len(out)-1].EncryptedContent = &e
	}
	return out
}

func textPart(text string, logprobs json.RawMessage) json.RawMessage {
	if logprobs == nil {
		logprobs = json.RawMessage("[]")
	}
	b, _ := marshal(outputText{Type: "output_text", Annotations: []json.RawMessage{}, Logprobs: logprobs, Text: text})
	return b
}

// toolCallItem renders a tool call, the n-th of the answer, as output item index: a
// function_call, or a custom_tool_call for a custom tool.
func (m Meta) toolCallItem(tc llm.ToolCall, index, n int, status string) any {
	callID := tc.ID
	if callID == "" {
		callID = "call_" + m.hash("call", n)[:24]
	}
	ns, name := m.toolName(tc.Name)
	if m.Req != nil && m.Req.CustomTools[tc.Name] {
		return customToolCallItem{ID: m.itemID("ctc", index), Type: itemCustomToolCall, Status: status,
			CallID: callID, Input: customInput(tc.Arguments), Name: name, Namespace: ns}
	}
	return functionCallItem{ID: m.itemID("fc", index), Type: itemFunctionCall, Status: status,
		Arguments: tc.Arguments, CallID: callID, Name: name, Namespace: ns}
}

// toolName splits a canonical tool name into the namespace and name the client declared.
func (m Meta) toolName(name string) (ns, own string) {
	if m.Req != nil {
		if n, ok := m.Req.NamespacedTools[name]; ok {
			return n.Namespace, n.Name
		}
	}
	return "", name
}

// itemID returns the id of output item index: prefix, "_", and 48 hex digits derived from the
// response id, so that the same answer always gets the same ids.
func (m Meta) itemID(prefix string, index int) string {
	return prefix + "_" + m.hash(prefix, index)
}

func (m Meta) hash(kind string, n int) string {
	sum := sha256.Sum256([]byte(m.ID + "\x00" + kind + "\x00" + strconv.Itoa(n)))
	return hex.EncodeToString(sum[:24])
}

func usageOf(u *llm.Usage) *usage {
	if u == nil {
		return nil
	}
	total := u.TotalTokens
	if total == 0 {
		total = u.InputTokens + u.OutputTokens
	}
	return &usage{InputTokens: u.InputTokens, InputTokensDetails: inputTokensDetails{CachedTokens: u.CachedInputTokens},
		OutputTokens: u.OutputTokens, OutputTokensDetails: outputTokensDetails{ReasoningTokens: u.ReasoningTokens},
		TotalTokens: total}
}

// object returns the response object without output, usage and incomplete details.
func (m Meta) object(resp *llm.Response, status string) *responseObject {
	o := &responseObject{ID: m.ID, Object: "response", CreatedAt: m.CreatedAt, Status: status, Model: m.Model,
		Output: []json.RawMessage{}}
	if resp != nil {
		if o.CreatedAt == 0 {
			o.CreatedAt = resp.Created
		}
		if o.Model == "" {
			o.Model = resp.Model
		}
	}
	var echo map[string]json.RawMessage
	if m.Req != nil {
		echo = m.Req.Echo
		if o.Model == "" && m.Req.Chat != nil {
			o.Model = m.Req.Chat.Model
		}
		if m.Req.PreviousResponseID != "" {
			o.PreviousResponseID = &m.Req.PreviousResponseID
		}
	}
	get := func(k, def string) json.RawMessage {
		if v, ok := echo[k]; ok {
			return v
		}
		return json.RawMessage(def)
	}
	o.Background = get("background", "false")
	o.Instructions = get("instructions", "null")
	o.MaxOutputTokens = get("max_output_tokens", "null")
	o.MaxToolCalls = get("max_tool_calls", "null")
	o.ParallelToolCalls = get("parallel_tool_calls", "true")
	o.PromptCacheKey = get("prompt_cache_key", "null")
	o.PromptCacheRetention = get("prompt_cache_retention", "null")
	o.Reasoning = reasoningEcho(echo["reasoning"])
	o.SafetyIdentifier = get("safety_identifier", "null")
	o.ServiceTier = get("service_tier", `"default"`)
	if resp != nil && resp.ServiceTier != "" {
		o.ServiceTier, _ = marshal(resp.ServiceTier)
	} else if string(o.ServiceTier) == `"auto"` {
		// "auto" asks the upstream to choose; the object names the tier that served.
		o.ServiceTier = json.RawMessage(`"default"`)
	}
	o.Store = get("store", "true")
	o.Temperature = get("temperature", "1.0")
	o.Text = textEcho(echo["text"])
	o.ToolChoice = get("tool_choice", `"auto"`)
	o.Tools = json.RawMessage("[]")
	if m.Req != nil && m.Req.Tools != nil {
		o.Tools = m.Req.Tools
	}
	o.TopLogprobs = get("top_logprobs", "0")
	o.TopP = get("top_p", "1.0")
	o.Truncation = get("truncation", `"disabled"`)
	o.User = get("user", "null")
	o.Metadata = get("metadata", "{}")
	return o
}

// reasoningEcho renders the request's reasoning as the response object shows it.
func reasoningEcho(raw json.RawMessage) json.RawMessage {
	var w struct {
		Effort          json.RawMessage `json:"effort"`
		Summary         json.RawMessage `json:"summary"`
		GenerateSummary json.RawMessage `json:"generate_summary"`
	}
	_ = json.Unmarshal(raw, &w)
	if w.Summary == nil {
		w.Summary = w.GenerateSummary
	}
	b, _ := marshal(struct {
		Effort  json.RawMessage `json:"effort"`
		Summary json.RawMessage `json:"summary"`
	}{orNull(w.Effort), orNull(w.Summary)})
	return b
}

// textEcho renders the request's text configuration as the response object shows it.
func textEcho(raw json.RawMessage) json.RawMessage {
	var w struct {
		Format    json.RawMessage `json:"format"`
		Verbosity json.RawMessage `json:"verbosity"`
	}
	_ = json.Unmarshal(raw, &w)
	if len(w.Format) == 0 || isNull(w.Format) {
		w.Format = json.RawMessage(`{"type":"text"}`)
	}
	if len(w.Verbosity) == 0 || isNull(w.Verbosity) {
		w.Verbosity = json.RawMessage(`"medium"`)
	}
	b, _ := marshal(w)
	return b
}

func orNull(v json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(v)) == 0 {
		return json.RawMessage("null")
	}
	return v
}
