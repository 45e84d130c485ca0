package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

// The matrix: every ingress (OpenAI Chat Completions, Anthropic Messages, OpenAI Responses)
// against every provider type (OpenAI-compatible, Ollama, Anthropic, Gemini; the cloud ones
// also with a second set of recordings), each through the official SDK of its ingress, for a
// plain answer, a streamed one and a tool-call round trip (plain and streamed), against
// upstream fakes that replay recorded traffic byte for byte, and then the ledger of each
// cell's gateway. What the clients must get is read from the recordings themselves. Then:
// upstream errors in each client's format, dropped features, a refused image, and the first
// streamed token arriving while the upstream still holds the rest.

// toolCall is a tool call as a recording holds it or as a client received it.
type toolCall struct{ id, name, args string }

// reply is one model turn in the gateway's canonical terms: the text, the tool calls, the
// finish reason (OpenAI's vocabulary) and the token counts (input including cached input,
// output including reasoning).
type reply struct {
	text                       string
	calls                      []toolCall
	finish                     string
	in, out, cached, reasoning int64
}

// turn is one exchange as a client saw it.
type turn struct {
	reply
	resp       *http.Response // the HTTP answer, for its headers
	id         string         // X-Sovereign-Request-Id
	responseID string         // Responses: the id of the response object
	previousID string         // Responses: the previous_response_id the response names
	events     []string       // streamed Messages and Responses: the event types, in order
}

// recordedReply reads the turn a recording (testdata/name) holds, in its provider's format.
func recordedReply(t *testing.T, name string) reply {
	t.Helper()
	b := fixture(t, name)
	dir, _, _ := strings.Cut(name, "/")
	sse := strings.HasSuffix(name, ".sse")
	var r reply
	var err error
	switch dir {
	case "openai-chat":
		r, err = openAIReply(b, sse)
	case "ollama":
		r, err = ollamaReply(b)
	case "anthropic":
		r, err = anthropicReply(b, sse)
	case "gemini":
		r, err = geminiReply(b, sse)
	default:
		err = errors.New("no reader for this format")
	}
	if err != nil {
		t.Fatalf("recording %s: %v", name, err)
	}
	if r.finish == "" || (r.text == "" && len(r.calls) == 0) || r.in == 0 {
		t.Fatalf("recording %s lacks what the checks rest on: %+v", name, r)
	}
	return r
}

func openAIReply(b []byte, sse bool) (reply, error) {
	var r reply
	type call struct {
		Index    int    `json:"index"`
		ID       string `json:"id"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	}
	type message struct {
		Content   *string `json:"content"`
		ToolCalls []call  `json:"tool_calls"`
	}
	var docs []string
	if sse {
		docs = dataLines(b)
	} else {
		docs = []string{string(b)}
	}
	var usage *recordedUsage
	for _, d := range docs {
		if d == "[DONE]" {
			continue
		}
		var v struct {
			Choices []struct {
				Message      message `json:"message"`
				Delta        message `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *recordedUsage `json:"usage"`
		}
		if err := json.Unmarshal([]byte(d), &v); err != nil {
			return r, err
		}
		if v.Usage != nil {
			usage = v.Usage
		}
		for _, c := range v.Choices {
			m := c.Message
			if sse {
				m = c.Delta
			}
			if m.Content != nil {
				r.text += *m.Content
			}
			for i, tc := range m.ToolCalls {
				if !sse {
					tc.Index = i
				}
				for len(r.calls) <= tc.Index {
					r.calls = append(r.calls, toolCall{})
				}
				x := &r.calls[tc.Index]
				x.id += tc.ID
				x.name += tc.Function.Name
				x.args += tc.Function.Arguments
			}
			if c.FinishReason != nil {
				r.finish = *c.FinishReason
			}
		}
	}
	if usage == nil {
		return r, errors.New("no usage")
	}
	r.in, r.out = usage.PromptTokens, usage.CompletionTokens
	r.cached, r.reasoning = usage.PromptTokensDetails.CachedTokens, usage.CompletionTokensDetails.ReasoningTokens
	return r, nil
}

// ollamaReply reads an /api/chat answer: one JSON object, or a stream of them.
func ollamaReply(b []byte) (reply, error) {
	var r reply
	dec := json.NewDecoder(bytes.NewReader(b))
	for dec.More() {
		var l struct {
			Message struct {
				Content   string `json:"content"`
				ToolCalls []struct {
					Function struct {
						Name      string          `json:"name"`
						Arguments json.RawMessage `json:"arguments"`
					} `json:"function"`
				} `json:"tool_calls"`
			} `json:"message"`
			Done            bool   `json:"done"`
			DoneReason      string `json:"done_reason"`
			PromptEvalCount int64  `json:"prompt_eval_count"`
			EvalCount       int64  `json:"eval_count"`
		}
		if err := dec.Decode(&l); err != nil {
			return r, err
		}
		r.text += l.Message.Content
		for _, tc := range l.Message.ToolCalls {
			r.calls = append(r.calls, toolCall{name: tc.Function.Name, args: string(tc.Function.Arguments)})
		}
		if l.Done {
			r.finish = map[string]string{"stop": "stop", "length": "length"}[l.DoneReason]
			r.in, r.out = l.PromptEvalCount, l.EvalCount
		}
	}
	if len(r.calls) > 0 {
		r.finish = "tool_calls"
	}
	return r, nil
}

// anthropicStop maps Anthropic's stop reasons to the canonical finish reasons.
var anthropicStop = map[string]string{"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
	"tool_use": "tool_calls", "refusal": "content_filter", "pause_turn": "pause_turn"}

type anthropicUsage struct {
	InputTokens              *int64 `json:"input_tokens"`
	OutputTokens             int64  `json:"output_tokens"`
	CacheReadInputTokens     int64  `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int64  `json:"cache_creation_input_tokens"`
}

type anthropicBlock struct {
	Type  string          `json:"type"`
	Text  string          `json:"text"`
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`
}

func anthropicReply(b []byte, sse bool) (reply, error) {
	var r reply
	var usage anthropicUsage
	setUsage := func(u *anthropicUsage) {
		if u == nil {
			return
		}
		if u.InputTokens != nil {
			usage.InputTokens, usage.CacheReadInputTokens, usage.CacheCreationInputTokens = u.InputTokens, u.CacheReadInputTokens, u.CacheCreationInputTokens
		}
		usage.OutputTokens = u.OutputTokens
	}
	if !sse {
		var m struct {
			Content    []anthropicBlock `json:"content"`
			StopReason string           `json:"stop_reason"`
			Usage      *anthropicUsage  `json:"usage"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return r, err
		}
		for _, c := range m.Content {
			switch c.Type {
			case "text":
				r.text += c.Text
			case "tool_use":
				r.calls = append(r.calls, toolCall{c.ID, c.Name, string(c.Input)})
			}
		}
		r.finish = anthropicStop[m.StopReason]
		setUsage(m.Usage)
	} else {
		blocks := map[int]*anthropicBlock{}
		args := map[int]*strings.Builder{}
		var order []int
		for _, d := range dataLines(b) {
			var ev struct {
				Type    string `json:"type"`
				Message struct {
					Usage *anthropicUsage `json:"usage"`
				} `json:"message"`
				Index        int             `json:"index"`
				ContentBlock *anthropicBlock `json:"content_block"`
				Delta        struct {
					Type        string `json:"type"`
					Text        string `json:"text"`
					PartialJSON string `json:"partial_json"`
					StopReason  string `json:"stop_reason"`
				} `json:"delta"`
				Usage *anthropicUsage `json:"usage"`
			}
			if err := json.Unmarshal([]byte(d), &ev); err != nil {
				return r, err
			}
			switch ev.Type {
			case "message_start":
				setUsage(ev.Message.Usage)
			case "content_block_start":
				blocks[ev.Index] = ev.ContentBlock
				args[ev.Index] = &strings.Builder{}
				order = append(order, ev.Index)
			case "content_block_delta":
				switch ev.Delta.Type {
				case "text_delta":
					r.text += ev.Delta.Text
				case "input_json_delta":
					args[ev.Index].WriteString(ev.Delta.PartialJSON)
				}
			case "message_delta":
				r.finish = anthropicStop[ev.Delta.StopReason]
				setUsage(ev.Usage)
			}
		}
		for _, i := range order {
			if c := blocks[i]; c.Type == "tool_use" {
				a := args[i].String()
				if a == "" {
					a = string(c.Input)
				}
				r.calls = append(r.calls, toolCall{c.ID, c.Name, a})
			}
		}
	}
	if usage.InputTokens == nil {
		return r, errors.New("no usage")
	}
	r.cached = usage.CacheReadInputTokens
	r.in = *usage.InputTokens + usage.CacheReadInputTokens + usage.CacheCreationInputTokens
	r.out = usage.OutputTokens
	return r, nil
}

// geminiReply reads a GenerateContentResponse, a stream of them as SSE, or one JSON array of
// them (Gemini's stream without alt=sse).
func geminiReply(b []byte, sse bool) (reply, error) {
	type response struct {
		Candidates []struct {
			Content struct {
				Parts []struct {
					Text         string `json:"text"`
					Thought      bool   `json:"thought"`
					FunctionCall *struct {
						Name string          `json:"name"`
						Args json.RawMessage `json:"args"`
					} `json:"functionCall"`
				} `json:"parts"`
			} `json:"content"`
		} `json:"candidates"`
		UsageMetadata *struct {
			PromptTokenCount        int64 `json:"promptTokenCount"`
			CandidatesTokenCount    int64 `json:"candidatesTokenCount"`
			ThoughtsTokenCount      int64 `json:"thoughtsTokenCount"`
			CachedContentTokenCount int64 `json:"cachedContentTokenCount"`
		} `json:"usageMetadata"`
	}
	var r reply
	var docs []response
	switch {
	case sse:
		for _, d := range dataLines(b) {
			var v response
			if err := json.Unmarshal([]byte(d), &v); err != nil {
				return r, err
			}
			docs = append(docs, v)
		}
	case bytes.HasPrefix(bytes.TrimSpace(b), []byte("[")):
		if err := json.Unmarshal(b, &docs); err != nil {
			return r, err
		}
	default:
		var v response
		if err := json.Unmarshal(b, &v); err != nil {
			return r, err
		}
		docs = []response{v}
	}
	for _, d := range docs {
		for _, c := range d.Candidates {
			for _, p := range c.Content.Parts {
				switch {
				case p.FunctionCall != nil:
					r.calls = append(r.calls, toolCall{name: p.FunctionCall.Name, args: string(p.FunctionCall.Args)})
				case !p.Thought:
					r.text += p.Text
				}
			}
		}
		if u := d.UsageMetadata; u != nil {
			r.in, r.cached = u.PromptTokenCount, u.CachedContentTokenCount
			r.out, r.reasoning = u.CandidatesTokenCount+u.ThoughtsTokenCount, u.ThoughtsTokenCount
		}
	}
	// The recordings end with STOP (or its number, 1): with calls that is tool_calls.
	r.finish = "stop"
	if len(r.calls) > 0 {
		r.finish = "tool_calls"
	}
	return r, nil
}

// recordedSignatures returns the signatures of the thinking blocks of a recorded Anthropic
// message.
func recordedSignatures(t *testing.T, name string) []string {
	t.Helper()
	var m struct {
		Content []struct {
			Type      string `json:"type"`
			Signature string `json:"signature"`
		} `json:"content"`
	}
	if err := json.Unmarshal(fixture(t, name), &m); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, b := range m.Content {
		if b.Type == "thinking" && b.Signature != "" {
			out = append(out, b.Signature)
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s holds no signed thinking", name)
	}
	return out
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// compareReply asserts that a client got the recorded turn. Tool-call ids must be the
// recorded ones where the provider sends ids, and present and distinct where it does not.
func compareReply(t *testing.T, what string, got turn, want reply) {
	t.Helper()
	if got.text != want.text {
		t.Errorf("%s: text %q, want the recorded %q", what, got.text, want.text)
	}
	if got.finish != want.finish {
		t.Errorf("%s: finish %q, want %q", what, got.finish, want.finish)
	}
	if got.in != want.in || got.out != want.out {
		t.Errorf("%s: usage %d in, %d out; want the recorded %d, %d", what, got.in, got.out, want.in, want.out)
	}
	if len(got.calls) != len(want.calls) {
		t.Fatalf("%s: tool calls %+v, want the recorded %+v", what, got.calls, want.calls)
	}
	ids := map[string]bool{}
	for i, c := range got.calls {
		w := want.calls[i]
		if c.name != w.name || !sameJSON(c.args, w.args) {
			t.Errorf("%s: call %d is %s(%s), want the recorded %s(%s)", what, i, c.name, c.args, w.name, w.args)
		}
		switch {
		case w.id != "" && c.id != w.id:
			t.Errorf("%s: call %d has id %q, want the upstream's %q", what, i, c.id, w.id)
		case c.id == "" || ids[c.id]:
			t.Errorf("%s: call %d has id %q; want one of its own", what, i, c.id)
		}
		ids[c.id] = true
	}
}

// toolNames are the distinct names of the calls, in order: the tools a client offers so that
// the recording's calls fit.
func toolNames(calls []toolCall) []string {
	var out []string
	for _, c := range calls {
		if !slices.Contains(out, c.name) {
			out = append(out, c.name)
		}
	}
	return out
}

func requestID(t *testing.T, resp *http.Response) string {
	t.Helper()
	if resp == nil {
		t.Fatal("no HTTP response captured")
	}
	return resp.Header.Get("X-Sovereign-Request-Id")
}

// recordedEvents returns the event types of a recorded SSE stream, in order.
func recordedEvents(t *testing.T, name string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(string(fixture(t, name)), "\r\n", "\n"), "\n") {
		if ev, ok := strings.CutPrefix(l, "event: "); ok {
			out = append(out, ev)
		}
	}
	return out
}

// eventShape is a sequence of event types without pings, each run of one type taken once.
func eventShape(events []string) []string {
	out := slices.DeleteFunc(slices.Clone(events), func(e string) bool { return e == "ping" })
	return slices.Compact(out)
}

// ---- Clients, one per ingress, each the official SDK of its API ----

// ingressClient drives one ingress. ask sends the test's prompt, offering the named tools;
// next continues the conversation with the results of the calls ask got (one per call).
type ingressClient struct {
	name    string // subtest name
	ingress string // the ledger's name of the ingress
	ask     func(ctx context.Context, t *testing.T, g *gateway, model string, stream bool, tools []string) (turn, func(ctx context.Context, t *testing.T, results []string) turn)
}

var matrixClients = []ingressClient{
	{name: "chat", ingress: "openai.chat", ask: chatAsk},
	{name: "messages", ingress: "anthropic.messages", ask: messagesAsk},
	{name: "responses", ingress: "openai.responses", ask: responsesAsk},
}

func chatParams(model string, msgs []openai.ChatCompletionMessageParamUnion, tools []string) openai.ChatCompletionNewParams {
	p := openai.ChatCompletionNewParams{Model: model, Messages: msgs}
	for _, n := range tools {
		p.Tools = append(p.Tools, openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: n,
			Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{}}}))
	}
	return p
}

func chatTurn(ctx context.Context, t *testing.T, g *gateway, p openai.ChatCompletionNewParams, stream bool) (turn, openai.ChatCompletionMessage) {
	t.Helper()
	c := g.client()
	var tr turn
	var msg openai.ChatCompletionMessage
	if stream {
		p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		s := c.Chat.Completions.NewStreaming(ctx, p, option.WithResponseInto(&tr.resp))
		var acc openai.ChatCompletionAccumulator
		for s.Next() {
			if !acc.AddChunk(s.Current()) {
				t.Fatalf("the SDK's accumulator refused chunk %s", s.Current().RawJSON())
			}
		}
		if err := s.Err(); err != nil {
			t.Fatalf("chat stream: %v", err)
		}
		if len(acc.Choices) != 1 {
			t.Fatalf("%d choices, want 1", len(acc.Choices))
		}
		msg, tr.finish = acc.Choices[0].Message, acc.Choices[0].FinishReason
		tr.in, tr.out = acc.Usage.PromptTokens, acc.Usage.CompletionTokens
	} else {
		resp, err := c.Chat.Completions.New(ctx, p, option.WithResponseInto(&tr.resp))
		if err != nil {
			t.Fatalf("chat: %v", err)
		}
		if len(resp.Choices) != 1 {
			t.Fatalf("%d choices, want 1", len(resp.Choices))
		}
		msg, tr.finish = resp.Choices[0].Message, resp.Choices[0].FinishReason
		tr.in, tr.out = resp.Usage.PromptTokens, resp.Usage.CompletionTokens
	}
	tr.text = msg.Content
	for _, x := range msg.ToolCalls {
		tr.calls = append(tr.calls, toolCall{x.ID, x.Function.Name, x.Function.Arguments})
	}
	tr.id = requestID(t, tr.resp)
	return tr, msg
}

func chatAsk(ctx context.Context, t *testing.T, g *gateway, model string, stream bool, tools []string) (turn, func(context.Context, *testing.T, []string) turn) {
	t.Helper()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage(secretPrompt)}
	first, msg := chatTurn(ctx, t, g, chatParams(model, msgs, tools), stream)
	return first, func(ctx context.Context, t *testing.T, results []string) turn {
		t.Helper()
		history := append(slices.Clone(msgs), msg.ToParam())
		for i, c := range first.calls {
			history = append(history, openai.ToolMessage(results[i], c.id))
		}
		tr, _ := chatTurn(ctx, t, g, chatParams(model, history, tools), stream)
		return tr
	}
}

// anthropicClient returns an Anthropic SDK client of g.
func (g *gateway) anthropicClient() *anthropic.Client {
	c := anthropic.NewClient(aoption.WithBaseURL(g.URL), aoption.WithAPIKey("anything"), aoption.WithMaxRetries(0))
	return &c
}

// oai returns an OpenAI SDK client of g, addressable.
func (g *gateway) oai() *openai.Client {
	c := g.client()
	return &c
}

func messagesParams(model string, msgs []anthropic.MessageParam, tools []string) anthropic.MessageNewParams {
	p := anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 1024, Messages: msgs}
	for _, n := range tools {
		p.Tools = append(p.Tools, anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{Properties: map[string]any{}}, n))
	}
	return p
}

func messagesTurn(ctx context.Context, t *testing.T, g *gateway, p anthropic.MessageNewParams, stream bool) (turn, anthropic.Message) {
	t.Helper()
	c := g.anthropicClient()
	var tr turn
	var m anthropic.Message
	if stream {
		s := c.Messages.NewStreaming(ctx, p, aoption.WithResponseInto(&tr.resp))
		for s.Next() {
			tr.events = append(tr.events, s.Current().Type)
			if err := m.Accumulate(s.Current()); err != nil {
				t.Fatalf("the SDK refused an event: %v", err)
			}
		}
		if err := s.Err(); err != nil {
			t.Fatalf("messages stream: %v", err)
		}
		s.Close()
	} else {
		resp, err := c.Messages.New(ctx, p, aoption.WithResponseInto(&tr.resp))
		if err != nil {
			t.Fatalf("messages: %v", err)
		}
		m = *resp
	}
	for _, b := range m.Content {
		switch b.Type {
		case "text":
			tr.text += b.Text
		case "tool_use":
			tr.calls = append(tr.calls, toolCall{b.ID, b.Name, string(b.Input)})
		}
	}
	tr.finish = anthropicStop[string(m.StopReason)]
	u := m.Usage
	tr.in, tr.out = u.InputTokens+u.CacheReadInputTokens+u.CacheCreationInputTokens, u.OutputTokens
	tr.id = requestID(t, tr.resp)
	return tr, m
}

func messagesAsk(ctx context.Context, t *testing.T, g *gateway, model string, stream bool, tools []string) (turn, func(context.Context, *testing.T, []string) turn) {
	t.Helper()
	msgs := []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(secretPrompt))}
	first, m := messagesTurn(ctx, t, g, messagesParams(model, msgs, tools), stream)
	return first, func(ctx context.Context, t *testing.T, results []string) turn {
		t.Helper()
		var blocks []anthropic.ContentBlockParamUnion
		for i, c := range first.calls {
			blocks = append(blocks, anthropic.NewToolResultBlock(c.id, results[i], false))
		}
		history := append(slices.Clone(msgs), m.ToParam(), anthropic.NewUserMessage(blocks...))
		tr, _ := messagesTurn(ctx, t, g, messagesParams(model, history, tools), stream)
		return tr
	}
}

func responsesParams(model string, tools []string) responses.ResponseNewParams {
	p := responses.ResponseNewParams{Model: model}
	for _, n := range tools {
		p.Tools = append(p.Tools, responses.ToolParamOfFunction(n, map[string]any{"type": "object", "properties": map[string]any{}}, false))
	}
	return p
}

func responsesTurn(ctx context.Context, t *testing.T, g *gateway, p responses.ResponseNewParams, stream bool) turn {
	t.Helper()
	c := g.client()
	var tr turn
	var r *responses.Response
	if stream {
		s := c.Responses.NewStreaming(ctx, p, option.WithResponseInto(&tr.resp))
		var deltas strings.Builder
		for s.Next() {
			ev := s.Current()
			tr.events = append(tr.events, ev.Type)
			switch ev.Type {
			case "response.output_text.delta":
				deltas.WriteString(ev.Delta)
			case "response.completed":
				done := ev.AsResponseCompleted().Response
				r = &done
			}
		}
		if err := s.Err(); err != nil {
			t.Fatalf("responses stream: %v", err)
		}
		if r == nil {
			t.Fatalf("the stream had no response.completed event: %v", tr.events)
		}
		if deltas.String() != r.OutputText() {
			t.Errorf("streamed text %q, but the completed response holds %q", deltas.String(), r.OutputText())
		}
	} else {
		var err error
		r, err = c.Responses.New(ctx, p, option.WithResponseInto(&tr.resp))
		if err != nil {
			t.Fatalf("responses: %v", err)
		}
	}
	if r.Status != responses.ResponseStatusCompleted {
		t.Errorf("response status %q, want completed", r.Status)
	}
	tr.responseID, tr.previousID = r.ID, r.PreviousResponseID
	tr.text = r.OutputText()
	for _, it := range r.Output {
		if it.Type == "function_call" {
			fc := it.AsFunctionCall()
			tr.calls = append(tr.calls, toolCall{fc.CallID, fc.Name, fc.Arguments})
		}
	}
	tr.finish = "stop"
	if len(tr.calls) > 0 {
		tr.finish = "tool_calls"
	}
	tr.in, tr.out = r.Usage.InputTokens, r.Usage.OutputTokens
	tr.id = requestID(t, tr.resp)
	return tr
}

// responsesAsk continues with previous_response_id: the gateway must restore the stored
// conversation. The final answer must then be retrievable with GET /v1/responses/{id}.
func responsesAsk(ctx context.Context, t *testing.T, g *gateway, model string, stream bool, tools []string) (turn, func(context.Context, *testing.T, []string) turn) {
	t.Helper()
	p := responsesParams(model, tools)
	p.Input = responses.ResponseNewParamsInputUnion{OfString: openai.String(secretPrompt)}
	first := responsesTurn(ctx, t, g, p, stream)
	return first, func(ctx context.Context, t *testing.T, results []string) turn {
		t.Helper()
		p := responsesParams(model, tools)
		p.PreviousResponseID = openai.String(first.responseID)
		var items responses.ResponseInputParam
		for i, c := range first.calls {
			out := responses.ResponseInputItemParamOfFunctionCallOutput(results[i])
			out.OfFunctionCallOutput.CallID = openai.String(c.id)
			items = append(items, out)
		}
		p.Input = responses.ResponseNewParamsInputUnion{OfInputItemList: items}
		tr := responsesTurn(ctx, t, g, p, stream)
		if tr.previousID != first.responseID {
			t.Errorf("previous_response_id %q, want %q", tr.previousID, first.responseID)
		}
		for _, want := range []turn{first, tr} {
			got, err := g.oai().Responses.Get(ctx, want.responseID, responses.ResponseGetParams{})
			if err != nil {
				t.Errorf("GET /v1/responses/%s: %v", want.responseID, err)
				continue
			}
			var calls []toolCall
			for _, it := range got.Output {
				if it.Type == "function_call" {
					fc := it.AsFunctionCall()
					calls = append(calls, toolCall{fc.CallID, fc.Name, fc.Arguments})
				}
			}
			if got.ID != want.responseID || got.OutputText() != want.text || !reflect.DeepEqual(calls, want.calls) {
				t.Errorf("GET /v1/responses/%s: id %q, text %q, calls %+v; want what the client was answered: %q, %+v",
					want.responseID, got.ID, got.OutputText(), calls, want.text, want.calls)
			}
		}
		return tr
	}
}

// ---- Providers, one per provider type, each a fake replaying recordings ----

// upstream is a started fake and the configuration that points the gateway at it.
type upstream struct {
	config string
	// last returns the last generation request the fake got.
	last func(t *testing.T) seenRequest
}

// matrixProvider is one provider type of the matrix: how to start its fake, and the recordings
// its fake answers each case with.
type matrixProvider struct {
	label string // subtest name
	name  string // the provider's name in the configuration
	route string
	model string // the provider's own model id, as the ledger records it
	// requested is the model as clients name it.
	requested string
	// The recordings: a plain and a streamed answer, a tool call (plain, streamed), and the
	// answer after the tool results (plain, streamed).
	plain, stream, tools, toolsStream, final, finalStream string
	start                                                 func(t *testing.T) upstream
	// checkResults asserts that the follow-up request carried the calls and their results in
	// the provider's own format.
	checkResults func(t *testing.T, body []byte, calls []toolCall, results []string)
	// signedThinking is set when the tool-call recording holds signed thinking, which an
	// ingress that can carry it (Messages, and Responses through its stored conversation) must
	// give back to Anthropic unchanged in the follow-up.
	signedThinking bool
}

// lastPost returns the last POST to a path under prefix.
func (s *seen) lastPost(t *testing.T, prefix string) seenRequest {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.reqs) - 1; i >= 0; i-- {
		if r := s.reqs[i]; r.Method == http.MethodPost && strings.HasPrefix(r.Path, prefix) {
			return r
		}
	}
	t.Fatalf("the upstream fake got no POST under %s", prefix)
	return seenRequest{}
}

// lastRole reports the role of the last message of an OpenAI or Ollama chat request.
func lastRole(body []byte) string {
	var req struct {
		Messages []struct {
			Role string `json:"role"`
		} `json:"messages"`
	}
	if json.Unmarshal(body, &req) != nil || len(req.Messages) == 0 {
		return ""
	}
	return req.Messages[len(req.Messages)-1].Role
}

// openAIRawModel is the model whose requests the OpenAI-compatible fake answers with the second
// set of recordings.
const openAIRawModel = "gpt-3.5-turbo-0125"

// startFakeAI starts the OpenAI-compatible fake of the matrix: the recorded tool call and its
// follow-up, and for anything else what replayChat picks.
func startFakeAI(t *testing.T) upstream {
	f := newFakeOpenAI(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var req struct {
			Model  string            `json:"model"`
			Stream bool              `json:"stream"`
			Tools  []json.RawMessage `json:"tools"`
		}
		_ = json.Unmarshal(body, &req)
		text := lastRole(body) == "tool" || len(req.Tools) == 0
		switch {
		case req.Model == openAIRawModel && text && req.Stream:
			writeSSE(w, load(t, "openai-chat/stream_text_raw.response.sse"))
		case req.Model == openAIRawModel && text:
			writeJSON(w, http.StatusOK, load(t, "openai-chat/plain_raw.response.json"))
		case lastRole(body) == "tool" && req.Stream:
			writeSSE(w, load(t, "openai-chat/stream_text_include_usage.response.sse"))
		case lastRole(body) == "tool":
			writeJSON(w, http.StatusOK, load(t, "openai-chat/plain.response.json"))
		default:
			replayChat(t, w, body)
		}
	})
	return upstream{config: fakeaiConfig(f), last: func(t *testing.T) seenRequest { return f.seen.last(t, "/v1/chat/completions") }}
}

var matrixProviders = []matrixProvider{
	{
		label: "fakeai", name: "fakeai", route: "cloud", model: "gpt-4o-mini", requested: "fakeai/gpt-4o-mini",
		plain: "openai-chat/plain.response.json", stream: "openai-chat/stream_text_include_usage.response.sse",
		tools: "openai-chat/tool_call.response.json", toolsStream: "openai-chat/stream_tool_call_include_usage.response.sse",
		final: "openai-chat/plain.response.json", finalStream: "openai-chat/stream_text_include_usage.response.sse",
		start: startFakeAI, checkResults: openAIResults,
	},
	// The OpenAI-compatible provider answering from its other recordings: langchaingo's
	// captures, and two parallel calls in one stream.
	{
		label: "fakeai-raw", name: "fakeai", route: "cloud", model: openAIRawModel, requested: "fakeai/" + openAIRawModel,
		plain: "openai-chat/plain_raw.response.json", stream: "openai-chat/stream_text_raw.response.sse",
		tools: "openai-chat/tool_call.response.json", toolsStream: "openai-chat/stream_parallel_tool_calls.response.sse",
		final: "openai-chat/plain_raw.response.json", finalStream: "openai-chat/stream_text_raw.response.sse",
		start: startFakeAI, checkResults: openAIResults,
	},
	{
		label: "ollama", name: "ollama", route: "local", model: "llama3.2:latest", requested: "ollama/llama3.2",
		plain: "ollama/chat_stream.response.ndjson", stream: "ollama/chat_stream.response.ndjson",
		tools: "ollama/docs_chat_tools_non_stream.response.json", toolsStream: "ollama/docs_chat_tools_stream.response.ndjson",
		final: "ollama/chat_stream.response.ndjson", finalStream: "ollama/chat_stream.response.ndjson",
		start: func(t *testing.T) upstream {
			var f *fakeOllama
			nonStream := ollamaNonStream(t, fixture(t, "ollama/chat_stream.response.ndjson"))
			f = newFakeOllama(t, func(w http.ResponseWriter, r *http.Request) {
				body := f.seen.last(t, "/api/chat").Body
				var req struct {
					Stream *bool             `json:"stream"`
					Tools  []json.RawMessage `json:"tools"`
				}
				_ = json.Unmarshal(body, &req)
				stream := req.Stream == nil || *req.Stream
				switch {
				case len(req.Tools) > 0 && lastRole(body) != "tool" && stream:
					writeNDJSON(w, load(t, "ollama/docs_chat_tools_stream.response.ndjson"))
				case len(req.Tools) > 0 && lastRole(body) != "tool":
					writeJSON(w, http.StatusOK, load(t, "ollama/docs_chat_tools_non_stream.response.json"))
				case stream:
					writeNDJSON(w, load(t, "ollama/chat_stream.response.ndjson"))
				default:
					writeJSON(w, http.StatusOK, nonStream)
				}
			})
			cfg := fmt.Sprintf("providers:\n  - name: ollama\n    type: ollama\n    base_url: %s\n    local: true\n    max_retries: 0\n", f.URL)
			return upstream{config: cfg, last: func(t *testing.T) seenRequest { return f.seen.last(t, "/api/chat") }}
		},
		checkResults: ollamaResults,
	},
	{
		label: "claude", name: "claude", route: "cloud", model: "claude-sonnet-4-5", requested: "claude/claude-sonnet-4-5",
		plain: "anthropic/plain.response.json", stream: "anthropic/stream_text.response.sse",
		tools: "anthropic/parallel_tool_use.response.json", toolsStream: "anthropic/stream_tool_use_input_json_delta.response.sse",
		final: "anthropic/plain.response.json", finalStream: "anthropic/stream_text.response.sse",
		start: func(t *testing.T) upstream {
			f := newFakeAnthropic(t, nil)
			return upstream{config: anthropicConfig(f), last: func(t *testing.T) seenRequest { return f.seen.last(t, "/v1/messages") }}
		},
		checkResults: anthropicResults,
	},
	{
		label: "gemini", name: "gemini", route: "cloud", model: "gemini-2.5-flash", requested: "gemini/gemini-2.5-flash",
		plain: "gemini/generate_content.response.json", stream: "gemini/stream_generate_content.response.sse",
		tools: "gemini/function_call_raw.response.json", toolsStream: "gemini/stream_function_call.response.sse",
		final: "gemini/generate_content.response.json", finalStream: "gemini/function_response_followup_raw.response.json",
		start: func(t *testing.T) upstream {
			f := newFakeGemini(t, nil)
			return upstream{config: geminiConfig(f), last: func(t *testing.T) seenRequest { return f.seen.lastPost(t, "/v1beta/models/") }}
		},
		checkResults: geminiResults,
	},
	// The same two providers answering from their other recordings: Anthropic's langchaingo
	// captures and a tool call after extended thinking; Gemini's answer with numeric enums and
	// three parallel calls of one function (no ids: the results go back by name, in order).
	{
		label: "claude-raw", name: "claude", route: "cloud", model: anthropicRawModel, requested: "claude/" + anthropicRawModel,
		plain: "anthropic/plain_raw.response.json", stream: "anthropic/stream_text_raw.response.sse",
		tools: "anthropic/thinking_tool_use.response.json", toolsStream: "anthropic/stream_tool_use_input_json_delta.response.sse",
		final: "anthropic/plain_raw.response.json", finalStream: "anthropic/stream_text_raw.response.sse",
		start: func(t *testing.T) upstream {
			f := newFakeAnthropic(t, nil)
			return upstream{config: anthropicConfig(f), last: func(t *testing.T) seenRequest { return f.seen.last(t, "/v1/messages") }}
		},
		checkResults: anthropicResults, signedThinking: true,
	},
	{
		label: "gemini-raw", name: "gemini", route: "cloud", model: geminiRawModel, requested: "gemini/" + geminiRawModel,
		plain: "gemini/generate_content_raw.response.json", stream: "gemini/stream_generate_content.response.sse",
		tools: "gemini/function_call.response.json", toolsStream: "gemini/stream_function_call.response.sse",
		final: "gemini/generate_content_raw.response.json", finalStream: "gemini/function_response_followup_raw.response.json",
		start: func(t *testing.T) upstream {
			f := newFakeGemini(t, nil)
			return upstream{config: geminiConfig(f), last: func(t *testing.T) seenRequest { return f.seen.lastPost(t, "/v1beta/models/") }}
		},
		checkResults: geminiResults,
	},
}

func anthropicConfig(f *fakeAnthropic) string {
	return fmt.Sprintf("providers:\n  - name: claude\n    type: anthropic\n    base_url: %s\n    api_key: %s\n    local: false\n    max_retries: 0\n    models: [claude-sonnet-4-5, %s]\n", f.URL, testAPIKey, anthropicRawModel)
}

func geminiConfig(f *fakeGemini) string {
	return fmt.Sprintf("providers:\n  - name: gemini\n    type: gemini\n    base_url: %s\n    api_key: %s\n    local: false\n    max_retries: 0\n    models: [gemini-2.5-flash, %s]\n", f.baseURL(), testAPIKey, geminiRawModel)
}

// checkAsked asserts that the upstream got the provider's own model id, the caller's prompt,
// and a streamed or plain request as the caller asked.
func checkAsked(t *testing.T, p matrixProvider, r seenRequest, stream bool) {
	t.Helper()
	if !bytes.Contains(r.Body, []byte(secretPrompt)) {
		t.Errorf("the upstream request lacks the caller's prompt: %s", r.Body)
	}
	if p.name == "gemini" {
		method := "generateContent"
		if stream {
			method = "streamGenerateContent"
		}
		if want := "/v1beta/models/" + p.model + ":" + method; r.Path != want {
			t.Errorf("upstream path %s, want %s", r.Path, want)
		}
		return
	}
	var b struct {
		Model  string `json:"model"`
		Stream *bool  `json:"stream"`
	}
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatalf("upstream body: %v", err)
	}
	if b.Model != p.model || (b.Stream != nil && *b.Stream) != stream {
		t.Errorf("upstream model %q stream %v, want %q and %v", b.Model, b.Stream, p.model, stream)
	}
}

// contentText returns the text of a content value that is a string or an array of text parts.
func contentText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	_ = json.Unmarshal(raw, &parts)
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

// openAIResults: an assistant message with the calls (ids kept), then one "tool" message per
// result with its tool_call_id.
func openAIResults(t *testing.T, body []byte, calls []toolCall, results []string) {
	t.Helper()
	var req struct {
		Messages []struct {
			Role       string          `json:"role"`
			Content    json.RawMessage `json:"content"`
			ToolCallID string          `json:"tool_call_id"`
			ToolCalls  []struct {
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	n := len(req.Messages) - len(calls)
	if n < 1 {
		t.Fatalf("upstream messages %s: too few for %d results", body, len(calls))
	}
	a := req.Messages[n-1]
	var got []toolCall
	for _, c := range a.ToolCalls {
		got = append(got, toolCall{c.ID, c.Function.Name, c.Function.Arguments})
	}
	if a.Role != "assistant" || !sameCalls(got, calls) {
		t.Errorf("upstream assistant turn %s %+v, want the calls %+v", a.Role, got, calls)
	}
	for i, m := range req.Messages[n:] {
		if m.Role != "tool" || m.ToolCallID != calls[i].id || contentText(m.Content) != results[i] {
			t.Errorf("upstream message %d: role %q tool_call_id %q content %s; want tool, %q, %q", n+i, m.Role, m.ToolCallID, m.Content, calls[i].id, results[i])
		}
	}
}

// sameCalls compares calls by id, name and arguments (as JSON).
func sameCalls(got, want []toolCall) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i].id != want[i].id || got[i].name != want[i].name || !sameJSON(got[i].args, want[i].args) {
			return false
		}
	}
	return true
}

// ollamaResults: an assistant message with the calls, then one "tool" message per result
// naming its function in tool_name (Ollama has no call ids).
func ollamaResults(t *testing.T, body []byte, calls []toolCall, results []string) {
	t.Helper()
	var req struct {
		Messages []struct {
			Role      string `json:"role"`
			Content   string `json:"content"`
			ToolName  string `json:"tool_name"`
			ToolCalls []struct {
				Function struct {
					Name      string          `json:"name"`
					Arguments json.RawMessage `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	n := len(req.Messages) - len(calls)
	if n < 1 {
		t.Fatalf("upstream messages %s: too few for %d results", body, len(calls))
	}
	a := req.Messages[n-1]
	var got []toolCall
	for _, c := range a.ToolCalls {
		got = append(got, toolCall{name: c.Function.Name, args: string(c.Function.Arguments)})
	}
	want := make([]toolCall, len(calls))
	for i, c := range calls {
		want[i] = toolCall{name: c.name, args: c.args}
	}
	if a.Role != "assistant" || !sameCalls(got, want) {
		t.Errorf("upstream assistant turn %s %+v, want the calls %+v", a.Role, got, want)
	}
	for i, m := range req.Messages[n:] {
		if m.Role != "tool" || m.ToolName != calls[i].name || m.Content != results[i] {
			t.Errorf("upstream message %d: role %q tool_name %q content %q; want tool, %q, %q", n+i, m.Role, m.ToolName, m.Content, calls[i].name, results[i])
		}
	}
}

// anthropicResults: an assistant message with tool_use blocks (ids kept), then one user
// message holding a tool_result block per result, with its tool_use_id, in order.
func anthropicResults(t *testing.T, body []byte, calls []toolCall, results []string) {
	t.Helper()
	type block struct {
		Type      string          `json:"type"`
		ID        string          `json:"id"`
		Name      string          `json:"name"`
		Input     json.RawMessage `json:"input"`
		ToolUseID string          `json:"tool_use_id"`
		Content   json.RawMessage `json:"content"`
	}
	var req struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	n := len(req.Messages)
	if n < 3 {
		t.Fatalf("upstream messages %s: want the question, the calls and the results", body)
	}
	for i := 1; i < n; i++ {
		if req.Messages[i].Role == req.Messages[i-1].Role {
			t.Errorf("upstream messages %d and %d both have role %s; Anthropic wants them to alternate", i-1, i, req.Messages[i].Role)
		}
	}
	var asst, user []block
	_ = json.Unmarshal(req.Messages[n-2].Content, &asst)
	_ = json.Unmarshal(req.Messages[n-1].Content, &user)
	var got []toolCall
	for _, b := range asst {
		if b.Type == "tool_use" {
			got = append(got, toolCall{b.ID, b.Name, string(b.Input)})
		}
	}
	if req.Messages[n-2].Role != "assistant" || !sameCalls(got, calls) {
		t.Errorf("upstream assistant turn %s, want the calls %+v", req.Messages[n-2].Content, calls)
	}
	if req.Messages[n-1].Role != "user" || len(user) != len(calls) {
		t.Fatalf("upstream last turn %s %s, want a user turn with %d tool_result blocks", req.Messages[n-1].Role, req.Messages[n-1].Content, len(calls))
	}
	for i, b := range user {
		if b.Type != "tool_result" || b.ToolUseID != calls[i].id || contentText(b.Content) != results[i] {
			t.Errorf("upstream block %d: %s %q %s; want tool_result for %q with %q", i, b.Type, b.ToolUseID, b.Content, calls[i].id, results[i])
		}
	}
}

// geminiResults: a model content with the functionCall parts (the first signed, as Gemini 3
// requires), then a user content with one functionResponse per result, named after the
// function, holding the result.
func geminiResults(t *testing.T, body []byte, calls []toolCall, results []string) {
	t.Helper()
	type part struct {
		FunctionCall *struct {
			Name string          `json:"name"`
			Args json.RawMessage `json:"args"`
		} `json:"functionCall"`
		FunctionResponse *struct {
			Name     string `json:"name"`
			Response struct {
				Result any `json:"result"`
			} `json:"response"`
		} `json:"functionResponse"`
		ThoughtSignature string `json:"thoughtSignature"`
	}
	var req struct {
		Contents []struct {
			Role  string `json:"role"`
			Parts []part `json:"parts"`
		} `json:"contents"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	n := len(req.Contents)
	if n < 3 {
		t.Fatalf("upstream contents %s: want the question, the calls and the results", body)
	}
	model, user := req.Contents[n-2], req.Contents[n-1]
	var got []toolCall
	for i, p := range model.Parts {
		if p.FunctionCall == nil {
			continue
		}
		if i == 0 && p.ThoughtSignature == "" {
			t.Errorf("upstream functionCall part without a thoughtSignature; Gemini 3 refuses it")
		}
		got = append(got, toolCall{name: p.FunctionCall.Name, args: string(p.FunctionCall.Args)})
	}
	want := make([]toolCall, len(calls))
	for i, c := range calls {
		want[i] = toolCall{name: c.name, args: c.args}
	}
	if model.Role != "model" || !sameCalls(got, want) {
		t.Errorf("upstream model turn %+v, want the calls %+v", got, want)
	}
	if user.Role != "user" || len(user.Parts) != len(calls) {
		t.Fatalf("upstream last content %s with %d parts, want a user content with %d functionResponse parts", user.Role, len(user.Parts), len(calls))
	}
	for i, p := range user.Parts {
		if p.FunctionResponse == nil || p.FunctionResponse.Name != calls[i].name || p.FunctionResponse.Response.Result != results[i] {
			t.Errorf("upstream part %d: %+v; want a functionResponse of %s with result %q", i, p.FunctionResponse, calls[i].name, results[i])
		}
	}
}

// ---- The matrix ----

// sentCall is a request the ledger must hold.
type sentCall struct {
	name string
	id   string
	want wantRecord
	// money is set when the client was told the cost and savings (headers of a plain answer,
	// trailers of a stream): they must be the record's.
	money       bool
	cost, saved string
}

// checkLedger stops g and asserts that its ledger holds exactly the calls sent, as wanted.
func checkLedger(t *testing.T, g *gateway, dataDir string, sent []sentCall) {
	t.Helper()
	g.terminate(t)
	recs := readLedger(t, dataDir)
	byID := recordsByID(t, recs)
	for _, s := range sent {
		r, ok := byID[s.id]
		if !ok {
			t.Errorf("%s (%s): no ledger record", s.name, s.id)
			continue
		}
		w := s.want
		if w.outcome != "ok" && r.ErrorCode == "" {
			t.Errorf("%s: outcome %s without an error code", s.name, r.Outcome)
		}
		checkRecord(t, s.name, r, w)
		if s.money {
			checkMoneyHeader(t, s.name, "X-Sovereign-Cost-Usd", s.cost, r.CostUSD)
			checkMoneyHeader(t, s.name, "X-Sovereign-Saved-Usd", s.saved, r.SavedUSD)
		}
		if w.stream && w.outcome == "ok" && r.TTFTMS <= 0 {
			t.Errorf("%s: TTFTMS %v, want the time to the first chunk", s.name, r.TTFTMS)
		}
	}
	if !t.Failed() && len(recs) != len(sent) {
		t.Errorf("%d ledger records for the %d requests sent", len(recs), len(sent))
	}
}

func TestMatrix(t *testing.T) {
	t.Parallel()
	for _, c := range matrixClients {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			for _, p := range matrixProviders {
				t.Run(p.label, func(t *testing.T) {
					t.Parallel()
					matrixCell(t, c, p)
				})
			}
		})
	}
}

// matrixCell runs every case of one ingress against one provider, on a gateway of its own,
// and then checks the gateway's ledger.
func matrixCell(t *testing.T, c ingressClient, p matrixProvider) {
	ctx := testCtx(t)
	u := p.start(t)
	dataDir := t.TempDir()
	// The matrix checks how each format maps onto each other; the recorded conversations hold
	// names the privacy guard would redact on their way to a cloud fake (TestPrivacy covers that).
	g := startGatewayIn(t, u.config+"\nprivacy:\n  disabled: true\n", dataDir)
	var sent []sentCall // the subtests run one after the other
	note := func(t *testing.T, name string, tr turn, r reply, stream bool) {
		t.Helper()
		checkRoute(t, tr.resp, p.route, p.name+"/"+p.model)
		money := tr.resp.Header
		if stream {
			if v := money.Get("X-Sovereign-Cost-Usd"); v != "" {
				t.Errorf("%s: cost %q as a header of a stream, before the stream's end", name, v)
			}
			money = tr.resp.Trailer
		}
		sent = append(sent, sentCall{name: name, id: tr.id, want: wantRecord{outcome: "ok", status: 200, route: p.route,
			provider: p.name, model: p.model, requested: p.requested, ingress: c.ingress, stream: stream,
			checkTokens: true, in: r.in, out: r.out, cached: r.cached, reasoning: r.reasoning},
			money: true, cost: money.Get("X-Sovereign-Cost-Usd"), saved: money.Get("X-Sovereign-Saved-Usd")})
	}

	for _, stream := range []bool{false, true} {
		name, rec := "plain", p.plain
		if stream {
			name, rec = "stream", p.stream
		}
		t.Run(name, func(t *testing.T) {
			want := recordedReply(t, rec)
			tr, _ := c.ask(ctx, t, g, p.requested, stream, nil)
			note(t, name, tr, want, stream)
			compareReply(t, name, tr, want)
			checkAsked(t, p, u.last(t), stream)
			if stream && c.name != "chat" {
				// The events follow the API's own sequence for a text answer, as recorded
				// (runs of deltas taken as one; Anthropic's pings may come anywhere).
				recording := map[string]string{"messages": "anthropic/stream_text.response.sse",
					"responses": "openai-responses/stream_text_after_tool_result.response.sse"}[c.name]
				if got, want := eventShape(tr.events), eventShape(recordedEvents(t, recording)); !slices.Equal(got, want) {
					t.Errorf("event sequence %v, want the recorded %v", got, want)
				}
			}
		})
	}

	for _, stream := range []bool{false, true} {
		name, calls, final := "tools", p.tools, p.final
		if stream {
			name, calls, final = "tools stream", p.toolsStream, p.finalStream
		}
		t.Run(name, func(t *testing.T) {
			wantCalls := recordedReply(t, calls)
			tr, next := c.ask(ctx, t, g, p.requested, stream, toolNames(wantCalls.calls))
			note(t, name+" (calls)", tr, wantCalls, stream)
			compareReply(t, name+" (calls)", tr, wantCalls)
			checkAsked(t, p, u.last(t), stream)
			results := make([]string, len(tr.calls))
			for i, call := range tr.calls {
				results[i] = fmt.Sprintf("result %d of %s", i+1, call.name)
			}
			wantFinal := recordedReply(t, final)
			out := next(ctx, t, results)
			note(t, name+" (final)", out, wantFinal, stream)
			compareReply(t, name+" (final)", out, wantFinal)
			up := u.last(t)
			if !bytes.Contains(up.Body, []byte(secretPrompt)) {
				t.Errorf("the follow-up upstream lacks the conversation's question: %s", up.Body)
			}
			p.checkResults(t, up.Body, tr.calls, results)
			if p.signedThinking && !stream && c.name != "chat" {
				// Chat Completions has no place for a signature; the others carry it back.
				for _, sig := range recordedSignatures(t, calls) {
					if !bytes.Contains(up.Body, []byte(`"signature":"`+sig+`"`)) {
						t.Errorf("the follow-up lacks the signed thinking block Anthropic needs back (signature %.20s…): %s", sig, up.Body)
					}
				}
			}
		})
	}

	if c.name == "messages" {
		t.Run("count_tokens", func(t *testing.T) {
			var hr *http.Response
			n, err := g.anthropicClient().Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{Model: anthropic.Model(p.requested),
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(secretPrompt))}}, aoption.WithResponseInto(&hr))
			if err != nil {
				t.Fatal(err)
			}
			if n.InputTokens <= 0 {
				t.Errorf("input_tokens %d", n.InputTokens)
			}
			if p.name == "claude" {
				// Anthropic counts for itself.
				var want struct {
					InputTokens int64 `json:"input_tokens"`
				}
				_ = json.Unmarshal([]byte(anthropicCountTokens), &want)
				if n.InputTokens != want.InputTokens {
					t.Errorf("input_tokens %d, want the upstream's %d", n.InputTokens, want.InputTokens)
				}
			}
			sent = append(sent, sentCall{name: "count_tokens", id: requestID(t, hr), want: wantRecord{outcome: "ok", status: 200,
				route: p.route, provider: p.name, model: p.model, requested: p.requested, ingress: "anthropic.count_tokens"}})
		})
	}

	checkLedger(t, g, dataDir, sent)
}

// ---- Failures, dropped features, refusals, and streaming latency ----

// gemini429 is Gemini's answer to a request over quota, written for these tests in the shape of
// Google's documented RESOURCE_EXHAUSTED error with a RetryInfo detail; no recording holds one.
const gemini429 = `{"error":{"code":429,"message":"You exceeded your current quota, please check your plan and billing details.",` +
	`"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"}]}}`

// recordedErrorMessage is the message of a recorded error answer (Anthropic's or Gemini's).
func recordedErrorMessage(t *testing.T, name string) string {
	t.Helper()
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(fixture(t, name), &e); err != nil || e.Error.Message == "" {
		t.Fatalf("%s: no error message (%v)", name, err)
	}
	return e.Error.Message
}

// TestMatrixUpstreamErrors: an upstream's error reaches each ingress's client in that client's
// own format, and is in the ledger as an error of the provider that failed.
func TestMatrixUpstreamErrors(t *testing.T) {
	t.Parallel()
	anthropic400 := func(t *testing.T) upstream {
		f := newFakeAnthropic(t, func(w http.ResponseWriter, r *http.Request) {
			replayRecorded(t, w, "anthropic/error_400_invalid_request.response.json", nil)
		})
		return upstream{config: anthropicConfig(f)}
	}
	gemini := func(status int, body func(t *testing.T) []byte) func(t *testing.T) upstream {
		return func(t *testing.T) upstream {
			f := newFakeGemini(t, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, status, body(t))
			})
			return upstream{config: geminiConfig(f)}
		}
	}
	gemini429Body := func(*testing.T) []byte { return []byte(gemini429) }
	gemini403Body := func(t *testing.T) []byte { return load(t, "gemini/error_403_permission_denied.response.json") }

	for _, tc := range []struct {
		name     string
		start    func(t *testing.T) upstream
		provider string
		model    string
		// call makes the request and checks the error the client got; it returns the
		// gateway's request id, and the status the client got.
		call    func(ctx context.Context, t *testing.T, g *gateway, model string) (id string, status int)
		ingress string
		stream  bool
		code    string // the ledger's error code
	}{
		{
			name: "chat from anthropic 400", start: anthropic400, provider: "claude", model: "claude-sonnet-4-5", ingress: "openai.chat",
			code: "invalid_request_error",
			call: func(ctx context.Context, t *testing.T, g *gateway, model string) (string, int) {
				var hr *http.Response
				_, err := g.oai().Chat.Completions.New(ctx, chatParams(model, userMessage(), nil), option.WithResponseInto(&hr))
				e := sdkError(t, err, wantError{status: 400, typ: "invalid_request_error"})
				if want := recordedErrorMessage(t, "anthropic/error_400_invalid_request.response.json"); !strings.Contains(e.Message, want) {
					t.Errorf("message %q does not pass on the upstream's %q", e.Message, want)
				}
				return requestID(t, hr), e.StatusCode
			},
		},
		{
			name: "chat stream from anthropic 400", start: anthropic400, provider: "claude", model: "claude-sonnet-4-5", ingress: "openai.chat",
			stream: true, code: "invalid_request_error",
			call: func(ctx context.Context, t *testing.T, g *gateway, model string) (string, int) {
				var hr *http.Response
				s := g.oai().Chat.Completions.NewStreaming(ctx, chatParams(model, userMessage(), nil), option.WithResponseInto(&hr))
				for s.Next() {
					t.Errorf("chunk %s before the error", s.Current().RawJSON())
				}
				e := sdkError(t, s.Err(), wantError{status: 400, typ: "invalid_request_error"})
				return requestID(t, hr), e.StatusCode
			},
		},
		{
			name: "messages from gemini 429", start: gemini(429, gemini429Body), provider: "gemini", model: "gemini-2.5-flash",
			ingress: "anthropic.messages", code: "rate_limit_exceeded",
			call: func(ctx context.Context, t *testing.T, g *gateway, model string) (string, int) {
				var hr *http.Response
				_, err := g.anthropicClient().Messages.New(ctx, messagesParams(model,
					[]anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(secretPrompt))}, nil), aoption.WithResponseInto(&hr))
				ae := anthropicError(t, err, 429, anthropic.ErrorTypeRateLimitError)
				if ra := ae.Response.Header.Get("Retry-After"); ra != "7" {
					t.Errorf("Retry-After %q, want the upstream's 7s", ra)
				}
				return requestID(t, hr), ae.StatusCode
			},
		},
		{
			name: "messages stream from gemini 429", start: gemini(429, gemini429Body), provider: "gemini", model: "gemini-2.5-flash",
			ingress: "anthropic.messages", stream: true, code: "rate_limit_exceeded",
			call: func(ctx context.Context, t *testing.T, g *gateway, model string) (string, int) {
				var hr *http.Response
				s := g.anthropicClient().Messages.NewStreaming(ctx, messagesParams(model,
					[]anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(secretPrompt))}, nil), aoption.WithResponseInto(&hr))
				for s.Next() {
					t.Errorf("event %s before the error", s.Current().RawJSON())
				}
				ae := anthropicError(t, s.Err(), 429, anthropic.ErrorTypeRateLimitError)
				return requestID(t, hr), ae.StatusCode
			},
		},
		{
			name: "responses from gemini 403", start: gemini(403, gemini403Body), provider: "gemini", model: "gemini-2.5-flash",
			ingress: "openai.responses", code: "upstream_auth_failed",
			call: func(ctx context.Context, t *testing.T, g *gateway, model string) (string, int) {
				var hr *http.Response
				p := responsesParams(model, nil)
				p.Input = responses.ResponseNewParamsInputUnion{OfString: openai.String(secretPrompt)}
				_, err := g.oai().Responses.New(ctx, p, option.WithResponseInto(&hr))
				// The upstream refused the gateway's key: not the caller's fault, a 502.
				e := sdkError(t, err, wantError{status: 502, typ: "upstream_error", code: "upstream_auth_failed"})
				return requestID(t, hr), e.StatusCode
			},
		},
		{
			name: "responses stream from anthropic 400", start: anthropic400, provider: "claude", model: "claude-sonnet-4-5",
			ingress: "openai.responses", stream: true, code: "invalid_request_error",
			call: func(ctx context.Context, t *testing.T, g *gateway, model string) (string, int) {
				var hr *http.Response
				p := responsesParams(model, nil)
				p.Input = responses.ResponseNewParamsInputUnion{OfString: openai.String(secretPrompt)}
				s := g.oai().Responses.NewStreaming(ctx, p, option.WithResponseInto(&hr))
				for s.Next() {
					t.Errorf("event %s before the error", s.Current().RawJSON())
				}
				e := sdkError(t, s.Err(), wantError{status: 400, typ: "invalid_request_error"})
				return requestID(t, hr), e.StatusCode
			},
		},
		{
			name: "count_tokens from anthropic 404", provider: "claude", model: "claude-does-not-exist", ingress: "anthropic.count_tokens",
			code: "model_not_found",
			start: func(t *testing.T) upstream {
				f := newFakeAnthropic(t, nil)
				return upstream{config: anthropicConfig(f)}
			},
			call: func(ctx context.Context, t *testing.T, g *gateway, model string) (string, int) {
				var hr *http.Response
				_, err := g.anthropicClient().Messages.CountTokens(ctx, anthropic.MessageCountTokensParams{Model: anthropic.Model(model),
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(secretPrompt))}}, aoption.WithResponseInto(&hr))
				ae := anthropicError(t, err, 404, anthropic.ErrorTypeNotFoundError)
				return requestID(t, hr), ae.StatusCode
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := testCtx(t)
			u := tc.start(t)
			dataDir := t.TempDir()
			g := startGatewayIn(t, u.config, dataDir)
			id, status := tc.call(ctx, t, g, tc.provider+"/"+tc.model)
			checkLedger(t, g, dataDir, []sentCall{{name: tc.name, id: id, want: wantRecord{outcome: "error", status: status,
				errorCode: tc.code, route: "cloud", provider: tc.provider, model: tc.model, requested: tc.provider + "/" + tc.model,
				ingress: tc.ingress, stream: tc.stream, checkTokens: true}}})
		})
	}
}

// anthropicError asserts that err is the Anthropic SDK's error with the status and error type.
func anthropicError(t *testing.T, err error, status int, typ anthropic.ErrorType) *anthropic.Error {
	t.Helper()
	var ae *anthropic.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T), want *anthropic.Error with status %d", err, err, status)
	}
	if ae.StatusCode != status || ae.Type() != typ {
		t.Errorf("Anthropic SDK error status %d type %q, want %d %q: %s", ae.StatusCode, ae.Type(), status, typ, ae.RawJSON())
	}
	var body struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal([]byte(ae.RawJSON()), &body) != nil || body.Type != "error" || body.Error.Type != string(typ) || body.Error.Message == "" {
		t.Errorf("error JSON %s is not Anthropic's {\"type\":\"error\",\"error\":{\"type\":%q,\"message\":…}}", ae.RawJSON(), typ)
	}
	return ae
}

// allProviders starts every provider type's fake and returns the configuration of all.
func allProviders(t *testing.T) (cfg string, ups map[string]upstream) {
	ups = map[string]upstream{}
	for _, p := range matrixProviders {
		if p.label != p.name {
			continue // another model of a provider already started
		}
		u := p.start(t)
		ups[p.name] = u
		// Each configuration is a providers: list; join their entries.
		cfg += strings.TrimPrefix(u.config, "providers:\n")
	}
	return "providers:\n" + cfg, ups
}

// TestMatrixDropped: a feature the target has no equivalent for, and whose absence does not
// change the answer's meaning, is left out and named in X-Sovereign-Dropped and the ledger;
// the Anthropic provider keeps it.
func TestMatrixDropped(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	cfg, ups := allProviders(t)
	dataDir := t.TempDir()
	g := startGatewayIn(t, cfg, dataDir)
	var sent []sentCall
	for _, p := range matrixProviders {
		if p.label != p.name {
			continue
		}
		t.Run(p.name, func(t *testing.T) {
			var hr *http.Response
			params := messagesParams(p.requested, []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(secretPrompt))}, nil)
			params.System = []anthropic.TextBlockParam{{Text: "Answer in one word.", CacheControl: anthropic.NewCacheControlEphemeralParam()}}
			if _, err := g.anthropicClient().Messages.New(ctx, params, aoption.WithResponseInto(&hr)); err != nil {
				t.Fatal(err)
			}
			dropped := hr.Header.Get("X-Sovereign-Dropped")
			up := ups[p.name].last(t).Body
			if !bytes.Contains(up, []byte("Answer in one word.")) {
				t.Errorf("the upstream did not get the system prompt: %s", up)
			}
			want := wantRecord{outcome: "ok", status: 200, route: p.route, provider: p.name, model: p.model, requested: p.requested,
				ingress: "anthropic.messages"}
			if p.name == "claude" {
				if dropped != "" || !bytes.Contains(up, []byte(`"cache_control":{"type":"ephemeral"}`)) {
					t.Errorf("X-Sovereign-Dropped %q, upstream %s; want cache_control kept for Anthropic", dropped, up)
				}
			} else {
				if bytes.Contains(up, []byte("cache_control")) {
					t.Errorf("cache_control reached a provider that has none: %s", up)
				}
				defer func() {
					if !slices.Contains(strings.Split(dropped, ", "), "cache_control") {
						t.Errorf("X-Sovereign-Dropped %q, want it to list cache_control", dropped)
					}
				}()
			}
			sent = append(sent, sentCall{name: p.name, id: requestID(t, hr), want: want})
		})
	}
	g.terminate(t)
	byID := recordsByID(t, readLedger(t, dataDir))
	for _, s := range sent {
		r, ok := byID[s.id]
		if !ok {
			t.Errorf("%s: no ledger record", s.name)
			continue
		}
		checkRecord(t, s.name, r, s.want)
		if wantDrop := s.name != "claude"; strings.Contains(r.Dropped, "cache_control") != wantDrop {
			t.Errorf("%s: ledger Dropped %q", s.name, r.Dropped)
		}
	}
}

// onePixelPNG is a 1×1 PNG, base64.
const onePixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="

// TestMatrixVision: an image sent to a model whose known capabilities lack vision (Ollama's
// gemma3:1b, by /api/show) is refused with a 400 naming the feature, in each ingress's format,
// before anything reaches the upstream.
func TestMatrixVision(t *testing.T) {
	t.Parallel()
	ctx := testCtx(t)
	f := newFakeOllama(t, nil)
	g := startGateway(t, fmt.Sprintf("providers:\n  - name: ollama\n    type: ollama\n    base_url: %s\n    local: true\n", f.URL))
	const model = "ollama/gemma3:1b"
	dataURL := "data:image/png;base64," + onePixelPNG
	checkMessage := func(t *testing.T, msg string) {
		t.Helper()
		if !strings.Contains(msg, "image") {
			t.Errorf("message %q does not name the feature (images)", msg)
		}
	}
	t.Run("chat", func(t *testing.T) {
		_, err := g.oai().Chat.Completions.New(ctx, chatParams(model, []openai.ChatCompletionMessageParamUnion{openai.UserMessage(
			[]openai.ChatCompletionContentPartUnionParam{openai.TextContentPart(secretPrompt),
				openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: dataURL})})}, nil))
		e := sdkError(t, err, wantError{status: 400, typ: "invalid_request_error"})
		checkMessage(t, e.Message)
	})
	t.Run("messages", func(t *testing.T) {
		_, err := g.anthropicClient().Messages.New(ctx, messagesParams(model, []anthropic.MessageParam{anthropic.NewUserMessage(
			anthropic.NewTextBlock(secretPrompt), anthropic.NewImageBlockBase64("image/png", onePixelPNG))}, nil))
		ae := anthropicError(t, err, 400, anthropic.ErrorTypeInvalidRequestError)
		checkMessage(t, ae.RawJSON())
	})
	t.Run("responses", func(t *testing.T) {
		p := responsesParams(model, nil)
		img := responses.ResponseInputContentParamOfInputImage(responses.ResponseInputImageDetailAuto)
		img.OfInputImage.ImageURL = openai.String(dataURL)
		p.Input = responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
			responses.ResponseInputItemParamOfMessage(responses.ResponseInputMessageContentListParam{
				responses.ResponseInputContentParamOfInputText(secretPrompt), img}, responses.EasyInputMessageRoleUser)}}
		_, err := g.oai().Responses.New(ctx, p)
		e := sdkError(t, err, wantError{status: 400, typ: "invalid_request_error"})
		checkMessage(t, e.Message)
	})
	if n := f.seen.count("/api/chat"); n != 0 {
		t.Errorf("%d requests reached the upstream, want none", n)
	}
}

// TestMatrixFirstToken: the first streamed token reaches the client, through a translation,
// while the upstream still holds the rest of its stream.
func TestMatrixFirstToken(t *testing.T) {
	t.Parallel()
	firstEvent := func(t *testing.T, name, marker string) (int, string) {
		for i, ev := range sseEventsAnyEOL(fixture(t, name)) {
			if bytes.Contains(ev, []byte(marker)) {
				r, err := func() (reply, error) {
					if strings.HasPrefix(name, "gemini/") {
						return geminiReply(ev, true)
					}
					var text string
					for _, d := range dataLines(ev) {
						var v struct {
							Delta struct {
								Text string `json:"text"`
							} `json:"delta"`
						}
						_ = json.Unmarshal([]byte(d), &v)
						text += v.Delta.Text
					}
					return reply{text: text}, nil
				}()
				if err != nil || r.text == "" {
					t.Fatalf("%s: event %d has no text (%v)", name, i, err)
				}
				return i, r.text
			}
		}
		t.Fatalf("%s has no %s event", name, marker)
		return 0, ""
	}
	// held starts a fake of the provider that replays the recording and calls before before
	// each of its events.
	held := map[string]func(t *testing.T, name string, before func(int)) upstream{
		"gemini": func(t *testing.T, name string, before func(int)) upstream {
			f := newFakeGemini(t, func(w http.ResponseWriter, r *http.Request) { replayRecorded(t, w, name, before) })
			return upstream{config: geminiConfig(f)}
		},
		"claude": func(t *testing.T, name string, before func(int)) upstream {
			f := newFakeAnthropic(t, func(w http.ResponseWriter, r *http.Request) { replayRecorded(t, w, name, before) })
			return upstream{config: anthropicConfig(f)}
		},
	}
	recordings := map[string]struct{ name, marker string }{
		"gemini": {"gemini/stream_generate_content.response.sse", `"text"`},
		"claude": {"anthropic/stream_text.response.sse", `"text_delta"`},
	}
	// Each client streams and calls seen with every piece of text as it arrives.
	clients := map[string]func(ctx context.Context, t *testing.T, g *gateway, model string, seen func(string)){
		"messages": func(ctx context.Context, t *testing.T, g *gateway, model string, seen func(string)) {
			s := g.anthropicClient().Messages.NewStreaming(ctx, messagesParams(model,
				[]anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(secretPrompt))}, nil))
			for s.Next() {
				if ev := s.Current(); ev.Type == "content_block_delta" && ev.Delta.Type == "text_delta" {
					seen(ev.Delta.Text)
				}
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
		},
		"chat": func(ctx context.Context, t *testing.T, g *gateway, model string, seen func(string)) {
			s := g.oai().Chat.Completions.NewStreaming(ctx, chatParams(model, userMessage(), nil))
			for s.Next() {
				for _, ch := range s.Current().Choices {
					if ch.Delta.Content != "" {
						seen(ch.Delta.Content)
					}
				}
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
		},
		"responses": func(ctx context.Context, t *testing.T, g *gateway, model string, seen func(string)) {
			p := responsesParams(model, nil)
			p.Input = responses.ResponseNewParamsInputUnion{OfString: openai.String(secretPrompt)}
			s := g.oai().Responses.NewStreaming(ctx, p)
			for s.Next() {
				if ev := s.Current(); ev.Type == "response.output_text.delta" {
					seen(ev.Delta)
				}
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
		},
	}
	for _, tc := range []struct{ client, provider, model string }{
		{"messages", "gemini", "gemini/gemini-2.5-flash"},
		{"chat", "gemini", "gemini/gemini-2.5-flash"},
		{"responses", "gemini", "gemini/gemini-2.5-flash"},
		{"chat", "claude", "claude/claude-sonnet-4-5"},
		{"responses", "claude", "claude/claude-sonnet-4-5"},
	} {
		t.Run(tc.client+" from "+tc.provider, func(t *testing.T) {
			t.Parallel()
			rec := recordings[tc.provider]
			at, firstText := firstEvent(t, rec.name, rec.marker)
			sent := make(chan struct{})    // closed as the first token goes out
			release := make(chan struct{}) // closed once the client saw it
			u := held[tc.provider](t, rec.name, func(i int) {
				switch i {
				case at:
					close(sent)
				case at + 1:
					select {
					case <-release:
					case <-time.After(20 * time.Second): // a failure bound, not a timing assertion
						t.Errorf("the client saw no token while the upstream held the rest of its stream")
					}
				}
			})
			g := startGateway(t, u.config)
			var first string
			var once sync.Once
			clients[tc.client](testCtx(t), t, g, tc.model, func(text string) {
				once.Do(func() {
					select {
					case <-sent:
					default:
						t.Errorf("the client saw text before the upstream sent its first token")
					}
					first = text
					close(release)
				})
			})
			if first != firstText {
				t.Errorf("first delta %q, want the upstream's first token %q", first, firstText)
			}
		})
	}
}
