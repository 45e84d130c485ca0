package ollama

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// chatRequest is the body of POST /api/chat.
type chatRequest struct {
	Model     string          `json:"model"`
	Messages  []message       `json:"messages"`
	Tools     []tool          `json:"tools,omitempty"`
	Format    json.RawMessage `json:"format,omitempty"`
	Options   *options        `json:"options,omitempty"`
	Stream    bool            `json:"stream"`
	Think     *bool           `json:"think,omitempty"`
	KeepAlive json.RawMessage `json:"keep_alive,omitempty"`
	// Truncate false asks Ollama (0.12 and later) to fail instead of dropping the start of a
	// prompt that does not fit num_ctx; older versions ignore the field.
	Truncate *bool `json:"truncate,omitempty"`
}

type message struct {
	Role      string     `json:"role"`
	Content   string     `json:"content"`
	Thinking  string     `json:"thinking,omitempty"`
	Images    []string   `json:"images,omitempty"`
	ToolCalls []toolCall `json:"tool_calls,omitempty"`
	ToolName  string     `json:"tool_name,omitempty"`
}

type toolCall struct {
	Function toolCallFunction `json:"function"`
}

type toolCallFunction struct {
	Name string `json:"name"`
	// Arguments is a JSON object in both directions; Ollama does not take them as text.
	Arguments json.RawMessage `json:"arguments"`
}

type tool struct {
	Type     string       `json:"type"`
	Function toolFunction `json:"function"`
}

type toolFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
}

type options struct {
	NumCtx           int      `json:"num_ctx,omitempty"`
	NumPredict       *int     `json:"num_predict,omitempty"`
	Temperature      *float64 `json:"temperature,omitempty"`
	TopP             *float64 `json:"top_p,omitempty"`
	TopK             *int     `json:"top_k,omitempty"`
	Stop             []string `json:"stop,omitempty"`
	Seed             *int64   `json:"seed,omitempty"`
	PresencePenalty  *float64 `json:"presence_penalty,omitempty"`
	FrequencyPenalty *float64 `json:"frequency_penalty,omitempty"`
}

var emptySchema = json.RawMessage(`{"type":"object","properties":{}}`)

// checkRequest refuses what Ollama cannot honour. It runs before any upstream call.
func checkRequest(r *llm.Request, name string) error {
	if r.N != nil && *r.N > 1 {
		return llm.Unsupported(name, "n", "Ollama returns one choice per request")
	}
	if r.Logprobs != nil && *r.Logprobs {
		return llm.Unsupported(name, "logprobs", "")
	}
	if r.TopLogprobs != nil && *r.TopLogprobs > 0 {
		return llm.Unsupported(name, "top_logprobs", "")
	}
	if tc := r.ToolChoice; tc != nil && (tc.Mode == llm.ToolChoiceRequired || tc.Mode == llm.ToolChoiceFunction) {
		return llm.Unsupported(name, "tool_choice", "Ollama cannot force a tool call; use \"auto\"")
	}
	if len(r.Extensions) > 0 {
		return llm.Unsupported(name, firstKey(r.Extensions), "Ollama has no equivalent")
	}
	return nil
}

// firstKey returns the smallest key of a non-empty map, so that the error is the same every time.
func firstKey(m map[string]json.RawMessage) string {
	return slices.Min(slices.Collect(maps.Keys(m)))
}

// encodeRequest builds the /api/chat body for r. numCtx, when positive, is sent as
// options.num_ctx.
func encodeRequest(r *llm.Request, name string, stream bool, numCtx int, keepAlive json.RawMessage) ([]byte, error) {
	if err := checkRequest(r, name); err != nil {
		return nil, err
	}
	no := false
	w := chatRequest{Model: r.Model, Stream: stream, KeepAlive: keepAlive, Truncate: &no}
	w.Messages = make([]message, len(r.Messages))
	// Ollama names the function a tool result answers; OpenAI names the call by id.
	callNames := map[string]string{}
	for i := range r.Messages {
		if err := encodeMessage(r, &r.Messages[i], &w.Messages[i], i, name, callNames); err != nil {
			return nil, err
		}
	}
	// Hints tune a provider's own features; Ollama has none of them.
	for _, k := range slices.Sorted(maps.Keys(r.Hints)) {
		r.Drop(k)
	}
	if r.CacheKey != "" {
		r.Drop("prompt_cache_key")
	}
	if r.ToolChoice == nil || r.ToolChoice.Mode != llm.ToolChoiceNone {
		// tool_choice "none": the model cannot call what it is not shown.
		for _, t := range r.Tools {
			if t.CacheControl != nil {
				r.Drop("cache_control")
			}
			if t.Hosted != "" {
				r.Drop("tools." + t.Hosted)
				continue
			}
			params := t.Parameters
			if len(bytes.TrimSpace(params)) == 0 || string(params) == "null" {
				params = emptySchema
			}
			w.Tools = append(w.Tools, tool{Type: "function", Function: toolFunction{Name: t.Name,
				Description: t.Description, Parameters: params}})
		}
	}
	if rf := r.ResponseFormat; rf != nil {
		switch rf.Type {
		case llm.ResponseJSONObject:
			w.Format = json.RawMessage(`"json"`)
		case llm.ResponseJSONSchema:
			if len(bytes.TrimSpace(rf.Schema)) == 0 {
				w.Format = json.RawMessage(`"json"`)
			} else {
				w.Format = rf.Schema
			}
		}
	}
	switch r.ReasoningEffort {
	case "":
	case "none":
		w.Think = &no
	default:
		yes := true
		w.Think = &yes
	}
	if t := r.Thinking; t != nil {
		// Ollama thinks or not; it takes no budget.
		yes := t.Type != llm.ThinkingDisabled
		w.Think = &yes
		if t.BudgetTokens > 0 {
			r.Drop("thinking.budget_tokens")
		}
	}
	o := options{NumCtx: numCtx, NumPredict: r.MaxTokens, Temperature: r.Temperature, TopP: r.TopP, TopK: r.TopK,
		Stop: r.Stop, Seed: r.Seed, PresencePenalty: r.PresencePenalty, FrequencyPenalty: r.FrequencyPenalty}
	if o.NumCtx > 0 || o.NumPredict != nil || o.Temperature != nil || o.TopP != nil || o.TopK != nil || len(o.Stop) > 0 ||
		o.Seed != nil || o.PresencePenalty != nil || o.FrequencyPenalty != nil {
		w.Options = &o
	}
	return json.Marshal(&w)
}

func encodeMessage(r *llm.Request, m *llm.Message, out *message, i int, name string, callNames map[string]string) error {
	param := func(s string) string { return fmt.Sprintf("messages[%d].%s", i, s) }
	switch m.Role {
	case llm.RoleSystem, llm.RoleDeveloper:
		out.Role = llm.RoleSystem
	case llm.RoleUser, llm.RoleAssistant, llm.RoleTool:
		out.Role = m.Role
	case llm.RoleFunction:
		// The legacy function result names its function itself.
		out.Role = llm.RoleTool
		out.ToolName = m.Name
	default:
		return llm.InvalidRequest(llm.CodeInvalidValue, param("role"),
			"%q is %q; expected one of system, developer, user, assistant, tool", param("role"), m.Role)
	}
	if m.CacheControl != nil {
		r.Drop("cache_control")
	}
	if m.ToolError {
		r.Drop("is_error")
	}
	var text strings.Builder
	for j, p := range m.Content {
		if p.CacheControl != nil {
			r.Drop("cache_control")
		}
		switch p.Type {
		case llm.PartText:
			text.WriteString(p.Text)
		case llm.PartDocument:
			if p.Data != "" || p.URL != "" {
				return llm.Unsupported(name, param(fmt.Sprintf("content[%d]", j)),
					"Ollama reads no files; send the document's text instead")
			}
			if p.Title != "" {
				text.WriteString(p.Title + "\n\n")
			}
			text.WriteString(p.Text)
		case llm.PartImage:
			img, err := inlineImage(p.ImageURL, param(fmt.Sprintf("content[%d].image_url", j)), name)
			if err != nil {
				return err
			}
			out.Images = append(out.Images, img)
		default:
			t := p.RawType
			if t == "" {
				t = p.Type
			}
			return llm.Unsupported(name, param(fmt.Sprintf("content[%d]", j)),
				fmt.Sprintf("Ollama has no content part of type %q", t))
		}
	}
	out.Content = text.String()
	if out.Content == "" && m.Refusal != "" {
		out.Content = m.Refusal
	}
	out.Thinking = m.Reasoning
	for j, tc := range m.ToolCalls {
		args, err := argumentsObject(tc.Arguments)
		if err != nil {
			p := param(fmt.Sprintf("tool_calls[%d].function.arguments", j))
			return llm.InvalidRequest(llm.CodeInvalidValue, p, "%q must be a JSON object encoded as a string", p)
		}
		out.ToolCalls = append(out.ToolCalls, toolCall{Function: toolCallFunction{Name: tc.Name, Arguments: args}})
		if tc.ID != "" {
			callNames[tc.ID] = tc.Name
		}
	}
	if m.Role == llm.RoleTool {
		out.ToolName = callNames[m.ToolCallID]
		if out.ToolName == "" {
			out.ToolName = m.Name
		}
	}
	return nil
}

// argumentsObject turns a tool call's argument text into the JSON object Ollama wants. Empty
// text is an empty object.
func argumentsObject(s string) (json.RawMessage, error) {
	b := bytes.TrimSpace([]byte(s))
	if len(b) == 0 {
		return json.RawMessage(`{}`), nil
	}
	if b[0] != '{' || !json.Valid(b) {
		return nil, fmt.Errorf("arguments are not a JSON object")
	}
	var c bytes.Buffer
	if err := json.Compact(&c, b); err != nil {
		return nil, err
	}
	return c.Bytes(), nil
}

// inlineImage returns the base64 payload of a data: URL.
func inlineImage(url, param, name string) (string, error) {
	rest, ok := strings.CutPrefix(url, "data:")
	if !ok {
		if strings.HasPrefix(url, "http://") || strings.HasPrefix(url, "https://") {
			return "", llm.Unsupported(name, param, "Ollama takes inline images only; send a data: URL")
		}
		return "", llm.InvalidRequest(llm.CodeInvalidValue, param, "%q must be a data: URL with base64 content", param)
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(meta, ";base64") || data == "" {
		return "", llm.InvalidRequest(llm.CodeInvalidValue, param, "%q must be a data: URL with base64 content", param)
	}
	return data, nil
}

// Context sizing. Ollama does not count tokens for us before the call, so the prompt's size is
// estimated from its bytes: real tokenizers give between 2.5 and 5 bytes per token for prose
// and code, and about 3 for CJK text, so bytes/3 is an upper and bytes/6 a lower estimate.
const (
	bytesPerTokenUpper = 3
	bytesPerTokenLower = 6
	// tokensPerMessage covers the chat template's role markers around each message.
	tokensPerMessage = 8
	// tokensPerImage is what one image is assumed to take of the window (Gemma 3 uses 256,
	// Qwen 2.5 VL up to about a thousand for a large image).
	tokensPerImage = 1024
	// answerReserve is room for the answer when the caller sets no max tokens.
	answerReserve = 1024
	// minNumCtx is the smallest num_ctx set: Ollama's own default.
	minNumCtx = 4096
)

// promptEstimate returns a lower and an upper estimate of the prompt's tokens.
func promptEstimate(r *llm.Request) (lower, upper int) {
	var n, images int
	for i := range r.Messages {
		m := &r.Messages[i]
		n += len(m.Role) + len(m.Name) + len(m.Reasoning) + len(m.Refusal)
		for _, p := range m.Content {
			switch p.Type {
			case llm.PartText:
				n += len(p.Text)
			case llm.PartImage:
				images++ // the base64 bytes say little about the tokens an image takes
			}
		}
		for _, tc := range m.ToolCalls {
			n += len(tc.Name) + len(tc.Arguments)
		}
	}
	for _, t := range r.Tools {
		n += len(t.Name) + len(t.Description) + len(t.Parameters)
	}
	if rf := r.ResponseFormat; rf != nil {
		n += len(rf.Schema)
	}
	lower = n / bytesPerTokenLower
	upper = (n+bytesPerTokenUpper-1)/bytesPerTokenUpper + tokensPerMessage*len(r.Messages) + tokensPerImage*images
	return lower, upper
}

// sizeContext chooses num_ctx for r on a model with a window of ctxLen tokens (0: unknown,
// num_ctx is then left to Ollama) whose Modelfile sets a default of configured (0: none). It
// refuses a prompt that cannot fit.
func sizeContext(r *llm.Request, ctxLen, configured int) (int, error) {
	if ctxLen <= 0 {
		return 0, nil
	}
	lower, upper := promptEstimate(r)
	if lower+1 > ctxLen {
		return 0, &llm.Error{Status: http.StatusBadRequest, Type: llm.TypeInvalidRequest, Code: llm.CodeContextLength,
			Param: "messages",
			Message: fmt.Sprintf("model %q has a context window of %d tokens, but the prompt is estimated at %d tokens or more; "+
				"shorten the conversation or choose a model with a larger context window", r.Model, ctxLen, lower)}
	}
	reserve := answerReserve
	if r.MaxTokens != nil && *r.MaxTokens > 0 {
		reserve = *r.MaxTokens
	}
	needed := upper + reserve
	n := minNumCtx
	for n < needed && n < ctxLen {
		n *= 2
	}
	// Never below the Modelfile's own num_ctx: the model is likely loaded at that size already,
	// and a smaller one would make Ollama reload it.
	n = max(n, configured)
	return min(n, ctxLen), nil
}
