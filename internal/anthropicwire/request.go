package anthropicwire

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// requestFields are the top-level members with a canonical meaning.
var requestFields = map[string]bool{
	"model": true, "messages": true, "max_tokens": true, "system": true, "metadata": true,
	"stop_sequences": true, "stream": true, "temperature": true, "top_k": true, "top_p": true,
	"tools": true, "tool_choice": true, "thinking": true, "output_config": true, "output_format": true,
}

// hintFields are top-level members that only tune how the answer is made: another provider
// may leave them out without changing what the answer means.
var hintFields = map[string]bool{
	"context_management": true, "service_tier": true, "container": true, "mcp_servers": true,
	"inference_geo": true, "speed": true, "diagnostics": true, "cache_control": true,
}

// Hint keys that are not top-level members of their own.
const (
	// HintBeta holds the client's anthropic-beta header values as a JSON array of strings; the
	// provider sends them as the anthropic-beta header, never in the body.
	HintBeta = "anthropic-beta"
	// hintThinkingDisplay holds thinking.display ("summarized", "omitted").
	hintThinkingDisplay = "thinking.display"
	// hintOutputConfig holds output_config without its format (which is ResponseFormat).
	hintOutputConfig = "output_config"
)

// DecodeRequest parses and validates the body of a client's POST /v1/messages. Its errors
// are 400 *llm.Error values whose Param is the offending member's path, as Anthropic writes
// it ("messages.3.content.0.type").
func DecodeRequest(body []byte) (*llm.Request, error) { return decodeRequest(body, true) }

// DecodeCountTokensRequest parses the body of POST /v1/messages/count_tokens: the same as a
// Messages request except that max_tokens is not required.
func DecodeCountTokensRequest(body []byte) (*llm.Request, error) { return decodeRequest(body, false) }

func decodeRequest(body []byte, needMaxTokens bool) (*llm.Request, error) {
	o, err := decodeObject(body, "")
	if err != nil {
		return nil, err
	}
	r := &llm.Request{ExtensionsFormat: llm.FormatAnthropic}
	if r.Model, err = o.reqStr("model", "model"); err != nil {
		return nil, err
	}
	if r.Model == "" {
		return nil, llm.InvalidRequest(llm.CodeMissingField, "model", "model: field required; name a model from GET /v1/models")
	}
	if r.MaxTokens, err = o.integer("max_tokens", "max_tokens"); err != nil {
		return nil, err
	}
	switch {
	case r.MaxTokens == nil && needMaxTokens:
		return nil, llm.InvalidRequest(llm.CodeMissingField, "max_tokens", "max_tokens: field required; give the most tokens the answer may take")
	case r.MaxTokens != nil && *r.MaxTokens < 0:
		return nil, llm.InvalidRequest(llm.CodeInvalidValue, "max_tokens", "max_tokens: must be 0 or more")
	}
	msgs, ok, err := o.array("messages", "messages")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, missing("messages")
	}
	if len(msgs) == 0 {
		return nil, llm.InvalidRequest(llm.CodeInvalidValue, "messages", "messages: send at least one message")
	}
	if o.has("system") {
		sys, err := decodeSystem(o["system"])
		if err != nil {
			return nil, err
		}
		if sys != nil {
			r.Messages = append(r.Messages, *sys)
		}
	}
	for i, raw := range msgs {
		if r.Messages, err = decodeMessage(raw, i, r.Messages); err != nil {
			return nil, err
		}
	}
	if err := decodeSampling(o, r); err != nil {
		return nil, err
	}
	if err := decodeTools(o, r); err != nil {
		return nil, err
	}
	if err := decodeThinking(o, r); err != nil {
		return nil, err
	}
	if err := decodeOutput(o, r); err != nil {
		return nil, err
	}
	for k, v := range o {
		switch {
		case requestFields[k]:
		case hintFields[k]:
			if r.Hints == nil {
				r.Hints = make(map[string]json.RawMessage)
			}
			r.Hints[k] = compact(v)
		default:
			if r.Extensions == nil {
				r.Extensions = make(map[string]json.RawMessage)
			}
			r.Extensions[k] = compact(v)
		}
	}
	return r, nil
}

func decodeSampling(o object, r *llm.Request) error {
	var err error
	if r.Temperature, err = o.number("temperature", "temperature"); err != nil {
		return err
	}
	if r.TopP, err = o.number("top_p", "top_p"); err != nil {
		return err
	}
	for _, c := range []struct {
		name string
		v    *float64
	}{{"temperature", r.Temperature}, {"top_p", r.TopP}} {
		if c.v != nil && (*c.v < 0 || *c.v > 1) {
			return llm.InvalidRequest(llm.CodeInvalidValue, c.name, "%s: must be between 0 and 1", c.name)
		}
	}
	if r.TopK, err = o.integer("top_k", "top_k"); err != nil {
		return err
	}
	if r.TopK != nil && *r.TopK < 0 {
		return llm.InvalidRequest(llm.CodeInvalidValue, "top_k", "top_k: must be 0 or more")
	}
	if stops, ok, err := o.array("stop_sequences", "stop_sequences"); err != nil {
		return err
	} else if ok {
		for i, s := range stops {
			var v string
			if err := json.Unmarshal(s, &v); err != nil {
				return typeError(fmt.Sprintf("stop_sequences.%d", i), "a string", s)
			}
			r.Stop = append(r.Stop, v)
		}
	}
	if b, err := o.boolean("stream", "stream"); err != nil {
		return err
	} else if b != nil {
		r.Stream = *b
	}
	if o.has("metadata") {
		m, err := decodeObject(o["metadata"], "metadata")
		if err != nil {
			return err
		}
		for k := range m {
			if k != "user_id" {
				return llm.InvalidRequest(llm.CodeInvalidValue, "metadata."+k, "metadata.%s: unknown field; metadata takes user_id only", k)
			}
		}
		if r.User, _, err = m.str("user_id", "metadata.user_id"); err != nil {
			return err
		}
	}
	return nil
}

func decodeSystem(raw json.RawMessage) (*llm.Message, error) {
	c := bytes.TrimSpace(raw)
	switch c[0] {
	case '"':
		var s string
		if err := json.Unmarshal(c, &s); err != nil {
			return nil, typeError("system", "a string or an array of text blocks", raw)
		}
		if s == "" {
			return nil, nil
		}
		return &llm.Message{Role: llm.RoleSystem, Content: []llm.Part{llm.TextPart(s)}}, nil
	case '[':
		var blocks []json.RawMessage
		if err := json.Unmarshal(c, &blocks); err != nil {
			return nil, typeError("system", "a string or an array of text blocks", raw)
		}
		if len(blocks) == 0 {
			return nil, nil
		}
		m := &llm.Message{Role: llm.RoleSystem}
		for i, b := range blocks {
			param := fmt.Sprintf("system.%d", i)
			o, err := decodeObject(b, param)
			if err != nil {
				return nil, err
			}
			t, err := o.reqStr("type", param+".type")
			if err != nil {
				return nil, err
			}
			if t != "text" {
				return nil, llm.InvalidRequest(llm.CodeInvalidValue, param+".type", "%s.type: is %q; the system prompt takes text blocks only", param, t)
			}
			p, err := decodeText(o, param)
			if err != nil {
				return nil, err
			}
			m.Content = append(m.Content, p)
		}
		return m, nil
	}
	return nil, typeError("system", "a string or an array of text blocks", raw)
}

// decodeMessage decodes messages.i and appends what it becomes to out: an assistant message,
// or for a user message one tool message per tool_result block followed by a user message
// with the other blocks.
func decodeMessage(raw json.RawMessage, i int, out []llm.Message) ([]llm.Message, error) {
	param := fmt.Sprintf("messages.%d", i)
	o, err := decodeObject(raw, param)
	if err != nil {
		return nil, err
	}
	role, err := o.reqStr("role", param+".role")
	if err != nil {
		return nil, err
	}
	if role != llm.RoleUser && role != llm.RoleAssistant && role != llm.RoleSystem {
		return nil, llm.InvalidRequest(llm.CodeInvalidValue, param+".role",
			"%s.role: is %q; expected \"user\" or \"assistant\" (the system prompt goes in the top-level \"system\" field)", param, role)
	}
	if !o.has("content") {
		return nil, missing(param + ".content")
	}
	if role == llm.RoleSystem {
		// A system turn inside the conversation (Claude Code sends them with the
		// mid-conversation-system beta): text only, like the top-level system prompt.
		if len(bytes.TrimSpace(o["content"])) == 0 {
			return nil, missing(param + ".content")
		}
		m, err := decodeSystem(o["content"])
		if err != nil {
			return nil, err
		}
		if m != nil {
			out = append(out, *m)
		}
		return out, nil
	}
	c := bytes.TrimSpace(o["content"])
	var blocks []json.RawMessage
	switch c[0] {
	case '"':
		var s string
		if err := json.Unmarshal(c, &s); err != nil {
			return nil, typeError(param+".content", "a string or an array of content blocks", c)
		}
		return append(out, llm.Message{Role: role, Content: []llm.Part{llm.TextPart(s)}}), nil
	case '[':
		if err := json.Unmarshal(c, &blocks); err != nil {
			return nil, typeError(param+".content", "a string or an array of content blocks", c)
		}
	default:
		return nil, typeError(param+".content", "a string or an array of content blocks", c)
	}
	m := llm.Message{Role: role}
	var results []llm.Message
	for j, b := range blocks {
		bp := fmt.Sprintf("%s.content.%d", param, j)
		d, err := decodeBlock(b, bp, role)
		if err != nil {
			return nil, err
		}
		switch d.kind {
		case blockPart:
			m.Content = append(m.Content, d.part)
		case blockToolUse:
			m.ToolCalls = append(m.ToolCalls, d.call)
			if len(d.cache) > 0 && j == len(blocks)-1 {
				m.CacheControl = d.cache
			}
		case blockThinking:
			m.Thinking = append(m.Thinking, d.thinking)
			if d.thinking.Text != "" {
				if m.Reasoning != "" {
					m.Reasoning += "\n\n"
				}
				m.Reasoning += d.thinking.Text
			}
		case blockToolResult:
			results = append(results, d.result)
		}
	}
	if role == llm.RoleAssistant {
		m.ContentNull = len(m.Content) == 0 && len(m.ToolCalls) > 0
		return append(out, m), nil
	}
	out = append(out, results...)
	if len(m.Content) > 0 || len(results) == 0 {
		out = append(out, m)
	}
	return out, nil
}

type blockKind int

const (
	blockPart blockKind = iota
	blockToolUse
	blockToolResult
	blockThinking
)

type decodedBlock struct {
	kind     blockKind
	part     llm.Part
	call     llm.ToolCall
	thinking llm.ThinkingBlock
	result   llm.Message
	cache    json.RawMessage
}

// decodeBlock decodes one content block of a message with the given role ("" inside a
// tool_result).
func decodeBlock(raw json.RawMessage, param, role string) (decodedBlock, error) {
	o, err := decodeObject(raw, param)
	if err != nil {
		return decodedBlock{}, err
	}
	t, err := o.reqStr("type", param+".type")
	if err != nil {
		return decodedBlock{}, err
	}
	misplaced := func(where string) error {
		return llm.InvalidRequest(llm.CodeInvalidValue, param+".type", "%s.type: %s blocks belong in %s", param, t, where)
	}
	var d decodedBlock
	switch t {
	case "":
		return d, missing(param + ".type")
	case "text":
		d.part, err = decodeText(o, param)
	case "image":
		d.part, err = decodeImage(o, raw, param)
	case "document":
		d.part, err = decodeDocument(o, raw, param)
	case "tool_use":
		if role != llm.RoleAssistant {
			return d, misplaced("assistant messages")
		}
		d.kind = blockToolUse
		d.call, d.cache, err = decodeToolUse(o, param)
	case "tool_result":
		if role != llm.RoleUser {
			return d, misplaced("user messages")
		}
		d.kind = blockToolResult
		d.result, err = decodeToolResult(o, param)
	case "thinking", "redacted_thinking":
		if role != llm.RoleAssistant {
			return d, misplaced("assistant messages")
		}
		d.kind = blockThinking
		if t == "thinking" {
			d.thinking.Format = llm.FormatAnthropic
			d.thinking.Text, err = o.reqStr("thinking", param+".thinking")
			if err == nil {
				d.thinking.Signature, _, err = o.str("signature", param+".signature")
			}
		} else {
			d.thinking.Format = llm.FormatAnthropic
			d.thinking.Redacted, err = o.reqStr("data", param+".data")
		}
	default:
		// search_result, server_tool_use, web_search_tool_result, container_upload and
		// block types yet to come: only Anthropic can read them.
		d.part = otherPart(raw, t)
	}
	return d, err
}

func otherPart(raw json.RawMessage, typ string) llm.Part {
	return llm.Part{Type: llm.PartOther, Raw: compact(raw), RawFormat: llm.FormatAnthropic, RawType: typ}
}

// withExtras keeps o's members beyond known in p.Raw (see the package doc).
func withExtras(p llm.Part, o object, known ...string) llm.Part {
	if x := o.extras(known...); x != nil {
		p.Raw, p.RawFormat = x, llm.FormatAnthropic
	}
	return p
}

func decodeText(o object, param string) (llm.Part, error) {
	s, err := o.reqStr("text", param+".text")
	if err != nil {
		return llm.Part{}, err
	}
	p := llm.TextPart(s)
	if p.CacheControl, err = o.cacheControl(param); err != nil {
		return llm.Part{}, err
	}
	return withExtras(p, o, "type", "text", "cache_control"), nil
}

// source reads a block's source object and its type.
func source(o object, param string) (object, string, error) {
	if !o.has("source") {
		return nil, "", missing(param + ".source")
	}
	s, err := decodeObject(o["source"], param+".source")
	if err != nil {
		return nil, "", err
	}
	t, err := s.reqStr("type", param+".source.type")
	return s, t, err
}

func decodeImage(o object, raw json.RawMessage, param string) (llm.Part, error) {
	s, t, err := source(o, param)
	if err != nil {
		return llm.Part{}, err
	}
	p := llm.Part{Type: llm.PartImage}
	switch t {
	case "base64":
		mt, err := s.reqStr("media_type", param+".source.media_type")
		if err != nil {
			return p, err
		}
		data, err := s.reqStr("data", param+".source.data")
		if err != nil {
			return p, err
		}
		p.ImageURL = "data:" + mt + ";base64," + data
	case "url":
		if p.ImageURL, err = s.reqStr("url", param+".source.url"); err != nil {
			return p, err
		}
	default:
		// A file id of the Files API: only Anthropic can resolve it.
		return otherPart(raw, "image"), nil
	}
	if p.CacheControl, err = o.cacheControl(param); err != nil {
		return p, err
	}
	return withExtras(p, o, "type", "source", "cache_control"), nil
}

func decodeDocument(o object, raw json.RawMessage, param string) (llm.Part, error) {
	s, t, err := source(o, param)
	if err != nil {
		return llm.Part{}, err
	}
	p := llm.Part{Type: llm.PartDocument}
	switch t {
	case "base64":
		if p.MediaType, err = s.reqStr("media_type", param+".source.media_type"); err != nil {
			return p, err
		}
		if p.Data, err = s.reqStr("data", param+".source.data"); err != nil {
			return p, err
		}
	case "text":
		if p.Text, err = s.reqStr("data", param+".source.data"); err != nil {
			return p, err
		}
		p.MediaType = "text/plain"
	case "url":
		// Anthropic's URL source is a PDF.
		if p.URL, err = s.reqStr("url", param+".source.url"); err != nil {
			return p, err
		}
		p.MediaType = "application/pdf"
	default:
		// "content" (custom blocks) and "file" sources: only Anthropic can read them.
		return otherPart(raw, "document"), nil
	}
	if p.Title, _, err = o.str("title", param+".title"); err != nil {
		return p, err
	}
	if p.CacheControl, err = o.cacheControl(param); err != nil {
		return p, err
	}
	return withExtras(p, o, "type", "source", "title", "cache_control"), nil
}

func decodeToolUse(o object, param string) (llm.ToolCall, json.RawMessage, error) {
	var c llm.ToolCall
	var err error
	if c.ID, err = o.reqStr("id", param+".id"); err != nil {
		return c, nil, err
	}
	if c.Name, err = o.reqStr("name", param+".name"); err != nil {
		return c, nil, err
	}
	c.Arguments = "{}"
	if o.has("input") {
		in := bytes.TrimSpace(o["input"])
		if in[0] != '{' {
			return c, nil, typeError(param+".input", "an object", in)
		}
		c.Arguments = string(compact(in))
	}
	cache, err := o.cacheControl(param)
	return c, cache, err
}

func decodeToolResult(o object, param string) (llm.Message, error) {
	m := llm.Message{Role: llm.RoleTool}
	var err error
	if m.ToolCallID, err = o.reqStr("tool_use_id", param+".tool_use_id"); err != nil {
		return m, err
	}
	isErr, err := o.boolean("is_error", param+".is_error")
	if err != nil {
		return m, err
	}
	m.ToolError = isErr != nil && *isErr
	if m.CacheControl, err = o.cacheControl(param); err != nil {
		return m, err
	}
	if !o.has("content") {
		return m, nil
	}
	c := bytes.TrimSpace(o["content"])
	switch c[0] {
	case '"':
		var s string
		if err := json.Unmarshal(c, &s); err != nil {
			return m, typeError(param+".content", "a string or an array of content blocks", c)
		}
		m.Content = []llm.Part{llm.TextPart(s)}
	case '[':
		var blocks []json.RawMessage
		if err := json.Unmarshal(c, &blocks); err != nil {
			return m, typeError(param+".content", "a string or an array of content blocks", c)
		}
		for j, b := range blocks {
			bp := fmt.Sprintf("%s.content.%d", param, j)
			d, err := decodeBlock(b, bp, "")
			if err != nil {
				return m, err
			}
			if d.kind != blockPart {
				return m, llm.InvalidRequest(llm.CodeInvalidValue, bp+".type", "%s.type: a tool result holds text, images, documents and search results only", bp)
			}
			m.Content = append(m.Content, d.part)
		}
	default:
		return m, typeError(param+".content", "a string or an array of content blocks", c)
	}
	return m, nil
}

func decodeTools(o object, r *llm.Request) error {
	tools, _, err := o.array("tools", "tools")
	if err != nil {
		return err
	}
	for i, raw := range tools {
		param := fmt.Sprintf("tools.%d", i)
		t, err := decodeObject(raw, param)
		if err != nil {
			return err
		}
		typ, _, err := t.str("type", param+".type")
		if err != nil {
			return err
		}
		if typ != "" && typ != "custom" {
			// A server tool (web_search_20250305, bash_20250124, text_editor_*, …).
			name, _, err := t.str("name", param+".name")
			if err != nil {
				return err
			}
			r.Tools = append(r.Tools, llm.Tool{Name: name, Hosted: typ, Raw: compact(raw), RawFormat: llm.FormatAnthropic})
			continue
		}
		var tool llm.Tool
		if tool.Name, err = t.reqStr("name", param+".name"); err != nil {
			return err
		}
		if tool.Description, _, err = t.str("description", param+".description"); err != nil {
			return err
		}
		if !t.has("input_schema") {
			return missing(param + ".input_schema")
		}
		if s := bytes.TrimSpace(t["input_schema"]); s[0] != '{' {
			return typeError(param+".input_schema", "an object", s)
		}
		tool.Parameters = compact(t["input_schema"])
		if tool.Strict, err = t.boolean("strict", param+".strict"); err != nil {
			return err
		}
		if tool.CacheControl, err = t.cacheControl(param); err != nil {
			return err
		}
		if x := t.extras("type", "name", "description", "input_schema", "strict", "cache_control"); x != nil {
			// defer_loading, input_examples, allowed_callers, eager_input_streaming…
			tool.Raw, tool.RawFormat = x, llm.FormatAnthropic
		}
		r.Tools = append(r.Tools, tool)
	}
	if !o.has("tool_choice") {
		return nil
	}
	tc, err := decodeObject(o["tool_choice"], "tool_choice")
	if err != nil {
		return err
	}
	typ, err := tc.reqStr("type", "tool_choice.type")
	if err != nil {
		return err
	}
	switch typ {
	case "auto":
		r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceAuto}
	case "any":
		r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceRequired}
	case "none":
		r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceNone}
	case "tool":
		name, err := tc.reqStr("name", "tool_choice.name")
		if err != nil {
			return err
		}
		r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: name}
	default:
		return llm.InvalidRequest(llm.CodeInvalidValue, "tool_choice.type",
			"tool_choice.type: is %q; expected one of \"auto\", \"any\", \"tool\", \"none\"", typ)
	}
	dp, err := tc.boolean("disable_parallel_tool_use", "tool_choice.disable_parallel_tool_use")
	if err != nil {
		return err
	}
	if dp != nil && *dp {
		no := false
		r.ParallelToolCalls = &no
	}
	return nil
}

func decodeThinking(o object, r *llm.Request) error {
	if !o.has("thinking") {
		return nil
	}
	th, err := decodeObject(o["thinking"], "thinking")
	if err != nil {
		return err
	}
	typ, err := th.reqStr("type", "thinking.type")
	if err != nil {
		return err
	}
	r.Thinking = &llm.Thinking{Type: typ}
	switch typ {
	case llm.ThinkingEnabled:
		b, err := th.integer("budget_tokens", "thinking.budget_tokens")
		if err != nil {
			return err
		}
		if b == nil {
			return llm.InvalidRequest(llm.CodeMissingField, "thinking.budget_tokens", "thinking.budget_tokens: field required when thinking is enabled")
		}
		if *b < 0 {
			return llm.InvalidRequest(llm.CodeInvalidValue, "thinking.budget_tokens", "thinking.budget_tokens: must be 0 or more")
		}
		r.Thinking.BudgetTokens = *b
	case llm.ThinkingDisabled, llm.ThinkingAdaptive:
	default:
		return llm.InvalidRequest(llm.CodeInvalidValue, "thinking.type",
			"thinking.type: is %q; expected one of \"enabled\", \"disabled\", \"adaptive\"", typ)
	}
	if th.has("display") {
		if r.Hints == nil {
			r.Hints = make(map[string]json.RawMessage)
		}
		r.Hints[hintThinkingDisplay] = compact(th["display"])
	}
	return nil
}

// decodeOutput reads output_config (and the beta output_format): a JSON schema the answer
// must follow becomes ResponseFormat; the rest (effort) only tunes and becomes a hint.
func decodeOutput(o object, r *llm.Request) error {
	var format json.RawMessage
	var fparam string
	if o.has("output_format") {
		format, fparam = o["output_format"], "output_format"
	}
	if o.has("output_config") {
		oc, err := decodeObject(o["output_config"], "output_config")
		if err != nil {
			return err
		}
		if oc.has("format") {
			format, fparam = oc["format"], "output_config.format"
		}
		if x := oc.extras("format"); x != nil {
			if r.Hints == nil {
				r.Hints = make(map[string]json.RawMessage)
			}
			r.Hints[hintOutputConfig] = x
		}
	}
	if format == nil {
		return nil
	}
	f, err := decodeObject(format, fparam)
	if err != nil {
		return err
	}
	typ, err := f.reqStr("type", fparam+".type")
	if err != nil {
		return err
	}
	if typ != "json_schema" {
		return llm.InvalidRequest(llm.CodeInvalidValue, fparam+".type", "%s.type: is %q; expected \"json_schema\"", fparam, typ)
	}
	if !f.has("schema") {
		return missing(fparam + ".schema")
	}
	if s := bytes.TrimSpace(f["schema"]); s[0] != '{' {
		return typeError(fparam+".schema", "an object", s)
	}
	r.ResponseFormat = &llm.ResponseFormat{Type: llm.ResponseJSONSchema, Schema: compact(f["schema"])}
	return nil
}
