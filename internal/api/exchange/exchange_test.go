package exchange

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/privacy"
)

func TestPrivacyPolicyOverride(t *testing.T) {
	p := &Privacy{Cloud: privacy.DefaultCloud(), Local: privacy.DefaultLocal(),
		Models:  map[string]privacy.Policy{"openai/gpt-4o": {Default: privacy.ActionAllow}, "groq": {Categories: map[privacy.Category]privacy.Action{privacy.CategoryEmail: privacy.ActionBlock}}},
		Trusted: map[string]bool{"azure": true}}
	target := func(provider, model string, local bool) catalog.Target {
		return catalog.Target{Entry: &catalog.Entry{Name: provider, Local: local}, Model: model}
	}
	for _, tc := range []struct {
		t    catalog.Target
		c    privacy.Category
		want privacy.Action
	}{
		// A model's "default: allow" lets personal data through, never the secret the route
		// blocks by name.
		{target("openai", "gpt-4o", false), privacy.CategoryEmail, privacy.ActionAllow},
		{target("openai", "gpt-4o", false), privacy.CategorySecret, privacy.ActionBlock},
		{target("openai", "gpt-4o-mini", false), privacy.CategoryEmail, privacy.ActionRedact},
		{target("groq", "llama", false), privacy.CategoryEmail, privacy.ActionBlock},
		{target("groq", "llama", false), privacy.CategoryPhone, privacy.ActionRedact},
		{target("azure", "gpt-4o", false), privacy.CategorySecret, privacy.ActionAllow},
		{target("ollama", "qwen", true), privacy.CategorySecret, privacy.ActionAllow},
	} {
		if got := p.policy(tc.t).ActionFor(tc.c); got != tc.want {
			t.Errorf("%s %s: %s, want %s", tc.t.Name(), tc.c, got, tc.want)
		}
	}
}

// collect assembles a held stream; engines that number every parallel call 0 start each new
// call with its own id.
func TestCollectToolCalls(t *testing.T) {
	chunk := func(d llm.Delta, finish string) *llm.Chunk {
		return &llm.Chunk{ID: "c", Decoded: true, Choices: []llm.ChunkChoice{{Delta: d, FinishReason: finish}}}
	}
	s := &replay{chunks: []*llm.Chunk{
		chunk(llm.Delta{Content: "Let me look. "}, ""),
		chunk(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: "a", Name: "f", Arguments: `{"x":`}}}, ""),
		chunk(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, Arguments: `1}`}}}, ""),
		chunk(llm.Delta{ToolCalls: []llm.ToolCallDelta{{Index: 0, ID: "b", Name: "g", Arguments: `{}`}}}, ""),
		chunk(llm.Delta{}, llm.FinishToolCalls),
	}}
	chunks, resp, err := collect(s)
	if err != nil {
		t.Fatal(err)
	}
	m := resp.Choices[0].Message
	if len(chunks) != 5 || m.Text() != "Let me look. " || resp.Choices[0].FinishReason != llm.FinishToolCalls {
		t.Fatalf("collected %d chunks, message %+v", len(chunks), resp.Choices[0])
	}
	if len(m.ToolCalls) != 2 || m.ToolCalls[0].ID != "a" || m.ToolCalls[0].Arguments != `{"x":1}` || m.ToolCalls[1].ID != "b" || m.ToolCalls[1].Name != "g" {
		t.Errorf("tool calls %+v", m.ToolCalls)
	}
}

// What the guard cannot rewrite — a raw extension field, a signed thinking block the target
// would get back — keeps a request with redactable data from the cloud.
func TestConstrainUnredactable(t *testing.T) {
	sc, err := privacy.New(privacy.Options{NoNames: true})
	if err != nil {
		t.Fatal(err)
	}
	p := &Privacy{Scanner: sc, Cloud: privacy.DefaultCloud(), Local: privacy.DefaultLocal()}
	home := catalog.Target{Entry: &catalog.Entry{Name: "ollama", Local: true}, Model: "qwen"}
	openai := catalog.Target{Entry: &catalog.Entry{Name: "openai", Kind: "openai"}, Model: "gpt-4o"}
	claude := catalog.Target{Entry: &catalog.Entry{Name: "anthropic", Kind: "anthropic"}, Model: "claude"}
	user := func(s string) llm.Message {
		return llm.Message{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: s}}}
	}
	for _, tc := range []struct {
		name string
		req  *llm.Request
		want []string
	}{
		{"plain text is redacted, every target stays", &llm.Request{Messages: []llm.Message{user("mail jane.doe@example.com")}},
			[]string{"ollama/qwen", "openai/gpt-4o", "anthropic/claude"}},
		{"an extension field cannot be redacted", &llm.Request{Messages: []llm.Message{user("hi")},
			Extensions: map[string]json.RawMessage{"prediction": []byte(`{"content":"to: jane.doe@example.com"}`)}},
			[]string{"ollama/qwen"}},
		{"signed thinking goes back only to its own provider", &llm.Request{Messages: []llm.Message{user("hi"),
			{Role: llm.RoleAssistant, Thinking: []llm.ThinkingBlock{{Text: "they wrote from jane.doe@example.com", Signature: "sig", Format: llm.FormatAnthropic}}},
			user("go on")}},
			[]string{"ollama/qwen", "openai/gpt-4o"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := &Exchange{p: &Pipeline{Privacy: p}}
			x.w = httptest.NewRecorder()
			got, err := x.constrain(&Decision{}, tc.req, []catalog.Target{home, openai, claude})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, g := range got {
				names = append(names, g.Name())
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("targets %v, want %v", names, tc.want)
			}
		})
	}
}
