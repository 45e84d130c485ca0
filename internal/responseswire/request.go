package responseswire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
)

// Request is a decoded Responses API request: the canonical chat request, and what the
// Responses ingress needs besides it to store the answer and to echo the request in the
// response object.
type Request struct {
	// Chat is the canonical request. Its messages start with the instructions (a system
	// message) followed by the input; PrependHistory puts the messages of a previous response
	// between them.
	Chat *llm.Request
	// PreviousResponseID names the stored response this request continues.
	PreviousResponseID string
	// Store says whether the answer is to be stored; true when the request does not say.
	Store bool
	// Instructions is the request's system message, also the first message of Chat.
	Instructions string
	// Input is the request's input as an array of items: a string input becomes one user
	// message item; an array is kept as sent. It is [] when the request had no input.
	Input json.RawMessage
	// Tools is the tools array as sent (nil when absent), echoed in the response object.
	Tools json.RawMessage
	// Echo holds, as sent, the other request fields that the response object echoes
	// (temperature, top_p, tool_choice, parallel_tool_calls, max_output_tokens, reasoning, text,
	// truncation, metadata, user, service_tier, store, prompt_cache_key, …). Null fields are
	// left out.
	Echo map[string]json.RawMessage
	// Include is the include list (for example "reasoning.encrypted_content").
	Include []string
	// DroppedItems lists, once each and in order, the types of the input items left out of
	// Chat because they record a hosted tool's work (web_search_call, mcp_call, …) or a tool
	// call with no canonical form (computer_call, local_shell_call, …).
	DroppedItems []string
	// CustomTools holds the canonical names of the custom (free-form) tools: a call of one of
	// them is answered as a custom_tool_call item whose input is the call's "input" argument.
	CustomTools map[string]bool
	// NamespacedTools maps the canonical name of each tool declared inside a namespace
	// ("crm__get_customer") to its namespace and own name.
	NamespacedTools map[string]ToolName
}

// ToolName is the name of a tool declared inside a namespace tool.
type ToolName struct {
	Namespace string
	Name      string
}

// namespaceSeparator joins a namespace and a tool name into one canonical tool name; both
// parts are made of the characters every provider accepts in a tool name.
const namespaceSeparator = "__"

// flatName returns the canonical name of tool name in namespace ns ("" for none).
func flatName(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + namespaceSeparator + name
}

// Include values this package acts on.
const includeEncryptedReasoning = "reasoning.encrypted_content"

// includes reports whether the request asked for value in its include list.
func (r *Request) includes(value string) bool {
	return r != nil && slices.Contains(r.Include, value)
}

// PrependHistory puts msgs, the conversation of a previous response, before the request's
// input and after its instructions.
func (r *Request) PrependHistory(msgs []llm.Message) {
	if len(msgs) == 0 {
		return
	}
	at := 0
	if r.Instructions != "" && len(r.Chat.Messages) > 0 && r.Chat.Messages[0].Role == llm.RoleSystem {
		at = 1
	}
	r.Chat.Messages = slices.Insert(r.Chat.Messages, at, msgs...)
}

// echoFields are the request fields the response object echoes.
var echoFields = []string{
	"background", "instructions", "max_output_tokens", "max_tool_calls", "metadata",
	"parallel_tool_calls", "prompt_cache_key", "prompt_cache_retention", "reasoning",
	"safety_identifier", "service_tier", "store", "temperature", "text", "tool_choice",
	"top_logprobs", "top_p", "truncation", "user",
}

// hintFields only tune how the answer is made: an upstream that speaks the Responses API gets
// them, any other leaves them out (llm.Request.Hints).
//
// store is not among them: the gateway keeps responses itself (Request.Store). client_metadata
// is what agents such as Codex send about themselves for the provider's own records.
var hintFields = map[string]bool{
	"include": true, "truncation": true, "service_tier": true,
	"stream_options": true, "prompt_cache_retention": true, "context_management": true,
	"client_metadata": true,
}

// knownFields are the fields DecodeRequest reads; any other goes to llm.Request.Extensions.
var knownFields = map[string]bool{
	"model": true, "input": true, "instructions": true, "tools": true, "tool_choice": true,
	"parallel_tool_calls": true, "temperature": true, "top_p": true, "max_output_tokens": true,
	"reasoning": true, "text": true, "stream": true, "previous_response_id": true,
	"metadata": true, "user": true, "safety_identifier": true, "prompt_cache_key": true,
	"background": true, "top_logprobs": true, "store": true,
}

// DecodeRequest parses and validates a Responses API request body from a client. Its errors
// are *llm.Error values (400 invalid_request_error) that name the offending parameter.
func DecodeRequest(body []byte) (*Request, error) {
	fields, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	chat := &llm.Request{}
	r := &Request{Chat: chat, Store: true, Echo: map[string]json.RawMessage{}}
	for _, k := range echoFields {
		if v, ok := fields[k]; ok && !isNull(v) {
			r.Echo[k] = v
		}
	}
	for k, v := range fields {
		switch {
		case hintFields[k]:
			if !isNull(v) {
				if chat.Hints == nil {
					chat.Hints = map[string]json.RawMessage{}
				}
				chat.Hints[k] = v
			}
		case !knownFields[k]:
			if chat.Extensions == nil {
				chat.Extensions = map[string]json.RawMessage{}
			}
			chat.Extensions[k] = v
		}
	}
	if err := field(fields, "model", &chat.Model); err != nil {
		return nil, err
	}
	if chat.Model == "" {
		return nil, llm.InvalidRequest(llm.CodeMissingField, "model",
			"missing required parameter \"model\"; name a model from GET /v1/models, or \"auto\"")
	}
	if err := decodeScalars(fields, r); err != nil {
		return nil, err
	}
	if err := field(fields, "instructions", &r.Instructions); err != nil {
		return nil, err
	}
	if r.Instructions != "" {
		chat.Messages = append(chat.Messages, llm.Message{Role: llm.RoleSystem, Content: []llm.Part{llm.TextPart(r.Instructions)}})
	}
	if err := decodeInput(fields["input"], r); err != nil {
		return nil, err
	}
	if err := decodeTools(fields["tools"], r); err != nil {
		return nil, err
	}
	if err := decodeToolChoice(fields["tool_choice"], r); err != nil {
		return nil, err
	}
	if err := decodeReasoning(fields["reasoning"], r); err != nil {
		return nil, err
	}
	if err := decodeText(fields["text"], r); err != nil {
		return nil, err
	}
	if len(chat.Extensions) > 0 || len(chat.Hints) > 0 {
		chat.ExtensionsFormat = llm.FormatOpenAIResponses
	}
	return r, nil
}

// decodeScalars reads the plain top-level fields.
func decodeScalars(fields map[string]json.RawMessage, r *Request) error {
	chat := r.Chat
	var (
		store, background                 *bool
		user, safetyID                    string
		maxOutput, topLogprobs            *int
		temperature, topP                 *float64
		previous, cacheKey, cacheRetained string
	)
	for _, f := range []struct {
		name string
		dst  any
	}{
		{"stream", &chat.Stream},
		{"store", &store},
		{"background", &background},
		{"previous_response_id", &previous},
		{"parallel_tool_calls", &chat.ParallelToolCalls},
		{"temperature", &temperature},
		{"top_p", &topP},
		{"max_output_tokens", &maxOutput},
		{"top_logprobs", &topLogprobs},
		{"metadata", &chat.Metadata},
		{"user", &user},
		{"safety_identifier", &safetyID},
		{"prompt_cache_key", &cacheKey},
		{"include", &r.Include},
		{"truncation", new(string)},
		{"service_tier", new(string)},
		{"prompt_cache_retention", &cacheRetained},
	} {
		if err := field(fields, f.name, f.dst); err != nil {
			return err
		}
	}
	if v, ok := fields["stream_options"]; ok && !isNull(v) && (len(bytes.TrimSpace(v)) == 0 || bytes.TrimSpace(v)[0] != '{') {
		return llm.InvalidRequest(llm.CodeInvalidType, "stream_options", "invalid type for \"stream_options\": expected an object")
	}
	if background != nil && *background {
		return unsupported("background", "background responses are not supported by this gateway; send \"background\": false or leave it out")
	}
	if store != nil {
		r.Store = *store
	}
	r.PreviousResponseID = previous
	// Usage arrives with the last event of a Responses stream, so the upstream must send it.
	chat.IncludeUsage = chat.Stream
	chat.Temperature, chat.TopP = temperature, topP
	for _, c := range []struct {
		name     string
		v        *float64
		min, max float64
	}{{"temperature", temperature, 0, 2}, {"top_p", topP, 0, 1}} {
		if c.v != nil && (math.IsNaN(*c.v) || *c.v < c.min || *c.v > c.max) {
			return llm.InvalidRequest(llm.CodeInvalidValue, c.name, "%q must be between %g and %g", c.name, c.min, c.max)
		}
	}
	if maxOutput != nil && *maxOutput < 1 {
		return llm.InvalidRequest(llm.CodeInvalidValue, "max_output_tokens", "\"max_output_tokens\" must be at least 1")
	}
	chat.MaxTokens = maxOutput
	if topLogprobs != nil {
		if *topLogprobs < 0 || *topLogprobs > 20 {
			return llm.InvalidRequest(llm.CodeInvalidValue, "top_logprobs", "\"top_logprobs\" must be between 0 and 20")
		}
		chat.TopLogprobs = topLogprobs
	}
	if slices.Contains(r.Include, "message.output_text.logprobs") {
		chat.Logprobs = new(bool)
		*chat.Logprobs = true
	}
	chat.User = user
	if chat.User == "" {
		chat.User = safetyID
	}
	chat.CacheKey = cacheKey
	return nil
}

// decodeInput reads the input: a string (one user message) or an array of items.
func decodeInput(raw json.RawMessage, r *Request) error {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || isNull(raw):
		if r.PreviousResponseID == "" {
			return llm.InvalidRequest(llm.CodeMissingField, "input",
				"missing required parameter \"input\"; send a string or an array of input items (it may be left out only with \"previous_response_id\")")
		}
		r.Input = json.RawMessage("[]")
		return nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return llm.InvalidRequest(llm.CodeInvalidValue, "input", "\"input\" is not a valid JSON string")
		}
		r.Input, _ = marshal([]any{map[string]any{"type": itemMessage, "role": llm.RoleUser,
			"content": []any{map[string]string{"type": "input_text", "text": s}}}})
		r.Chat.Messages = append(r.Chat.Messages, llm.Message{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart(s)}})
		return nil
	case raw[0] == '[':
		msgs, dropped, err := decodeItems(raw, "input")
		if err != nil {
			return err
		}
		if len(msgs) == 0 && r.PreviousResponseID == "" && len(dropped) == 0 {
			return llm.InvalidRequest(llm.CodeMissingField, "input", "\"input\" is empty; send at least one input item")
		}
		r.Input = raw
		r.Chat.Messages = append(r.Chat.Messages, msgs...)
		r.DroppedItems = dropped
		return nil
	}
	return llm.InvalidRequest(llm.CodeInvalidType, "input", "\"input\" must be a string or an array of input items")
}

// ItemsToMessages turns an array of Responses items (the stored input and output items of an
// earlier response) into canonical messages, as DecodeRequest does for a request's input.
// Items that record a hosted tool's work are left out.
func ItemsToMessages(items json.RawMessage) ([]llm.Message, error) {
	msgs, _, err := decodeItems(items, "input")
	return msgs, err
}

// decodeReasoning reads reasoning: its effort is canonical; the whole object is kept as a
// hint when it asks for more (a summary).
func decodeReasoning(raw json.RawMessage, r *Request) error {
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	var w struct {
		Effort          *string `json:"effort"`
		Summary         *string `json:"summary"`
		GenerateSummary *string `json:"generate_summary"`
	}
	if err := decodeField("reasoning", raw, &w); err != nil {
		return err
	}
	if w.Effort != nil {
		r.Chat.ReasoningEffort = *w.Effort
	}
	if w.Summary != nil || w.GenerateSummary != nil {
		r.hint("reasoning", raw)
	}
	return nil
}

// decodeText reads text: its format is canonical; the whole object is kept as a hint when it
// sets a verbosity.
func decodeText(raw json.RawMessage, r *Request) error {
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	var w struct {
		Format *struct {
			Type        string          `json:"type"`
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Schema      json.RawMessage `json:"schema"`
			Strict      *bool           `json:"strict"`
		} `json:"format"`
		Verbosity *string `json:"verbosity"`
	}
	if err := decodeField("text", raw, &w); err != nil {
		return err
	}
	if w.Verbosity != nil {
		r.hint("text", raw)
	}
	f := w.Format
	if f == nil {
		return nil
	}
	switch f.Type {
	case llm.ResponseText, llm.ResponseJSONObject:
		r.Chat.ResponseFormat = &llm.ResponseFormat{Type: f.Type}
	case llm.ResponseJSONSchema:
		if f.Name == "" {
			return llm.InvalidRequest(llm.CodeMissingField, "text.format.name",
				"missing required parameter \"text.format.name\": a format of type \"json_schema\" needs a name")
		}
		if len(f.Schema) == 0 || isNull(f.Schema) {
			return llm.InvalidRequest(llm.CodeMissingField, "text.format.schema",
				"missing required parameter \"text.format.schema\": a format of type \"json_schema\" needs a schema")
		}
		r.Chat.ResponseFormat = &llm.ResponseFormat{Type: f.Type, Name: f.Name, Description: f.Description,
			Schema: f.Schema, Strict: f.Strict}
	case "":
		return llm.InvalidRequest(llm.CodeMissingField, "text.format.type", "missing required parameter \"text.format.type\"")
	default:
		return llm.InvalidRequest(llm.CodeInvalidValue, "text.format.type",
			"\"text.format.type\" is %q; expected one of \"text\", \"json_object\", \"json_schema\"", f.Type)
	}
	return nil
}

func (r *Request) hint(k string, v json.RawMessage) {
	if r.Chat.Hints == nil {
		r.Chat.Hints = map[string]json.RawMessage{}
	}
	r.Chat.Hints[k] = v
}

// unsupported returns the 400 for a feature of the Responses API that the gateway cannot
// provide, whatever the model.
func unsupported(param, why string) *llm.Error {
	return &llm.Error{Status: http.StatusBadRequest, Type: llm.TypeInvalidRequest, Code: llm.CodeUnsupportedParameter,
		Param: param, Message: fmt.Sprintf("parameter %q is not supported: %s", param, why)}
}

// field unmarshals the top-level field name into dst unless it is absent or null.
func field(fields map[string]json.RawMessage, name string, dst any) error {
	v, ok := fields[name]
	if !ok || isNull(v) {
		return nil
	}
	return decodeField(name, v, dst)
}

func isNull(v json.RawMessage) bool { return string(bytes.TrimSpace(v)) == "null" }

// marshal encodes v as JSON without escaping <, > and & (as OpenAI sends them).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte{'\n'}), nil
}

// decodeObject and decodeField are the Chat Completions decoder's: the same errors for the same
// mistakes in both OpenAI formats.
func decodeObject(body []byte) (map[string]json.RawMessage, error) {
	return openaiwire.DecodeObject(body)
}

func decodeField(param string, raw json.RawMessage, dst any) error {
	return openaiwire.DecodeField(param, raw, dst)
}
