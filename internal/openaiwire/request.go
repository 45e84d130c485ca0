package openaiwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// knownChatFields are the request fields with a canonical meaning; every other field is kept
// in Request.Extensions.
var knownChatFields = map[string]bool{
	"model": true, "messages": true, "tools": true, "tool_choice": true, "parallel_tool_calls": true,
	"response_format": true, "temperature": true, "top_p": true, "max_tokens": true,
	"max_completion_tokens": true, "stop": true, "seed": true, "n": true, "presence_penalty": true,
	"frequency_penalty": true, "logprobs": true, "top_logprobs": true, "reasoning_effort": true,
	"stream": true, "stream_options": true, "user": true, "metadata": true,
}

// DecodeChatRequest parses and validates a Chat Completions request body from a client. Its
// errors are *llm.Error values that name the offending parameter.
func DecodeChatRequest(body []byte) (*llm.Request, error) {
	fields, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	var w ChatRequest
	for k, v := range fields {
		if !knownChatFields[k] {
			if w.Extra == nil {
				w.Extra = make(map[string]json.RawMessage)
			}
			w.Extra[k] = bytes.Clone(v)
			continue
		}
		if isNull(v) {
			continue
		}
		dst := fieldPtr(&w, k)
		if decodeScalar(v, dst) {
			continue
		}
		if err := decodeField(k, v, dst); err != nil {
			return nil, err
		}
	}
	return w.toCanonical()
}

// decodeScalar decodes a string, boolean or number field without encoding/json, with its
// result, and reports whether it did; anything else (and every mistake, which decodeField
// explains) is left to decodeField.
func decodeScalar(v []byte, dst any) bool {
	switch p := dst.(type) {
	case *string:
		return jsonString(v, p)
	case *bool:
		switch string(v) {
		case "true":
			*p = true
			return true
		case "false":
			*p = false
			return true
		}
	case **bool:
		switch string(v) {
		case "true", "false":
			b := string(v) == "true"
			*p = &b
			return true
		}
	case **int:
		var n int
		if jsonIntField(v, &n) {
			*p = &n
			return true
		}
	case **int64:
		if n, ok := jsonInt(v); ok {
			*p = &n
			return true
		}
	case **float64:
		if !jsonNumber(v) {
			return false
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return false
		}
		*p = &f
		return true
	}
	return false
}

func fieldPtr(w *ChatRequest, k string) any {
	switch k {
	case "model":
		return &w.Model
	case "messages":
		return &w.Messages
	case "tools":
		return &w.Tools
	case "tool_choice":
		return &w.ToolChoice
	case "parallel_tool_calls":
		return &w.ParallelToolCalls
	case "response_format":
		return &w.ResponseFormat
	case "temperature":
		return &w.Temperature
	case "top_p":
		return &w.TopP
	case "max_tokens":
		return &w.MaxTokens
	case "max_completion_tokens":
		return &w.MaxCompletionTokens
	case "stop":
		return &w.Stop
	case "seed":
		return &w.Seed
	case "n":
		return &w.N
	case "presence_penalty":
		return &w.PresencePenalty
	case "frequency_penalty":
		return &w.FrequencyPenalty
	case "logprobs":
		return &w.Logprobs
	case "top_logprobs":
		return &w.TopLogprobs
	case "reasoning_effort":
		return &w.ReasoningEffort
	case "stream":
		return &w.Stream
	case "stream_options":
		return &w.StreamOptions
	case "user":
		return &w.User
	case "metadata":
		return &w.Metadata
	}
	panic("openaiwire: no field for known key " + k)
}

// DecodeObject splits a request body, which must be a JSON object, into its top-level fields,
// whose values share body's bytes (copy one that must outlive a change to body). Its errors are 400 *llm.Error values for the client (invalid_json, invalid_type). The
// Responses decoder shares it.
func DecodeObject(body []byte) (map[string]json.RawMessage, error) { return decodeObject(body) }

// DecodeField unmarshals one field into dst, turning a type error into a 400 that names param
// (and the nested field, when the error knows it).
func DecodeField(param string, raw json.RawMessage, dst any) error {
	return decodeField(param, raw, dst)
}

// decodeObject splits a JSON object into its top-level fields. The values share body's bytes.
func decodeObject(body []byte) (map[string]json.RawMessage, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil, llm.InvalidRequest(llm.CodeInvalidJSON, "", "request body is empty; send a JSON object")
	}
	if body[0] != '{' {
		if !json.Valid(body) {
			return nil, syntaxError(json.Unmarshal(body, new(any)))
		}
		return nil, llm.InvalidRequest(llm.CodeInvalidType, "", "request body must be a JSON object")
	}
	if !json.Valid(body) {
		return nil, syntaxError(json.Unmarshal(body, new(any)))
	}
	// Splitting the checked object by hand costs a fraction of decoding it into the map; a
	// key with an escape is left to encoding/json. Later members win, as there.
	fields := make(map[string]json.RawMessage, 8)
	if walkObject(body, func(k, v []byte) bool {
		fields[string(k)] = v
		return true
	}) {
		return fields, nil
	}
	clear(fields)
	if err := json.Unmarshal(body, &fields); err != nil {
		return nil, syntaxError(err)
	}
	return fields, nil
}

func syntaxError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return llm.InvalidRequest(llm.CodeInvalidJSON, "",
			"request body is not valid JSON (%s at byte %d); check the request's encoding", se.Error(), se.Offset)
	}
	return llm.InvalidRequest(llm.CodeInvalidJSON, "", "request body is not valid JSON; check the request's encoding")
}

// decodeField unmarshals one top-level field, turning type errors into a clear message.
func decodeField(name string, raw json.RawMessage, dst any) error {
	err := json.Unmarshal(raw, dst)
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		param := name
		if te.Field != "" {
			param = name + "." + te.Field
		}
		return llm.InvalidRequest(llm.CodeInvalidType, param,
			"invalid type for %q: expected %s, got JSON %s", param, jsonTypeName(te.Type.Kind().String()), te.Value)
	}
	return llm.InvalidRequest(llm.CodeInvalidValue, name, "invalid value for %q: %v", name, err)
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map":
		return "an object"
	case "ptr":
		return "a value of another type"
	}
	if strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") {
		return "an integer"
	}
	if strings.HasPrefix(kind, "float") {
		return "a number"
	}
	return kind
}

func isNull(v json.RawMessage) bool { return len(v) == 4 && string(v) == "null" }

func (w *ChatRequest) toCanonical() (*llm.Request, error) {
	if w.Model == "" {
		return nil, llm.InvalidRequest(llm.CodeMissingField, "model",
			"missing required parameter \"model\"; name a model from GET /v1/models, or \"auto\"")
	}
	if len(w.Messages) == 0 {
		return nil, llm.InvalidRequest(llm.CodeMissingField, "messages",
			"missing required parameter \"messages\"; send at least one message")
	}
	r := &llm.Request{
		Model:             w.Model,
		ParallelToolCalls: w.ParallelToolCalls,
		Temperature:       w.Temperature,
		TopP:              w.TopP,
		Seed:              w.Seed,
		N:                 w.N,
		PresencePenalty:   w.PresencePenalty,
		FrequencyPenalty:  w.FrequencyPenalty,
		Logprobs:          w.Logprobs,
		TopLogprobs:       w.TopLogprobs,
		ReasoningEffort:   w.ReasoningEffort,
		Stream:            w.Stream,
		User:              w.User,
		Metadata:          w.Metadata,
		Extensions:        w.Extra,
	}
	if len(w.Extra) > 0 {
		r.ExtensionsFormat = llm.FormatOpenAIChat
	}
	if w.StreamOptions != nil {
		if !w.Stream {
			return nil, llm.InvalidRequest(llm.CodeInvalidValue, "stream_options",
				"\"stream_options\" is only allowed when \"stream\" is true")
		}
		r.IncludeUsage = w.StreamOptions.IncludeUsage
	}
	switch {
	case w.MaxCompletionTokens != nil:
		r.MaxTokens = w.MaxCompletionTokens
		r.MaxTokensNewName = true
	case w.MaxTokens != nil:
		r.MaxTokens = w.MaxTokens
	}
	if err := checkRanges(w); err != nil {
		return nil, err
	}
	var err error
	if r.Stop, err = decodeStop(w.Stop); err != nil {
		return nil, err
	}
	r.Messages = make([]llm.Message, len(w.Messages))
	for i := range w.Messages {
		if err := decodeMessage(&w.Messages[i], &r.Messages[i], i); err != nil {
			return nil, err
		}
	}
	for i, t := range w.Tools {
		if t.Type != "function" {
			param := fmt.Sprintf("tools[%d].type", i)
			return nil, llm.InvalidRequest(llm.CodeInvalidValue, param,
				"%q is %q; only \"function\" tools are supported", param, t.Type)
		}
		if t.Function.Name == "" {
			return nil, llm.InvalidRequest(llm.CodeMissingField, fmt.Sprintf("tools[%d].function.name", i),
				"missing required parameter \"tools[%d].function.name\"", i)
		}
		r.Tools = append(r.Tools, llm.Tool{Name: t.Function.Name, Description: t.Function.Description,
			Parameters: t.Function.Parameters, Strict: t.Function.Strict})
	}
	if r.ToolChoice, err = decodeToolChoice(w.ToolChoice, len(r.Tools)); err != nil {
		return nil, err
	}
	if rf := w.ResponseFormat; rf != nil {
		switch rf.Type {
		case llm.ResponseText, llm.ResponseJSONObject:
			r.ResponseFormat = &llm.ResponseFormat{Type: rf.Type}
		case llm.ResponseJSONSchema:
			if rf.JSONSchema == nil || rf.JSONSchema.Name == "" {
				return nil, llm.InvalidRequest(llm.CodeMissingField, "response_format.json_schema",
					"missing required parameter \"response_format.json_schema\" with a \"name\": response_format of type \"json_schema\" needs it")
			}
			r.ResponseFormat = &llm.ResponseFormat{Type: rf.Type, Name: rf.JSONSchema.Name,
				Description: rf.JSONSchema.Description, Schema: rf.JSONSchema.Schema, Strict: rf.JSONSchema.Strict}
		default:
			return nil, llm.InvalidRequest(llm.CodeInvalidValue, "response_format.type",
				"\"response_format.type\" is %q; expected one of \"text\", \"json_object\", \"json_schema\"", rf.Type)
		}
	}
	return r, nil
}

func checkRanges(w *ChatRequest) error {
	type rng struct {
		name     string
		v        *float64
		min, max float64
	}
	for _, c := range []rng{
		{"temperature", w.Temperature, 0, 2},
		{"top_p", w.TopP, 0, 1},
		{"presence_penalty", w.PresencePenalty, -2, 2},
		{"frequency_penalty", w.FrequencyPenalty, -2, 2},
	} {
		if c.v != nil && (math.IsNaN(*c.v) || *c.v < c.min || *c.v > c.max) {
			return llm.InvalidRequest(llm.CodeInvalidValue, c.name, "%q must be between %g and %g", c.name, c.min, c.max)
		}
	}
	if w.N != nil && (*w.N < 1 || *w.N > 128) {
		return llm.InvalidRequest(llm.CodeInvalidValue, "n", "\"n\" must be between 1 and 128")
	}
	for name, v := range map[string]*int{"max_tokens": w.MaxTokens, "max_completion_tokens": w.MaxCompletionTokens} {
		if v != nil && *v < 1 {
			return llm.InvalidRequest(llm.CodeInvalidValue, name, "%q must be at least 1", name)
		}
	}
	if w.TopLogprobs != nil && (*w.TopLogprobs < 0 || *w.TopLogprobs > 20) {
		return llm.InvalidRequest(llm.CodeInvalidValue, "top_logprobs", "\"top_logprobs\" must be between 0 and 20")
	}
	return nil
}

func decodeStop(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || isNull(raw) {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err != nil {
		return nil, llm.InvalidRequest(llm.CodeInvalidType, "stop", "\"stop\" must be a string or an array of strings")
	}
	if len(many) > 4 {
		return nil, llm.InvalidRequest(llm.CodeInvalidValue, "stop", "\"stop\" takes at most 4 sequences")
	}
	return many, nil
}

func decodeToolChoice(raw json.RawMessage, ntools int) (*llm.ToolChoice, error) {
	if len(raw) == 0 || isNull(raw) {
		return nil, nil
	}
	var mode string
	if err := json.Unmarshal(raw, &mode); err == nil {
		switch mode {
		case llm.ToolChoiceAuto, llm.ToolChoiceNone, llm.ToolChoiceRequired:
			if mode == llm.ToolChoiceRequired && ntools == 0 {
				return nil, llm.InvalidRequest(llm.CodeInvalidValue, "tool_choice",
					"tool_choice \"required\" needs at least one tool in \"tools\"")
			}
			return &llm.ToolChoice{Mode: mode}, nil
		}
		return nil, llm.InvalidRequest(llm.CodeInvalidValue, "tool_choice",
			"tool_choice %q is not one of \"auto\", \"none\", \"required\"", mode)
	}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Type != "function" || obj.Function.Name == "" {
		return nil, llm.InvalidRequest(llm.CodeInvalidValue, "tool_choice",
			"tool_choice must be \"auto\", \"none\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":...}}")
	}
	return &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: obj.Function.Name}, nil
}

func decodeMessage(m *Message, out *llm.Message, i int) error {
	param := func(s string) string { return fmt.Sprintf("messages[%d].%s", i, s) }
	switch m.Role {
	case llm.RoleSystem, llm.RoleDeveloper, llm.RoleUser, llm.RoleAssistant, llm.RoleTool, llm.RoleFunction:
	case "":
		return llm.InvalidRequest(llm.CodeMissingField, param("role"), "missing required parameter %q", param("role"))
	default:
		return llm.InvalidRequest(llm.CodeInvalidValue, param("role"),
			"%q is %q; expected one of system, developer, user, assistant, tool", param("role"), m.Role)
	}
	out.Role = m.Role
	out.Name = m.Name
	out.ToolCallID = m.ToolCallID
	out.Reasoning = m.ReasoningContent
	if m.Refusal != nil {
		out.Refusal = *m.Refusal
	}
	if m.Role == llm.RoleTool && m.ToolCallID == "" {
		return llm.InvalidRequest(llm.CodeMissingField, param("tool_call_id"),
			"missing required parameter %q: a tool message answers a tool call by its id", param("tool_call_id"))
	}
	for j, tc := range m.ToolCalls {
		if tc.Function.Name == "" {
			return llm.InvalidRequest(llm.CodeMissingField, param(fmt.Sprintf("tool_calls[%d].function.name", j)),
				"missing required parameter %q", param(fmt.Sprintf("tool_calls[%d].function.name", j)))
		}
		out.ToolCalls = append(out.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
	}
	c := bytes.TrimSpace(m.Content)
	switch {
	case len(c) == 0 || isNull(c):
		if m.Role != llm.RoleAssistant {
			return llm.InvalidRequest(llm.CodeMissingField, param("content"), "missing required parameter %q", param("content"))
		}
		out.ContentNull = true
	case c[0] == '"':
		var s string
		if err := json.Unmarshal(c, &s); err != nil {
			return llm.InvalidRequest(llm.CodeInvalidValue, param("content"), "%q is not a valid JSON string", param("content"))
		}
		out.Content = []llm.Part{llm.TextPart(s)}
	case c[0] == '[':
		var raws []json.RawMessage
		if err := json.Unmarshal(c, &raws); err != nil {
			return llm.InvalidRequest(llm.CodeInvalidType, param("content"), "%q must be a string or an array of content parts", param("content"))
		}
		out.Content = make([]llm.Part, 0, len(raws))
		for j, raw := range raws {
			p, err := decodePart(raw, param(fmt.Sprintf("content[%d]", j)))
			if err != nil {
				return err
			}
			out.Content = append(out.Content, p)
		}
	default:
		return llm.InvalidRequest(llm.CodeInvalidType, param("content"), "%q must be a string or an array of content parts", param("content"))
	}
	return nil
}

func decodePart(raw json.RawMessage, param string) (llm.Part, error) {
	var p ContentPart
	if err := json.Unmarshal(raw, &p); err != nil {
		return llm.Part{}, llm.InvalidRequest(llm.CodeInvalidType, param, "%q must be a content part object", param)
	}
	switch p.Type {
	case "text":
		if p.Text == nil {
			return llm.Part{}, llm.InvalidRequest(llm.CodeMissingField, param+".text", "missing required parameter %q", param+".text")
		}
		return llm.TextPart(*p.Text), nil
	case "image_url":
		if p.ImageURL == nil || p.ImageURL.URL == "" {
			return llm.Part{}, llm.InvalidRequest(llm.CodeMissingField, param+".image_url.url", "missing required parameter %q", param+".image_url.url")
		}
		return llm.Part{Type: llm.PartImage, ImageURL: p.ImageURL.URL, ImageDetail: p.ImageURL.Detail}, nil
	case "":
		return llm.Part{}, llm.InvalidRequest(llm.CodeMissingField, param+".type", "missing required parameter %q", param+".type")
	}
	// input_audio, file, refusal and future part types: kept raw for OpenAI-compatible upstreams.
	return llm.Part{Type: llm.PartOther, Raw: raw, RawFormat: llm.FormatOpenAIChat, RawType: p.Type}, nil
}

// EncodeChatRequest builds the upstream body for r, naming the upstream's own model id. Parts and
// extensions kept raw in another wire format are refused with an unsupported-parameter error
// naming provider.
func EncodeChatRequest(r *llm.Request, model, provider string) ([]byte, error) {
	w := ChatRequest{
		Model:             model,
		ParallelToolCalls: r.ParallelToolCalls,
		Temperature:       r.Temperature,
		TopP:              r.TopP,
		Seed:              r.Seed,
		N:                 r.N,
		PresencePenalty:   r.PresencePenalty,
		FrequencyPenalty:  r.FrequencyPenalty,
		Logprobs:          r.Logprobs,
		TopLogprobs:       r.TopLogprobs,
		ReasoningEffort:   r.ReasoningEffort,
		Stream:            r.Stream,
		User:              r.User,
		Metadata:          r.Metadata,
	}
	if r.MaxTokensNewName {
		w.MaxCompletionTokens = r.MaxTokens
	} else {
		w.MaxTokens = r.MaxTokens
	}
	if r.Stream && r.IncludeUsage {
		w.StreamOptions = &StreamOptions{IncludeUsage: true}
	}
	switch len(r.Stop) {
	case 0:
	case 1:
		w.Stop, _ = json.Marshal(r.Stop[0])
	default:
		w.Stop, _ = json.Marshal(r.Stop)
	}
	if r.TopK != nil {
		r.Drop("top_k")
	}
	if r.Thinking != nil {
		r.Drop("thinking")
	}
	if r.CacheKey != "" && r.Extensions["prompt_cache_key"] == nil {
		// Only OpenAI itself documents prompt_cache_key; other services may refuse it.
		if provider == "openai" {
			w.PromptCacheKey = r.CacheKey
		} else {
			r.Drop("prompt_cache_key")
		}
	}
	w.Messages = make([]Message, 0, len(r.Messages))
	for i := range r.Messages {
		m := &r.Messages[i]
		if m.CacheControl != nil {
			r.Drop("cache_control")
		}
		if m.ToolError {
			r.Drop("is_error")
		}
		var out Message
		moved, err := encodeMessage(r, m, &out, provider)
		if err != nil {
			return nil, err
		}
		w.Messages = append(w.Messages, out)
		if len(moved) > 0 {
			// Chat Completions takes only text in a tool result: its images follow in a user turn.
			var um Message
			if _, err := encodeMessage(r, &llm.Message{Role: llm.RoleUser, Content: moved}, &um, provider); err != nil {
				return nil, err
			}
			w.Messages = append(w.Messages, um)
		}
	}
	for _, t := range r.Tools {
		if t.CacheControl != nil {
			r.Drop("cache_control")
		}
		if t.Hosted != "" {
			r.Drop("tools." + t.Hosted)
			continue
		}
		w.Tools = append(w.Tools, Tool{Type: "function", Function: FunctionDef{Name: t.Name,
			Description: t.Description, Parameters: t.Parameters, Strict: t.Strict}})
	}
	if tc := r.ToolChoice; tc != nil {
		if tc.Mode == llm.ToolChoiceFunction {
			w.ToolChoice, _ = json.Marshal(map[string]any{"type": "function", "function": map[string]string{"name": tc.Name}})
		} else {
			w.ToolChoice, _ = json.Marshal(tc.Mode)
		}
	}
	if rf := r.ResponseFormat; rf != nil {
		w.ResponseFormat = &ResponseFormat{Type: rf.Type}
		if rf.Type == llm.ResponseJSONSchema {
			w.ResponseFormat.JSONSchema = &JSONSchema{Name: rf.Name, Description: rf.Description, Schema: rf.Schema, Strict: rf.Strict}
		}
	}
	extra := r.Extensions
	if r.ExtensionsFormat != llm.FormatOpenAIChat {
		for _, k := range slices.Sorted(maps.Keys(r.Extensions)) {
			return nil, llm.Unsupported(provider, k, "")
		}
		for _, k := range slices.Sorted(maps.Keys(r.Hints)) {
			r.Drop(k)
		}
	} else if len(r.Hints) > 0 {
		extra = make(map[string]json.RawMessage, len(r.Extensions)+len(r.Hints))
		maps.Copy(extra, r.Extensions)
		maps.Copy(extra, r.Hints)
	}
	if len(extra) > 0 {
		return marshalWithExtra(&w, extra, knownChatFields)
	}
	return json.Marshal(&w)
}

// marshalWithExtra encodes v, an object, and appends the extra fields that are not in known
// (the fields v sets itself). They go in key order, so that one request always gives the same
// bytes.
func marshalWithExtra(v any, extra map[string]json.RawMessage, known map[string]bool) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = b[:len(b)-1]
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		raw := extra[k]
		if known[k] {
			continue
		}
		key, _ := json.Marshal(k)
		b = append(b, ',')
		b = append(b, key...)
		b = append(b, ':')
		b = append(b, raw...)
	}
	return append(b, '}'), nil
}

// encodeMessage encodes m into out. For a tool result it returns the parts Chat Completions
// cannot carry there (images), for a user turn that follows it.
func encodeMessage(r *llm.Request, m *llm.Message, out *Message, provider string) ([]llm.Part, error) {
	out.Role = m.Role
	out.Name = m.Name
	out.ToolCallID = m.ToolCallID
	out.ReasoningContent = m.Reasoning
	if m.Refusal != "" {
		out.Refusal = &m.Refusal
	}
	for _, tc := range m.ToolCalls {
		out.ToolCalls = append(out.ToolCalls, ToolCall{ID: tc.ID, Type: "function",
			Function: FunctionCall{Name: tc.Name, Arguments: tc.Arguments}})
	}
	content := m.Content
	var moved []llm.Part
	if m.Role == llm.RoleTool {
		var text []llm.Part
		for _, p := range content {
			if p.Type == llm.PartText {
				text = append(text, p)
			} else {
				moved = append(moved, p)
			}
		}
		content = text
	}
	switch {
	case len(content) == 0 && m.ContentNull:
		out.Content = json.RawMessage("null")
	case len(content) == 0:
		out.Content = json.RawMessage(`""`)
	case len(content) == 1 && content[0].Type == llm.PartText && content[0].CacheControl == nil:
		out.Content, _ = json.Marshal(content[0].Text)
	default:
		parts := make([]json.RawMessage, 0, len(content))
		for _, p := range content {
			if p.CacheControl != nil {
				r.Drop("cache_control")
			}
			var b []byte
			switch p.Type {
			case llm.PartText:
				b, _ = json.Marshal(ContentPart{Type: "text", Text: &p.Text})
			case llm.PartImage:
				b, _ = json.Marshal(ContentPart{Type: "image_url", ImageURL: &ImageURL{URL: p.ImageURL, Detail: p.ImageDetail}})
			case llm.PartDocument:
				var err error
				if b, err = encodeDocument(p, provider); err != nil {
					return nil, err
				}
			default:
				if p.RawFormat != llm.FormatOpenAIChat {
					return nil, llm.Unsupported(provider, "content part "+p.RawType, "")
				}
				b = p.Raw
			}
			parts = append(parts, b)
		}
		out.Content, _ = json.Marshal(parts)
	}
	return moved, nil
}

// encodeDocument gives a document part as Chat Completions has it: a text document as text, a
// base64 file as a file part. A document by URL has no equivalent.
func encodeDocument(p llm.Part, provider string) ([]byte, error) {
	switch {
	case p.Data == "" && p.URL == "":
		text := p.Text
		if p.Title != "" {
			text = p.Title + "\n\n" + text
		}
		return json.Marshal(ContentPart{Type: "text", Text: &text})
	case p.Data != "":
		name := p.Filename
		if name == "" {
			name = p.Title
		}
		if name == "" {
			name = "document"
		}
		return json.Marshal(map[string]any{"type": "file", "file": map[string]string{
			"file_data": "data:" + p.MediaType + ";base64," + p.Data, "filename": name}})
	}
	return nil, llm.Unsupported(provider, "document", "a document given by URL cannot be passed on; send its content inline")
}
