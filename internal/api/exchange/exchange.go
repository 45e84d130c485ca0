// Package exchange is what every ingress shares between decoding a request and encoding its
// answer: reading the body within its limit, resolving the model, dispatching to the targets,
// relaying a stream through the ingress's event encoder, the answer's headers, and the ledger
// record of every request, answered or refused.
//
// An ingress (internal/api/openai, internal/api/anthropic, internal/api/responses) only knows
// its wire format:
//
//	func (h *Handler) Messages(w http.ResponseWriter, r *http.Request) error {
//		return h.Pipeline.Serve(w, r, "anthropic.messages", func(x *exchange.Exchange) error {
//			body, err := x.ReadBody()
//			…decode into req…
//			x.Request(req)
//			if req.Stream {
//				return x.Stream(req, newEncoder(req))
//			}
//			resp, err := x.Chat(req)
//			…encode resp into out…
//			return x.Answer(out)
//		})
//	}
package exchange

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/dispatch"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// Response headers that explain an answer.
const (
	HeaderRequestID = "X-Sovereign-Request-Id"
	HeaderRoute     = "X-Sovereign-Route"
	HeaderModel     = "X-Sovereign-Model"
	// HeaderDropped lists, comma-separated, the request's features the answering target has no
	// equivalent for and that were left out because leaving them out does not change what the
	// answer means (cache_control, thinking budgets, hosted tools…).
	HeaderDropped = "X-Sovereign-Dropped"
)

// Pipeline holds the parts every ingress needs to answer a request.
type Pipeline struct {
	Catalog  *catalog.Catalog
	Dispatch *dispatch.Dispatcher
	Log      *slog.Logger
	// MaxBody bounds a request body in bytes.
	MaxBody int64
	// Accounting puts every request in the ledger; nil records nothing.
	Accounting *Accounting
	// Routing routes "auto" requests; nil tries local models first, then the cloud.
	Routing *Routing
	// Privacy scans requests and applies the privacy policy before they leave; nil sends
	// every request as it is.
	Privacy *Privacy
}

// Serve runs serve for one request and puts the request in the ledger, unless serve already
// did (an answer whose record had to be committed before its final bytes). The error it
// returns is for the ingress to write in its format, unless IsSent says it was delivered.
func (p *Pipeline) Serve(w http.ResponseWriter, r *http.Request, ingress string, serve func(x *Exchange) error) error {
	x := p.begin(w, r, ingress)
	err := serve(x)
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

// ReadBody reads the request body within the pipeline's limit, failing with 413 beyond it.
func (x *Exchange) ReadBody() ([]byte, error) {
	limit := x.p.MaxBody
	if x.r.ContentLength > limit {
		return nil, tooLarge(limit)
	}
	body, err := io.ReadAll(http.MaxBytesReader(x.w, x.r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(limit)
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

// Writer is the response writer of the exchange, for headers an ingress adds itself.
func (x *Exchange) Writer() http.ResponseWriter { return x.w }

// HTTPRequest is the request being answered.
func (x *Exchange) HTTPRequest() *http.Request { return x.r }

// answered sets the headers that say who answered and what was left out.
func (x *Exchange) answered(t catalog.Target, dropped []string) {
	h := x.w.Header()
	h.Set(HeaderRoute, t.Entry.Route())
	h.Set(HeaderModel, t.Name())
	if len(dropped) > 0 {
		h.Set(HeaderDropped, strings.Join(dropped, ", "))
		x.rec.Dropped = strings.Join(dropped, ",")
	}
}

// Served notes a target that answered without a billed generation (counting tokens): the
// record names it and its headers say who answered, but nothing is billed.
func (x *Exchange) Served(t catalog.Target) {
	x.target(t)
	x.unanswered = true
	x.answered(t, nil)
	x.privacyAnswered(t)
}

// Chat resolves and dispatches a non-streamed request, notes who answered, and sets the
// answer's headers. The caller encodes the response and passes it to Answer.
func (x *Exchange) Chat(req *llm.Request) (*llm.Response, error) {
	targets, err := x.Targets(req)
	if err != nil {
		return nil, err
	}
	var (
		resp *llm.Response
		t    catalog.Target
	)
	if local, cloud, ok := x.cascadeSplit(targets, false); ok {
		resp, t, err = x.chatCascade(req, local, cloud)
	} else {
		resp, t, err = x.dispatchChat(req, targets)
	}
	if err != nil {
		x.failedAt(t)
		return nil, err
	}
	x.target(t)
	x.resp = resp
	x.answered(t, req.Dropped)
	return resp, nil
}

// dispatchChat sends req to targets, each target getting what the privacy policy lets it
// see, and restores what was redacted in the answer.
func (x *Exchange) dispatchChat(req *llm.Request, targets []catalog.Target) (*llm.Response, catalog.Target, error) {
	resp, t, err := x.p.Dispatch.ChatPrepared(x.r.Context(), req, targets, x.outbound)
	if err == nil {
		x.restore(resp, t)
	}
	x.privacyAnswered(t)
	return resp, t, err
}

// dispatchStream is dispatchChat for a stream.
func (x *Exchange) dispatchStream(req *llm.Request, targets []catalog.Target) (llm.Stream, catalog.Target, error) {
	s, t, err := x.p.Dispatch.StreamPrepared(x.r.Context(), req, targets, x.outbound)
	if err == nil {
		s = x.restoring(s, t)
	}
	x.privacyAnswered(t)
	return s, t, err
}

// Embed resolves and dispatches an embeddings request and notes its usage.
func (x *Exchange) Embed(req *llm.EmbedRequest) (*llm.EmbedResponse, error) {
	x.embedRequest(req)
	targets, err := x.p.Catalog.Resolve(req.Model, catalog.Need{Embeddings: true})
	if err != nil {
		return nil, err
	}
	if targets, err = x.constrainEmbed(req, targets); err != nil {
		return nil, err
	}
	resp, t, err := x.p.Dispatch.EmbedPrepared(x.r.Context(), req, targets, x.embedOutbound)
	if err != nil {
		x.failedAt(t)
		return nil, err
	}
	x.target(t)
	x.privacyAnswered(t)
	x.embedUsage(req, resp)
	x.answered(t, nil)
	return resp, nil
}

// StreamEncoder writes a streamed answer in an ingress's wire format. Stream calls Chunk for
// every chunk, then Finish once the answer is complete and recorded, or Fail when the stream
// breaks after it started.
type StreamEncoder interface {
	// Chunk writes the events that ch adds to the answer. The chunk may be raw (see
	// llm.Chunk.Decode).
	Chunk(w *sse.Writer, ch *llm.Chunk) error
	// Finish writes the answer's last events. comment, when not empty, carries the ledger's
	// verdict (cost and savings) and goes out as an SSE comment before the final event.
	Finish(w *sse.Writer, comment string) error
	// Fail writes an error event in the ingress's format.
	Fail(w *sse.Writer, e *llm.Error)
}

// Stream resolves and dispatches a streamed request and relays its chunks through enc, one
// write per burst of chunks, never holding a chunk back for the next. The ledger needs the
// upstream's usage, so it is asked for whether or not the caller did (the encoder decides what
// the caller sees). Cost and savings come as trailers and in Finish's comment.
func (x *Exchange) Stream(req *llm.Request, enc StreamEncoder) error {
	targets, err := x.Targets(req)
	if err != nil {
		return err
	}
	ctx := x.r.Context()
	up := *req
	up.IncludeUsage = true
	var (
		stream llm.Stream
		t      catalog.Target
	)
	if local, cloud, ok := x.cascadeSplit(targets, true); ok {
		stream, t, err = x.streamCascade(&up, local, cloud)
	} else {
		stream, t, err = x.dispatchStream(&up, targets)
	}
	if err != nil {
		x.failedAt(t)
		return err
	}
	x.target(t)
	w := x.w
	// Chunks are received ahead of the writer, and what was written is flushed only when no
	// further chunk is waiting (see readAhead): a burst of events goes out in one write.
	ra := startReadAhead(ctx, stream)
	defer ra.Close()
	x.answered(t, up.Dropped)
	sse.SetHeaders(w.Header())
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
	fail := func(err error) error {
		e := llm.AsError(err)
		enc.Fail(sw, e)
		return &streamFailed{err: e}
	}
	for {
		ch, err := ra.Recv(lw.flush)
		if err == io.EOF {
			if x.acct != nil && x.acct.Strict {
				// What is already written goes out now; only the end waits for the commit.
				if err := lw.flush(); err != nil {
					return errClientGone
				}
			}
			if err := x.finish(ctx, http.StatusOK, nil); err != nil {
				x.done = true
				return fail(err)
			}
			comment := ""
			if x.acct != nil {
				cost, saved := x.moneyHeaders()
				comment = strings.ToLower(HeaderCost) + "=" + cost + " " + strings.ToLower(HeaderSaved) + "=" + saved
				w.Header().Set(HeaderCost, cost)
				w.Header().Set(HeaderSaved, saved)
			}
			if err := enc.Finish(sw, comment); err != nil {
				if IsSent(err) || lw.writeErr != nil || ctx.Err() != nil {
					return errClientGone
				}
				return fail(unreadable(err))
			}
			return nil
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, errClientGone) {
				return errClientGone
			}
			// Headers are gone: the error becomes an event in the client's format, which the
			// SDKs raise as an error.
			e := llm.AsError(err)
			x.p.Log.Warn("upstream failed mid-stream", "target", t.Name(), "status", e.Status, "code", e.Code)
			return fail(e)
		}
		x.firstByte()
		x.chunk(ch)
		if err := enc.Chunk(sw, ch); err != nil {
			if lw.writeErr != nil || ctx.Err() != nil {
				return errClientGone
			}
			return fail(unreadable(err))
		}
	}
}

// unreadable gives an encoder's failure as an error for the client: its own *llm.Error, or a
// chunk from the upstream that could not be decoded (chunks are decoded lazily, when an
// encoder of another format first reads them).
func unreadable(err error) *llm.Error {
	var e *llm.Error
	if errors.As(err, &e) {
		return e
	}
	return &llm.Error{Status: http.StatusBadGateway, Type: llm.TypeUpstream, Code: llm.CodeUpstreamBadResponse,
		Message: "the upstream sent a stream event the gateway could not read", Cause: err}
}

// WriteJSON writes a JSON body with its status.
func WriteJSON(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
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
