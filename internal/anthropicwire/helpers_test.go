package anthropicwire_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/anthropicwire"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// fixture reads a file of testdata (see testdata/PROVENANCE.md).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtures lists the testdata files that match pattern, relative to testdata.
func fixtures(t testing.TB, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(m) == 0 {
		t.Fatalf("no fixtures match %q (%v)", pattern, err)
	}
	for i := range m {
		m[i], _ = filepath.Rel("testdata", m[i])
	}
	return m
}

// decodeAny unmarshals JSON into a generic value.
func decodeAny(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	return v
}

// jsonDiff lists the paths where two generic JSON values differ, as "path: want -> got"; an
// empty list means they are semantically equal (key order and white space do not matter).
func jsonDiff(want, got any) []string {
	var out []string
	diffAt("", want, got, &out)
	return out
}

func diffAt(path string, want, got any, out *[]string) {
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if wok && gok {
		keys := make([]string, 0, len(wm)+len(gm))
		for k := range wm {
			keys = append(keys, k)
		}
		for k := range gm {
			if _, ok := wm[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			wv, win := wm[k]
			gv, gin := gm[k]
			switch {
			case !win:
				*out = append(*out, fmt.Sprintf("%s.%s: absent -> %s", path, k, short(gv)))
			case !gin:
				*out = append(*out, fmt.Sprintf("%s.%s: %s -> absent", path, k, short(wv)))
			default:
				diffAt(path+"."+k, wv, gv, out)
			}
		}
		return
	}
	ws, wok := want.([]any)
	gs, gok := got.([]any)
	if wok && gok && len(ws) == len(gs) {
		for i := range ws {
			diffAt(fmt.Sprintf("%s[%d]", path, i), ws[i], gs[i], out)
		}
		return
	}
	if !reflect.DeepEqual(want, got) {
		*out = append(*out, fmt.Sprintf("%s: %s -> %s", path, short(want), short(got)))
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 100 {
		return string(b[:100]) + "…"
	}
	return string(b)
}

// obj returns the object at v, or nil.
func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// arr returns the array at v, or nil.
func arr(v any) []any { a, _ := v.([]any); return a }

// asLLMError asserts that err is an *llm.Error and returns it.
func asLLMError(t testing.TB, err error) *llm.Error {
	t.Helper()
	var e *llm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *llm.Error", err, err)
	}
	return e
}

func ptr[T any](v T) *T { return &v }

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
