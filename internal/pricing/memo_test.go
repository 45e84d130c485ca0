package pricing

import (
	"fmt"
	"reflect"
	"testing"
)

// A remembered answer is the same as a fresh one, and a caller that changes the price it got
// does not change the next caller's.
func TestLookupMemo(t *testing.T) {
	tab := Default()
	for _, c := range []struct {
		provider, model string
		local           bool
	}{
		{"openai", "gpt-4o-mini-2024-07-18", false}, {"anthropic", "claude-sonnet-4.5", false},
		{"openrouter", "openai/gpt-4o", false}, {"", "gpt-4o", false}, {"openai", "no-such-model", false},
		{"ollama", "qwen2.5:3b", true},
	} {
		fresh, freshOK := tab.lookup(c.provider, c.model, c.local)
		for range 3 {
			got, ok := tab.Lookup(c.provider, c.model, c.local)
			if ok != freshOK || !reflect.DeepEqual(got, fresh) {
				t.Fatalf("%+v: remembered %+v %v, fresh %+v %v", c, got, ok, fresh, freshOK)
			}
			if got.Input != nil {
				*got.Input = 1e9 // a caller's change stays its own
			}
		}
	}
	// With gives a new table with its own memory.
	over := tab.With(map[string]Price{"openai/gpt-4o-mini": {Input: ptr(new(float64)), Output: ptr(new(float64))}})
	if p, ok := over.Lookup("openai", "gpt-4o-mini-2024-07-18", false); !ok || *p.Input != 0 {
		t.Fatalf("override not seen after the base table remembered the model: %+v %v", p, ok)
	}
}

// The memory stops growing at maxMemo answers; later lookups still answer.
func TestLookupMemoBounded(t *testing.T) {
	tab := Default().WithLocalRate(0)
	for i := range maxMemo + 100 {
		tab.Lookup("openai", fmt.Sprintf("model-%d", i), false)
	}
	if n := tab.memo.n.Load(); n != maxMemo {
		t.Fatalf("%d answers remembered, want %d", n, maxMemo)
	}
	if p, ok := tab.Lookup("openai", "gpt-4o", false); !ok || p.Input == nil {
		t.Fatalf("lookup after the memory is full: %+v %v", p, ok)
	}
}
