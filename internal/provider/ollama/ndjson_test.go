package ollama

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// readLines reads r to its end and returns the lines and the error that ended it (nil for io.EOF).
func readLines(r *lineReader) ([]string, error) {
	var out []string
	for {
		line, err := r.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, string(line))
	}
}

func TestLineReader(t *testing.T) {
	tests := []struct {
		name    string
		in      io.Reader
		max     int
		want    []string
		wantErr error
	}{
		{"LF", strings.NewReader("{\"a\":1}\n{\"b\":2}\n"), 64, []string{`{"a":1}`, `{"b":2}`}, nil},
		{"CRLF", strings.NewReader("a\r\nb\r\n"), 64, []string{"a", "b"}, nil},
		{"blank lines skipped", strings.NewReader("\n\r\n  \na\n\t\n\nb\n\n"), 64, []string{"a", "b"}, nil},
		{"final line without newline", strings.NewReader("a\nb"), 64, []string{"a", "b"}, nil},
		{"empty", strings.NewReader(""), 64, nil, nil},
		{"line at the limit", strings.NewReader(strings.Repeat("x", 20) + "\r\n"), 20, []string{strings.Repeat("x", 20)}, nil},
		{"line over the limit", strings.NewReader("ok\n" + strings.Repeat("x", 21) + "\nnext\n"), 20, []string{"ok"}, errLineTooLong},
		{"final line over the limit", strings.NewReader("ok\n" + strings.Repeat("x", 100)), 20, []string{"ok"}, errLineTooLong},
		{"one byte at a time", iotest.OneByteReader(strings.NewReader("first line\nsecond line\r\nthird")), 16,
			[]string{"first line", "second line", "third"}, nil},
		{"broken connection drops the partial line", io.MultiReader(strings.NewReader("a\npart"), iotest.ErrReader(io.ErrUnexpectedEOF)),
			64, []string{"a"}, io.ErrUnexpectedEOF},
		{"long line across buffer refills", strings.NewReader(strings.Repeat("y", 100_000) + "\nz\n"), maxLineSize,
			[]string{strings.Repeat("y", 100_000), "z"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readLines(newLineReader(tt.in, tt.max))
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// referenceLines is the plain reading of NDJSON that lineReader must agree with: split at LF,
// drop one CR before it, skip blank lines, fail at the first line longer than max.
func referenceLines(data []byte, max int) ([]string, error) {
	var out []string
	segs := bytes.Split(data, []byte("\n"))
	if len(segs[len(segs)-1]) == 0 {
		segs = segs[:len(segs)-1]
	}
	for _, s := range segs {
		s = bytes.TrimSuffix(s, []byte("\r"))
		if len(s) > max {
			return out, errLineTooLong
		}
		if len(bytes.TrimSpace(s)) > 0 {
			out = append(out, string(s))
		}
	}
	return out, nil
}

func FuzzNDJSON(f *testing.F) {
	f.Add(fixture(f, "chat_stream.response.ndjson"))
	f.Add(fixture(f, "docs_chat_tools_stream.response.ndjson"))
	f.Add([]byte("a\r\n\r\nb\rc\n \n" + strings.Repeat("x", 70)))
	f.Fuzz(func(t *testing.T, data []byte) {
		const max = 64
		want, wantErr := referenceLines(data, max)
		for _, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data)), iotest.HalfReader(bytes.NewReader(data))} {
			got, err := readLines(newLineReader(r, max))
			if err != wantErr || !reflect.DeepEqual(got, want) {
				t.Fatalf("got %q, %v\nwant %q, %v", got, err, want, wantErr)
			}
			for _, line := range got {
				if len(line) > max || strings.Contains(line, "\n") {
					t.Fatalf("bad line %q", line)
				}
			}
		}
	})
}

// FuzzStreamLine feeds arbitrary lines to the stream decoder: it must never panic, and every
// chunk it gives must be complete and consistent with the ones before.
func FuzzStreamLine(f *testing.F) {
	for _, name := range []string{"chat_stream.response.ndjson", "docs_chat_tools_stream.response.ndjson"} {
		for _, line := range bytes.Split(fixture(f, name), []byte("\n")) {
			f.Add(line, []byte(`{"done":true}`))
		}
	}
	f.Add([]byte(`{"error":"boom"}`), []byte(`{}`))
	f.Add([]byte(`{"message":{"thinking":"x","tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}}`), []byte(`{"done":true,"done_reason":"length"}`))
	f.Fuzz(func(t *testing.T, first, second []byte) {
		s := streamState{name: "ollama"}
		calls := 0
		var id string
		for i, line := range [][]byte{first, second} {
			ch, err := s.chunk(line)
			if err != nil || ch == nil {
				continue
			}
			if !ch.Decoded || ch.Raw != nil || len(ch.Choices) != 1 || !strings.HasPrefix(ch.ID, "chatcmpl-") {
				t.Fatalf("line %d: incomplete chunk %+v", i, ch)
			}
			if id != "" && ch.ID != id {
				t.Fatalf("line %d: id changed", i)
			}
			id = ch.ID
			c := ch.Choices[0]
			if (c.FinishReason != "") != s.done || (ch.Usage != nil) != s.done {
				t.Fatalf("line %d: finish %q usage %v done %v", i, c.FinishReason, ch.Usage, s.done)
			}
			for _, d := range c.Delta.ToolCalls {
				if d.Index != calls || !strings.HasPrefix(d.ID, "call_") {
					t.Fatalf("line %d: tool call %+v, want index %d", i, d, calls)
				}
				calls++
			}
			if s.done && calls > 0 && c.FinishReason != "tool_calls" {
				t.Fatalf("finish %q after tool calls", c.FinishReason)
			}
		}
	})
}
