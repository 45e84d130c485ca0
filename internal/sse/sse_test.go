package sse_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// readAll reads events from r until Next fails and returns them with the final error. It gives
// up after limit events, so that a reader that never ends fails the test instead of hanging it.
func readAll(t testing.TB, r *sse.Reader, limit int) ([]sse.Event, error) {
	t.Helper()
	var evs []sse.Event
	for range limit + 1 {
		ev, err := r.Next()
		if err != nil {
			return evs, err
		}
		evs = append(evs, ev)
	}
	t.Fatalf("Next returned more than %d events", limit)
	return nil, nil
}

// readers wraps the input in the tiny-read readers of testing/iotest: each must give the same
// events as one big read.
var readers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"OneByteReader", iotest.OneByteReader},
	{"HalfReader", iotest.HalfReader},
	{"DataErrReader", iotest.DataErrReader},
}

func TestReader(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []sse.Event
	}{
		{"empty stream", "", nil},
		{"LF", "data: a\n\ndata: b\n\n", []sse.Event{{Data: []byte("a")}, {Data: []byte("b")}}},
		{"CRLF", "data: a\r\n\r\ndata: b\r\n\r\n", []sse.Event{{Data: []byte("a")}, {Data: []byte("b")}}},
		{"lone CR", "data: a\r\rdata: b\r\r", []sse.Event{{Data: []byte("a")}, {Data: []byte("b")}}},
		{"mixed endings", "data: a\r\n\rdata: b\n\r\ndata: c\r\n", []sse.Event{
			{Data: []byte("a")}, {Data: []byte("b")}, {Data: []byte("c")}}},
		{"CR then LF in separate events", "data: a\r\r\ndata: b\n\n", []sse.Event{{Data: []byte("a")}, {Data: []byte("b")}}},
		{"multi-line data", "data: a\ndata: b\ndata: c\n\n", []sse.Event{{Data: []byte("a\nb\nc")}}},
		{"multi-line data CRLF", "data: {\r\ndata: \"x\": 1\r\ndata: }\r\n\r\n", []sse.Event{{Data: []byte("{\n\"x\": 1\n}")}}},
		{"no space after colon", "data:a\n\n", []sse.Event{{Data: []byte("a")}}},
		{"only one space removed", "data:  a \n\n", []sse.Event{{Data: []byte(" a ")}}},
		{"colon in value", "data: {\"a\":\"b:c\"}\n\n", []sse.Event{{Data: []byte(`{"a":"b:c"}`)}}},
		{"empty data field", "data\n\ndata:\n\n", []sse.Event{{Data: []byte{}}, {Data: []byte{}}}},
		{"empty data line inside data", "data: a\ndata:\ndata: b\n\n", []sse.Event{{Data: []byte("a\n\nb")}}},
		{"comments counted", ": keep-alive\n\n: again\ndata: x\n\ndata: y\n\n", []sse.Event{
			{Data: []byte("x"), Comments: 2}, {Data: []byte("y")}}},
		{"bare colon comment", ":\ndata: x\n\n", []sse.Event{{Data: []byte("x"), Comments: 1}}},
		{"event and id", "event: ping\nid: 7\ndata: {}\n\n", []sse.Event{{Event: "ping", ID: "7", Data: []byte("{}")}}},
		{"event name reset after dispatch", "event: x\ndata: a\n\ndata: b\n\n", []sse.Event{
			{Event: "x", Data: []byte("a")}, {Data: []byte("b")}}},
		{"blank line without data resets event name", "event: x\n\ndata: a\n\n", []sse.Event{{Data: []byte("a")}}},
		// The last event id stays set until a new id field, as in the EventSource standard.
		{"id persists", "id: 1\ndata: a\n\ndata: b\n\nid:\ndata: c\n\n", []sse.Event{
			{ID: "1", Data: []byte("a")}, {ID: "1", Data: []byte("b")}, {Data: []byte("c")}}},
		{"unknown fields ignored", "retry: 10\nfoo: bar\nDATA: no\ndata: a\n\n", []sse.Event{{Data: []byte("a")}}},
		{"leading blank lines", "\n\n\r\n\rdata: a\n\n", []sse.Event{{Data: []byte("a")}}},
		{"final event without blank line", "data: a\n\ndata: b\n", []sse.Event{{Data: []byte("a")}, {Data: []byte("b")}}},
		{"final event without line end", "data: a\n\nevent: e\ndata: b", []sse.Event{
			{Data: []byte("a")}, {Event: "e", Data: []byte("b")}}},
		{"final event ends with CR", "data: a\r", []sse.Event{{Data: []byte("a")}}},
		{"only comments", ": a\n: b\n\n", nil},
		{"event without data is dropped", "event: x\nid: 3\n\n", nil},
		{"non-ASCII and NUL bytes kept", "data: h\u00e9\x00llo \u2713\n\n", []sse.Event{{Data: []byte("h\u00e9\x00llo \u2713")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, rd := range readers {
				r := sse.NewReader(rd.wrap(strings.NewReader(tt.in)))
				got, err := readAll(t, r, 100)
				if err != io.EOF {
					t.Fatalf("%s: final error = %v, want io.EOF", rd.name, err)
				}
				if !eventsEqual(got, tt.want) {
					t.Errorf("%s: events =\n%s\nwant\n%s", rd.name, fmtEvents(got), fmtEvents(tt.want))
				}
				// After the end, Next keeps answering io.EOF.
				if _, err := r.Next(); err != io.EOF {
					t.Errorf("%s: Next after the end = %v, want io.EOF", rd.name, err)
				}
			}
		})
	}
}

func eventsEqual(a, b []sse.Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Event != b[i].Event || a[i].ID != b[i].ID || a[i].Comments != b[i].Comments ||
			!bytes.Equal(a[i].Data, b[i].Data) || (a[i].Data == nil) != (b[i].Data == nil) {
			return false
		}
	}
	return true
}

func fmtEvents(evs []sse.Event) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "  {Event:%q ID:%q Data:%q Comments:%d}\n", ev.Event, ev.ID, ev.Data, ev.Comments)
	}
	return b.String()
}

// errReader returns its data together with err in one Read call.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	if len(r.data) == 0 {
		return n, r.err
	}
	return n, nil
}

func TestReaderReadError(t *testing.T) {
	errReset := errors.New("connection reset by peer")
	tests := []struct {
		name string
		in   string
		want []sse.Event // events before the error
	}{
		// A broken connection in the middle of a line must not look like a complete event.
		{"mid-line", `data: {"choices":[{"delta":{"content":"hel`, nil},
		{"mid-line after an event", "data: a\n\ndata: {\"tr", []sse.Event{{Data: []byte("a")}}},
		{"line complete, event not", "data: a\n", nil},
		{"multi-line event cut", "data: a\ndata: b\n", nil},
		{"CR-terminated line, event not", "data: a\r", nil},
		{"at an event boundary", "data: a\n\n", []sse.Event{{Data: []byte("a")}}},
		{"nothing read", "", nil},
	}
	sources := []struct {
		name string
		src  func(in string) io.Reader
	}{
		{"separate read", func(in string) io.Reader {
			return io.MultiReader(strings.NewReader(in), iotest.ErrReader(errReset))
		}},
		{"same read", func(in string) io.Reader { return &errReader{data: []byte(in), err: errReset} }},
		{"one byte", func(in string) io.Reader {
			return iotest.OneByteReader(io.MultiReader(strings.NewReader(in), iotest.ErrReader(errReset)))
		}},
		{"timeout", func(in string) io.Reader {
			// iotest.TimeoutReader fails its second read with iotest.ErrTimeout.
			return iotest.TimeoutReader(strings.NewReader(in))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, s := range sources {
				if s.name == "timeout" && len(tt.in) == 0 {
					continue // an empty first read ends the stream before the timeout
				}
				got, err := readAll(t, sse.NewReader(s.src(tt.in)), 100)
				wantErr := errReset
				if s.name == "timeout" {
					wantErr = iotest.ErrTimeout
				}
				if !errors.Is(err, wantErr) {
					t.Errorf("%s: final error = %v, want %v", s.name, err, wantErr)
				}
				if !eventsEqual(got, tt.want) {
					t.Errorf("%s: events =\n%s\nwant\n%s", s.name, fmtEvents(got), fmtEvents(tt.want))
				}
			}
		})
	}
}

func TestReaderEventTooLarge(t *testing.T) {
	tests := []struct {
		name string
		max  int
		in   string
		want []sse.Event // events before the error; wantErr nil means the stream ends cleanly
		err  error
	}{
		{"one long line", 64, "data: " + strings.Repeat("x", 1000) + "\n\n", nil, sse.ErrEventTooLarge},
		{"line longer than the buffer", 1024, "data: " + strings.Repeat("x", 100_000) + "\n\n", nil, sse.ErrEventTooLarge},
		{"line without end", 1024, "data: " + strings.Repeat("x", 100_000), nil, sse.ErrEventTooLarge},
		{"many short lines", 50, strings.Repeat("data: 0123456789\n", 10) + "\n", nil, sse.ErrEventTooLarge},
		{"after a good event", 64, "data: ok\n\ndata: " + strings.Repeat("x", 1000) + "\n\n",
			[]sse.Event{{Data: []byte("ok")}}, sse.ErrEventTooLarge},
		{"exactly the limit", 64, "data: " + strings.Repeat("x", 64) + "\r\n\r\n",
			[]sse.Event{{Data: bytes.Repeat([]byte("x"), 64)}}, io.EOF},
		// A data line holds "data: " besides the event's bytes; an event of exactly the limit
		// must pass also when the limit is beyond the reader's first buffer (8 KiB).
		{"exactly a large limit", 20_000, "data: " + strings.Repeat("x", 20_000) + "\r\n\r\n",
			[]sse.Event{{Data: bytes.Repeat([]byte("x"), 20_000)}}, io.EOF},
		{"exactly a large limit in lines", 20_000, strings.Repeat("data: "+strings.Repeat("x", 1999)+"\n", 10) + "\n",
			[]sse.Event{{Data: []byte(strings.TrimSuffix(strings.Repeat(strings.Repeat("x", 1999)+"\n", 10), "\n"))}}, io.EOF},
		{"one over a large limit", 20_000, "data: " + strings.Repeat("x", 20_001) + "\n\n", nil, sse.ErrEventTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, rd := range readers {
				r := sse.NewReader(rd.wrap(strings.NewReader(tt.in)))
				r.SetMaxEventSize(tt.max)
				got, err := readAll(t, r, 100)
				if !errors.Is(err, tt.err) {
					t.Errorf("%s: final error = %v, want %v", rd.name, err, tt.err)
				}
				if !eventsEqual(got, tt.want) {
					t.Errorf("%s: got %d events, want %d", rd.name, len(got), len(tt.want))
				}
				// The error sticks: the rest of a too large event must not come out as an event.
				if tt.err == sse.ErrEventTooLarge {
					if ev, err := r.Next(); err != sse.ErrEventTooLarge {
						t.Errorf("%s: Next after ErrEventTooLarge = %q, %v", rd.name, ev.Data, err)
					}
				}
			}
		})
	}
}

// TestReaderRecorded replays recorded provider streams (testdata/PROVENANCE.md) byte for byte.
func TestReaderRecorded(t *testing.T) {
	tests := []struct {
		file     string
		events   int
		json     bool   // every payload but a final [DONE] is a JSON value
		done     bool   // the last payload is [DONE]
		names    bool   // every event has an event: name equal to its JSON "type"
		comments int    // comment lines in the stream
		eol      string // line ending used by the recording
	}{
		{file: "openai-chat/stream_text_include_usage.response.sse", events: 12, json: true, done: true, eol: "\n"},
		{file: "openai-chat/stream_parallel_tool_calls.response.sse", events: 8, json: true, done: true, eol: "\n"},
		{file: "openai-compatible/openrouter_stream_include_usage.response.sse", events: 6, json: true, done: true, comments: 1, eol: "\n"},
		{file: "anthropic/stream_text.response.sse", events: 7, json: true, names: true, eol: "\n"},
		{file: "gemini/stream_generate_content.response.sse", events: 3, json: true, eol: "\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			want, err := readAll(t, sse.NewReader(bytes.NewReader(raw)), 1000)
			if err != io.EOF {
				t.Fatalf("final error = %v, want io.EOF", err)
			}
			if len(want) != tt.events {
				t.Fatalf("got %d events, want %d", len(want), tt.events)
			}
			for _, rd := range readers[1:] {
				got, err := readAll(t, sse.NewReader(rd.wrap(bytes.NewReader(raw))), 1000)
				if err != io.EOF || !eventsEqual(got, want) {
					t.Errorf("%s: events differ from one big read (err %v)", rd.name, err)
				}
			}
			comments := 0
			var rebuilt bytes.Buffer
			for i, ev := range want {
				comments += ev.Comments
				for range ev.Comments {
					rebuilt.WriteString(": OPENROUTER PROCESSING" + tt.eol + tt.eol)
				}
				if ev.Event != "" {
					rebuilt.WriteString("event: " + ev.Event + tt.eol)
				}
				rebuilt.WriteString("data: " + string(ev.Data) + tt.eol + tt.eol)
				last := i == len(want)-1
				if tt.done && last {
					if string(ev.Data) != "[DONE]" {
						t.Errorf("last payload = %q, want [DONE]", ev.Data)
					}
					continue
				}
				if tt.json && !json.Valid(ev.Data) {
					t.Errorf("event %d: payload is not valid JSON: %q", i, ev.Data)
				}
				if tt.names {
					var v struct{ Type string }
					if err := json.Unmarshal(ev.Data, &v); err != nil || v.Type != ev.Event {
						t.Errorf("event %d: name %q, payload type %q (%v)", i, ev.Event, v.Type, err)
					}
				}
			}
			if comments != tt.comments {
				t.Errorf("comments = %d, want %d", comments, tt.comments)
			}
			// The payloads are the recording's bytes exactly: writing them back in the
			// recording's framing gives the file again.
			if !bytes.Equal(rebuilt.Bytes(), raw) {
				t.Errorf("events written back differ from the recording:\n got %q\nwant %q", rebuilt.Bytes(), raw)
			}
		})
	}
}

// TestWriterRelaysRecorded checks that the Writer, fed what the Reader read, reproduces a recorded
// stream byte for byte (streams recorded with LF endings).
func TestWriterRelaysRecorded(t *testing.T) {
	for _, file := range []string{
		"openai-chat/stream_text_include_usage.response.sse",
		"openai-compatible/openrouter_stream_include_usage.response.sse",
		"anthropic/stream_text.response.sse",
	} {
		t.Run(file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			w := sse.NewWriter(rec)
			r := sse.NewReader(bytes.NewReader(raw))
			for {
				ev, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				for range ev.Comments {
					if err := w.Comment("OPENROUTER PROCESSING"); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Event(ev.Event, ev.Data); err != nil {
					t.Fatal(err)
				}
			}
			if got := rec.Body.Bytes(); !bytes.Equal(got, raw) {
				t.Errorf("relayed stream differs:\n got %q\nwant %q", got, raw)
			}
		})
	}
}

func TestWriter(t *testing.T) {
	tests := []struct {
		name  string
		write func(*sse.Writer) error
		want  string
	}{
		{"Data", func(w *sse.Writer) error { return w.Data([]byte("x")) }, "data: x\n\n"},
		{"Data JSON", func(w *sse.Writer) error { return w.Data([]byte(`{"a":1}`)) }, "data: {\"a\":1}\n\n"},
		{"Data empty", func(w *sse.Writer) error { return w.Data(nil) }, "data: \n\n"},
		{"Event", func(w *sse.Writer) error { return w.Event("n", []byte("x")) }, "event: n\ndata: x\n\n"},
		{"Event without name", func(w *sse.Writer) error { return w.Event("", []byte("x")) }, "data: x\n\n"},
		{"Comment", func(w *sse.Writer) error { return w.Comment("c") }, ": c\n\n"},
		{"several", func(w *sse.Writer) error {
			if err := w.Comment("hi"); err != nil {
				return err
			}
			if err := w.Event("message_start", []byte("{}")); err != nil {
				return err
			}
			return w.Data([]byte("[DONE]"))
		}, ": hi\n\nevent: message_start\ndata: {}\n\ndata: [DONE]\n\n"},
		// A payload with line breaks becomes one data line per line, so that a reader gets it
		// back (with LF line breaks) instead of losing the lines after the first.
		{"multi-line Data", func(w *sse.Writer) error { return w.Data([]byte("a\nb")) }, "data: a\ndata: b\n\n"},
		{"CRLF and CR in Data", func(w *sse.Writer) error { return w.Data([]byte("a\r\nb\rc\n")) },
			"data: a\ndata: b\ndata: c\ndata: \n\n"},
		{"multi-line Comment", func(w *sse.Writer) error { return w.Comment("a\ndata: b") }, ": a\n: data: b\n\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			w := sse.NewWriter(rec)
			if err := tt.write(w); err != nil {
				t.Fatal(err)
			}
			if got := rec.Body.String(); got != tt.want {
				t.Errorf("wrote %q, want %q", got, tt.want)
			}
			if !rec.Flushed {
				t.Error("not flushed")
			}
		})
	}
}

func TestWriterFlushesEachEvent(t *testing.T) {
	fw := &flushCounter{ResponseRecorder: httptest.NewRecorder()}
	w := sse.NewWriter(fw)
	for i, op := range []func() error{
		func() error { return w.Data([]byte("a")) },
		func() error { return w.Event("e", []byte("b")) },
		func() error { return w.Comment("c") },
	} {
		if err := op(); err != nil {
			t.Fatal(err)
		}
		if fw.flushes != i+1 {
			t.Fatalf("after %d writes: %d flushes", i+1, fw.flushes)
		}
		// Everything written so far reached the client at the time of the flush.
		if fw.flushedLen != fw.Body.Len() {
			t.Fatalf("flushed %d bytes of %d", fw.flushedLen, fw.Body.Len())
		}
	}
}

type flushCounter struct {
	*httptest.ResponseRecorder
	flushes    int
	flushedLen int
}

func (f *flushCounter) Flush() {
	f.flushes++
	f.flushedLen = f.Body.Len()
	f.ResponseRecorder.Flush()
}

// noFlusher is a ResponseWriter that cannot flush.
type noFlusher struct{ h http.Header }

func (n *noFlusher) Header() http.Header         { return n.h }
func (n *noFlusher) Write(p []byte) (int, error) { return len(p), nil }
func (n *noFlusher) WriteHeader(int)             {}

// failWriter fails every write.
type failWriter struct{ noFlusher }

var errWrite = errors.New("client went away")

func (f *failWriter) Write(p []byte) (int, error) { return 0, errWrite }

func TestWriterErrors(t *testing.T) {
	// A writer that cannot flush is not an error: the bytes still go out, just later.
	w := sse.NewWriter(&noFlusher{h: http.Header{}})
	if err := w.Data([]byte("x")); err != nil {
		t.Errorf("Data on a writer without Flush: %v", err)
	}
	w = sse.NewWriter(&failWriter{noFlusher{h: http.Header{}}})
	for name, op := range map[string]func() error{
		"Data":    func() error { return w.Data([]byte("x")) },
		"Event":   func() error { return w.Event("e", []byte("x")) },
		"Comment": func() error { return w.Comment("x") },
	} {
		if err := op(); !errors.Is(err, errWrite) {
			t.Errorf("%s on a failing writer = %v, want %v", name, err, errWrite)
		}
	}
}

func TestSetHeaders(t *testing.T) {
	h := http.Header{}
	sse.SetHeaders(h)
	want := http.Header{
		"Content-Type":      {"text/event-stream; charset=utf-8"},
		"Cache-Control":     {"no-cache"},
		"X-Accel-Buffering": {"no"},
	}
	if !reflect.DeepEqual(h, want) {
		t.Errorf("headers = %v, want %v", h, want)
	}
}

// FuzzReader checks that no input makes the Reader panic or loop, that tiny reads change
// nothing, and that payloads written in the Writer's format read back unchanged.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"data: a\n\n", "data: a\r\n\r\n", "data: a\r\r", "event: e\nid: 1\ndata: x\ndata: y\n\n",
		": c\n\ndata: [DONE]\n\n", "data: a", "data: a\r", "\r\n\r", "data:\n\n", "\x00data: \xff\n\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		// Every event needs at least "data" and a line end, so a finite input cannot give
		// more events than it has bytes.
		want, werr := readAll(t, sse.NewReader(bytes.NewReader(in)), len(in)+1)
		if werr != io.EOF {
			t.Fatalf("in-memory stream ended with %v, want io.EOF", werr)
		}
		got, err := readAll(t, sse.NewReader(iotest.OneByteReader(bytes.NewReader(in))), len(in)+1)
		if err != werr || !eventsEqual(got, want) {
			t.Fatalf("one-byte reads differ: %d events (%v), want %d (%v)", len(got), err, len(want), werr)
		}

		// Round trip: the input split at NUL bytes gives payloads; odd ones get an event name.
		payloads := bytes.Split(in, []byte{0})
		rec := httptest.NewRecorder()
		w := sse.NewWriter(rec)
		for i, p := range payloads {
			name := ""
			if i%2 == 1 {
				name = "e"
			}
			if err := w.Event(name, p); err != nil {
				t.Fatal(err)
			}
		}
		evs, err := readAll(t, sse.NewReader(bytes.NewReader(rec.Body.Bytes())), len(payloads))
		if err != io.EOF {
			t.Fatalf("reading back: %v", err)
		}
		if len(evs) != len(payloads) {
			t.Fatalf("wrote %d events, read %d back", len(payloads), len(evs))
		}
		for i, p := range payloads {
			// Line breaks in a payload come back as LF, as the standard says.
			p = bytes.ReplaceAll(bytes.ReplaceAll(p, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
			if !bytes.Equal(evs[i].Data, p) {
				t.Fatalf("event %d: read %q, wrote %q", i, evs[i].Data, p)
			}
			if wantName := map[bool]string{false: "", true: "e"}[i%2 == 1]; evs[i].Event != wantName {
				t.Fatalf("event %d: name %q, want %q", i, evs[i].Event, wantName)
			}
		}
	})
}
