package gemini

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// collect reads s to its end and returns the chunks and the error that ended it (nil for a
// clean io.EOF).
func collect(t *testing.T, s llm.Stream) ([]*llm.Chunk, error) {
	t.Helper()
	var out []*llm.Chunk
	for range 10_000 {
		ch, err := s.Recv()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, ch)
	}
	t.Fatal("stream does not end")
	return nil, nil
}

// sseEvents returns the data of each event of a recorded SSE body (CRLF line ends).
func sseEvents(t *testing.T, name string) [][]byte {
	var out [][]byte
	for _, line := range bytes.Split(fixture(t, name), []byte("\r\n")) {
		if d, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
			out = append(out, d)
		}
	}
	return out
}

func TestStreamFixtures(t *testing.T) {
	tests := []struct {
		fixture       string
		model         string
		wantChunks    int
		wantContent   string // checked by prefix and length
		wantLen       int
		wantReasoning int // bytes of reasoning
		wantSigs      int // Delta.ReasoningSignature values
		wantCalls     []llm.ToolCallDelta
		wantFinish    string
		wantUsage     llm.Usage
		wantID        string
		wantModel     string
	}{
		{fixture: "stream_generate_content.response.sse", model: "gemini-2.0-flash-exp", wantChunks: 3,
			wantContent: "The capital of France is Paris.\n", wantLen: 32, wantFinish: llm.FinishStop,
			wantUsage: llm.Usage{InputTokens: 13, OutputTokens: 8, TotalTokens: 21},
			wantID:    "w1peaMz6INOvnvgPgYfPiQY", wantModel: "gemini-2.0-flash-exp"},
		{fixture: "stream_function_call.response.sse", model: "gemini-3-pro-preview", wantChunks: 2, wantFinish: llm.FinishToolCalls,
			wantCalls: []llm.ToolCallDelta{{Index: 0, Name: "get_country", Arguments: "{}", Signature: "EpwICpkIAXLI2nxlU6gsWZaZHRYkX1or"}},
			wantUsage: llm.Usage{InputTokens: 29, OutputTokens: 212, TotalTokens: 241, ReasoningTokens: 202},
			wantID:    "QUVVadTSNJ6_qtsPvN7J8Q0", wantModel: "gemini-3-pro-preview"},
		{fixture: "stream_thinking.response.sse", model: "gemini-2.5-pro", wantChunks: 23,
			wantContent: "This is a great question! Safely crossing the street", wantLen: 1938, wantReasoning: 1575, wantSigs: 1,
			wantFinish: llm.FinishStop, wantUsage: llm.Usage{InputTokens: 34, OutputTokens: 1256, TotalTokens: 1290, ReasoningTokens: 787},
			wantID: "beHBaJfEMIi-qtsP3769-Q8", wantModel: "gemini-2.5-pro"},
		// Without alt=sse Gemini streams one JSON array (here with enum-encoding=int).
		{fixture: "stream_generate_content_json_array.response.json", model: "gemini-2.0-flash", wantChunks: 13,
			wantContent: "Clementine, a calico with a perpetually grumpy face", wantLen: -1, wantFinish: llm.FinishStop,
			wantUsage: llm.Usage{InputTokens: 8, OutputTokens: 578, TotalTokens: 586},
			wantID:    "VB-jaN_BCZuThMIPnryvyAg", wantModel: "gemini-2.0-flash"},
		{fixture: "function_response_followup_raw.response.json", model: "gemini-2.0-flash", wantChunks: 2,
			wantContent: "15 * 7 is 105.\n", wantLen: 15, wantFinish: llm.FinishStop,
			wantUsage: llm.Usage{InputTokens: 33, OutputTokens: 12, TotalTokens: 45},
			wantID:    "aR-jaMvrOc7shMIP2Mei0AI", wantModel: "gemini-2.0-flash"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			f := newFake(t, map[string]http.HandlerFunc{streamPath(tt.model): serveFixture(t, tt.fixture)})
			s, err := f.client(Options{}).Stream(context.Background(), &llm.Request{Model: tt.model, Messages: []llm.Message{user("hi")}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			chunks, err := collect(t, s)
			if err != nil {
				t.Fatalf("after %d chunks: %v", len(chunks), err)
			}
			if _, err := s.Recv(); err != io.EOF {
				t.Errorf("Recv after the end = %v, want io.EOF", err)
			}
			if len(chunks) != tt.wantChunks {
				t.Fatalf("%d chunks, want %d", len(chunks), tt.wantChunks)
			}
			var content, reasoning strings.Builder
			var calls []llm.ToolCallDelta
			var sigs []string
			for i, ch := range chunks {
				if ch.ID != tt.wantID || ch.Model != tt.wantModel || ch.Created != chunks[0].Created || ch.Created == 0 {
					t.Errorf("chunk %d: id %q model %q created %d", i, ch.ID, ch.Model, ch.Created)
				}
				if !ch.Decoded || ch.Raw != nil || len(ch.Choices) != 1 {
					t.Fatalf("chunk %d: decoded %v, %d raw bytes, %d choices", i, ch.Decoded, len(ch.Raw), len(ch.Choices))
				}
				c := ch.Choices[0]
				if want := map[bool]string{true: llm.RoleAssistant}[i == 0]; c.Delta.Role != want {
					t.Errorf("chunk %d: role %q, want %q", i, c.Delta.Role, want)
				}
				last := i == len(chunks)-1
				if (c.FinishReason != "") != last || (ch.Usage != nil) != last {
					t.Errorf("chunk %d: finish %q usage %v", i, c.FinishReason, ch.Usage)
				}
				content.WriteString(c.Delta.Content)
				reasoning.WriteString(c.Delta.Reasoning)
				calls = append(calls, c.Delta.ToolCalls...)
				if c.Delta.ReasoningSignature != "" {
					sigs = append(sigs, c.Delta.ReasoningSignature)
					if reasoning.Len() == 0 || c.Delta.Content == "" {
						t.Errorf("chunk %d: a signature before any reasoning, or not with the answer's first text", i)
					}
				}
			}
			if !strings.HasPrefix(content.String(), tt.wantContent) || tt.wantLen >= 0 && content.Len() != tt.wantLen {
				t.Errorf("content %q (%d bytes)", content.String()[:min(60, content.Len())], content.Len())
			}
			if reasoning.Len() != tt.wantReasoning || len(sigs) != tt.wantSigs {
				t.Errorf("%d bytes of reasoning, %d signatures", reasoning.Len(), len(sigs))
			}
			for i := range calls {
				if !strings.HasPrefix(calls[i].ID, "call_") {
					t.Errorf("call id %q", calls[i].ID)
				}
				calls[i].ID = ""
				if !strings.HasPrefix(calls[i].Signature, tt.wantCalls[i].Signature) || len(calls[i].Signature) != 1408 {
					t.Errorf("signature %q… (%d bytes) not kept", calls[i].Signature[:10], len(calls[i].Signature))
				}
				calls[i].Signature = tt.wantCalls[i].Signature
			}
			if len(calls) != len(tt.wantCalls) || len(calls) > 0 && !reflect.DeepEqual(calls, tt.wantCalls) {
				t.Errorf("tool calls %+v, want %+v", calls, tt.wantCalls)
			}
			end := chunks[len(chunks)-1]
			if end.Choices[0].FinishReason != tt.wantFinish || *end.Usage != tt.wantUsage {
				t.Errorf("end: finish %q usage %+v, want %q %+v", end.Choices[0].FinishReason, *end.Usage, tt.wantFinish, tt.wantUsage)
			}
		})
	}
}

// sseBody joins events into an SSE body with Gemini's CRLF line ends.
func sseBody(events ...string) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString("data: " + e + "\r\n\r\n")
	}
	return b.String()
}

func TestStreamBodies(t *testing.T) {
	events := sseEvents(t, "stream_generate_content.response.sse")
	first, second, last := string(events[0]), string(events[1]), string(events[2])
	overloaded := `{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`
	tests := []struct {
		name        string
		contentType string
		body        string
		wantChunks  int
		wantErr     func(*llm.Error) bool
		check       func(t *testing.T, chunks []*llm.Chunk)
	}{
		{name: "LF line ends and a comment", body: ": keep-alive\n\n" + strings.ReplaceAll(sseBody(first, second, last), "\r\n", "\n"), wantChunks: 3},
		{name: "garbage mid-stream", body: sseBody(first, second) + "data: {\"candidates\": [{\"content\": {\"parts\": [{\"te\r\n\r\n",
			wantChunks: 2, wantErr: func(e *llm.Error) bool { return isBadResponse(e) && !e.Retryable }},
		{name: "HTML instead of events", body: "<html><body>oops</body></html>", wantErr: isBadResponse},
		{name: "cut off before the finish", body: sseBody(first, second), wantChunks: 2,
			wantErr: func(e *llm.Error) bool { return isBadResponse(e) && !e.Retryable }},
		{name: "empty body", body: "", wantErr: isBadResponse},
		{name: "error event first may be retried", body: sseBody(overloaded),
			wantErr: func(e *llm.Error) bool { return e.Status == 502 && e.Code == llm.CodeUpstreamError && e.Retryable }},
		{name: "error event mid-stream", body: sseBody(first, overloaded), wantChunks: 1,
			wantErr: func(e *llm.Error) bool {
				return e.Status == 502 && e.Code == llm.CodeUpstreamError && !e.Retryable && strings.Contains(e.Message, "overloaded")
			}},
		{name: "malformed function call at the end", body: sseBody(first, `{"candidates":[{"content":{"parts":[{"text":""}]},"finishReason":"MALFORMED_FUNCTION_CALL"}]}`),
			wantChunks: 1, wantErr: func(e *llm.Error) bool { return isBadResponse(e) && !e.Retryable }},
		{name: "a trailing event after the end is ignored", body: sseBody(first, last, `{"usageMetadata":{"promptTokenCount":1}}`), wantChunks: 2},
		{name: "prompt blocked", body: sseBody(`{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":9,"totalTokenCount":9},"modelVersion":"gemini-2.5-flash","responseId":"x"}`),
			wantChunks: 1, check: func(t *testing.T, chunks []*llm.Chunk) {
				c := chunks[0]
				if c.Choices[0].FinishReason != llm.FinishContentFilter || c.Usage == nil || c.Usage.InputTokens != 9 || c.Choices[0].Delta.Role != llm.RoleAssistant {
					t.Errorf("%+v usage %+v", c.Choices, c.Usage)
				}
			}},
		{name: "JSON array", contentType: "application/json; charset=UTF-8", body: "[" + first + ",\r\n" + last + "]", wantChunks: 2},
		{name: "JSON array cut off", contentType: "application/json", body: "[" + first + ",\r\n" + last[:40],
			wantChunks: 1, wantErr: func(e *llm.Error) bool { return isBadResponse(e) && !e.Retryable }},
		{name: "JSON array with garbage", contentType: "application/json", body: "[" + first + ",]", wantChunks: 1, wantErr: isBadResponse},
		{name: "JSON that is not an array", contentType: "application/json", body: first, wantErr: isBadResponse},
		{name: "unknown content type", contentType: "text/html", body: "<html>", wantErr: isBadResponse},
		{name: "tool calls across events get their own indexes", body: sseBody(
			`{"candidates":[{"content":{"parts":[{"text":"Let me check."},{"functionCall":{"name":"a","args":{}}},{"functionCall":{"name":"b","args":{"x":1}}}]}}]}`,
			`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"c","id":"fc_1"}}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":9}}`),
			wantChunks: 2, check: func(t *testing.T, chunks []*llm.Chunk) {
				var got []llm.ToolCallDelta
				ids := map[string]bool{}
				for _, ch := range chunks {
					for _, d := range ch.Choices[0].Delta.ToolCalls {
						ids[d.ID] = true
						if d.ID != "fc_1" {
							d.ID = ""
						}
						got = append(got, d)
					}
				}
				want := []llm.ToolCallDelta{{Index: 0, Name: "a", Arguments: "{}"}, {Index: 1, Name: "b", Arguments: `{"x":1}`}, {Index: 2, ID: "fc_1", Name: "c", Arguments: "{}"}}
				if !reflect.DeepEqual(got, want) || len(ids) != 3 {
					t.Errorf("got %+v (%d ids), want %+v", got, len(ids), want)
				}
				if chunks[0].Choices[0].Delta.Content != "Let me check." || chunks[1].Choices[0].FinishReason != llm.FinishToolCalls ||
					*chunks[1].Usage != (llm.Usage{InputTokens: 5, OutputTokens: 9, TotalTokens: 14}) {
					t.Errorf("%+v %+v", chunks[0].Choices, chunks[1].Usage)
				}
				if !strings.HasPrefix(chunks[0].ID, "chatcmpl-") || chunks[0].Model != "m" {
					t.Errorf("id %q model %q", chunks[0].ID, chunks[0].Model)
				}
			}},
		{name: "two candidates finish apart; usage once at the end", body: sseBody(
			`{"candidates":[{"content":{"parts":[{"text":"A"}]},"index":0},{"content":{"parts":[{"text":"B"}]},"index":1}]}`,
			`{"candidates":[{"content":{"parts":[{"text":"."}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":2}}`,
			`{"candidates":[{"content":{"parts":[{"text":"!"}]},"finishReason":"MAX_TOKENS","index":1}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":4}}`),
			wantChunks: 3, check: func(t *testing.T, chunks []*llm.Chunk) {
				if len(chunks[0].Choices) != 2 || chunks[0].Choices[1].Delta.Role != llm.RoleAssistant || chunks[1].Usage != nil ||
					chunks[1].Choices[0].FinishReason != llm.FinishStop || chunks[2].Choices[0].Index != 1 ||
					chunks[2].Choices[0].FinishReason != llm.FinishLength || chunks[2].Usage.OutputTokens != 4 {
					t.Errorf("%+v / %+v / %+v", chunks[0].Choices, chunks[1], chunks[2])
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ct := tt.contentType
			if ct == "" {
				ct = "text/event-stream"
			}
			f := newFake(t, map[string]http.HandlerFunc{streamPath("m"): serve(200, ct, []byte(tt.body))})
			req := &llm.Request{Model: "m", Messages: []llm.Message{user("hi")}}
			if strings.HasPrefix(tt.name, "two candidates") {
				req.N = ptr(2)
			}
			s, err := f.client(Options{}).Stream(context.Background(), req)
			var chunks []*llm.Chunk
			if err == nil {
				defer s.Close()
				chunks, err = collect(t, s)
			}
			if len(chunks) != tt.wantChunks {
				t.Errorf("%d chunks, want %d", len(chunks), tt.wantChunks)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if tt.check != nil {
					tt.check(t, chunks)
				}
				return
			}
			if err == nil {
				t.Fatal("stream ended cleanly, want an error")
			}
			if e := asLLMError(t, err); !tt.wantErr(e) {
				t.Errorf("unexpected error %+v", e)
			}
			if s != nil {
				if _, err := s.Recv(); err != io.EOF {
					t.Errorf("Recv after the error = %v, want io.EOF", err)
				}
			}
		})
	}
}

func TestStreamStateEnd(t *testing.T) {
	// Two candidates asked for, one finished, then the body ends: the answer is complete as
	// far as it goes, and the usage comes in a chunk of its own.
	s := newStreamState("gemini", "m", 2)
	if _, err := s.chunk([]byte(`{"candidates":[{"content":{"parts":[{"text":"A"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1}}`)); err != nil {
		t.Fatal(err)
	}
	ch, err := s.eof()
	if err != nil || ch == nil || ch.Choices != nil || ch.Usage == nil || ch.Usage.TotalTokens != 4 {
		t.Fatalf("eof = %+v, %v", ch, err)
	}
	if ch, err := s.eof(); ch != nil || err != nil {
		t.Errorf("second eof = %+v, %v", ch, err)
	}
}

// hang writes first, flushes it, then waits until the client goes away and reports that.
func hang(first string, aborted chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if first != "" {
			w.Header().Set("Content-Type", "text/event-stream")
			io.WriteString(w, first)
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done()
		close(aborted)
	}
}

func waitAborted(t *testing.T, aborted <-chan struct{}) {
	t.Helper()
	select {
	case <-aborted:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream request was not aborted")
	}
}

func TestCancellation(t *testing.T) {
	first := sseBody(string(sseEvents(t, "stream_generate_content.response.sse")[0]))
	req := &llm.Request{Model: "m", Messages: []llm.Message{user("hi")}}

	t.Run("ctx cancel mid-stream", func(t *testing.T) {
		aborted := make(chan struct{})
		f := newFake(t, map[string]http.HandlerFunc{streamPath("m"): hang(first, aborted)})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s, err := f.client(Options{}).Stream(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
		cancel()
		if _, err := s.Recv(); !errors.Is(err, context.Canceled) {
			t.Errorf("Recv after cancel = %v, want context.Canceled", err)
		}
		waitAborted(t, aborted)
	})
	t.Run("Close mid-stream", func(t *testing.T) {
		aborted := make(chan struct{})
		f := newFake(t, map[string]http.HandlerFunc{streamPath("m"): hang(first, aborted)})
		s, err := f.client(Options{}).Stream(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
		s.Close()
		waitAborted(t, aborted)
	})
	t.Run("ctx cancel before the answer", func(t *testing.T) {
		aborted := make(chan struct{})
		f := newFake(t, map[string]http.HandlerFunc{chatPath("m"): hang("", aborted)})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := f.client(Options{}).Chat(ctx, req)
			done <- err
		}()
		for len(f.requests()) == 0 {
			time.Sleep(time.Millisecond) // wait for the request to arrive, not for time to pass
		}
		cancel()
		waitAborted(t, aborted)
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Chat = %v, want context.Canceled", err)
		}
	})
}

func TestTimeouts(t *testing.T) {
	first := sseBody(string(sseEvents(t, "stream_generate_content.response.sse")[0]))
	req := &llm.Request{Model: "m", Messages: []llm.Message{user("hi")}}
	isTimeout := func(e *llm.Error) bool {
		return e.Status == http.StatusGatewayTimeout && e.Code == llm.CodeUpstreamTimeout
	}

	t.Run("idle stream", func(t *testing.T) {
		aborted := make(chan struct{})
		f := newFake(t, map[string]http.HandlerFunc{streamPath("m"): hang(first, aborted)})
		s, err := f.client(Options{StreamIdleTimeout: 20 * time.Millisecond}).Stream(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
		_, err = s.Recv()
		if e := asLLMError(t, err); !isTimeout(e) || e.Retryable {
			t.Errorf("got %+v", e)
		}
		waitAborted(t, aborted)
	})
	t.Run("no headers", func(t *testing.T) {
		aborted := make(chan struct{})
		f := newFake(t, map[string]http.HandlerFunc{streamPath("m"): hang("", aborted)})
		_, err := f.client(Options{Timeout: 50 * time.Millisecond}).Stream(context.Background(), req)
		if e := asLLMError(t, err); !isTimeout(e) || !e.Retryable {
			t.Errorf("got %+v", e)
		}
		waitAborted(t, aborted)
	})
	t.Run("chat", func(t *testing.T) {
		aborted := make(chan struct{})
		f := newFake(t, map[string]http.HandlerFunc{chatPath("m"): hang("", aborted)})
		_, err := f.client(Options{Timeout: 50 * time.Millisecond}).Chat(context.Background(), req)
		if e := asLLMError(t, err); !isTimeout(e) || !e.Retryable {
			t.Errorf("got %+v", e)
		}
		waitAborted(t, aborted)
	})
}

func TestStreamStateEvents(t *testing.T) {
	tests := []struct {
		name   string
		events []string
		want   []llm.ChunkChoice // a zero entry: the event gives no chunk
		err    string
	}{
		{
			name: "thoughts, then the answer carrying their signature",
			events: []string{`{"candidates":[{"content":{"parts":[{"text":"hm","thought":true}]}}]}`,
				`{"candidates":[{"content":{"parts":[{"text":" ok","thought":true}]}}]}`,
				`{"candidates":[{"content":{"parts":[{"text":"Hi","thoughtSignature":"c2ln"}]}}]}`,
				`{"candidates":[{"content":{"parts":[{"text":"!","thoughtSignature":"ignored"}]},"finishReason":"STOP"}]}`},
			want: []llm.ChunkChoice{{Delta: llm.Delta{Role: "assistant", Reasoning: "hm"}}, {Delta: llm.Delta{Reasoning: " ok"}},
				{Delta: llm.Delta{Content: "Hi", ReasoningSignature: "c2ln"}}, {Delta: llm.Delta{Content: "!"}, FinishReason: llm.FinishStop}},
		},
		{
			name:   "a signed thought",
			events: []string{`{"candidates":[{"content":{"parts":[{"text":"hm","thought":true,"thoughtSignature":"s"}]},"finishReason":"STOP"}]}`},
			want:   []llm.ChunkChoice{{Delta: llm.Delta{Role: "assistant", Reasoning: "hm", ReasoningSignature: "s"}, FinishReason: llm.FinishStop}},
		},
		{
			name:   "empty events after the first are skipped",
			events: []string{`{"candidates":[{"content":{"parts":[{"text":""}]}}]}`, `{"candidates":[{"content":{"parts":[{"text":""}]}}]}`, `{"candidates":[{"finishReason":1}]}`},
			want:   []llm.ChunkChoice{{Delta: llm.Delta{Role: "assistant"}}, {}, {FinishReason: llm.FinishStop}},
		},
		{name: "not JSON", events: []string{`data`}, err: "decode stream event"},
		{name: "args not an object", events: []string{`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":"x"}}]}}]}`}, err: "not a JSON object"},
		{name: "error object", events: []string{`{"error":{"code":500,"message":"Internal error encountered.","status":"INTERNAL"}}`}, err: "Internal error encountered."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStreamState("gemini", "m", 1)
			var err error
			for i, ev := range tt.events {
				var ch *llm.Chunk
				ch, err = s.chunk([]byte(ev))
				if err != nil {
					break
				}
				want := tt.want[i]
				if ch == nil {
					if !reflect.DeepEqual(want, llm.ChunkChoice{}) {
						t.Errorf("event %d: no chunk, want %+v", i, want)
					}
					continue
				}
				if got := ch.Choices[0]; !reflect.DeepEqual(got, want) {
					t.Errorf("event %d: got %+v, want %+v", i, got, want)
				}
			}
			if tt.err == "" && err != nil {
				t.Fatal(err)
			}
			if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Errorf("err = %v, want one with %q", err, tt.err)
			}
		})
	}
}

// TestEventsAreResponses checks that each recorded stream event decodes as a whole answer
// too: the two decoders agree on the format.
func TestEventsAreResponses(t *testing.T) {
	for _, name := range []string{"stream_generate_content.response.sse", "stream_function_call.response.sse", "stream_thinking.response.sse"} {
		for i, ev := range sseEvents(t, name) {
			if _, err := decodeResponse("gemini", "m", ev); err != nil {
				t.Errorf("%s event %d: %v", name, i, err)
			}
		}
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(fixture(t, "stream_generate_content_json_array.response.json"), &arr); err != nil {
		t.Fatal(err)
	}
	for i, ev := range arr {
		if _, err := decodeResponse("gemini", "m", ev); err != nil {
			t.Errorf("array element %d: %v", i, err)
		}
	}
}
