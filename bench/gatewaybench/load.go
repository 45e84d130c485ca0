package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// requestBody is the recorded request with the model replaced and, for streams, streaming
// with a usage chunk asked for.
func requestBody(model string, stream bool) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(requestFixture, &m); err != nil {
		return nil, err
	}
	m["model"], _ = json.Marshal(model)
	if stream {
		m["stream"] = json.RawMessage(`true`)
		m["stream_options"] = json.RawMessage(`{"include_usage":true}`)
	}
	return json.Marshal(m)
}

// loadSpec is one measurement's traffic.
type loadSpec struct {
	url         string // the chat completions endpoint
	body        []byte
	stream      bool
	expect      []byte // what the upstream sends; the client should get exactly that
	concurrency int
}

// loadResult is what the client saw in one phase.
type loadResult struct {
	requests   int // completed, successful or not
	errors     int // transport errors, non-200 answers, streams cut short
	mismatches int // successful answers whose bytes differ from the upstream's
	firstErr   string
	elapsed    time.Duration
	latency    []time.Duration // full answer read, successful requests only
	ttfb       []time.Duration // streams: until the first data: event arrived
}

// newClient returns a keep-alive client with a connection per worker.
func newClient(conc int) *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns:        conc,
		MaxIdleConnsPerHost: conc,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}}
}

var (
	dataPrefix = []byte("data:")
	doneSuffix = []byte("data: [DONE]\n\n")
)

// runLoad sends spec's request from spec.concurrency workers, each waiting for its answer
// before the next, until d has passed or max requests were sent. Every request sent completes
// before it returns.
func runLoad(ctx context.Context, hc *http.Client, spec loadSpec, d time.Duration, max int) loadResult {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var tickets atomic.Int64
	deadline := time.Now().Add(d)
	results := make([]loadResult, spec.concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range spec.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &worker{hc: hc, spec: spec, res: &results[i]}
			for ctx.Err() == nil && time.Now().Before(deadline) && tickets.Add(1) <= int64(max) {
				w.one(ctx)
			}
		}()
	}
	wg.Wait()
	out := loadResult{elapsed: time.Since(start)}
	for _, r := range results {
		out.requests += r.requests
		out.errors += r.errors
		out.mismatches += r.mismatches
		if out.firstErr == "" {
			out.firstErr = r.firstErr
		}
		out.latency = append(out.latency, r.latency...)
		out.ttfb = append(out.ttfb, r.ttfb...)
	}
	slices.Sort(out.latency)
	slices.Sort(out.ttfb)
	return out
}

type worker struct {
	hc   *http.Client
	spec loadSpec
	res  *loadResult
	buf  bytes.Buffer
	tmp  [32 << 10]byte
}

func (w *worker) fail(msg string) {
	w.res.errors++
	if w.res.firstErr == "" {
		w.res.firstErr = msg
	}
}

// one sends one request and reads its whole answer.
func (w *worker) one(ctx context.Context) {
	w.res.requests++
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.spec.url, bytes.NewReader(w.spec.body))
	if err != nil {
		w.fail(err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := w.hc.Do(req)
	if err != nil {
		w.fail(err.Error())
		return
	}
	defer resp.Body.Close()
	w.buf.Reset()
	var ttfb time.Duration
	for {
		n, err := resp.Body.Read(w.tmp[:])
		if n > 0 {
			w.buf.Write(w.tmp[:n])
			if w.spec.stream && ttfb == 0 && bytes.Contains(w.buf.Bytes(), dataPrefix) {
				ttfb = time.Since(start)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			w.fail("read: " + err.Error())
			return
		}
	}
	lat := time.Since(start)
	body := w.buf.Bytes()
	if resp.StatusCode != http.StatusOK {
		w.fail(fmt.Sprintf("status %d: %.200s", resp.StatusCode, body))
		return
	}
	if w.spec.stream && !bytes.HasSuffix(body, doneSuffix) {
		w.fail(fmt.Sprintf("stream did not end with data: [DONE] (%d bytes)", len(body)))
		return
	}
	if !bytes.Equal(body, w.spec.expect) {
		w.res.mismatches++
	}
	w.res.latency = append(w.res.latency, lat)
	if w.spec.stream {
		w.res.ttfb = append(w.res.ttfb, ttfb)
	}
}

// percentile returns the nearest-rank p-th percentile of sorted values, 0 for none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
