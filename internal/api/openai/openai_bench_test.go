package openai_test

// Benchmarks of the hot path: one Chat Completions request, plain and streamed, through the
// gateway's full HTTP handler (middleware, decode, catalog, dispatch, the OpenAI-compatible
// provider, encode) served on a loopback connection in front of an in-process fake upstream,
// next to the same request through a bare httputil.ReverseProxy. The figures include the
// client and the upstream, which are the same for both. The upstream answers with recorded
// traffic (bench/gatewaybench/testdata, see PROVENANCE.md there).
//
//	go test ./internal/api/openai -run '^$' -bench . -benchmem -count 6 | tee new.txt
//	benchstat old.txt new.txt
//
// The gap between the two is what the gateway costs; docs/BENCHMARKS.md has load figures.

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/api/exchange"
	"github.com/sovereign-gateway/sovereign/internal/api/openai"
	"github.com/sovereign-gateway/sovereign/internal/benchcpu"
	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/dispatch"
	"github.com/sovereign-gateway/sovereign/internal/provider"
	"github.com/sovereign-gateway/sovereign/internal/provider/openaicompat"
	"github.com/sovereign-gateway/sovereign/internal/server"
)

// benchFixtures is the recorded traffic the load benchmark uses too.
type benchFixtures struct {
	request  []byte // a chat request, model to be replaced
	response []byte // a chat.completion
	stream   []byte // a recorded event stream ending in data: [DONE]
}

func loadBenchFixtures(b *testing.B) benchFixtures {
	b.Helper()
	dir := filepath.Join("..", "..", "..", "bench", "gatewaybench", "testdata")
	read := func(name string) []byte {
		x, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Fatal(err)
		}
		return x
	}
	return benchFixtures{
		request:  read("plain_raw.request.json"),
		response: read("plain_raw.response.json"),
		stream:   read("stream_text_include_usage.response.sse"),
	}
}

// benchRequest returns the recorded request for model, streamed or not.
func benchRequest(b *testing.B, f benchFixtures, model string, stream bool) []byte {
	b.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(f.request, &m); err != nil {
		b.Fatal(err)
	}
	m["model"], _ = json.Marshal(model)
	if stream {
		m["stream"] = json.RawMessage(`true`)
		m["stream_options"] = json.RawMessage(`{"include_usage":true}`)
	}
	out, err := json.Marshal(m)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// newBenchUpstream serves the recorded answers, a stream event by event with a flush after each.
func newBenchUpstream(b *testing.B, f benchFixtures) *httptest.Server {
	b.Helper()
	events := bytes.SplitAfter(f.stream, []byte("\n\n"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !bytes.Contains(body, []byte(`"stream":true`)) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(f.response)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		rc := http.NewResponseController(w)
		for _, ev := range events {
			if len(ev) == 0 {
				continue
			}
			_, _ = w.Write(ev)
			_ = rc.Flush()
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

// newBenchGateway wires the gateway's handler as the gateway package does, with one provider.
func newBenchGateway(b *testing.B, upstreamURL string, level slog.Level) http.Handler {
	b.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: level}))
	cat := catalog.New(catalog.Options{})
	p := openaicompat.New(openaicompat.Options{Name: "bench", BaseURL: upstreamURL + "/v1"})
	cat.Put(&catalog.Entry{Name: "bench", Kind: "openai", BaseURL: upstreamURL + "/v1", Local: true, Provider: p,
		Models: []provider.ModelInfo{{ID: "gpt-4o-mini"}}, Reachable: true, MaxRetries: 2})
	h := &openai.Handler{Pipeline: &exchange.Pipeline{Catalog: cat, Dispatch: dispatch.New(dispatch.Options{Log: log}), Log: log,
		MaxBody: 20 << 20}, Started: time.Now()}
	return server.New(server.Options{OpenAI: h, Catalog: cat, Log: log, Version: "bench"}).Handler()
}

// newBenchReverseProxy is the baseline: the standard library's proxy, flushing every write.
func newBenchReverseProxy(b *testing.B, upstreamURL string) http.Handler {
	b.Helper()
	u, err := url.Parse(upstreamURL)
	if err != nil {
		b.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.FlushInterval = -1
	rp.Transport = provider.NewTransport()
	// Without full duplex the HTTP/1 server may close the request body while the transport
	// still checks it for trailing bytes, which cuts an answer short (golang/go#40747).
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		rp.ServeHTTP(w, r)
	})
}

// runBench serves h on a loopback listener and sends body to it b.N times, one request after
// another on a kept-alive connection, checking each answer against want. Serving over a real
// connection keeps the cost of every flush (a write syscall) in the figures.
func runBench(b *testing.B, h http.Handler, body, want []byte) {
	b.Helper()
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	hc := srv.Client()
	url := srv.URL + "/v1/chat/completions"
	b.ReportAllocs()
	defer benchcpu.Start(b).Report("cpu-µs/op")
	b.SetBytes(int64(len(want)))
	for b.Loop() {
		resp, err := hc.Post(url, "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
			b.Fatalf("status %d, err %v, body %.300q", resp.StatusCode, err, got)
		}
	}
}

func benchChat(b *testing.B, stream bool) {
	f := loadBenchFixtures(b)
	up := newBenchUpstream(b, f)
	want := f.response
	if stream {
		want = f.stream
	}
	b.Run("gateway/log=warn", func(b *testing.B) {
		runBench(b, newBenchGateway(b, up.URL, slog.LevelWarn), benchRequest(b, f, "bench/gpt-4o-mini", stream), want)
	})
	b.Run("gateway/log=info", func(b *testing.B) {
		runBench(b, newBenchGateway(b, up.URL, slog.LevelInfo), benchRequest(b, f, "bench/gpt-4o-mini", stream), want)
	})
	b.Run("reverseproxy", func(b *testing.B) {
		runBench(b, newBenchReverseProxy(b, up.URL), benchRequest(b, f, "gpt-4o-mini", stream), want)
	})
}

// BenchmarkChatCompletions is a plain request; the upstream's body is relayed as it came.
func BenchmarkChatCompletions(b *testing.B) { benchChat(b, false) }

// BenchmarkChatCompletionsStream is a streamed request of 11 chunks and [DONE]; the chunks are
// relayed as they came.
func BenchmarkChatCompletionsStream(b *testing.B) { benchChat(b, true) }
