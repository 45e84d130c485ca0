package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/provider"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

var finishReasons = map[string]bool{llm.FinishStop: true, llm.FinishLength: true, llm.FinishToolCalls: true, llm.FinishContentFilter: true}

func FuzzDecodeResponse(f *testing.F) {
	for _, name := range []string{"generate_content", "generate_content_raw", "function_call", "function_call_raw", "error_403_permission_denied"} {
		f.Add(fixture(f, name+".response.json"))
	}
	f.Add([]byte(`{"promptFeedback":{"blockReason":2}}`))
	f.Add([]byte(`{"candidates":[{"content":{"parts":[{"text":"a","thought":true,"thoughtSignature":"s"},{"inlineData":{"mimeType":"image/png","data":"AA=="}}]},"finishReason":9,"logprobsResult":{"chosenCandidates":[{"token":"\u00e9"}]}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := decodeResponse("gemini", "m", body)
		if err != nil {
			return
		}
		if len(r.Choices) == 0 || r.ID == "" || r.Model == "" {
			t.Fatalf("answer without choices, id or model: %+v", r)
		}
		for _, c := range r.Choices {
			if !finishReasons[c.FinishReason] {
				t.Fatalf("finish reason %q", c.FinishReason)
			}
			if c.FinishReason == llm.FinishToolCalls && len(c.Message.ToolCalls) == 0 {
				t.Fatal("tool_calls without calls")
			}
			for _, tc := range c.Message.ToolCalls {
				if tc.ID == "" || !json.Valid([]byte(tc.Arguments)) || !strings.HasPrefix(tc.Arguments, "{") {
					t.Fatalf("tool call %+v", tc)
				}
			}
			if (len(c.Message.Content) == 0) != c.Message.ContentNull {
				t.Fatalf("content %+v null %v", c.Message.Content, c.Message.ContentNull)
			}
			if c.Logprobs != nil && !json.Valid(c.Logprobs) {
				t.Fatalf("logprobs %s", c.Logprobs)
			}
		}
		if u := r.Usage; u != nil && u.TotalTokens != u.InputTokens+u.OutputTokens {
			t.Fatalf("usage %+v", u)
		}
	})
}

// FuzzStream feeds a body through the stream reader without HTTP: as SSE, or as the JSON
// array Gemini sends without alt=sse.
func FuzzStream(f *testing.F) {
	for _, name := range []string{"stream_generate_content", "stream_function_call", "stream_thinking"} {
		f.Add(fixture(f, name+".response.sse"), false)
	}
	f.Add(fixture(f, "function_response_followup_raw.response.json"), true)
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\"}}]},\"index\":1}]}\n\ndata: [DONE]\n\n"), false)
	f.Add([]byte(`[{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}]`), true)
	f.Fuzz(func(t *testing.T, body []byte, array bool) {
		s := &stream{state: newStreamState("gemini", "m", 1), body: io.NopCloser(nil), cancel: func() {},
			idle: provider.NewIdleTimer(0, nil)}
		if array {
			s.src = newArraySource(bytes.NewReader(body))
		} else {
			s.src = &sseSource{r: sse.NewReader(bytes.NewReader(body))}
		}
		next := map[int]int{} // choice index -> next tool-call index
		usages := 0
		for range 100_000 {
			ch, err := s.Recv()
			if err == io.EOF {
				if usages > 1 {
					t.Fatalf("%d chunks with usage", usages)
				}
				return
			}
			if err != nil {
				var e *llm.Error
				if !errors.As(err, &e) || e.Status < 400 {
					t.Fatalf("error %v (%T) is not an *llm.Error", err, err)
				}
				if _, err := s.Recv(); err != io.EOF {
					t.Fatalf("Recv after an error = %v", err)
				}
				return
			}
			if ch.Usage != nil {
				usages++
			}
			for _, c := range ch.Choices {
				if c.FinishReason != "" && !finishReasons[c.FinishReason] {
					t.Fatalf("finish reason %q", c.FinishReason)
				}
				for _, d := range c.Delta.ToolCalls {
					if d.Index != next[c.Index] || d.ID == "" || !json.Valid([]byte(d.Arguments)) {
						t.Fatalf("tool call delta %+v, want index %d", d, next[c.Index])
					}
					next[c.Index]++
				}
			}
		}
		t.Fatal("stream does not end")
	})
}

func FuzzUpstreamError(f *testing.F) {
	f.Add(403, fixture(f, "error_403_permission_denied.response.json"))
	f.Add(429, []byte(`{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"37s"}]}}`))
	f.Add(400, []byte(`{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`))
	f.Add(502, []byte("<html>\x00\xff</html>"))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 400 || status > 599 {
			return
		}
		e := upstreamError("gemini", status, body)
		switch e.Status {
		case http.StatusBadRequest, http.StatusNotFound, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusGatewayTimeout:
		default:
			if e.Status < 400 || e.Status > 499 {
				t.Fatalf("status %d for %d", e.Status, status)
			}
		}
		if e.Message == "" || e.Type == "" || strings.ContainsFunc(e.Message, unicode.IsControl) {
			t.Fatalf("message %q type %q", e.Message, e.Type)
		}
		if e.RetryAfter < 0 {
			t.Fatalf("retry after %v", e.RetryAfter)
		}
		_ = bodyError("gemini", body)
	})
}
