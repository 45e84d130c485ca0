// Package provider defines what the gateway needs from a model provider, and the HTTP plumbing
// the adapters share. Each adapter (openaicompat, ollama, …) lives in its own package below and
// translates between the canonical llm types and its provider's wire format.
package provider

import (
	"context"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// Provider answers chat requests. Request.Model holds the provider's own model id (the gateway
// strips its "provider/" prefix and resolves aliases before calling). Errors are *llm.Error
// values; Retryable ones have sent nothing to the caller and may be tried again.
//
// Stream returns once the upstream has accepted the request (its response headers arrived), so
// that a failure to start can still be retried or become an HTTP status. Cancelling ctx aborts
// the upstream call at any point.
type Provider interface {
	Name() string
	Chat(ctx context.Context, req *llm.Request) (*llm.Response, error)
	Stream(ctx context.Context, req *llm.Request) (llm.Stream, error)
}

// Embedder is implemented by providers that serve embeddings.
type Embedder interface {
	Embed(ctx context.Context, req *llm.EmbedRequest) (*llm.EmbedResponse, error)
}

// Lister is implemented by providers that can list their models.
type Lister interface {
	ListModels(ctx context.Context) ([]ModelInfo, error)
}

// Pinger is implemented by providers with a cheap health check.
type Pinger interface {
	Ping(ctx context.Context) error
}

// ModelInfo describes one model as its provider reports it.
type ModelInfo struct {
	ID string
	// ContextLength is the model's context window in tokens; 0 when the provider does not say.
	ContextLength int
	Caps          Caps
	OwnedBy       string
}

// Caps lists what a model can do. Known tells whether the provider reported capabilities at
// all; when it is false the gateway does not refuse requests on their account.
type Caps struct {
	Known      bool
	Completion bool
	Tools      bool
	Vision     bool
	Embeddings bool
	Thinking   bool
}

// List returns the capabilities as short names, for /v1/models and the CLI.
func (c Caps) List() []string {
	var out []string
	for _, x := range []struct {
		ok   bool
		name string
	}{{c.Completion, "chat"}, {c.Tools, "tools"}, {c.Vision, "vision"}, {c.Embeddings, "embeddings"}, {c.Thinking, "thinking"}} {
		if x.ok {
			out = append(out, x.name)
		}
	}
	return out
}
