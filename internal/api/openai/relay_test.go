package openai

// Tests of the stream relay: readAhead and lazyFlusher in ChatCompletions.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/api/exchange"
	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/dispatch"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
	"github.com/sovereign-gateway/sovereign/internal/provider"
)

// scriptedStream returns n raw OpenAI chunks and then io.EOF. Before returning chunk i, Recv
// calls gate(i), which may block; Close unblocks it for good.
type scriptedStream struct {
	t      *testing.T
	n      int
	i      int
	gate   func(i int, closed <-chan struct{})
	closed chan struct{}
	once   sync.Once
}

func newScriptedStream(t *testing.T, n int, gate func(int, <-chan struct{})) *scriptedStream {
	return &scriptedStream{t: t, n: n, gate: gate, closed: make(chan struct{})}
}

func chunkJSON(i int) string {
	return fmt.Sprintf(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"t%d"},"finish_reason":null}]}`, i)
}

func (s *scriptedStream) Recv() (*llm.Chunk, error) {
	if s.gate != nil {
		s.gate(s.i, s.closed)
	}
	select {
	case <-s.closed:
		return nil, context.Canceled
	default:
	}
	if s.i >= s.n {
		return nil, io.EOF
	}
	c, err := openaiwire.NewChunk([]byte(chunkJSON(s.i)))
	if err != nil {
		s.t.Error(err)
	}
	s.i++
	return c, err
}

func (s *scriptedStream) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}

// scriptedProvider answers every streamed request with its stream.
type scriptedProvider struct{ stream llm.Stream }

func (p *scriptedProvider) Name() string { return "fake" }

func (p *scriptedProvider) Chat(context.Context, *llm.Request) (*llm.Response, error) {
	return nil, errors.New("not in this test")
}

func (p *scriptedProvider) Stream(context.Context, *llm.Request) (llm.Stream, error) {
	return p.stream, nil
}

// streamHandler is a handler whose one model, fake/m, streams s.
func streamHandler(s llm.Stream) *Handler {
	cat := catalog.New(catalog.Options{})
	cat.Put(&catalog.Entry{Name: "fake", Kind: "openai", Local: true, Reachable: true, Provider: &scriptedProvider{s},
		Models: []provider.ModelInfo{{ID: "m"}}})
	log := slog.New(slog.DiscardHandler)
	return &Handler{Pipeline: &exchange.Pipeline{Catalog: cat, Dispatch: dispatch.New(dispatch.Options{Log: log}), Log: log, MaxBody: 1 << 20}}
}

const streamRequest = `{"model":"fake/m","messages":[{"role":"user","content":"hi"}],"stream":true}`

func newStreamRequest(ctx context.Context) *http.Request {
	return httptest.NewRequestWithContext(ctx, http.MethodPost, "/v1/chat/completions", strings.NewReader(streamRequest))
}

// flushCounter counts the flushes that reach the response.
type flushCounter struct {
	http.ResponseWriter
	flushes atomic.Int32
	onWrite func()
}

func (f *flushCounter) Write(b []byte) (int, error) {
	if f.onWrite != nil {
		f.onWrite()
	}
	return f.ResponseWriter.Write(b)
}

func (f *flushCounter) FlushError() error {
	f.flushes.Add(1)
	return http.NewResponseController(f.ResponseWriter).Flush()
}

func wantEvents(t *testing.T, body string, n int) {
	t.Helper()
	var want strings.Builder
	for i := range n {
		want.WriteString("data: " + chunkJSON(i) + "\n\n")
	}
	want.WriteString("data: [DONE]\n\n")
	if body != want.String() {
		t.Errorf("body:\n%s\nwant:\n%s", body, want.String())
	}
}

// Chunks already received go out together: the handler flushes only before it would wait.
func TestRelayCoalescesWaitingChunks(t *testing.T) {
	const n = 10
	reachedLast := make(chan struct{})
	s := newScriptedStream(t, n, func(i int, _ <-chan struct{}) {
		if i == n-1 {
			close(reachedLast) // chunks 0 … n-2 are handed over by now
		}
	})
	rec := httptest.NewRecorder()
	// The first event's write waits until the reader is ahead, as when the upstream's events
	// arrive while the gateway is busy writing.
	var first sync.Once
	fc := &flushCounter{ResponseWriter: rec}
	fc.onWrite = func() {
		first.Do(func() {
			select {
			case <-reachedLast:
			case <-time.After(5 * time.Second):
				t.Error("the reader did not get ahead of the writer")
			}
		})
	}
	if err := streamHandler(s).ChatCompletions(fc, newStreamRequest(context.Background())); err != nil {
		t.Fatal(err)
	}
	wantEvents(t, rec.Body.String(), n)
	// The headers, maybe the event before the last was received, maybe the last: never one
	// flush per event.
	if got := fc.flushes.Load(); got > 3 {
		t.Errorf("%d flushes for %d events received together, want at most 3", got, n)
	}
}

// A chunk is sent as soon as it is received, not held back until the next one arrives.
func TestRelayFlushesBeforeWaiting(t *testing.T) {
	release := make(chan struct{})
	s := newScriptedStream(t, 2, func(i int, closed <-chan struct{}) {
		if i == 1 {
			select {
			case <-release:
			case <-closed:
			}
		}
	})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := streamHandler(s).ChatCompletions(w, r); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()
	defer s.Close()
	resp, err := http.Post(srv.URL, "application/json", strings.NewReader(streamRequest))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	got := make(chan string, 1)
	go func() {
		line, _ := br.ReadString('\n')
		got <- line
	}()
	select {
	case line := <-got:
		if want := "data: " + chunkJSON(0) + "\n"; line != want {
			t.Fatalf("first line %q, want %q", line, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first chunk did not reach the client while the upstream held the second")
	}
	close(release)
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	want := "\ndata: " + chunkJSON(1) + "\n\ndata: [DONE]\n\n"
	if string(rest) != want {
		t.Errorf("rest %q, want %q", rest, want)
	}
}

// A caller that goes away while the upstream is silent ends the handler and the upstream call.
func TestRelayClientGone(t *testing.T) {
	s := newScriptedStream(t, 2, func(i int, closed <-chan struct{}) {
		if i == 1 {
			<-closed // silent until closed
		}
	})
	done := make(chan error, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done <- streamHandler(s).ChatCompletions(w, r)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader(streamRequest))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(resp.Body).ReadString('\n')
	if !strings.HasPrefix(line, "data: ") {
		t.Fatalf("first line %q", line)
	}
	cancel()
	resp.Body.Close()
	select {
	case err := <-done:
		if !exchange.IsSent(err) {
			t.Errorf("handler returned %v, want the client-gone error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler did not return after the client went away")
	}
	select {
	case <-s.closed:
	default:
		t.Error("the upstream stream was not closed")
	}
}
