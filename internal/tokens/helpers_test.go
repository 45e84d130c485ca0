package tokens

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// This file decodes the recorded OpenAI fixtures into llm types, just far enough for counting.
// It is deliberately independent of internal/openaiwire: the counts are checked against what
// the provider reported, not against another package's decoder.

type wireRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Role       string          `json:"role"`
		Content    json.RawMessage `json:"content"`
		Name       string          `json:"name"`
		ToolCallID string          `json:"tool_call_id"`
		ToolCalls  []wireToolCall  `json:"tool_calls"`
		// FunctionCall is the legacy form of a tool call.
		FunctionCall *wireFunction `json:"function_call"`
	} `json:"messages"`
	Tools []struct {
		Function wireTool `json:"function"`
	} `json:"tools"`
	// Functions is the legacy form of Tools.
	Functions      []wireTool      `json:"functions"`
	ToolChoice     json.RawMessage `json:"tool_choice"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

type wireTool struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Parameters  json.RawMessage `json:"parameters"`
}

type wireFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type wireToolCall struct {
	ID       string       `json:"id"`
	Function wireFunction `json:"function"`
}

type wireResponse struct {
	Model   string `json:"model"`
	Choices []struct {
		Message struct {
			Role         string         `json:"role"`
			Content      *string        `json:"content"`
			Refusal      *string        `json:"refusal"`
			ToolCalls    []wireToolCall `json:"tool_calls"`
			FunctionCall *wireFunction  `json:"function_call"`
		} `json:"message"`
	} `json:"choices"`
	Usage *wireUsage `json:"usage"`
}

type wireUsage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func loadRequest(t *testing.T, path string) *llm.Request {
	t.Helper()
	var w wireRequest
	readJSON(t, path, &w)
	r := &llm.Request{Model: w.Model}
	for _, wm := range w.Messages {
		m := llm.Message{Role: wm.Role, Name: wm.Name, ToolCallID: wm.ToolCallID}
		var s string
		if len(wm.Content) > 0 && json.Unmarshal(wm.Content, &s) == nil {
			m.Content = []llm.Part{llm.TextPart(s)}
		} else if len(wm.Content) > 0 && string(wm.Content) != "null" {
			var parts []struct {
				Type     string `json:"type"`
				Text     string `json:"text"`
				ImageURL struct {
					URL    string `json:"url"`
					Detail string `json:"detail"`
				} `json:"image_url"`
			}
			if err := json.Unmarshal(wm.Content, &parts); err != nil {
				t.Fatalf("%s: content: %v", path, err)
			}
			for _, p := range parts {
				switch p.Type {
				case "text":
					m.Content = append(m.Content, llm.TextPart(p.Text))
				case "image_url":
					m.Content = append(m.Content, llm.Part{Type: llm.PartImage, ImageURL: p.ImageURL.URL, ImageDetail: p.ImageURL.Detail})
				}
			}
		}
		for _, tc := range wm.ToolCalls {
			m.ToolCalls = append(m.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
		if fc := wm.FunctionCall; fc != nil {
			m.ToolCalls = append(m.ToolCalls, llm.ToolCall{Name: fc.Name, Arguments: fc.Arguments})
		}
		r.Messages = append(r.Messages, m)
	}
	for _, wt := range w.Tools {
		r.Tools = append(r.Tools, llm.Tool{Name: wt.Function.Name, Description: wt.Function.Description, Parameters: wt.Function.Parameters})
	}
	for _, wt := range w.Functions {
		r.Tools = append(r.Tools, llm.Tool{Name: wt.Name, Description: wt.Description, Parameters: wt.Parameters})
	}
	if len(w.ToolChoice) > 0 {
		var mode string
		if json.Unmarshal(w.ToolChoice, &mode) == nil {
			r.ToolChoice = &llm.ToolChoice{Mode: mode}
		} else {
			var fn struct {
				Function struct {
					Name string `json:"name"`
				} `json:"function"`
			}
			if err := json.Unmarshal(w.ToolChoice, &fn); err != nil {
				t.Fatalf("%s: tool_choice: %v", path, err)
			}
			r.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: fn.Function.Name}
		}
	}
	if rf := w.ResponseFormat; rf != nil {
		r.ResponseFormat = &llm.ResponseFormat{Type: rf.Type}
		if js := rf.JSONSchema; js != nil {
			r.ResponseFormat.Name, r.ResponseFormat.Schema = js.Name, js.Schema
		}
	}
	return r
}

// loadResponse reads a recorded answer: a JSON body, or an SSE stream assembled into one.
func loadResponse(t *testing.T, path string) (*llm.Response, *wireUsage) {
	t.Helper()
	if strings.HasSuffix(path, ".sse") {
		return loadStream(t, path)
	}
	var w wireResponse
	readJSON(t, path, &w)
	r := &llm.Response{Model: w.Model}
	for _, c := range w.Choices {
		m := llm.Message{Role: c.Message.Role}
		if c.Message.Content != nil {
			m.Content = []llm.Part{llm.TextPart(*c.Message.Content)}
		}
		if c.Message.Refusal != nil {
			m.Refusal = *c.Message.Refusal
		}
		for _, tc := range c.Message.ToolCalls {
			m.ToolCalls = append(m.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
		}
		if fc := c.Message.FunctionCall; fc != nil {
			m.ToolCalls = append(m.ToolCalls, llm.ToolCall{Name: fc.Name, Arguments: fc.Arguments})
		}
		r.Choices = append(r.Choices, llm.Choice{Message: m})
	}
	return r, w.Usage
}

func loadStream(t *testing.T, path string) (*llm.Response, *wireUsage) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var (
		text  strings.Builder
		calls []llm.ToolCall
		usage *wireUsage
	)
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok || data == "[DONE]" {
			continue
		}
		var ev struct {
			Choices []struct {
				Delta struct {
					Content   string `json:"content"`
					ToolCalls []struct {
						Index    int          `json:"index"`
						Function wireFunction `json:"function"`
					} `json:"tool_calls"`
				} `json:"delta"`
			} `json:"choices"`
			Usage *wireUsage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if ev.Usage != nil {
			usage = ev.Usage
		}
		for _, c := range ev.Choices {
			text.WriteString(c.Delta.Content)
			for _, tc := range c.Delta.ToolCalls {
				for len(calls) <= tc.Index {
					calls = append(calls, llm.ToolCall{})
				}
				calls[tc.Index].Name += tc.Function.Name
				calls[tc.Index].Arguments += tc.Function.Arguments
			}
		}
	}
	m := llm.Message{Role: llm.RoleAssistant, ToolCalls: calls}
	if text.Len() > 0 {
		m.Content = []llm.Part{llm.TextPart(text.String())}
	}
	return &llm.Response{Choices: []llm.Choice{{Message: m}}}, usage
}

// fixture returns the request and response paths of a recorded case in dir.
func fixture(dir, name string) (req, resp string) {
	req = filepath.Join(dir, name+".request.json")
	resp = filepath.Join(dir, name+".response.json")
	if _, err := os.Stat(resp); err != nil {
		resp = filepath.Join(dir, name+".response.sse")
	}
	return req, resp
}
