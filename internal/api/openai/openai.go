// Package openai is the gateway's OpenAI-compatible ingress: Chat Completions (plain and
// streamed), Embeddings and Models, in the exact wire format the official SDKs send and expect.
// It decodes requests into canonical llm types, asks the catalog for targets, dispatches, and
// encodes the answer back; errors come out as OpenAI error JSON with the matching HTTP status.
package openai

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/dispatch"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// Response headers that explain an answer.
const (
	HeaderRequestID = "X-Sovereign-Request-Id"
	HeaderRoute     = "X-Sovereign-Route"
	HeaderModel     = "X-Sovereign-Model"
)

// Handler serves the OpenAI API.
type Handler struct {
	Catalog  *catalog.Catalog
	Dispatch *dispatch.Dispatcher
	Log      *slog.Logger
	// MaxBody bounds a request body in bytes.
	MaxBody int64
	// Started is when the gateway started; models listed without a date carry it.
	Started time.Time
	// Accounting puts every request in the ledger; nil records nothing.
	Accounting *Accounting
}

// readBody reads a request body within the limit, answering 413 beyond it.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > h.MaxBody {
		return nil, tooLarge(h.MaxBody)
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.MaxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(h.MaxBody)
		}
		return nil, llm.InvalidRequest(llm.CodeInvalidJSON, "", "could not read the request body: the connection failed")
	}
	return body, nil
}

func tooLarge(limit int64) error {
	return &llm.Error{Status: http.StatusRequestEntityTooLarge, Type: llm.TypeInvalidRequest, Code: llm.CodeBodyTooLarge,
		Message: "request body is larger than the gateway's limit of " + humanBytes(limit) +
			"; send less, or raise max_body_bytes in the gateway's configuration"}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func setRoute(w http.ResponseWriter, t catalog.Target) {
	h := w.Header()
	h.Set(HeaderRoute, t.Entry.Route())
	h.Set(HeaderModel, t.Name())
}

// ChatCompletions serves POST /v1/chat/completions. Every request, answered or refused, ends
// up in the ledger.
func (h *Handler) ChatCompletions(w http.ResponseWriter, r *http.Request) error {
	return h.recorded(w, r, "openai.chat", h.chat)
}

// recorded runs serve and puts its request in the ledger, unless serve already did (an answer
// whose record had to be committed before its final bytes).
func (h *Handler) recorded(w http.ResponseWriter, r *http.Request, ingress string,
	serve func(http.ResponseWriter, *http.Request, *exchange) error) error {
	x := h.begin(w, r, ingress)
	err := serve(w, r, x)
	if err != nil && r.Context().Err() != nil && !IsSent(err) {
		err = errClientGone // the caller left while the gateway waited for the upstream
	}
	if !x.done {
		// A stream that failed midway or lost its client had already sent 200, which is what
		// the client got.
		status := http.StatusOK
		switch {
		case err == nil:
		case errors.Is(err, errClientGone) && !x.started:
			status = StatusClientClosed
		case !IsSent(err):
			status = llm.AsError(err).Status
		}
		_ = x.finish(r.Context(), status, err)
	}
	return err
}

func (h *Handler) chat(w http.ResponseWriter, r *http.Request, x *exchange) error {
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	req, err := openaiwire.DecodeChatRequest(body)
	if err != nil {
		return err
	}
	x.request(req)
	targets, err := h.Catalog.Resolve(req.Model, catalog.NeedOf(req))
	if err != nil {
		return err
	}
	ctx := r.Context()
	if !req.Stream {
		resp, t, err := h.Dispatch.Chat(ctx, req, targets)
		if err != nil {
			x.failedAt(t)
			return err
		}
		x.target(t)
		x.resp = resp
		out, err := openaiwire.EncodeChatResponse(resp)
		if err != nil {
			return err
		}
		setRoute(w, t)
		// In strict mode the answer is released only once its record is committed.
		return x.answer(ctx, w, out)
	}
	// The ledger needs the upstream's usage: ask for it, and strip it back out below when the
	// caller did not.
	up := *req
	up.IncludeUsage = true
	stream, t, err := h.Dispatch.Stream(ctx, &up, targets)
	if err != nil {
		x.failedAt(t)
		return err
	}
	x.target(t)
	// Chunks are received ahead of the writer, and what was written is flushed only when no
	// further chunk is waiting (see readAhead): a burst of events goes out in one write.
	ra := startReadAhead(ctx, stream)
	defer ra.Close()
	setRoute(w, t)
	sse.SetHeaders(w.Header())
	// Cost and savings are known only at the end: they come as trailers, and in a comment
	// event before [DONE] for clients that cannot read trailers.
	if x.acct != nil {
		w.Header().Set("Trailer", HeaderCost+", "+HeaderSaved)
	}
	w.WriteHeader(http.StatusOK)
	x.started = true
	lw := &lazyFlusher{ResponseWriter: w}
	sw := sse.NewWriter(lw)
	// Send the headers now (unless the first chunk is already here): a local engine may take
	// seconds to load a model before its first token, and clients should know the request was
	// accepted.
	if err := sw.Flush(); err != nil {
		return errClientGone
	}
	var usage *llm.Chunk // the usage chunk to send last, when the caller asked for one
	for {
		ch, err := ra.Recv(lw.flush)
		if err == io.EOF {
			if x.acct != nil && x.acct.Strict {
				// What is already written goes out now; only [DONE] waits for the commit.
				if err := lw.flush(); err != nil {
					return errClientGone
				}
			}
			if err := x.finish(ctx, http.StatusOK, nil); err != nil {
				e := llm.AsError(err)
				_ = sw.Data(openaiwire.EncodeError(e))
				x.done = true
				return &streamFailed{err: e}
			}
			if x.acct != nil {
				cost, saved := x.moneyHeaders()
				_ = sw.Comment(strings.ToLower(HeaderCost) + "=" + cost + " " + strings.ToLower(HeaderSaved) + "=" + saved)
				w.Header().Set(HeaderCost, cost)
				w.Header().Set(HeaderSaved, saved)
			}
			if usage != nil {
				payload, err := openaiwire.EncodeChunk(usage)
				if err != nil {
					e := llm.AsError(err)
					_ = sw.Data(openaiwire.EncodeError(e))
					return &streamFailed{err: e}
				}
				if err := sw.Data(payload); err != nil {
					return errClientGone
				}
			}
			if err := sw.Data([]byte("[DONE]")); err != nil {
				return errClientGone
			}
			return nil
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, errClientGone) {
				return errClientGone
			}
			// Headers are gone: the error becomes an event in OpenAI's format, which the SDKs
			// raise as an error, and the stream ends without [DONE].
			e := llm.AsError(err)
			h.Log.Warn("upstream failed mid-stream", "target", t.Name(), "status", e.Status, "code", e.Code)
			_ = sw.Data(openaiwire.EncodeError(e))
			return &streamFailed{err: e}
		}
		x.firstByte()
		x.chunk(ch)
		ch, usage = splitUsage(ch, usage, req.IncludeUsage)
		if ch == nil {
			continue
		}
		payload, err := openaiwire.EncodeChunk(ch)
		if err != nil {
			e := llm.AsError(err)
			_ = sw.Data(openaiwire.EncodeError(e))
			return &streamFailed{err: e}
		}
		if err := sw.Data(payload); err != nil {
			return errClientGone
		}
	}
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

// errClientGone reports that the caller disconnected; nothing more can be sent.
var errClientGone error = &llm.Error{Status: StatusClientClosed, Type: llm.TypeInvalidRequest,
	Code: CodeClientDisconnected, Message: "client disconnected"}

// streamFailed is a failure after the stream started; its error event was already sent.
type streamFailed struct{ err *llm.Error }

func (s *streamFailed) Error() string { return "stream failed: " + s.err.Error() }

// Unwrap gives the upstream's error to llm.AsError, so that the access log shows its code, not
// an internal error.
func (s *streamFailed) Unwrap() error { return s.err }

// IsSent reports whether err was already delivered to the client (mid-stream failure or a
// disconnected client), so that no error body must be written.
func IsSent(err error) bool {
	var sf *streamFailed
	return errors.Is(err, errClientGone) || errors.As(err, &sf)
}

// Embeddings serves POST /v1/embeddings.
func (h *Handler) Embeddings(w http.ResponseWriter, r *http.Request) error {
	return h.recorded(w, r, "openai.embeddings", h.embeddings)
}

func (h *Handler) embeddings(w http.ResponseWriter, r *http.Request, x *exchange) error {
	body, err := h.readBody(w, r)
	if err != nil {
		return err
	}
	req, err := openaiwire.DecodeEmbeddingRequest(body)
	if err != nil {
		return err
	}
	x.embedRequest(req)
	targets, err := h.Catalog.Resolve(req.Model, catalog.Need{Embeddings: true})
	if err != nil {
		return err
	}
	resp, t, err := h.Dispatch.Embed(r.Context(), req, targets)
	if err != nil {
		x.failedAt(t)
		return err
	}
	x.target(t)
	x.embedUsage(req, resp)
	out, err := openaiwire.EncodeEmbeddingResponse(resp, req.EncodingFormat)
	if err != nil {
		return err
	}
	setRoute(w, t)
	return x.answer(r.Context(), w, out)
}

// models lists every model the gateway can route to.
func (h *Handler) models() []openaiwire.Model {
	created := h.Started.Unix()
	var out []openaiwire.Model
	for _, e := range h.Catalog.Entries() {
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
	for _, a := range h.Catalog.Aliases() {
		out = append(out, openaiwire.Model{ID: a, Object: "model", Created: created, OwnedBy: "sovereign", Route: "alias"})
	}
	return out
}

// ListModels serves GET /v1/models.
func (h *Handler) ListModels(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, openaiwire.EncodeModels(h.models()))
	return nil
}

// GetModel serves GET /v1/models/{id...}.
func (h *Handler) GetModel(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	for _, m := range h.models() {
		if m.ID == id {
			writeJSON(w, http.StatusOK, openaiwire.EncodeModel(m))
			return nil
		}
	}
	// A bare name that resolves to exactly one model is found too.
	if ts, err := h.Catalog.Resolve(id, catalog.Need{}); err == nil && len(ts) == 1 && !strings.Contains(id, "/") {
		for _, m := range h.models() {
			if m.ID == ts[0].Name() {
				writeJSON(w, http.StatusOK, openaiwire.EncodeModel(m))
				return nil
			}
		}
	}
	return llm.ModelNotFound(id, "see GET /v1/models")
}

func writeJSON(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// WriteError writes err as OpenAI error JSON with its status.
func WriteError(w http.ResponseWriter, err error) {
	e := llm.AsError(err)
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, e.Status, openaiwire.EncodeError(e))
}
