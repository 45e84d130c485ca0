// Package pricing knows what a model's tokens cost and what the same tokens would have cost on a
// reference cloud model.
//
// The gateway ships a dated table of the cloud vendors' list prices (prices.yaml, embedded; see
// Default), which configuration can correct or extend (Table.With). Models on the user's own
// hardware cost a configured energy and hardware rate, zero unless set (Table.WithLocalRate).
//
// Three rules keep the figures honest where gateways commonly get them wrong:
//   - Input tokens read from a prompt cache are billed at the provider's cached rate, and tokens
//     written to it at its write rate (Anthropic: 1.25× input), not all at the input rate.
//   - Reasoning tokens are output tokens, billed once at the output rate (see Cost).
//   - A model the table does not know has an unknown cost, never a cost of zero. Only a local
//     model's zero is a known zero.
//
// Counterfactual prices a request's tokens at a reference cloud model; the saving is that minus
// the actual cost (see Bill).
//
//	t := pricing.Default().WithLocalRate(0.02)
//	p, ok := t.Lookup("openrouter", "anthropic/claude-sonnet-4.5", false)
//	usd, known := pricing.Cost(p, usage) // known is false when ok was false
//	b := t.Bill("ollama", "llama3.3:70b", true, "", usage) // b.Saved: what the cloud would have charged
package pricing

import (
	"bytes"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"
)

// Price is what one model charges, in US dollars per million tokens. A nil rate is one the
// provider does not have (no cache discount, no cache-write surcharge) or, for Input and Output,
// one that is not known. Lookup returns a copy: changing it does not change the table.
type Price struct {
	Input  *float64
	Output *float64
	// CachedInput is the rate for input tokens read from the provider's prompt cache; nil means
	// they cost Input.
	CachedInput *float64
	// CacheWrite is the rate for input tokens written to the prompt cache (Anthropic: 1.25× Input
	// for the default 5-minute cache); nil means they cost Input.
	CacheWrite *float64
	// CacheWrite1h is Anthropic's rate for 1-hour cache writes (2× Input). Cost does not use it
	// yet: llm.Usage does not tell 5-minute writes from 1-hour ones, so all writes are billed at
	// CacheWrite, which is right for the 5-minute cache Sovereign's prompt caching uses.
	CacheWrite1h *float64
	// LongContext, when set, is a dearer tier for long prompts (Gemini 2.5 Pro, Claude Sonnet 4
	// with 1M context, Grok 4): a request whose input exceeds it is billed wholly at its rates.
	LongContext *LongContext
	// Source says where the price came from, for display.
	Source string
}

// LongContext is a price tier for long prompts.
type LongContext struct {
	// Above is the input-token count (cached and cache-write tokens included) above which the
	// whole request is billed at this tier.
	Above int
	// Rates of the tier; a nil rate keeps the base Price's.
	Input, Output, CachedInput, CacheWrite *float64
}

// Known reports whether p has the input and output rates that Cost needs.
func (p Price) Known() bool { return p.Input != nil && p.Output != nil }

func (p Price) clone() Price {
	q := p
	q.Input, q.Output = ptr(p.Input), ptr(p.Output)
	q.CachedInput, q.CacheWrite, q.CacheWrite1h = ptr(p.CachedInput), ptr(p.CacheWrite), ptr(p.CacheWrite1h)
	if lc := p.LongContext; lc != nil {
		q.LongContext = &LongContext{Above: lc.Above, Input: ptr(lc.Input), Output: ptr(lc.Output), CachedInput: ptr(lc.CachedInput), CacheWrite: ptr(lc.CacheWrite)}
	}
	return q
}

func ptr(f *float64) *float64 {
	if f == nil {
		return nil
	}
	v := *f
	return &v
}

// Table is a set of prices. A Table is immutable: With and WithLocalRate return new tables, so
// one may be shared by any number of goroutines.
type Table struct {
	// Date is the day the table's list prices were checked, YYYY-MM-DD.
	Date string

	entries   map[string]*entry   // "provider/model", aliases included
	byModel   map[string][]string // model id → keys, for lookups without a known provider
	providers map[string]bool
	rows      []string // keys of the primary entries, in file order then overrides, for FormatTable
	localRate float64
	memo      *lookupMemo // Lookup's answers; a table does not change once built
}

// lookupMemo remembers Lookup's answers: every request is priced twice (its model and the
// reference), and the search through an id's normalised forms costs more than the rest of the
// bill. It stops growing at maxMemo entries, so that arbitrary model names cannot fill memory.
type lookupMemo struct {
	m sync.Map // lookupKey → memoEntry
	n atomic.Int64
}

const maxMemo = 4096

type lookupKey struct {
	provider, model string
	local           bool
}

type memoEntry struct {
	price Price
	ok    bool
}

type entry struct {
	provider, model string
	price           Price
	// sameAs is the key of the entry whose price this one resells.
	sameAs   string
	note     string
	override bool
}

//go:embed prices.yaml
var pricesYAML []byte

// defaultTable holds the parsed shipped table: a cache of immutable data, not state.
var defaultTable = sync.OnceValue(func() *Table {
	t, err := Parse(pricesYAML)
	if err != nil {
		panic("pricing: embedded prices.yaml: " + err.Error())
	}
	return t
})

// Default returns the shipped table, parsed from the embedded prices.yaml on first use. It
// panics if the embedded file is broken, which the package's tests rule out.
func Default() *Table { return defaultTable() }

type fileTable struct {
	Date    string            `yaml:"date"`
	Sources map[string]string `yaml:"sources"`
	Prices  []fileEntry       `yaml:"prices"`
}

type fileEntry struct {
	Provider     string    `yaml:"provider"`
	Model        string    `yaml:"model"`
	Aliases      []string  `yaml:"aliases"`
	Input        *float64  `yaml:"input"`
	Output       *float64  `yaml:"output"`
	CachedInput  *float64  `yaml:"cached_input"`
	CacheWrite   *float64  `yaml:"cache_write"`
	CacheWrite1h *float64  `yaml:"cache_write_1h"`
	LongContext  *fileLong `yaml:"long_context"`
	SameAs       string    `yaml:"same_as"`
	Note         string    `yaml:"note"`
}

type fileLong struct {
	Above       int      `yaml:"above"`
	Input       *float64 `yaml:"input"`
	Output      *float64 `yaml:"output"`
	CachedInput *float64 `yaml:"cached_input"`
	CacheWrite  *float64 `yaml:"cache_write"`
}

// Parse reads a price table in the format of the shipped prices.yaml. Unknown fields, entries
// without input and output rates, negative rates, duplicate ids and dangling same_as
// references are errors.
func Parse(data []byte) (*Table, error) {
	var f fileTable
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("price table: %w", err)
	}
	if _, err := time.Parse(time.DateOnly, f.Date); err != nil {
		return nil, fmt.Errorf("price table: date %q: want YYYY-MM-DD", f.Date)
	}
	t := &Table{Date: f.Date, entries: map[string]*entry{}, byModel: map[string][]string{}, providers: map[string]bool{}, memo: &lookupMemo{}}
	for i, fe := range f.Prices {
		e, err := fe.entry()
		if err != nil {
			return nil, fmt.Errorf("price table: entry %d (%s/%s): %w", i+1, fe.Provider, fe.Model, err)
		}
		if e.sameAs == "" {
			e.price.Source = fmt.Sprintf("%s list price, checked %s", e.provider, f.Date)
		}
		key := e.provider + "/" + e.model
		if err := t.add(key, e); err != nil {
			return nil, fmt.Errorf("price table: %w", err)
		}
		t.rows = append(t.rows, key)
		for _, a := range fe.Aliases {
			if err := t.add(e.provider+"/"+strings.ToLower(a), e); err != nil {
				return nil, fmt.Errorf("price table: %w", err)
			}
		}
	}
	for _, key := range t.rows {
		e := t.entries[key]
		if e.sameAs == "" {
			continue
		}
		target, ok := t.entries[e.sameAs]
		if !ok {
			return nil, fmt.Errorf("price table: %s: same_as %q is not in the table", key, e.sameAs)
		}
		if target.sameAs != "" {
			return nil, fmt.Errorf("price table: %s: same_as %q is itself same_as another entry", key, e.sameAs)
		}
	}
	return t, nil
}

func (fe *fileEntry) entry() (*entry, error) {
	e := &entry{
		provider: canonicalProvider(fe.Provider),
		model:    strings.ToLower(strings.TrimSpace(fe.Model)),
		note:     fe.Note,
	}
	if e.provider == "" || e.model == "" {
		return nil, fmt.Errorf("provider and model are required")
	}
	if fe.SameAs != "" {
		if fe.Input != nil || fe.Output != nil || fe.CachedInput != nil || fe.CacheWrite != nil || fe.CacheWrite1h != nil || fe.LongContext != nil {
			return nil, fmt.Errorf("same_as and rates are exclusive")
		}
		p, m, ok := strings.Cut(strings.ToLower(fe.SameAs), "/")
		if !ok {
			return nil, fmt.Errorf("same_as %q: want provider/model", fe.SameAs)
		}
		e.sameAs = canonicalProvider(p) + "/" + m
		return e, nil
	}
	if fe.Input == nil || fe.Output == nil {
		return nil, fmt.Errorf("input and output rates are required")
	}
	e.price = Price{Input: fe.Input, Output: fe.Output, CachedInput: fe.CachedInput, CacheWrite: fe.CacheWrite, CacheWrite1h: fe.CacheWrite1h}
	if lc := fe.LongContext; lc != nil {
		if lc.Above <= 0 {
			return nil, fmt.Errorf("long_context.above must be positive")
		}
		e.price.LongContext = &LongContext{Above: lc.Above, Input: lc.Input, Output: lc.Output, CachedInput: lc.CachedInput, CacheWrite: lc.CacheWrite}
	}
	if err := checkRates(e.price); err != nil {
		return nil, err
	}
	return e, nil
}

func checkRates(p Price) error {
	rates := []*float64{p.Input, p.Output, p.CachedInput, p.CacheWrite, p.CacheWrite1h}
	if lc := p.LongContext; lc != nil {
		rates = append(rates, lc.Input, lc.Output, lc.CachedInput, lc.CacheWrite)
	}
	for _, r := range rates {
		if r != nil && !(*r >= 0) { // also rejects NaN
			return fmt.Errorf("rate %v is negative", *r)
		}
	}
	return nil
}

func (t *Table) add(key string, e *entry) error {
	if _, dup := t.entries[key]; dup {
		return fmt.Errorf("%s is listed twice", key)
	}
	t.entries[key] = e
	t.providers[e.provider] = true
	_, model, _ := strings.Cut(key, "/")
	t.byModel[model] = append(t.byModel[model], key)
	return nil
}

// clone returns a copy of t whose maps may be changed.
func (t *Table) clone() *Table {
	c := &Table{
		Date:      t.Date,
		entries:   make(map[string]*entry, len(t.entries)),
		byModel:   make(map[string][]string, len(t.byModel)),
		providers: make(map[string]bool, len(t.providers)),
		rows:      append([]string(nil), t.rows...),
		localRate: t.localRate,
		memo:      &lookupMemo{},
	}
	for k, v := range t.entries {
		c.entries[k] = v
	}
	for k, v := range t.byModel {
		c.byModel[k] = append([]string(nil), v...)
	}
	for k, v := range t.providers {
		c.providers[k] = v
	}
	return c
}

// ValidOverride reports whether With accepts an override: its key must be "provider/model" and
// its rates must not be negative. Configuration should check overrides with it, so that a typo
// fails loudly instead of being skipped.
func ValidOverride(key string, p Price) error {
	prov, model, ok := strings.Cut(strings.TrimSpace(key), "/")
	if !ok || strings.TrimSpace(prov) == "" || strings.TrimSpace(model) == "" {
		return fmt.Errorf("price override %q: want provider/model", key)
	}
	if err := checkRates(p); err != nil {
		return fmt.Errorf("price override %q: %w", key, err)
	}
	if lc := p.LongContext; lc != nil && lc.Above <= 0 {
		return fmt.Errorf("price override %q: long-context threshold must be positive", key)
	}
	return nil
}

// With returns a copy of t with prices added or corrected. Keys are "provider/model" as in the
// table ("openai/gpt-4o", "groq/openai/gpt-oss-120b", or "ollama/llama3.3:70b" for a local model
// with its own rate). An override for a model the table has keeps the table's rates for the
// fields it leaves nil; for a new model it needs Input and Output, or its cost stays unknown.
// Overridden prices report the Source "configured override". Overrides that ValidOverride
// rejects are skipped.
func (t *Table) With(overrides map[string]Price) *Table {
	if len(overrides) == 0 {
		return t
	}
	c := t.clone()
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	sort.Strings(keys) // new rows appear in a stable order
	for _, k := range keys {
		p := overrides[k]
		if ValidOverride(k, p) != nil {
			continue
		}
		prov, model, _ := strings.Cut(strings.ToLower(strings.TrimSpace(k)), "/")
		prov, model = canonicalProvider(prov), strings.TrimSpace(model)
		key := prov + "/" + model
		base, _ := c.resolveKey(key)
		merged := mergePrice(base, p)
		merged.Source = "configured override"
		e := &entry{provider: prov, model: model, price: merged, override: true}
		if old, exists := c.entries[key]; exists {
			e.note = old.note
			c.entries[key] = e
		} else {
			_ = c.add(key, e) // cannot fail: the key is new
		}
		if !contains(c.rows, key) {
			c.rows = append(c.rows, key)
		}
	}
	return c
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func mergePrice(base, o Price) Price {
	pick := func(o, b *float64) *float64 {
		if o != nil {
			return ptr(o)
		}
		return ptr(b)
	}
	m := Price{
		Input:        pick(o.Input, base.Input),
		Output:       pick(o.Output, base.Output),
		CachedInput:  pick(o.CachedInput, base.CachedInput),
		CacheWrite:   pick(o.CacheWrite, base.CacheWrite),
		CacheWrite1h: pick(o.CacheWrite1h, base.CacheWrite1h),
		LongContext:  base.LongContext,
	}
	if o.LongContext != nil {
		m.LongContext = o.LongContext
	}
	if m.LongContext != nil {
		lc := *m.LongContext
		m.LongContext = &lc
	}
	return m
}

// WithLocalRate returns a copy of t in which models on the user's own hardware cost usdPer1M
// dollars per million tokens, input and output alike: the energy and wear the user assigns to
// local inference. The default is 0, a known zero.
func (t *Table) WithLocalRate(usdPer1M float64) *Table {
	c := t.clone()
	c.localRate = max(usdPer1M, 0)
	return c
}

// LocalRate returns the rate for local models, in dollars per million tokens.
func (t *Table) LocalRate() float64 { return t.localRate }

// Lookup returns the price of model as served by provider, and whether it is known.
//
// For a local provider (local true) the answer is always known: a configured override for that
// provider and model, else the local rate. For a cloud provider, Lookup tries in order:
//   - the model id as given, then without date and version suffixes ("gpt-4o-mini-2024-07-18",
//     "claude-3-5-haiku-20241022", "mistral-large-2411", "-latest", "-preview", "-001",
//     ":thinking", "@20241022") and with dots in version numbers as hyphens
//     ("claude-sonnet-4.5" is "claude-sonnet-4-5"); a model id that starts with the provider's
//     own name ("openai/gpt-4o" from provider "openai") is read without it;
//   - for OpenRouter, or a provider the table does not know, a "vendor/model" id at the
//     vendor's price ("openai/gpt-4o", "google/gemini-2.5-flash", "x-ai/grok-4"); an
//     OpenRouter ":free" variant costs nothing;
//   - for a provider the table does not know (or ""), the model id alone when exactly one
//     provider in the table has it ("gpt-4o" is OpenAI's).
//
// Provider names are case-insensitive and a few aliases are understood: "google" for
// "gemini", "mistralai" for "mistral", "x-ai" and "grok" for "xai".
func (t *Table) Lookup(provider, model string, local bool) (Price, bool) {
	if t.memo == nil {
		return t.lookup(provider, model, local)
	}
	k := lookupKey{provider, model, local}
	if e, ok := t.memo.m.Load(k); ok {
		e := e.(memoEntry)
		return e.price.clone(), e.ok
	}
	p, ok := t.lookup(provider, model, local)
	if t.memo.n.Load() < maxMemo {
		if _, loaded := t.memo.m.LoadOrStore(k, memoEntry{p.clone(), ok}); !loaded {
			t.memo.n.Add(1)
		}
	}
	return p, ok
}

func (t *Table) lookup(provider, model string, local bool) (Price, bool) {
	prov := canonicalProvider(provider)
	m := strings.ToLower(strings.TrimSpace(model))
	if prov != "" {
		m = strings.TrimPrefix(m, prov+"/")
	}
	if local {
		if p, ok := t.find(prov, m, true); ok {
			return p, true
		}
		rate := t.localRate
		return Price{Input: &rate, Output: ptr(&rate), Source: "local rate"}, true
	}
	if m == "" {
		return Price{}, false
	}
	if prov == "openrouter" && strings.HasSuffix(m, ":free") {
		return Price{Input: new(float64), Output: new(float64), Source: "openrouter free variant"}, true
	}
	if p, ok := t.find(prov, m, false); ok {
		return p, true
	}
	known := t.providers[prov]
	if vendor, rest, ok := strings.Cut(m, "/"); ok && (prov == "openrouter" || !known) {
		if v := canonicalProvider(vendor); v != prov && t.providers[v] {
			if p, ok := t.find(v, rest, false); ok {
				if prov != "" {
					p.Source += " (via " + prov + ")"
				}
				return p, true
			}
		}
	}
	if !known {
		return t.findUnique(m)
	}
	return Price{}, false
}

// find looks model up under provider, trying the id's normalised forms in order.
func (t *Table) find(provider, model string, overridesOnly bool) (Price, bool) {
	for _, cand := range candidates(model) {
		e, ok := t.entries[provider+"/"+cand]
		if !ok || (overridesOnly && !e.override) {
			continue
		}
		return t.resolve(e)
	}
	return Price{}, false
}

// findUnique looks model up across providers; it succeeds only when one provider has it.
func (t *Table) findUnique(model string) (Price, bool) {
	for _, cand := range candidates(model) {
		switch keys := t.byModel[cand]; len(keys) {
		case 0:
			continue
		case 1:
			return t.resolve(t.entries[keys[0]])
		default:
			return Price{}, false // ambiguous: several providers, perhaps at different prices
		}
	}
	return Price{}, false
}

func (t *Table) resolveKey(key string) (Price, bool) {
	e, ok := t.entries[key]
	if !ok {
		return Price{}, false
	}
	return t.resolve(e)
}

func (t *Table) resolve(e *entry) (Price, bool) {
	if e.sameAs == "" {
		return e.price.clone(), true
	}
	target, ok := t.entries[e.sameAs]
	if !ok || target.sameAs != "" {
		return Price{}, false
	}
	p := target.price.clone()
	p.Source += " (via " + e.provider + ")"
	return p, true
}

// providerAliases maps other spellings of a provider to the table's name.
var providerAliases = map[string]string{
	"google":           "gemini",
	"google-ai-studio": "gemini",
	"mistralai":        "mistral",
	"x-ai":             "xai",
	"grok":             "xai",
}

func canonicalProvider(p string) string {
	p = strings.ToLower(strings.TrimSpace(p))
	if a, ok := providerAliases[p]; ok {
		return a
	}
	return p
}

// candidates returns the forms of a model id to try, most specific first: the id, the id with
// its date and version suffixes removed one at a time, and each of those with dots between
// digits turned into hyphens.
func candidates(model string) []string {
	out := make([]string, 0, 8)
	addForm := func(s string) {
		if s == "" || contains(out, s) {
			return
		}
		out = append(out, s)
		if d := dotsToHyphens(s); d != s && !contains(out, d) {
			out = append(out, d)
		}
	}
	addForm(model)
	m := strings.TrimPrefix(model, "models/") // Gemini's REST names
	addForm(m)
	if i := strings.IndexAny(m, ":@"); i > 0 { // OpenRouter ":thinking", Vertex "@20241022"
		m = m[:i]
		addForm(m)
	}
	for {
		s, ok := stripSuffix(m)
		if !ok {
			break
		}
		m = s
		addForm(m)
	}
	return out
}

// stripSuffix removes one trailing version component: "-latest", "-preview", "-exp", or a
// run of digits that is a date or snapshot number: 8 digits (20241022), 4 (2411, 0125, 2024),
// 3 (001), or 2 when a date component or "-preview"/"-exp" precedes it (2024-07-18, preview-05-20).
func stripSuffix(m string) (string, bool) {
	i := strings.LastIndexByte(m, '-')
	if i <= 0 {
		return m, false
	}
	head, tail := m[:i], m[i+1:]
	switch tail {
	case "latest", "preview", "exp":
		return head, true
	}
	if !allDigits(tail) {
		return m, false
	}
	switch len(tail) {
	case 3, 4, 8:
		return head, true
	case 2:
		j := strings.LastIndexByte(head, '-')
		prev := head[j+1:]
		if allDigits(prev) || prev == "preview" || prev == "exp" {
			return head, true
		}
	}
	return m, false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// dotsToHyphens turns a dot between two digits into a hyphen: "claude-3.5-haiku" becomes
// "claude-3-5-haiku", as Anthropic spells its ids and OpenRouter does not.
func dotsToHyphens(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	b := []byte(s)
	for i := 1; i+1 < len(b); i++ {
		if b[i] == '.' && isDigit(b[i-1]) && isDigit(b[i+1]) {
			b[i] = '-'
		}
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
