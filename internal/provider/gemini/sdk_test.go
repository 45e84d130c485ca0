package gemini

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/genai"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/wiretest"
)

// These tests hold the adapter against Google's official Go SDK (google.golang.org/genai):
// the SDK reads the same recorded answers from the same fake, and the SDK's types read the
// requests the adapter builds. Where both agree, neither the fake nor the adapter has drifted
// from the format the SDK was generated from.

func sdkClient(t *testing.T, f *fakeGemini) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{APIKey: testKey, Backend: genai.BackendGeminiAPI,
		HTTPClient: f.Client(), HTTPOptions: genai.HTTPOptions{BaseURL: f.URL + "/", APIVersion: "v1beta"}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sdkView is what the SDK reads from an answer, in canonical terms.
type sdkView struct {
	id, model, text, thoughts string
	calls                     []llm.ToolCall // ids left out: Gemini sent none
	input, output, reasoning  int
	finish                    string
}

func viewOfSDK(t *testing.T, r *genai.GenerateContentResponse, v *sdkView) {
	t.Helper()
	v.id, v.model = r.ResponseID, r.ModelVersion
	if u := r.UsageMetadata; u != nil {
		v.input, v.output, v.reasoning = int(u.PromptTokenCount), int(u.CandidatesTokenCount+u.ThoughtsTokenCount), int(u.ThoughtsTokenCount)
	}
	for _, c := range r.Candidates {
		if c.FinishReason != "" {
			v.finish = string(c.FinishReason)
		}
		if c.Content == nil {
			continue
		}
		for _, p := range c.Content.Parts {
			switch {
			case p.FunctionCall != nil:
				args, err := json.Marshal(p.FunctionCall.Args)
				if err != nil {
					t.Fatal(err)
				}
				if p.FunctionCall.Args == nil {
					args = []byte("{}")
				}
				v.calls = append(v.calls, llm.ToolCall{Name: p.FunctionCall.Name, Arguments: string(args),
					Signature: sigString(p.ThoughtSignature)})
			case p.Thought:
				v.thoughts += p.Text
			default:
				v.text += p.Text
			}
		}
	}
}

func sigString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return base64.StdEncoding.EncodeToString(b)
}

// sameArgs compares argument texts as JSON values.
func sameArgs(t *testing.T, a, b string) bool {
	return reflect.DeepEqual(wiretest.DecodeAny(t, []byte(a)), wiretest.DecodeAny(t, []byte(b)))
}

func TestSDKReadsAnswersAlike(t *testing.T) {
	// The langchaingo recordings use enum-encoding=int, which the SDK's string enums do not
	// read; the adapter reads both (TestChatFixtures).
	tests := []struct {
		fixture, model string
		stream         bool
	}{
		{"generate_content.response.json", "gemini-2.5-flash", false},
		{"function_call.response.json", "gemini-3-flash-preview", false},
		{"stream_generate_content.response.sse", "gemini-2.0-flash-exp", true},
		{"stream_function_call.response.sse", "gemini-3-pro-preview", true},
		{"stream_thinking.response.sse", "gemini-2.5-pro", true},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			path := chatPath(tt.model)
			if tt.stream {
				path = streamPath(tt.model)
			}
			f := newFake(t, map[string]http.HandlerFunc{path: serveFixture(t, tt.fixture)})
			ctx := context.Background()

			var sdk sdkView
			if tt.stream {
				for r, err := range sdkClient(t, f).Models.GenerateContentStream(ctx, tt.model, genai.Text("hi"), nil) {
					if err != nil {
						t.Fatal(err)
					}
					viewOfSDK(t, r, &sdk)
				}
			} else {
				r, err := sdkClient(t, f).Models.GenerateContent(ctx, tt.model, genai.Text("hi"), nil)
				if err != nil {
					t.Fatal(err)
				}
				viewOfSDK(t, r, &sdk)
			}
			sdkReq := f.last(t)

			var ours sdkView
			req := &llm.Request{Model: tt.model, Messages: []llm.Message{user("hi")}}
			var usage *llm.Usage
			if tt.stream {
				s, err := f.client(Options{}).Stream(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				chunks, err := collect(t, s)
				s.Close()
				if err != nil {
					t.Fatal(err)
				}
				for _, ch := range chunks {
					ours.id, ours.model = ch.ID, ch.Model
					usage = ch.Usage
					c := ch.Choices[0]
					ours.text += c.Delta.Content
					ours.thoughts += c.Delta.Reasoning
					for _, d := range c.Delta.ToolCalls {
						ours.calls = append(ours.calls, llm.ToolCall{Name: d.Name, Arguments: d.Arguments, Signature: d.Signature})
					}
					if c.FinishReason != "" {
						ours.finish = c.FinishReason
					}
				}
			} else {
				r, err := f.client(Options{}).Chat(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				m := r.Choices[0].Message
				ours.id, ours.model, ours.text, ours.thoughts, ours.finish, usage = r.ID, r.Model, m.Text(), m.Reasoning, r.Choices[0].FinishReason, r.Usage
				for _, tc := range m.ToolCalls {
					ours.calls = append(ours.calls, llm.ToolCall{Name: tc.Name, Arguments: tc.Arguments, Signature: tc.Signature})
				}
			}
			ours.input, ours.output, ours.reasoning = usage.InputTokens, usage.OutputTokens, usage.ReasoningTokens

			if ours.id != sdk.id || ours.model != sdk.model || ours.text != sdk.text || ours.thoughts != sdk.thoughts ||
				ours.input != sdk.input || ours.output != sdk.output || ours.reasoning != sdk.reasoning {
				t.Errorf("ours %+v\n sdk %+v", ours, sdk)
			}
			if want := map[bool]string{true: llm.FinishToolCalls, false: llm.FinishStop}[len(sdk.calls) > 0]; sdk.finish != "STOP" || ours.finish != want {
				t.Errorf("finish: sdk %q, ours %q", sdk.finish, ours.finish)
			}
			if len(ours.calls) != len(sdk.calls) {
				t.Fatalf("%d calls, the SDK read %d", len(ours.calls), len(sdk.calls))
			}
			for i := range sdk.calls {
				if ours.calls[i].Name != sdk.calls[i].Name || !sameArgs(t, ours.calls[i].Arguments, sdk.calls[i].Arguments) ||
					ours.calls[i].Signature != sdk.calls[i].Signature {
					t.Errorf("call %d: ours %+v, sdk %+v", i, ours.calls[i], sdk.calls[i])
				}
			}

			// Both clients asked for the same thing in the same place.
			ourReq := f.last(t)
			if ourReq.path != sdkReq.path || ourReq.query != sdkReq.query || ourReq.header.Get("x-goog-api-key") != sdkReq.header.Get("x-goog-api-key") {
				t.Errorf("ours %s?%s, sdk %s?%s", ourReq.path, ourReq.query, sdkReq.path, sdkReq.query)
			}
			if g, s := at(wiretest.DecodeAny(t, ourReq.body), "contents"), at(wiretest.DecodeAny(t, sdkReq.body), "contents"); !reflect.DeepEqual(g, s) {
				t.Errorf("contents: ours %v, sdk %v", g, s)
			}
		})
	}
}

// TestSDKTypesReadRequests decodes the adapter's requests into the SDK's types with unknown
// fields refused: a misspelt field name would fail here.
func TestSDKTypesReadRequests(t *testing.T) {
	sig := base64.StdEncoding.EncodeToString([]byte("opaque signature"))
	req := llm.Request{
		Model: "gemini-2.5-flash",
		Messages: []llm.Message{
			system("Be brief."),
			{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart("Look"),
				{Type: llm.PartImage, ImageURL: "data:image/png;base64,iVBORw0KGgo="},
				{Type: llm.PartImage, ImageURL: "https://example.com/a.png"},
				{Type: llm.PartDocument, MediaType: "application/pdf", Data: "JVBERi0x"}}},
			{Role: llm.RoleAssistant, Content: []llm.Part{llm.TextPart("Checking.")},
				ToolCalls: []llm.ToolCall{{ID: "c1", Name: "get_weather", Arguments: `{"city":"Paris"}`, Signature: sig}}},
			{Role: llm.RoleTool, ToolCallID: "c1", Content: []llm.Part{llm.TextPart(`{"temp":21}`),
				{Type: llm.PartImage, ImageURL: "data:image/png;base64,iVBORw0KGgo="}}},
		},
		Tools:          []llm.Tool{{Name: "get_weather", Description: "Weather", Parameters: weather}},
		ToolChoice:     &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "get_weather"},
		ResponseFormat: &llm.ResponseFormat{Type: llm.ResponseJSONSchema, Schema: weather},
		Temperature:    ptr(0.2), TopP: ptr(0.9), TopK: ptr(40), MaxTokens: ptr(100), Stop: []string{"x"}, Seed: ptr(int64(7)),
		N: ptr(1), PresencePenalty: ptr(0.1), FrequencyPenalty: ptr(0.1), Logprobs: ptr(true), TopLogprobs: ptr(2),
		Thinking: &llm.Thinking{Type: llm.ThinkingEnabled, BudgetTokens: 1024},
	}
	body, err := encodeRequest(&req, "gemini")
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		Contents          []*genai.Content        `json:"contents"`
		SystemInstruction *genai.Content          `json:"systemInstruction"`
		Tools             []*genai.Tool           `json:"tools"`
		ToolConfig        *genai.ToolConfig       `json:"toolConfig"`
		GenerationConfig  *genai.GenerationConfig `json:"generationConfig"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	gc := w.GenerationConfig
	if len(w.Contents) != 3 || w.Contents[1].Role != "model" || string(w.Contents[1].Parts[1].ThoughtSignature) != "opaque signature" ||
		w.Contents[2].Parts[0].FunctionResponse.Name != "get_weather" || w.Contents[2].Parts[0].FunctionResponse.Parts[0].InlineData == nil ||
		w.Contents[0].Parts[2].FileData.MIMEType != "image/png" || w.Tools[0].FunctionDeclarations[0].ParametersJsonSchema == nil ||
		w.ToolConfig.FunctionCallingConfig.Mode != genai.FunctionCallingConfigModeAny || gc.ResponseJsonSchema == nil ||
		*gc.ThinkingConfig.ThinkingBudget != 1024 || !gc.ThinkingConfig.IncludeThoughts || !gc.ResponseLogprobs || *gc.Logprobs != 2 ||
		*gc.Seed != 7 || *gc.TopK != 40 || gc.MaxOutputTokens != 100 || gc.CandidateCount != 1 {
		t.Errorf("the SDK reads the request differently: %s", body)
	}
	if !strings.Contains(string(body), `"parametersJsonSchema"`) || strings.Contains(string(body), `"parameters"`) {
		t.Errorf("schema field: %s", body)
	}
}
