package catalog

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/provider"
)

// nopProvider is a provider that is never called in these tests.
type nopProvider struct{ name string }

func (n nopProvider) Name() string { return n.name }
func (n nopProvider) Chat(context.Context, *llm.Request) (*llm.Response, error) {
	return nil, errors.New("not called")
}
func (n nopProvider) Stream(context.Context, *llm.Request) (llm.Stream, error) {
	return nil, errors.New("not called")
}

func entry(name, kind string, local, reachable, open bool, models ...provider.ModelInfo) *Entry {
	return &Entry{Name: name, Kind: kind, Local: local, Reachable: reachable, OpenModels: open, Models: models,
		Provider: nopProvider{name}}
}

func chatModel(id string, caps ...string) provider.ModelInfo {
	m := provider.ModelInfo{ID: id}
	if len(caps) > 0 {
		m.Caps.Known = true
		for _, c := range caps {
			switch c {
			case "chat":
				m.Caps.Completion = true
			case "tools":
				m.Caps.Tools = true
			case "vision":
				m.Caps.Vision = true
			case "embed":
				m.Caps.Embeddings = true
			}
		}
	}
	return m
}

func newTestCatalog() *Catalog {
	c := New(Options{
		Aliases:      map[string][]string{"smart": {"down/x", "openai/gpt-4o"}, "broken": {"nobody/x"}},
		DefaultCloud: "openai/gpt-4o-mini",
	})
	c.Put(entry("ollama", "ollama", true, true, false,
		chatModel("qwen2.5:3b", "chat", "tools"), chatModel("llava:latest", "chat", "vision"),
		chatModel("nomic-embed-text:latest", "embed"), chatModel("llama3.2:latest", "chat")))
	c.Put(entry("llamacpp", "llamacpp", true, true, false, chatModel("tiny"), chatModel("shared")))
	c.Put(entry("vllm", "vllm", true, true, false, chatModel("shared")))
	c.Put(entry("openai", "openai", false, true, true, chatModel("gpt-4o-mini"), chatModel("gpt-4o")))
	c.Put(entry("openrouter", "openai", false, true, true))
	return c
}

func names(ts []Target) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.Name())
	}
	return strings.Join(s, ",")
}

func TestResolve(t *testing.T) {
	c := newTestCatalog()
	tools := Need{Chat: true, Tools: true}
	vision := Need{Chat: true, Vision: true}
	tests := []struct {
		name  string
		model string
		need  Need
		want  string // targets, or "err:CODE"
	}{
		{"explicit", "ollama/qwen2.5:3b", Need{Chat: true}, "ollama/qwen2.5:3b"},
		{"bare unambiguous", "tiny", Need{Chat: true}, "llamacpp/tiny"},
		{"bare ambiguous", "shared", Need{Chat: true}, "err:" + llm.CodeModelAmbiguous},
		{"ollama latest tag", "ollama/llama3.2", Need{Chat: true}, "ollama/llama3.2:latest"},
		{"bare ollama latest", "llama3.2", Need{Chat: true}, "ollama/llama3.2:latest"},
		{"unknown bare", "gpt-5-ultra", Need{Chat: true}, "err:" + llm.CodeModelNotFound},
		{"unknown on local engine", "ollama/mistral", Need{Chat: true}, "err:" + llm.CodeModelNotFound},
		{"open cloud id", "openai/o3-pro", Need{Chat: true}, "openai/o3-pro"},
		{"slash in model id", "openrouter/meta-llama/llama-3.2-3b-instruct", Need{Chat: true}, "openrouter/meta-llama/llama-3.2-3b-instruct"},
		{"empty model after prefix", "openai/", Need{Chat: true}, "err:" + llm.CodeModelNotFound},
		{"alias skips unresolvable", "smart", Need{Chat: true}, "openai/gpt-4o"},
		{"alias with no target", "broken", Need{Chat: true}, "err:" + llm.CodeModelNotFound},
		{"tools on a model without tools", "ollama/llava:latest", tools, "err:" + llm.CodeUnsupportedParameter},
		{"images on a model without vision", "ollama/qwen2.5:3b", vision, "err:" + llm.CodeUnsupportedParameter},
		{"chat with an embedding model", "ollama/nomic-embed-text", Need{Chat: true}, "err:" + llm.CodeInvalidValue},
		{"embeddings with a chat model", "ollama/qwen2.5:3b", Need{Embeddings: true}, "err:" + llm.CodeInvalidValue},
		{"unknown caps get the benefit of the doubt", "llamacpp/tiny", tools, "llamacpp/tiny"},
		{"auto is local first then cloud", "auto", Need{Chat: true}, "ollama/qwen2.5:3b,ollama/llava:latest,ollama/llama3.2:latest,llamacpp/tiny,llamacpp/shared,vllm/shared,openai/gpt-4o-mini"},
		{"auto with tools", "auto", tools, "ollama/qwen2.5:3b,llamacpp/tiny,llamacpp/shared,vllm/shared,openai/gpt-4o-mini"},
		{"local with vision", "local", vision, "ollama/llava:latest,llamacpp/tiny,llamacpp/shared,vllm/shared"},
		{"cloud", "cloud", Need{Chat: true}, "openai/gpt-4o-mini"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := c.Resolve(tt.model, tt.need)
			if strings.HasPrefix(tt.want, "err:") {
				var e *llm.Error
				if !errors.As(err, &e) || e.Code != tt.want[4:] {
					t.Fatalf("Resolve(%q) = %s, %v; want error code %s", tt.model, names(ts), err, tt.want[4:])
				}
				if e.Message == "" || e.Status < 400 {
					t.Fatalf("error without message or status: %+v", e)
				}
				return
			}
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tt.model, err)
			}
			if got := names(ts); got != tt.want {
				t.Fatalf("Resolve(%q) = %s, want %s", tt.model, got, tt.want)
			}
		})
	}
}

func TestResolveSpecialWithNothingReachable(t *testing.T) {
	c := New(Options{})
	c.Put(entry("ollama", "ollama", true, false, false, chatModel("qwen")))
	for _, m := range []string{"auto", "local", "cloud"} {
		_, err := c.Resolve(m, Need{Chat: true})
		var e *llm.Error
		if !errors.As(err, &e) || e.Status != 404 || !strings.Contains(e.Message, "start a local engine") && m != "cloud" {
			t.Errorf("Resolve(%q) err = %v", m, err)
		}
	}
	if c.Ready() {
		t.Error("Ready with nothing reachable")
	}
}

func TestUnreachableEngineHint(t *testing.T) {
	c := New(Options{})
	e := entry("llamacpp", "llamacpp", true, false, false)
	e.LastError = "provider \"llamacpp\" could not be reached"
	c.Put(e)
	_, err := c.Resolve("llamacpp/tiny", Need{Chat: true})
	if err == nil || !strings.Contains(err.Error(), "not reachable") {
		t.Fatalf("err = %v", err)
	}
}

func TestPutReplaceRemove(t *testing.T) {
	c := newTestCatalog()
	before := len(c.Entries())
	c.Put(entry("ollama", "ollama", true, true, false, chatModel("new:1b")))
	if len(c.Entries()) != before || c.Entries()[0].Name != "ollama" {
		t.Fatalf("replace changed order or count: %d", len(c.Entries()))
	}
	if _, err := c.Resolve("ollama/new:1b", Need{Chat: true}); err != nil {
		t.Fatal(err)
	}
	c.Remove("ollama")
	if c.Get("ollama") != nil || len(c.Entries()) != before-1 {
		t.Fatal("remove failed")
	}
}

func TestNeedOf(t *testing.T) {
	r := &llm.Request{Messages: []llm.Message{{Role: "user", Content: []llm.Part{llm.TextPart("a"), {Type: llm.PartImage, ImageURL: "data:,"}}}},
		Tools: []llm.Tool{{Name: "f"}}}
	if n := NeedOf(r); !n.Chat || !n.Tools || !n.Vision {
		t.Fatalf("need = %+v", n)
	}
}

func BenchmarkResolveExplicit(b *testing.B) {
	c := newTestCatalog()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Resolve("openai/gpt-4o-mini", Need{Chat: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCandidates(t *testing.T) {
	c := newTestCatalog()
	small := chatModel("small", "chat", "tools")
	small.ContextLength = 1000
	c.Put(entry("lmstudio", "lmstudio", true, true, false, small))
	c.Put(entry("down", "ollama", true, false, false, chatModel("x")))
	names := func(ts []Target) string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Name())
		}
		return strings.Join(out, ",")
	}
	why := func(rs []Rejected) map[string]string {
		m := map[string]string{}
		for _, r := range rs {
			m[r.Target] = r.Why
		}
		return m
	}

	local, cloud, rejected := c.Candidates(Need{Chat: true, Tools: true, Tokens: 5000})
	if got := names(local); got != "ollama/qwen2.5:3b,llamacpp/tiny,llamacpp/shared,vllm/shared" {
		t.Errorf("local = %s", got)
	}
	if got := names(cloud); got != "openai/gpt-4o-mini" {
		t.Errorf("cloud = %s", got)
	}
	r := why(rejected)
	for target, want := range map[string]string{
		"ollama/llava:latest":    "no tool calling",
		"ollama/llama3.2:latest": "no tool calling",
		"lmstudio/small":         "context window 1000 tokens, the request needs about 5000",
		"down/x":                 "not reachable",
	} {
		if r[target] != want {
			t.Errorf("rejected %s: %q, want %q", target, r[target], want)
		}
	}
	if _, ok := r["ollama/nomic-embed-text:latest"]; ok {
		t.Error("an embedding model was considered for chat")
	}

	// NeedOf counts the request's text and the output it asks for.
	max := 100
	n := NeedOf(&llm.Request{Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: strings.Repeat("word ", 800)}}}}, MaxTokens: &max})
	if n.Tokens != 1100 {
		t.Errorf("NeedOf tokens = %d, want 1100", n.Tokens)
	}
	max = 32000 // a cap, not a need: only a little of it counts
	if n := NeedOf(&llm.Request{MaxTokens: &max}); n.Tokens != minAnswerTokens {
		t.Errorf("NeedOf tokens with max_tokens 32000 = %d, want %d", n.Tokens, minAnswerTokens)
	}

	// Embedding models are candidates for embeddings (and only for them).
	local, _, _ = c.Candidates(Need{Embeddings: true})
	if got := names(local); !strings.Contains(got, "ollama/nomic-embed-text:latest") || strings.Contains(got, "qwen2.5") {
		t.Errorf("embedding candidates = %s", got)
	}
}
