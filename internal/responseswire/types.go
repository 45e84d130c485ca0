// Package responseswire is OpenAI's Responses API wire format (POST /v1/responses): the JSON of
// its requests, response objects and stream events, and their translation to and from the
// canonical llm types. The gateway's Responses ingress decodes a client's request with
// DecodeRequest, answers with EncodeResponse or a StreamEncoder, and keeps the items of each
// answer (OutputItems) so that a later request may continue it with previous_response_id
// (ItemsToMessages). Errors use the same JSON as Chat Completions (openaiwire.EncodeError).
//
// The mapping to the canonical model:
//
//   - instructions becomes a leading system message; input items become messages. Assistant-side
//     items that follow each other (reasoning, an assistant message, function calls) make one
//     assistant message; function_call_output items become tool messages.
//   - reasoning items give Message.Reasoning (their summaries joined) and keep their
//     encrypted_content in Message.Thinking as Redacted blocks. Signed thinking blocks
//     (Anthropic's) go out in encrypted_content too, sealed so that they come back whole
//     (see thinkingEnvelope).
//   - function tools are canonical tools; custom (free-form) tools become tools that take one
//     string argument "input", and their calls are sent back as custom_tool_call items; the
//     function and custom tools of a namespace are flattened to "namespace__name". Hosted tools
//     (web_search, file_search, mcp, …) are kept raw for an upstream that speaks this format.
//   - fields that only tune the answer (include, truncation, service_tier, store, …) go to
//     Request.Hints; fields with no canonical equivalent go to Request.Extensions.
//
// Reference: https://platform.openai.com/docs/api-reference/responses
package responseswire

import "encoding/json"

// Item types of the input and output arrays.
const (
	itemMessage              = "message"
	itemFunctionCall         = "function_call"
	itemFunctionCallOutput   = "function_call_output"
	itemCustomToolCall       = "custom_tool_call"
	itemCustomToolCallOutput = "custom_tool_call_output"
	itemReasoning            = "reasoning"
	itemReference            = "item_reference"
)

// droppedItemTypes are the input items that record what a hosted tool (or a tool with no
// canonical form, such as computer use or the local shell) did. They are left out of the
// canonical conversation and listed in Request.DroppedItems.
var droppedItemTypes = map[string]bool{
	"web_search_call": true, "file_search_call": true, "code_interpreter_call": true,
	"image_generation_call": true, "computer_call": true, "computer_call_output": true,
	"local_shell_call": true, "local_shell_call_output": true, "shell_call": true,
	"shell_call_output": true, "apply_patch_call": true, "apply_patch_call_output": true,
	"mcp_list_tools": true, "mcp_approval_request": true, "mcp_approval_response": true,
	"mcp_call": true, "tool_search_call": true, "tool_search_output": true, "compaction": true,
	"compaction_trigger": true, "additional_tools": true, "configuration_update": true,
	"program": true, "program_output": true,
}

// inputItem holds the members of every input item type this package reads.
type inputItem struct {
	Type             string          `json:"type"`
	Role             string          `json:"role"`
	Content          json.RawMessage `json:"content"`
	CallID           string          `json:"call_id"`
	Name             string          `json:"name"`
	Namespace        string          `json:"namespace"`
	Arguments        *string         `json:"arguments"`
	Input            *string         `json:"input"`
	Output           json.RawMessage `json:"output"`
	Summary          []summaryPart   `json:"summary"`
	EncryptedContent *string         `json:"encrypted_content"`
}

// inputPart holds the members of every content part type this package reads.
type inputPart struct {
	Type     string  `json:"type"`
	Text     *string `json:"text"`
	Refusal  *string `json:"refusal"`
	ImageURL *string `json:"image_url"`
	FileID   *string `json:"file_id"`
	Detail   string  `json:"detail"`
	FileData *string `json:"file_data"`
	FileURL  *string `json:"file_url"`
	Filename string  `json:"filename"`
}

// summaryPart is a reasoning item's summary part ("summary_text"), and the part of the
// reasoning summary stream events.
type summaryPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// reasoningContent is a part of a reasoning item's raw content ("reasoning_text").
type reasoningContent struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Output items, with their members in the order OpenAI sends them.

type reasoningItem struct {
	ID               string        `json:"id"`
	Type             string        `json:"type"`
	EncryptedContent *string       `json:"encrypted_content,omitempty"`
	Summary          []summaryPart `json:"summary"`
}

type messageItem struct {
	ID      string            `json:"id"`
	Type    string            `json:"type"`
	Status  string            `json:"status"`
	Content []json.RawMessage `json:"content"`
	Role    string            `json:"role"`
}

type outputText struct {
	Type        string            `json:"type"`
	Annotations []json.RawMessage `json:"annotations"`
	Logprobs    json.RawMessage   `json:"logprobs"`
	Text        string            `json:"text"`
}

type refusalPart struct {
	Type    string `json:"type"`
	Refusal string `json:"refusal"`
}

type functionCallItem struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Status    string `json:"status"`
	Arguments string `json:"arguments"`
	CallID    string `json:"call_id"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

type customToolCallItem struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Status    string `json:"status"`
	CallID    string `json:"call_id"`
	Input     string `json:"input"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// responseObject is the Response object, its members in the order OpenAI sends them. The
// members a request sets are echoed as the client sent them (raw JSON).
type responseObject struct {
	ID                   string             `json:"id"`
	Object               string             `json:"object"`
	CreatedAt            int64              `json:"created_at"`
	Status               string             `json:"status"`
	Background           json.RawMessage    `json:"background"`
	Error                *responseError     `json:"error"`
	IncompleteDetails    *incompleteDetails `json:"incomplete_details"`
	Instructions         json.RawMessage    `json:"instructions"`
	MaxOutputTokens      json.RawMessage    `json:"max_output_tokens"`
	MaxToolCalls         json.RawMessage    `json:"max_tool_calls"`
	Model                string             `json:"model"`
	Output               []json.RawMessage  `json:"output"`
	ParallelToolCalls    json.RawMessage    `json:"parallel_tool_calls"`
	PreviousResponseID   *string            `json:"previous_response_id"`
	PromptCacheKey       json.RawMessage    `json:"prompt_cache_key"`
	PromptCacheRetention json.RawMessage    `json:"prompt_cache_retention"`
	Reasoning            json.RawMessage    `json:"reasoning"`
	SafetyIdentifier     json.RawMessage    `json:"safety_identifier"`
	ServiceTier          json.RawMessage    `json:"service_tier"`
	Store                json.RawMessage    `json:"store"`
	Temperature          json.RawMessage    `json:"temperature"`
	Text                 json.RawMessage    `json:"text"`
	ToolChoice           json.RawMessage    `json:"tool_choice"`
	Tools                json.RawMessage    `json:"tools"`
	TopLogprobs          json.RawMessage    `json:"top_logprobs"`
	TopP                 json.RawMessage    `json:"top_p"`
	Truncation           json.RawMessage    `json:"truncation"`
	Usage                *usage             `json:"usage"`
	User                 json.RawMessage    `json:"user"`
	Metadata             json.RawMessage    `json:"metadata"`
}

// responseError is the error member of a failed response.
type responseError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type incompleteDetails struct {
	Reason string `json:"reason"`
}

type usage struct {
	InputTokens         int                 `json:"input_tokens"`
	InputTokensDetails  inputTokensDetails  `json:"input_tokens_details"`
	OutputTokens        int                 `json:"output_tokens"`
	OutputTokensDetails outputTokensDetails `json:"output_tokens_details"`
	TotalTokens         int                 `json:"total_tokens"`
}

type inputTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

type outputTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// event is a stream event. Its members are those of every event type, in the order OpenAI
// sends them; each event type sets its own.
type event struct {
	Type           string          `json:"type"`
	SequenceNumber int             `json:"sequence_number"`
	ItemID         string          `json:"item_id,omitempty"`
	OutputIndex    *int            `json:"output_index,omitempty"`
	ContentIndex   *int            `json:"content_index,omitempty"`
	SummaryIndex   *int            `json:"summary_index,omitempty"`
	Item           json.RawMessage `json:"item,omitempty"`
	Part           json.RawMessage `json:"part,omitempty"`
	Delta          *string         `json:"delta,omitempty"`
	Text           *string         `json:"text,omitempty"`
	Refusal        *string         `json:"refusal,omitempty"`
	Arguments      *string         `json:"arguments,omitempty"`
	Input          *string         `json:"input,omitempty"`
	Logprobs       json.RawMessage `json:"logprobs,omitempty"`
	Response       json.RawMessage `json:"response,omitempty"`
}

// errorEvent is the "error" stream event. It carries the error both ways OpenAI's clients
// read it: code, message and param at the top (the documented ResponseErrorEvent), and an
// "error" object, which makes the official SDKs (openai-go, openai-python) end the stream
// with an error.
type errorEvent struct {
	Type           string      `json:"type"`
	SequenceNumber int         `json:"sequence_number"`
	Code           *string     `json:"code"`
	Message        string      `json:"message"`
	Param          *string     `json:"param"`
	Error          errorDetail `json:"error"`
}

type errorDetail struct {
	Type    string  `json:"type"`
	Code    *string `json:"code"`
	Message string  `json:"message"`
	Param   *string `json:"param"`
}
