package gemini

import (
	"encoding/json"
	"strconv"
)

// The Gemini API's JSON, as far as the adapter reads or writes it. Field names follow the
// v1beta REST reference (https://ai.google.dev/api/generate-content); the server also accepts
// snake_case, but sends and is sent camelCase here.

// generateRequest is the body of models/{model}:generateContent and :streamGenerateContent.
type generateRequest struct {
	Contents          []content         `json:"contents"`
	SystemInstruction *content          `json:"systemInstruction,omitempty"`
	Tools             []tool            `json:"tools,omitempty"`
	ToolConfig        *toolConfig       `json:"toolConfig,omitempty"`
	GenerationConfig  *generationConfig `json:"generationConfig,omitempty"`
}

type content struct {
	Role  string `json:"role,omitempty"`
	Parts []part `json:"parts"`
}

// part is one piece of a content. Exactly one of its data fields is set; Thought and
// ThoughtSignature qualify it.
type part struct {
	Text             *string           `json:"text,omitempty"`
	InlineData       *blob             `json:"inlineData,omitempty"`
	FileData         *fileData         `json:"fileData,omitempty"`
	FunctionCall     *functionCall     `json:"functionCall,omitempty"`
	FunctionResponse *functionResponse `json:"functionResponse,omitempty"`
	Thought          bool              `json:"thought,omitempty"`
	ThoughtSignature string            `json:"thoughtSignature,omitempty"`
}

type blob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"` // base64
}

type fileData struct {
	MimeType string `json:"mimeType,omitempty"`
	FileURI  string `json:"fileUri"`
}

type functionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type functionResponse struct {
	ID       string                 `json:"id,omitempty"`
	Name     string                 `json:"name"`
	Response json.RawMessage        `json:"response"`
	Parts    []functionResponsePart `json:"parts,omitempty"`
}

// functionResponsePart is media returned by a function (Gemini 3 models read it).
type functionResponsePart struct {
	InlineData *blob     `json:"inlineData,omitempty"`
	FileData   *fileData `json:"fileData,omitempty"`
}

type tool struct {
	FunctionDeclarations []functionDeclaration `json:"functionDeclarations,omitempty"`
}

type functionDeclaration struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// ParametersJSONSchema takes full JSON Schema; "parameters" takes only an OpenAPI
	// subset, so it is never used.
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
}

type toolConfig struct {
	FunctionCallingConfig *functionCallingConfig `json:"functionCallingConfig,omitempty"`
}

type functionCallingConfig struct {
	Mode                 string   `json:"mode,omitempty"` // AUTO, ANY, NONE
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
}

type generationConfig struct {
	StopSequences      []string        `json:"stopSequences,omitempty"`
	ResponseMimeType   string          `json:"responseMimeType,omitempty"`
	ResponseJSONSchema json.RawMessage `json:"responseJsonSchema,omitempty"`
	CandidateCount     *int            `json:"candidateCount,omitempty"`
	MaxOutputTokens    *int            `json:"maxOutputTokens,omitempty"`
	Temperature        *float64        `json:"temperature,omitempty"`
	TopP               *float64        `json:"topP,omitempty"`
	TopK               *int            `json:"topK,omitempty"`
	Seed               *int64          `json:"seed,omitempty"`
	PresencePenalty    *float64        `json:"presencePenalty,omitempty"`
	FrequencyPenalty   *float64        `json:"frequencyPenalty,omitempty"`
	ResponseLogprobs   bool            `json:"responseLogprobs,omitempty"`
	Logprobs           *int            `json:"logprobs,omitempty"`
	ThinkingConfig     *thinkingConfig `json:"thinkingConfig,omitempty"`
}

type thinkingConfig struct {
	IncludeThoughts bool `json:"includeThoughts,omitempty"`
	// ThinkingBudget: 0 turns thinking off, -1 lets the model choose.
	ThinkingBudget *int `json:"thinkingBudget,omitempty"`
}

// generateResponse is a GenerateContentResponse: a whole answer, or one event of a stream.
type generateResponse struct {
	Candidates     []candidate     `json:"candidates"`
	PromptFeedback *promptFeedback `json:"promptFeedback"`
	UsageMetadata  *usageMetadata  `json:"usageMetadata"`
	ModelVersion   string          `json:"modelVersion"`
	ResponseID     string          `json:"responseId"`
	// Error is set instead when a stream fails after it began.
	Error json.RawMessage `json:"error"`
}

type candidate struct {
	Content        *responseContent `json:"content"`
	FinishReason   enum             `json:"finishReason"`
	FinishMessage  string           `json:"finishMessage"`
	Index          int              `json:"index"`
	LogprobsResult *logprobsResult  `json:"logprobsResult"`
}

type responseContent struct {
	Role  string         `json:"role"`
	Parts []responsePart `json:"parts"`
}

type responsePart struct {
	Text             *string       `json:"text"`
	Thought          bool          `json:"thought"`
	ThoughtSignature string        `json:"thoughtSignature"`
	FunctionCall     *functionCall `json:"functionCall"`
	InlineData       *blob         `json:"inlineData"`
}

type promptFeedback struct {
	BlockReason        enum   `json:"blockReason"`
	BlockReasonMessage string `json:"blockReasonMessage"`
}

type usageMetadata struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CachedContentTokenCount int `json:"cachedContentTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount"`
	ToolUsePromptTokenCount int `json:"toolUsePromptTokenCount"`
	TotalTokenCount         int `json:"totalTokenCount"`
}

type logprobsResult struct {
	TopCandidates    []topCandidates     `json:"topCandidates"`
	ChosenCandidates []logprobsCandidate `json:"chosenCandidates"`
}

type topCandidates struct {
	Candidates []logprobsCandidate `json:"candidates"`
}

type logprobsCandidate struct {
	Token          string  `json:"token"`
	LogProbability float64 `json:"logProbability"`
}

// errorBody is the API's error answer: {"error":{"code","message","status","details"}}.
type errorBody struct {
	Error *struct {
		Code    int           `json:"code"`
		Message string        `json:"message"`
		Status  string        `json:"status"`
		Details []errorDetail `json:"details"`
	} `json:"error"`
}

type errorDetail struct {
	Type       string `json:"@type"`
	Reason     string `json:"reason"`     // google.rpc.ErrorInfo
	RetryDelay string `json:"retryDelay"` // google.rpc.RetryInfo, a Duration such as "37s"
}

// modelList is the answer of GET models.
type modelList struct {
	Models []struct {
		Name                       string   `json:"name"`
		InputTokenLimit            int      `json:"inputTokenLimit"`
		SupportedGenerationMethods []string `json:"supportedGenerationMethods"`
		Thinking                   bool     `json:"thinking"`
	} `json:"models"`
	NextPageToken string `json:"nextPageToken"`
}

type embedRequest struct {
	Model                string  `json:"model"`
	Content              content `json:"content"`
	OutputDimensionality *int    `json:"outputDimensionality,omitempty"`
}

type batchEmbedRequest struct {
	Requests []embedRequest `json:"requests"`
}

type batchEmbedResponse struct {
	Embeddings []struct {
		Values []float32 `json:"values"`
	} `json:"embeddings"`
}

// enum is a protobuf enum as JSON: its name, or its number when the caller asked for
// enum-encoding=int (as some clients do, and as recorded traffic shows).
type enum string

func (e *enum) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*e = enum(s)
		return nil
	}
	if string(b) == "null" {
		*e = ""
		return nil
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return err
	}
	*e = enum(strconv.Itoa(n))
	return nil
}

// finishReasonNames are the numbers of google.ai.generativelanguage.v1beta.Candidate.FinishReason.
var finishReasonNames = map[enum]enum{
	"0": "FINISH_REASON_UNSPECIFIED", "1": "STOP", "2": "MAX_TOKENS", "3": "SAFETY", "4": "RECITATION",
	"5": "OTHER", "6": "LANGUAGE", "7": "BLOCKLIST", "8": "PROHIBITED_CONTENT", "9": "SPII",
	"10": "MALFORMED_FUNCTION_CALL", "11": "IMAGE_SAFETY", "12": "UNEXPECTED_TOOL_CALL",
}

// name returns the enum's name, translating a number through names.
func (e enum) name(names map[enum]enum) enum {
	if n, ok := names[e]; ok {
		return n
	}
	return e
}
