// Package catalog knows which providers and models the gateway can reach right now, and
// resolves the model name a caller wrote into an ordered list of targets.
//
// Providers come from configuration (static) and from local engine discovery (refreshed every
// few seconds). Readers get an immutable snapshot through an atomic pointer, so resolving a
// model on the request path takes no lock.
package catalog

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/provider"
)

// Route names where an answer comes from.
const (
	RouteLocal = "local"
	RouteCloud = "cloud"
)

// Entry is one provider as the catalog sees it. Entries are immutable once published.
type Entry struct {
	Name     string
	Kind     string // engine kind or provider type, for display
	BaseURL  string
	Local    bool
	Provider provider.Provider
	// Discovered marks an engine found by probing rather than configured.
	Discovered bool
	// Models are the models it reported, or its configured list.
	Models []provider.ModelInfo
	// OpenModels means requests may name models not in Models (cloud services whose lists are
	// incomplete or that could not be listed).
	OpenModels bool
	Reachable  bool
	// LastError is the last probe's failure, in words safe to show.
	LastError  string
	CheckedAt  time.Time
	MaxRetries int
}

// Route returns "local" or "cloud".
func (e *Entry) Route() string {
	if e.Local {
		return RouteLocal
	}
	return RouteCloud
}

// Model returns the named model's info.
func (e *Entry) Model(id string) (provider.ModelInfo, bool) {
	for _, m := range e.Models {
		if m.ID == id {
			return m, true
		}
	}
	// Ollama names "llama3.2" and "llama3.2:latest" the same model.
	if e.Kind == "ollama" && !strings.Contains(id, ":") {
		return e.Model(id + ":latest")
	}
	return provider.ModelInfo{}, false
}

// Target is one place a request can go.
type Target struct {
	Entry *Entry
	// Model is the provider's own model id.
	Model string
	// Info is what the provider reported about the model; zero when unknown.
	Info provider.ModelInfo
}

// Name returns "provider/model".
func (t Target) Name() string { return t.Entry.Name + "/" + t.Model }

// Options are the resolution settings taken from configuration.
type Options struct {
	Aliases      map[string][]string
	DefaultModel string
	DefaultCloud string
}

// Catalog holds the current set of providers.
type Catalog struct {
	mu   sync.Mutex // serialises writers
	snap atomic.Pointer[snapshot]
	opts Options
}

type snapshot struct {
	entries []*Entry // static first (config order), then discovered (sorted by name)
	byName  map[string]*Entry
}

// New returns a catalog with resolution options.
func New(opts Options) *Catalog {
	c := &Catalog{opts: opts}
	c.snap.Store(&snapshot{byName: map[string]*Entry{}})
	return c
}

// Put adds or replaces the entry with e's name.
func (c *Catalog) Put(e *Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.snap.Load()
	next := &snapshot{byName: make(map[string]*Entry, len(old.byName)+1)}
	replaced := false
	for _, x := range old.entries {
		if x.Name == e.Name {
			x = e
			replaced = true
		}
		next.entries = append(next.entries, x)
	}
	if !replaced {
		next.entries = append(next.entries, e)
	}
	for _, x := range next.entries {
		next.byName[x.Name] = x
	}
	c.snap.Store(next)
}

// Remove drops the named entry.
func (c *Catalog) Remove(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.snap.Load()
	next := &snapshot{byName: make(map[string]*Entry, len(old.byName))}
	for _, x := range old.entries {
		if x.Name != name {
			next.entries = append(next.entries, x)
			next.byName[x.Name] = x
		}
	}
	c.snap.Store(next)
}

// Entries returns all entries in order.
func (c *Catalog) Entries() []*Entry { return c.snap.Load().entries }

// Get returns the named entry.
func (c *Catalog) Get(name string) *Entry { return c.snap.Load().byName[name] }

// Ready reports whether at least one provider is reachable.
func (c *Catalog) Ready() bool {
	for _, e := range c.Entries() {
		if e.Reachable {
			return true
		}
	}
	return false
}

// Aliases returns the configured alias names, sorted.
func (c *Catalog) Aliases() []string {
	out := make([]string, 0, len(c.opts.Aliases))
	for k := range c.opts.Aliases {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// IsAlias reports whether name is a configured alias (a route group).
func (c *Catalog) IsAlias(name string) bool {
	_, ok := c.opts.Aliases[name]
	return ok
}

// Need is what a request requires of a model.
type Need struct {
	Chat       bool
	Tools      bool
	Vision     bool
	Embeddings bool
	// Tokens is an estimate of the context the request takes (prompt and the output it asks
	// for); 0 when unknown. A model whose known window is smaller cannot serve it.
	Tokens int
}

// NeedOf returns what r needs.
func NeedOf(r *llm.Request) Need {
	n := Need{Chat: true, Tools: len(r.Tools) > 0}
	size := 0 // system prompts are messages too
	for i := range r.Messages {
		for _, p := range r.Messages[i].Content {
			switch p.Type {
			case llm.PartImage:
				n.Vision = true
			case llm.PartText:
				size += len(p.Text)
			}
		}
		for _, tc := range r.Messages[i].ToolCalls {
			size += len(tc.Arguments)
		}
	}
	for _, t := range r.Tools {
		size += len(t.Parameters) + len(t.Description)
	}
	// About four bytes a token for English text; an estimate that errs low, so that a model is
	// passed over only when the request clearly cannot fit. max_tokens is a cap, not a need
	// (clients often send the largest value a model allows), so only a little of it counts.
	n.Tokens = size / 4
	if r.MaxTokens != nil {
		n.Tokens += min(*r.MaxTokens, minAnswerTokens)
	}
	return n
}

// minAnswerTokens is the room for an answer a model's window must leave beyond the prompt.
const minAnswerTokens = 256

// Special model names.
const (
	ModelAuto  = "auto"
	ModelLocal = "local"
	ModelCloud = "cloud"
)

// Resolve turns the model name a caller wrote into targets, in the order to try them.
func (c *Catalog) Resolve(name string, need Need) ([]Target, error) {
	s := c.snap.Load()
	if targets, ok := c.opts.Aliases[name]; ok {
		var out []Target
		var firstErr error
		for _, t := range targets {
			r, err := s.resolveOne(t, need)
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			out = append(out, r...)
		}
		if len(out) == 0 {
			return nil, firstErr
		}
		return out, nil
	}
	switch name {
	case ModelAuto, ModelLocal, ModelCloud:
		local, cloud, _ := c.Candidates(need)
		var out []Target
		if name != ModelCloud {
			out = append(out, local...)
		}
		if name != ModelLocal {
			out = append(out, cloud...)
		}
		if len(out) == 0 {
			return nil, NoCandidates(name)
		}
		return out, nil
	}
	return s.resolveOne(name, need)
}

// NoCandidates is the error for a special model name (auto, local, cloud) that no reachable
// model can serve.
func NoCandidates(name string) error {
	hint := "no reachable model can take this request; start a local engine (Ollama, llama.cpp, LM Studio, vLLM) or set a cloud key such as OPENAI_API_KEY, then check `sovereign doctor`"
	if name == ModelLocal {
		hint = "no reachable local model can take this request; start a local engine (Ollama, llama.cpp, LM Studio, vLLM) and check `sovereign models`"
	}
	return llm.ModelNotFound(name, hint)
}

// Rejected is a model passed over for a request, and why.
type Rejected struct {
	Target string `json:"target"`
	Why    string `json:"why"`
}

// Candidates returns, for a request that needs need, the local models that can serve it (the
// configured default model first when it is local, then every reachable local model) and the
// cloud models (the configured default model when it is in the cloud, then the default cloud
// model), and the models passed over with the reason.
func (c *Catalog) Candidates(need Need) (local, cloud []Target, rejected []Rejected) {
	s := c.snap.Load()
	add := func(t Target) {
		if why := unsuitable(t.Info, need); why != "" {
			rejected = append(rejected, Rejected{t.Name(), why})
			return
		}
		if t.Entry.Local {
			local = append(local, t)
		} else {
			cloud = append(cloud, t)
		}
	}
	named := func(name string) {
		if name == "" {
			return
		}
		ts, err := s.resolveOne(name, Need{})
		if err != nil {
			rejected = append(rejected, Rejected{name, "not available: " + llm.AsError(err).Message})
			return
		}
		for _, t := range ts {
			if !t.Entry.Reachable {
				rejected = append(rejected, Rejected{t.Name(), "not reachable"})
				continue
			}
			add(t)
		}
	}
	named(c.opts.DefaultModel)
	for _, e := range s.entries {
		if !e.Local {
			continue
		}
		for _, m := range e.Models {
			t := Target{Entry: e, Model: m.ID, Info: m}
			if !e.Reachable {
				rejected = append(rejected, Rejected{t.Name(), "not reachable"})
				continue
			}
			if need.Chat && m.Caps.Known && m.Caps.Embeddings && !m.Caps.Completion {
				continue // an embedding model is no candidate for chat at all
			}
			add(t)
		}
	}
	named(c.opts.DefaultCloud)
	return dedupe(local), dedupe(cloud), rejected
}

func dedupe(ts []Target) []Target {
	seen := map[string]bool{}
	out := ts[:0]
	for _, t := range ts {
		if !seen[t.Name()] {
			seen[t.Name()] = true
			out = append(out, t)
		}
	}
	return out
}

// unsuitable says why a model cannot serve need, "" when it can. Unknown capabilities are
// given the benefit of the doubt, except that embedding-only models never chat.
func unsuitable(m provider.ModelInfo, need Need) string {
	if need.Tokens > 0 && m.ContextLength > 0 && need.Tokens > m.ContextLength {
		return fmt.Sprintf("context window %d tokens, the request needs about %d", m.ContextLength, need.Tokens)
	}
	if !m.Caps.Known {
		if need.Chat && m.Caps.Embeddings && !m.Caps.Completion {
			return "embedding model"
		}
		return ""
	}
	switch {
	case need.Chat && !m.Caps.Completion:
		return "no chat completion"
	case need.Embeddings && !m.Caps.Embeddings:
		return "no embeddings"
	case need.Tools && !m.Caps.Tools:
		return "no tool calling"
	case need.Vision && !m.Caps.Vision:
		return "no image input"
	}
	return ""
}

func (s *snapshot) resolveOne(name string, need Need) ([]Target, error) {
	if i := strings.IndexByte(name, '/'); i > 0 {
		if e := s.byName[name[:i]]; e != nil {
			id := name[i+1:]
			if id == "" {
				return nil, llm.ModelNotFound(name, "name a model after the provider, as in \""+e.Name+"/MODEL\"; see GET /v1/models")
			}
			if m, ok := e.Model(id); ok {
				return []Target{{Entry: e, Model: m.ID, Info: m}}, checkCaps(name, m, need)
			}
			if e.OpenModels {
				return []Target{{Entry: e, Model: id}}, nil
			}
			return nil, llm.ModelNotFound(name, notServedHint(e, id))
		}
	}
	var found []Target
	for _, e := range s.entries {
		if m, ok := e.Model(name); ok {
			found = append(found, Target{Entry: e, Model: m.ID, Info: m})
		}
	}
	switch len(found) {
	case 1:
		return found, checkCaps(name, found[0].Info, need)
	case 0:
		return nil, llm.ModelNotFound(name, "see GET /v1/models or `sovereign models` for the models this gateway can reach, and name one as \"provider/model\"")
	}
	names := make([]string, len(found))
	for i, t := range found {
		names[i] = t.Name()
	}
	return nil, &llm.Error{Status: 400, Type: llm.TypeInvalidRequest, Code: llm.CodeModelAmbiguous, Param: "model",
		Message: fmt.Sprintf("model %q is served by several providers; name one of %s", name, strings.Join(names, ", "))}
}

func notServedHint(e *Entry, id string) string {
	switch {
	case !e.Reachable:
		return fmt.Sprintf("provider %q is not reachable right now (%s); check `sovereign doctor`", e.Name, e.LastError)
	case e.Kind == "ollama":
		return fmt.Sprintf("Ollama does not have it; run `ollama pull %s`, or see GET /v1/models", id)
	}
	return fmt.Sprintf("provider %q does not serve it; see GET /v1/models", e.Name)
}

func checkCaps(name string, m provider.ModelInfo, need Need) error {
	if !m.Caps.Known {
		return nil
	}
	switch {
	case need.Chat && !m.Caps.Completion && m.Caps.Embeddings:
		return llm.InvalidRequest(llm.CodeInvalidValue, "model", "model %q is an embedding model; use it with /v1/embeddings", name)
	case need.Embeddings && !m.Caps.Embeddings:
		return llm.InvalidRequest(llm.CodeInvalidValue, "model", "model %q does not produce embeddings; pick an embedding model from GET /v1/models", name)
	case need.Tools && !m.Caps.Tools:
		return llm.Unsupported(name, "tools", "the model does not support tool calling")
	case need.Vision && !m.Caps.Vision:
		return llm.Unsupported(name, "image content", "the model does not accept images")
	}
	return nil
}
