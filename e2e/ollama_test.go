package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// ollamaConfig points discovery at f, as if Ollama ran there.
func ollamaConfig(f *fakeOllama) string {
	return fmt.Sprintf("discovery:\n  skip_default_ports: true\n  engines:\n    - kind: ollama\n      url: %s\n", f.URL)
}

// ollamaChatBody is the part of the gateway's /api/chat request the tests check.
type ollamaChatBody struct {
	Model    string `json:"model"`
	Stream   *bool  `json:"stream"`
	Messages []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
	Tools   []json.RawMessage `json:"tools"`
	Options *struct {
		NumCtx     int  `json:"num_ctx"`
		NumPredict *int `json:"num_predict"`
	} `json:"options"`
}

func lastOllamaChat(t *testing.T, f *fakeOllama) ollamaChatBody {
	t.Helper()
	var b ollamaChatBody
	if err := json.Unmarshal(f.seen.last(t, "/api/chat").Body, &b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOllamaChat(t *testing.T) {
	t.Parallel()
	f := newFakeOllama(t, nil)
	g := startGateway(t, ollamaConfig(f))
	c := g.client()
	recordedText, final := recordedOllamaStream(t, fixture(t, "ollama/chat_stream.response.ndjson"))

	t.Run("plain", func(t *testing.T) {
		var httpResp *http.Response
		resp, err := c.Chat.Completions.New(testCtx(t), openai.ChatCompletionNewParams{
			Model: "ollama/gemma3:1b", Messages: userMessage(), MaxTokens: openai.Int(50),
		}, option.WithResponseInto(&httpResp))
		if err != nil {
			t.Fatal(err)
		}
		checkRoute(t, httpResp, "local", "ollama/gemma3:1b")
		up := lastOllamaChat(t, f)
		if up.Model != "gemma3:1b" || up.Stream == nil || *up.Stream {
			t.Errorf("upstream model %q stream %v, want gemma3:1b and stream false", up.Model, up.Stream)
		}
		if len(up.Messages) != 1 || up.Messages[0].Content != secretPrompt {
			t.Errorf("upstream messages %+v, want the caller's prompt", up.Messages)
		}
		if up.Options == nil || up.Options.NumPredict == nil || *up.Options.NumPredict != 50 {
			t.Errorf("upstream options %+v, want num_predict 50", up.Options)
		}
		if len(resp.Choices) != 1 {
			t.Fatalf("%d choices", len(resp.Choices))
		}
		if ch := resp.Choices[0]; ch.Message.Content != recordedText || ch.FinishReason != "stop" {
			t.Errorf("answer %q (%s), want %q (stop)", ch.Message.Content, ch.FinishReason, recordedText)
		}
		if u := resp.Usage; u.PromptTokens != final.PromptEvalCount || u.CompletionTokens != final.EvalCount ||
			u.TotalTokens != final.PromptEvalCount+final.EvalCount {
			t.Errorf("usage %+v, want %d + %d", u, final.PromptEvalCount, final.EvalCount)
		}
		if resp.Object != "chat.completion" || resp.ID == "" {
			t.Errorf("object %q id %q", resp.Object, resp.ID)
		}
	})

	t.Run("stream", func(t *testing.T) {
		var httpResp *http.Response
		s := c.Chat.Completions.NewStreaming(testCtx(t), openai.ChatCompletionNewParams{
			Model: "ollama/gemma3:1b", Messages: userMessage(),
			StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
		}, option.WithResponseInto(&httpResp))
		var acc openai.ChatCompletionAccumulator
		var finish []string
		usageChunks := 0
		for s.Next() {
			ch := s.Current()
			if !acc.AddChunk(ch) {
				t.Fatalf("the accumulator rejected %s", ch.RawJSON())
			}
			if ch.Object != "chat.completion.chunk" {
				t.Errorf("object %q", ch.Object)
			}
			for _, c := range ch.Choices {
				if c.FinishReason != "" {
					finish = append(finish, c.FinishReason)
				}
			}
			if ch.JSON.Usage.Valid() && ch.Usage.TotalTokens > 0 {
				usageChunks++
				if len(ch.Choices) != 0 {
					t.Errorf("usage chunk has %d choices; OpenAI sends usage on a chunk of its own with none", len(ch.Choices))
				}
			}
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		checkRoute(t, httpResp, "local", "ollama/gemma3:1b")
		if up := lastOllamaChat(t, f); up.Stream == nil || !*up.Stream {
			t.Errorf("upstream was not asked to stream")
		}
		if got := acc.Choices[0].Message.Content; got != recordedText {
			t.Errorf("text %q, want %q", got, recordedText)
		}
		if !slices.Equal(finish, []string{"stop"}) {
			t.Errorf("finish reasons %q, want one stop", finish)
		}
		if usageChunks != 1 {
			t.Errorf("%d usage chunks, want 1", usageChunks)
		}
		if u := acc.Usage; u.PromptTokens != final.PromptEvalCount || u.CompletionTokens != final.EvalCount {
			t.Errorf("usage %+v, want %d + %d", u, final.PromptEvalCount, final.EvalCount)
		}
	})

	t.Run("stream without usage", func(t *testing.T) {
		s := c.Chat.Completions.NewStreaming(testCtx(t), openai.ChatCompletionNewParams{
			Model: "ollama/gemma3:1b", Messages: userMessage()})
		var text string
		for s.Next() {
			ch := s.Current()
			if ch.JSON.Usage.Valid() && ch.Usage.TotalTokens > 0 {
				t.Errorf("usage sent though the caller did not ask for it: %s", ch.RawJSON())
			}
			for _, c := range ch.Choices {
				text += c.Delta.Content
			}
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if text != recordedText {
			t.Errorf("text %q, want %q", text, recordedText)
		}
	})
}

func TestOllamaTools(t *testing.T) {
	t.Parallel()
	f := newFakeOllama(t, nil)
	g := startGateway(t, ollamaConfig(f))
	c := g.client()

	params := openai.ChatCompletionNewParams{Model: "ollama/llama3.2", Messages: userMessage(),
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
			Name: "get_weather", Description: openai.String("Get the weather in a given city"),
			Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{
				"city": map[string]any{"type": "string"}}, "required": []string{"city"}}})}}
	check := func(t *testing.T, m openai.ChatCompletionMessage, finish string) {
		t.Helper()
		if finish != "tool_calls" {
			t.Errorf("finish_reason %q, want tool_calls", finish)
		}
		if len(m.ToolCalls) != 1 {
			t.Fatalf("%d tool calls, want 1", len(m.ToolCalls))
		}
		tc := m.ToolCalls[0]
		var args map[string]string
		if err := json.Unmarshal([]byte(tc.Function.Arguments), &args); err != nil {
			t.Errorf("arguments %q are not JSON: %v", tc.Function.Arguments, err)
		}
		if tc.Function.Name != "get_weather" || args["city"] != "Tokyo" || tc.ID == "" || tc.Type != "function" {
			t.Errorf("tool call %+v, want get_weather({\"city\":\"Tokyo\"}) with an id", tc)
		}
		up := lastOllamaChat(t, f)
		if up.Model != "llama3.2:latest" || len(up.Tools) != 1 {
			t.Errorf("upstream model %q with %d tools, want llama3.2:latest with 1", up.Model, len(up.Tools))
		}
	}

	t.Run("plain", func(t *testing.T) {
		var httpResp *http.Response
		resp, err := c.Chat.Completions.New(testCtx(t), params, option.WithResponseInto(&httpResp))
		if err != nil {
			t.Fatal(err)
		}
		checkRoute(t, httpResp, "local", "ollama/llama3.2:latest")
		check(t, resp.Choices[0].Message, resp.Choices[0].FinishReason)
	})
	t.Run("stream", func(t *testing.T) {
		p := params
		p.StreamOptions.IncludeUsage = openai.Bool(true)
		s := c.Chat.Completions.NewStreaming(testCtx(t), p)
		var acc openai.ChatCompletionAccumulator
		for s.Next() {
			acc.AddChunk(s.Current())
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		check(t, acc.Choices[0].Message, acc.Choices[0].FinishReason)
		// testdata/ollama/docs_chat_tools_stream.response.ndjson's final line.
		if u := acc.Usage; u.PromptTokens != 169 || u.CompletionTokens != 15 {
			t.Errorf("usage %+v, want 169 + 15", u)
		}
	})
}

func TestOllamaEmbeddings(t *testing.T) {
	t.Parallel()
	f := newFakeOllama(t, nil)
	g := startGateway(t, ollamaConfig(f))
	var httpResp *http.Response
	c := g.client()
	resp, err := c.Embeddings.New(testCtx(t), openai.EmbeddingNewParams{Model: "ollama/nomic-embed-text",
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String(secretPrompt)}}, option.WithResponseInto(&httpResp))
	if err != nil {
		t.Fatal(err)
	}
	checkRoute(t, httpResp, "local", "ollama/nomic-embed-text:latest")
	var rec struct {
		Embeddings      [][]float64 `json:"embeddings"`
		PromptEvalCount int64       `json:"prompt_eval_count"`
	}
	if err := json.Unmarshal(fixture(t, "ollama/embed.response.json"), &rec); err != nil {
		t.Fatal(err)
	}
	if len(resp.Data) != 1 || !equalVec(resp.Data[0].Embedding, rec.Embeddings[0]) || resp.Data[0].Index != 0 {
		t.Errorf("embedding differs from the recording (%d items)", len(resp.Data))
	}
	if resp.Usage.PromptTokens != rec.PromptEvalCount {
		t.Errorf("usage %+v, want %d prompt tokens", resp.Usage, rec.PromptEvalCount)
	}
	var up struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}
	if err := json.Unmarshal(f.seen.last(t, "/api/embed").Body, &up); err != nil {
		t.Fatal(err)
	}
	if up.Model != "nomic-embed-text:latest" || !slices.Equal(up.Input, []string{secretPrompt}) {
		t.Errorf("upstream embed request %+v", up)
	}
}

func TestOllamaModels(t *testing.T) {
	t.Parallel()
	f := newFakeOllama(t, nil)
	g := startGateway(t, ollamaConfig(f))
	c := g.client()
	page, err := c.Models.List(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	type info struct {
		Route         string   `json:"route"`
		ContextLength int      `json:"context_length"`
		Capabilities  []string `json:"capabilities"`
	}
	got := map[string]info{}
	for _, m := range page.Data {
		var i info
		if err := json.Unmarshal([]byte(m.RawJSON()), &i); err != nil {
			t.Fatal(err)
		}
		got[m.ID] = i
	}
	// From testdata/ollama/e2e_tags.json and e2e_show.json.
	for id, want := range map[string]info{
		"ollama/llama3.2:latest":         {"local", 131072, []string{"chat", "tools"}},
		"ollama/gemma3:1b":               {"local", 32768, []string{"chat"}},
		"ollama/nomic-embed-text:latest": {"local", 2048, []string{"embeddings"}},
		"ollama/deepseek-r1:latest":      {"local", 131072, []string{"chat", "thinking"}},
	} {
		g, ok := got[id]
		if !ok {
			t.Errorf("models lack %s: %v", id, got)
			continue
		}
		if g.Route != want.Route || g.ContextLength != want.ContextLength || !slices.Equal(g.Capabilities, want.Capabilities) {
			t.Errorf("%s: %+v, want %+v", id, g, want)
		}
	}
}
