package anthropicwire_test

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/wiretest"

	"github.com/sovereign-gateway/sovereign/internal/anthropicwire"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// events reads every event of a recorded or written stream.
func events(t testing.TB, stream []byte) []sse.Event {
	t.Helper()
	r := sse.NewReader(bytes.NewReader(stream))
	var out []sse.Event
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ev)
	}
}

// decodeStream runs a StreamDecoder over a whole stream and returns its chunks.
func decodeStream(t testing.TB, stream []byte) ([]*llm.Chunk, *anthropicwire.StreamDecoder) {
	t.Helper()
	d := anthropicwire.NewStreamDecoder()
	var out []*llm.Chunk
	for _, ev := range events(t, stream) {
		chunks, err := d.Decode(ev)
		if err != nil {
			t.Fatalf("event %q: %v", ev.Event, err)
		}
		out = append(out, chunks...)
	}
	return out, d
}

// answer is what a stream of chunks adds up to.
type answer struct {
	ID, Model    string
	Text         string
	Thinking     []llm.ThinkingBlock
	Calls        []llm.ToolCall
	Finish       string
	StopSequence string
	Usage        *llm.Usage
}

// accumulate adds up chunks as a client does. A signature ends a thinking block.
func accumulate(t testing.TB, chunks []*llm.Chunk) answer {
	t.Helper()
	var a answer
	var cur *llm.ThinkingBlock
	for _, c := range chunks {
		if err := c.Decode(); err != nil {
			t.Fatal(err)
		}
		if a.ID == "" {
			a.ID, a.Model = c.ID, c.Model
		}
		if c.Usage != nil {
			a.Usage = c.Usage
		}
		for _, ch := range c.Choices {
			d := ch.Delta
			if d.Reasoning != "" {
				if cur == nil {
					a.Thinking = append(a.Thinking, llm.ThinkingBlock{})
					cur = &a.Thinking[len(a.Thinking)-1]
				}
				cur.Text += d.Reasoning
			}
			if d.ReasoningSignature != "" {
				if cur == nil {
					a.Thinking = append(a.Thinking, llm.ThinkingBlock{})
					cur = &a.Thinking[len(a.Thinking)-1]
				}
				cur.Signature += d.ReasoningSignature
				cur = nil
			}
			if d.RedactedThinking != "" {
				a.Thinking = append(a.Thinking, llm.ThinkingBlock{Redacted: d.RedactedThinking})
				cur = nil
			}
			a.Text += d.Content
			for _, tc := range d.ToolCalls {
				for len(a.Calls) <= tc.Index {
					a.Calls = append(a.Calls, llm.ToolCall{})
				}
				call := &a.Calls[tc.Index]
				if tc.ID != "" {
					call.ID = tc.ID
				}
				if tc.Name != "" {
					call.Name = tc.Name
				}
				call.Arguments += tc.Arguments
			}
			if ch.FinishReason != "" {
				a.Finish, a.StopSequence = ch.FinishReason, ch.StopSequence
			}
		}
	}
	return a
}

// encodeStream writes chunks with a StreamEncoder and returns the bytes a client gets.
func encodeStream(t testing.TB, enc *anthropicwire.StreamEncoder, chunks []*llm.Chunk, comment string) []byte {
	t.Helper()
	rec := httptest.NewRecorder()
	w := sse.NewWriter(rec)
	for _, c := range chunks {
		if err := enc.Encode(w, c); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Finish(w, comment); err != nil {
		t.Fatal(err)
	}
	return rec.Body.Bytes()
}

// eventNames lists the names of a stream's events.
func eventNames(evs []sse.Event) string {
	names := make([]string, len(evs))
	for i, ev := range evs {
		names[i] = ev.Event
	}
	return strings.Join(names, " ")
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

func newWriter(rec *httptest.ResponseRecorder) *sse.Writer { return sse.NewWriter(rec) }

// The helpers every wire package's tests share (internal/wiretest).
func fixture(t testing.TB, name string) []byte       { return wiretest.Fixture(t, name) }
func fixtures(t testing.TB, pattern string) []string { return wiretest.Fixtures(t, pattern) }
func decodeAny(t testing.TB, b []byte) any           { return wiretest.DecodeAny(t, b) }
func jsonDiff(want, got any) []string                { return wiretest.Diff(want, got) }
func obj(v any) map[string]any                       { return wiretest.Obj(v) }
func arr(v any) []any                                { return wiretest.Arr(v) }
func asLLMError(t testing.TB, err error) *llm.Error  { return wiretest.AsLLMError(t, err) }
func ptr[T any](v T) *T                              { return wiretest.Ptr(v) }
