// Package dispatch sends a canonical request to its targets: it retries a target's retryable
// failures with exponential backoff and jitter, honours Retry-After up to a cap, falls back to
// the next target when one cannot answer, and stops at once when the caller goes away.
//
// Only failures that happened before anything reached the caller are retried: a stream that
// has started belongs to its target.
package dispatch

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/provider"
)

// Options configure a Dispatcher.
type Options struct {
	// Backoff is the first wait between attempts; 0 means 250ms.
	Backoff time.Duration
	// MaxBackoff caps one wait; a Retry-After above it gives up on the target; 0 means 8s.
	MaxBackoff time.Duration
	// Sleep waits for d or until ctx ends; nil means a timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
	Log   *slog.Logger
}

// Dispatcher runs requests against targets.
type Dispatcher struct {
	opts Options
}

// New returns a Dispatcher.
func New(opts Options) *Dispatcher {
	if opts.Backoff <= 0 {
		opts.Backoff = 250 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 8 * time.Second
	}
	if opts.Sleep == nil {
		opts.Sleep = sleep
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Dispatcher{opts: opts}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Attempt records one try, for logs and the ledger.
type Attempt struct {
	Target string
	Err    error
}

// Prepare returns the request target t is to get in place of req (the privacy guard's redacted
// copy, for a cloud target); it must not change req.
type Prepare func(req *llm.Request, t catalog.Target) *llm.Request

// Chat sends a non-streamed chat request. On success req.Dropped lists what the target that
// answered left out (see llm.Request.Drop); nothing else of req changes.
func (d *Dispatcher) Chat(ctx context.Context, req *llm.Request, targets []catalog.Target) (*llm.Response, catalog.Target, error) {
	return d.ChatPrepared(ctx, req, targets, nil)
}

// ChatPrepared is Chat with each target's request from prep; nil sends req to every target.
func (d *Dispatcher) ChatPrepared(ctx context.Context, req *llm.Request, targets []catalog.Target, prep Prepare) (*llm.Response, catalog.Target, error) {
	return run(ctx, d, targets, func(ctx context.Context, t catalog.Target) (*llm.Response, error) {
		out := outbound(req, t, prep)
		resp, err := t.Entry.Provider.Chat(ctx, out)
		if err == nil {
			req.Dropped = out.Dropped
		}
		return resp, err
	})
}

// Stream starts a streamed chat request; req.Dropped is set as by Chat.
func (d *Dispatcher) Stream(ctx context.Context, req *llm.Request, targets []catalog.Target) (llm.Stream, catalog.Target, error) {
	return d.StreamPrepared(ctx, req, targets, nil)
}

// StreamPrepared is Stream with each target's request from prep; nil sends req to every
// target.
func (d *Dispatcher) StreamPrepared(ctx context.Context, req *llm.Request, targets []catalog.Target, prep Prepare) (llm.Stream, catalog.Target, error) {
	return run(ctx, d, targets, func(ctx context.Context, t catalog.Target) (llm.Stream, error) {
		out := outbound(req, t, prep)
		s, err := t.Entry.Provider.Stream(ctx, out)
		if err == nil {
			req.Dropped = out.Dropped
		}
		return s, err
	})
}

// Embed sends an embeddings request.
func (d *Dispatcher) Embed(ctx context.Context, req *llm.EmbedRequest, targets []catalog.Target) (*llm.EmbedResponse, catalog.Target, error) {
	return d.EmbedPrepared(ctx, req, targets, nil)
}

// EmbedPrepared is Embed with each target's request from prep; nil sends req to every target.
func (d *Dispatcher) EmbedPrepared(ctx context.Context, req *llm.EmbedRequest, targets []catalog.Target, prep func(*llm.EmbedRequest, catalog.Target) *llm.EmbedRequest) (*llm.EmbedResponse, catalog.Target, error) {
	return run(ctx, d, targets, func(ctx context.Context, t catalog.Target) (*llm.EmbedResponse, error) {
		e, ok := t.Entry.Provider.(provider.Embedder)
		if !ok {
			return nil, llm.Unsupported(t.Entry.Name, "embeddings", "this provider does not serve embeddings")
		}
		in := req
		if prep != nil {
			in = prep(req, t)
		}
		out := *in
		out.Model = t.Model
		return e.Embed(ctx, &out)
	})
}

// outbound is the request as the target gets it: the inbound request is never changed. Each
// attempt starts with what the ingress itself dropped, and adds what its adapter drops.
func outbound(req *llm.Request, t catalog.Target, prep Prepare) *llm.Request {
	base := req
	if prep != nil {
		base = prep(req, t)
	}
	out := *base
	out.Model = t.Model
	out.Dropped = slices.Clone(req.Dropped)
	return &out
}

func run[T any](ctx context.Context, d *Dispatcher, targets []catalog.Target, call func(context.Context, catalog.Target) (T, error)) (T, catalog.Target, error) {
	var zero T
	var lastErr error
	for i, t := range targets {
		for attempt := 0; ; attempt++ {
			v, err := call(ctx, t)
			if err == nil {
				return v, t, nil
			}
			if ctx.Err() != nil {
				return zero, t, ctx.Err()
			}
			lastErr = err
			e := llm.AsError(err)
			if !e.Retryable || attempt >= t.Entry.MaxRetries {
				break
			}
			wait := d.backoff(attempt)
			if e.RetryAfter > 0 {
				if e.RetryAfter > d.opts.MaxBackoff {
					break // the upstream asks for longer than we will hold the caller
				}
				wait = e.RetryAfter
			}
			d.opts.Log.Debug("retrying upstream", "target", t.Name(), "attempt", attempt+1, "wait", wait, "status", e.Status)
			if err := d.opts.Sleep(ctx, wait); err != nil {
				return zero, t, err
			}
		}
		if !fallbackOn(lastErr) || i == len(targets)-1 {
			return zero, t, lastErr
		}
		d.opts.Log.Info("falling back", "from", t.Name(), "to", targets[i+1].Name(), "status", llm.AsError(lastErr).Status)
	}
	if lastErr == nil {
		lastErr = llm.ModelNotFound("", "no target")
	}
	return zero, catalog.Target{}, lastErr
}

// fallbackOn reports whether a failure of one target lets the next one try: the target could
// not answer (down, overloaded, refusing the gateway's key, lacking the model), as opposed to
// the request itself being wrong.
func fallbackOn(err error) bool {
	var e *llm.Error
	if !errors.As(err, &e) {
		return false
	}
	switch {
	case e.Retryable:
		return true
	case e.Code == llm.CodeUpstreamAuth, e.Code == llm.CodeUpstreamBadResponse:
		return true
	case e.Status == http.StatusNotFound:
		return true
	case e.Code == llm.CodeContextLength, e.Code == llm.CodeUnsupportedParameter:
		// Another candidate may have a larger window or the feature.
		return true
	}
	return false
}

func (d *Dispatcher) backoff(attempt int) time.Duration {
	b := d.opts.Backoff << attempt
	if b > d.opts.MaxBackoff || b <= 0 {
		b = d.opts.MaxBackoff
	}
	// Full jitter in [b/2, b): spreads retries from many callers.
	return b/2 + rand.N(b/2+1)
}
