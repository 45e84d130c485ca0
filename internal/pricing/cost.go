package pricing

import (
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// DefaultReference is the cloud model counterfactual costs are priced at unless configured:
// a mainstream frontier model that most users would otherwise have sent the request to.
const DefaultReference = "openai/gpt-4o"

// Cost returns what usage u costs at price p, in US dollars, and false when p is not known.
//
// Token conventions, which every provider adapter must follow when it fills llm.Usage:
//   - InputTokens counts ALL input tokens, cached reads and cache writes included, as OpenAI's
//     prompt_tokens does. (Anthropic reports input_tokens without cache_read_input_tokens and
//     cache_creation_input_tokens; its adapter adds the three up.) Cost bills
//     InputTokens − CachedInputTokens − CacheWriteTokens at Input, CachedInputTokens at
//     CachedInput and CacheWriteTokens at CacheWrite, each falling back to Input when the
//     provider has no such rate. A negative remainder, which only a broken adapter produces,
//     counts as zero.
//   - OutputTokens counts ALL generated tokens, reasoning included, as OpenAI's
//     completion_tokens includes reasoning_tokens. ReasoningTokens is a breakdown for reports
//     and is not billed again. (Gemini reports thoughtsTokenCount apart from
//     candidatesTokenCount; its adapter must fold thoughts into OutputTokens.)
//   - When p has a long-context tier and InputTokens exceeds its threshold, the whole request
//     is billed at the tier's rates.
func Cost(p Price, u llm.Usage) (usd float64, ok bool) {
	if !p.Known() {
		return 0, false
	}
	in, out := *p.Input, *p.Output
	cachedRate, writeRate := p.CachedInput, p.CacheWrite
	if lc := p.LongContext; lc != nil && u.InputTokens > lc.Above {
		in, out = orRate(lc.Input, in), orRate(lc.Output, out)
		if lc.CachedInput != nil {
			cachedRate = lc.CachedInput
		}
		if lc.CacheWrite != nil {
			writeRate = lc.CacheWrite
		}
	}
	cached, write := orRate(cachedRate, in), orRate(writeRate, in)
	cachedTokens := max(u.CachedInputTokens, 0)
	writeTokens := max(u.CacheWriteTokens, 0)
	uncached := max(u.InputTokens-cachedTokens-writeTokens, 0)
	output := max(u.OutputTokens, 0)
	usd = (float64(uncached)*in + float64(cachedTokens)*cached + float64(writeTokens)*write + float64(output)*out) / 1e6
	return usd, true
}

// Counterfactual returns what usage u would have cost on the reference model, named
// "provider/model" ("" means DefaultReference), and false when that model's price is unknown.
//
// The same token counts are billed at the reference's prices, the way the reference provider
// bills them: tokens read from a cache here are billed at the reference's cached rate, and
// cache writes at its write rate (each its input rate where it has none). This is the
// conservative reading. Every major provider caches repeated prompt prefixes, so a prefix that
// hit a cache here would most likely have hit the reference's cache too; billing it at the full
// input rate would credit the gateway with savings that are really the cache's. The token
// counts come from the model that answered, whose tokenizer may differ from the reference's by
// 10–30%: the figure is an estimate of the same work, not a quote.
func Counterfactual(t *Table, reference string, u llm.Usage) (float64, bool) {
	p, ok := t.lookupReference(reference)
	if !ok {
		return 0, false
	}
	return Cost(p, u)
}

func (t *Table) lookupReference(reference string) (Price, bool) {
	if strings.TrimSpace(reference) == "" {
		reference = DefaultReference
	}
	prov, model, ok := strings.Cut(reference, "/")
	if !ok {
		prov, model = "", reference
	}
	return t.Lookup(prov, model, false)
}

// Bill is the money side of one request, in US dollars. A figure whose Known flag is false
// could not be priced and must be shown as unknown, not as zero.
type Bill struct {
	Cost      float64
	CostKnown bool
	// Counterfactual is what the reference cloud model would have charged for the same tokens.
	Counterfactual      float64
	CounterfactualKnown bool
	// Saved is Counterfactual − Cost, known when both are. It is negative when the request went
	// to a model dearer than the reference.
	Saved      float64
	SavedKnown bool
}

// Bill prices usage u of model served by provider (local as in Lookup) and its counterfactual
// on reference ("" means DefaultReference).
func (t *Table) Bill(provider, model string, local bool, reference string, u llm.Usage) Bill {
	var b Bill
	if p, ok := t.Lookup(provider, model, local); ok {
		b.Cost, b.CostKnown = Cost(p, u)
	}
	b.Counterfactual, b.CounterfactualKnown = Counterfactual(t, reference, u)
	if b.CostKnown && b.CounterfactualKnown {
		b.Saved, b.SavedKnown = b.Counterfactual-b.Cost, true
	}
	return b
}

func orRate(r *float64, fallback float64) float64 {
	if r != nil {
		return *r
	}
	return fallback
}
