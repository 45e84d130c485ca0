package ledger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ErrWriterClosed is returned (wrapped) by Commit and Flush once the writer has stopped, and
// passed to OnError for a record added after that.
var ErrWriterClosed = errors.New("ledger writer is closed")

// WriterOptions configures a Writer. Zero values mean the defaults given on each field.
type WriterOptions struct {
	// FlushInterval is how long a record added with Add may wait for others to share its
	// transaction. 0 = 100ms.
	FlushInterval time.Duration
	// MaxBatch is the most records one transaction writes. 0 = 512.
	MaxBatch int
	// MaxPending is how many unwritten records the writer holds before Add and Commit block
	// until some are written: the memory bound while the store fails (records are never
	// dropped). 0 = 100,000.
	MaxPending int
	// Durability is DurabilityBatched ("" too) or DurabilityStrict. In strict mode every record
	// is written as soon as the writer is free, without waiting for FlushInterval; records that
	// arrive during a write share the next transaction (group commit). Any other value means
	// strict.
	Durability string
	// RetryMin and RetryMax bound the backoff between attempts after a failed write, which
	// doubles from RetryMin up to RetryMax. 0 = 50ms and 2s.
	RetryMin, RetryMax time.Duration
	// Log receives one line per failed write, with the error and how many records wait; never
	// a record's prompt. nil = no logging.
	Log *slog.Logger
	// OnError, when set, is called after each failed write, from the writer's goroutine (so it
	// must not block), and with ErrWriterClosed for a record added after the writer stopped;
	// for metrics.
	OnError func(error)
}

func (o WriterOptions) withDefaults() WriterOptions {
	if o.FlushInterval <= 0 {
		o.FlushInterval = 100 * time.Millisecond
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 512
	}
	if o.MaxPending <= 0 {
		o.MaxPending = 100_000
	}
	if o.MaxPending < o.MaxBatch {
		o.MaxPending = o.MaxBatch
	}
	if o.Durability == "" {
		o.Durability = DurabilityBatched
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 50 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 2 * time.Second
	}
	if o.RetryMax < o.RetryMin {
		o.RetryMax = o.RetryMin
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}

// Writer writes records to a Store off the request's hot path: one goroutine owns every write,
// batching the records that arrive together into one transaction. A failed write is logged,
// counted and retried with backoff; its records stay queued, in order, and are never dropped.
//
// Add queues a record and returns at once; Commit returns only after its record is committed
// (strict durability); Flush waits for everything queued so far; Close drains the queue and
// stops the goroutine. The store is not closed by the writer: its owner closes it after Close.
type Writer struct {
	store Store
	opts  WriterOptions
	wake  chan struct{} // capacity 1: tells the loop that something changed
	abort context.CancelFunc
	done  chan struct{} // closed when the loop has returned

	failed atomic.Uint64 // failed Insert calls

	mu       sync.Mutex
	space    *sync.Cond // on mu: signalled when queued records are written or the loop stops
	queue    queue      // not yet written, oldest first; the loop writes its head
	queued   uint64     // sequence number of the last record queued (records ever queued)
	written  uint64     // records written; the queue holds sequence numbers written+1..queued
	hurry    uint64     // write without waiting for FlushInterval until written reaches this
	closing  bool       // Close was called: drain the queue, then stop
	stopped  bool       // the loop has returned; nothing more will be written
	inflight uint64     // sequence number of the last record of the write in progress; 0 = none
	progress chan struct{}
	lastErr  error
}

// NewWriter starts a writer on store. Stop it with Close.
func NewWriter(store Store, opts WriterOptions) *Writer {
	ctx, cancel := context.WithCancel(context.Background())
	w := &Writer{
		store:    store,
		opts:     opts.withDefaults(),
		wake:     make(chan struct{}, 1),
		abort:    cancel,
		done:     make(chan struct{}),
		progress: make(chan struct{}),
	}
	w.space = sync.NewCond(&w.mu)
	go w.run(ctx)
	return w
}

// Add queues rec to be written with the next batch. It does not wait for I/O; it blocks only
// while MaxPending records wait (the store is failing or far behind).
func (w *Writer) Add(rec Record) {
	w.enqueue(rec, false)
}

// Commit queues rec and returns once it is committed to the store, so that the caller can
// release the response's final bytes after it. While MaxPending records wait, Commit waits
// for room no longer than ctx allows, and then returns an error without queuing rec.
//
// If ctx ends after rec was queued, Commit returns an error and rec is still written later, so
// that the ledger keeps every request. Before that, withheld (when not nil) amends the queued
// record, so that it says what the caller did with the answer (it withheld it). A record that
// is being written when ctx ends is waited for, as long as that one write lasts: if the write
// succeeds, Commit returns nil and the answer may go out; if it fails, the record is amended.
func (w *Writer) Commit(ctx context.Context, rec Record, withheld func(*Record)) error {
	seq, err := w.enqueueCtx(ctx, rec, true)
	if err != nil {
		return err
	}
	err = w.wait(ctx, seq)
	if err == nil || withheld == nil || errors.Is(err, ErrWriterClosed) {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for seq <= w.inflight && !w.stopped {
		w.space.Wait() // the write in progress ends, one way or the other
	}
	switch {
	case seq <= w.written:
		return nil // written after all
	case w.stopped:
		return err
	}
	withheld(w.queue.At(int(seq - w.written - 1)))
	return err
}

// Flush writes every record queued before the call and returns when they are committed, or
// with an error when ctx ends first (the records stay queued).
func (w *Writer) Flush(ctx context.Context) error {
	w.mu.Lock()
	seq := w.queued
	w.hurry = max(w.hurry, seq)
	w.mu.Unlock()
	w.signal()
	return w.wait(ctx, seq)
}

// Close writes every queued record, then stops the writer's goroutine. While the store fails,
// Close keeps retrying until ctx ends; it then abandons the write and returns an error that
// names how many records could not be written. Add must not be called after Close.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	w.closing = true
	w.mu.Unlock()
	w.signal()
	select {
	case <-w.done:
	case <-ctx.Done():
		w.abort()
		<-w.done
	}
	w.mu.Lock()
	left, last := w.queue.Len(), w.lastErr
	w.mu.Unlock()
	if left > 0 {
		if last == nil {
			last = ctx.Err()
		}
		return fmt.Errorf("ledger: %d records could not be written before shutdown: %w (last error: %w)", left, ctx.Err(), last)
	}
	return nil
}

// Pending returns how many records are queued and not yet written.
func (w *Writer) Pending() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.queue.Len()
}

// FailedWrites returns how many writes (Insert calls) have failed since the writer started.
func (w *Writer) FailedWrites() uint64 {
	return w.failed.Load()
}

func (w *Writer) enqueue(rec Record, hurry bool) (uint64, error) {
	return w.enqueueCtx(context.Background(), rec, hurry)
}

// enqueueCtx queues rec, waiting while MaxPending records wait; with a non-nil ctx, no longer
// than ctx allows (Add passes context.Background: it waits for as long as it takes).
func (w *Writer) enqueueCtx(ctx context.Context, rec Record, hurry bool) (uint64, error) {
	w.mu.Lock()
	if w.queue.Len() >= w.opts.MaxPending && ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() {
			w.mu.Lock()
			w.space.Broadcast()
			w.mu.Unlock()
		})
		defer stop()
	}
	for w.queue.Len() >= w.opts.MaxPending && !w.stopped {
		if ctx.Err() != nil {
			pending := w.queue.Len()
			w.mu.Unlock()
			return 0, fmt.Errorf("ledger: record not queued, %d records wait to be written: %w", pending, ctx.Err())
		}
		w.space.Wait()
	}
	if w.stopped {
		w.mu.Unlock()
		err := fmt.Errorf("record %q not written: %w", rec.RequestID, ErrWriterClosed)
		w.opts.Log.Error("ledger record added after the writer stopped", "request_id", rec.RequestID)
		if w.opts.OnError != nil {
			w.opts.OnError(err)
		}
		return 0, err
	}
	w.queue.Push(rec)
	w.queued++
	seq := w.queued
	if hurry {
		w.hurry = seq
	}
	// The loop needs to hear only of the changes that can end its wait.
	notify := w.queue.Len() == 1 || w.queue.Len() == w.opts.MaxBatch || hurry || w.opts.Durability != DurabilityBatched
	w.mu.Unlock()
	if notify {
		w.signal()
	}
	return seq, nil
}

// wait returns when the record with sequence number seq is written.
func (w *Writer) wait(ctx context.Context, seq uint64) error {
	for {
		w.mu.Lock()
		written, stopped, progress := w.written, w.stopped, w.progress
		w.mu.Unlock()
		if written >= seq {
			return nil
		}
		if stopped {
			return fmt.Errorf("ledger: record not committed: %w", ErrWriterClosed)
		}
		select {
		case <-progress:
		case <-ctx.Done():
			w.mu.Lock()
			last := w.lastErr
			w.mu.Unlock()
			if last != nil {
				return fmt.Errorf("ledger: record not yet committed (still queued): %w (last error: %w)", ctx.Err(), last)
			}
			return fmt.Errorf("ledger: record not yet committed (still queued): %w", ctx.Err())
		}
	}
}

func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// run is the writer's goroutine: the only caller of store.Insert. It returns when Close was
// called and the queue is empty, or when Close's ctx ended (ctx is then cancelled).
func (w *Writer) run(ctx context.Context) {
	defer func() {
		w.mu.Lock()
		w.stopped = true
		close(w.progress)
		w.space.Broadcast()
		w.mu.Unlock()
		close(w.done)
	}()

	batch := make([]Record, 0, w.opts.MaxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var deadline time.Time // when the oldest unwritten record's FlushInterval ends
	backoff := time.Duration(0)

	for {
		w.mu.Lock()
		n := w.queue.Len()
		now := n >= w.opts.MaxBatch || w.closing || w.written < w.hurry || w.opts.Durability != DurabilityBatched
		closing := w.closing
		w.mu.Unlock()

		switch {
		case n == 0 && closing:
			return
		case n == 0:
			deadline = time.Time{}
			select {
			case <-w.wake:
			case <-ctx.Done():
				return
			}
			continue
		case !now:
			if deadline.IsZero() {
				deadline = time.Now().Add(w.opts.FlushInterval)
			}
			if d := time.Until(deadline); d > 0 {
				timer.Reset(d)
				select {
				case <-w.wake:
					timer.Stop()
					continue
				case <-timer.C:
				case <-ctx.Done():
					timer.Stop()
					return
				}
			}
		}

		w.mu.Lock()
		// A copy, because Insert sets IDs while Add may be moving the queue.
		batch = w.queue.Head(batch[:0], w.opts.MaxBatch)
		w.inflight = w.written + uint64(len(batch))
		w.mu.Unlock()

		err := w.store.Insert(ctx, batch)
		if err != nil {
			w.mu.Lock()
			w.inflight = 0
			w.space.Broadcast() // a Commit waiting for this write may amend its record now
			w.mu.Unlock()
		}
		if err != nil && ctx.Err() != nil {
			return // Close gave up and cancelled this write; its records stay queued
		}
		if err != nil {
			if backoff == 0 {
				backoff = w.opts.RetryMin
			} else {
				backoff = min(2*backoff, w.opts.RetryMax)
			}
			w.failed.Add(1)
			w.mu.Lock()
			w.lastErr = err
			pending := w.queue.Len()
			w.mu.Unlock()
			// The error is the store's (SQLite's) message; records are bound as parameters,
			// so it never contains a prompt.
			w.opts.Log.Error("ledger write failed; will retry", "err", err, "records", len(batch),
				"pending", pending, "retry_in", backoff)
			if w.opts.OnError != nil {
				w.opts.OnError(err)
			}
			timer.Reset(backoff)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				return
			}
			continue
		}
		backoff = 0
		deadline = time.Time{}
		clear(batch) // let go of the written records' prompts and metadata

		w.mu.Lock()
		w.queue.Pop(len(batch), 8*w.opts.MaxBatch)
		w.written += uint64(len(batch))
		w.inflight = 0
		w.lastErr = nil
		close(w.progress)
		w.progress = make(chan struct{})
		w.space.Broadcast()
		w.mu.Unlock()
	}
}
