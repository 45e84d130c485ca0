package exchange

import (
	"context"
	"errors"
	"net/http"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// readAheadDepth bounds how many chunks a readAhead may hold for the writer.
const readAheadDepth = 16

type received struct {
	chunk *llm.Chunk
	err   error
}

// readAhead receives a stream's chunks on its own goroutine, ahead of the handler that writes
// them, so that the handler knows whether another chunk is already waiting. The handler then
// flushes only before it would wait: a burst of events that arrived together (a fast engine,
// or events that queued while the gateway was busy) goes out in one write, where flushing after
// every event cost one write syscall each — most of the gateway's CPU per stream. A chunk is
// never held back for the next one: when none is waiting, what was written is flushed first.
type readAhead struct {
	ctx    context.Context
	stream llm.Stream
	chunks chan received
	stop   chan struct{}
}

// startReadAhead starts receiving from stream. Close must be called when done.
func startReadAhead(ctx context.Context, stream llm.Stream) *readAhead {
	ra := &readAhead{ctx: ctx, stream: stream, chunks: make(chan received, readAheadDepth), stop: make(chan struct{})}
	go func() {
		defer close(ra.chunks)
		for {
			ch, err := stream.Recv()
			select {
			case ra.chunks <- received{ch, err}:
			case <-ra.stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return ra
}

// Recv returns the next chunk, or the stream's error (io.EOF at its end). When no chunk is
// waiting it calls beforeWait first; an error from it is returned as errClientGone. When ctx
// ends during the wait, Recv returns ctx's error.
func (ra *readAhead) Recv(beforeWait func() error) (*llm.Chunk, error) {
	var r received
	var ok bool
	select {
	case r, ok = <-ra.chunks:
	default:
		if err := beforeWait(); err != nil {
			return nil, errClientGone
		}
		select {
		case r, ok = <-ra.chunks:
		case <-ra.ctx.Done():
			// The caller went away while the upstream is silent; Close ends the upstream call.
			return nil, ra.ctx.Err()
		}
	}
	if !ok {
		// Only after the stream's final error, which was already returned once.
		return nil, errors.New("stream read after its end")
	}
	return r.chunk, r.err
}

// Close closes the stream and waits for the receiving goroutine to end, so that nothing uses
// the stream afterwards. llm.Stream allows Close at any time; it ends a Recv in progress.
func (ra *readAhead) Close() error {
	close(ra.stop)
	err := ra.stream.Close()
	for range ra.chunks {
	}
	return err
}

// lazyFlusher takes the flush that sse.Writer does after every event as a note that something
// is pending; flush sends it. It has no Unwrap, so that http.ResponseController stops at its
// FlushError.
type lazyFlusher struct {
	http.ResponseWriter
	pending bool
	// writeErr is the first failed write to the client: after it, the client is gone.
	writeErr error
}

// Write writes to the client, remembering a failure.
func (l *lazyFlusher) Write(p []byte) (int, error) {
	n, err := l.ResponseWriter.Write(p)
	if err != nil && l.writeErr == nil {
		l.writeErr = err
	}
	return n, err
}

// FlushError records a flush for later.
func (l *lazyFlusher) FlushError() error {
	l.pending = true
	return nil
}

// flush sends what was written since the last flush, if anything.
func (l *lazyFlusher) flush() error {
	if !l.pending {
		return nil
	}
	l.pending = false
	if err := http.NewResponseController(l.ResponseWriter).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
