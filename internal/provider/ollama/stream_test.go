package ollama

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

// fixtureContent joins message.content over the lines of an NDJSON fixture.
func fixtureContent(t *testing.T, b []byte) string {
	var sb strings.Builder
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var w struct{ Message struct{ Content string } }
		if err := json.Unmarshal(line, &w); err != nil {
			t.Fatal(err)
		}
		sb.WriteString(w.Message.Content)
	}
	return sb.String()
}

func TestStreamFixtures(t *testing.T) {
	tests := []struct {
		fixture     string
		model       string
		wantChunks  int
		wantContent string // "" : the fixture's own, joined
		wantFinish  string
		wantUsage   llm.Usage
		wantCreated int64
		wantCalls   []llm.ToolCallDelta // ids checked by prefix
	}{
		{fixture: "chat_stream", model: "gemma3:1b", wantChunks: 22, wantContent: "Okay, here we go!\n\n1, 2, 3, 4, 5\n",
			wantFinish: llm.FinishStop, wantUsage: llm.Usage{InputTokens: 16, OutputTokens: 22, TotalTokens: 38}, wantCreated: 1755697704},
		{fixture: "chat_stream_default", model: "gemma3:1b", wantChunks: 51,
			wantFinish: llm.FinishLength, wantUsage: llm.Usage{InputTokens: 15, OutputTokens: 50, TotalTokens: 65}},
		{fixture: "chat_stream_think", model: "gemma3:1b", wantChunks: 55,
			wantFinish: llm.FinishStop, wantUsage: llm.Usage{InputTokens: 20, OutputTokens: 55, TotalTokens: 75}},
		{fixture: "chat_stream_format_json", model: "gemma3:1b", wantChunks: 9, wantContent: `{"answer": "600"}`,
			wantFinish: llm.FinishStop, wantUsage: llm.Usage{InputTokens: 25, OutputTokens: 9, TotalTokens: 34}},
		{fixture: "docs_chat_tools_stream", model: "llama3.2", wantChunks: 2, wantContent: "",
			wantFinish: llm.FinishToolCalls, wantUsage: llm.Usage{InputTokens: 169, OutputTokens: 15, TotalTokens: 184}, wantCreated: 1751919739,
			wantCalls: []llm.ToolCallDelta{{Index: 0, Name: "get_weather", Arguments: `{"city":"Tokyo"}`}}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			body := fixture(t, tt.fixture+".response.ndjson")
			f := newFake(t, map[string]http.HandlerFunc{"/api/chat": serveFixture(t, tt.fixture+".response.ndjson")})
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
			var content strings.Builder
			var calls []llm.ToolCallDelta
			for i, ch := range chunks {
				if ch.ID != chunks[0].ID || ch.Created != chunks[0].Created || ch.Model != tt.model {
					t.Errorf("chunk %d: id %q created %d model %q differ from the first", i, ch.ID, ch.Created, ch.Model)
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
				calls = append(calls, c.Delta.ToolCalls...)
			}
			if !strings.HasPrefix(chunks[0].ID, "chatcmpl-") {
				t.Errorf("ID %q", chunks[0].ID)
			}
			if tt.wantCreated != 0 && chunks[0].Created != tt.wantCreated {
				t.Errorf("Created %d, want %d", chunks[0].Created, tt.wantCreated)
			}
			want := tt.wantContent
			if want == "" {
				want = fixtureContent(t, body)
			}
			if content.String() != want {
				t.Errorf("content %q, want %q", content.String(), want)
			}
			end := chunks[len(chunks)-1]
			if end.Choices[0].FinishReason != tt.wantFinish || *end.Usage != tt.wantUsage {
				t.Errorf("end: finish %q usage %+v, want %q %+v", end.Choices[0].FinishReason, *end.Usage, tt.wantFinish, tt.wantUsage)
			}
			for i := range calls {
				if !strings.HasPrefix(calls[i].ID, "call_") {
					t.Errorf("call id %q", calls[i].ID)
				}
				calls[i].ID = ""
			}
			if !reflect.DeepEqual(calls, tt.wantCalls) {
				t.Errorf("tool calls %+v, want %+v", calls, tt.wantCalls)
			}
		})
	}
}

// streamBody serves body as an NDJSON stream.
func streamBody(body string) http.HandlerFunc {
	return serve(200, "application/x-ndjson", []byte(body))
}

func TestStreamLines(t *testing.T) {
	lines := strings.SplitAfter(string(fixture(t, "chat_stream.response.ndjson")), "\n")
	lines = lines[:len(lines)-1] // the fixture ends with a newline
	tests := []struct {
		name       string
		body       string
		wantChunks int
		wantErr    func(*llm.Error) bool
		wantMsg    []string
	}{
		{
			name: "thinking then two tool calls over two lines",
			body: `{"model":"qwen3","created_at":"2025-08-20T13:48:24Z","message":{"role":"assistant","content":"","thinking":"Weather "},"done":false}
{"model":"qwen3","created_at":"2025-08-20T13:48:24Z","message":{"role":"assistant","content":"","thinking":"in two cities."},"done":false}
{"model":"qwen3","created_at":"2025-08-20T13:48:25Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Tokyo"}}}]},"done":false}
{"model":"qwen3","created_at":"2025-08-20T13:48:25Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"index":1,"name":"get_weather","arguments":{"city": "Paris"}}}]},"done":false}
{"model":"qwen3","created_at":"2025-08-20T13:48:26Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true,"prompt_eval_count":5,"eval_count":7}
`,
			wantChunks: 5,
		},
		{
			name:       "CRLF, blank lines and no final newline",
			body:       "\r\n" + strings.ReplaceAll(strings.Join(lines[:3], ""), "\n", "\r\n\n") + strings.TrimSuffix(lines[len(lines)-1], "\n"),
			wantChunks: 4,
		},
		{
			name:       "error line mid-stream",
			body:       strings.Join(lines[:3], "") + `{"error":"an error was encountered while running the model: unexpected EOF"}` + "\n",
			wantChunks: 3,
			wantErr: func(e *llm.Error) bool {
				return e.Status == 502 && e.Type == llm.TypeUpstream && e.Code == llm.CodeUpstreamError && !e.Retryable
			},
			wantMsg: []string{`"ollama"`, "an error was encountered while running the model: unexpected EOF"},
		},
		{
			name: "error line first may be retried",
			body: `{"error":"model requires more system memory (8.0 GiB) than is available (4.0 GiB)"}` + "\n",
			wantErr: func(e *llm.Error) bool {
				return e.Status == 502 && e.Type == llm.TypeUpstream && e.Retryable
			},
			wantMsg: []string{`"ollama"`, "more system memory"},
		},
		{
			name:       "cut off before the done line",
			body:       strings.Join(lines[:len(lines)-1], ""),
			wantChunks: len(lines) - 1,
			wantErr: func(e *llm.Error) bool {
				return e.Status == 502 && e.Code == llm.CodeUpstreamBadResponse && !e.Retryable
			},
			wantMsg: []string{"could not read"},
		},
		{
			name:       "cut off inside a line",
			body:       strings.Join(lines[:2], "") + lines[2][:40],
			wantChunks: 2,
			wantErr:    func(e *llm.Error) bool { return e.Status == 502 && e.Code == llm.CodeUpstreamBadResponse },
		},
		{
			name:    "empty answer",
			body:    "",
			wantErr: func(e *llm.Error) bool { return e.Code == llm.CodeUpstreamBadResponse },
		},
		{
			name:    "not JSON",
			body:    "<html>proxy error</html>\n",
			wantErr: func(e *llm.Error) bool { return e.Code == llm.CodeUpstreamBadResponse },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, map[string]http.HandlerFunc{"/api/chat": streamBody(tt.body)})
			s, err := f.client(Options{}).Stream(context.Background(), &llm.Request{Model: "m", Messages: []llm.Message{user("hi")}})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			chunks, err := collect(t, s)
			if len(chunks) != tt.wantChunks {
				t.Errorf("%d chunks, want %d", len(chunks), tt.wantChunks)
			}
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("stream ended cleanly, want an error")
			}
			e := asLLMError(t, err)
			if !tt.wantErr(e) {
				t.Errorf("unexpected error %+v", e)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(e.Message, m) {
					t.Errorf("message %q lacks %q", e.Message, m)
				}
			}
		})
	}
}

func TestStreamToolCallIndexes(t *testing.T) {
	body := `{"model":"qwen3","created_at":"2025-08-20T13:48:25Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"a","arguments":{}}},{"function":{"name":"b","arguments":{"x":1}}}]},"done":false}
{"model":"qwen3","created_at":"2025-08-20T13:48:25Z","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"c","arguments":null}}]},"done":false}
{"model":"qwen3","created_at":"2025-08-20T13:48:26Z","message":{"role":"assistant","content":""},"done_reason":"stop","done":true}
`
	f := newFake(t, map[string]http.HandlerFunc{"/api/chat": streamBody(body)})
	s, err := f.client(Options{}).Stream(context.Background(), &llm.Request{Model: "qwen3", Messages: []llm.Message{user("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	chunks, err := collect(t, s)
	if err != nil {
		t.Fatal(err)
	}
	var got []llm.ToolCallDelta
	ids := map[string]bool{}
	for _, ch := range chunks {
		for _, d := range ch.Choices[0].Delta.ToolCalls {
			ids[d.ID] = true
			d.ID = ""
			got = append(got, d)
		}
	}
	want := []llm.ToolCallDelta{{Index: 0, Name: "a", Arguments: "{}"}, {Index: 1, Name: "b", Arguments: `{"x":1}`}, {Index: 2, Name: "c", Arguments: "{}"}}
	if !reflect.DeepEqual(got, want) || len(ids) != 3 {
		t.Errorf("got %+v (%d distinct ids), want %+v", got, len(ids), want)
	}
	if fr := chunks[len(chunks)-1].Choices[0].FinishReason; fr != llm.FinishToolCalls {
		t.Errorf("finish %q", fr)
	}
}

// hang writes first, flushes it, then waits until the client goes away and reports that.
func hang(first string, aborted chan<- struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if first != "" {
			w.Header().Set("Content-Type", "application/x-ndjson")
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
	line := string(bytes.SplitAfter(fixture(t, "chat_stream.response.ndjson"), []byte("\n"))[0])
	req := &llm.Request{Model: "m", Messages: []llm.Message{user("hi")}}

	t.Run("ctx cancel mid-stream", func(t *testing.T) {
		aborted := make(chan struct{})
		f := newFake(t, map[string]http.HandlerFunc{"/api/chat": hang(line, aborted)})
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
		f := newFake(t, map[string]http.HandlerFunc{"/api/chat": hang(line, aborted)})
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
		f := newFake(t, map[string]http.HandlerFunc{"/api/chat": hang("", aborted)})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := f.client(Options{}).Chat(ctx, req)
			done <- err
		}()
		for len(f.requests("/api/chat")) == 0 {
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
	line := string(bytes.SplitAfter(fixture(t, "chat_stream.response.ndjson"), []byte("\n"))[0])
	req := &llm.Request{Model: "m", Messages: []llm.Message{user("hi")}}
	isTimeout := func(e *llm.Error) bool {
		return e.Status == http.StatusGatewayTimeout && e.Code == llm.CodeUpstreamTimeout
	}

	t.Run("idle stream", func(t *testing.T) {
		aborted := make(chan struct{})
		f := newFake(t, map[string]http.HandlerFunc{"/api/chat": hang(line, aborted)})
		s, err := f.client(Options{StreamIdleTimeout: 20 * time.Millisecond}).Stream(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.Recv(); err != nil {
			t.Fatal(err)
		}
		_, err = s.Recv()
		if e := asLLMError(t, err); !isTimeout(e) {
			t.Errorf("got %+v", e)
		}
		waitAborted(t, aborted)
	})
	t.Run("no headers", func(t *testing.T) {
		aborted := make(chan struct{})
		f := newFake(t, map[string]http.HandlerFunc{"/api/chat": hang("", aborted)})
		_, err := f.client(Options{Timeout: 50 * time.Millisecond}).Stream(context.Background(), req)
		if e := asLLMError(t, err); !isTimeout(e) || !e.Retryable {
			t.Errorf("got %+v", e)
		}
		waitAborted(t, aborted)
	})
}

func TestStreamStateLines(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []llm.ChunkChoice // nil entry: the line gives no chunk
		err   string
	}{
		{
			name:  "thinking, content, done with content",
			lines: []string{`{"message":{"thinking":"hm"}}`, `{"message":{"content":"Hi"}}`, `{"message":{"content":"!"},"done":true,"done_reason":"length"}`},
			want: []llm.ChunkChoice{{Delta: llm.Delta{Role: "assistant", Reasoning: "hm"}}, {Delta: llm.Delta{Content: "Hi"}},
				{Delta: llm.Delta{Content: "!"}, FinishReason: llm.FinishLength}},
		},
		{
			name:  "empty first line still carries the role; later empty lines are skipped",
			lines: []string{`{"message":{"role":"assistant","content":""}}`, `{"message":{"content":""}}`, `{"done":true}`},
			want:  []llm.ChunkChoice{{Delta: llm.Delta{Role: "assistant"}}, {}, {FinishReason: llm.FinishStop}},
		},
		{
			name:  "done at once",
			lines: []string{`{"message":{"content":"ok"},"done":true,"done_reason":"stop"}`},
			want:  []llm.ChunkChoice{{Delta: llm.Delta{Role: "assistant", Content: "ok"}, FinishReason: llm.FinishStop}},
		},
		{name: "data after done", lines: []string{`{"done":true}`, `{"message":{"content":"x"}}`}, err: "after the last line",
			want: []llm.ChunkChoice{{Delta: llm.Delta{Role: "assistant"}, FinishReason: llm.FinishStop}}},
		{name: "arguments not JSON", lines: []string{`{"message":{"tool_calls":[{"function":{"name":"f","arguments":tru}}]}}`}, err: "decode stream line"},
		{name: "error object", lines: []string{`{"error":{"message":"boom"}}`}, err: `{"message":"boom"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := streamState{name: "ollama"}
			var err error
			for i, line := range tt.lines {
				var ch *llm.Chunk
				ch, err = s.chunk([]byte(line))
				if err != nil {
					break
				}
				want := tt.want[i]
				if ch == nil {
					if !reflect.DeepEqual(want, llm.ChunkChoice{}) {
						t.Errorf("line %d: no chunk, want %+v", i, want)
					}
					continue
				}
				if got := ch.Choices[0]; !reflect.DeepEqual(got, want) {
					t.Errorf("line %d: got %+v, want %+v", i, got, want)
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
