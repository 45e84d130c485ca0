package discover

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/config"
)

// llamaServer fakes the endpoints discovery reads from llama.cpp's llama-server.
func llamaServer(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/v1/models":
			_, _ = io.WriteString(w, `{"object":"list","data":[{"id":"tiny","object":"model","owned_by":"llamacpp","meta":{"n_ctx_train":4096}}]}`)
		case "/props":
			_, _ = io.WriteString(w, `{"default_generation_settings":{"n_ctx":2048},"modalities":{"vision":false}}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func newConfig(engines ...config.Engine) *config.Config {
	cfg := &config.Config{Discovery: config.Discovery{SkipDefaultPorts: true, Engines: engines}}
	cfg.ApplyDefaults()
	return cfg
}

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestDiscoversEngineWithContextFromProps(t *testing.T) {
	srv := llamaServer(t)
	cfg := newConfig(config.Engine{Kind: config.EngineLlamaCPP, URL: srv.URL})
	cat := catalog.New(catalog.Options{})
	New(cfg, cat, quiet()).Refresh(context.Background())
	e := cat.Get("llamacpp")
	if e == nil || !e.Reachable || !e.Local {
		t.Fatalf("entry = %+v", e)
	}
	if len(e.Models) != 1 || e.Models[0].ID != "tiny" || e.Models[0].ContextLength != 2048 {
		t.Fatalf("models = %+v; want tiny with the n_ctx the server runs with (2048)", e.Models)
	}
	if ts, err := cat.Resolve("tiny", catalog.Need{Chat: true}); err != nil || ts[0].Name() != "llamacpp/tiny" {
		t.Fatalf("resolve tiny: %v %v", ts, err)
	}
}

func TestConfiguredEngineDownIsShownWithReason(t *testing.T) {
	srv := llamaServer(t)
	url := srv.URL
	srv.Close()
	cfg := newConfig(config.Engine{Kind: config.EngineLlamaCPP, URL: url, Name: "box"})
	cat := catalog.New(catalog.Options{})
	New(cfg, cat, quiet()).Refresh(context.Background())
	e := cat.Get("box")
	if e == nil || e.Reachable || e.LastError == "" {
		t.Fatalf("entry = %+v; a configured engine that is down must be listed with its error", e)
	}
	if cat.Ready() {
		t.Error("ready with nothing reachable")
	}
}

func TestDefaultPortEngineThatGoesAwayIsRemoved(t *testing.T) {
	srv := llamaServer(t)
	cat := catalog.New(catalog.Options{})
	cfg := newConfig()
	d := New(cfg, cat, quiet())
	// A source as a default-port engine would be: discovered, not configured.
	p := config.Provider{Name: "llamacpp", BaseURL: srv.URL + "/v1", Type: config.TypeOpenAI}
	p.Local = ptr(true)
	d.sources = append(d.sources, &source{name: "llamacpp", kind: config.EngineLlamaCPP, baseURL: p.BaseURL,
		local: true, discovered: true, p: newEngineProvider(p, config.EngineLlamaCPP, d.transport)})
	d.Refresh(context.Background())
	if cat.Get("llamacpp") == nil {
		t.Fatal("engine not found")
	}
	srv.Close()
	d.Refresh(context.Background())
	if cat.Get("llamacpp") != nil {
		t.Fatal("an engine on a default port that stopped must leave the catalog")
	}
}

func TestConfiguredProviderShadowsEngineOnSameURL(t *testing.T) {
	srv := llamaServer(t)
	cfg := &config.Config{
		Providers: []config.Provider{{Name: "mine", BaseURL: srv.URL + "/v1", Models: []string{"extra"}}},
		Discovery: config.Discovery{SkipDefaultPorts: true, Engines: []config.Engine{{Kind: config.EngineLlamaCPP, URL: srv.URL}}},
	}
	cfg.ApplyDefaults()
	cat := catalog.New(catalog.Options{})
	New(cfg, cat, quiet()).Refresh(context.Background())
	if cat.Get("llamacpp") != nil {
		t.Error("the same server was listed twice")
	}
	e := cat.Get("mine")
	if e == nil || !e.Reachable || !e.Local || len(e.Models) != 2 {
		t.Fatalf("entry = %+v; want the listed model and the configured one", e)
	}
}

func TestOllamaEngine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/tags":
			_, _ = io.WriteString(w, `{"models":[{"name":"qwen2.5:3b","model":"qwen2.5:3b","digest":"d1","details":{"family":"qwen2"}}]}`)
		case "/api/show":
			_, _ = io.WriteString(w, `{"model_info":{"general.architecture":"qwen2","qwen2.context_length":32768},"capabilities":["completion","tools"]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cfg := newConfig(config.Engine{Kind: config.EngineOllama, URL: srv.URL})
	cat := catalog.New(catalog.Options{})
	New(cfg, cat, quiet()).Refresh(context.Background())
	e := cat.Get("ollama")
	if e == nil || !e.Reachable || len(e.Models) != 1 {
		t.Fatalf("entry = %+v", e)
	}
	m := e.Models[0]
	if m.ContextLength != 32768 || !m.Caps.Known || !m.Caps.Tools || m.Caps.Vision {
		t.Fatalf("model = %+v", m)
	}
}
