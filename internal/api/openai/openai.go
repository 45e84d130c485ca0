// Package openai is the gateway's OpenAI-compatible ingress: Chat Completions (plain and
// streamed), Embeddings and Models, in the exact wire format the official SDKs send and expect.
// It decodes requests into canonical llm types, asks the catalog for targets, dispatches, and
// encodes the answer back; errors come out as OpenAI error JSON with the matching HTTP status.
package openai

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/api/exchange"
	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// Handler serves the OpenAI API.
type Handler struct {
	Pipeline *exchange.Pipeline
	// Started is when the gateway started; models listed without a date carry it.
	Started time.Time
}

// ChatCompletions serves POST /v1/chat/completions. Every request, answered or refused, ends
// up in the ledger.
func (h *Handler) ChatCompletions(w http.ResponseWriter, r *http.Request) error {
	return h.Pipeline.Serve(w, r, "openai.chat", chat)
}

func chat(x *exchange.Exchange) error {
	body, err := x.ReadBody()
	if err != nil {
		return err
	}
	req, err := openaiwire.DecodeChatRequest(body)
	if err != nil {
		return err
	}
	x.Request(req)
	if req.Stream {
		return x.Stream(req, &chunkEncoder{includeUsage: req.IncludeUsage})
	}
	resp, err := x.Chat(req)
	if err != nil {
		return err
	}
	out, err := openaiwire.EncodeChatResponse(resp)
	if err != nil {
		return err
	}
	// In strict mode the answer is released only once its record is committed.
	return x.Answer(out)
}

// chunkEncoder writes a stream as Chat Completions chunks, relaying the upstream's bytes when
// it spoke the same format, and ending with data: [DONE].
type chunkEncoder struct {
	includeUsage bool
	usage        *llm.Chunk // the usage chunk to send last, when the caller asked for one
}

func (e *chunkEncoder) Chunk(sw *sse.Writer, ch *llm.Chunk) error {
	ch, e.usage = splitUsage(ch, e.usage, e.includeUsage)
	if ch == nil {
		return nil
	}
	payload, err := openaiwire.EncodeChunk(ch)
	if err != nil {
		return llm.AsError(err)
	}
	return sw.Data(payload)
}

func (e *chunkEncoder) Finish(sw *sse.Writer, comment string) error {
	if comment != "" {
		if err := sw.Comment(comment); err != nil {
			return err
		}
	}
	if e.usage != nil {
		payload, err := openaiwire.EncodeChunk(e.usage)
		if err != nil {
			return llm.AsError(err)
		}
		if err := sw.Data(payload); err != nil {
			return err
		}
	}
	return sw.Data([]byte("[DONE]"))
}

// Fail sends the error as an event in OpenAI's format, which the SDKs raise as an error; the
// stream ends without [DONE].
func (e *chunkEncoder) Fail(sw *sse.Writer, err *llm.Error) {
	_ = sw.Data(openaiwire.EncodeError(err))
}

// splitUsage holds a translated chunk's usage to OpenAI's stream_options contract: without
// include_usage no chunk carries usage; with it, usage comes alone, in a last chunk with no
// choices. Adapters for other wire formats (Ollama's final line, for one) put usage on the
// chunk that finishes the answer. It returns the chunk to send (nil for none) and the usage
// chunk to send last. Chunks relayed in OpenAI's format are left as the upstream sent them: it
// got the caller's stream_options and answered by them.
func splitUsage(ch, pending *llm.Chunk, include bool) (*llm.Chunk, *llm.Chunk) {
	raw := ch.Raw != nil && ch.RawFormat == llm.FormatOpenAIChat
	if raw && !ch.Decoded {
		return ch, pending // chunks with usage are decoded on arrival: this one has none
	}
	if ch.Decode() != nil || ch.Usage == nil {
		return ch, pending // an undecodable chunk fails in EncodeChunk
	}
	if raw && include {
		return ch, pending // the upstream answered the caller's own stream_options
	}
	if include {
		u := *ch
		u.Touch()
		u.Choices = []llm.ChunkChoice{}
		pending = &u
	}
	if len(ch.Choices) == 0 {
		return nil, pending
	}
	out := *ch
	out.Touch()
	out.Usage = nil
	return &out, pending
}

// Embeddings serves POST /v1/embeddings.
func (h *Handler) Embeddings(w http.ResponseWriter, r *http.Request) error {
	return h.Pipeline.Serve(w, r, "openai.embeddings", embeddings)
}

func embeddings(x *exchange.Exchange) error {
	body, err := x.ReadBody()
	if err != nil {
		return err
	}
	req, err := openaiwire.DecodeEmbeddingRequest(body)
	if err != nil {
		return err
	}
	resp, err := x.Embed(req)
	if err != nil {
		return err
	}
	out, err := openaiwire.EncodeEmbeddingResponse(resp, req.EncodingFormat)
	if err != nil {
		return err
	}
	return x.Answer(out)
}

// models lists every model the gateway can route to.
func (h *Handler) models() []openaiwire.Model {
	created := h.Started.Unix()
	var out []openaiwire.Model
	for _, e := range h.Pipeline.Catalog.Entries() {
		if !e.Reachable && !e.OpenModels {
			continue
		}
		for _, m := range e.Models {
			out = append(out, openaiwire.Model{ID: e.Name + "/" + m.ID, Object: "model", Created: created,
				OwnedBy: e.Name, Route: e.Route(), ContextLength: m.ContextLength, Capabilities: m.Caps.List()})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Route != out[j].Route {
			return out[i].Route == catalog.RouteLocal
		}
		return out[i].ID < out[j].ID
	})
	for _, a := range h.Pipeline.Catalog.Aliases() {
		out = append(out, openaiwire.Model{ID: a, Object: "model", Created: created, OwnedBy: "sovereign", Route: "alias"})
	}
	return out
}

// ListModels serves GET /v1/models.
func (h *Handler) ListModels(w http.ResponseWriter, r *http.Request) error {
	exchange.WriteJSON(w, http.StatusOK, openaiwire.EncodeModels(h.models()))
	return nil
}

// GetModel serves GET /v1/models/{id...}.
func (h *Handler) GetModel(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	for _, m := range h.models() {
		if m.ID == id {
			exchange.WriteJSON(w, http.StatusOK, openaiwire.EncodeModel(m))
			return nil
		}
	}
	// A bare name that resolves to exactly one model is found too.
	if ts, err := h.Pipeline.Catalog.Resolve(id, catalog.Need{}); err == nil && len(ts) == 1 && !strings.Contains(id, "/") {
		for _, m := range h.models() {
			if m.ID == ts[0].Name() {
				exchange.WriteJSON(w, http.StatusOK, openaiwire.EncodeModel(m))
				return nil
			}
		}
	}
	return llm.ModelNotFound(id, "see GET /v1/models")
}

// WriteError writes err as OpenAI error JSON with its status.
func WriteError(w http.ResponseWriter, err error) {
	e := llm.AsError(err)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	exchange.WriteJSON(w, e.Status, openaiwire.EncodeError(e))
}
