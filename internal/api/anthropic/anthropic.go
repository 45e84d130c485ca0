// Package anthropic is the gateway's Anthropic Messages ingress: POST /v1/messages (plain and
// streamed) and POST /v1/messages/count_tokens, in the exact wire format the Anthropic SDKs and
// Claude Code send and expect, for any model the gateway can reach. Errors come out as
// Anthropic error JSON with Anthropic's status codes.
//
// Requests are decoded into the canonical llm types (internal/anthropicwire) and answered
// through the shared exchange pipeline; the answer of any provider is encoded back into
// Anthropic's response object or event sequence. The client's anthropic-beta headers travel
// with the request as a hint: the Anthropic provider sends them on, the others list them as
// dropped.
package anthropic

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/anthropicwire"
	"github.com/sovereign-gateway/sovereign/internal/api/exchange"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/sse"
	"github.com/sovereign-gateway/sovereign/internal/tokens"
)

// Handler serves the Anthropic Messages API.
type Handler struct {
	Pipeline *exchange.Pipeline
}

// TokenCounter is a provider that counts a request's input tokens itself (Anthropic's
// count_tokens endpoint). Other targets are counted with the gateway's tokenizer.
type TokenCounter interface {
	CountTokens(ctx context.Context, req *llm.Request) (int, error)
}

// Messages serves POST /v1/messages (also with Claude Code's ?beta=true).
func (h *Handler) Messages(w http.ResponseWriter, r *http.Request) error {
	return h.Pipeline.Serve(w, r, "anthropic.messages", messages)
}

func messages(x *exchange.Exchange) error {
	body, err := x.ReadBody()
	if err != nil {
		return err
	}
	req, err := anthropicwire.DecodeRequest(body)
	if err != nil {
		return err
	}
	withBetas(req, x.HTTPRequest().Header)
	x.Request(req)
	if req.Stream {
		return x.Stream(req, &eventEncoder{enc: anthropicwire.NewStreamEncoder(req.Model, 0)})
	}
	resp, err := x.Chat(req)
	if err != nil {
		return err
	}
	out, err := anthropicwire.EncodeResponse(resp, req.Model)
	if err != nil {
		return err
	}
	return x.Answer(out)
}

// withBetas keeps the client's anthropic-beta header values as a hint for the Anthropic
// provider.
func withBetas(req *llm.Request, h http.Header) {
	var betas []string
	for _, v := range h.Values("anthropic-beta") {
		for _, b := range strings.Split(v, ",") {
			if b = strings.TrimSpace(b); b != "" {
				betas = append(betas, b)
			}
		}
	}
	if len(betas) == 0 {
		return
	}
	raw, _ := json.Marshal(betas)
	if req.Hints == nil {
		req.Hints = map[string]json.RawMessage{}
	}
	req.Hints[anthropicwire.HintBeta] = raw
	if req.ExtensionsFormat == "" {
		req.ExtensionsFormat = llm.FormatAnthropic
	}
}

// eventEncoder adapts anthropicwire's stream encoder to the exchange.
type eventEncoder struct {
	enc *anthropicwire.StreamEncoder
}

func (e *eventEncoder) Chunk(w *sse.Writer, ch *llm.Chunk) error { return e.enc.Encode(w, ch) }

func (e *eventEncoder) Finish(w *sse.Writer, comment string) error { return e.enc.Finish(w, comment) }

// Fail sends Anthropic's error event, which the SDKs raise as an error.
func (e *eventEncoder) Fail(w *sse.Writer, err *llm.Error) {
	_ = w.Event("error", anthropicwire.EncodeStreamError(err))
}

// CountTokens serves POST /v1/messages/count_tokens. An Anthropic target counts for itself;
// any other is counted with the gateway's tokenizer for the resolved model. The call is in
// the ledger, billed nothing.
func (h *Handler) CountTokens(w http.ResponseWriter, r *http.Request) error {
	return h.Pipeline.Serve(w, r, "anthropic.count_tokens", func(x *exchange.Exchange) error {
		body, err := x.ReadBody()
		if err != nil {
			return err
		}
		req, err := anthropicwire.DecodeCountTokensRequest(body)
		if err != nil {
			return err
		}
		withBetas(req, r.Header)
		x.Request(req)
		targets, err := x.Targets(req)
		if err != nil {
			return err
		}
		if len(targets) == 0 {
			return llm.ModelNotFound(req.Model, "see GET /v1/models")
		}
		t := targets[0]
		x.Served(t)
		var n int
		if c, ok := t.Entry.Provider.(TokenCounter); ok {
			// The provider sees what the privacy policy lets it see, as for an answer.
			out := *x.Outbound(req, t)
			out.Model = t.Model
			if n, err = c.CountTokens(r.Context(), &out); err != nil {
				return err
			}
		} else {
			n = tokens.CountRequest(t.Model, req)
		}
		return x.Answer([]byte(`{"input_tokens":` + strconv.Itoa(n) + `}`))
	})
}

// WriteError writes err as Anthropic error JSON with its status.
func WriteError(w http.ResponseWriter, err error) {
	e := llm.AsError(err)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	exchange.WriteJSON(w, e.Status, anthropicwire.EncodeError(e))
}
