package ollama

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// maxLineSize bounds one NDJSON line; a longer one is an error, not unbounded memory.
const maxLineSize = 16 << 20

// errLineTooLong is returned by lineReader.Next for a line longer than its limit.
var errLineTooLong = errors.New("ollama: NDJSON line too long")

// lineReader splits newline-delimited JSON into lines. It drops the line ending (LF or CRLF)
// and skips blank lines; a final line without a newline is still returned at a clean end of
// input, but not when the input broke off with an error.
type lineReader struct {
	br  *bufio.Reader
	max int
	buf []byte
}

// newLineReader returns a reader of lines of at most max bytes, not counting the line ending.
func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, min(32<<10, max+2)), max: max}
}

// Next returns the next non-blank line. The slice is valid until the next call. It returns
// io.EOF at the end of input.
func (r *lineReader) Next() ([]byte, error) {
	for {
		line, err := r.readLine()
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(line)) > 0 {
			return line, nil
		}
	}
}

func (r *lineReader) readLine() ([]byte, error) {
	r.buf = r.buf[:0]
	for {
		frag, err := r.br.ReadSlice('\n')
		if len(r.buf)+len(frag) > r.max+2 { // room for the CRLF
			return nil, errLineTooLong
		}
		switch err {
		case nil:
			var line []byte
			if len(r.buf) == 0 {
				line = frag // no copy in the common case: valid until the next read
			} else {
				r.buf = append(r.buf, frag...)
				line = r.buf
			}
			line = line[:len(line)-1]
			line = bytes.TrimSuffix(line, []byte{'\r'})
			if len(line) > r.max {
				return nil, errLineTooLong
			}
			return line, nil
		case bufio.ErrBufferFull:
			r.buf = append(r.buf, frag...)
		case io.EOF:
			r.buf = append(r.buf, frag...)
			if len(r.buf) == 0 {
				return nil, io.EOF
			}
			line := bytes.TrimSuffix(r.buf, []byte{'\r'})
			if len(line) > r.max {
				return nil, errLineTooLong
			}
			return line, nil
		default:
			// A broken connection: a partial line is not a line.
			return nil, err
		}
	}
}
