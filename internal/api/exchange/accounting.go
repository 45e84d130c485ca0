package exchange

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/ledger"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/pricing"
	"github.com/sovereign-gateway/sovereign/internal/tokens"
)

// Headers that carry the ledger's verdict on an answer; for streams they come as trailers and
// in a final SSE comment.
const (
	HeaderCost  = "X-Sovereign-Cost-Usd"
	HeaderSaved = "X-Sovereign-Saved-Usd"
	// Request headers that tag a request for reports.
	HeaderTask    = "X-Sovereign-Task"
	HeaderSession = "X-Sovereign-Session"
)

// Accounting is what the handlers need to put every request in the ledger. A nil Accounting
// records nothing (tests of the wire format alone).
type Accounting struct {
	Ledger *ledger.Writer
	Prices *pricing.Table
	// Reference is the cloud model of the counterfactual, "provider/model".
	Reference string
	// Strict releases an answer's final bytes only after its record is committed.
	Strict bool
	// CommitTimeout is how long a strict answer waits for its record before it is withheld
	// (503 ledger_unavailable, or an error event ending a stream). 0 = 30s.
	CommitTimeout time.Duration
	// StorePrompts keeps the prompt text in the record (opt-in, for the local user).
	StorePrompts bool
}

// Exchange follows one request from arrival to its ledger record. Handlers get one from
// Pipeline.Serve and use its methods to read, dispatch and answer.
type Exchange struct {
	p *Pipeline
	w http.ResponseWriter
	r *http.Request

	acct  *Accounting
	start time.Time
	rec   ledger.Record
	req   *llm.Request
	resp  *llm.Response
	usage *llm.Usage
	// held are the stream's chunks still in raw form, kept (not decoded) in case the upstream
	// reports no usage and the gateway must count the answer's tokens itself.
	held    []*llm.Chunk
	outText strings.Builder
	local   bool
	// unanswered is set when the target failed before any answer began: the record names the
	// target, but nothing was spent.
	unanswered bool
	done       bool
	// started is set once the answer's status line went out.
	started bool
	bill    pricing.Bill
	// decision is how the request was routed (Targets).
	decision *Decision
	// guard is what the privacy guard found and decided.
	guard guard
}

// begin starts the record of a request; the request id is the one the server's middleware put
// on the response.
func (p *Pipeline) begin(w http.ResponseWriter, r *http.Request, ingress string) *Exchange {
	x := &Exchange{p: p, w: w, r: r, acct: p.Accounting, start: time.Now()}
	x.rec = ledger.Record{Time: x.start.UTC(), RequestID: w.Header().Get(HeaderRequestID), Ingress: ingress,
		Task: r.Header.Get(HeaderTask), Session: r.Header.Get(HeaderSession)}
	return x
}

// Request notes the decoded request in the record: requested model, tags, caller.
func (x *Exchange) Request(req *llm.Request) {
	x.req = req
	x.rec.RequestedModel = req.Model
	x.rec.Stream = req.Stream
	x.rec.User = req.User
	if x.rec.Task == "" {
		x.rec.Task = req.Metadata["task"]
	}
	if x.rec.Session == "" {
		x.rec.Session = req.Metadata["session"]
	}
	if len(req.Metadata) > 0 {
		x.rec.Metadata = req.Metadata
	}
	if x.acct != nil && x.acct.StorePrompts {
		var b strings.Builder
		for i := range req.Messages {
			b.WriteString(req.Messages[i].Role)
			b.WriteString(": ")
			b.WriteString(req.Messages[i].Text())
			b.WriteString("\n")
		}
		x.rec.Prompt = b.String()
	}
}

func (x *Exchange) target(t catalog.Target) {
	x.rec.Route = t.Entry.Route()
	x.rec.Provider = t.Entry.Name
	x.rec.Model = t.Model
	x.local = t.Entry.Local
}

// failedAt notes the target that was tried last when no target answered, so that the record
// shows where the request was routed (reports count errors by model and provider); the
// request bills nothing, as no answer began. A zero Target (none was tried) changes nothing.
func (x *Exchange) failedAt(t catalog.Target) {
	if t.Entry == nil {
		return
	}
	x.target(t)
	x.unanswered = true
}

// firstByte marks the time to first token of a stream.
func (x *Exchange) firstByte() {
	if x.rec.TTFTMS == 0 {
		x.rec.TTFTMS = ms(time.Since(x.start))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// chunk notes what a streamed chunk tells the ledger. Usage chunks are decoded on arrival;
// the others stay raw and are decoded only if the stream ends without usage.
func (x *Exchange) chunk(c *llm.Chunk) {
	if x.acct == nil {
		return
	}
	if c.Decoded && c.Usage != nil {
		u := *c.Usage
		x.usage = &u
		x.held = nil
		return
	}
	if x.usage == nil {
		if x.held == nil {
			x.held = make([]*llm.Chunk, 0, 32) // most answers' chunks, in one allocation
		}
		x.held = append(x.held, c)
	}
}

// streamedText decodes the held chunks and returns the answer's text, for counting.
func (x *Exchange) streamedText() string {
	for _, c := range x.held {
		if c.Decode() != nil {
			continue
		}
		for _, ch := range c.Choices {
			x.outText.WriteString(ch.Delta.Content)
			x.outText.WriteString(ch.Delta.Reasoning)
			for _, tc := range ch.Delta.ToolCalls {
				x.outText.WriteString(tc.Name)
				x.outText.WriteString(tc.Arguments)
			}
		}
	}
	x.held = nil
	return x.outText.String()
}

func (x *Exchange) embedRequest(req *llm.EmbedRequest) {
	x.rec.RequestedModel = req.Model
	x.rec.User = req.User
}

// embedUsage takes the provider's count of input tokens, or counts them.
func (x *Exchange) embedUsage(req *llm.EmbedRequest, resp *llm.EmbedResponse) {
	if resp.Usage != nil && resp.Usage.InputTokens > 0 {
		u := *resp.Usage
		u.OutputTokens = 0
		x.usage = &u
		return
	}
	n := 0
	for _, in := range req.Input {
		n += tokens.CountText(x.rec.Model, in)
	}
	for _, t := range req.Tokens {
		n += len(t)
	}
	x.usage = &llm.Usage{InputTokens: n, TotalTokens: n}
	x.rec.TokensEstimated = true
}

// settle computes tokens and money.
func (x *Exchange) settle() {
	if x.acct == nil {
		return
	}
	if x.rec.Provider == "" || x.unanswered {
		// Refused before any provider was asked, or no provider answered: nothing was spent,
		// nothing saved.
		zero := 0.0
		x.rec.CostUSD, x.rec.CounterfactualUSD, x.rec.SavedUSD = &zero, &zero, &zero
		return
	}
	u := llm.Usage{}
	estimated := x.rec.TokensEstimated
	switch {
	case x.resp != nil:
		u, estimated = tokens.Resolve(x.rec.Model, x.req, x.resp)
	case x.usage != nil:
		u = *x.usage
	case x.req != nil:
		// A stream without usage (an upstream that ignores stream_options, or one that failed
		// midway): bill what was streamed, counted by the gateway.
		u.InputTokens = tokens.CountRequest(x.rec.Model, x.req)
		u.OutputTokens = tokens.CountText(x.rec.Model, x.streamedText())
		u.TotalTokens = u.InputTokens + u.OutputTokens
		estimated = true
	}
	x.rec.InputTokens = int64(u.InputTokens)
	x.rec.OutputTokens = int64(u.OutputTokens)
	x.rec.CachedInputTokens = int64(u.CachedInputTokens)
	x.rec.CacheWriteTokens = int64(u.CacheWriteTokens)
	x.rec.ReasoningTokens = int64(u.ReasoningTokens)
	x.rec.TokensEstimated = estimated
	x.bill = x.acct.Prices.Bill(x.rec.Provider, x.rec.Model, x.local, x.acct.Reference, u)
	x.rec.ReferenceModel = x.acct.Reference
	x.rec.PriceTableDate = x.acct.Prices.Date
	x.rec.CostUSD = known(x.bill.Cost, x.bill.CostKnown)
	x.rec.CounterfactualUSD = known(x.bill.Counterfactual, x.bill.CounterfactualKnown)
	x.rec.SavedUSD = known(x.bill.Saved, x.bill.SavedKnown)
}

func known(v float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return &v
}

// moneyHeaders returns the cost and saved values as header strings ("unknown" when unpriced).
func (x *Exchange) moneyHeaders() (cost, saved string) {
	f := func(p *float64) string {
		if p == nil {
			return "unknown"
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	return f(x.rec.CostUSD), f(x.rec.SavedUSD)
}

// Answer records a complete JSON answer and then sends it with its cost headers. In strict mode
// the body leaves only once the record is committed.
func (x *Exchange) Answer(body []byte) error {
	if err := x.finish(x.r.Context(), http.StatusOK, nil); err != nil {
		return err
	}
	x.setMoneyHeaders(x.w)
	WriteJSON(x.w, http.StatusOK, body)
	return nil
}

// setMoneyHeaders puts cost and savings on a response whose headers are not yet sent.
func (x *Exchange) setMoneyHeaders(w http.ResponseWriter) {
	if x.acct == nil {
		return
	}
	cost, saved := x.moneyHeaders()
	w.Header().Set(HeaderCost, cost)
	w.Header().Set(HeaderSaved, saved)
}

// finish writes the record. In strict mode it returns only after the record is committed and
// reports a failure to commit; the caller then must not release the answer's final bytes.
func (x *Exchange) finish(ctx context.Context, status int, err error) error {
	if x.done || x.acct == nil || x.acct.Ledger == nil {
		x.done = true
		return nil
	}
	x.done = true
	x.settle()
	if d := x.decision; d != nil {
		x.rec.RouteReason, x.rec.Decision = d.Reason, mustJSON(d)
	}
	x.rec.Status = status
	x.rec.LatencyMS = ms(time.Since(x.start))
	switch {
	case err == nil:
		x.rec.Outcome = ledger.OutcomeOK
	case errors.Is(err, errClientGone) || errors.Is(err, context.Canceled):
		x.rec.Outcome = ledger.OutcomeCancelled
		x.rec.ErrorCode = CodeClientDisconnected

	default:
		e := llm.AsError(err)
		x.rec.ErrorCode = e.Code
		if x.rec.ErrorCode == "" {
			// An upstream error without a code (Anthropic's errors have types only): its type
			// still says what went wrong.
			x.rec.ErrorCode = e.Type
		}
		var sf *streamFailed
		if errors.As(err, &sf) {
			x.rec.Outcome = ledger.OutcomeFailed
		} else {
			x.rec.Outcome = ledger.OutcomeError
			if x.rec.Status == 0 || x.rec.Status == http.StatusOK {
				x.rec.Status = e.Status
			}
		}
	}
	if !x.acct.Strict {
		x.acct.Ledger.Add(x.rec)
		return nil
	}
	// The answer waits for the record, but not for a client that has gone.
	timeout := x.acct.CommitTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	cerr := x.acct.Ledger.Commit(cctx, x.rec, func(r *ledger.Record) {
		// The record is written later, and must say that the client got no (whole) answer: a
		// stream that had begun ends with an error event instead of its last one.
		r.ErrorCode = CodeLedgerUnavailable
		if x.started {
			r.Outcome = ledger.OutcomeFailed
		} else {
			r.Status, r.Outcome = http.StatusServiceUnavailable, ledger.OutcomeError
		}
	})
	if cerr != nil {
		return &llm.Error{Status: http.StatusServiceUnavailable, Type: llm.TypeServer, Code: CodeLedgerUnavailable,
			Message: "the answer could not be recorded in the ledger (strict durability); try again", Cause: cerr}
	}
	return nil
}

// CodeClientDisconnected marks a request whose client went away before its answer ended.
const CodeClientDisconnected = "client_disconnected"

// StatusClientClosed is the status recorded for a request whose client left before any answer
// (nginx's 499).
const StatusClientClosed = 499

// CodeLedgerUnavailable is the error code of an answer withheld because its record could not be
// committed in strict mode.
const CodeLedgerUnavailable = "ledger_unavailable"
