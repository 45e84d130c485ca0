package main

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"time"
)

// modelsBody is the fake upstream's model list.
const modelsBody = `{"object":"list","data":[{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"}]}`

// splitEvents cuts a recorded SSE body into its events, each with its blank line, so that the
// upstream can write and flush them one at a time.
func splitEvents(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\n\n"))
		if i < 0 {
			out = append(out, b)
			break
		}
		out = append(out, b[:i+2])
		b = b[i+2:]
	}
	return out
}

// upstreamHandler answers like a very fast OpenAI: the recorded chat.completion for a plain
// request, the recorded stream for a streamed one (an event per write, flushed, with delay
// between events), and a model list.
func upstreamHandler(delay time.Duration) http.Handler {
	events := splitEvents(streamFixture)
	plainLen := strconv.Itoa(len(responseFixture))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		h := w.Header()
		// The load generator and Sovereign both write compact JSON.
		if !bytes.Contains(body, []byte(`"stream":true`)) {
			h.Set("Content-Type", "application/json")
			h.Set("Content-Length", plainLen)
			_, _ = w.Write(responseFixture)
			return
		}
		h.Set("Content-Type", "text/event-stream; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		rc := http.NewResponseController(w)
		for i, ev := range events {
			if i > 0 && delay > 0 {
				time.Sleep(delay)
			}
			if _, err := w.Write(ev); err != nil {
				return
			}
			if err := rc.Flush(); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, modelsBody)
	})
	return mux
}

// serveUpstream runs the fake upstream role until killed.
func serveUpstream(addr string, delay time.Duration) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	announce(ln)
	srv := &http.Server{Handler: upstreamHandler(delay), ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// newReverseProxy is the baseline: the standard library's reverse proxy with streaming on
// (FlushInterval -1 flushes after every write, as a streaming gateway must) and a pool sized
// for the load.
func newReverseProxy(target *url.URL, conns int) *httputil.ReverseProxy {
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = conns
	t.MaxIdleConns = max(t.MaxIdleConns, conns)
	rp.Transport = t
	rp.ErrorLog = log.New(os.Stderr, "reverseproxy: ", 0)
	return rp
}

// fullDuplex lets h read the request body after it started the response. Without it the
// HTTP/1 server closes the body once the proxy relays the upstream's headers, and the
// transport's last read of the body (the check for bytes beyond Content-Length) can land after
// that: the transport then drops the upstream connection and cuts the answer short
// (golang/go#40747; about 1 stream in 4,000 here). Sovereign reads the whole body first and
// is not exposed to it.
func fullDuplex(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		h.ServeHTTP(w, r)
	})
}

// serveProxy runs the bare reverse proxy role until killed.
func serveProxy(addr, upstream string, conns int) error {
	u, err := url.Parse(upstream)
	if err != nil || u.Host == "" {
		return fmt.Errorf("-upstream %q is not a URL", upstream)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	announce(ln)
	srv := &http.Server{Handler: fullDuplex(newReverseProxy(u, conns)), ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

// announce tells the parent where a role listens: the first line on stdout.
func announce(ln net.Listener) {
	fmt.Printf("LISTEN %s\n", ln.Addr())
	_ = os.Stdout.Sync()
}
