// Package llm holds Sovereign's one internal model of a request to a language model: the
// canonical Request, Response, streamed Chunk and Usage that every stage of the gateway works on.
//
// Only the ingress packages (internal/api/...) and the provider adapters (internal/provider/...)
// know vendor wire formats; they translate to and from these types. The vocabulary for roles and
// finish reasons follows OpenAI's Chat Completions, since it is the most widely spoken one.
//
// A Chunk or Response may also carry the upstream's own bytes (Raw) when they are already in a
// wire format a client speaks. An egress encoder for that same format may then relay the bytes
// untouched instead of re-encoding them, which keeps streaming cheap; any stage that changes a
// chunk must call Decode first and then Touch, which drops the raw bytes.
package llm

import (
	"encoding/json"
)

// Format names a wire format, used to tag raw bytes and to say which ingress a request came from.
type Format string

// Wire formats known to the gateway.
const (
	FormatOpenAIChat      Format = "openai.chat"
	FormatOpenAIResponses Format = "openai.responses"
	FormatAnthropic       Format = "anthropic.messages"
	FormatGemini          Format = "gemini"
	FormatOllama          Format = "ollama"
)

// Roles of a message.
const (
	RoleSystem    = "system"
	RoleDeveloper = "developer"
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleTool      = "tool"
	RoleFunction  = "function"
)

// Finish reasons.
const (
	FinishStop          = "stop"
	FinishLength        = "length"
	FinishToolCalls     = "tool_calls"
	FinishContentFilter = "content_filter"
	FinishFunctionCall  = "function_call"
	// FinishPause is Anthropic's pause_turn: a long-running hosted tool paused the turn, and
	// the caller may send the answer back to let the model continue.
	FinishPause = "pause_turn"
)

// Request is a chat request in canonical form.
type Request struct {
	// Model is the model name as the caller wrote it; the gateway resolves it to a provider.
	Model    string
	Messages []Message

	Tools             []Tool
	ToolChoice        *ToolChoice
	ParallelToolCalls *bool
	ResponseFormat    *ResponseFormat

	Temperature *float64
	TopP        *float64
	MaxTokens   *int // an upper bound on generated tokens; nil means the provider's default
	// MaxTokensNewName records that the caller used OpenAI's newer name max_completion_tokens,
	// which some OpenAI models require and some older engines do not know.
	MaxTokensNewName bool
	Stop             []string
	Seed             *int64
	N                *int
	PresencePenalty  *float64
	FrequencyPenalty *float64
	Logprobs         *bool
	TopLogprobs      *int
	ReasoningEffort  string
	// TopK samples from the K most likely tokens (Anthropic, Gemini, Ollama); nil means unset.
	TopK *int
	// Thinking asks for extended thinking with a token budget (Anthropic's thinking, Gemini's
	// thinkingConfig). Targets without an equivalent drop it and list it (see Drop).
	Thinking *Thinking
	// CacheKey is a prompt-cache routing hint (OpenAI's prompt_cache_key); safe to drop.
	CacheKey string

	Stream       bool
	IncludeUsage bool // the caller asked for a usage chunk at the end of a stream

	User     string
	Metadata map[string]string

	// Extensions holds top-level request fields that have no canonical equivalent, as raw JSON
	// in the ingress format ExtensionsFormat. An adapter for the same wire format may forward
	// them; any other adapter must refuse them with an unsupported-parameter error.
	Extensions       map[string]json.RawMessage
	ExtensionsFormat Format
	// Hints holds top-level fields in ExtensionsFormat that only tune how the answer is made
	// (Anthropic's context_management, OpenAI Responses' include): an adapter for the same wire
	// format forwards them; any other drops them and records that with Drop.
	Hints map[string]json.RawMessage

	// Dropped lists, in order, the features the adapter that answered had to leave out because
	// its target has no equivalent and leaving them out does not change what the answer means.
	// The ingress reports them in the x-sovereign-dropped header.
	Dropped []string
}

// Drop records that feature was left out of the request sent upstream. Adapters call it; a
// feature is listed once.
func (r *Request) Drop(feature string) {
	for _, f := range r.Dropped {
		if f == feature {
			return
		}
	}
	r.Dropped = append(r.Dropped, feature)
}

// Thinking modes.
const (
	ThinkingEnabled  = "enabled"
	ThinkingDisabled = "disabled"
	ThinkingAdaptive = "adaptive"
)

// Thinking configures extended thinking.
type Thinking struct {
	Type         string // ThinkingEnabled, ThinkingDisabled or ThinkingAdaptive
	BudgetTokens int    // zero: the target's default
}

// Message is one turn of a conversation.
type Message struct {
	Role    string
	Content []Part
	// ContentNull records that the caller sent content as null (an assistant turn that only
	// holds tool calls); encoders may keep that form.
	ContentNull bool
	Name        string
	ToolCalls   []ToolCall
	ToolCallID  string
	Refusal     string
	// Reasoning is the model's visible reasoning as plain text (reasoning_content, Ollama's
	// thinking, Anthropic's thinking blocks joined). Thinking keeps Anthropic's blocks with
	// their signatures, which Anthropic needs back unchanged in later turns; encoders for
	// formats without signatures use Reasoning alone.
	Reasoning string
	Thinking  []ThinkingBlock
	// ToolError marks a tool result (Role tool) that reports a failure (Anthropic's is_error).
	ToolError bool
	// CacheControl is a prompt-cache breakpoint on the message's last block (Anthropic's
	// cache_control, raw JSON), kept for Anthropic and dropped elsewhere.
	CacheControl json.RawMessage
}

// ThinkingBlock is one block of a model's extended thinking.
type ThinkingBlock struct {
	Text      string
	Signature string
	// Redacted holds an encrypted block's opaque data; Text is then empty.
	Redacted string
	// Format is the wire format of the provider that signed or encrypted the block; "" when
	// unknown. A provider checks signatures of its own only: encoders send a signed block back
	// only to its own format (a block from another is unsigned reasoning there).
	Format Format
}

// Text returns the message's text parts joined together.
func (m *Message) Text() string {
	if len(m.Content) == 1 && m.Content[0].Type == PartText {
		return m.Content[0].Text
	}
	var n int
	for _, p := range m.Content {
		n += len(p.Text)
	}
	b := make([]byte, 0, n)
	for _, p := range m.Content {
		if p.Type == PartText {
			b = append(b, p.Text...)
		}
	}
	return string(b)
}

// Part types.
const (
	PartText  = "text"
	PartImage = "image"
	// PartDocument is a file given to the model: a PDF or plain text, inline (Data, base64)
	// or by URL.
	PartDocument = "document"
	// PartOther is a content part with no canonical form; Raw holds it in the ingress format.
	PartOther = "other"
)

// Part is one piece of a message's content.
type Part struct {
	Type string
	Text string
	// ImageURL is an http(s) URL or a data: URL with base64 content.
	ImageURL string
	// ImageDetail is OpenAI's detail hint: "", "auto", "low" or "high".
	ImageDetail string
	// MediaType, Data (base64), URL, Title and Filename describe a document part; a plain-text
	// document has its text in Text and MediaType "text/plain".
	MediaType string
	Data      string
	URL       string
	Title     string
	Filename  string
	// CacheControl is Anthropic's prompt-cache breakpoint on this block, as raw JSON.
	CacheControl json.RawMessage
	// Raw keeps a part of type PartOther, in RawFormat.
	Raw       json.RawMessage
	RawFormat Format
	// RawType is the part's type as the caller named it, for error messages.
	RawType string
}

// TextPart returns a text part.
func TextPart(s string) Part { return Part{Type: PartText, Text: s} }

// Tool is a function the model may call, or a tool the provider hosts (Hosted set).
type Tool struct {
	Name        string
	Description string
	// Parameters is the JSON schema of the arguments, kept as raw JSON.
	Parameters json.RawMessage
	Strict     *bool
	// CacheControl is Anthropic's prompt-cache breakpoint on the tool, as raw JSON.
	CacheControl json.RawMessage
	// Hosted is the type of a tool the provider runs itself (web_search, code execution…), as
	// named in RawFormat; Raw is its definition. Only an adapter for that format can send it;
	// others drop it and record the drop.
	Hosted    string
	Raw       json.RawMessage
	RawFormat Format
}

// Tool choice modes.
const (
	ToolChoiceAuto     = "auto"
	ToolChoiceNone     = "none"
	ToolChoiceRequired = "required"
	ToolChoiceFunction = "function" // call the function named in ToolChoice.Name
)

// ToolChoice says whether and which tool the model must call.
type ToolChoice struct {
	Mode string
	Name string
}

// ToolCall is a call the model made.
type ToolCall struct {
	ID   string
	Name string
	// Arguments is the JSON text of the arguments, exactly as the model produced it.
	Arguments string
	// Signature is an opaque token the provider attached to the call and needs back with it in
	// later turns (Gemini's thoughtSignature).
	Signature string
}

// Response format types.
const (
	ResponseText       = "text"
	ResponseJSONObject = "json_object"
	ResponseJSONSchema = "json_schema"
)

// ResponseFormat constrains the shape of the answer.
type ResponseFormat struct {
	Type        string
	Name        string
	Description string
	Schema      json.RawMessage
	Strict      *bool
}

// Usage counts tokens. Zero means "not reported" only where the matching flag says so.
type Usage struct {
	InputTokens       int
	OutputTokens      int
	TotalTokens       int
	CachedInputTokens int
	CacheWriteTokens  int
	ReasoningTokens   int
}

// Response is a complete (non-streamed) answer.
type Response struct {
	ID                string
	Model             string
	Created           int64
	Choices           []Choice
	Usage             *Usage
	SystemFingerprint string
	ServiceTier       string

	// Raw holds the upstream body in RawFormat, valid for relaying as long as nothing changed it.
	Raw       []byte
	RawFormat Format
}

// Choice is one of the answers in a response.
type Choice struct {
	Index        int
	Message      Message
	FinishReason string
	// StopSequence is the stop sequence that ended the answer, when the provider says which.
	StopSequence string
	// Logprobs is passed through as raw JSON in the upstream's format (OpenAI's shape).
	Logprobs json.RawMessage
}

// Chunk is one event of a streamed answer.
type Chunk struct {
	ID                string
	Model             string
	Created           int64
	Choices           []ChunkChoice
	Usage             *Usage
	SystemFingerprint string
	ServiceTier       string

	// Raw holds the upstream event payload in RawFormat while the chunk is unchanged. When
	// Decoded is false, only Raw is valid and Decode must be called before reading fields.
	Raw       []byte
	RawFormat Format
	Decoded   bool
	decode    func(*Chunk) error
}

// ChunkChoice is the delta of one choice.
type ChunkChoice struct {
	Index        int
	Delta        Delta
	FinishReason string
	StopSequence string
	Logprobs     json.RawMessage
}

// Delta is what a chunk adds to a message.
type Delta struct {
	Role      string
	Content   string
	Reasoning string
	// ReasoningSignature ends a thinking block with its signature (Anthropic); a following
	// Reasoning delta starts a new block.
	ReasoningSignature string
	// RedactedThinking is an encrypted thinking block, whole.
	RedactedThinking string
	Refusal          string
	ToolCalls        []ToolCallDelta
}

// ToolCallDelta is a piece of a streamed tool call; ID and Name come in its first piece.
type ToolCallDelta struct {
	Index     int
	ID        string
	Name      string
	Arguments string
	Signature string
}

// NewRawChunk returns a chunk that holds only raw bytes, to be decoded on demand by decode.
func NewRawChunk(raw []byte, format Format, decode func(*Chunk) error) *Chunk {
	return &Chunk{Raw: raw, RawFormat: format, decode: decode}
}

// Decode fills the chunk's fields from its raw bytes if that has not happened yet.
func (c *Chunk) Decode() error {
	if c.Decoded || c.decode == nil {
		c.Decoded = true
		return nil
	}
	if err := c.decode(c); err != nil {
		return err
	}
	c.Decoded = true
	return nil
}

// Touch marks the chunk as changed by a stage: its raw bytes no longer match and are dropped.
// Call Decode before changing fields.
func (c *Chunk) Touch() {
	c.Raw = nil
	c.RawFormat = ""
}

// Stream is a streamed answer. Recv returns io.EOF after the last chunk. Close releases the
// upstream connection and may be called at any time, also before the end.
type Stream interface {
	Recv() (*Chunk, error)
	Close() error
}

// EmbedRequest asks for embeddings of one or more inputs.
type EmbedRequest struct {
	Model string
	// Input holds text inputs; Tokens holds inputs already tokenized. Exactly one is set.
	Input      []string
	Tokens     [][]int
	Dimensions *int
	// EncodingFormat is the caller's wanted vector encoding: "float" (default) or "base64".
	EncodingFormat string
	User           string

	Extensions       map[string]json.RawMessage
	ExtensionsFormat Format
}

// EmbedResponse holds one vector per input, in input order.
type EmbedResponse struct {
	Model   string
	Vectors [][]float32
	Usage   *Usage

	Raw       []byte
	RawFormat Format
}
