package responseswire

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// reasoningJoin separates the summary parts of reasoning in Message.Reasoning.
const reasoningJoin = "\n\n"

// itemDecoder turns input items into canonical messages.
type itemDecoder struct {
	msgs    []llm.Message
	dropped []string
	// turn is the index in msgs of the assistant message that the assistant-side items read
	// so far belong to, or -1 when the last item read was not one of them.
	turn int
}

// decodeItems decodes an array of items; param names the array in errors.
func decodeItems(raw json.RawMessage, param string) ([]llm.Message, []string, error) {
	var raws []json.RawMessage
	if err := decodeField(param, raw, &raws); err != nil {
		return nil, nil, err
	}
	d := itemDecoder{turn: -1}
	for i, item := range raws {
		if err := d.item(item, fmt.Sprintf("%s[%d]", param, i)); err != nil {
			return nil, nil, err
		}
	}
	for i := range d.msgs {
		if m := &d.msgs[i]; m.Role == llm.RoleAssistant && len(m.Content) == 0 && len(m.ToolCalls) > 0 {
			m.ContentNull = true
		}
	}
	return d.msgs, d.dropped, nil
}

func (d *itemDecoder) item(raw json.RawMessage, param string) error {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return llm.InvalidRequest(llm.CodeInvalidType, param, "%q must be an input item object", param)
	}
	var it inputItem
	if err := decodeField(param, raw, &it); err != nil {
		return err
	}
	typ := it.Type
	if typ == "" {
		if it.Role == "" {
			return llm.InvalidRequest(llm.CodeMissingField, param+".type",
				"missing required parameter %q: an input item without a type must be a message with a role", param+".type")
		}
		typ = itemMessage
	}
	switch typ {
	case itemMessage:
		return d.message(&it, param)
	case itemFunctionCall, itemCustomToolCall:
		if it.CallID == "" {
			return llm.InvalidRequest(llm.CodeMissingField, param+".call_id", "missing required parameter %q", param+".call_id")
		}
		if it.Name == "" {
			return llm.InvalidRequest(llm.CodeMissingField, param+".name", "missing required parameter %q", param+".name")
		}
		tc := llm.ToolCall{ID: it.CallID, Name: flatName(it.Namespace, it.Name)}
		if typ == itemFunctionCall {
			if it.Arguments == nil {
				return llm.InvalidRequest(llm.CodeMissingField, param+".arguments", "missing required parameter %q", param+".arguments")
			}
			tc.Arguments = *it.Arguments
		} else {
			if it.Input == nil {
				return llm.InvalidRequest(llm.CodeMissingField, param+".input", "missing required parameter %q", param+".input")
			}
			tc.Arguments = customArguments(*it.Input)
		}
		m := d.assistant(func(m *llm.Message) bool { return false })
		m.ToolCalls = append(m.ToolCalls, tc)
		return nil
	case itemFunctionCallOutput, itemCustomToolCallOutput:
		if it.CallID == "" {
			return llm.InvalidRequest(llm.CodeMissingField, param+".call_id", "missing required parameter %q", param+".call_id")
		}
		if len(it.Output) == 0 || isNull(it.Output) {
			return llm.InvalidRequest(llm.CodeMissingField, param+".output", "missing required parameter %q", param+".output")
		}
		parts, _, err := decodeContent(it.Output, param+".output")
		if err != nil {
			return err
		}
		d.msgs = append(d.msgs, llm.Message{Role: llm.RoleTool, ToolCallID: it.CallID, Content: parts})
		d.turn = -1
		return nil
	case itemReasoning:
		return d.reasoning(&it, param)
	case itemReference:
		return unsupported(param, "this gateway does not look up items by id (item_reference); send the item itself, or continue a stored response with \"previous_response_id\"")
	}
	if droppedItemTypes[typ] {
		for _, t := range d.dropped {
			if t == typ {
				return nil
			}
		}
		d.dropped = append(d.dropped, typ)
		return nil
	}
	return llm.InvalidRequest(llm.CodeInvalidValue, param+".type", "%q is %q, an input item type this gateway does not know", param+".type", typ)
}

// assistant returns the assistant message that the next assistant-side item joins: the
// current turn's, unless full says that message cannot take the item, in which case a new
// assistant message starts.
func (d *itemDecoder) assistant(full func(*llm.Message) bool) *llm.Message {
	if d.turn >= 0 && !full(&d.msgs[d.turn]) {
		return &d.msgs[d.turn]
	}
	d.msgs = append(d.msgs, llm.Message{Role: llm.RoleAssistant})
	d.turn = len(d.msgs) - 1
	return &d.msgs[d.turn]
}

func (d *itemDecoder) message(it *inputItem, param string) error {
	switch it.Role {
	case llm.RoleUser, llm.RoleSystem, llm.RoleDeveloper, llm.RoleAssistant:
	case "":
		return llm.InvalidRequest(llm.CodeMissingField, param+".role", "missing required parameter %q", param+".role")
	default:
		return llm.InvalidRequest(llm.CodeInvalidValue, param+".role",
			"%q is %q; expected one of user, assistant, system, developer", param+".role", it.Role)
	}
	if len(it.Content) == 0 || isNull(it.Content) {
		return llm.InvalidRequest(llm.CodeMissingField, param+".content", "missing required parameter %q", param+".content")
	}
	parts, refusal, err := decodeContent(it.Content, param+".content")
	if err != nil {
		return err
	}
	if it.Role != llm.RoleAssistant {
		d.msgs = append(d.msgs, llm.Message{Role: it.Role, Content: parts, Refusal: refusal})
		d.turn = -1
		return nil
	}
	// Text after tool calls starts a new assistant message: in a canonical message the text
	// comes before the calls.
	m := d.assistant(func(m *llm.Message) bool { return len(m.ToolCalls) > 0 })
	m.Content = append(m.Content, parts...)
	m.Refusal += refusal
	return nil
}

func (d *itemDecoder) reasoning(it *inputItem, param string) error {
	var texts []string
	for j, s := range it.Summary {
		if s.Type != "" && s.Type != "summary_text" {
			p := fmt.Sprintf("%s.summary[%d].type", param, j)
			return llm.InvalidRequest(llm.CodeInvalidValue, p, "%q is %q; expected \"summary_text\"", p, s.Type)
		}
		if s.Text != "" {
			texts = append(texts, s.Text)
		}
	}
	if len(texts) == 0 && len(it.Content) > 0 && !isNull(it.Content) {
		// Raw reasoning text, which open-weight models' servers send instead of a summary.
		var content []reasoningContent
		if err := decodeField(param+".content", it.Content, &content); err != nil {
			return err
		}
		for _, c := range content {
			if c.Text != "" {
				texts = append(texts, c.Text)
			}
		}
	}
	enc := ""
	if it.EncryptedContent != nil {
		enc = *it.EncryptedContent
	}
	sealed, isSealed := openThinking(enc)
	if isSealed && len(texts) == 0 {
		for _, b := range sealed {
			if b.Text != "" {
				texts = append(texts, b.Text)
			}
		}
	}
	if len(texts) == 0 && enc == "" {
		return nil
	}
	// Reasoning after text or tool calls starts a new assistant message: in a canonical
	// message the reasoning comes first.
	m := d.assistant(func(m *llm.Message) bool {
		return len(m.Content) > 0 || len(m.ToolCalls) > 0 || m.Refusal != ""
	})
	if len(texts) > 0 {
		if m.Reasoning != "" {
			m.Reasoning += reasoningJoin
		}
		m.Reasoning += strings.Join(texts, reasoningJoin)
	}
	switch {
	case isSealed:
		m.Thinking = append(m.Thinking, sealed...)
	case enc != "":
		m.Thinking = append(m.Thinking, llm.ThinkingBlock{Redacted: enc, Format: llm.FormatOpenAIResponses})
	}
	return nil
}

// decodeContent reads a message's content or a tool output: a string, or an array of parts.
// It returns the refusal text of refusal parts apart.
func decodeContent(raw json.RawMessage, param string) ([]llm.Part, string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, "", llm.InvalidRequest(llm.CodeInvalidValue, param, "%q is not a valid JSON string", param)
		}
		return []llm.Part{llm.TextPart(s)}, "", nil
	case len(raw) > 0 && raw[0] == '[':
		var raws []json.RawMessage
		if err := json.Unmarshal(raw, &raws); err != nil {
			return nil, "", llm.InvalidRequest(llm.CodeInvalidType, param, "%q must be a string or an array of content parts", param)
		}
		parts := make([]llm.Part, 0, len(raws))
		var refusal string
		for j, pr := range raws {
			pp := fmt.Sprintf("%s[%d]", param, j)
			p, ref, err := decodePart(pr, pp)
			if err != nil {
				return nil, "", err
			}
			if ref != nil {
				refusal += *ref
				continue
			}
			parts = append(parts, p)
		}
		return parts, refusal, nil
	}
	return nil, "", llm.InvalidRequest(llm.CodeInvalidType, param, "%q must be a string or an array of content parts", param)
}

// decodePart reads one content part; a refusal part gives its text instead of a part.
func decodePart(raw json.RawMessage, param string) (llm.Part, *string, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return llm.Part{}, nil, llm.InvalidRequest(llm.CodeInvalidType, param, "%q must be a content part object", param)
	}
	var p inputPart
	if err := decodeField(param, raw, &p); err != nil {
		return llm.Part{}, nil, err
	}
	missing := func(name string) (llm.Part, *string, error) {
		return llm.Part{}, nil, llm.InvalidRequest(llm.CodeMissingField, param+"."+name, "missing required parameter %q", param+"."+name)
	}
	switch p.Type {
	case "input_text", "output_text", "text":
		if p.Text == nil {
			return missing("text")
		}
		return llm.TextPart(*p.Text), nil, nil
	case "refusal":
		if p.Refusal == nil {
			return missing("refusal")
		}
		return llm.Part{}, p.Refusal, nil
	case "input_image":
		if p.FileID != nil && *p.FileID != "" {
			return llm.Part{}, nil, unsupported(param+".file_id",
				"this gateway has no Files API; send the image as \"image_url\" (an https or data: URL)")
		}
		if p.ImageURL == nil || *p.ImageURL == "" {
			return missing("image_url")
		}
		return llm.Part{Type: llm.PartImage, ImageURL: *p.ImageURL, ImageDetail: p.Detail}, nil, nil
	case "input_file":
		return decodeFile(&p, param)
	case "":
		return missing("type")
	}
	// input_audio and part types of later API versions: kept raw for a Responses upstream.
	return llm.Part{Type: llm.PartOther, Raw: raw, RawFormat: llm.FormatOpenAIResponses, RawType: p.Type}, nil, nil
}

// decodeFile reads an input_file part: inline data (a data: URL, or bare base64) or a URL.
func decodeFile(p *inputPart, param string) (llm.Part, *string, error) {
	out := llm.Part{Type: llm.PartDocument, Filename: p.Filename, Title: p.Filename}
	switch {
	case p.FileID != nil && *p.FileID != "":
		return llm.Part{}, nil, unsupported(param+".file_id",
			"this gateway has no Files API; send the file inline as \"file_data\" (a data: URL) or as \"file_url\"")
	case p.FileData != nil && *p.FileData != "":
		data := *p.FileData
		if mt, b64, ok := parseDataURL(data); ok {
			out.MediaType, out.Data = mt, b64
		} else {
			out.MediaType, out.Data = mediaTypeOf(p.Filename), data
		}
		if out.MediaType == "text/plain" {
			// A plain-text document carries its text (see llm.Part).
			if b, err := base64.StdEncoding.DecodeString(out.Data); err == nil && utf8.Valid(b) {
				out.Text, out.Data = string(b), ""
			}
		}
	case p.FileURL != nil && *p.FileURL != "":
		out.URL = *p.FileURL
		if out.Filename == "" {
			out.MediaType = mediaTypeOf(path.Base(out.URL))
		} else {
			out.MediaType = mediaTypeOf(out.Filename)
		}
	default:
		return llm.Part{}, nil, llm.InvalidRequest(llm.CodeMissingField, param+".file_data",
			"missing required parameter %q: an input_file part needs \"file_data\" or \"file_url\"", param+".file_data")
	}
	return out, nil, nil
}

// parseDataURL splits "data:<media type>;base64,<data>".
func parseDataURL(s string) (mediaType, data string, ok bool) {
	rest, ok := strings.CutPrefix(s, "data:")
	if !ok {
		return "", "", false
	}
	meta, data, ok := strings.Cut(rest, ",")
	if !ok {
		return "", "", false
	}
	mediaType, enc, _ := strings.Cut(meta, ";")
	if enc != "base64" {
		return "", "", false
	}
	if mediaType == "" {
		mediaType = "application/octet-stream"
	}
	return mediaType, data, true
}

// mediaTypeOf guesses a file's media type from its name. The Responses API documents PDF
// files for input_file, so that is the default.
func mediaTypeOf(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".txt", ".text":
		return "text/plain"
	case ".md", ".markdown":
		return "text/markdown"
	case ".csv":
		return "text/csv"
	case ".html", ".htm":
		return "text/html"
	case ".json":
		return "application/json"
	}
	return "application/pdf"
}

// customArguments wraps a custom tool's input as the arguments of the canonical tool that
// stands for it (see customToolParameters).
func customArguments(input string) string {
	b, _ := marshal(map[string]string{"input": input})
	return string(b)
}

// customInput is the reverse of customArguments: the input string of a call of a custom
// tool. Arguments of another shape are passed on as they are.
func customInput(arguments string) string {
	var a struct {
		Input *string `json:"input"`
	}
	if json.Unmarshal([]byte(arguments), &a) == nil && a.Input != nil {
		return *a.Input
	}
	return arguments
}
