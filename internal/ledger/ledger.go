package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Outcomes of a request, as Record.Outcome holds them.
const (
	OutcomeOK        = "ok"        // answered in full
	OutcomeError     = "error"     // refused or failed before the answer began
	OutcomeFailed    = "failed"    // a stream failed midway
	OutcomeCancelled = "cancelled" // the client went away
)

// Routes, as Record.Route holds them; "" means refused before routing.
const (
	RouteLocal = "local"
	RouteCloud = "cloud"
	RouteCache = "cache"
	RoutePeer  = "peer"
)

// Durability modes, shared by the Writer and the stores.
const (
	// DurabilityBatched queues records and writes them in batches every FlushInterval; a crash
	// of the process loses at most the records still queued, and a power loss at most the last
	// committed batches (never the database's consistency).
	DurabilityBatched = "batched"
	// DurabilityStrict commits each record (or each group of records that arrived together)
	// before the response's final bytes go out, and the store syncs every commit to disk.
	DurabilityStrict = "strict"
)

// Record is one request the gateway answered or refused.
type Record struct {
	ID             int64     // assigned by the store on Insert
	Time           time.Time // when the request arrived (UTC); stores keep microseconds
	RequestID      string
	Caller         string // key/team when present ("" for now)
	Team           string
	Task           string // x-sovereign-task header / metadata
	Session        string // x-sovereign-session header
	User           string // OpenAI "user" field
	Ingress        string // "openai.chat", "openai.embeddings", later "anthropic.messages", ...
	Stream         bool
	RequestedModel string // model as the caller wrote it
	Route          string // RouteLocal, RouteCloud, RouteCache, RoutePeer, or "" (refused before routing)
	Provider       string
	Model          string // provider's model id that answered

	InputTokens, OutputTokens, CachedInputTokens, CacheWriteTokens, ReasoningTokens int64

	TokensEstimated bool    // counted by the gateway's tokenizer, not reported by the provider
	LatencyMS       float64 // until the last byte
	TTFTMS          float64 // time to first token (streams), 0 otherwise
	Status          int     // HTTP status the client got
	ErrorCode       string
	Outcome         string // OutcomeOK, OutcomeError, OutcomeFailed or OutcomeCancelled

	CostUSD           *float64 // nil = unknown (model not in the price table)
	CounterfactualUSD *float64 // what the reference cloud model would have cost with the same tokens
	SavedUSD          *float64 // counterfactual - cost, nil when either is unknown
	ReferenceModel    string
	PriceTableDate    string

	Prompt   string // only when the opt-in setting store_prompts is on; "" otherwise
	Metadata map[string]string
	// Dropped lists, comma-separated, the request's features the answering target left out
	// because it has no equivalent (the x-sovereign-dropped header).
	Dropped string
	// RouteReason is why the request went where it went, in short (the
	// x-sovereign-route-reason header): "auto: local, p(local ok)=0.83 ≥ 0.70".
	RouteReason string
	// Decision is the routing decision as a JSON object: how the model was named, constraints
	// hit, candidates rejected and why, and for "auto" the features, score and threshold; nil
	// when the request was refused before routing.
	Decision json.RawMessage
	// Privacy is what the privacy guard found and did, without the values found (the
	// x-sovereign-privacy header): "email=redact;secret=block".
	Privacy string
}

// Store is the ledger's storage: small enough that a PostgreSQL store can be a second
// implementation. Its methods are safe for concurrent use.
type Store interface {
	// Insert writes recs in one transaction: all of them or none. On success it sets each
	// record's ID.
	Insert(ctx context.Context, recs []Record) error
	// Records returns the records that match f, newest first, at most f.Limit (0 = 1000).
	Records(ctx context.Context, f Filter) ([]Record, error)
	// Summarize groups the records that match f by the dimensions in by (see Dimensions), in
	// the order given, and returns one Summary per group, ordered by its key. An empty by gives
	// one group of everything. f.Limit does not apply. No matching records give no groups.
	Summarize(ctx context.Context, f Filter, by []string) ([]Summary, error)
	Close() error
}

// Filter selects records. Zero fields select everything.
type Filter struct {
	Since  time.Time // records at or after Since
	Until  time.Time // records before Until
	Model  string    // the provider's model id, or "provider/model"
	Route  string
	Task   string
	Caller string
	Limit  int // Records only: at most this many (0 = 1000)
}

// DefaultLimit is how many records Records returns when Filter.Limit is 0.
const DefaultLimit = 1000

// Dimensions a Summary can be grouped by.
const (
	ByDay      = "day"   // YYYY-MM-DD, UTC
	ByModel    = "model" // "provider/model", or the model alone when the provider is ""
	ByRoute    = "route"
	ByTask     = "task"
	ByProvider = "provider"
	ByCaller   = "caller"
)

// Dimensions returns every dimension Summarize accepts.
func Dimensions() []string {
	return []string{ByDay, ByModel, ByRoute, ByTask, ByProvider, ByCaller}
}

// ErrUnknownDimension is returned (wrapped) by Summarize for a dimension not in Dimensions.
var ErrUnknownDimension = errors.New("unknown report dimension")

// CheckDimensions returns an error wrapping ErrUnknownDimension for the first of by that is
// not a known dimension, or for one given twice.
func CheckDimensions(by []string) error {
	seen := make(map[string]bool, len(by))
	for _, d := range by {
		if !slices.Contains(Dimensions(), d) {
			return fmt.Errorf("%w %q (known: day, model, route, task, provider, caller)", ErrUnknownDimension, d)
		}
		if seen[d] {
			return fmt.Errorf("report dimension %q given twice", d)
		}
		seen[d] = true
	}
	return nil
}

// Summary is one group of a report.
type Summary struct {
	Key map[string]string // dimension -> value, for each dimension the report was grouped by

	Requests  int64
	Errors    int64 // Outcome "error" or "failed"
	Cancelled int64 // Outcome "cancelled"

	InputTokens, OutputTokens, CachedInputTokens, ReasoningTokens int64

	CostUSD, CounterfactualUSD, SavedUSD float64 // sums over the records whose value is known
	UnknownCost                          int64   // records whose cost is unknown
	LocalRequests                        int64   // Route == "local"
	LatencyMeanMS                        float64 // mean LatencyMS of the group's records
}

// StoredResponse is an answer of the Responses API, kept so that a later request can continue
// the conversation (previous_response_id) or fetch it again (GET /v1/responses/{id}).
type StoredResponse struct {
	ID        string
	Created   time.Time
	RequestID string
	Model     string
	// Items is the conversation as a JSON array of Responses items: the input the answer was
	// made from (including earlier turns), then its output.
	Items []byte
	// Body is the response object as the client got it.
	Body []byte
}

// ResponseStore keeps stored responses. Put writes through at once (not batched): a client may
// continue a conversation as soon as it has the answer.
type ResponseStore interface {
	PutResponse(ctx context.Context, r StoredResponse) error
	// GetResponse returns ErrNotFound when no response has the id.
	GetResponse(ctx context.Context, id string) (StoredResponse, error)
	// DeleteResponse removes a stored response and its conversation; ErrNotFound when none
	// has the id.
	DeleteResponse(ctx context.Context, id string) error
}

// ErrNotFound reports that a stored item does not exist.
var ErrNotFound = errors.New("not found")
