package e2e_test

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// fakeaiConfig declares f as the cloud provider "fakeai" with a literal key.
func fakeaiConfig(f *fakeOpenAI) string {
	return fmt.Sprintf(`providers:
  - name: fakeai
    type: openai
    base_url: %s/v1
    api_key: %s
    local: false
    models: [gpt-4o-mini]
`, f.URL, testAPIKey)
}

func userMessage() []openai.ChatCompletionMessageParamUnion {
	return []openai.ChatCompletionMessageParamUnion{openai.UserMessage(secretPrompt)}
}

// checkRoute asserts the headers that explain where an answer came from.
func checkRoute(t *testing.T, resp *http.Response, route, model string) {
	t.Helper()
	if resp == nil {
		t.Fatal("no HTTP response captured")
	}
	if got := resp.Header.Get("X-Sovereign-Route"); got != route {
		t.Errorf("X-Sovereign-Route %q, want %q", got, route)
	}
	if got := resp.Header.Get("X-Sovereign-Model"); got != model {
		t.Errorf("X-Sovereign-Model %q, want %q", got, model)
	}
	if got := resp.Header.Get("X-Sovereign-Request-Id"); !strings.HasPrefix(got, "req_") {
		t.Errorf("X-Sovereign-Request-Id %q, want req_…", got)
	}
}

// checkForwarded asserts that the upstream got the provider's own model id and key, and the
// caller's prompt.
func checkForwarded(t *testing.T, r seenRequest, model string) {
	t.Helper()
	if r.Auth != "Bearer "+testAPIKey {
		t.Errorf("upstream Authorization %q, want the configured key", r.Auth)
	}
	var body struct {
		Model    string `json:"model"`
		Messages []struct {
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("upstream body: %v: %s", err, r.Body)
	}
	if body.Model != model {
		t.Errorf("upstream model %q, want %q", body.Model, model)
	}
	if len(body.Messages) == 0 || body.Messages[len(body.Messages)-1].Content != secretPrompt {
		t.Errorf("upstream messages %s do not end with the caller's prompt", r.Body)
	}
}

func TestOpenAIChatPlain(t *testing.T) {
	t.Parallel()
	f := newFakeOpenAI(t, nil)
	g := startGateway(t, fakeaiConfig(f))
	ctx := testCtx(t)

	var httpResp *http.Response
	c := g.client()
	resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "fakeai/gpt-4o-mini", Messages: userMessage(),
	}, option.WithResponseInto(&httpResp))
	if err != nil {
		t.Fatal(err)
	}
	checkRoute(t, httpResp, "cloud", "fakeai/gpt-4o-mini")
	checkForwarded(t, f.seen.last(t, "/v1/chat/completions"), "gpt-4o-mini")

	// Values of testdata/openai-chat/plain.response.json.
	if resp.ID != "chatcmpl-BJyAKqCjJI3mIdQmTSW6UlG6NKpjm" {
		t.Errorf("id %q", resp.ID)
	}
	if len(resp.Choices) != 1 {
		t.Fatalf("%d choices, want 1", len(resp.Choices))
	}
	ch := resp.Choices[0]
	if want := "That's right—I am a potato! A spud of many talents, here to help you out. How can this humble potato be of service today?"; ch.Message.Content != want {
		t.Errorf("content %q, want %q", ch.Message.Content, want)
	}
	if ch.FinishReason != "stop" {
		t.Errorf("finish_reason %q, want stop", ch.FinishReason)
	}
	u := resp.Usage
	if u.PromptTokens != 11 || u.CompletionTokens != 809 || u.TotalTokens != 820 || u.CompletionTokensDetails.ReasoningTokens != 768 {
		t.Errorf("usage %+v, want 11 prompt, 809 completion (768 reasoning), 820 total", u)
	}

	// The upstream's answer reaches an OpenAI-format caller byte for byte.
	raw, _ := json.Marshal(map[string]any{"model": "fakeai/gpt-4o-mini", "messages": []map[string]string{{"role": "user", "content": secretPrompt}}})
	hr, body := g.post(ctx, t, "/v1/chat/completions", raw)
	if hr.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", hr.StatusCode, body)
	}
	if want := fixture(t, "openai-chat/plain.response.json"); !bytes.Equal(body, want) {
		t.Errorf("body differs from the recorded answer:\n got %s\nwant %s", body, want)
	}
}

func TestOpenAIChatStream(t *testing.T) {
	t.Parallel()
	f := newFakeOpenAI(t, nil)
	g := startGateway(t, fakeaiConfig(f))
	ctx := testCtx(t)

	var httpResp *http.Response
	c := g.client()
	stream := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model: "fakeai/gpt-4o-mini", Messages: userMessage(),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}, option.WithResponseInto(&httpResp))
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		if !acc.AddChunk(stream.Current()) {
			t.Fatalf("the accumulator rejected chunk %d", chunks)
		}
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	checkRoute(t, httpResp, "cloud", "fakeai/gpt-4o-mini")
	up := f.seen.last(t, "/v1/chat/completions")
	checkForwarded(t, up, "gpt-4o-mini")
	if !bytes.Contains(up.Body, []byte(`"stream_options":{"include_usage":true}`)) {
		t.Errorf("upstream was not asked for usage: %s", up.Body)
	}
	// Values of testdata/openai-chat/stream_text_include_usage.response.sse.
	if chunks != 11 {
		t.Errorf("%d chunks, want the 11 recorded", chunks)
	}
	if len(acc.Choices) != 1 {
		t.Fatalf("%d choices, want 1", len(acc.Choices))
	}
	if got := acc.Choices[0].Message.Content; got != "The capital of the UK is London." {
		t.Errorf("text %q", got)
	}
	if got := acc.Choices[0].FinishReason; got != "stop" {
		t.Errorf("finish_reason %q, want stop", got)
	}
	if u := acc.Usage; u.PromptTokens != 78 || u.CompletionTokens != 9 || u.TotalTokens != 87 {
		t.Errorf("usage %+v, want 78 + 9 = 87", u)
	}

	// What the client receives is the recorded stream's data lines, byte for byte.
	raw, _ := json.Marshal(map[string]any{"model": "fakeai/gpt-4o-mini", "stream": true,
		"stream_options": map[string]bool{"include_usage": true},
		"messages":       []map[string]string{{"role": "user", "content": secretPrompt}}})
	hr, body := g.post(ctx, t, "/v1/chat/completions", raw)
	if hr.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", hr.StatusCode, body)
	}
	if ct := hr.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		t.Errorf("Content-Type %q", ct)
	}
	got, want := dataLines(body), dataLines(fixture(t, "openai-chat/stream_text_include_usage.response.sse"))
	if !slices.Equal(got, want) {
		t.Errorf("data lines differ from the recording:\n got %q\nwant %q", got, want)
	}
}

// TestOpenAICompatibleStream replays OpenRouter's stream, which interleaves SSE comments and
// sends its usage on a chunk that still has a choice.
func TestOpenAICompatibleStream(t *testing.T) {
	t.Parallel()
	f := newFakeOpenAI(t, func(w http.ResponseWriter, r *http.Request) {
		writeSSE(w, load(t, "openai-compatible/openrouter_stream_include_usage.response.sse"))
	})
	g := startGateway(t, fakeaiConfig(f))
	c := g.client()
	stream := c.Chat.Completions.NewStreaming(testCtx(t), openai.ChatCompletionNewParams{
		Model: "fakeai/meta-llama/llama-3.2-3b-instruct:free", Messages: userMessage(),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var acc openai.ChatCompletionAccumulator
	var finish []string
	for stream.Next() {
		ch := stream.Current()
		acc.AddChunk(ch)
		for _, c := range ch.Choices {
			if c.FinishReason != "" {
				finish = append(finish, c.FinishReason)
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	checkForwarded(t, f.seen.last(t, "/v1/chat/completions"), "meta-llama/llama-3.2-3b-instruct:free")
	if len(acc.Choices) != 1 || acc.Choices[0].Message.Content != "test response" {
		t.Errorf("accumulated %+v, want \"test response\"", acc.Choices)
	}
	// OpenRouter's usage chunk comes after the finish with finish_reason null, which the SDK's
	// accumulator copies over the finish reason; look at the chunks instead.
	if !slices.Equal(finish, []string{"stop"}) {
		t.Errorf("finish reasons %q, want one stop", finish)
	}
	if u := acc.Usage; u.PromptTokens != 586 || u.CompletionTokens != 3 {
		t.Errorf("usage %+v, want 586 + 3", u)
	}
}

func TestOpenAIToolCalls(t *testing.T) {
	t.Parallel()
	f := newFakeOpenAI(t, nil)
	g := startGateway(t, fakeaiConfig(f))
	c := g.client()

	tool := func(name string) openai.ChatCompletionToolUnionParam {
		return openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: name,
			Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{}}})
	}
	type call struct{ name, args string }
	for _, tc := range []struct {
		name   string
		stream bool
		tools  []string
		want   []call
	}{
		// The fake picks the recording by the first tool's name.
		{"plain", false, []string{"get_user_country"}, []call{{"get_user_country", "{}"}}},
		{"stream", true, []string{"get_capital"}, []call{{"get_capital", `{"country":"UK"}`}}},
		{"stream parallel", true, []string{"get_country", "get_product_name"}, []call{{"get_country", "{}"}, {"get_product_name", "{}"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			p := openai.ChatCompletionNewParams{Model: "fakeai/gpt-4o-mini", Messages: userMessage(),
				ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("auto")}}
			for _, n := range tc.tools {
				p.Tools = append(p.Tools, tool(n))
			}
			var msg openai.ChatCompletionMessage
			var finish string
			if tc.stream {
				p.StreamOptions.IncludeUsage = openai.Bool(true)
				s := c.Chat.Completions.NewStreaming(ctx, p)
				var acc openai.ChatCompletionAccumulator
				for s.Next() {
					acc.AddChunk(s.Current())
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
				if len(acc.Choices) != 1 {
					t.Fatalf("%d choices", len(acc.Choices))
				}
				msg, finish = acc.Choices[0].Message, acc.Choices[0].FinishReason
			} else {
				resp, err := c.Chat.Completions.New(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				msg, finish = resp.Choices[0].Message, resp.Choices[0].FinishReason
			}
			if finish != "tool_calls" {
				t.Errorf("finish_reason %q, want tool_calls", finish)
			}
			var got []call
			for _, x := range msg.ToolCalls {
				if x.ID == "" {
					t.Errorf("tool call %q has no id", x.Function.Name)
				}
				got = append(got, call{x.Function.Name, x.Function.Arguments})
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("tool calls %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestOpenAIJSONSchema(t *testing.T) {
	t.Parallel()
	f := newFakeOpenAI(t, nil)
	g := startGateway(t, fakeaiConfig(f))
	c := g.client()
	ctx := testCtx(t)

	schema := openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &openai.ResponseFormatJSONSchemaParam{
		JSONSchema: openai.ResponseFormatJSONSchemaJSONSchemaParam{Name: "math_schema", Strict: openai.Bool(true),
			Schema: map[string]any{"type": "object", "properties": map[string]any{"final_answer": map[string]any{"type": "string"}},
				"required": []string{"final_answer"}, "additionalProperties": false}}}}

	// testdata/openai-chat/json_schema_raw: the answer is JSON that fits the schema.
	resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "fakeai/gpt-4o-mini",
		Messages: userMessage(), ResponseFormat: schema})
	if err != nil {
		t.Fatal(err)
	}
	var answer struct {
		FinalAnswer string `json:"final_answer"`
	}
	if err := json.Unmarshal([]byte(resp.Choices[0].Message.Content), &answer); err != nil || answer.FinalAnswer != "4" {
		t.Errorf("content %q, want {\"final_answer\":\"4\"} (%v)", resp.Choices[0].Message.Content, err)
	}
	var up struct {
		ResponseFormat struct {
			Type       string `json:"type"`
			JSONSchema struct {
				Name   string          `json:"name"`
				Strict bool            `json:"strict"`
				Schema json.RawMessage `json:"schema"`
			} `json:"json_schema"`
		} `json:"response_format"`
	}
	if err := json.Unmarshal(f.seen.last(t, "/v1/chat/completions").Body, &up); err != nil {
		t.Fatal(err)
	}
	if rf := up.ResponseFormat; rf.Type != "json_schema" || rf.JSONSchema.Name != "math_schema" || !rf.JSONSchema.Strict ||
		!bytes.Contains(rf.JSONSchema.Schema, []byte(`"final_answer"`)) {
		t.Errorf("upstream response_format %+v, want the caller's schema", rf)
	}

	// testdata/openai-chat/json_schema_response_format: with a tool on offer the model calls it
	// first.
	resp, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "fakeai/gpt-4o-mini",
		Messages: userMessage(), ResponseFormat: schema,
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
			Name: "get_user_country", Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{}}})}})
	if err != nil {
		t.Fatal(err)
	}
	if ch := resp.Choices[0]; ch.FinishReason != "tool_calls" || len(ch.Message.ToolCalls) != 1 ||
		ch.Message.ToolCalls[0].Function.Name != "get_user_country" || resp.Usage.PromptTokens != 71 {
		t.Errorf("answer %+v, want the recorded call of get_user_country", ch)
	}
}

func TestOpenAIEmbeddings(t *testing.T) {
	t.Parallel()
	f := newFakeOpenAI(t, nil)
	g := startGateway(t, fakeaiConfig(f))
	c := g.client()
	ctx := testCtx(t)

	t.Run("float", func(t *testing.T) {
		var httpResp *http.Response
		resp, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "fakeai/text-embedding-3-small",
			Input:      openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{secretPrompt}},
			Dimensions: openai.Int(256)}, option.WithResponseInto(&httpResp))
		if err != nil {
			t.Fatal(err)
		}
		checkRoute(t, httpResp, "cloud", "fakeai/text-embedding-3-small")
		want := recordedFloats(t, "openai-embeddings/float_with_dimensions.response.json")
		if len(resp.Data) != 1 || !equalVec(resp.Data[0].Embedding, want) {
			t.Errorf("embedding differs from the recording (%d items)", len(resp.Data))
		}
		if resp.Usage.PromptTokens != 2 || resp.Usage.TotalTokens != 2 {
			t.Errorf("usage %+v, want 2", resp.Usage)
		}
		up := f.seen.last(t, "/v1/embeddings")
		if !bytes.Contains(up.Body, []byte(`"dimensions":256`)) || !bytes.Contains(up.Body, []byte(`"model":"text-embedding-3-small"`)) {
			t.Errorf("upstream body %s, want model text-embedding-3-small and dimensions 256", up.Body)
		}
	})

	t.Run("base64", func(t *testing.T) {
		resp, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "fakeai/text-embedding-3-small",
			Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{secretPrompt}},
			EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64})
		if err != nil {
			t.Fatal(err)
		}
		want := recordedBase64(t, "openai-embeddings/base64.response.json")
		if len(resp.Data) != 1 || !equalVec(resp.Data[0].Embedding, want) {
			t.Errorf("embedding differs from the recording (%d items)", len(resp.Data))
		}
		if up := f.seen.last(t, "/v1/embeddings"); !bytes.Contains(up.Body, []byte(`"encoding_format":"base64"`)) {
			t.Errorf("upstream was not asked for base64: %s", up.Body)
		}
	})
}

// recordedFloats reads the first vector of a recorded float embeddings answer.
func recordedFloats(t *testing.T, name string) []float64 {
	t.Helper()
	var r struct {
		Data []struct {
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(fixture(t, name), &r); err != nil || len(r.Data) == 0 {
		t.Fatalf("%s: %v", name, err)
	}
	return r.Data[0].Embedding
}

// recordedBase64 reads the first vector of a recorded base64 embeddings answer.
func recordedBase64(t *testing.T, name string) []float64 {
	t.Helper()
	var r struct {
		Data []struct {
			Embedding string `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(fixture(t, name), &r); err != nil || len(r.Data) == 0 {
		t.Fatalf("%s: %v", name, err)
	}
	b, err := base64.StdEncoding.DecodeString(r.Data[0].Embedding)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]float64, len(b)/4)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return out
}

// equalVec compares vectors at float32 precision, the precision embeddings are carried in.
func equalVec(got, want []float64) bool {
	if len(got) != len(want) || len(got) == 0 {
		return false
	}
	for i := range got {
		if float32(got[i]) != float32(want[i]) {
			return false
		}
	}
	return true
}

func TestOpenAIModels(t *testing.T) {
	t.Parallel()
	f := newFakeOpenAI(t, nil)
	g := startGateway(t, fakeaiConfig(f)+"aliases:\n  smart: fakeai/gpt-4o-mini\n")
	c := g.client()
	ctx := testCtx(t)

	page, err := c.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
		if m.Object != "model" || m.OwnedBy == "" {
			t.Errorf("model %+v lacks object or owned_by", m)
		}
	}
	for _, want := range []string{"fakeai/gpt-4o-mini", "fakeai/text-embedding-3-small", "smart"} {
		if !slices.Contains(ids, want) {
			t.Errorf("models %v lack %q", ids, want)
		}
	}

	m, err := c.Models.Get(ctx, "fakeai/gpt-4o-mini")
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != "fakeai/gpt-4o-mini" || m.OwnedBy != "fakeai" {
		t.Errorf("model %+v", m)
	}
	var route struct {
		Route string `json:"route"`
	}
	if err := json.Unmarshal([]byte(m.RawJSON()), &route); err != nil || route.Route != "cloud" {
		t.Errorf("model route %q, want cloud (%v)", route.Route, err)
	}

	_, err = c.Models.Get(ctx, "nope/nothing")
	sdkError(t, err, wantError{status: http.StatusNotFound, code: "model_not_found", param: "model"})
}
