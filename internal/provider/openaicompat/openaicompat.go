// Package openaicompat is the provider adapter for every service that speaks OpenAI's Chat
// Completions API: OpenAI itself, vLLM, llama.cpp's llama-server, LM Studio, LocalAI, Groq,
// Mistral, DeepSeek, OpenRouter and others.
//
// When a client also speaks Chat Completions, the upstream's bytes travel back untouched
// (responses and stream chunks keep their Raw form), so the gateway adds no re-encoding cost.
package openaicompat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
	"github.com/sovereign-gateway/sovereign/internal/provider"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// Options configures a Client. Zero values mean the defaults named on each field.
type Options struct {
	// Name is the provider's name, the prefix of its models ("openai", "vllm", …). Required.
	Name string
	// BaseURL is the API root including its version path, e.g. https://api.openai.com/v1.
	BaseURL string
	// APIKey is sent as a bearer token when set.
	APIKey string
	// Header holds extra headers sent on every request (OpenRouter's HTTP-Referer, …).
	Header http.Header
	// Timeout bounds a non-streamed call and the wait for a stream's first byte; 0 means 120s.
	Timeout time.Duration
	// StreamIdleTimeout ends a stream whose upstream sends nothing for this long; 0 means 120s.
	StreamIdleTimeout time.Duration
	// Transport is the HTTP transport; nil means a new provider.NewTransport().
	Transport http.RoundTripper
	// Flavor names the server software when known (FlavorLlamaCPP, FlavorLMStudio), so that
	// ListModels can read more from its own endpoints; "" for none.
	Flavor string
}

// Client talks to one OpenAI-compatible service.
type Client struct {
	name    string
	base    string
	header  http.Header
	timeout time.Duration
	idle    time.Duration
	hc      *http.Client
	flavor  string
}

var (
	_ provider.Provider = (*Client)(nil)
	_ provider.Embedder = (*Client)(nil)
	_ provider.Lister   = (*Client)(nil)
	_ provider.Pinger   = (*Client)(nil)
)

// New returns a client for opts.
func New(opts Options) *Client {
	c := &Client{name: opts.Name, base: strings.TrimRight(opts.BaseURL, "/"), header: http.Header{},
		timeout: opts.Timeout, idle: opts.StreamIdleTimeout, flavor: opts.Flavor}
	if c.timeout <= 0 {
		c.timeout = 120 * time.Second
	}
	if c.idle <= 0 {
		c.idle = 120 * time.Second
	}
	for k, v := range opts.Header {
		c.header[k] = v
	}
	if opts.APIKey != "" {
		c.header.Set("Authorization", "Bearer "+opts.APIKey)
	}
	c.hc = provider.NewClient(opts.Transport)
	return c
}

// Name returns the provider's name.
func (c *Client) Name() string { return c.name }

func (c *Client) decodeError(status int, body []byte) *llm.Error {
	return openaiwire.UpstreamError(c.name, status, body)
}

// Chat sends a non-streamed request.
func (c *Client) Chat(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	r := *req
	r.Stream, r.IncludeUsage = false, false
	body, err := openaiwire.EncodeChatRequest(&r, r.Model, c.name)
	req.Dropped = r.Dropped // what the encoder left out is the caller's to report
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := provider.Post(ctx, c.hc, c.base+"/chat/completions", c.header, body, c.name, c.decodeError)
	if err != nil {
		return nil, err
	}
	b, err := provider.ReadBody(c.name, resp)
	if err != nil {
		return nil, err
	}
	if openaiwire.IsErrorBody(b) {
		// Some servers answer an error with status 200.
		return nil, openaiwire.UpstreamError(c.name, http.StatusBadGateway, b)
	}
	out, err := openaiwire.DecodeChatResponse(b)
	if err != nil {
		return nil, provider.BadResponse(c.name, err)
	}
	return out, nil
}

// Stream sends a streamed request.
func (c *Client) Stream(ctx context.Context, req *llm.Request) (llm.Stream, error) {
	r := *req
	r.Stream = true
	body, err := openaiwire.EncodeChatRequest(&r, r.Model, c.name)
	req.Dropped = r.Dropped
	if err != nil {
		return nil, err
	}
	// The timeout covers the wait for response headers; after that the idle timer guards.
	resp, cancel, err := provider.PostStream(ctx, c.hc, c.base+"/chat/completions", c.header, body, c.name, c.timeout, c.decodeError)
	if err != nil {
		return nil, err
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		// Some servers answer a stream request with one JSON error object and status 200.
		b, _ := io.ReadAll(io.LimitReader(resp.Body, provider.MaxErrorBody))
		resp.Body.Close()
		cancel()
		if openaiwire.IsErrorBody(b) {
			return nil, openaiwire.UpstreamError(c.name, http.StatusBadGateway, b)
		}
		return nil, provider.BadResponse(c.name, errors.New("stream answered with content type "+ct))
	}
	s := &stream{name: c.name, body: resp.Body, r: sse.NewReader(resp.Body), cancel: cancel}
	s.idle = provider.NewIdleTimer(c.idle, func() {
		s.idleFired.Store(true)
		cancel()
	})
	return s, nil
}

type stream struct {
	name   string
	body   io.ReadCloser
	r      *sse.Reader
	cancel context.CancelFunc
	idle   *provider.IdleTimer
	done   bool
	// finished records a chunk with a finish reason, after which an end without [DONE] is
	// still a complete answer.
	finished bool
	// sent records that Recv has returned a chunk: a later failure is not retryable, since
	// the caller may have passed the chunk on.
	sent bool
	// idleFired records that the idle timer cancelled the stream, which makes the read fail
	// with context.Canceled; it must read as a timeout, not as the caller going away.
	idleFired atomic.Bool
}

func (s *stream) Recv() (*llm.Chunk, error) {
	if s.done {
		return nil, io.EOF
	}
	for {
		ev, err := s.r.Next()
		s.idle.Reset()
		if err != nil {
			if err == io.EOF {
				if s.finished {
					s.done = true
					return nil, io.EOF
				}
				// Cut off before any finish reason: the answer is incomplete.
				return nil, s.fail(provider.BadResponse(s.name, errors.New("stream ended before the answer finished")))
			}
			if s.idleFired.Load() {
				err = fmt.Errorf("stream idle: %w", context.DeadlineExceeded)
			}
			return nil, s.fail(provider.StreamError(s.name, err))
		}
		data := ev.Data
		if len(data) == 0 {
			continue
		}
		if string(data) == "[DONE]" {
			s.done = true
			return nil, io.EOF
		}
		if ev.Event == "error" || openaiwire.IsErrorBody(data) {
			return nil, s.fail(openaiwire.UpstreamError(s.name, http.StatusBadGateway, data))
		}
		ch, err := openaiwire.NewChunk(data)
		if err != nil {
			return nil, s.fail(provider.BadResponse(s.name, err))
		}
		if openaiwire.Finishes(data) {
			s.finished = true
		}
		s.sent = true
		return ch, nil
	}
}

// fail marks err as not retryable once a chunk has gone to the caller.
func (s *stream) fail(err error) error {
	var e *llm.Error
	if s.sent && errors.As(err, &e) && e.Retryable {
		c := *e
		c.Retryable = false
		return &c
	}
	return err
}

func (s *stream) Close() error {
	s.idle.Stop()
	s.cancel()
	return s.body.Close()
}

// Embed requests embeddings.
func (c *Client) Embed(ctx context.Context, req *llm.EmbedRequest) (*llm.EmbedResponse, error) {
	body, err := openaiwire.EncodeEmbeddingRequest(req, req.Model, c.name)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := provider.Post(ctx, c.hc, c.base+"/embeddings", c.header, body, c.name, c.decodeError)
	if err != nil {
		return nil, err
	}
	b, err := provider.ReadBody(c.name, resp)
	if err != nil {
		return nil, err
	}
	if openaiwire.IsErrorBody(b) {
		return nil, openaiwire.UpstreamError(c.name, http.StatusBadGateway, b)
	}
	out, err := openaiwire.DecodeEmbeddingResponse(b)
	if err != nil {
		return nil, provider.BadResponse(c.name, err)
	}
	if n := len(req.Input) + len(req.Tokens); len(out.Vectors) != n {
		return nil, provider.BadResponse(c.name, fmt.Errorf("%d vectors for %d inputs", len(out.Vectors), n))
	}
	return out, nil
}

// ListModels reads GET /models. It understands the extra fields that vLLM (max_model_len),
// llama.cpp (meta.n_ctx_train), LM Studio and OpenRouter (context_length) add.
func (c *Client) ListModels(ctx context.Context) ([]provider.ModelInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, min(c.timeout, 10*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/models", nil)
	if err != nil {
		return nil, err
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	resp, err := provider.Do(c.hc, req, c.name, c.decodeError)
	if err != nil {
		return nil, err
	}
	b, err := provider.ReadBody(c.name, resp)
	if err != nil {
		return nil, err
	}
	var list struct {
		Data []struct {
			ID            string `json:"id"`
			OwnedBy       string `json:"owned_by"`
			MaxModelLen   int    `json:"max_model_len"`
			ContextLength int    `json:"context_length"`
			Meta          *struct {
				NCtxTrain int `json:"n_ctx_train"`
			} `json:"meta"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, provider.BadResponse(c.name, err)
	}
	out := make([]provider.ModelInfo, 0, len(list.Data))
	for _, m := range list.Data {
		mi := provider.ModelInfo{ID: m.ID, OwnedBy: m.OwnedBy, ContextLength: max(m.MaxModelLen, m.ContextLength)}
		if m.Meta != nil && mi.ContextLength == 0 {
			mi.ContextLength = m.Meta.NCtxTrain
		}
		mi.Caps.Completion = true
		if strings.Contains(m.ID, "embed") {
			mi.Caps = provider.Caps{Embeddings: true}
		}
		out = append(out, mi)
	}
	c.enrich(ctx, out)
	return out, nil
}

// Ping checks that the service answers GET /models.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.ListModels(ctx)
	return err
}
