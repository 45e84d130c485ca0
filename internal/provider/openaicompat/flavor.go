package openaicompat

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/provider"
)

// Flavors of OpenAI-compatible servers whose model lists can be enriched from their own
// endpoints.
const (
	FlavorLlamaCPP = "llamacpp" // GET /props: the context size the server runs with, vision
	FlavorLMStudio = "lmstudio" // GET /api/v0/models: type (llm, vlm, embeddings), context length
)

// root is the server root: the base URL without its trailing /v1.
func (c *Client) root() string { return strings.TrimSuffix(c.base, "/v1") }

func (c *Client) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	for k, vals := range c.header {
		req.Header[k] = vals
	}
	resp, err := provider.Do(c.hc, req, c.name, c.decodeError)
	if err != nil {
		return err
	}
	b, err := provider.ReadBody(c.name, resp)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// enrich adds what the server's own endpoints say about its models. Failures leave the list as
// it was: these endpoints are extras, and older versions lack them.
func (c *Client) enrich(ctx context.Context, models []provider.ModelInfo) {
	switch c.flavor {
	case FlavorLlamaCPP:
		var props struct {
			NCtx     int `json:"n_ctx"`
			Settings struct {
				NCtx int `json:"n_ctx"`
			} `json:"default_generation_settings"`
			Modalities *struct {
				Vision bool `json:"vision"`
			} `json:"modalities"`
		}
		if c.getJSON(ctx, c.root()+"/props", &props) != nil {
			return
		}
		n := max(props.NCtx, props.Settings.NCtx)
		for i := range models {
			// The server runs with n_ctx, which may be smaller than what the model was trained for.
			if n > 0 {
				models[i].ContextLength = n
			}
			if props.Modalities != nil {
				models[i].Caps.Vision = props.Modalities.Vision
			}
		}
	case FlavorLMStudio:
		var list struct {
			Data []struct {
				ID               string `json:"id"`
				Type             string `json:"type"`
				MaxContextLength int    `json:"max_context_length"`
			} `json:"data"`
		}
		if c.getJSON(ctx, c.root()+"/api/v0/models", &list) != nil {
			return
		}
		for i := range models {
			for _, d := range list.Data {
				if d.ID != models[i].ID {
					continue
				}
				models[i].ContextLength = d.MaxContextLength
				switch d.Type {
				case "embeddings":
					models[i].Caps = provider.Caps{Known: true, Embeddings: true}
				case "vlm":
					models[i].Caps = provider.Caps{Known: true, Completion: true, Vision: true, Tools: true}
				case "llm":
					models[i].Caps = provider.Caps{Known: true, Completion: true, Tools: true}
				}
			}
		}
	}
}
