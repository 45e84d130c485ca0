// Package server is the gateway's HTTP server: routes, the middleware every request passes
// (request id, panic recovery, access log without prompt text), health endpoints, and graceful
// shutdown.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/api/anthropic"
	"github.com/sovereign-gateway/sovereign/internal/api/exchange"
	"github.com/sovereign-gateway/sovereign/internal/api/openai"
	"github.com/sovereign-gateway/sovereign/internal/api/responses"
	"github.com/sovereign-gateway/sovereign/internal/api/usage"
	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/metrics"
)

// Options are the server's parts, built by the caller.
type Options struct {
	OpenAI *openai.Handler
	// Anthropic serves the Messages API; nil leaves its routes out.
	Anthropic *anthropic.Handler
	// Responses serves the OpenAI Responses API; nil leaves its routes out.
	Responses *responses.Handler
	// Usage serves GET /v1/sovereign/usage; nil leaves the route out.
	Usage *usage.Handler
	// Metrics counts requests and serves GET /metrics; nil leaves both out.
	Metrics *metrics.Metrics
	Catalog *catalog.Catalog
	Log     *slog.Logger
	Version string
}

// Server serves the gateway's HTTP API.
type Server struct {
	opts Options
	mux  *http.ServeMux
	http *http.Server
}

// New returns a server with its routes.
func New(opts Options) *Server {
	s := &Server{opts: opts, mux: http.NewServeMux()}
	o := opts.OpenAI
	s.handle("POST /v1/chat/completions", o.ChatCompletions)
	s.handle("POST /v1/embeddings", o.Embeddings)
	s.handle("GET /v1/models", o.ListModels)
	s.handle("GET /v1/models/{id...}", o.GetModel)
	if a := opts.Anthropic; a != nil {
		s.handleIn("POST /v1/messages", a.Messages, anthropic.WriteError)
		s.handleIn("POST /v1/messages/count_tokens", a.CountTokens, anthropic.WriteError)
		// Anthropic clients get their own error format for wrong methods and paths too.
		s.handleIn("/v1/messages", notFound, anthropic.WriteError)
		s.handleIn("/v1/messages/", notFound, anthropic.WriteError)
	}
	if rs := opts.Responses; rs != nil {
		s.handle("POST /v1/responses", rs.Create)
		s.handle("GET /v1/responses/{id}", rs.Get)
		s.handle("DELETE /v1/responses/{id}", rs.Delete)
	}
	if opts.Usage != nil {
		s.handle("GET /v1/sovereign/usage", opts.Usage.Serve)
	}
	if opts.Metrics != nil {
		s.mux.Handle("GET /metrics", opts.Metrics.Handler())
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.handle("/", notFound)
	s.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(opts.Log.Handler(), slog.LevelWarn),
	}
	return s
}

// handle registers an error-returning handler; errors are written as OpenAI error JSON unless
// the handler already delivered them (a stream that failed midway).
func (s *Server) handle(pattern string, h func(http.ResponseWriter, *http.Request) error) {
	s.handleIn(pattern, h, openai.WriteError)
}

// handleIn registers an error-returning handler whose errors writeErr writes in its ingress's
// wire format.
func (s *Server) handleIn(pattern string, h func(http.ResponseWriter, *http.Request) error, writeErr func(http.ResponseWriter, error)) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		if rec, ok := w.(*recorder); ok {
			rec.err = err
		}
		if !exchange.IsSent(err) {
			writeErr(w, err)
		}
	})
}

// knownPaths maps the API's paths to their methods, for 405 answers.
var knownPaths = map[string]string{
	"/v1/chat/completions":      http.MethodPost,
	"/v1/embeddings":            http.MethodPost,
	"/v1/models":                http.MethodGet,
	"/v1/messages":              http.MethodPost,
	"/v1/messages/count_tokens": http.MethodPost,
	"/v1/responses":             http.MethodPost,
}

func notFound(w http.ResponseWriter, r *http.Request) error {
	if m, ok := knownPaths[r.URL.Path]; ok {
		w.Header().Set("Allow", m)
		return &llm.Error{Status: http.StatusMethodNotAllowed, Type: llm.TypeInvalidRequest, Code: llm.CodeMethodNotAllowed,
			Message: r.URL.Path + " takes " + m + ", not " + r.Method}
	}
	return &llm.Error{Status: http.StatusNotFound, Type: llm.TypeInvalidRequest, Code: llm.CodeNotFound,
		Message: "no such endpoint: " + r.Method + " " + r.URL.Path + "; the gateway serves the OpenAI and Anthropic APIs under /v1"}
}

// Handler returns the routes wrapped in the middleware.
func (s *Server) Handler() http.Handler {
	return s.middleware(s.mux)
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	err := s.http.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting requests and waits for those in flight until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

// recorder notes what a handler did, for the access log.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
	err    error
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's Flush.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

func (s *Server) middleware(next http.Handler) http.Handler {
	log := s.opts.Log
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		w.Header().Set(exchange.HeaderRequestID, id)
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("handler panicked", "request_id", id, "path", r.URL.Path, "panic", p)
				if !rec.wrote {
					openai.WriteError(rec, llm.AsError(errors.New("panic")))
				}
			}
			if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics" {
				return
			}
			if s.opts.Metrics != nil {
				s.opts.Metrics.Request(metricPath(r.URL.Path), rec.Header().Get(exchange.HeaderRoute), rec.status)
			}
			// Below info (log.level warn) the access log is off: build none of its attributes.
			if !log.Enabled(r.Context(), slog.LevelInfo) {
				return
			}
			// LogAttrs with typed attributes: no boxing of each value into an interface.
			attrs := make([]slog.Attr, 0, 10)
			attrs = append(attrs, slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", rec.status), slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000))
			if m := rec.Header().Get(exchange.HeaderModel); m != "" {
				attrs = append(attrs, slog.String("model", m), slog.String("route", rec.Header().Get(exchange.HeaderRoute)))
			}
			if rec.err != nil {
				e := llm.AsError(rec.err)
				attrs = append(attrs, slog.String("error_code", e.Code))
				if e.Cause != nil && e.Status >= 500 {
					// Causes are transport errors and the like; they never hold prompt text.
					attrs = append(attrs, slog.String("cause", e.Cause.Error()))
				}
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}

// metricPath bounds the path label to the API's endpoints, so that scans of random paths do not
// grow the metric without limit.
func metricPath(p string) string {
	switch {
	case p == "/v1/chat/completions", p == "/v1/embeddings", p == "/v1/models", p == "/v1/sovereign/usage",
		p == "/v1/messages", p == "/v1/messages/count_tokens", p == "/v1/responses":
		return p
	case strings.HasPrefix(p, "/v1/models/"):
		return "/v1/models/{id}"
	case strings.HasPrefix(p, "/v1/responses/"):
		return "/v1/responses/{id}"
	}
	return "other"
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "version": s.opts.Version})
}

type providerStatus struct {
	Name      string `json:"name"`
	Route     string `json:"route"`
	Reachable bool   `json:"reachable"`
	Models    int    `json:"models"`
	Error     string `json:"error,omitempty"`
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ps := []providerStatus{}
	for _, e := range s.opts.Catalog.Entries() {
		ps = append(ps, providerStatus{Name: e.Name, Route: e.Route(), Reachable: e.Reachable, Models: len(e.Models), Error: e.LastError})
	}
	if s.opts.Catalog.Ready() {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "providers": ps})
		return
	}
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready",
		"reason": "no provider is reachable; start a local engine or set a cloud key, then see `sovereign doctor`", "providers": ps})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
