package anthropicwire_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/sovereign-gateway/sovereign/internal/anthropicwire"
	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// sdkClient returns an official SDK client of a fake server that answers every request with
// body; seen receives each request's body.
func sdkClient(t *testing.T, contentType string, status int, body []byte, seen func([]byte)) anthropic.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if seen != nil {
			seen(b)
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return anthropic.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("test-key"), option.WithMaxRetries(0))
}

var sdkParams = anthropic.MessageNewParams{
	Model:     "claude-sonnet-4-5",
	MaxTokens: 100,
	Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
}

// sdkAccumulate has the official Go SDK read stream and add it up with Message.Accumulate.
func sdkAccumulate(t *testing.T, stream []byte) anthropic.Message {
	t.Helper()
	client := sdkClient(t, "text/event-stream; charset=utf-8", http.StatusOK, stream, nil)
	s := client.Messages.NewStreaming(context.Background(), sdkParams)
	defer s.Close()
	var msg anthropic.Message
	for s.Next() {
		if err := msg.Accumulate(s.Current()); err != nil {
			t.Fatalf("the SDK refused an event: %v", err)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatalf("the SDK failed reading the stream: %v", err)
	}
	return msg
}

// The SDK adds up what StreamEncoder writes to the answer the chunks held.
func TestSDKAcceptsEncodedStreams(t *testing.T) {
	for _, name := range fixtures(t, "anthropic/*.response.sse") {
		t.Run(name, func(t *testing.T) {
			chunks, _ := decodeStream(t, fixture(t, name))
			want := accumulate(t, chunks)
			msg := sdkAccumulate(t, encodeStream(t, anthropicwire.NewStreamEncoder("alias", 0), chunks, "sovereign"))
			var got answer
			got.ID, got.Model = msg.ID, string(msg.Model)
			for _, b := range msg.Content {
				switch b.Type {
				case "text":
					got.Text += b.Text
				case "thinking":
					got.Thinking = append(got.Thinking, llm.ThinkingBlock{Text: b.Thinking, Signature: b.Signature})
				case "redacted_thinking":
					got.Thinking = append(got.Thinking, llm.ThinkingBlock{Redacted: b.Data})
				case "tool_use":
					got.Calls = append(got.Calls, llm.ToolCall{ID: b.ID, Name: b.Name, Arguments: string(b.Input)})
				default:
					t.Errorf("block of type %q", b.Type)
				}
			}
			got.Finish = anthropicwire.FinishReason(string(msg.StopReason))
			u := msg.Usage
			in := int(u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens)
			got.Usage = &llm.Usage{InputTokens: in, OutputTokens: int(u.OutputTokens), CachedInputTokens: int(u.CacheReadInputTokens),
				CacheWriteTokens: int(u.CacheCreationInputTokens), TotalTokens: in + int(u.OutputTokens)}
			want.Model = "alias"
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the SDK added up\n%+v\nwant\n%+v", got, want)
			}
			// The SDK's own JSON of the message is whole.
			if !json.Valid([]byte(msg.RawJSON())) {
				t.Errorf("message JSON %s", msg.RawJSON())
			}
		})
	}
}

// The SDK reads EncodeResponse's messages and EncodeError's errors.
func TestSDKAcceptsResponsesAndErrors(t *testing.T) {
	t.Run("response", func(t *testing.T) {
		r, err := anthropicwire.DecodeResponse(fixture(t, "anthropic/thinking_tool_use.response.json"))
		if err != nil {
			t.Fatal(err)
		}
		body, err := anthropicwire.EncodeResponse(r, "alias")
		if err != nil {
			t.Fatal(err)
		}
		var sent []byte
		client := sdkClient(t, "application/json", http.StatusOK, body, func(b []byte) { sent = b })
		msg, err := client.Messages.New(context.Background(), sdkParams)
		if err != nil {
			t.Fatal(err)
		}
		if msg.StopReason != "tool_use" || len(msg.Content) != 3 || msg.Content[0].Signature == "" || msg.Content[2].Name != "get_user_country" ||
			msg.Usage.InputTokens != 398 || msg.Model != "alias" {
			t.Errorf("the SDK read %s", msg.RawJSON())
		}
		// What the SDK sends is a request DecodeRequest reads.
		if req, err := anthropicwire.DecodeRequest(sent); err != nil || req.Model != "claude-sonnet-4-5" || *req.MaxTokens != 100 {
			t.Errorf("SDK request %s: %+v %v", sent, req, err)
		}
	})
	for _, tt := range []struct {
		e      *llm.Error
		status int
		typ    string
	}{
		{llm.InvalidRequest(llm.CodeMissingField, "max_tokens", "max_tokens: field required"), 400, "invalid_request_error"},
		{&llm.Error{Status: 529, Message: "Overloaded"}, 529, "overloaded_error"},
		{&llm.Error{Status: 429, Message: "slow down"}, 429, "rate_limit_error"},
	} {
		t.Run(tt.typ, func(t *testing.T) {
			client := sdkClient(t, "application/json", tt.status, anthropicwire.EncodeError(tt.e), nil)
			_, err := client.Messages.New(context.Background(), sdkParams)
			var ae *anthropic.Error
			if !errorsAs(err, &ae) || ae.StatusCode != tt.status || !strings.Contains(ae.Error(), tt.typ) || !strings.Contains(ae.Error(), tt.e.Message) {
				t.Errorf("the SDK read %v", err)
			}
		})
	}
	t.Run("stream error event", func(t *testing.T) {
		chunks, _ := decodeStream(t, fixture(t, "anthropic/stream_text.response.sse"))
		rec := httptest.NewRecorder()
		w := newWriter(rec)
		enc := anthropicwire.NewStreamEncoder("m", 0)
		if err := enc.Encode(w, chunks[0]); err != nil {
			t.Fatal(err)
		}
		w.Event("error", anthropicwire.EncodeStreamError(&llm.Error{Status: 502, Message: "the connection broke"}))
		client := sdkClient(t, "text/event-stream", http.StatusOK, rec.Body.Bytes(), nil)
		s := client.Messages.NewStreaming(context.Background(), sdkParams)
		for s.Next() {
		}
		if err := s.Err(); err == nil || !strings.Contains(err.Error(), "the connection broke") {
			t.Errorf("the SDK ended with %v", err)
		}
	})
}

// A rich request as the official SDK writes it decodes, and goes back to Anthropic the same.
func TestSDKRequestDecodes(t *testing.T) {
	var sent []byte
	client := sdkClient(t, "application/json", http.StatusOK, fixture(t, "anthropic/plain.response.json"), func(b []byte) { sent = b })
	params := anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 2000,
		System:    []anthropic.TextBlockParam{{Text: "be brief", CacheControl: anthropic.NewCacheControlEphemeralParam()}},
		Thinking:  anthropic.ThinkingConfigParamOfEnabled(1024),
		Tools: []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
			Properties: map[string]any{"city": map[string]any{"type": "string"}}, Required: []string{"city"}}, "weather")},
		ToolChoice: anthropic.ToolChoiceUnionParam{OfAuto: &anthropic.ToolChoiceAutoParam{DisableParallelToolUse: anthropic.Bool(true)}},
		Messages: []anthropic.MessageParam{
			anthropic.NewUserMessage(anthropic.NewTextBlock("weather in Paris?"), anthropic.NewImageBlockBase64("image/png", "iVBORw0KGgo=")),
			anthropic.NewAssistantMessage(anthropic.NewThinkingBlock("sig", "let me check"), anthropic.NewToolUseBlock("toolu_1", map[string]any{"city": "Paris"}, "weather")),
			anthropic.NewUserMessage(anthropic.NewToolResultBlock("toolu_1", "sunny", false)),
		},
		StopSequences: []string{"END"},
	}
	if _, err := client.Messages.New(context.Background(), params); err != nil {
		t.Fatal(err)
	}
	r, err := anthropicwire.DecodeRequest(sent)
	if err != nil {
		t.Fatalf("%v\n%s", err, sent)
	}
	if len(r.Messages) != 4 || r.Messages[0].Role != llm.RoleSystem || len(r.Messages[0].Content[0].CacheControl) == 0 ||
		r.Messages[1].Content[1].ImageURL != "data:image/png;base64,iVBORw0KGgo=" ||
		r.Messages[2].ToolCalls[0].Arguments != `{"city":"Paris"}` || r.Messages[2].Thinking[0].Signature != "sig" ||
		r.Messages[3].Role != llm.RoleTool || r.Messages[3].Text() != "sunny" ||
		r.ParallelToolCalls == nil || *r.ParallelToolCalls || r.Thinking.BudgetTokens != 1024 || len(r.Tools) != 1 {
		t.Errorf("decoded %+v", r)
	}
	out, err := anthropicwire.EncodeRequest(r, "claude-sonnet-4-5", "anthropic", 1)
	if err != nil {
		t.Fatal(err)
	}
	if d := jsonDiff(normalize(decodeAny(t, sent)), normalize(decodeAny(t, out))); len(d) > 0 {
		t.Errorf("re-encoded differs:\n%s\n%s\n%s", strings.Join(d, "\n"), sent, out)
	}
}
