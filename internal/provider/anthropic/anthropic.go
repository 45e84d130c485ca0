// Package anthropic is the provider adapter for Anthropic's Messages API (POST /v1/messages,
// /v1/messages/count_tokens, GET /v1/models). The translation itself lives in
// internal/anthropicwire, which the Anthropic ingress shares.
//
// Requests carry the key in x-api-key and the API version in anthropic-version. The beta
// features a client asked for (its anthropic-beta header, which the ingress puts in
// Request.Hints[anthropicwire.HintBeta] as a JSON array) go out in the anthropic-beta header,
// joined with those configured in Options.Header. Anthropic requires max_tokens, so a request
// without one gets Options.DefaultMaxTokens.
//
// A non-streamed answer keeps the upstream's bytes (Response.Raw) so that an Anthropic client
// can get them untouched. Streams are decoded event by event into canonical chunks; a stream
// that ends before its stop reason, or with an error event, is an error, never a silently
// shortened answer.
package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/anthropicwire"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/provider"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// Defaults for Options.
const (
	DefaultBaseURL   = "https://api.anthropic.com"
	DefaultVersion   = "2023-06-01"
	DefaultMaxTokens = 8192
)

// Options configures a Client. Zero values mean the defaults named on each field.
type Options struct {
	// Name is the provider's name, the prefix of its models; "" means "anthropic".
	Name string
	// BaseURL is the API root without /v1 (the adapter appends /v1/messages); "" means
	// https://api.anthropic.com.
	BaseURL string
	// APIKey is sent in the x-api-key header when set.
	APIKey string
	// Version is sent as anthropic-version; "" means 2023-06-01.
	Version string
	// Header holds extra headers sent on every request (an anthropic-beta list, a proxy's
	// authorization, …).
	Header http.Header
	// Timeout bounds a non-streamed call and the wait for a stream's first byte; 0 means 600s,
	// as Anthropic's SDKs allow (a long answer without streaming takes minutes).
	Timeout time.Duration
	// StreamIdleTimeout ends a stream whose upstream sends nothing for this long; 0 means
	// 120s (Anthropic sends ping events while the model works).
	StreamIdleTimeout time.Duration
	// Transport is the HTTP transport; nil means a new provider.NewTransport().
	Transport http.RoundTripper
	// DefaultMaxTokens is sent as max_tokens for requests without one; 0 means 8192.
	DefaultMaxTokens int
}

// Client talks to Anthropic, or to a service that speaks its Messages API.
type Client struct {
	name      string
	base      string
	header    http.Header
	timeout   time.Duration
	idle      time.Duration
	maxTokens int
	hc        *http.Client
}

var (
	_ provider.Provider = (*Client)(nil)
	_ provider.Lister   = (*Client)(nil)
	_ provider.Pinger   = (*Client)(nil)
)

// New returns a client for opts.
func New(opts Options) *Client {
	c := &Client{name: opts.Name, base: strings.TrimRight(opts.BaseURL, "/"), header: http.Header{},
		timeout: opts.Timeout, idle: opts.StreamIdleTimeout, maxTokens: opts.DefaultMaxTokens}
	if c.name == "" {
		c.name = "anthropic"
	}
	if c.base == "" {
		c.base = DefaultBaseURL
	}
	// A pasted ".../v1" would double the path.
	c.base = strings.TrimSuffix(c.base, "/v1")
	if c.timeout <= 0 {
		c.timeout = 600 * time.Second
	}
	if c.idle <= 0 {
		c.idle = 120 * time.Second
	}
	if c.maxTokens <= 0 {
		c.maxTokens = DefaultMaxTokens
	}
	for k, v := range opts.Header {
		c.header[k] = slices.Clone(v)
	}
	if opts.APIKey != "" {
		c.header.Set("X-Api-Key", opts.APIKey)
	}
	v := opts.Version
	if v == "" {
		v = DefaultVersion
	}
	c.header.Set("Anthropic-Version", v)
	c.hc = provider.NewClient(opts.Transport)
	return c
}

// Name returns the provider's name.
func (c *Client) Name() string { return c.name }

func (c *Client) decodeError(status int, body []byte) *llm.Error {
	return anthropicwire.UpstreamError(c.name, status, body)
}

// headers returns the headers of a request for r: the configured ones, plus the beta
// features the client asked for.
func (c *Client) headers(r *llm.Request) http.Header {
	raw, ok := r.Hints[anthropicwire.HintBeta]
	if !ok {
		return c.header
	}
	var betas []string
	if json.Unmarshal(raw, &betas) != nil {
		return c.header
	}
	var all []string
	for _, v := range append(slices.Clone(c.header.Values("Anthropic-Beta")), betas...) {
		for _, b := range strings.Split(v, ",") {
			if b = strings.TrimSpace(b); b != "" && !slices.Contains(all, b) {
				all = append(all, b)
			}
		}
	}
	if len(all) == 0 {
		return c.header
	}
	h := c.header.Clone()
	h.Set("Anthropic-Beta", strings.Join(all, ","))
	return h
}

// encode builds the body for req, recording on req what had to be left out.
func (c *Client) encode(req *llm.Request, stream bool) ([]byte, error) {
	r := *req
	r.Stream = stream
	body, err := anthropicwire.EncodeRequest(&r, r.Model, c.name, c.maxTokens)
	req.Dropped = r.Dropped
	return body, err
}

// Chat sends a non-streamed request.
func (c *Client) Chat(ctx context.Context, req *llm.Request) (*llm.Response, error) {
	body, err := c.encode(req, false)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	resp, err := provider.Post(ctx, c.hc, c.base+"/v1/messages", c.headers(req), body, c.name, c.decodeError)
	if err != nil {
		return nil, err
	}
	b, err := provider.ReadBody(c.name, resp)
	if err != nil {
		return nil, err
	}
	if anthropicwire.IsErrorBody(b) {
		// An error object under status 200: a proxy's doing.
		return nil, anthropicwire.UpstreamError(c.name, http.StatusBadGateway, b)
	}
	out, err := anthropicwire.DecodeResponse(b)
	if err != nil {
		return nil, provider.BadResponse(c.name, err)
	}
	return out, nil
}

// Stream sends a streamed request.
func (c *Client) Stream(ctx context.Context, req *llm.Request) (llm.Stream, error) {
	body, err := c.encode(req, true)
	if err != nil {
		return nil, err
	}
	// The timeout covers the wait for response headers; after that the idle timer guards.
	resp, cancel, err := provider.PostStream(ctx, c.hc, c.base+"/v1/messages", c.headers(req), body, c.name, c.timeout, c.decodeError)
	if err != nil {
		return nil, err
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		// A proxy that answers a stream request with one JSON error object and status 200.
		b, _ := io.ReadAll(io.LimitReader(resp.Body, provider.MaxErrorBody))
		resp.Body.Close()
		cancel()
		if anthropicwire.IsErrorBody(b) {
			return nil, anthropicwire.UpstreamError(c.name, http.StatusBadGateway, b)
		}
		return nil, provider.BadResponse(c.name, errors.New("stream answered with content type "+ct))
	}
	dec := anthropicwire.NewStreamDecoder()
	dec.Provider = c.name
	s := &stream{name: c.name, body: resp.Body, r: sse.NewReader(resp.Body), dec: dec, cancel: cancel}
	s.idle = provider.NewIdleTimer(c.idle, func() {
		s.idleFired.Store(true)
		cancel()
	})
	return s, nil
}

// stream reads one streamed answer. Recv and Close are called by one goroutine at a time.
type stream struct {
	name   string
	body   io.ReadCloser
	r      *sse.Reader
	dec    *anthropicwire.StreamDecoder
	cancel context.CancelFunc
	idle   *provider.IdleTimer
	queue  []*llm.Chunk
	done   bool
	// sent records that Recv has returned a chunk: a later failure is not retryable, since
	// the caller may have passed the chunk on.
	sent bool
	// idleFired records that the idle timer cancelled the stream, which makes the read fail
	// with context.Canceled; it must read as a timeout, not as the caller going away.
	idleFired atomic.Bool
}

func (s *stream) Recv() (*llm.Chunk, error) {
	for {
		if len(s.queue) > 0 {
			ch := s.queue[0]
			s.queue = s.queue[1:]
			s.sent = true
			return ch, nil
		}
		if s.done {
			return nil, io.EOF
		}
		ev, err := s.r.Next()
		s.idle.Reset()
		if err != nil {
			switch {
			case err == io.EOF && s.dec.Finished():
				// The stop reason came; only message_stop is missing.
				s.finish()
				return nil, io.EOF
			case err == io.EOF:
				return nil, s.fail(provider.BadResponse(s.name, errors.New("stream ended before the answer finished")))
			case errors.Is(err, sse.ErrEventTooLarge):
				return nil, s.fail(provider.BadResponse(s.name, err))
			case s.idleFired.Load():
				err = fmt.Errorf("stream idle: %w", context.DeadlineExceeded)
			}
			// The caller's cancellation stays context.Canceled.
			return nil, s.fail(provider.StreamError(s.name, err))
		}
		chunks, err := s.dec.Decode(ev)
		if err != nil {
			var e *llm.Error
			if errors.As(err, &e) {
				return nil, s.fail(err)
			}
			return nil, s.fail(provider.BadResponse(s.name, err))
		}
		s.queue = append(s.queue, chunks...)
		if s.dec.Done() {
			s.finish()
		}
	}
}

func (s *stream) finish() {
	s.done = true
	s.idle.Stop()
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

// CountTokens asks POST /v1/messages/count_tokens how many input tokens req holds.
func (c *Client) CountTokens(ctx context.Context, req *llm.Request) (int, error) {
	r := *req
	body, err := anthropicwire.EncodeCountTokensRequest(&r, r.Model, c.name)
	req.Dropped = r.Dropped
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, min(c.timeout, 60*time.Second))
	defer cancel()
	resp, err := provider.Post(ctx, c.hc, c.base+"/v1/messages/count_tokens", c.headers(req), body, c.name, c.decodeError)
	if err != nil {
		return 0, err
	}
	b, err := provider.ReadBody(c.name, resp)
	if err != nil {
		return 0, err
	}
	var out struct {
		InputTokens *int `json:"input_tokens"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.InputTokens == nil {
		if anthropicwire.IsErrorBody(b) {
			return 0, anthropicwire.UpstreamError(c.name, http.StatusBadGateway, b)
		}
		return 0, provider.BadResponse(c.name, fmt.Errorf("count_tokens answer without input_tokens (%v)", err))
	}
	return *out.InputTokens, nil
}

// maxModelPages bounds how many pages of GET /v1/models are read.
const maxModelPages = 10

// wireModel is an entry of GET /v1/models. Newer API versions add the window and
// capabilities; older ones give the id alone.
type wireModel struct {
	ID             string `json:"id"`
	MaxInputTokens int    `json:"max_input_tokens"`
	Capabilities   *struct {
		ImageInput *struct {
			Supported bool `json:"supported"`
		} `json:"image_input"`
		Thinking *struct {
			Supported bool `json:"supported"`
		} `json:"thinking"`
	} `json:"capabilities"`
}

// ListModels reads GET /v1/models, following its pages.
func (c *Client) ListModels(ctx context.Context) ([]provider.ModelInfo, error) {
	out := []provider.ModelInfo{}
	after := ""
	for range maxModelPages {
		q := url.Values{"limit": {"1000"}}
		if after != "" {
			q.Set("after_id", after)
		}
		var page struct {
			Data    []wireModel `json:"data"`
			HasMore bool        `json:"has_more"`
			LastID  string      `json:"last_id"`
		}
		if err := c.get(ctx, "/v1/models?"+q.Encode(), &page); err != nil {
			return nil, err
		}
		for _, m := range page.Data {
			if m.ID != "" {
				out = append(out, modelInfo(m))
			}
		}
		if !page.HasMore || page.LastID == "" || page.LastID == after {
			break
		}
		after = page.LastID
	}
	return out, nil
}

// Ping checks that Anthropic answers GET /v1/models with the gateway's key.
func (c *Client) Ping(ctx context.Context) error {
	var page struct {
		Data []wireModel `json:"data"`
	}
	return c.get(ctx, "/v1/models?limit=1", &page)
}

func (c *Client) get(ctx context.Context, path string, into any) error {
	ctx, cancel := context.WithTimeout(ctx, min(c.timeout, 10*time.Second))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return fmt.Errorf("provider %s: %w", c.name, err)
	}
	for k, v := range c.header {
		req.Header[k] = v
	}
	resp, err := provider.Do(c.hc, req, c.name, c.decodeError)
	if err != nil {
		return err
	}
	b, err := provider.ReadBody(c.name, resp)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, into); err != nil {
		return provider.BadResponse(c.name, err)
	}
	return nil
}

// claudeContext is the context window of Claude models that do not report theirs.
const claudeContext = 200_000

func modelInfo(m wireModel) provider.ModelInfo {
	mi := provider.ModelInfo{ID: m.ID, OwnedBy: "anthropic", ContextLength: m.MaxInputTokens}
	claude := strings.HasPrefix(m.ID, "claude-")
	old := strings.HasPrefix(m.ID, "claude-2") || strings.HasPrefix(m.ID, "claude-instant")
	if mi.ContextLength == 0 && claude {
		mi.ContextLength = claudeContext
		if old {
			mi.ContextLength = 100_000
		}
	}
	mi.Caps = provider.Caps{Known: true, Completion: true, Tools: !old, Vision: !old, Thinking: thinks(m.ID)}
	if caps := m.Capabilities; caps != nil {
		if caps.ImageInput != nil {
			mi.Caps.Vision = caps.ImageInput.Supported
		}
		if caps.Thinking != nil {
			mi.Caps.Thinking = caps.Thinking.Supported
		}
	}
	return mi
}

// thinks reports whether a Claude model has extended thinking: Claude 3.7 and every model
// from Claude 4 on (claude-sonnet-4-5, claude-opus-4-1-20250805, claude-4-…, claude-haiku-4-5).
func thinks(id string) bool {
	rest, ok := strings.CutPrefix(id, "claude-")
	if !ok {
		return false
	}
	var nums []int
	for _, p := range strings.Split(rest, "-") {
		if n, ok := smallNumber(p); ok {
			nums = append(nums, n)
		} else if len(nums) > 0 {
			break
		}
	}
	switch {
	case len(nums) == 0:
		return false
	case nums[0] >= 4:
		return true
	case nums[0] == 3 && len(nums) > 1 && nums[1] >= 7:
		return true
	}
	return false
}

// smallNumber reads a version number part (one or two digits; dates are not versions).
func smallNumber(s string) (int, bool) {
	if len(s) == 0 || len(s) > 2 {
		return 0, false
	}
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
