package ledger_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/ledger"
	"github.com/sovereign-gateway/sovereign/internal/ledger/sqlite"
)

func openStore(t *testing.T, opts sqlite.Options) (*sqlite.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := sqlite.Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func rec(i int) ledger.Record {
	return ledger.Record{
		Time:      time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Millisecond),
		RequestID: fmt.Sprintf("req-%06d", i), Route: ledger.RouteLocal, Provider: "ollama", Model: "qwen",
		InputTokens: int64(i), Outcome: ledger.OutcomeOK, Prompt: "secret prompt text",
	}
}

func count(t *testing.T, s ledger.Store) int64 {
	t.Helper()
	sum, err := s.Summarize(context.Background(), ledger.Filter{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum) == 0 {
		return 0
	}
	return sum[0].Requests
}

func TestWriterBatched(t *testing.T) {
	tests := []struct {
		name    string
		opts    ledger.WriterOptions
		records int
		writers int
	}{
		{"defaults, one producer", ledger.WriterOptions{}, 10_000, 1},
		{"small batches, many producers", ledger.WriterOptions{MaxBatch: 7, FlushInterval: time.Millisecond}, 3_200, 16},
		{"long interval: Close flushes", ledger.WriterOptions{FlushInterval: time.Hour}, 3_000, 4},
		{"strict durability via Add", ledger.WriterOptions{Durability: ledger.DurabilityStrict}, 2_000, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openStore(t, sqlite.Options{Durability: tt.opts.Durability})
			w := ledger.NewWriter(s, tt.opts)
			var wg sync.WaitGroup
			per := tt.records / tt.writers
			if per*tt.writers != tt.records {
				t.Fatalf("%d records do not split over %d writers", tt.records, tt.writers)
			}
			for g := range tt.writers {
				wg.Go(func() {
					for i := range per {
						w.Add(rec(g*per + i))
					}
				})
			}
			wg.Wait()
			if err := w.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := count(t, s); n != int64(tt.records) {
				t.Errorf("%d rows, want %d", n, tt.records)
			}
			if w.Pending() != 0 || w.FailedWrites() != 0 {
				t.Errorf("Pending %d, FailedWrites %d", w.Pending(), w.FailedWrites())
			}
			// Every record exactly once.
			recs, err := s.Records(context.Background(), ledger.Filter{Limit: tt.records + 1})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, r := range recs {
				if seen[r.RequestID] {
					t.Fatalf("record %s written twice", r.RequestID)
				}
				seen[r.RequestID] = true
			}
		})
	}
}

func TestWriterFlush(t *testing.T) {
	s, _ := openStore(t, sqlite.Options{})
	w := ledger.NewWriter(s, ledger.WriterOptions{FlushInterval: time.Hour})
	defer w.Close(context.Background())
	for i := range 10 {
		w.Add(rec(i))
	}
	if err := w.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s); n != 10 {
		t.Errorf("after Flush: %d rows, want 10", n)
	}
}

func TestWriterCommitStrict(t *testing.T) {
	s, path := openStore(t, sqlite.Options{Durability: ledger.DurabilityStrict})
	// A second, separate store on the same file: its connections see only committed data.
	other, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// FlushInterval is an hour, so that only Commit itself can have written the record.
	w := ledger.NewWriter(s, ledger.WriterOptions{Durability: ledger.DurabilityStrict, FlushInterval: time.Hour})
	defer w.Close(context.Background())

	var wg sync.WaitGroup
	var missing atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for i := range 10 {
				r := rec(g*10 + i)
				r.Task = r.RequestID // a filter that finds just this record
				if err := w.Commit(context.Background(), r, nil); err != nil {
					t.Error(err)
					return
				}
				got, err := other.Records(context.Background(), ledger.Filter{Task: r.RequestID})
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) != 1 {
					missing.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := missing.Load(); n > 0 {
		t.Errorf("%d records not readable from another connection after Commit returned", n)
	}
}

// flaky wraps a Store; its Insert fails while failures > 0 (or always when forever is set).
type flaky struct {
	ledger.Store
	mu       sync.Mutex
	failures int
	forever  bool
	calls    int
}

var errInjected = errors.New("disk I/O error (injected)")

func (f *flaky) Insert(ctx context.Context, recs []ledger.Record) error {
	f.mu.Lock()
	f.calls++
	fail := f.forever || f.failures > 0
	if f.failures > 0 {
		f.failures--
	}
	f.mu.Unlock()
	if fail {
		return errInjected
	}
	return f.Store.Insert(ctx, recs)
}

// logBuffer is an io.Writer for a slog handler, safe for the writer's goroutine.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func slogTo(l *logBuffer) *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestWriterRetries(t *testing.T) {
	for _, failures := range []int{1, 3, 10} {
		t.Run(fmt.Sprintf("%d failures", failures), func(t *testing.T) {
			s, _ := openStore(t, sqlite.Options{})
			f := &flaky{Store: s, failures: failures}
			var onError atomic.Int64
			var log logBuffer
			w := ledger.NewWriter(f, ledger.WriterOptions{
				MaxBatch: 100, RetryMin: time.Millisecond, RetryMax: 4 * time.Millisecond,
				Log: slogTo(&log),
				OnError: func(err error) {
					if errors.Is(err, errInjected) {
						onError.Add(1)
					}
				},
			})
			const n = 1000
			for i := range n {
				w.Add(rec(i))
			}
			if err := w.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := w.FailedWrites(); got != uint64(failures) {
				t.Errorf("FailedWrites = %d, want %d", got, failures)
			}
			if got := onError.Load(); got != int64(failures) {
				t.Errorf("OnError called %d times, want %d", got, failures)
			}
			recs, err := s.Records(context.Background(), ledger.Filter{Limit: 2 * n})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != n {
				t.Fatalf("%d rows, want %d", len(recs), n)
			}
			// Newest first, and in the order they were added: retries keep the order.
			for i, r := range recs {
				if want := rec(n - 1 - i).RequestID; r.RequestID != want {
					t.Fatalf("row %d is %s, want %s", i, r.RequestID, want)
				}
			}
			out := log.String()
			if strings.Count(out, "ledger write failed") != failures {
				t.Errorf("log has %d failure lines, want %d:\n%s", strings.Count(out, "ledger write failed"), failures, out)
			}
			if strings.Contains(out, "secret prompt") {
				t.Errorf("log shows a prompt:\n%s", out)
			}
		})
	}
}

func TestWriterCloseGivesUp(t *testing.T) {
	s, _ := openStore(t, sqlite.Options{})
	f := &flaky{Store: s, forever: true}
	w := ledger.NewWriter(f, ledger.WriterOptions{RetryMin: time.Millisecond, RetryMax: 10 * time.Millisecond})
	for i := range 5 {
		w.Add(rec(i))
	}

	// Commit waits for its record, which cannot be written, until its ctx ends; the record
	// stays queued.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	err := w.Commit(ctx, rec(5), nil)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errInjected) {
		t.Errorf("Commit = %v, want the deadline and the store's error", err)
	}
	if got := w.Pending(); got != 6 {
		t.Errorf("Pending = %d, want 6", got)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = w.Close(ctx)
	if err == nil {
		t.Fatal("Close succeeded with a store that always fails")
	}
	if !strings.Contains(err.Error(), "6 records could not be written") || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, errInjected) {
		t.Errorf("Close = %v", err)
	}
	if w.FailedWrites() < 2 {
		t.Errorf("FailedWrites = %d: Close did not keep retrying", w.FailedWrites())
	}
	if n := count(t, s); n != 0 {
		t.Errorf("%d rows written by a store that always fails", n)
	}

	// After Close, nothing more can be written, and callers are told.
	var closedErr atomic.Bool
	w2 := ledger.NewWriter(s, ledger.WriterOptions{OnError: func(err error) { closedErr.Store(errors.Is(err, ledger.ErrWriterClosed)) }})
	if err := w2.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	w2.Add(rec(1))
	if !closedErr.Load() {
		t.Error("Add after Close did not report ErrWriterClosed")
	}
	if err := w2.Commit(context.Background(), rec(2), nil); !errors.Is(err, ledger.ErrWriterClosed) {
		t.Errorf("Commit after Close = %v", err)
	}
	if err := w2.Flush(context.Background()); err != nil {
		t.Errorf("Flush after Close with nothing queued = %v", err)
	}
}

// memStore is an in-memory Store for the tests that run in a synctest bubble, where the
// writer's waits use the fake clock. fail makes Insert fail.
type memStore struct {
	mu      sync.Mutex
	recs    []ledger.Record
	batches []int
	fail    bool
}

func (m *memStore) Insert(_ context.Context, recs []ledger.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errInjected
	}
	m.recs = append(m.recs, recs...)
	m.batches = append(m.batches, len(recs))
	return nil
}

func (m *memStore) written() (int, []int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.recs), append([]int(nil), m.batches...)
}

func (m *memStore) setFail(v bool) {
	m.mu.Lock()
	m.fail = v
	m.mu.Unlock()
}

func (m *memStore) Records(context.Context, ledger.Filter) ([]ledger.Record, error) { return nil, nil }
func (m *memStore) Summarize(context.Context, ledger.Filter, []string) ([]ledger.Summary, error) {
	return nil, nil
}
func (m *memStore) Close() error { return nil }

func TestWriterBatchesByIntervalAndSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &memStore{}
		w := ledger.NewWriter(m, ledger.WriterOptions{FlushInterval: 100 * time.Millisecond, MaxBatch: 10})
		for i := range 3 {
			w.Add(rec(i))
		}
		synctest.Wait()
		if n, _ := m.written(); n != 0 {
			t.Fatalf("%d records written before FlushInterval", n)
		}
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		if n, b := m.written(); n != 3 || len(b) != 1 {
			t.Fatalf("after FlushInterval: %d records in batches %v, want 3 in one", n, b)
		}
		// A full batch goes at once, without waiting for the interval.
		for i := range 25 {
			w.Add(rec(i))
		}
		synctest.Wait()
		if n, b := m.written(); n != 23 || fmt.Sprint(b) != "[3 10 10]" {
			t.Fatalf("full batches: %d records in batches %v, want 23 in [3 10 10]", n, b)
		}
		if err := w.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n, b := m.written(); n != 28 || fmt.Sprint(b) != "[3 10 10 5]" {
			t.Fatalf("after Close: %d records in batches %v", n, b)
		}
	})
}

func TestWriterBackoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &memStore{fail: true}
		var mu sync.Mutex
		var failedAt []time.Duration
		start := time.Now()
		w := ledger.NewWriter(m, ledger.WriterOptions{
			RetryMin: 50 * time.Millisecond, RetryMax: 200 * time.Millisecond,
			OnError: func(error) {
				mu.Lock()
				failedAt = append(failedAt, time.Since(start))
				mu.Unlock()
			},
		})
		w.Add(rec(0))
		go w.Flush(context.Background()) // write now, not after FlushInterval
		time.Sleep(time.Second)
		synctest.Wait()
		// Failures at 0, then after 50, 100, 200, 200, 200... ms.
		mu.Lock()
		got := append([]time.Duration(nil), failedAt...)
		mu.Unlock()
		want := []time.Duration{0, 50, 150, 350, 550, 750, 950}
		if len(got) != len(want) {
			t.Fatalf("failed at %v, want %v ms", got, want)
		}
		for i := range want {
			if got[i] != want[i]*time.Millisecond {
				t.Fatalf("failed at %v, want %v ms", got, want)
			}
		}
		m.setFail(false)
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		if n, _ := m.written(); n != 1 || w.Pending() != 0 {
			t.Fatalf("after recovery: %d written, %d pending", n, w.Pending())
		}
		if err := w.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestWriterBlocksWhenFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &memStore{fail: true}
		w := ledger.NewWriter(m, ledger.WriterOptions{MaxPending: 10, MaxBatch: 5, RetryMin: time.Millisecond})
		for i := range 10 {
			w.Add(rec(i))
		}
		var added atomic.Bool
		go func() {
			w.Add(rec(10)) // the eleventh waits for room: nothing is dropped
			added.Store(true)
		}()
		time.Sleep(time.Second)
		synctest.Wait()
		if added.Load() {
			t.Fatal("Add returned while MaxPending records waited")
		}
		if w.Pending() != 10 {
			t.Fatalf("Pending = %d, want 10", w.Pending())
		}
		m.setFail(false)
		time.Sleep(time.Second)
		synctest.Wait()
		if !added.Load() {
			t.Fatal("Add still blocked after the store recovered")
		}
		if err := w.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if n, _ := m.written(); n != 11 {
			t.Fatalf("%d written, want 11", n)
		}
	})
}

// withheld marks a record the way the gateway does when it withholds an answer.
func withheld(r *ledger.Record) {
	r.Status, r.Outcome, r.ErrorCode = 503, ledger.OutcomeError, "ledger_unavailable"
}

func TestWriterCommitTimeoutAmendsRecord(t *testing.T) {
	s, _ := openStore(t, sqlite.Options{})
	f := &flaky{Store: s, failures: 1 << 30}
	w := ledger.NewWriter(f, ledger.WriterOptions{Durability: ledger.DurabilityStrict, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	r := rec(1)
	r.Status = 200
	err := w.Commit(ctx, r, withheld)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Commit = %v, want the deadline", err)
	}
	// The store recovers: the record is written, and says the answer was withheld.
	f.mu.Lock()
	f.failures = 0
	f.mu.Unlock()
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	got, err := s.Records(context.Background(), ledger.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Status != 503 || got[0].Outcome != ledger.OutcomeError || got[0].ErrorCode != "ledger_unavailable" {
		t.Fatalf("records = %+v, want one withheld record", got)
	}
}

// gated holds every Insert until release is closed; with failFirst, the first one fails.
type gated struct {
	ledger.Store
	entered   chan struct{}
	release   chan struct{}
	failFirst bool
	calls     atomic.Int32
}

func (g *gated) Insert(ctx context.Context, recs []ledger.Record) error {
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-g.release
	if g.calls.Add(1) == 1 && g.failFirst {
		return errInjected
	}
	return g.Store.Insert(ctx, recs)
}

func TestWriterCommitWaitsForWriteInProgress(t *testing.T) {
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("fail=%v", fail), func(t *testing.T) {
			s, _ := openStore(t, sqlite.Options{})
			g := &gated{Store: s, entered: make(chan struct{}, 1), release: make(chan struct{}), failFirst: fail}
			// The retry waits long enough for Commit to amend the record first.
			w := ledger.NewWriter(g, ledger.WriterOptions{Durability: ledger.DurabilityStrict, RetryMin: 200 * time.Millisecond})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- w.Commit(ctx, rec(1), withheld) }()
			<-g.entered // the record's write is in progress
			cancel()
			select {
			case err := <-done:
				t.Fatalf("Commit returned %v while its record was being written", err)
			case <-time.After(20 * time.Millisecond):
			}
			close(g.release)
			err := <-done
			if fail {
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Commit = %v after a failed write, want the cancellation", err)
				}
			} else if err != nil {
				t.Fatalf("Commit = %v, want nil: the write succeeded", err)
			}
			if err := w.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			got, err := s.Records(context.Background(), ledger.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			wantOutcome := ledger.OutcomeOK
			if fail {
				wantOutcome = ledger.OutcomeError
			}
			if len(got) != 1 || got[0].Outcome != wantOutcome {
				t.Fatalf("records = %+v, want one with outcome %s", got, wantOutcome)
			}
		})
	}
}

func TestWriterCommitFullQueueHonoursContext(t *testing.T) {
	s, _ := openStore(t, sqlite.Options{})
	f := &flaky{Store: s, forever: true}
	w := ledger.NewWriter(f, ledger.WriterOptions{MaxBatch: 2, MaxPending: 2, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond})
	w.Add(rec(1))
	w.Add(rec(2))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err := w.Commit(ctx, rec(3), withheld)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "not queued") {
		t.Fatalf("Commit = %v, want a refusal to queue at the deadline", err)
	}
	if got := w.Pending(); got != 2 {
		t.Errorf("Pending = %d, want 2: the refused record must not be queued", got)
	}
	cctx, ccancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer ccancel()
	_ = w.Close(cctx)
}
