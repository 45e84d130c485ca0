package responseswire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// customToolParameters is the schema of the canonical tool that stands for a custom tool: the
// model writes the free-form input as the one argument "input".
var customToolParameters = json.RawMessage(`{"type":"object","properties":{"input":{"type":"string"}},"required":["input"]}`)

type functionTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description *string         `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      *bool           `json:"strict"`
}

type customTool struct {
	Type        string  `json:"type"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
	Format      *struct {
		Type       string `json:"type"`
		Syntax     string `json:"syntax"`
		Definition string `json:"definition"`
	} `json:"format"`
}

type namespaceTool struct {
	Type        string            `json:"type"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Tools       []json.RawMessage `json:"tools"`
}

// decodeTools reads the tools: function and custom tools (also inside namespaces) become
// canonical tools; any other type is a hosted tool kept raw.
func decodeTools(raw json.RawMessage, r *Request) error {
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	var raws []json.RawMessage
	if err := decodeField("tools", raw, &raws); err != nil {
		return err
	}
	r.Tools = raw
	for i, t := range raws {
		param := fmt.Sprintf("tools[%d]", i)
		typ, err := toolType(t, param)
		if err != nil {
			return err
		}
		switch typ {
		case "function", "custom":
			tl, err := decodeTool(t, typ, "", param, r)
			if err != nil {
				return err
			}
			r.Chat.Tools = append(r.Chat.Tools, tl)
		case "namespace":
			var ns namespaceTool
			if err := decodeField(param, t, &ns); err != nil {
				return err
			}
			if ns.Name == "" {
				return llm.InvalidRequest(llm.CodeMissingField, param+".name", "missing required parameter %q", param+".name")
			}
			for j, inner := range ns.Tools {
				ip := fmt.Sprintf("%s.tools[%d]", param, j)
				ityp, err := toolType(inner, ip)
				if err != nil {
					return err
				}
				if ityp != "function" && ityp != "custom" {
					return llm.InvalidRequest(llm.CodeInvalidValue, ip+".type",
						"%q is %q; a namespace holds \"function\" and \"custom\" tools", ip+".type", ityp)
				}
				tl, err := decodeTool(inner, ityp, ns.Name, ip, r)
				if err != nil {
					return err
				}
				r.Chat.Tools = append(r.Chat.Tools, tl)
			}
		default:
			// web_search, file_search, code_interpreter, image_generation, computer_use_preview,
			// mcp, local_shell, shell, apply_patch and tool types of later API versions.
			r.Chat.Tools = append(r.Chat.Tools, llm.Tool{Hosted: typ, Raw: t, RawFormat: llm.FormatOpenAIResponses})
		}
	}
	return nil
}

func toolType(raw json.RawMessage, param string) (string, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return "", llm.InvalidRequest(llm.CodeInvalidType, param, "%q must be a tool object", param)
	}
	var w struct {
		Type string `json:"type"`
	}
	if err := decodeField(param, raw, &w); err != nil {
		return "", err
	}
	if w.Type == "" {
		return "", llm.InvalidRequest(llm.CodeMissingField, param+".type", "missing required parameter %q", param+".type")
	}
	return w.Type, nil
}

// decodeTool reads a function or custom tool declared in namespace ns ("" for none).
func decodeTool(raw json.RawMessage, typ, ns, param string, r *Request) (llm.Tool, error) {
	var name string
	var tl llm.Tool
	if typ == "function" {
		var f functionTool
		if err := decodeField(param, raw, &f); err != nil {
			return tl, err
		}
		name = f.Name
		tl = llm.Tool{Parameters: f.Parameters, Strict: f.Strict}
		if isNull(tl.Parameters) {
			tl.Parameters = nil
		}
		if f.Description != nil {
			tl.Description = *f.Description
		}
	} else {
		var c customTool
		if err := decodeField(param, raw, &c); err != nil {
			return tl, err
		}
		name = c.Name
		// Raw keeps the declaration for an upstream that speaks this format.
		tl = llm.Tool{Parameters: customToolParameters, Raw: raw, RawFormat: llm.FormatOpenAIResponses}
		if c.Description != nil {
			tl.Description = *c.Description
		}
		if f := c.Format; f != nil && f.Type == "grammar" && f.Definition != "" {
			// Other providers cannot constrain the input to the grammar; the model at least
			// gets to read it.
			if tl.Description != "" {
				tl.Description += "\n\n"
			}
			tl.Description += fmt.Sprintf("The input must follow this %s grammar:\n%s", f.Syntax, f.Definition)
		}
	}
	if name == "" {
		return tl, llm.InvalidRequest(llm.CodeMissingField, param+".name", "missing required parameter %q", param+".name")
	}
	tl.Name = flatName(ns, name)
	if typ == "custom" {
		if r.CustomTools == nil {
			r.CustomTools = map[string]bool{}
		}
		r.CustomTools[tl.Name] = true
	}
	if ns != "" {
		if r.NamespacedTools == nil {
			r.NamespacedTools = map[string]ToolName{}
		}
		r.NamespacedTools[tl.Name] = ToolName{Namespace: ns, Name: name}
	}
	return tl, nil
}

// decodeToolChoice reads tool_choice. A choice of a hosted tool has no canonical form: it is
// kept in Extensions, so that only a Responses upstream may honour it.
func decodeToolChoice(raw json.RawMessage, r *Request) error {
	if len(raw) == 0 || isNull(raw) {
		return nil
	}
	chat := r.Chat
	var mode string
	if err := json.Unmarshal(raw, &mode); err == nil {
		switch mode {
		case llm.ToolChoiceAuto, llm.ToolChoiceNone, llm.ToolChoiceRequired:
			if mode == llm.ToolChoiceRequired && len(chat.Tools) == 0 {
				return llm.InvalidRequest(llm.CodeInvalidValue, "tool_choice", "tool_choice \"required\" needs at least one tool in \"tools\"")
			}
			chat.ToolChoice = &llm.ToolChoice{Mode: mode}
			return nil
		}
		return llm.InvalidRequest(llm.CodeInvalidValue, "tool_choice", "tool_choice %q is not one of \"auto\", \"none\", \"required\"", mode)
	}
	var obj struct {
		Type      string `json:"type"`
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
		Mode      string `json:"mode"`
		Tools     []struct {
			Type      string `json:"type"`
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil || obj.Type == "" {
		return llm.InvalidRequest(llm.CodeInvalidValue, "tool_choice",
			"tool_choice must be \"auto\", \"none\", \"required\" or an object with a \"type\"")
	}
	switch obj.Type {
	case "function", "custom":
		if obj.Name == "" {
			return llm.InvalidRequest(llm.CodeMissingField, "tool_choice.name", "missing required parameter \"tool_choice.name\"")
		}
		name := flatName(obj.Namespace, obj.Name)
		if !slices.ContainsFunc(chat.Tools, func(t llm.Tool) bool { return t.Hosted == "" && t.Name == name }) {
			return llm.InvalidRequest(llm.CodeInvalidValue, "tool_choice.name", "tool_choice names tool %q, which is not in \"tools\"", obj.Name)
		}
		chat.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: name}
	case "allowed_tools":
		// The allowed subset of the tools: canonical requests have no such list, so the tools
		// that are not allowed are left out.
		if obj.Mode != llm.ToolChoiceAuto && obj.Mode != llm.ToolChoiceRequired {
			return llm.InvalidRequest(llm.CodeInvalidValue, "tool_choice.mode",
				"\"tool_choice.mode\" is %q; expected \"auto\" or \"required\"", obj.Mode)
		}
		allowedFn := map[string]bool{}
		allowedHosted := map[string]bool{}
		for _, t := range obj.Tools {
			if t.Type == "function" || t.Type == "custom" {
				allowedFn[flatName(t.Namespace, t.Name)] = true
			} else {
				allowedHosted[t.Type] = true
			}
		}
		chat.Tools = slices.DeleteFunc(chat.Tools, func(t llm.Tool) bool {
			if t.Hosted != "" {
				return !allowedHosted[t.Hosted]
			}
			return !allowedFn[t.Name]
		})
		if len(chat.Tools) == 0 {
			return llm.InvalidRequest(llm.CodeInvalidValue, "tool_choice.tools", "\"tool_choice.tools\" allows none of the tools in \"tools\"")
		}
		chat.ToolChoice = &llm.ToolChoice{Mode: obj.Mode}
		if obj.Mode == llm.ToolChoiceRequired && len(chat.Tools) == 1 && chat.Tools[0].Hosted == "" {
			chat.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: chat.Tools[0].Name}
		}
	default:
		// A hosted tool (file_search, web_search_preview, mcp, …) the model must use.
		if chat.Extensions == nil {
			chat.Extensions = map[string]json.RawMessage{}
		}
		chat.Extensions["tool_choice"] = raw
	}
	return nil
}
