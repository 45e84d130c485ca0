package anthropicwire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// wireRequest is the body of POST /v1/messages as sent upstream. Members without a field here
// (hints, extensions) are appended after it.
type wireRequest struct {
	Model         string            `json:"model"`
	MaxTokens     *int              `json:"max_tokens,omitempty"`
	System        json.RawMessage   `json:"system,omitempty"`
	Messages      []wireMessage     `json:"messages"`
	Tools         []json.RawMessage `json:"tools,omitempty"`
	ToolChoice    json.RawMessage   `json:"tool_choice,omitempty"`
	Thinking      json.RawMessage   `json:"thinking,omitempty"`
	Temperature   *float64          `json:"temperature,omitempty"`
	TopP          *float64          `json:"top_p,omitempty"`
	TopK          *int              `json:"top_k,omitempty"`
	StopSequences []string          `json:"stop_sequences,omitempty"`
	Stream        bool              `json:"stream,omitempty"`
	Metadata      *wireMetadata     `json:"metadata,omitempty"`
	OutputConfig  json.RawMessage   `json:"output_config,omitempty"`
}

type wireMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type wireMetadata struct {
	UserID string `json:"user_id"`
}

// DefaultThinkingBudget is the thinking budget sent for enabled thinking without one; it is
// Anthropic's minimum.
const DefaultThinkingBudget = 1024

// EncodeRequest builds the body of POST /v1/messages for r, naming the upstream's own model
// id. Anthropic requires max_tokens: when r.MaxTokens is nil, defaultMaxTokens is sent (raised
// above the thinking budget when thinking is enabled). Features Anthropic lacks are recorded
// with r.Drop or refused with an unsupported-parameter error naming provider; see the package
// doc. Request.Hints[HintBeta] never goes into the body.
func EncodeRequest(r *llm.Request, model, provider string, defaultMaxTokens int) ([]byte, error) {
	return encodeRequest(r, model, provider, defaultMaxTokens, false)
}

// countTokensFields are the top-level members POST /v1/messages/count_tokens accepts.
var countTokensFields = map[string]bool{
	"model": true, "messages": true, "system": true, "tools": true, "tool_choice": true,
	"thinking": true, "output_config": true, "cache_control": true, "speed": true,
	"context_management": true, "mcp_servers": true,
}

// EncodeCountTokensRequest builds the body of POST /v1/messages/count_tokens for r: the
// members of a Messages request that count toward its input, without max_tokens, sampling
// parameters and stream.
func EncodeCountTokensRequest(r *llm.Request, model, provider string) ([]byte, error) {
	return encodeRequest(r, model, provider, 0, true)
}

func encodeRequest(r *llm.Request, model, provider string, defaultMaxTokens int, count bool) ([]byte, error) {
	e := encoder{r: r, provider: provider}
	w := wireRequest{Model: model, Temperature: r.Temperature, TopP: r.TopP, TopK: r.TopK,
		StopSequences: r.Stop, Stream: r.Stream}
	if r.User != "" {
		w.Metadata = &wireMetadata{UserID: r.User}
	}
	if len(r.Metadata) > 0 {
		r.Drop("metadata")
	}
	if r.N != nil && *r.N > 1 {
		return nil, llm.Unsupported(provider, "n", "Anthropic gives one answer per request")
	}
	for _, d := range []struct {
		set  bool
		name string
	}{
		{r.Seed != nil, "seed"},
		{r.PresencePenalty != nil, "presence_penalty"},
		{r.FrequencyPenalty != nil, "frequency_penalty"},
		{r.Logprobs != nil && *r.Logprobs, "logprobs"},
		{r.TopLogprobs != nil, "top_logprobs"},
		{r.CacheKey != "", "prompt_cache_key"},
		{r.ReasoningEffort != "" && r.Thinking == nil, "reasoning_effort"},
	} {
		if d.set {
			r.Drop(d.name)
		}
	}
	var err error
	if w.System, err = e.system(); err != nil {
		return nil, err
	}
	if w.Messages, err = e.messages(); err != nil {
		return nil, err
	}
	if w.Tools, w.ToolChoice, err = e.tools(); err != nil {
		return nil, err
	}
	budget := 0
	if w.Thinking, budget, err = e.thinking(); err != nil {
		return nil, err
	}
	if w.OutputConfig, err = e.outputConfig(); err != nil {
		return nil, err
	}
	same := r.ExtensionsFormat == llm.FormatAnthropic
	extra := map[string]json.RawMessage{}
	for k, v := range r.Hints {
		switch {
		case k == HintBeta || k == hintThinkingDisplay || k == hintOutputConfig:
			// Sent elsewhere: as a header, inside thinking, inside output_config.
			if !same && k != HintBeta {
				r.Drop(k)
			}
		case same:
			extra[k] = v
		default:
			r.Drop(k)
		}
	}
	for k, v := range r.Extensions {
		if !same {
			return nil, llm.Unsupported(provider, k, "")
		}
		extra[k] = v
	}
	known := func(k string) bool { return requestFields[k] }
	if count {
		w.Temperature, w.TopP, w.TopK, w.StopSequences, w.Stream, w.Metadata = nil, nil, nil, nil, false, nil
		for k := range extra {
			if !countTokensFields[k] {
				delete(extra, k)
			}
		}
	} else {
		mt := defaultMaxTokens
		if r.MaxTokens != nil {
			mt = *r.MaxTokens
		} else if budget > 0 && mt <= budget {
			mt = budget + defaultMaxTokens
		}
		w.MaxTokens = &mt
	}
	b, err := json.Marshal(&w)
	if err != nil {
		return nil, err
	}
	return mergeMembers(b, extra, known), nil
}

// encoder builds one upstream body, recording drops on r.
type encoder struct {
	r        *llm.Request
	provider string
	// pending lists the generated ids of tool calls that came without one, for the tool
	// results that answer them without one either.
	pending       []pendingCall
	droppedDetail bool
}

type pendingCall struct{ id, name string }

// block is one encoded content block; plain marks a text block with nothing but its text,
// which lets a message of only that block be sent as a string.
type block struct {
	raw    json.RawMessage
	plain  bool
	text   string
	result bool // a tool_result, which must come first in its user message
}

func (e *encoder) system() (json.RawMessage, error) {
	var blocks []block
	for _, m := range e.r.Messages {
		if m.Role != llm.RoleSystem && m.Role != llm.RoleDeveloper {
			continue
		}
		for i, p := range m.Content {
			if p.Type != llm.PartText {
				return nil, llm.Unsupported(e.provider, "system content "+partName(p), "Anthropic's system prompt takes text only")
			}
			cc := p.CacheControl
			if i == len(m.Content)-1 && len(cc) == 0 {
				cc = m.CacheControl
			}
			blocks = append(blocks, e.text(p, cc))
		}
	}
	switch {
	case len(blocks) == 0:
		return nil, nil
	case len(blocks) == 1 && blocks[0].plain:
		return json.RawMessage(appendString(nil, blocks[0].text)), nil
	}
	return joinBlocks(blocks), nil
}

func partName(p llm.Part) string {
	if p.Type == llm.PartOther && p.RawType != "" {
		return p.RawType
	}
	return p.Type
}

func joinBlocks(blocks []block) json.RawMessage {
	b := []byte{'['}
	for i, bl := range blocks {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, bl.raw...)
	}
	return append(b, ']')
}

// messages encodes the conversation with roles alternating: consecutive messages of one role
// (tool results count as user) are merged into one, tool results first.
func (e *encoder) messages() ([]wireMessage, error) {
	type turn struct {
		role   string
		blocks []block
	}
	var turns []turn
	for i := range e.r.Messages {
		m := &e.r.Messages[i]
		var role string
		var blocks []block
		var err error
		switch m.Role {
		case llm.RoleSystem, llm.RoleDeveloper:
			continue
		case llm.RoleAssistant:
			role = llm.RoleAssistant
			blocks, err = e.assistant(m, i)
		case llm.RoleTool, llm.RoleFunction:
			role = llm.RoleUser
			var b block
			b, err = e.toolResult(m, i)
			blocks = []block{b}
		default:
			role = llm.RoleUser
			blocks, err = e.parts(m.Content, m.CacheControl)
		}
		if err != nil {
			return nil, err
		}
		if len(blocks) == 0 {
			continue
		}
		if n := len(turns); n > 0 && turns[n-1].role == role {
			turns[n-1].blocks = append(turns[n-1].blocks, blocks...)
			continue
		}
		turns = append(turns, turn{role: role, blocks: blocks})
	}
	if len(turns) == 0 {
		return nil, llm.InvalidRequest(llm.CodeInvalidValue, "messages", "messages: every message is empty; send at least one message with content")
	}
	out := make([]wireMessage, 0, len(turns))
	for _, t := range turns {
		if t.role == llm.RoleUser {
			// Anthropic wants a user message's tool_result blocks before anything else.
			ordered := make([]block, 0, len(t.blocks))
			for _, b := range t.blocks {
				if b.result {
					ordered = append(ordered, b)
				}
			}
			for _, b := range t.blocks {
				if !b.result {
					ordered = append(ordered, b)
				}
			}
			t.blocks = ordered
		}
		wm := wireMessage{Role: t.role}
		if len(t.blocks) == 1 && t.blocks[0].plain {
			wm.Content = appendString(nil, t.blocks[0].text)
		} else {
			wm.Content = joinBlocks(t.blocks)
		}
		out = append(out, wm)
	}
	return out, nil
}

// assistant encodes an assistant message: its signed thinking blocks first, then its content,
// then its tool calls.
func (e *encoder) assistant(m *llm.Message, i int) ([]block, error) {
	var blocks []block
	for _, t := range m.Thinking {
		if t.Format != "" && t.Format != llm.FormatAnthropic {
			continue // signed by another provider: Anthropic would refuse the signature
		}
		switch {
		case t.Redacted != "":
			b := append([]byte(`{"type":"redacted_thinking","data":`), appendString(nil, t.Redacted)...)
			blocks = append(blocks, block{raw: append(b, '}')})
		case t.Signature != "":
			b := append([]byte(`{"type":"thinking","thinking":`), appendString(nil, t.Text)...)
			b = append(b, `,"signature":`...)
			b = appendString(b, t.Signature)
			blocks = append(blocks, block{raw: append(b, '}')})
		}
		// Without a signature Anthropic refuses the block; the text is lost to it.
	}
	msgCache := m.CacheControl
	if len(m.ToolCalls) > 0 {
		msgCache = nil // it goes on the last tool_use block
	}
	content, err := e.parts(m.Content, msgCache)
	if err != nil {
		return nil, err
	}
	blocks = append(blocks, content...)
	if len(content) == 0 && m.Refusal != "" {
		blocks = append(blocks, e.text(llm.TextPart(m.Refusal), nil))
	}
	for j, tc := range m.ToolCalls {
		id := toolID(tc.ID)
		if id == "" {
			id = fmt.Sprintf("toolu_gw%d_%d", i, j)
			e.pending = append(e.pending, pendingCall{id: id, name: tc.Name})
		}
		args := bytes.TrimSpace([]byte(tc.Arguments))
		if len(args) == 0 {
			args = []byte("{}")
		}
		if args[0] != '{' || !json.Valid(args) {
			return nil, llm.InvalidRequest(llm.CodeInvalidValue, "messages",
				"the arguments of tool call %q (%s) are not a JSON object; Anthropic needs an object as a tool call's input", tc.ID, tc.Name)
		}
		b := append([]byte(`{"type":"tool_use","id":`), appendString(nil, id)...)
		b = append(b, `,"name":`...)
		b = appendString(b, tc.Name)
		b = append(b, `,"input":`...)
		b = append(b, args...)
		if j == len(m.ToolCalls)-1 && len(m.CacheControl) > 0 {
			b = append(b, `,"cache_control":`...)
			b = append(b, m.CacheControl...)
		}
		blocks = append(blocks, block{raw: append(b, '}')})
	}
	return blocks, nil
}

// toolID makes id fit Anthropic's pattern for tool-use ids, ^[a-zA-Z0-9_-]+$, the same way
// for a call and for the result that answers it.
func toolID(id string) string {
	ok := true
	for i := 0; i < len(id); i++ {
		if !idByte(id[i]) {
			ok = false
			break
		}
	}
	if ok {
		return id
	}
	b := []byte(id)
	for i := range b {
		if !idByte(b[i]) {
			b[i] = '_'
		}
	}
	return string(b)
}

func idByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func (e *encoder) toolResult(m *llm.Message, i int) (block, error) {
	id := toolID(m.ToolCallID)
	if id == "" {
		for k, p := range e.pending {
			if m.Name == "" || p.name == m.Name {
				id = p.id
				e.pending = append(e.pending[:k], e.pending[k+1:]...)
				break
			}
		}
		if id == "" {
			return block{}, llm.InvalidRequest(llm.CodeMissingField, "messages",
				"message %d is a tool result that names no tool call; give its tool_call_id", i)
		}
	}
	b := append([]byte(`{"type":"tool_result","tool_use_id":`), appendString(nil, id)...)
	content, err := e.parts(m.Content, nil)
	if err != nil {
		return block{}, err
	}
	switch {
	case len(content) == 1 && content[0].plain:
		b = append(b, `,"content":`...)
		b = appendString(b, content[0].text)
	case len(content) > 0:
		b = append(b, `,"content":`...)
		b = append(b, joinBlocks(content)...)
	}
	if m.ToolError {
		b = append(b, `,"is_error":true`...)
	}
	if len(m.CacheControl) > 0 {
		b = append(b, `,"cache_control":`...)
		b = append(b, m.CacheControl...)
	}
	return block{raw: append(b, '}'), result: true}, nil
}

// parts encodes content parts; msgCache, a message's cache breakpoint, goes on the last one.
func (e *encoder) parts(parts []llm.Part, msgCache json.RawMessage) ([]block, error) {
	blocks := make([]block, 0, len(parts))
	for i, p := range parts {
		cc := p.CacheControl
		if i == len(parts)-1 && len(cc) == 0 {
			cc = msgCache
		}
		var b block
		var err error
		switch p.Type {
		case llm.PartText:
			if p.Text == "" && len(cc) == 0 {
				// Anthropic refuses empty text blocks; an empty string says nothing.
				continue
			}
			b = e.text(p, cc)
		case llm.PartImage:
			b, err = e.image(p, cc)
		case llm.PartDocument:
			b, err = e.document(p, cc)
		default:
			if p.RawFormat != llm.FormatAnthropic || len(p.Raw) == 0 {
				return nil, llm.Unsupported(e.provider, "content part "+partName(p), "Anthropic has no equivalent")
			}
			b = block{raw: p.Raw}
		}
		if err != nil {
			return nil, err
		}
		blocks = append(blocks, b)
	}
	return blocks, nil
}

// extrasOf returns the members kept from an Anthropic block (see withExtras).
func extrasOf(p llm.Part) json.RawMessage {
	if p.RawFormat == llm.FormatAnthropic {
		return p.Raw
	}
	return nil
}

func closeBlock(b []byte, cc, extras json.RawMessage, known ...string) json.RawMessage {
	if len(cc) > 0 {
		b = append(b, `,"cache_control":`...)
		b = append(b, cc...)
	}
	b = append(b, '}')
	return mergeRawObject(b, extras, known...)
}

func (e *encoder) text(p llm.Part, cc json.RawMessage) block {
	b := append([]byte(`{"type":"text","text":`), appendString(nil, p.Text)...)
	x := extrasOf(p)
	return block{raw: closeBlock(b, cc, x, "type", "text", "cache_control"), plain: len(cc) == 0 && len(x) == 0, text: p.Text}
}

func (e *encoder) image(p llm.Part, cc json.RawMessage) (block, error) {
	if p.ImageDetail != "" && p.ImageDetail != "auto" && !e.droppedDetail {
		e.droppedDetail = true
		e.r.Drop("image_url.detail")
	}
	b := []byte(`{"type":"image","source":`)
	switch u := p.ImageURL; {
	case strings.HasPrefix(u, "data:"):
		mt, data, ok := parseDataURL(u)
		if !ok {
			return block{}, llm.Unsupported(e.provider, "image", "an inline image must be a base64 data: URL")
		}
		b = append(b, `{"type":"base64","media_type":`...)
		b = appendString(b, mt)
		b = append(b, `,"data":`...)
		b = appendString(b, data)
		b = append(b, '}')
	case strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://"):
		b = append(b, `{"type":"url","url":`...)
		b = appendString(b, u)
		b = append(b, '}')
	default:
		return block{}, llm.Unsupported(e.provider, "image", "Anthropic takes images as http(s) URLs or base64 data: URLs")
	}
	return block{raw: closeBlock(b, cc, extrasOf(p), "type", "source", "cache_control")}, nil
}

// parseDataURL splits "data:<media type>;base64,<data>".
func parseDataURL(u string) (mediaType, data string, ok bool) {
	meta, data, ok := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !ok {
		return "", "", false
	}
	mediaType, enc, _ := strings.Cut(meta, ";")
	if !strings.EqualFold(strings.TrimSpace(enc), "base64") || mediaType == "" {
		return "", "", false
	}
	return mediaType, data, true
}

func (e *encoder) document(p llm.Part, cc json.RawMessage) (block, error) {
	b := []byte(`{"type":"document","source":`)
	mt := p.MediaType
	switch {
	case p.Data != "":
		if mt == "" {
			mt = "application/pdf"
		}
		if mt != "application/pdf" && mt != "text/plain" {
			return block{}, llm.Unsupported(e.provider, "document", "Anthropic reads PDF and plain-text documents only, not "+strconv.Quote(mt))
		}
		b = append(b, `{"type":"base64","media_type":`...)
		b = appendString(b, mt)
		b = append(b, `,"data":`...)
		b = appendString(b, p.Data)
		b = append(b, '}')
	case p.URL != "":
		if mt != "" && mt != "application/pdf" {
			return block{}, llm.Unsupported(e.provider, "document", "Anthropic reads documents by URL only as PDF")
		}
		b = append(b, `{"type":"url","url":`...)
		b = appendString(b, p.URL)
		b = append(b, '}')
	case mt == "text/plain" || mt == "":
		b = append(b, `{"type":"text","media_type":"text/plain","data":`...)
		b = appendString(b, p.Text)
		b = append(b, '}')
	default:
		return block{}, llm.Unsupported(e.provider, "document", "a document needs its data, a URL or text")
	}
	title := p.Title
	if title == "" {
		title = p.Filename
	}
	if title != "" {
		b = append(b, `,"title":`...)
		b = appendString(b, title)
	}
	return block{raw: closeBlock(b, cc, extrasOf(p), "type", "source", "title", "cache_control")}, nil
}

// tools encodes the tool list and tool_choice.
func (e *encoder) tools() ([]json.RawMessage, json.RawMessage, error) {
	var out []json.RawMessage
	for _, t := range e.r.Tools {
		if t.Hosted != "" {
			if t.RawFormat == llm.FormatAnthropic && len(t.Raw) > 0 {
				out = append(out, t.Raw)
			} else {
				e.r.Drop("tools." + t.Hosted)
			}
			continue
		}
		b := append([]byte(`{"name":`), appendString(nil, t.Name)...)
		if t.Description != "" {
			b = append(b, `,"description":`...)
			b = appendString(b, t.Description)
		}
		b = append(b, `,"input_schema":`...)
		if len(bytes.TrimSpace(t.Parameters)) > 0 && !isNull(t.Parameters) {
			b = append(b, t.Parameters...)
		} else {
			b = append(b, `{"type":"object","properties":{}}`...)
		}
		if t.Strict != nil {
			b = append(b, `,"strict":`...)
			b = strconv.AppendBool(b, *t.Strict)
		}
		var extras json.RawMessage
		if t.RawFormat == llm.FormatAnthropic {
			extras = t.Raw
		}
		out = append(out, closeBlock(b, t.CacheControl, extras, "type", "name", "description", "input_schema", "strict", "cache_control"))
	}
	tc := e.r.ToolChoice
	noParallel := e.r.ParallelToolCalls != nil && !*e.r.ParallelToolCalls
	if len(out) == 0 {
		if tc != nil && (tc.Mode == llm.ToolChoiceRequired || tc.Mode == llm.ToolChoiceFunction) {
			return nil, nil, llm.Unsupported(e.provider, "tool_choice", "the request forces a tool call but has no tool Anthropic can run")
		}
		return nil, nil, nil
	}
	if tc == nil && !noParallel {
		return out, nil, nil
	}
	var b []byte
	mode := llm.ToolChoiceAuto
	if tc != nil {
		mode = tc.Mode
	}
	switch mode {
	case llm.ToolChoiceAuto, "":
		b = []byte(`{"type":"auto"`)
	case llm.ToolChoiceNone:
		return out, json.RawMessage(`{"type":"none"}`), nil
	case llm.ToolChoiceRequired:
		b = []byte(`{"type":"any"`)
	case llm.ToolChoiceFunction:
		b = append([]byte(`{"type":"tool","name":`), appendString(nil, tc.Name)...)
	default:
		return nil, nil, llm.Unsupported(e.provider, "tool_choice", "unknown tool choice "+strconv.Quote(mode))
	}
	if noParallel {
		b = append(b, `,"disable_parallel_tool_use":true`...)
	}
	return out, append(b, '}'), nil
}

// thinking encodes Request.Thinking and returns the budget of enabled thinking.
func (e *encoder) thinking() (json.RawMessage, int, error) {
	th := e.r.Thinking
	if th == nil {
		return nil, 0, nil
	}
	var display json.RawMessage
	if e.r.ExtensionsFormat == llm.FormatAnthropic {
		display = e.r.Hints[hintThinkingDisplay]
	}
	var b []byte
	budget := 0
	switch th.Type {
	case llm.ThinkingEnabled:
		if e.unsignedToolTurn() {
			// Anthropic refuses enabled thinking when the assistant turn being continued
			// called tools without a signed thinking block (it came from another provider):
			// the answer is made without extended thinking.
			e.r.Drop("thinking")
			return nil, 0, nil
		}
		budget = th.BudgetTokens
		if budget == 0 || (budget < DefaultThinkingBudget && e.r.ExtensionsFormat != llm.FormatAnthropic) {
			// Anthropic's minimum; an Anthropic client's own smaller budget goes out as
			// it is, for Anthropic to refuse in its words.
			budget = max(budget, DefaultThinkingBudget)
		}
		b = append([]byte(`{"type":"enabled","budget_tokens":`), strconv.Itoa(budget)...)
	case llm.ThinkingDisabled:
		b = []byte(`{"type":"disabled"`)
	case llm.ThinkingAdaptive:
		b = []byte(`{"type":"adaptive"`)
	default:
		return nil, 0, llm.Unsupported(e.provider, "thinking", "unknown thinking type "+strconv.Quote(th.Type))
	}
	if len(display) > 0 {
		b = append(b, `,"display":`...)
		b = append(b, display...)
	}
	return append(b, '}'), budget, nil
}

// unsignedToolTurn reports whether the conversation continues a tool-use turn (the last
// assistant message called tools and only tool results follow it) whose assistant message
// has no signed thinking block.
func (e *encoder) unsignedToolTurn() bool {
	msgs := e.r.Messages
	for i := len(msgs) - 1; i >= 0; i-- {
		switch msgs[i].Role {
		case llm.RoleTool, llm.RoleFunction:
			continue
		case llm.RoleAssistant:
			if len(msgs[i].ToolCalls) == 0 || i == len(msgs)-1 {
				return false
			}
			for _, t := range msgs[i].Thinking {
				if (t.Signature != "" || t.Redacted != "") && (t.Format == "" || t.Format == llm.FormatAnthropic) {
					return false
				}
			}
			return true
		}
		return false
	}
	return false
}

// outputConfig encodes a JSON schema response format as output_config.format (structured
// outputs), together with the effort hint of an Anthropic client.
func (e *encoder) outputConfig() (json.RawMessage, error) {
	var hint json.RawMessage
	if e.r.ExtensionsFormat == llm.FormatAnthropic {
		hint = e.r.Hints[hintOutputConfig]
	}
	rf := e.r.ResponseFormat
	var format []byte
	if rf != nil {
		switch rf.Type {
		case llm.ResponseText, "":
		case llm.ResponseJSONSchema:
			if len(bytes.TrimSpace(rf.Schema)) == 0 || isNull(rf.Schema) {
				return nil, llm.Unsupported(e.provider, "response_format", "a json_schema response format needs its schema")
			}
			format = append([]byte(`{"type":"json_schema","schema":`), rf.Schema...)
			format = append(format, '}')
		case llm.ResponseJSONObject:
			return nil, llm.Unsupported(e.provider, "response_format",
				"Anthropic has no JSON mode without a schema; send a json_schema response format instead")
		default:
			return nil, llm.Unsupported(e.provider, "response_format", "unknown response format "+strconv.Quote(rf.Type))
		}
	}
	if format == nil {
		return hint, nil
	}
	b := append([]byte(`{"format":`), format...)
	b = append(b, '}')
	return mergeRawObject(b, hint, "format"), nil
}
