package gemini

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/provider"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// DefaultBaseURL is the Gemini API's root, version included.
const DefaultBaseURL = "https://generativelanguage.googleapis.com/v1beta"

// Options configures a Client. Zero values mean the defaults named on each field.
type Options struct {
	// Name is the provider's name, the prefix of its models; "" means "gemini".
	Name string
	// BaseURL is the API root including its version path; "" means DefaultBaseURL.
	BaseURL string
	// APIKey is sent in the x-goog-api-key header (never in the URL, where it would end up in
	// logs).
	APIKey string
	// Header holds extra headers sent on every request.
	Header http.Header
	// Timeout bounds a non-streamed call and the wait for a stream's first byte; 0 means 120s.
	Timeout time.Duration
	// StreamIdleTimeout ends a stream whose upstream sends nothing for this long; 0 means 120s.
	StreamIdleTimeout time.Duration
	// Transport is the HTTP transport; nil means a new provider.NewTransport().
	Transport http.RoundTripper
}

// Client talks to the Gemini API.
type Client struct {
	name    string
	base    string
	header  http.Header
	timeout time.Duration
	idle    time.Duration
	hc      *http.Client
}

var (
	_ provider.Provider = (*Client)(nil)
	_ provider.Embedder = (*Client)(nil)
	_ provider.Lister   = (*Client)(nil)
	_ provider.Pinger   = (*Client)(nil)
)

// listTimeout bounds one call that only reads the model list.
const listTimeout = 10 * time.Second

// maxListPages bounds how many pages of models ListModels follows.
const maxListPages = 20

// New returns a client for opts.
func New(opts Options) *Client {
	c := &Client{name: opts.Name, base: strings.TrimRight(opts.BaseURL, "/"), header: http.Header{},
		timeout: opts.Timeout, idle: opts.StreamIdleTimeout}
	if c.name == "" {
		c.name = "gemini"
	}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
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
		c.header.Set("x-goog-api-key", opts.APIKey)
	}
	c.hc = provider.NewClient(opts.Transport)
	return c
}

// Name returns the provider's name.
func (c *Client) Name() string { return c.name }

func (c *Client) decodeError(status int, body []byte) *llm.Error {
	return upstreamError(c.name, status, body)
}

// modelURL returns the URL of method on model. The model may be given with or without its
// "models/" prefix; a tuned model keeps its "tunedModels/" one.
func (c *Client) modelURL(model, method string) (string, error) {
	if strings.HasPrefix(model, "tunedModels/") {
		model = strings.TrimPrefix(model, "tunedModels/")
		if model == "" || strings.ContainsAny(model, "/:?#") {
			return "", llm.InvalidRequest(llm.CodeInvalidValue, "model", "%q is not a Gemini model name", "model")
		}
		return c.base + "/tunedModels/" + url.PathEscape(model) + ":" + method, nil
	}
	model = strings.TrimPrefix(model, "models/")
	if model == "" || strings.ContainsAny(model, "/:?#") {
		return "", llm.InvalidRequest(llm.CodeInvalidValue, "model", "%q is not a Gemini model name", "model")
	}
	return c.base + "/models/" + url.PathEscape(model) + ":" + method, nil
}

// Chat sends a non-streamed request.
func (c *Client) Chat(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	u, err := c.modelURL(req.Model, "generateContent")
	if err != nil {
		return nil, err
	}
	body, err := encodeRequest(req, c.name)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := provider.Post(ctx, c.hc, u, c.header, body, c.name, c.decodeError)
	if err != nil {
		return nil, err
	}
	b, err := provider.ReadBody(c.name, resp)
	if err != nil {
		return nil, err
	}
	out, err := decodeResponse(c.name, req.Model, b)
	if err != nil {
		var e *llm.Error
		if errors.As(err, &e) {
			return nil, err
		}
		return nil, provider.BadResponse(c.name, err)
	}
	return out, nil
}

// Stream sends a streamed request. Gemini answers alt=sse with Server-Sent Events, each a
// whole GenerateContentResponse holding the new parts; without alt=sse it streams one JSON
// array, which is read as well.
func (c *Client) Stream(ctx context.Context, req *llm.Request) (llm.Stream, error) {
	u, err := c.modelURL(req.Model, "streamGenerateContent")
	if err != nil {
		return nil, err
	}
	body, err := encodeRequest(req, c.name)
	if err != nil {
		return nil, err
	}
	// The timeout covers the wait for response headers; after that the idle timer guards.
	resp, cancel, err := provider.PostStream(ctx, c.hc, u+"?alt=sse", c.header, body, c.name, c.timeout, c.decodeError)
	if err != nil {
		return nil, err
	}
	want := 1
	if req.N != nil {
		want = *req.N
	}
	s := &stream{state: newStreamState(c.name, req.Model, want), body: resp.Body, cancel: cancel}
	switch ct := resp.Header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "text/event-stream"):
		s.src = &sseSource{r: sse.NewReader(resp.Body)}
	case strings.HasPrefix(ct, "application/json"):
		s.src = newArraySource(io.LimitReader(resp.Body, provider.MaxResponseBody))
	default:
		resp.Body.Close()
		cancel()
		return nil, provider.BadResponse(c.name, fmt.Errorf("stream answered with content type %q", ct))
	}
	s.idle = provider.NewIdleTimer(c.idle, func() {
		s.idled.Store(true)
		cancel()
	})
	return s, nil
}

// source yields the events of a stream, each one GenerateContentResponse; io.EOF at its end.
type source interface {
	next() ([]byte, error)
}

type sseSource struct{ r *sse.Reader }

func (s *sseSource) next() ([]byte, error) {
	for {
		ev, err := s.r.Next()
		if err != nil {
			return nil, err
		}
		if len(ev.Data) == 0 {
			continue
		}
		if string(ev.Data) == "[DONE]" {
			return nil, io.EOF
		}
		return ev.Data, nil
	}
}

// arraySource reads the elements of one JSON array as they arrive.
type arraySource struct {
	dec     *json.Decoder
	started bool
}

func newArraySource(r io.Reader) *arraySource {
	return &arraySource{dec: json.NewDecoder(r)}
}

// errNotArray marks a JSON stream that is not an array.
var errNotArray = errors.New("stream answer is not a JSON array")

func (a *arraySource) next() ([]byte, error) {
	if !a.started {
		a.started = true
		tok, err := a.dec.Token()
		if err != nil {
			return nil, err
		}
		if tok != json.Delim('[') {
			return nil, errNotArray
		}
	}
	if !a.dec.More() {
		if _, err := a.dec.Token(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	var raw json.RawMessage
	if err := a.dec.Decode(&raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// stream reads one streamed answer. Recv and Close are called by one goroutine at a time.
type stream struct {
	state  *streamState
	src    source
	body   io.ReadCloser
	cancel context.CancelFunc
	idle   *provider.IdleTimer
	idled  atomic.Bool // the idle timer cancelled the request
	ended  bool
}

func (s *stream) Recv() (*llm.Chunk, error) {
	name := s.state.name
	for {
		if s.ended || s.state.done {
			s.ended = true
			s.idle.Stop()
			return nil, io.EOF
		}
		data, err := s.src.next()
		s.idle.Reset()
		if err != nil {
			if err == io.EOF {
				s.ended = true
				ch, err := s.state.eof()
				if err != nil {
					return nil, s.fail(provider.BadResponse(name, err))
				}
				if ch != nil {
					return ch, nil
				}
				return nil, io.EOF
			}
			var syn *json.SyntaxError
			_, array := s.src.(*arraySource)
			switch {
			case s.idled.Load():
				err = provider.StreamError(name, fmt.Errorf("stream idle: %w", context.DeadlineExceeded))
			case errors.Is(err, sse.ErrEventTooLarge), errors.As(err, &syn), errors.Is(err, errNotArray),
				// The JSON decoder reports a body cut off inside a value this way.
				array && errors.Is(err, io.ErrUnexpectedEOF):
				err = provider.BadResponse(name, err)
			default:
				// The caller's cancellation stays context.Canceled.
				err = provider.StreamError(name, err)
			}
			return nil, s.fail(err)
		}
		ch, err := s.state.chunk(data)
		if err != nil {
			var e *llm.Error
			if !errors.As(err, &e) {
				err = provider.BadResponse(name, err)
			}
			return nil, s.fail(err)
		}
		if ch != nil {
			return ch, nil
		}
	}
}

// fail marks err as not retryable once a chunk has gone to the caller, and ends the stream.
func (s *stream) fail(err error) error {
	s.ended = true
	var e *llm.Error
	if s.state.sent > 0 && errors.As(err, &e) && e.Retryable {
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

// get sends a GET to url and returns the body of a 2xx answer.
func (c *Client) get(ctx context.Context, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("provider %s: %w", c.name, err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	resp, err := provider.Do(c.hc, req, c.name, c.decodeError)
	if err != nil {
		return nil, err
	}
	return provider.ReadBody(c.name, resp)
}

// ListModels reads GET models, page by page, and returns the models that generate content
// (chat) or embed it.
func (c *Client) ListModels(ctx context.Context) ([]provider.ModelInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, min(c.timeout, listTimeout))
	defer cancel()
	var out []provider.ModelInfo
	token := ""
	for range maxListPages {
		u := c.base + "/models?pageSize=1000"
		if token != "" {
			u += "&pageToken=" + url.QueryEscape(token)
		}
		b, err := c.get(ctx, u)
		if err != nil {
			return nil, err
		}
		var list modelList
		if err := json.Unmarshal(b, &list); err != nil {
			return nil, provider.BadResponse(c.name, err)
		}
		for _, m := range list.Models {
			if mi, ok := modelInfo(m.Name, m.InputTokenLimit, m.SupportedGenerationMethods, m.Thinking); ok {
				out = append(out, mi)
			}
		}
		if list.NextPageToken == "" || list.NextPageToken == token {
			break
		}
		token = list.NextPageToken
	}
	return out, nil
}

// modelInfo describes one entry of the model list; ok is false for a model that neither
// generates nor embeds content (Imagen, Veo, AQA…).
func modelInfo(name string, inputLimit int, methods []string, thinking bool) (provider.ModelInfo, bool) {
	id := strings.TrimPrefix(name, "models/")
	var chat, embed bool
	for _, m := range methods {
		switch m {
		case "generateContent":
			chat = true
		case "embedContent":
			embed = true
		}
	}
	mi := provider.ModelInfo{ID: id, ContextLength: inputLimit, OwnedBy: "google"}
	gemini := strings.HasPrefix(id, "gemini-")
	switch {
	case id == "":
		return mi, false
	case chat:
		mi.Caps = provider.Caps{Known: true, Completion: true, Tools: gemini, Vision: gemini, Thinking: thinking}
	case embed:
		mi.Caps = provider.Caps{Known: true, Embeddings: true}
	default:
		return mi, false
	}
	return mi, true
}

// Ping checks that the API answers GET models with the configured key.
func (c *Client) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, min(c.timeout, listTimeout))
	defer cancel()
	b, err := c.get(ctx, c.base+"/models?pageSize=1")
	if err != nil {
		return err
	}
	// A 200 from something else (a captive portal, a wrong base URL) is not a healthy API.
	var list modelList
	if err := json.Unmarshal(b, &list); err != nil {
		return provider.BadResponse(c.name, err)
	}
	return nil
}

// Embed requests embeddings with batchEmbedContents, one request per input.
func (c *Client) Embed(ctx context.Context, req *llm.EmbedRequest) (*llm.EmbedResponse, error) {
	if req.Tokens != nil {
		return nil, llm.Unsupported(c.name, "input", "Gemini embeds text only, not token arrays")
	}
	if len(req.Extensions) > 0 {
		return nil, llm.Unsupported(c.name, firstKey(req.Extensions), "Gemini has no equivalent")
	}
	if len(req.Input) == 0 {
		return nil, llm.InvalidRequest(llm.CodeMissingField, "input", "%q must hold at least one text", "input")
	}
	u, err := c.modelURL(req.Model, "batchEmbedContents")
	if err != nil {
		return nil, err
	}
	model := "models/" + strings.TrimPrefix(req.Model, "models/")
	w := batchEmbedRequest{Requests: make([]embedRequest, len(req.Input))}
	for i, in := range req.Input {
		w.Requests[i] = embedRequest{Model: model, Content: content{Parts: []part{textPart(in)}},
			OutputDimensionality: req.Dimensions}
	}
	body, err := json.Marshal(&w)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := provider.Post(ctx, c.hc, u, c.header, body, c.name, c.decodeError)
	if err != nil {
		return nil, err
	}
	b, err := provider.ReadBody(c.name, resp)
	if err != nil {
		return nil, err
	}
	var out batchEmbedResponse
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, provider.BadResponse(c.name, err)
	}
	if len(out.Embeddings) != len(req.Input) {
		return nil, provider.BadResponse(c.name, fmt.Errorf("%d embeddings for %d inputs", len(out.Embeddings), len(req.Input)))
	}
	vecs := make([][]float32, len(out.Embeddings))
	for i, e := range out.Embeddings {
		vecs[i] = e.Values
	}
	// Gemini reports no token counts for embeddings.
	return &llm.EmbedResponse{Model: strings.TrimPrefix(req.Model, "models/"), Vectors: vecs}, nil
}
