package responseswire_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
	"github.com/sovereign-gateway/sovereign/internal/responseswire"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// ingress is a minimal Responses endpoint built from this package, as the gateway's handler
// uses it: it decodes the request and answers with the canonical answer or chunks it is
// given, or fails the stream after them.
type ingress struct {
	answer *llm.Response
	chunks []*llm.Chunk
	fail   *llm.Error

	mu  sync.Mutex
	req *responseswire.Request // the last request decoded
}

func (g *ingress) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req, err := responseswire.DecodeRequest(body)
	if err != nil {
		e := llm.AsError(err)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.Status)
		_, _ = w.Write(openaiwire.EncodeError(e))
		return
	}
	g.mu.Lock()
	g.req = req
	g.mu.Unlock()
	m := responseswire.Meta{ID: "resp_sdk", CreatedAt: 1700000000, Model: req.Chat.Model, Req: req}
	if !req.Chat.Stream {
		b, err := responseswire.EncodeResponse(g.answer, m)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
		return
	}
	sse.SetHeaders(w.Header())
	sw := sse.NewWriter(w)
	enc := responseswire.NewStreamEncoder(m)
	_ = enc.Start(sw)
	for _, c := range g.chunks {
		_ = enc.Chunk(sw, c)
	}
	if g.fail != nil {
		_ = enc.Fail(sw, g.fail)
		return
	}
	_, _, _ = enc.Finish(sw, "sovereign")
}

func (g *ingress) lastRequest() *responseswire.Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.req
}

func sdkClient(t *testing.T, h http.Handler) openai.Client {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("POST /v1/responses", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return openai.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("test"), option.WithMaxRetries(0))
}

func toolParams() []responses.ToolUnionParam {
	return []responses.ToolUnionParam{
		responses.ToolParamOfFunction("get_weather", map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}, true),
		responses.ToolParamOfCustom("apply_patch"),
	}
}

// TestSDKResponse has the official OpenAI Go SDK read EncodeResponse's objects.
func TestSDKResponse(t *testing.T) {
	g := &ingress{answer: &llm.Response{Model: "up",
		Choices: []llm.Choice{{FinishReason: llm.FinishToolCalls, Message: llm.Message{Role: llm.RoleAssistant,
			Reasoning: "The user wants weather.", Content: []llm.Part{llm.TextPart("Checking the weather.")},
			ToolCalls: []llm.ToolCall{{ID: "call_w", Name: "get_weather", Arguments: `{"city":"Paris"}`},
				{ID: "call_p", Name: "apply_patch", Arguments: `{"input":"*** Begin Patch"}`}}}}},
		Usage: &llm.Usage{InputTokens: 50, CachedInputTokens: 10, OutputTokens: 20, ReasoningTokens: 5}}}
	client := sdkClient(t, g)
	params := responses.ResponseNewParams{
		Model:        "test-model",
		Instructions: openai.String("Be brief."),
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
			responses.ResponseInputItemParamOfMessage("What is the weather in Paris?", responses.EasyInputMessageRoleUser),
		}},
		Tools:       toolParams(),
		Temperature: openai.Float(0.3),
		Store:       openai.Bool(false),
		Metadata:    map[string]string{"k": "v"},
	}
	resp, err := client.Responses.New(context.Background(), params)
	if err != nil {
		t.Fatalf("Responses.New: %v", err)
	}
	if resp.ID != "resp_sdk" || resp.Status != responses.ResponseStatusCompleted || resp.Model != "test-model" || resp.Temperature != 0.3 {
		t.Errorf("response = %s", resp.RawJSON())
	}
	if got := resp.OutputText(); got != "Checking the weather." {
		t.Errorf("OutputText = %q", got)
	}
	if len(resp.Output) != 4 {
		t.Fatalf("output = %s", resp.RawJSON())
	}
	if r := resp.Output[0].AsReasoning(); len(r.Summary) != 1 || r.Summary[0].Text != "The user wants weather." {
		t.Errorf("reasoning = %+v", r)
	}
	if fc := resp.Output[2].AsFunctionCall(); resp.Output[2].Type != "function_call" || fc.CallID != "call_w" || fc.Name != "get_weather" || fc.Arguments != `{"city":"Paris"}` {
		t.Errorf("function call = %+v", fc)
	}
	if ct := resp.Output[3].AsCustomToolCall(); resp.Output[3].Type != "custom_tool_call" || ct.CallID != "call_p" || ct.Input != "*** Begin Patch" {
		t.Errorf("custom tool call = %+v", ct)
	}
	u := resp.Usage
	if u.InputTokens != 50 || u.InputTokensDetails.CachedTokens != 10 || u.OutputTokens != 20 || u.OutputTokensDetails.ReasoningTokens != 5 || u.TotalTokens != 70 {
		t.Errorf("usage = %+v", u)
	}
	// What the SDK sent decoded as meant.
	req := g.lastRequest()
	if req.Instructions != "Be brief." || req.Store || len(req.Chat.Tools) != 2 || !req.CustomTools["apply_patch"] || req.Chat.Messages[1].Text() != "What is the weather in Paris?" {
		t.Errorf("decoded request = %+v, chat %+v", req, req.Chat)
	}

	// The next turn sends the calls and their outputs back as items.
	out := responses.ResponseInputItemParamOfFunctionCallOutput("18°C and sunny")
	out.OfFunctionCallOutput.CallID = openai.String("call_w")
	next := responses.ResponseNewParams{Model: "test-model", Tools: toolParams(), Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
		responses.ResponseInputItemParamOfMessage("What is the weather in Paris?", responses.EasyInputMessageRoleUser),
		responses.ResponseInputItemParamOfFunctionCall(`{"city":"Paris"}`, "call_w", "get_weather"),
		out,
	}}}
	if _, err := client.Responses.New(context.Background(), next); err != nil {
		t.Fatalf("second turn: %v", err)
	}
	msgs := g.lastRequest().Chat.Messages
	if len(msgs) != 3 || msgs[1].ToolCalls[0].ID != "call_w" || msgs[2].Role != llm.RoleTool || msgs[2].Text() != "18°C and sunny" {
		t.Errorf("second turn messages = %+v", msgs)
	}
}

// TestSDKRequestError checks that a refused request reaches the SDK as an *openai.Error.
func TestSDKRequestError(t *testing.T) {
	client := sdkClient(t, &ingress{})
	_, err := client.Responses.New(context.Background(), responses.ResponseNewParams{Model: "m",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}, Temperature: openai.Float(-1)})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest || apiErr.Param != "temperature" || apiErr.Type != llm.TypeInvalidRequest {
		t.Fatalf("error = %v", err)
	}
}

// TestSDKStream has the SDK read a stream from StreamEncoder.
func TestSDKStream(t *testing.T) {
	g := &ingress{chunks: []*llm.Chunk{
		dc(llm.Delta{Role: llm.RoleAssistant, Reasoning: "Thinking"}),
		dc(llm.Delta{Reasoning: " hard."}),
		dc(llm.Delta{Content: "The capital"}),
		dc(llm.Delta{Content: " is Paris."}),
		dc(llm.Delta{ToolCalls: []llm.ToolCallDelta{{ID: "call_1", Name: "get_weather", Arguments: `{"city":`}}}),
		dc(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Arguments: `"Paris"}`}}}),
		{Decoded: true, Choices: []llm.ChunkChoice{{FinishReason: llm.FinishToolCalls}}, Usage: &llm.Usage{InputTokens: 7, OutputTokens: 9}},
	}}
	client := sdkClient(t, g)
	stream := client.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{Model: "test-model",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Capital of France?")}, Tools: toolParams()})
	var text, reasoning, args strings.Builder
	var completed *responses.Response
	var seq []int64
	for stream.Next() {
		ev := stream.Current()
		seq = append(seq, ev.SequenceNumber)
		switch ev.Type {
		case "response.output_text.delta":
			text.WriteString(ev.AsResponseOutputTextDelta().Delta)
		case "response.reasoning_summary_text.delta":
			reasoning.WriteString(ev.AsResponseReasoningSummaryTextDelta().Delta)
		case "response.function_call_arguments.delta":
			args.WriteString(ev.AsResponseFunctionCallArgumentsDelta().Delta)
		case "response.completed":
			r := ev.AsResponseCompleted().Response
			completed = &r
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream error: %v", err)
	}
	if text.String() != "The capital is Paris." || reasoning.String() != "Thinking hard." || args.String() != `{"city":"Paris"}` {
		t.Errorf("deltas: text %q, reasoning %q, arguments %q", text.String(), reasoning.String(), args.String())
	}
	for i, s := range seq {
		if s != int64(i) {
			t.Fatalf("sequence numbers = %v", seq)
		}
	}
	if completed == nil {
		t.Fatal("no response.completed event")
	}
	if completed.OutputText() != "The capital is Paris." || completed.Usage.TotalTokens != 16 || completed.Status != responses.ResponseStatusCompleted {
		t.Errorf("completed = %s", completed.RawJSON())
	}
	if fc := completed.Output[2].AsFunctionCall(); fc.Name != "get_weather" || fc.Arguments != `{"city":"Paris"}` || fc.CallID != "call_1" {
		t.Errorf("function call = %+v", fc)
	}
	if !g.lastRequest().Chat.Stream || !g.lastRequest().Chat.IncludeUsage {
		t.Errorf("stream request = %+v", g.lastRequest().Chat)
	}
}

// TestSDKStreamFail checks that Fail ends the SDK's stream with an error that carries the
// message.
func TestSDKStreamFail(t *testing.T) {
	g := &ingress{chunks: []*llm.Chunk{dc(llm.Delta{Content: "Partial"})},
		fail: &llm.Error{Status: http.StatusBadGateway, Type: llm.TypeUpstream, Code: llm.CodeUpstreamError,
			Message: `provider "p" broke off the stream`}}
	client := sdkClient(t, g)
	stream := client.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{Model: "m",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}})
	var text strings.Builder
	for stream.Next() {
		if ev := stream.Current(); ev.Type == "response.output_text.delta" {
			text.WriteString(ev.Delta)
		}
	}
	err := stream.Err()
	if err == nil || !strings.Contains(err.Error(), `broke off the stream`) {
		t.Fatalf("stream error = %v, want the failure", err)
	}
	if text.String() != "Partial" {
		t.Errorf("text before the failure = %q", text.String())
	}
}
