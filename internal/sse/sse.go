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
	fatal error // ErrEventTooLarge, returned by every later Next

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
	if r.fatal != nil {
		return Event{}, r.fatal
	}
	for {
		line, err := r.readLine()
		if err != nil {
			if err == io.EOF && r.hasData {
				return r.dispatch(), nil
			}
			if err == ErrEventTooLarge {
				r.fatal = err
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
				// Sticky: the rest of this event must not come out as an event of its own.
				r.fatal = ErrEventTooLarge
				return Event{}, r.fatal
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
	// scanned counts the bytes of the pending line already known to hold no line end, so that a
	// long line arriving in many small reads is scanned once, not once per read.
	scanned := 0
	for {
		b := r.buf[r.start:r.end]
		if i := indexLineEnd(b[scanned:]); i >= 0 {
			i += scanned
			if b[i] == '\n' {
				r.start += i + 1
				return b[:i], nil
			}
			switch {
			case i+1 < len(b):
				adv := i + 1
				if b[i+1] == '\n' {
					adv++
				}
				r.start += adv
				return b[:i], nil
			case r.eof:
				r.start += i + 1
				return b[:i], nil
			}
			// A CR at the end of the buffer: read on to see whether an LF follows.
			scanned = i
		} else {
			scanned = len(b)
			if r.eof {
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
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// indexLineEnd returns the index of the first CR or LF in b, or -1.
func indexLineEnd(b []byte) int {
	n := bytes.IndexByte(b, '\n')
	if n < 0 {
		n = len(b)
	}
	if cr := bytes.IndexByte(b[:n], '\r'); cr >= 0 {
		return cr
	}
	if n == len(b) {
		return -1
	}
	return n
}

// lineSlack is what a line holds besides an event's bytes: the field name "data: " and a CRLF.
// Without it an event of exactly the maximum size would not fit the line buffer.
const lineSlack = len("data: ") + 2

// fill reads more input, compacting or growing the buffer as needed.
func (r *Reader) fill() error {
	if r.start > 0 {
		copy(r.buf, r.buf[r.start:r.end])
		r.end -= r.start
		r.start = 0
	}
	if r.end == len(r.buf) {
		if len(r.buf) >= r.max+lineSlack {
			return ErrEventTooLarge
		}
		nb := make([]byte, min(2*len(r.buf), r.max+lineSlack))
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

// Data writes "data: <payload>\n\n" and flushes. A payload with line breaks (LF, CRLF or CR)
// is written as one data line per line, which a reader joins again with LF.
func (w *Writer) Data(payload []byte) error {
	return w.Event("", payload)
}

// Event writes an event with an optional name and flushes it. The name must not contain line
// breaks; the payload may, as for Data.
func (w *Writer) Event(name string, payload []byte) error {
	b := w.buf[:0]
	if name != "" {
		b = append(b, "event: "...)
		b = append(b, name...)
		b = append(b, '\n')
	}
	b = appendLines(b, "data: ", payload)
	b = append(b, '\n')
	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		return err
	}
	return w.Flush()
}

// Comment writes a comment (": text", one comment line per line of text) and flushes it;
// clients ignore it.
func (w *Writer) Comment(text string) error {
	b := appendLines(w.buf[:0], ": ", []byte(text))
	b = append(b, '\n')
	w.buf = b
	if _, err := w.w.Write(b); err != nil {
		return err
	}
	return w.Flush()
}

// appendLines appends p as lines that each start with prefix. A payload written unsplit would
// let its second line be read as a field of its own (an injected "data:" or "event:").
func appendLines(b []byte, prefix string, p []byte) []byte {
	for {
		b = append(b, prefix...)
		i := indexLineEnd(p)
		if i < 0 {
			b = append(b, p...)
			return append(b, '\n')
		}
		b = append(b, p[:i]...)
		b = append(b, '\n')
		if p[i] == '\r' && i+1 < len(p) && p[i+1] == '\n' {
			i++
		}
		p = p[i+1:]
	}
}

// Flush sends what was written so far to the client.
func (w *Writer) Flush() error {
	if err := w.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
