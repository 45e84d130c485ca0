// Package discover finds local engines (Ollama, llama.cpp's llama-server, LM Studio, vLLM, or
// any configured OpenAI-compatible URL) and keeps the catalog's view of every provider and its
// models current: once at start, then every interval.
package discover

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/config"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/provider"
	"github.com/sovereign-gateway/sovereign/internal/provider/anthropic"
	"github.com/sovereign-gateway/sovereign/internal/provider/gemini"
	"github.com/sovereign-gateway/sovereign/internal/provider/ollama"
	"github.com/sovereign-gateway/sovereign/internal/provider/openaicompat"
)

// DefaultEngines are the engines probed on localhost when nothing else is said.
func DefaultEngines() []config.Engine {
	return []config.Engine{
		{Name: "ollama", Kind: config.EngineOllama, URL: "http://127.0.0.1:11434"},
		{Name: "llamacpp", Kind: config.EngineLlamaCPP, URL: "http://127.0.0.1:8080"},
		{Name: "lmstudio", Kind: config.EngineLMStudio, URL: "http://127.0.0.1:1234"},
		{Name: "vllm", Kind: config.EngineVLLM, URL: "http://127.0.0.1:8000"},
	}
}

// probeTimeout bounds one engine's probe, so a hung port cannot stall discovery.
const probeTimeout = 3 * time.Second

// cloudListEvery is how often cloud providers' model lists are refreshed.
const cloudListEvery = 10 * time.Minute

// Discoverer probes engines and configured providers and publishes them in a catalog.
type Discoverer struct {
	cat       *catalog.Catalog
	log       *slog.Logger
	interval  time.Duration
	transport http.RoundTripper

	sources []*source
}

// source is one thing to probe: a configured provider or an engine.
type source struct {
	name       string
	kind       string
	baseURL    string
	local      bool
	configured bool // declared by the user: shown even when unreachable
	discovered bool
	static     []string // configured model list
	maxRetries int
	p          provider.Provider
	lastList   time.Time
	models     []provider.ModelInfo
	listed     bool
}

// New returns a Discoverer for cfg that publishes into cat. Providers and engines share one
// HTTP transport, so connections to each upstream are pooled.
func New(cfg *config.Config, cat *catalog.Catalog, log *slog.Logger) *Discoverer {
	d := &Discoverer{cat: cat, log: log, interval: cfg.Discovery.Interval.D(), transport: provider.NewTransport()}
	names := map[string]bool{}
	urls := map[string]bool{}
	for _, p := range cfg.Providers {
		s := &source{name: p.Name, kind: p.Type, baseURL: p.BaseURL, local: p.IsLocal(), configured: true,
			static: p.Models, maxRetries: *p.MaxRetries}
		s.p = NewProvider(p, d.transport)
		d.sources = append(d.sources, s)
		names[p.Name] = true
		urls[p.BaseURL] = true
	}
	if cfg.Discovery.Disabled {
		return d
	}
	engines := cfg.Discovery.Engines
	explicit := map[string]bool{}
	for _, e := range engines {
		explicit[e.Name] = true
	}
	if !cfg.Discovery.SkipDefaultPorts {
		for _, e := range DefaultEngines() {
			if !explicit[e.Name] {
				engines = append(engines, e)
			}
		}
	}
	for _, e := range engines {
		base := engineBase(e)
		if names[e.Name] || urls[base] {
			continue
		}
		names[e.Name] = true
		urls[base] = true
		p := config.Provider{Name: e.Name, BaseURL: base, Type: config.TypeOpenAI, Local: ptr(true),
			Timeout: config.Duration(300 * time.Second), StreamIdleTimeout: config.Duration(120 * time.Second),
			MaxRetries: cfg.Retry.MaxRetries}
		if e.Kind == config.EngineOllama {
			p.Type = config.TypeOllama
		}
		s := &source{name: e.Name, kind: e.Kind, baseURL: base, local: true, configured: explicit[e.Name],
			discovered: true, maxRetries: *cfg.Retry.MaxRetries}
		s.p = newEngineProvider(p, e.Kind, d.transport)
		d.sources = append(d.sources, s)
	}
	return d
}

func ptr[T any](v T) *T { return &v }

func engineBase(e config.Engine) string {
	if e.Kind == config.EngineOllama {
		return e.URL
	}
	return e.URL + "/v1"
}

// NewProvider builds the adapter for a configured provider.
func NewProvider(p config.Provider, t http.RoundTripper) provider.Provider {
	return newEngineProvider(p, "", t)
}

func newEngineProvider(p config.Provider, flavor string, t http.RoundTripper) provider.Provider {
	h := http.Header{}
	for k, v := range p.Headers {
		h.Set(k, v.Value())
	}
	switch p.Type {
	case config.TypeOllama:
		return ollama.New(ollama.Options{Name: p.Name, BaseURL: p.BaseURL, Timeout: p.Timeout.D(),
			StreamIdleTimeout: p.StreamIdleTimeout.D(), Transport: t})
	case config.TypeAnthropic:
		return anthropic.New(anthropic.Options{Name: p.Name, BaseURL: p.BaseURL, APIKey: p.APIKey.Value(), Header: h,
			Timeout: p.Timeout.D(), StreamIdleTimeout: p.StreamIdleTimeout.D(), Transport: t})
	case config.TypeGemini:
		return gemini.New(gemini.Options{Name: p.Name, BaseURL: p.BaseURL, APIKey: p.APIKey.Value(), Header: h,
			Timeout: p.Timeout.D(), StreamIdleTimeout: p.StreamIdleTimeout.D(), Transport: t})
	}
	return openaicompat.New(openaicompat.Options{Name: p.Name, BaseURL: p.BaseURL, APIKey: p.APIKey.Value(),
		Header: h, Timeout: p.Timeout.D(), StreamIdleTimeout: p.StreamIdleTimeout.D(), Transport: t, Flavor: flavor})
}

// Refresh probes every source once, concurrently, and publishes the results.
func (d *Discoverer) Refresh(ctx context.Context) {
	var wg sync.WaitGroup
	for _, s := range d.sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.probe(ctx, s)
		}()
	}
	wg.Wait()
}

func (d *Discoverer) probe(ctx context.Context, s *source) {
	now := time.Now()
	e := &catalog.Entry{Name: s.name, Kind: s.kind, BaseURL: s.baseURL, Local: s.local, Provider: s.p,
		Discovered: s.discovered, MaxRetries: s.maxRetries, CheckedAt: now}
	cloud := !s.local
	if cloud && s.listed && now.Sub(s.lastList) < cloudListEvery {
		// Cloud lists change rarely; keep the last one between full refreshes.
		e.Models, e.Reachable, e.OpenModels = s.models, true, true
		d.cat.Put(e)
		return
	}
	lister, ok := s.p.(provider.Lister)
	var models []provider.ModelInfo
	var err error
	if ok {
		pctx, cancel := context.WithTimeout(ctx, probeTimeout)
		models, err = lister.ListModels(pctx)
		cancel()
	}
	if ctx.Err() != nil {
		return
	}
	for _, id := range s.static {
		if !has(models, id) {
			models = append(models, provider.ModelInfo{ID: id})
		}
	}
	sort.Slice(models, func(i, j int) bool { return models[i].ID < models[j].ID })
	switch {
	case err == nil:
		prev := d.cat.Get(s.name)
		if prev == nil || !prev.Reachable {
			d.log.Info("provider reachable", "provider", s.name, "kind", s.kind, "models", len(models), "local", s.local)
		}
		e.Reachable, e.Models = true, models
		s.models, s.listed, s.lastList = models, true, now
		// A cloud service's list may be partial (OpenRouter variants, fine-tunes): allow any id.
		e.OpenModels = cloud
	case !s.configured:
		// An engine on a default port that is not running: nothing to show.
		if d.cat.Get(s.name) != nil {
			d.log.Warn("local engine went away", "provider", s.name)
			d.cat.Remove(s.name)
		}
		return
	default:
		e.LastError = safeError(err)
		e.Models = models
		// A configured cloud provider whose list failed (no key permission, offline): still
		// let requests through by name; the call itself will say what is wrong.
		e.OpenModels = cloud
		e.Reachable = false
		if prev := d.cat.Get(s.name); prev == nil || prev.Reachable || prev.LastError != e.LastError {
			d.log.Warn("provider not reachable", "provider", s.name, "error", e.LastError)
		}
	}
	d.cat.Put(e)
}

func has(ms []provider.ModelInfo, id string) bool {
	for _, m := range ms {
		if m.ID == id {
			return true
		}
	}
	return false
}

// safeError gives the user-safe text of a probe failure.
func safeError(err error) string {
	var e *llm.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "probe failed"
}

// Run refreshes at start and then every interval until ctx ends.
func (d *Discoverer) Run(ctx context.Context) {
	t := time.NewTicker(d.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.Refresh(ctx)
		}
	}
}
