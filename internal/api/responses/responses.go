// Package responses is the gateway's OpenAI Responses ingress: POST /v1/responses (plain and
// streamed with its typed events), GET /v1/responses/{id} and DELETE /v1/responses/{id}, for
// any model the gateway can reach. Errors come out as OpenAI error JSON.
//
// A response created with store (the default) is kept in the ledger's database with the
// conversation it ends, so that a later request can continue it with previous_response_id:
// the stored items come back as the first messages of the new request. Codex and other agents
// that send store:false keep the conversation themselves.
package responses

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/api/exchange"
	"github.com/sovereign-gateway/sovereign/internal/ledger"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/responseswire"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// Handler serves the Responses API.
type Handler struct {
	Pipeline *exchange.Pipeline
	// Store keeps responses for previous_response_id and GET; nil stores nothing, and a
	// request that needs a stored response is refused.
	Store ledger.ResponseStore
}

// Create serves POST /v1/responses.
func (h *Handler) Create(w http.ResponseWriter, r *http.Request) error {
	return h.Pipeline.Serve(w, r, "openai.responses", h.create)
}

func (h *Handler) create(x *exchange.Exchange) error {
	body, err := x.ReadBody()
	if err != nil {
		return err
	}
	rq, err := responseswire.DecodeRequest(body)
	if err != nil {
		return err
	}
	req := rq.Chat
	var history json.RawMessage // the stored conversation this request continues
	if rq.PreviousResponseID != "" {
		prev, err := h.load(x, rq.PreviousResponseID)
		if err != nil {
			return err
		}
		msgs, err := responseswire.ItemsToMessages(prev.Items)
		if err != nil {
			return &llm.Error{Status: http.StatusInternalServerError, Type: llm.TypeServer, Code: llm.CodeInternal,
				Message: "the stored response " + rq.PreviousResponseID + " could not be read back", Cause: err}
		}
		history = prev.Items
		rq.PrependHistory(msgs)
	}
	for _, it := range rq.DroppedItems {
		req.Drop("input." + it)
	}
	x.Request(req)
	meta := responseswire.Meta{ID: newResponseID(), CreatedAt: time.Now().Unix(), Model: req.Model, Req: rq}
	store := rq.Store && h.Store != nil
	if req.Stream {
		enc := responseswire.NewStreamEncoder(meta)
		if store {
			enc.Keep = func(_ *llm.Response, object []byte) error {
				return h.save(x, meta, joinArrays(history, rq.Input, enc.OutputItems()), object)
			}
		}
		return x.Stream(req, &eventEncoder{enc: enc})
	}
	resp, err := x.Chat(req)
	if err != nil {
		return err
	}
	out, err := responseswire.EncodeResponse(resp, meta)
	if err != nil {
		return err
	}
	if store {
		output, err := responseswire.OutputItems(resp, meta)
		if err != nil {
			return err
		}
		if err := h.save(x, meta, joinArrays(history, rq.Input, output), out); err != nil {
			return err
		}
	}
	err = x.Answer(out)
	if err != nil && store {
		// The answer was withheld (strict durability): a later previous_response_id must not
		// find it.
		if derr := h.Store.DeleteResponse(context.WithoutCancel(x.HTTPRequest().Context()), meta.ID); derr != nil && !errors.Is(derr, ledger.ErrNotFound) {
			return errors.Join(err, derr)
		}
	}
	return err
}

func (h *Handler) load(x *exchange.Exchange, id string) (ledger.StoredResponse, error) {
	if h.Store == nil {
		return ledger.StoredResponse{}, notFound(id, "previous_response_id")
	}
	prev, err := h.Store.GetResponse(x.HTTPRequest().Context(), id)
	if errors.Is(err, ledger.ErrNotFound) {
		return prev, notFound(id, "previous_response_id")
	}
	if err != nil {
		return prev, &llm.Error{Status: http.StatusServiceUnavailable, Type: llm.TypeServer, Code: CodeStoreUnavailable,
			Message: "stored responses cannot be read now; try again", Cause: err}
	}
	return prev, nil
}

// save stores the answer (body, the response object) with the conversation it ends: earlier
// turns, this input, the output.
func (h *Handler) save(x *exchange.Exchange, meta responseswire.Meta, items, body []byte) error {
	err := h.Store.PutResponse(x.HTTPRequest().Context(), ledger.StoredResponse{ID: meta.ID,
		Created: time.Unix(meta.CreatedAt, 0).UTC(), RequestID: x.Writer().Header().Get(exchange.HeaderRequestID),
		Model: meta.Model, Items: items, Body: body})
	if err != nil {
		return &llm.Error{Status: http.StatusServiceUnavailable, Type: llm.TypeServer, Code: CodeStoreUnavailable,
			Message: "the response could not be stored (store: true); try again, or send store: false", Cause: err}
	}
	return nil
}

// joinArrays concatenates JSON arrays; empty or null ones are skipped.
func joinArrays(arrays ...json.RawMessage) []byte {
	out := []byte{'['}
	for _, a := range arrays {
		var items []json.RawMessage
		if len(a) == 0 || json.Unmarshal(a, &items) != nil {
			continue
		}
		for _, it := range items {
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = append(out, it...)
		}
	}
	return append(out, ']')
}

// eventEncoder adapts responseswire's stream encoder to the exchange: the typed events begin
// with the first chunk (or the end, for an empty answer), and a stored response is written
// before its final event goes out (the encoder's Keep).
type eventEncoder struct {
	enc     *responseswire.StreamEncoder
	started bool
}

func (e *eventEncoder) start(w *sse.Writer) error {
	if e.started {
		return nil
	}
	e.started = true
	return e.enc.Start(w)
}

func (e *eventEncoder) Chunk(w *sse.Writer, ch *llm.Chunk) error {
	if err := e.start(w); err != nil {
		return err
	}
	return e.enc.Chunk(w, ch)
}

func (e *eventEncoder) Finish(w *sse.Writer, comment string) error {
	if err := e.start(w); err != nil {
		return err
	}
	_, _, err := e.enc.Finish(w, comment)
	return err
}

func (e *eventEncoder) Fail(w *sse.Writer, err *llm.Error) {
	if e.start(w) != nil {
		return
	}
	_ = e.enc.Fail(w, err)
}

// Get serves GET /v1/responses/{id}: the stored response object.
func (h *Handler) Get(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if h.Store == nil {
		return notFound(id, "")
	}
	prev, err := h.Store.GetResponse(r.Context(), id)
	if errors.Is(err, ledger.ErrNotFound) {
		return notFound(id, "")
	}
	if err != nil {
		return &llm.Error{Status: http.StatusServiceUnavailable, Type: llm.TypeServer, Code: CodeStoreUnavailable,
			Message: "stored responses cannot be read now; try again", Cause: err}
	}
	exchange.WriteJSON(w, http.StatusOK, prev.Body)
	return nil
}

// Delete serves DELETE /v1/responses/{id}: the stored response and the conversation kept
// with it are removed from the ledger's database.
func (h *Handler) Delete(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if h.Store == nil {
		return notFound(id, "")
	}
	err := h.Store.DeleteResponse(r.Context(), id)
	if errors.Is(err, ledger.ErrNotFound) {
		return notFound(id, "")
	}
	if err != nil {
		return &llm.Error{Status: http.StatusServiceUnavailable, Type: llm.TypeServer, Code: CodeStoreUnavailable,
			Message: "stored responses cannot be deleted now; try again", Cause: err}
	}
	body, _ := json.Marshal(map[string]any{"id": id, "object": "response", "deleted": true})
	exchange.WriteJSON(w, http.StatusOK, body)
	return nil
}

func notFound(id, param string) *llm.Error {
	return &llm.Error{Status: http.StatusNotFound, Type: llm.TypeInvalidRequest, Code: llm.CodeNotFound, Param: param,
		Message: "no stored response with id '" + id + "'; only responses created with store: true through this gateway are kept"}
}

// CodeStoreUnavailable marks a request that needed the response store when it failed.
const CodeStoreUnavailable = "response_store_unavailable"

// newResponseID returns an id in OpenAI's style.
func newResponseID() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "resp_" + hex.EncodeToString(b[:])
}
