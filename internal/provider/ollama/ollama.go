package ollama

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
	"github.com/sovereign-gateway/sovereign/internal/provider"
)

// Options configures a Client. Zero values mean the defaults named on each field.
type Options struct {
	// Name is the provider's name, the prefix of its models; "" means "ollama".
	Name string
	// BaseURL is Ollama's root without /api, e.g. http://127.0.0.1:11434 (the default for "").
	BaseURL string
	// Timeout bounds a non-streamed call and the wait for a stream's first byte, which includes
	// loading the model; 0 means 300s.
	Timeout time.Duration
	// StreamIdleTimeout ends a stream whose upstream sends nothing for this long; 0 means 120s.
	StreamIdleTimeout time.Duration
	// Transport is the HTTP transport; nil means a new provider.NewTransport().
	Transport http.RoundTripper
	// KeepAlive, when set, is sent as keep_alive: how long Ollama keeps the model loaded after
	// a request ("10m", "24h"; a plain number is seconds, and a negative one means forever).
	KeepAlive string
}

// Client talks to one Ollama server.
type Client struct {
	name      string
	base      string
	keepAlive json.RawMessage
	timeout   time.Duration
	idle      time.Duration
	hc        *http.Client

	mu    sync.Mutex
	shown map[string]showInfo // model name -> what /api/show said; guarded by mu
}

var (
	_ provider.Provider = (*Client)(nil)
	_ provider.Embedder = (*Client)(nil)
	_ provider.Lister   = (*Client)(nil)
	_ provider.Pinger   = (*Client)(nil)
)

// DefaultBaseURL is where Ollama listens unless told otherwise.
const DefaultBaseURL = "http://127.0.0.1:11434"

// showTimeout bounds one /api/show or /api/tags call, which only read model metadata.
const showTimeout = 10 * time.Second

// New returns a client for opts.
func New(opts Options) *Client {
	c := &Client{name: opts.Name, base: strings.TrimRight(opts.BaseURL, "/"), timeout: opts.Timeout,
		idle: opts.StreamIdleTimeout, shown: map[string]showInfo{}}
	if c.name == "" {
		c.name = "ollama"
	}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	// A pasted ".../api" would double the path.
	c.base = strings.TrimSuffix(c.base, "/api")
	if c.timeout <= 0 {
		c.timeout = 300 * time.Second
	}
	if c.idle <= 0 {
		c.idle = 120 * time.Second
	}
	if ka := strings.TrimSpace(opts.KeepAlive); ka != "" {
		// Ollama reads a number as seconds and a string as a Go duration; "-1" only works as a number.
		if _, err := strconv.ParseFloat(ka, 64); err == nil && json.Valid([]byte(ka)) {
			c.keepAlive = json.RawMessage(ka)
		} else {
			c.keepAlive, _ = json.Marshal(ka)
		}
	}
	c.hc = provider.NewClient(opts.Transport)
	return c
}

// Name returns the provider's name.
func (c *Client) Name() string { return c.name }

// decodeError maps Ollama's {"error":"text"} answers.
func (c *Client) decodeError(status int, body []byte) *llm.Error {
	e := openaiwire.UpstreamError(c.name, status, body)
	if status == http.StatusNotFound && e.Code == "" {
		// Ollama answers 404 for a model it does not have: `model "x" not found, try pulling it first`.
		e.Code, e.Param = llm.CodeModelNotFound, "model"
	}
	return e
}

// encode builds the /api/chat body, sizing num_ctx from the model's window.
func (c *Client) encode(ctx context.Context, req *llm.Request, stream bool) ([]byte, error) {
	if err := checkRequest(req, c.name); err != nil {
		return nil, err
	}
	var numCtx int
	// Without /api/show the request still goes out, with Ollama's own num_ctx.
	if info, err := c.show(ctx, req.Model); err == nil {
		if numCtx, err = sizeContext(req, info.ctxLen, info.numCtx); err != nil {
			return nil, err
		}
	} else if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return encodeRequest(req, c.name, stream, numCtx, c.keepAlive)
}

// Chat sends a non-streamed request.
func (c *Client) Chat(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	body, err := c.encode(ctx, req, false)
	if err != nil {
		return nil, err
	}
	resp, err := provider.Post(ctx, c.hc, c.base+"/api/chat", nil, body, c.name, c.decodeError)
	if err != nil {
		return nil, err
	}
	b, err := provider.ReadBody(c.name, resp)
	if err != nil {
		return nil, err
	}
	out, err := decodeResponse(c.name, b)
	if err != nil {
		var e *llm.Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, provider.BadResponse(c.name, err)
	}
	return out, nil
}

// Stream sends a streamed request.
func (c *Client) Stream(ctx context.Context, req *llm.Request) (llm.Stream, error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	// The timeout covers the wait for response headers, which Ollama sends once the model is
	// loaded; after that the idle timer guards.
	first := time.AfterFunc(c.timeout, cancel)
	body, err := c.encode(ctx, req, true)
	if err != nil {
		first.Stop()
		cancel()
		if parent.Err() == nil && errors.Is(err, context.Canceled) {
			return nil, provider.TransportError(c.name, context.DeadlineExceeded)
		}
		return nil, err
	}
	resp, err := provider.Post(ctx, c.hc, c.base+"/api/chat", nil, body, c.name, c.decodeError)
	first.Stop()
	if err != nil {
		cancel()
		if parent.Err() == nil && errors.Is(err, context.Canceled) {
			return nil, provider.TransportError(c.name, context.DeadlineExceeded)
		}
		return nil, err
	}
	s := &stream{state: streamState{name: c.name}, body: resp.Body, r: newLineReader(resp.Body, maxLineSize),
		cancel: cancel}
	s.idle = provider.NewIdleTimer(c.idle, func() {
		s.idled.Store(true)
		cancel()
	})
	return s, nil
}

// stream reads one streamed answer. Recv and Close are called by one goroutine at a time.
type stream struct {
	state  streamState
	body   io.ReadCloser
	r      *lineReader
	cancel context.CancelFunc
	idle   *provider.IdleTimer
	idled  atomic.Bool // the idle timer cancelled the request
}

func (s *stream) Recv() (*llm.Chunk, error) {
	if s.state.done {
		return nil, io.EOF
	}
	for {
		line, err := s.r.Next()
		s.idle.Reset()
		if err != nil {
			switch {
			case err == io.EOF:
				// Cut off before the done line: the answer is incomplete.
				return nil, provider.BadResponse(s.state.name, errors.New("stream ended before the answer finished"))
			case errors.Is(err, errLineTooLong):
				return nil, provider.BadResponse(s.state.name, err)
			case s.idled.Load():
				return nil, provider.TransportError(s.state.name, fmt.Errorf("stream idle: %w", context.DeadlineExceeded))
			}
			// The caller's cancellation stays context.Canceled.
			return nil, provider.StreamError(s.state.name, err)
		}
		ch, err := s.state.chunk(line)
		if err != nil {
			var e *llm.Error
			if errors.As(err, &e) {
				return nil, err
			}
			return nil, provider.BadResponse(s.state.name, err)
		}
		if ch == nil {
			continue
		}
		if s.state.done {
			s.idle.Stop()
		}
		return ch, nil
	}
}

func (s *stream) Close() error {
	s.idle.Stop()
	s.cancel()
	return s.body.Close()
}

// Embed requests embeddings from /api/embed.
func (c *Client) Embed(ctx context.Context, req *llm.EmbedRequest) (*llm.EmbedResponse, error) {
	if req.Tokens != nil {
		return nil, llm.Unsupported(c.name, "input", "Ollama embeds text only")
	}
	if len(req.Extensions) > 0 {
		return nil, llm.Unsupported(c.name, firstKey(req.Extensions), "Ollama has no equivalent")
	}
	no := false
	w := struct {
		Model      string          `json:"model"`
		Input      []string        `json:"input"`
		Dimensions *int            `json:"dimensions,omitempty"`
		KeepAlive  json.RawMessage `json:"keep_alive,omitempty"`
		// Truncate false: an input longer than the model's window is an error, not cut short.
		Truncate *bool `json:"truncate"`
	}{Model: req.Model, Input: req.Input, Dimensions: req.Dimensions, KeepAlive: c.keepAlive, Truncate: &no}
	if w.Input == nil {
		w.Input = []string{}
	}
	body, err := json.Marshal(&w)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := provider.Post(ctx, c.hc, c.base+"/api/embed", nil, body, c.name, c.decodeError)
	if err != nil {
		return nil, err
	}
	b, err := provider.ReadBody(c.name, resp)
	if err != nil {
		return nil, err
	}
	var out struct {
		Model           string      `json:"model"`
		Embeddings      [][]float32 `json:"embeddings"`
		PromptEvalCount int         `json:"prompt_eval_count"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, provider.BadResponse(c.name, err)
	}
	if len(out.Embeddings) != len(req.Input) {
		return nil, provider.BadResponse(c.name,
			fmt.Errorf("%d embeddings for %d inputs", len(out.Embeddings), len(req.Input)))
	}
	return &llm.EmbedResponse{Model: out.Model, Vectors: out.Embeddings,
		Usage: &llm.Usage{InputTokens: out.PromptEvalCount, TotalTokens: out.PromptEvalCount}}, nil
}

// get sends a GET to path and returns the body of a 2xx answer.
func (c *Client) get(ctx context.Context, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, min(c.timeout, showTimeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", c.name, err)
	}
	resp, err := provider.Do(c.hc, req, c.name, c.decodeError)
	if err != nil {
		return nil, err
	}
	return provider.ReadBody(c.name, resp)
}

// ListModels reads GET /api/tags and fills each model's window and capabilities from
// /api/show. A model whose details cannot be read stays listed, with Caps.Known false.
func (c *Client) ListModels(ctx context.Context) ([]provider.ModelInfo, error) {
	b, err := c.get(ctx, "/api/tags")
	if err != nil {
		return nil, err
	}
	var list struct {
		Models []struct {
			Name   string `json:"name"`
			Model  string `json:"model"`
			Digest string `json:"digest"`
		} `json:"models"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, provider.BadResponse(c.name, err)
	}
	out := make([]provider.ModelInfo, 0, len(list.Models))
	for _, m := range list.Models {
		id := m.Name
		if id == "" {
			id = m.Model
		}
		if id == "" {
			continue
		}
		c.forgetIfChanged(id, m.Digest)
		info, err := c.show(ctx, id)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			out = append(out, provider.ModelInfo{ID: id, OwnedBy: ownedBy(id)})
			continue
		}
		c.noteDigest(id, m.Digest)
		out = append(out, info.modelInfo(id))
	}
	return out, nil
}

// ModelInfo returns what /api/show says of model, read once and then cached.
func (c *Client) ModelInfo(ctx context.Context, model string) (provider.ModelInfo, error) {
	info, err := c.show(ctx, model)
	if err != nil {
		return provider.ModelInfo{}, err
	}
	return info.modelInfo(model), nil
}

// Ping checks that Ollama answers GET /api/version.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.get(ctx, "/api/version")
	return err
}

// ownedBy follows Ollama's own /v1/models: the namespace of "namespace/model", else "library".
func ownedBy(id string) string {
	name, _, _ := strings.Cut(id, ":")
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		ns := name[:i]
		if j := strings.LastIndexByte(ns, '/'); j >= 0 {
			ns = ns[j+1:] // registry.example.com/ns/model
		}
		return ns
	}
	return "library"
}
