// Package sse reads and writes Server-Sent Events as used by the OpenAI and Anthropic streaming
// APIs (https://html.spec.whatwg.org/multipage/server-sent-events.html).
//
// The Reader accepts every line ending the standard allows (LF, CRLF, CR), comment lines, and
// multi-line data; the Writer emits one event per call and flushes it at once, so a stream is
// never buffered by the gateway.
package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// DefaultMaxEventSize bounds one event's size; a longer event is an error, not a hang.
const DefaultMaxEventSize = 16 << 20

// ErrEventTooLarge is returned when an event exceeds the reader's limit.
var ErrEventTooLarge = errors.New("sse: event too large")

// Event is one dispatched event. Data is owned by the caller.
type Event struct {
	Event string // the "event:" field, empty when absent
	ID    string
	Data  []byte
	// Comments counts comment lines seen since the previous event (for example OpenRouter's
	// ": OPENROUTER PROCESSING" keep-alives).
	Comments int
}

// Reader reads events from a stream.
type Reader struct {
	src   io.Reader
	buf   []byte
	start int
	end   int
	eof   bool
	err   error
	max   int

	data    []byte
	hasData bool
	event   string
	id      string
	comms   int
}

// NewReader returns a Reader with the default event size limit.
func NewReader(r io.Reader) *Reader {
	return &Reader{src: r, buf: make([]byte, 8<<10), max: DefaultMaxEventSize}
}

// SetMaxEventSize changes the limit on one event's size.
func (r *Reader) SetMaxEventSize(n int) { r.max = n }

// Next returns the next event. It returns io.EOF at a clean end of stream; a final event not
// followed by a blank line is still dispatched, as the SDKs do.
func (r *Reader) Next() (Event, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			if err == io.EOF && r.hasData {
				return r.dispatch(), nil
			}
			return Event{}, err
		}
		if len(line) == 0 {
			if r.hasData {
				return r.dispatch(), nil
			}
			// A blank line without data dispatches nothing and resets the event name.
			r.event = ""
			continue
		}
		if line[0] == ':' {
			r.comms++
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if r.hasData {
				r.data = append(r.data, '\n')
			}
			if len(r.data)+len(value) > r.max {
				return Event{}, ErrEventTooLarge
			}
			r.data = append(r.data, value...)
			r.hasData = true
		case "event":
			r.event = string(value)
		case "id":
			r.id = string(value)
		}
	}
}

func (r *Reader) dispatch() Event {
	ev := Event{Event: r.event, ID: r.id, Comments: r.comms}
	ev.Data = make([]byte, len(r.data))
	copy(ev.Data, r.data)
	r.data = r.data[:0]
	r.hasData = false
	r.event = ""
	r.comms = 0
	return ev
}

// readLine returns one line without its ending (LF, CRLF or a lone CR). The slice is valid
// until the next call.
func (r *Reader) readLine() ([]byte, error) {
	for {
		b := r.buf[r.start:r.end]
		n := bytes.IndexByte(b, '\n')
		limit := n
		if limit < 0 {
			limit = len(b)
		}
		if cr := bytes.IndexByte(b[:limit], '\r'); cr >= 0 {
			switch {
			case cr+1 < len(b):
				line := b[:cr]
				adv := cr + 1
				if b[cr+1] == '\n' {
					adv++
				}
				r.start += adv
				return line, nil
			case r.eof:
				r.start += cr + 1
				return b[:cr], nil
			}
			// A CR at the end of the buffer: read on to see whether an LF follows.
		} else if n >= 0 {
			r.start += n + 1
			return b[:n], nil
		} else if r.eof {
			if r.err != nil {
				// A broken connection: a partial line is not a line.
				return nil, r.err
			}
			if len(b) == 0 {
				return nil, io.EOF
			}
			r.start = r.end
			return b, nil
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// fill reads more input, compacting or growing the buffer as needed.
func (r *Reader) fill() error {
	if r.start > 0 {
		copy(r.buf, r.buf[r.start:r.end])
		r.end -= r.start
		r.start = 0
	}
	if r.end == len(r.buf) {
		if len(r.buf) >= r.max+2 {
			return ErrEventTooLarge
		}
		nb := make([]byte, min(2*len(r.buf), r.max+2))
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	n, err := r.src.Read(r.buf[r.end:])
	r.end += n
	if err != nil {
		r.eof = true
		if err != io.EOF {
			r.err = err
		}
	}
	return nil
}

// Writer writes events to an HTTP response and flushes each one.
type Writer struct {
	w   io.Writer
	rc  *http.ResponseController
	buf []byte
}

// NewWriter returns a Writer on w. It sets no headers; call SetHeaders before the first event.
func NewWriter(w http.ResponseWriter) *Writer {
	return &Writer{w: w, rc: http.NewResponseController(w)}
}

// SetHeaders sets the headers of an event stream on h.
func SetHeaders(h http.Header) {
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
}

// Data writes "data: <payload>\n\n" and flushes. The payload must not contain newlines
// (JSON encoded by encoding/json never does).
func (w *Writer) Data(payload []byte) error {
	return w.Event("", payload)
}

// Event writes an event with an optional name and flushes it.
func (w *Writer) Event(name string, payload []byte) error {
	b := w.buf[:0]
	if name != "" {
		b = append(b, "event: "...)
		b = append(b, name...)
		b = append(b, '\n')
	}
	b = append(b, "data: "...)
	b = append(b, payload...)
	b = append(b, '\n', '\n')
	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		return err
	}
	return w.Flush()
}

// Comment writes a comment line (": text") and flushes it; clients ignore it.
func (w *Writer) Comment(text string) error {
	if _, err := fmt.Fprintf(w.w, ": %s\n\n", text); err != nil {
		return err
	}
	return w.Flush()
}

// Flush sends what was written so far to the client.
func (w *Writer) Flush() error {
	if err := w.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
