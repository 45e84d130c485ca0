package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"path"
	"slices"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// skipSignature is the value Google documents for the thoughtSignature of a function call
// that Gemini did not make (a conversation begun with another provider): Gemini 3 models
// refuse a turn whose first function call has no signature, and accept this one.
// https://ai.google.dev/gemini-api/docs/thought-signatures
const skipSignature = "skip_thought_signature_validator"

// Thinking budgets for OpenAI's reasoning_effort, as Google's own OpenAI-compatible endpoint
// maps them.
var effortBudgets = map[string]int{"none": 0, "minimal": 1024, "low": 1024, "medium": 8192, "high": 24576}

// firstKey returns the smallest key of a non-empty map, so that an error names the same key
// every time.
func firstKey(m map[string]json.RawMessage) string {
	return slices.Min(slices.Collect(maps.Keys(m)))
}

// encodeRequest builds the generateContent body for r. It records in r (r.Drop) what Gemini
// has no equivalent for, and refuses what would change the answer's meaning.
func encodeRequest(r *llm.Request, name string) ([]byte, error) {
	if len(r.Extensions) > 0 {
		// Gemini has no ingress of its own, so extensions always come from another format.
		return nil, llm.Unsupported(name, firstKey(r.Extensions), "Gemini has no equivalent")
	}
	for _, k := range slices.Sorted(maps.Keys(r.Hints)) {
		r.Drop(k)
	}
	if r.CacheKey != "" {
		r.Drop("prompt_cache_key")
	}
	if r.ParallelToolCalls != nil && !*r.ParallelToolCalls {
		r.Drop("parallel_tool_calls")
	}
	var w generateRequest
	if err := encodeMessages(r, name, &w); err != nil {
		return nil, err
	}
	encodeTools(r, &w)
	gc, err := encodeGenerationConfig(r)
	if err != nil {
		return nil, err
	}
	w.GenerationConfig = gc
	return json.Marshal(&w)
}

func encodeMessages(r *llm.Request, name string, w *generateRequest) error {
	// Gemini names the function a result answers; the canonical form names the call by id.
	callNames := map[string]string{}
	var system []part
	w.Contents = []content{}
	for i := range r.Messages {
		m := &r.Messages[i]
		param := func(s string) string { return fmt.Sprintf("messages[%d].%s", i, s) }
		if len(m.CacheControl) > 0 {
			r.Drop("cache_control")
		}
		switch m.Role {
		case llm.RoleSystem, llm.RoleDeveloper:
			for j, p := range m.Content {
				if len(p.CacheControl) > 0 {
					r.Drop("cache_control")
				}
				switch {
				case p.Type == llm.PartText:
					system = append(system, textPart(p.Text))
				case p.Type == llm.PartDocument && p.Data == "" && p.URL == "":
					system = append(system, textPart(documentText(&p)))
				default:
					return llm.Unsupported(name, param(fmt.Sprintf("content[%d]", j)),
						"Gemini takes only text in system instructions")
				}
			}
		case llm.RoleUser, llm.RoleAssistant:
			c := content{Role: "user"}
			if m.Role == llm.RoleAssistant {
				c.Role = "model"
			}
			for j, p := range m.Content {
				gp, err := encodePart(r, &p, param(fmt.Sprintf("content[%d]", j)), name)
				if err != nil {
					return err
				}
				c.Parts = append(c.Parts, gp)
			}
			if len(c.Parts) == 0 && m.Refusal != "" {
				c.Parts = append(c.Parts, textPart(m.Refusal))
			}
			// Message.Reasoning and Message.Thinking are the model's own output; Gemini does
			// not take thoughts back (its signatures ride on the parts that follow them).
			signed := false
			for _, tc := range m.ToolCalls {
				signed = signed || tc.Signature != ""
			}
			for j, tc := range m.ToolCalls {
				args, err := argumentsObject(tc.Arguments)
				if err != nil {
					p := param(fmt.Sprintf("tool_calls[%d].function.arguments", j))
					return llm.InvalidRequest(llm.CodeInvalidValue, p, "%q must be a JSON object encoded as a string", p)
				}
				gp := part{FunctionCall: &functionCall{Name: tc.Name, Args: args}, ThoughtSignature: tc.Signature}
				if j == 0 && !signed {
					gp.ThoughtSignature = skipSignature
				}
				c.Parts = append(c.Parts, gp)
				if tc.ID != "" {
					callNames[tc.ID] = tc.Name
				}
			}
			if len(c.Parts) == 0 {
				// Gemini refuses a content without parts.
				c.Parts = append(c.Parts, textPart(""))
			}
			w.Contents = append(w.Contents, c)
		case llm.RoleTool, llm.RoleFunction:
			fr, err := encodeToolResult(r, m, i, name, callNames)
			if err != nil {
				return err
			}
			// Results of consecutive tool messages answer one turn of calls: one content.
			if n := len(w.Contents); n > 0 && isToolResults(&w.Contents[n-1]) {
				w.Contents[n-1].Parts = append(w.Contents[n-1].Parts, part{FunctionResponse: fr})
			} else {
				w.Contents = append(w.Contents, content{Role: "user", Parts: []part{{FunctionResponse: fr}}})
			}
		default:
			return llm.InvalidRequest(llm.CodeInvalidValue, param("role"),
				"%q is %q; expected one of system, developer, user, assistant, tool", param("role"), m.Role)
		}
	}
	if len(system) > 0 {
		w.SystemInstruction = &content{Parts: system}
	}
	return nil
}

func isToolResults(c *content) bool {
	return c.Role == "user" && len(c.Parts) > 0 && c.Parts[0].FunctionResponse != nil
}

func textPart(s string) part { return part{Text: &s} }

// encodePart turns one content part of a user or assistant message into a Gemini part.
func encodePart(r *llm.Request, p *llm.Part, param, name string) (part, error) {
	if len(p.CacheControl) > 0 {
		r.Drop("cache_control")
	}
	switch p.Type {
	case llm.PartText:
		return textPart(p.Text), nil
	case llm.PartImage:
		return imagePart(p.ImageURL, param+".image_url")
	case llm.PartDocument:
		switch {
		case p.Data != "":
			mt := p.MediaType
			if mt == "" {
				mt = "application/pdf"
			}
			return part{InlineData: &blob{MimeType: mt, Data: p.Data}}, nil
		case p.URL != "":
			mt := p.MediaType
			if mt == "" {
				mt = "application/pdf"
			}
			return part{FileData: &fileData{MimeType: mt, FileURI: p.URL}}, nil
		}
		return textPart(documentText(p)), nil
	}
	t := p.RawType
	if t == "" {
		t = p.Type
	}
	return part{}, llm.Unsupported(name, param, fmt.Sprintf("Gemini has no content part of type %q", t))
}

// documentText is a plain-text document as text, its title first as the other adapters
// give it.
func documentText(p *llm.Part) string {
	if p.Title != "" {
		return p.Title + "\n\n" + p.Text
	}
	return p.Text
}

// imagePart sends a data: URL inline and an http(s) URL by reference, for Gemini to fetch.
func imagePart(url, param string) (part, error) {
	if rest, ok := strings.CutPrefix(url, "data:"); ok {
		meta, data, ok := strings.Cut(rest, ",")
		mt, isBase64 := strings.CutSuffix(meta, ";base64")
		if !ok || !isBase64 || data == "" || mt == "" {
			return part{}, llm.InvalidRequest(llm.CodeInvalidValue, param, "%q must be a data: URL with a media type and base64 content", param)
		}
		return part{InlineData: &blob{MimeType: mt, Data: data}}, nil
	}
	if strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://") {
		return part{FileData: &fileData{MimeType: imageType(url), FileURI: url}}, nil
	}
	return part{}, llm.InvalidRequest(llm.CodeInvalidValue, param, "%q must be an http(s) URL or a data: URL", param)
}

// imageType guesses an image URL's media type from its extension, which fileData needs;
// JPEG, the most common, when the URL does not say.
func imageType(url string) string {
	u, _, _ := strings.Cut(url, "?")
	u, _, _ = strings.Cut(u, "#")
	switch strings.ToLower(path.Ext(u)) {
	case ".png":
		return "image/png"
	case ".webp":
		return "image/webp"
	case ".gif":
		return "image/gif"
	case ".heic":
		return "image/heic"
	case ".heif":
		return "image/heif"
	}
	return "image/jpeg"
}

// encodeToolResult turns a tool message into a functionResponse. Its response object holds
// the result text under "result" (a JSON object result as an object), or under "error" when
// the tool failed, the key Gemini's reference gives for failures.
func encodeToolResult(r *llm.Request, m *llm.Message, i int, name string, callNames map[string]string) (*functionResponse, error) {
	if len(m.CacheControl) > 0 {
		r.Drop("cache_control")
	}
	fn, ok := callNames[m.ToolCallID]
	switch {
	case ok:
	case m.Role == llm.RoleFunction || m.ToolCallID == "" && m.Name != "":
		// A legacy function result names its function itself.
		fn = m.Name
	default:
		p := fmt.Sprintf("messages[%d].tool_call_id", i)
		return nil, llm.InvalidRequest(llm.CodeInvalidValue, p,
			"%q is %q, which names no tool call of an earlier assistant message; Gemini needs the function's name", p, m.ToolCallID)
	}
	fr := &functionResponse{Name: fn}
	var text strings.Builder
	for j, p := range m.Content {
		if len(p.CacheControl) > 0 {
			r.Drop("cache_control")
		}
		param := fmt.Sprintf("messages[%d].content[%d]", i, j)
		switch p.Type {
		case llm.PartText:
			text.WriteString(p.Text)
		case llm.PartDocument:
			if p.Data == "" && p.URL == "" {
				text.WriteString(documentText(&p))
				continue
			}
			gp, err := encodePart(r, &p, param, name)
			if err != nil {
				return nil, err
			}
			fr.Parts = append(fr.Parts, functionResponsePart{InlineData: gp.InlineData, FileData: gp.FileData})
		case llm.PartImage:
			gp, err := imagePart(p.ImageURL, param+".image_url")
			if err != nil {
				return nil, err
			}
			fr.Parts = append(fr.Parts, functionResponsePart{InlineData: gp.InlineData, FileData: gp.FileData})
		default:
			_, err := encodePart(r, &p, param, name)
			return nil, err
		}
	}
	var value json.RawMessage
	if b := bytes.TrimSpace([]byte(text.String())); len(b) > 0 && b[0] == '{' && json.Valid(b) {
		value = b
	} else {
		value, _ = json.Marshal(text.String())
	}
	key := "result"
	if m.ToolError {
		key = "error"
	}
	resp, err := json.Marshal(map[string]json.RawMessage{key: value})
	if err != nil {
		return nil, err
	}
	fr.Response = resp
	return fr, nil
}

// argumentsObject turns a tool call's argument text into the JSON object Gemini wants. Empty
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

func encodeTools(r *llm.Request, w *generateRequest) {
	var decls []functionDeclaration
	for _, t := range r.Tools {
		if len(t.CacheControl) > 0 {
			r.Drop("cache_control")
		}
		if t.Hosted != "" {
			// Gemini's own hosted tools (googleSearch, codeExecution…) make other promises
			// than another provider's; none is substituted.
			r.Drop("tools." + t.Hosted)
			continue
		}
		if t.Strict != nil && *t.Strict {
			r.Drop("tools.strict")
		}
		d := functionDeclaration{Name: t.Name, Description: t.Description}
		if p := bytes.TrimSpace(t.Parameters); len(p) > 0 && string(p) != "null" {
			d.ParametersJSONSchema = p
		}
		decls = append(decls, d)
	}
	if len(decls) == 0 {
		return
	}
	w.Tools = []tool{{FunctionDeclarations: decls}}
	if tc := r.ToolChoice; tc != nil {
		fc := &functionCallingConfig{}
		switch tc.Mode {
		case llm.ToolChoiceNone:
			fc.Mode = "NONE"
		case llm.ToolChoiceRequired:
			fc.Mode = "ANY"
		case llm.ToolChoiceFunction:
			fc.Mode, fc.AllowedFunctionNames = "ANY", []string{tc.Name}
		default:
			fc.Mode = "AUTO"
		}
		w.ToolConfig = &toolConfig{FunctionCallingConfig: fc}
	}
}

func encodeGenerationConfig(r *llm.Request) (*generationConfig, error) {
	gc := generationConfig{Temperature: r.Temperature, TopP: r.TopP, TopK: r.TopK, MaxOutputTokens: r.MaxTokens,
		StopSequences: r.Stop, CandidateCount: r.N, PresencePenalty: r.PresencePenalty, FrequencyPenalty: r.FrequencyPenalty}
	if r.Seed != nil {
		if *r.Seed < math.MinInt32 || *r.Seed > math.MaxInt32 {
			return nil, llm.InvalidRequest(llm.CodeInvalidValue, "seed", "%q must fit in 32 bits for Gemini", "seed")
		}
		gc.Seed = r.Seed
	}
	if r.Logprobs != nil && *r.Logprobs {
		gc.ResponseLogprobs = true
		gc.Logprobs = r.TopLogprobs
	}
	if rf := r.ResponseFormat; rf != nil {
		switch rf.Type {
		case llm.ResponseJSONObject:
			gc.ResponseMimeType = "application/json"
		case llm.ResponseJSONSchema:
			gc.ResponseMimeType = "application/json"
			if s := bytes.TrimSpace(rf.Schema); len(s) > 0 && string(s) != "null" {
				gc.ResponseJSONSchema = s
			}
		}
	}
	switch th := r.Thinking; {
	case th != nil && th.Type == llm.ThinkingDisabled:
		gc.ThinkingConfig = &thinkingConfig{ThinkingBudget: ptr(0)}
	case th != nil && th.Type == llm.ThinkingAdaptive:
		gc.ThinkingConfig = &thinkingConfig{IncludeThoughts: true, ThinkingBudget: ptr(-1)}
	case th != nil:
		gc.ThinkingConfig = &thinkingConfig{IncludeThoughts: true}
		if th.BudgetTokens > 0 {
			gc.ThinkingConfig.ThinkingBudget = ptr(th.BudgetTokens)
		}
	case r.ReasoningEffort != "":
		if b, ok := effortBudgets[r.ReasoningEffort]; ok {
			gc.ThinkingConfig = &thinkingConfig{ThinkingBudget: ptr(b)}
		} else {
			r.Drop("reasoning_effort")
		}
	}
	if isZero(&gc) {
		return nil, nil
	}
	return &gc, nil
}

func isZero(gc *generationConfig) bool {
	return gc.Temperature == nil && gc.TopP == nil && gc.TopK == nil && gc.MaxOutputTokens == nil &&
		len(gc.StopSequences) == 0 && gc.CandidateCount == nil && gc.PresencePenalty == nil &&
		gc.FrequencyPenalty == nil && gc.Seed == nil && !gc.ResponseLogprobs && gc.ResponseMimeType == "" &&
		gc.ThinkingConfig == nil
}

func ptr[T any](v T) *T { return &v }
