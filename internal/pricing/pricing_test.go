package pricing

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

func f(v float64) *float64 { return &v }

// approx compares dollar amounts computed in floating point with hand-computed ones.
func approx(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestEmbeddedTable(t *testing.T) {
	tab := Default()
	if _, err := time.Parse(time.DateOnly, tab.Date); err != nil {
		t.Fatalf("date %q: %v", tab.Date, err)
	}
	if len(tab.rows) < 50 {
		t.Fatalf("only %d rows", len(tab.rows))
	}
	for _, key := range tab.rows {
		p, ok := tab.resolveKey(key)
		if !ok || p.Input == nil || p.Output == nil {
			t.Errorf("%s: no input and output price", key)
		}
		if !strings.Contains(p.Source, tab.Date) {
			t.Errorf("%s: source %q does not name the table's date", key, p.Source)
		}
	}
	if Default() != tab {
		t.Error("Default parses the table more than once")
	}
}

// TestCoverage lists the models the table promises to know.
func TestCoverage(t *testing.T) {
	want := map[string][]string{
		"openai": {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o3", "o4-mini", "o1",
			"gpt-5", "gpt-5-mini", "gpt-5-nano", "text-embedding-3-small", "text-embedding-3-large"},
		"anthropic": {"claude-3-5-haiku", "claude-3-7-sonnet", "claude-sonnet-4", "claude-opus-4", "claude-opus-4-1",
			"claude-sonnet-4-5", "claude-haiku-4-5"},
		"gemini":   {"gemini-2.0-flash", "gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"},
		"mistral":  {"mistral-large", "mistral-small", "codestral"},
		"deepseek": {"deepseek-chat", "deepseek-reasoner"},
		"groq":     {"llama-3.3-70b-versatile", "llama-3.1-8b-instant"},
		"openrouter": {"openai/gpt-4o", "openai/gpt-4o-mini", "openai/gpt-5", "anthropic/claude-sonnet-4.5",
			"anthropic/claude-3.7-sonnet", "google/gemini-2.5-flash", "google/gemini-2.5-pro", "x-ai/grok-code-fast-1"},
	}
	tab := Default()
	for prov, models := range want {
		for _, m := range models {
			if _, ok := tab.entries[prov+"/"+m]; !ok {
				t.Errorf("%s/%s is not in the table", prov, m)
			}
		}
	}
	// Anthropic's cache writes are 1.25× input (5-minute) and 2× input (1-hour), reads 0.1×;
	// Claude 3 Haiku alone was priced before the rule (0.30 write, 0.03 read).
	for _, key := range tab.rows {
		e := tab.entries[key]
		if e.provider != "anthropic" || key == "anthropic/claude-3-haiku" {
			continue
		}
		p := e.price
		if p.CacheWrite == nil || !approx(*p.CacheWrite, 1.25**p.Input) {
			t.Errorf("%s: cache write %v, want 1.25 × %v", key, deref(p.CacheWrite), *p.Input)
		}
		if p.CacheWrite1h == nil || !approx(*p.CacheWrite1h, 2**p.Input) {
			t.Errorf("%s: 1h cache write %v, want 2 × %v", key, deref(p.CacheWrite1h), *p.Input)
		}
		if p.CachedInput == nil || !approx(*p.CachedInput, 0.1**p.Input) {
			t.Errorf("%s: cached input %v, want 0.1 × %v", key, deref(p.CachedInput), *p.Input)
		}
	}
}

func TestLookup(t *testing.T) {
	tab := Default()
	tests := []struct {
		provider, model string
		local           bool
		// in and out are the expected rates; ok false means unknown.
		in, out float64
		ok      bool
		source  string // a substring of Source, when checked
	}{
		{"openai", "gpt-4o", false, 2.50, 10, true, "openai list price, checked " + tab.Date},
		{"OpenAI", "GPT-4o", false, 2.50, 10, true, ""},
		{"openai", "openai/gpt-4o", false, 2.50, 10, true, ""},
		{"openai", "gpt-4o-2024-08-06", false, 2.50, 10, true, ""},
		{"openai", "gpt-4o-2024-05-13", false, 5, 15, true, ""}, // its own, older price
		{"openai", "gpt-4o-mini-2024-07-18", false, 0.15, 0.60, true, ""},
		{"openai", "o1-preview-2024-09-12", false, 15, 60, true, ""},
		{"openai", "gpt-4-1106-preview", false, 10, 30, true, ""}, // GPT-4 Turbo, not GPT-4
		{"openai", "gpt-4-0613", false, 30, 60, true, ""},
		{"openai", "gpt-5-chat-latest", false, 1.25, 10, true, ""},
		{"openai", "o3-2025-04-16", false, 2, 8, true, ""},
		{"openai", "ft:gpt-4o-mini:acme::abc123", false, 0, 0, false, ""}, // fine-tunes cost more
		{"openai", "gpt-4o-mini-tts", false, 0, 0, false, ""},
		{"openai", "gpt-9", false, 0, 0, false, ""},
		{"openai", "claude-sonnet-4-5", false, 0, 0, false, ""}, // a known provider does not borrow prices
		{"openai", "", false, 0, 0, false, ""},
		{"anthropic", "claude-3-5-haiku-20241022", false, 0.80, 4, true, ""},
		{"anthropic", "claude-3-5-haiku-latest", false, 0.80, 4, true, ""},
		{"anthropic", "claude-sonnet-4-0", false, 3, 15, true, ""},
		{"anthropic", "claude-sonnet-4-20250514", false, 3, 15, true, ""},
		{"anthropic", "claude-opus-4-1-20250805", false, 15, 75, true, ""},
		{"anthropic", "claude-haiku-4-5-20251001", false, 1, 5, true, ""},
		{"anthropic", "claude-sonnet-4-5@20250929", false, 3, 15, true, ""},
		{"gemini", "models/gemini-2.5-flash", false, 0.30, 2.50, true, ""},
		{"gemini", "gemini-2.5-flash-preview-09-2025", false, 0.30, 2.50, true, ""},
		{"gemini", "gemini-2.5-flash-lite-preview-06-17", false, 0.10, 0.40, true, ""},
		{"gemini", "gemini-2.0-flash-001", false, 0.10, 0.40, true, ""},
		{"gemini", "gemini-3-pro-preview", false, 2, 12, true, ""},
		{"google", "gemini-2.5-pro", false, 1.25, 10, true, ""},
		{"mistral", "mistral-large-latest", false, 2, 6, true, ""},
		{"mistral", "mistral-large-2411", false, 2, 6, true, ""},
		{"mistralai", "mistral-small-2506", false, 0.10, 0.30, true, ""},
		{"mistral", "codestral-2501", false, 0.30, 0.90, true, ""},
		{"deepseek", "deepseek-reasoner", false, 0.28, 0.42, true, ""},
		{"groq", "llama-3.3-70b-versatile", false, 0.59, 0.79, true, ""},
		{"groq", "openai/gpt-oss-120b", false, 0.15, 0.60, true, "groq"}, // Groq's price, not OpenRouter's
		{"groq", "moonshotai/kimi-k2-instruct-0905", false, 1, 3, true, ""},
		{"xai", "grok-4-0709", false, 3, 15, true, ""},
		// OpenRouter: listed entries, the vendor's price for others, free variants.
		{"openrouter", "openai/gpt-4o", false, 2.50, 10, true, "openai list price"},
		{"openrouter", "anthropic/claude-sonnet-4.5", false, 3, 15, true, "(via openrouter)"},
		{"openrouter", "anthropic/claude-3.7-sonnet:thinking", false, 3, 15, true, ""},
		{"openrouter", "google/gemini-2.5-flash-lite-preview-06-17", false, 0.10, 0.40, true, ""},
		{"openrouter", "openai/o3", false, 2, 8, true, "(via openrouter)"},
		{"openrouter", "openai/gpt-4.1-nano", false, 0.10, 0.40, true, ""},
		{"openrouter", "anthropic/claude-opus-4.5", false, 5, 25, true, ""},
		{"openrouter", "x-ai/grok-3-mini", false, 0.30, 0.50, true, ""},
		{"openrouter", "mistralai/mistral-medium-3.1", false, 0, 0, false, ""},
		{"openrouter", "deepseek/deepseek-chat", false, 0.28, 0.42, true, "deepseek"},
		{"openrouter", "qwen/qwen3-coder", false, 0.22, 0.95, true, ""},
		{"openrouter", "meta-llama/llama-3.2-3b-instruct:free", false, 0, 0, true, "free"},
		{"openrouter", "openrouter/openai/gpt-4o", false, 2.50, 10, true, ""},
		{"openrouter", "mistralai/mistral-small-3.2-24b-instruct", false, 0, 0, false, ""},
		// Providers the table does not know: by vendor prefix, or by a model id only one has.
		{"", "gpt-4o", false, 2.50, 10, true, ""},
		{"work-openai", "gpt-4o-mini", false, 0.15, 0.60, true, ""},
		{"", "claude-haiku-4-5", false, 1, 5, true, ""},
		{"my-proxy", "deepseek-chat", false, 0.28, 0.42, true, ""},
		{"", "openai/gpt-4.1", false, 2, 8, true, ""},
		{"", "google/gemini-2.5-pro", false, 1.25, 10, true, ""},
		{"", "openai/gpt-oss-120b", false, 0, 0, false, ""}, // Groq and OpenRouter price it differently
		{"", "llama3.3", false, 0, 0, false, ""},
		// Local models: the local rate, a known zero by default, whatever the id.
		{"ollama", "llama3.3:70b", true, 0, 0, true, "local rate"},
		{"llamacpp", "", true, 0, 0, true, "local rate"},
		{"openai", "gpt-4o", true, 0, 0, true, "local rate"},
	}
	for _, tt := range tests {
		t.Run(tt.provider+"/"+tt.model, func(t *testing.T) {
			p, ok := tab.Lookup(tt.provider, tt.model, tt.local)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (price %+v)", ok, tt.ok, p)
			}
			if !ok {
				if p.Known() {
					t.Errorf("unknown model has rates: %+v", p)
				}
				return
			}
			if !p.Known() || !approx(*p.Input, tt.in) || !approx(*p.Output, tt.out) {
				t.Errorf("rates %v/%v, want %v/%v", deref(p.Input), deref(p.Output), tt.in, tt.out)
			}
			if !strings.Contains(p.Source, tt.source) {
				t.Errorf("source %q, want it to contain %q", p.Source, tt.source)
			}
		})
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestLookupReturnsACopy(t *testing.T) {
	tab := Default()
	p, _ := tab.Lookup("openai", "gpt-4o", false)
	*p.Input = 1000
	q, _ := tab.Lookup("openai", "gpt-4o", false)
	if *q.Input != 2.50 {
		t.Fatalf("changing a looked-up price changed the table: %v", *q.Input)
	}
}

func TestCost(t *testing.T) {
	tab := Default()
	mtok := 1_000_000
	tests := []struct {
		name            string
		provider, model string
		local           bool
		u               llm.Usage
		want            float64
		ok              bool
	}{
		{"plain", "openai", "gpt-4o", false, llm.Usage{InputTokens: mtok, OutputTokens: mtok}, 2.50 + 10, true},
		{"zero usage", "openai", "gpt-4o", false, llm.Usage{}, 0, true},
		// 2,000 uncached × 2.50 + 8,000 cached × 1.25 + 500 out × 10 = 19,000 µ$ … per 1M.
		{"cached input", "openai", "gpt-4o", false, llm.Usage{InputTokens: 10_000, CachedInputTokens: 8_000, OutputTokens: 500}, (2_000*2.50 + 8_000*1.25 + 500*10) / 1e6, true},
		{"cached input, gpt-5", "openai", "gpt-5", false, llm.Usage{InputTokens: 10_000, CachedInputTokens: 8_000, OutputTokens: 500}, (2_000*1.25 + 8_000*0.125 + 500*10) / 1e6, true},
		// Anthropic: 200 uncached + 3,000 read + 5,000 written = 8,200 input tokens.
		{"anthropic cache read and write", "anthropic", "claude-sonnet-4-5-20250929", false,
			llm.Usage{InputTokens: 8_200, CachedInputTokens: 3_000, CacheWriteTokens: 5_000, OutputTokens: 400},
			(200*3 + 3_000*0.30 + 5_000*3.75 + 400*15) / 1e6, true},
		{"anthropic haiku 3.5 cache write", "anthropic", "claude-3-5-haiku-20241022", false,
			llm.Usage{InputTokens: 12_000, CacheWriteTokens: 10_000, OutputTokens: 100},
			(2_000*0.80 + 10_000*1.00 + 100*4) / 1e6, true},
		// Reasoning tokens are inside OutputTokens and billed once.
		{"reasoning", "openai", "o3", false, llm.Usage{InputTokens: 1_000, OutputTokens: 5_000, ReasoningTokens: 4_000}, (1_000*2 + 5_000*8) / 1e6, true},
		{"reasoning, deepseek cache hit", "deepseek", "deepseek-reasoner", false,
			llm.Usage{InputTokens: 4_000, CachedInputTokens: 3_000, OutputTokens: 2_000, ReasoningTokens: 1_500},
			(1_000*0.28 + 3_000*0.028 + 2_000*0.42) / 1e6, true},
		// No cache discount: cached tokens cost input.
		{"mistral cached at input rate", "mistral", "mistral-large-latest", false, llm.Usage{InputTokens: 1_000, CachedInputTokens: 600, OutputTokens: 100}, (1_000*2 + 100*6) / 1e6, true},
		// Long context: at the threshold the base rates, above it the tier's for the whole request.
		{"gemini 2.5 pro at 200k", "gemini", "gemini-2.5-pro", false, llm.Usage{InputTokens: 200_000, OutputTokens: 1_000}, (200_000*1.25 + 1_000*10) / 1e6, true},
		{"gemini 2.5 pro above 200k", "gemini", "gemini-2.5-pro", false,
			llm.Usage{InputTokens: 300_000, CachedInputTokens: 100_000, OutputTokens: 2_000},
			(200_000*2.50 + 100_000*0.25 + 2_000*15) / 1e6, true},
		{"sonnet 4 above 200k with cache", "anthropic", "claude-sonnet-4", false,
			llm.Usage{InputTokens: 250_000, CachedInputTokens: 150_000, CacheWriteTokens: 50_000, OutputTokens: 1_000},
			(50_000*6 + 150_000*0.60 + 50_000*7.50 + 1_000*22.50) / 1e6, true},
		// Grok 4's tier has no cached rate of its own: the base cached rate stays.
		{"grok 4 above 128k", "xai", "grok-4", false, llm.Usage{InputTokens: 130_000, CachedInputTokens: 30_000, OutputTokens: 1_000}, (100_000*6 + 30_000*0.75 + 1_000*30) / 1e6, true},
		{"embedding", "openai", "text-embedding-3-small", false, llm.Usage{InputTokens: 5_000, TotalTokens: 5_000}, 5_000 * 0.02 / 1e6, true},
		{"openrouter mapping", "openrouter", "anthropic/claude-3.5-haiku", false, llm.Usage{InputTokens: 1_000, OutputTokens: 1_000}, (1_000*0.80 + 1_000*4) / 1e6, true},
		{"openrouter free", "openrouter", "meta-llama/llama-3.2-3b-instruct:free", false, llm.Usage{InputTokens: 586, OutputTokens: 3}, 0, true},
		// More cached than input: a broken adapter; the remainder counts as zero, never negative.
		{"inconsistent usage", "openai", "gpt-4o", false, llm.Usage{InputTokens: 100, CachedInputTokens: 200}, 200 * 1.25 / 1e6, true},
		{"unknown model", "openai", "gpt-9", false, llm.Usage{InputTokens: 1_000, OutputTokens: 1_000}, 0, false},
		{"unknown provider and model", "acme", "wonder-1", false, llm.Usage{InputTokens: 1_000}, 0, false},
		{"local is a known zero", "ollama", "llama3.3:70b", true, llm.Usage{InputTokens: 2_000, OutputTokens: 500}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := tab.Lookup(tt.provider, tt.model, tt.local)
			got, ok := Cost(p, tt.u)
			if ok != tt.ok || !approx(got, tt.want) {
				t.Errorf("Cost = %.15f, %v; want %.15f, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCostPriceFallbacks(t *testing.T) {
	u := llm.Usage{InputTokens: 10_000, CachedInputTokens: 4_000, CacheWriteTokens: 1_000, OutputTokens: 100}
	tests := []struct {
		name string
		p    Price
		want float64
		ok   bool
	}{
		{"no cache rates: all input at input", Price{Input: f(1), Output: f(2)}, (10_000*1 + 100*2) / 1e6, true},
		{"all rates", Price{Input: f(1), Output: f(2), CachedInput: f(0.5), CacheWrite: f(1.5)}, (5_000*1 + 4_000*0.5 + 1_000*1.5 + 100*2) / 1e6, true},
		{"tier input without cache rates", Price{Input: f(1), Output: f(2), LongContext: &LongContext{Above: 9_000, Input: f(3)}}, (10_000*3 + 100*2) / 1e6, true},
		{"no input rate", Price{Output: f(2)}, 0, false},
		{"no output rate", Price{Input: f(1)}, 0, false},
		{"zero price", Price{Input: f(0), Output: f(0)}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Cost(tt.p, u)
			if ok != tt.ok || !approx(got, tt.want) {
				t.Errorf("Cost = %.15f, %v; want %.15f, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestLocalRate(t *testing.T) {
	tab := Default().WithLocalRate(0.02)
	p, ok := tab.Lookup("ollama", "qwen3:8b", true)
	got, known := Cost(p, llm.Usage{InputTokens: 1_000_000, OutputTokens: 500_000})
	if !ok || !known || !approx(got, 1.5*0.02) {
		t.Errorf("Cost = %v, %v, %v; want 0.03", got, ok, known)
	}
	if Default().LocalRate() != 0 {
		t.Error("WithLocalRate changed the default table")
	}
	if r := Default().WithLocalRate(-1).LocalRate(); r != 0 {
		t.Errorf("negative local rate kept: %v", r)
	}
}

func TestWith(t *testing.T) {
	base := Default()
	tab := base.With(map[string]Price{
		"openai/gpt-4o":                         {Input: f(2.00)}, // a negotiated input rate; the rest stays
		"anthropic/claude-sonnet-4-5":           {Input: f(2.40), Output: f(12)},
		"acme/wonder-1":                         {Input: f(1), Output: f(2)},
		"ollama/llama3.3:70b":                   {Input: f(0.05), Output: f(0.10)},
		"openrouter/anthropic/claude-3.5-haiku": {Output: f(3.5)},
		"gpt-4o-mini":                           {Input: f(9)},           // no provider: skipped
		"openai/gpt-4.1":                        {Input: f(-1)},          // negative: skipped
		"Google/Gemini-2.5-Flash":               {CachedInput: f(0.075)}, // provider alias, case
	})
	u := llm.Usage{InputTokens: 10_000, CachedInputTokens: 8_000, OutputTokens: 500}
	tests := []struct {
		name            string
		provider, model string
		local           bool
		u               llm.Usage
		want            float64
		ok              bool
	}{
		{"partial override keeps other rates", "openai", "gpt-4o-2024-08-06", false, u, (2_000*2.00 + 8_000*1.25 + 500*10) / 1e6, true},
		{"same_as follows the override", "openrouter", "anthropic/claude-sonnet-4.5", false, llm.Usage{InputTokens: 1_000, OutputTokens: 1_000}, (1_000*2.40 + 1_000*12) / 1e6, true},
		{"cache rates kept", "anthropic", "claude-sonnet-4-5", false, llm.Usage{InputTokens: 2_000, CachedInputTokens: 1_000, OutputTokens: 0}, (1_000*2.40 + 1_000*0.30) / 1e6, true},
		{"new provider", "acme", "wonder-1", false, llm.Usage{InputTokens: 1_000, OutputTokens: 1_000}, (1_000*1 + 1_000*2) / 1e6, true},
		{"new model found without provider", "", "wonder-1", false, llm.Usage{InputTokens: 1_000, OutputTokens: 1_000}, (1_000*1 + 1_000*2) / 1e6, true},
		{"local model's own rate", "ollama", "llama3.3:70b", true, llm.Usage{InputTokens: 1_000_000, OutputTokens: 1_000_000}, 0.05 + 0.10, true},
		{"other local models keep the local rate", "ollama", "llama3.3:8b", true, llm.Usage{InputTokens: 1_000_000}, 0, true},
		{"override of a resold price", "openrouter", "anthropic/claude-3.5-haiku", false, llm.Usage{InputTokens: 1_000, OutputTokens: 1_000}, (1_000*0.80 + 1_000*3.5) / 1e6, true},
		{"key without provider skipped", "openai", "gpt-4o-mini", false, llm.Usage{InputTokens: 1_000_000}, 0.15, true},
		{"negative rate skipped", "openai", "gpt-4.1", false, llm.Usage{InputTokens: 1_000_000}, 2, true},
		{"alias and case", "gemini", "gemini-2.5-flash", false, llm.Usage{InputTokens: 2_000, CachedInputTokens: 1_000}, (1_000*0.30 + 1_000*0.075) / 1e6, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := tab.Lookup(tt.provider, tt.model, tt.local)
			got, ok := Cost(p, tt.u)
			if ok != tt.ok || !approx(got, tt.want) {
				t.Errorf("Cost = %.15f, %v; want %.15f, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if p, _ := tab.Lookup("openai", "gpt-4o", false); p.Source != "configured override" {
		t.Errorf("override source %q", p.Source)
	}
	// The shipped table is untouched.
	if p, _ := base.Lookup("openai", "gpt-4o", false); *p.Input != 2.50 {
		t.Errorf("With changed the default table: input %v", *p.Input)
	}
	if _, ok := base.Lookup("acme", "wonder-1", false); ok {
		t.Error("With added a model to the default table")
	}
	if base.With(nil) != base {
		t.Error("With(nil) should return the table itself")
	}
}

func TestValidOverride(t *testing.T) {
	tests := []struct {
		key string
		p   Price
		ok  bool
	}{
		{"openai/gpt-4o", Price{Input: f(1)}, true},
		{"groq/openai/gpt-oss-120b", Price{Input: f(1), Output: f(1)}, true},
		{"gpt-4o", Price{Input: f(1)}, false},
		{"/gpt-4o", Price{Input: f(1)}, false},
		{"openai/", Price{Input: f(1)}, false},
		{"openai/gpt-4o", Price{Output: f(-0.5)}, false},
		{"openai/gpt-4o", Price{Input: f(math.NaN())}, false},
		{"openai/gpt-4o", Price{LongContext: &LongContext{Input: f(1)}}, false},
	}
	for _, tt := range tests {
		if err := ValidOverride(tt.key, tt.p); (err == nil) != tt.ok {
			t.Errorf("ValidOverride(%q) = %v, want ok %v", tt.key, err, tt.ok)
		}
	}
}

func TestCounterfactualAndBill(t *testing.T) {
	tab := Default()
	local := llm.Usage{InputTokens: 2_000, OutputTokens: 500, TotalTokens: 2_500}
	anthropic := llm.Usage{InputTokens: 8_200, CachedInputTokens: 3_000, CacheWriteTokens: 5_000, OutputTokens: 400}
	tests := []struct {
		name            string
		tab             *Table
		provider, model string
		local           bool
		reference       string
		u               llm.Usage
		want            Bill
	}{
		{"local vs default reference (gpt-4o)", tab, "ollama", "llama3.3:70b", true, "", local,
			Bill{Cost: 0, CostKnown: true, Counterfactual: (2_000*2.50 + 500*10) / 1e6, CounterfactualKnown: true, Saved: 0.01, SavedKnown: true}},
		{"local with an energy rate", tab.WithLocalRate(0.02), "ollama", "llama3.3:70b", true, "", local,
			Bill{Cost: 2_500 * 0.02 / 1e6, CostKnown: true, Counterfactual: 0.01, CounterfactualKnown: true, Saved: 0.01 - 2_500*0.02/1e6, SavedKnown: true}},
		{"configured reference", tab, "ollama", "llama3.3:70b", true, "anthropic/claude-sonnet-4-5", local,
			Bill{Cost: 0, CostKnown: true, Counterfactual: (2_000*3 + 500*15) / 1e6, CounterfactualKnown: true, Saved: 0.0135, SavedKnown: true}},
		{"reference without provider", tab, "ollama", "llama3.3:70b", true, "gpt-4o-mini", local,
			Bill{CostKnown: true, Counterfactual: (2_000*0.15 + 500*0.60) / 1e6, CounterfactualKnown: true, Saved: 0.0006, SavedKnown: true}},
		// Cached reads stay cached on the reference; writes cost its input rate, as gpt-4o has no
		// write surcharge. A dearer model than the reference saves a negative amount.
		{"anthropic with cache vs gpt-4o", tab, "anthropic", "claude-sonnet-4-5", false, "", anthropic,
			Bill{Cost: 0.02625, CostKnown: true, Counterfactual: (200*2.50 + 3_000*1.25 + 5_000*2.50 + 400*10) / 1e6, CounterfactualKnown: true, Saved: 0.02075 - 0.02625, SavedKnown: true}},
		{"the reference itself saves nothing", tab, "openai", "gpt-4o-2024-08-06", false, "openai/gpt-4o", llm.Usage{InputTokens: 10_000, CachedInputTokens: 8_000, OutputTokens: 500},
			Bill{Cost: 0.02, CostKnown: true, Counterfactual: 0.02, CounterfactualKnown: true, Saved: 0, SavedKnown: true}},
		{"cheaper cloud model", tab, "gemini", "gemini-2.5-flash", false, "", llm.Usage{InputTokens: 10_000, OutputTokens: 1_000},
			Bill{Cost: (10_000*0.30 + 1_000*2.50) / 1e6, CostKnown: true, Counterfactual: (10_000*2.50 + 1_000*10) / 1e6, CounterfactualKnown: true, Saved: 0.035 - 0.0055, SavedKnown: true}},
		{"unknown actual: saving unknown", tab, "openai", "gpt-9", false, "", local,
			Bill{Counterfactual: 0.01, CounterfactualKnown: true}},
		{"unknown reference: saving unknown", tab, "ollama", "llama3.3:70b", true, "acme/wonder-1", local,
			Bill{CostKnown: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.tab.Bill(tt.provider, tt.model, tt.local, tt.reference, tt.u)
			if got.CostKnown != tt.want.CostKnown || got.CounterfactualKnown != tt.want.CounterfactualKnown || got.SavedKnown != tt.want.SavedKnown ||
				!approx(got.Cost, tt.want.Cost) || !approx(got.Counterfactual, tt.want.Counterfactual) || !approx(got.Saved, tt.want.Saved) {
				t.Errorf("Bill =\n%+v, want\n%+v", got, tt.want)
			}
			cf, ok := Counterfactual(tt.tab, tt.reference, tt.u)
			if ok != tt.want.CounterfactualKnown || !approx(cf, tt.want.Counterfactual) {
				t.Errorf("Counterfactual = %v, %v", cf, ok)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"no date", "prices: []\n", "date"},
		{"bad date", "date: 24/11/2025\nprices: []\n", "date"},
		{"unknown field", "date: \"2025-11-24\"\nprices:\n  - {provider: a, model: b, input: 1, output: 1, inptu: 2}\n", "inptu"},
		{"no output", "date: \"2025-11-24\"\nprices:\n  - {provider: a, model: b, input: 1}\n", "input and output"},
		{"negative", "date: \"2025-11-24\"\nprices:\n  - {provider: a, model: b, input: -1, output: 1}\n", "negative"},
		{"duplicate", "date: \"2025-11-24\"\nprices:\n  - {provider: a, model: b, input: 1, output: 1}\n  - {provider: a, model: c, input: 1, output: 1, aliases: [b]}\n", "twice"},
		{"dangling same_as", "date: \"2025-11-24\"\nprices:\n  - {provider: a, model: b, same_as: x/y}\n", "not in the table"},
		{"same_as with rates", "date: \"2025-11-24\"\nprices:\n  - {provider: a, model: b, input: 1, output: 1}\n  - {provider: c, model: b, same_as: a/b, input: 2}\n", "exclusive"},
		{"bad tier", "date: \"2025-11-24\"\nprices:\n  - {provider: a, model: b, input: 1, output: 1, long_context: {input: 2}}\n", "positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse error %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestFormatTable(t *testing.T) {
	tab, err := Parse([]byte(`date: "2025-11-24"
prices:
  - {provider: openai, model: gpt-4o, input: 2.5, cached_input: 1.25, output: 10}
  - {provider: anthropic, model: claude-sonnet-4-5, input: 3, cached_input: 0.3, cache_write: 3.75, cache_write_1h: 6, output: 15, long_context: {above: 200000, input: 6, output: 22.5}}
  - {provider: openrouter, model: openai/gpt-4o, same_as: openai/gpt-4o}
  - {provider: gemini, model: gemini-2.0-flash-lite, input: 0.075, output: 0.3, note: "a note"}
`))
	if err != nil {
		t.Fatal(err)
	}
	tab = tab.WithLocalRate(0.02).With(map[string]Price{"acme/wonder-1": {Input: f(1), Output: f(2)}})
	var b bytes.Buffer
	if err := FormatTable(&b, tab); err != nil {
		t.Fatal(err)
	}
	want := `Prices as of 2025-11-24, USD per 1M tokens: vendors' list prices, re-check them before relying on them.
Local models: 0.02 per 1M tokens.

PROVIDER    MODEL                  INPUT  CACHED  CACHE WRITE  OUTPUT  NOTES
openai      gpt-4o                 2.50   1.25    -            10.00
anthropic   claude-sonnet-4-5      3.00   0.30    3.75         15.00   above 200k input: 6.00 in / 22.50 out; 1h cache write 6.00
openrouter  openai/gpt-4o          2.50   1.25    -            10.00   = openai/gpt-4o
gemini      gemini-2.0-flash-lite  0.075  -       -            0.30    a note
acme        wonder-1               1.00   -       -            2.00    configured override
`
	if b.String() != want {
		t.Errorf("FormatTable:\n%s\nwant:\n%s", b.String(), want)
	}
	// The shipped table formats too, one line per row plus three of header.
	b.Reset()
	if err := FormatTable(&b, Default()); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(b.String(), "\n"); n != len(Default().rows)+4 {
		t.Errorf("shipped table: %d lines for %d rows", n, len(Default().rows))
	}
}

func BenchmarkLookup(b *testing.B) {
	tab := Default()
	for _, m := range []struct{ provider, model string }{
		{"openai", "gpt-4o"},
		{"anthropic", "claude-3-5-haiku-20241022"},
		{"openrouter", "anthropic/claude-3.7-sonnet:thinking"},
	} {
		b.Run(m.provider+"/"+m.model, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tab.Lookup(m.provider, m.model, false)
			}
		})
	}
}
