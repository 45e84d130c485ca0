// Package config loads Sovereign's configuration: an optional YAML file, the providers' usual
// environment variables, and defaults. Zero configuration is a working configuration.
//
// Load order: Load reads the file (if any) strictly — an unknown key is an error naming the key
// and its line — then FromEnv adds the providers found in the environment, then ApplyDefaults
// fills every zero field, then Validate checks the result.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/sovereign-gateway/sovereign/internal/privacy"
)

// Provider types.
const (
	TypeOpenAI    = "openai"    // any OpenAI-compatible service
	TypeOllama    = "ollama"    // Ollama's native API
	TypeAnthropic = "anthropic" // Anthropic's Messages API
	TypeGemini    = "gemini"    // Google's Gemini API (generativelanguage.googleapis.com)
)

// Config is the whole configuration. The zero value of every field means its default.
type Config struct {
	// Addr is the listen address; "" means 127.0.0.1:8420 (loopback only).
	Addr string `yaml:"addr"`
	// DataDir holds the gateway's data; "" means $SOVEREIGN_DATA, else $XDG_DATA_HOME/sovereign,
	// else ~/.local/share/sovereign.
	DataDir string `yaml:"data_dir"`
	// MaxBodyBytes bounds a request body; 0 means 20 MB. Accepts "20MB", "512KiB", or a number.
	MaxBodyBytes ByteSize `yaml:"max_body_bytes"`
	// Providers declares providers beyond those found in the environment. A provider here with
	// the name of one from the environment replaces it.
	Providers []Provider `yaml:"providers"`
	// Aliases maps a model name callers may use to one or more targets ("provider/model"),
	// tried in order: the first that answers wins, the next ones are fallbacks.
	Aliases map[string]Targets `yaml:"aliases"`
	// Defaults are the models used when a caller asks for "auto", "local" or "cloud".
	Defaults Defaults `yaml:"defaults"`
	// Discovery controls the search for local engines.
	Discovery Discovery `yaml:"discovery"`
	// Retry controls retries of failed upstream calls.
	Retry Retry `yaml:"retry"`
	// Log controls logging.
	Log Log `yaml:"log"`
	// Ledger controls the record of every request.
	Ledger Ledger `yaml:"ledger"`
	// Prices override or extend the shipped price table, keyed "provider/model".
	Prices map[string]Price `yaml:"prices"`
	// Route controls the local-first router behind "auto".
	Route Route `yaml:"route"`
	// Privacy controls the privacy guard: what it looks for and what it does with a finding.
	Privacy Privacy `yaml:"privacy"`

	// File is the path the configuration was read from, "" when none. Not a YAML key.
	File string `yaml:"-"`
}

// Provider is one upstream service.
type Provider struct {
	// Name is the prefix of its models in requests ("openai" serves "openai/gpt-4o"). Required.
	Name string `yaml:"name"`
	// Type is "openai" (any OpenAI-compatible API; default), "ollama" (Ollama's native API),
	// "anthropic" (Anthropic's Messages API) or "gemini" (Google's Gemini API).
	Type string `yaml:"type"`
	// BaseURL is the API root: for type openai including its version path
	// (https://api.openai.com/v1), for type ollama the server root (http://127.0.0.1:11434),
	// for anthropic https://api.anthropic.com, for gemini
	// https://generativelanguage.googleapis.com/v1beta.
	BaseURL string `yaml:"base_url"`
	// APIKey is the key, best written as a reference to an environment variable: "${GROQ_API_KEY}".
	APIKey Secret `yaml:"api_key"`
	// Local marks a provider that runs on the user's own hardware. Zero means: local when the
	// base URL's host is a loopback address.
	Local *bool `yaml:"local"`
	// Timeout bounds a non-streamed call and a stream's wait for its first byte; 0 means 120s
	// (300s for local engines, which may have to load a model first).
	Timeout Duration `yaml:"timeout"`
	// StreamIdleTimeout ends a stream that stays silent this long; 0 means 120s.
	StreamIdleTimeout Duration `yaml:"stream_idle_timeout"`
	// Headers are extra HTTP headers sent with every request; values may reference ${VARS}.
	Headers map[string]Secret `yaml:"headers"`
	// Models lists model ids the provider serves, for services that cannot list them.
	Models []string `yaml:"models"`
	// MaxRetries overrides retry.max_retries for this provider.
	MaxRetries *int `yaml:"max_retries"`
}

// IsLocal reports whether the provider runs on this machine.
func (p *Provider) IsLocal() bool {
	if p.Local != nil {
		return *p.Local
	}
	return IsLoopbackURL(p.BaseURL)
}

// Defaults names default models.
type Defaults struct {
	// Model answers "auto" until the router decides per request; "" means the first reachable
	// local chat model, else Cloud.
	Model string `yaml:"model"`
	// Cloud answers "cloud"; "" means openai/gpt-4o-mini when an OpenAI key is present, else
	// anthropic/claude-haiku-4-5 with an Anthropic key, else gemini/gemini-2.5-flash with a
	// Gemini key.
	Cloud string `yaml:"cloud"`
}

// Discovery controls the search for local engines.
type Discovery struct {
	// Disabled turns discovery off; only configured providers are used.
	Disabled bool `yaml:"disabled"`
	// Interval between probes; 0 means 30s.
	Interval Duration `yaml:"interval"`
	// SkipDefaultPorts stops probing the standard localhost ports (Ollama 11434, llama.cpp
	// 8080, LM Studio 1234, vLLM 8000); only Engines are probed.
	SkipDefaultPorts bool `yaml:"skip_default_ports"`
	// Engines are more engines to probe.
	Engines []Engine `yaml:"engines"`
}

// Engine kinds.
const (
	EngineOllama   = "ollama"
	EngineLlamaCPP = "llamacpp"
	EngineLMStudio = "lmstudio"
	EngineVLLM     = "vllm"
	EngineOpenAI   = "openai" // any other OpenAI-compatible local server
)

// Engine is a local engine to probe.
type Engine struct {
	// Name is its provider name; "" means its kind.
	Name string `yaml:"name"`
	// Kind is one of ollama, llamacpp, lmstudio, vllm, openai.
	Kind string `yaml:"kind"`
	// URL is the server root, without /v1 (http://127.0.0.1:8080).
	URL string `yaml:"url"`
}

// Retry controls retries.
type Retry struct {
	// MaxRetries is how many times a retryable failure (connect error, 429, 5xx before the
	// first byte) is retried on the same provider before falling back; nil means 2.
	MaxRetries *int `yaml:"max_retries"`
	// Backoff is the first wait, doubled on each retry with jitter; 0 means 250ms.
	Backoff Duration `yaml:"backoff"`
	// MaxBackoff caps one wait, including a Retry-After the upstream asked for; 0 means 8s.
	MaxBackoff Duration `yaml:"max_backoff"`
}

// Log controls logging.
type Log struct {
	// Level is debug, info (default), warn or error.
	Level string `yaml:"level"`
	// Format is text (default) or json.
	Format string `yaml:"format"`
}

// Ledger controls the durable record of requests.
type Ledger struct {
	// Durability is "batched" (default: records are written at least every 100ms, off the
	// request path) or "strict" (an answer's final bytes are released only after its record is
	// committed).
	Durability string `yaml:"durability"`
	// StorePrompts keeps the prompt text in the ledger, for the local user; off by default.
	StorePrompts bool `yaml:"store_prompts"`
	// ReferenceModel is the cloud model whose price gives the counterfactual ("what the cloud
	// would have charged"); "" means openai/gpt-4o.
	ReferenceModel string `yaml:"reference_model"`
	// LocalRate is the cost of local inference in USD per 1M tokens (energy, hardware); 0
	// means free.
	LocalRate float64 `yaml:"local_rate_per_mtok"`
}

// Route controls the router that decides, per "auto" request, between local and cloud.
type Route struct {
	// Quality is the quality/cost knob, from 0 to 1: a request stays local when the router's
	// estimate that the local answer is as good as the cloud's, p(local ok), is at least
	// Quality. Higher values send more requests to the cloud. nil means DefaultQuality. Callers
	// may override it per request with the x-sovereign-quality header.
	Quality *float64 `yaml:"quality"`
	// Routed lists model names that clients send (say "gpt-4o", when a client cannot be told
	// another name) that the router treats as "auto".
	Routed []string `yaml:"routed"`
	// Cascade is "off" (default) or "on": "auto" requests the router sends home are answered
	// locally first, the answer is checked (empty, refusal, invalid JSON or tool call, cut
	// short), and the request goes to the cloud when a check fails.
	Cascade string `yaml:"cascade"`
	// CascadeStreams is what cascade does to streamed requests: "hold" (default) holds the
	// local answer until its checks pass, then streams it; "off" does not cascade streams.
	CascadeStreams string `yaml:"cascade_streams"`
}

// DefaultQuality is route.quality when unset: about the share of requests whose local answer
// matched the cloud's in the router's training data (0.84), so that a request the router
// thinks harder than the usual goes to the cloud.
const DefaultQuality = 0.85

// Privacy controls the privacy guard, which scans every request before it may leave the
// machine.
type Privacy struct {
	// Disabled turns the guard off: nothing is scanned, everything may go to the cloud.
	Disabled bool `yaml:"disabled"`
	// Cloud is the policy for requests to cloud providers, category -> action (allow,
	// local-only, redact, block); the key "default" sets every category not named. Unset
	// categories keep the defaults: secret block, everything else redact.
	Cloud map[string]string `yaml:"cloud"`
	// Local is the policy for local engines and trusted providers; unset: allow everything.
	Local map[string]string `yaml:"local"`
	// Models overrides the policy for one target, keyed "provider/model" or "provider"; the
	// value is a policy as in Cloud, applied on top of the route's.
	Models map[string]map[string]string `yaml:"models"`
	// Trusted names cloud providers treated like local engines for privacy: a "local-only"
	// finding may go to them, and the Local policy applies.
	Trusted []string `yaml:"trusted"`
	// Custom are patterns and word lists of the user's own (client names, project code names),
	// found as category "custom".
	Custom []CustomPattern `yaml:"custom"`
}

// CustomPattern is one custom detection rule: a regular expression, a list of words (whole
// words, case-insensitive), or both.
type CustomPattern struct {
	Name    string   `yaml:"name"`
	Pattern string   `yaml:"pattern"`
	Words   []string `yaml:"words"`
}

// Durability modes.
const (
	DurabilityBatched = "batched"
	DurabilityStrict  = "strict"
)

// Price is a price override in USD per 1M tokens; nil fields keep the shipped value.
type Price struct {
	Input       *float64 `yaml:"input"`
	Output      *float64 `yaml:"output"`
	CachedInput *float64 `yaml:"cached_input"`
	CacheWrite  *float64 `yaml:"cache_write"`
}

// Default values.
const (
	DefaultAddr         = "127.0.0.1:8420"
	DefaultMaxBodyBytes = 20 << 20
	DefaultInterval     = 30 * time.Second
)

// FileCandidates are the places a configuration file is looked for when none is named.
func FileCandidates() []string {
	out := []string{"sovereign.yaml"}
	if dir, err := os.UserConfigDir(); err == nil {
		out = append(out, filepath.Join(dir, "sovereign", "sovereign.yaml"))
	}
	return out
}

// Load reads the configuration. path "" means $SOVEREIGN_CONFIG, else the first of
// FileCandidates that exists, else no file. The environment and defaults are applied and the
// result validated.
func Load(path string) (*Config, error) {
	explicit := path != ""
	if path == "" {
		path = os.Getenv("SOVEREIGN_CONFIG")
		explicit = path != ""
	}
	if path == "" {
		for _, p := range FileCandidates() {
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
	}
	cfg := &Config{}
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			if !explicit && errors.Is(err, os.ErrNotExist) {
				path = ""
			} else {
				return nil, fmt.Errorf("read configuration: %w", err)
			}
		}
		if path != "" {
			if cfg, err = Parse(b, path); err != nil {
				return nil, err
			}
		}
	}
	cfg.FromEnv(os.Getenv)
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

var unknownField = regexp.MustCompile(`line (\d+): field (\S+) not found in type config\.(\w+)`)

// Parse decodes YAML strictly: an unknown key is an error that names the key and its line.
func Parse(b []byte, name string) (*Config, error) {
	cfg := &Config{File: name}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, nil
		}
		msg := err.Error()
		if m := unknownField.FindAllStringSubmatch(msg, -1); m != nil {
			var parts []string
			for _, x := range m {
				parts = append(parts, fmt.Sprintf("%s:%s: unknown key %q (in %s); see `sovereign init` for the valid keys",
					name, x[1], x[2], sectionName(x[3])))
			}
			return nil, errors.New(strings.Join(parts, "\n"))
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
		msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
		return nil, fmt.Errorf("%s: %s", name, msg)
	}
	return cfg, nil
}

func sectionName(typ string) string {
	switch typ {
	case "Config":
		return "the top level"
	case "Provider":
		return "a provider"
	case "Engine":
		return "discovery.engines"
	default:
		return strings.ToLower(typ)
	}
}

// envProvider is a provider that zero configuration finds through its usual variables.
type envProvider struct {
	name, keyVar, urlVar, defaultURL, typ string
	// altKeyVar is read when keyVar is unset (Google's SDKs also read GOOGLE_API_KEY).
	altKeyVar string
}

var envProviders = []envProvider{
	{"openai", "OPENAI_API_KEY", "OPENAI_BASE_URL", "https://api.openai.com/v1", TypeOpenAI, ""},
	{"anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "https://api.anthropic.com", TypeAnthropic, ""},
	{"gemini", "GEMINI_API_KEY", "GEMINI_BASE_URL", "https://generativelanguage.googleapis.com/v1beta", TypeGemini, "GOOGLE_API_KEY"},
	{"openrouter", "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL", "https://openrouter.ai/api/v1", TypeOpenAI, ""},
	{"groq", "GROQ_API_KEY", "GROQ_BASE_URL", "https://api.groq.com/openai/v1", TypeOpenAI, ""},
	{"mistral", "MISTRAL_API_KEY", "MISTRAL_BASE_URL", "https://api.mistral.ai/v1", TypeOpenAI, ""},
	{"deepseek", "DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL", "https://api.deepseek.com/v1", TypeOpenAI, ""},
}

// FromEnv adds the providers found in the environment that the file did not declare, and
// points Ollama discovery at OLLAMA_HOST.
func (c *Config) FromEnv(getenv func(string) string) {
	for _, ep := range envProviders {
		key, base, keyVar := getenv(ep.keyVar), getenv(ep.urlVar), ep.keyVar
		if key == "" && ep.altKeyVar != "" {
			key, keyVar = getenv(ep.altKeyVar), ep.altKeyVar
		}
		if key == "" && base == "" {
			continue
		}
		if c.provider(ep.name) != nil {
			continue
		}
		if base == "" {
			base = ep.defaultURL
		}
		c.Providers = append(c.Providers, Provider{Name: ep.name, Type: ep.typ, BaseURL: base,
			APIKey: Secret{Ref: keyVar, value: key}})
	}
	if h := getenv("OLLAMA_HOST"); h != "" {
		c.Discovery.Engines = append(c.Discovery.Engines, Engine{Name: "ollama", Kind: EngineOllama, URL: OllamaURL(h)})
	}
	if c.DataDir == "" {
		c.DataDir = getenv("SOVEREIGN_DATA")
	}
}

func (c *Config) provider(name string) *Provider {
	for i := range c.Providers {
		if c.Providers[i].Name == name {
			return &c.Providers[i]
		}
	}
	return nil
}

// OllamaURL turns OLLAMA_HOST's forms ("host", "host:port", "0.0.0.0", "http://host:port")
// into a URL to dial.
func OllamaURL(h string) string {
	h = strings.TrimRight(strings.TrimSpace(h), "/")
	scheme := "http"
	if i := strings.Index(h, "://"); i >= 0 {
		scheme, h = h[:i], h[i+3:]
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		host, port = h, "11434"
	}
	if host == "" || host == "0.0.0.0" || host == "::" || host == "[::]" {
		host = "127.0.0.1"
	}
	return scheme + "://" + net.JoinHostPort(strings.Trim(host, "[]"), port)
}

// ApplyDefaults fills every zero field with its default.
func (c *Config) ApplyDefaults() {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.DataDir == "" {
		c.DataDir = defaultDataDir()
	}
	if c.Discovery.Interval == 0 {
		c.Discovery.Interval = Duration(DefaultInterval)
	}
	if c.Retry.MaxRetries == nil {
		n := 2
		c.Retry.MaxRetries = &n
	}
	if c.Retry.Backoff == 0 {
		c.Retry.Backoff = Duration(250 * time.Millisecond)
	}
	if c.Retry.MaxBackoff == 0 {
		c.Retry.MaxBackoff = Duration(8 * time.Second)
	}
	if c.Log.Level == "" {
		c.Log.Level = "info"
	}
	if c.Ledger.Durability == "" {
		c.Ledger.Durability = DurabilityBatched
	}
	if c.Ledger.ReferenceModel == "" {
		c.Ledger.ReferenceModel = "openai/gpt-4o"
	}
	if c.Log.Format == "" {
		c.Log.Format = "text"
	}
	for i := range c.Providers {
		p := &c.Providers[i]
		if p.Type == "" {
			p.Type = TypeOpenAI
		}
		p.BaseURL = strings.TrimRight(p.BaseURL, "/")
		if p.Timeout == 0 {
			p.Timeout = Duration(120 * time.Second)
			if p.IsLocal() {
				p.Timeout = Duration(300 * time.Second)
			}
		}
		if p.StreamIdleTimeout == 0 {
			p.StreamIdleTimeout = Duration(120 * time.Second)
		}
		if p.MaxRetries == nil {
			p.MaxRetries = c.Retry.MaxRetries
		}
	}
	if c.Defaults.Cloud == "" {
		switch {
		case c.provider("openai") != nil:
			c.Defaults.Cloud = "openai/gpt-4o-mini"
		case c.provider("anthropic") != nil:
			c.Defaults.Cloud = "anthropic/claude-haiku-4-5"
		case c.provider("gemini") != nil:
			c.Defaults.Cloud = "gemini/gemini-2.5-flash"
		}
	}
	for i := range c.Discovery.Engines {
		e := &c.Discovery.Engines[i]
		if e.Kind == "" {
			e.Kind = EngineOpenAI
		}
		if e.Name == "" {
			e.Name = e.Kind
		}
		e.URL = strings.TrimRight(e.URL, "/")
	}
}

func (p *Privacy) validate() error {
	var cats []string
	for _, c := range privacy.Categories() {
		cats = append(cats, string(c))
	}
	check := func(where string, pol map[string]string) error {
		for cat, act := range pol {
			if cat != "default" && !slices.Contains(cats, cat) {
				return fmt.Errorf("%s: unknown category %q; use default or one of %s", where, cat, strings.Join(cats, ", "))
			}
			switch privacy.Action(act) {
			case privacy.ActionAllow, privacy.ActionLocalOnly, privacy.ActionRedact, privacy.ActionBlock:
			default:
				return fmt.Errorf("%s: %s: action %q is not allow, local-only, redact or block", where, cat, act)
			}
		}
		return nil
	}
	if err := check("privacy.cloud", p.Cloud); err != nil {
		return err
	}
	if err := check("privacy.local", p.Local); err != nil {
		return err
	}
	for k, pol := range p.Models {
		if err := check("privacy.models."+k, pol); err != nil {
			return err
		}
	}
	for i, c := range p.Custom {
		if c.Name == "" {
			return fmt.Errorf("privacy.custom[%d] needs a name", i)
		}
		if c.Pattern == "" && len(c.Words) == 0 {
			return fmt.Errorf("privacy.custom %q needs a pattern or words", c.Name)
		}
		if c.Pattern != "" {
			if _, err := regexp.Compile(c.Pattern); err != nil {
				return fmt.Errorf("privacy.custom %q: pattern: %w", c.Name, err)
			}
		}
	}
	return nil
}

func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "sovereign")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "sovereign")
	}
	return "sovereign-data"
}

var providerName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// Validate checks the configuration and names the first problem it finds.
func (c *Config) Validate() error {
	where := "configuration"
	if c.File != "" {
		where = c.File
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("%s: addr %q is not host:port: %w", where, c.Addr, err)
	}
	seen := map[string]bool{}
	for i, p := range c.Providers {
		if p.Name == "" {
			return fmt.Errorf("%s: providers[%d] needs a name", where, i)
		}
		if !providerName.MatchString(p.Name) {
			return fmt.Errorf("%s: provider name %q must be lower-case letters, digits, '.', '_' or '-' (it prefixes model names)", where, p.Name)
		}
		if seen[p.Name] {
			return fmt.Errorf("%s: provider %q is declared twice", where, p.Name)
		}
		seen[p.Name] = true
		switch p.Type {
		case TypeOpenAI, TypeOllama, TypeAnthropic, TypeGemini:
		default:
			return fmt.Errorf("%s: provider %q has type %q; use \"openai\" (any OpenAI-compatible API), \"ollama\", \"anthropic\" or \"gemini\"", where, p.Name, p.Type)
		}
		if err := checkURL(p.BaseURL); err != nil {
			return fmt.Errorf("%s: provider %q base_url: %w", where, p.Name, err)
		}
		if p.APIKey.Ref != "" && p.APIKey.Value() == "" {
			return fmt.Errorf("%s: provider %q api_key refers to $%s, which is not set; export it or remove the provider", where, p.Name, p.APIKey.Ref)
		}
	}
	for i, e := range c.Discovery.Engines {
		switch e.Kind {
		case EngineOllama, EngineLlamaCPP, EngineLMStudio, EngineVLLM, EngineOpenAI:
		default:
			return fmt.Errorf("%s: discovery.engines[%d] kind %q is not one of ollama, llamacpp, lmstudio, vllm, openai", where, i, e.Kind)
		}
		if err := checkURL(e.URL); err != nil {
			return fmt.Errorf("%s: discovery.engines[%d] url: %w", where, i, err)
		}
	}
	for name, t := range c.Aliases {
		switch name {
		case "auto", "local", "cloud":
			return fmt.Errorf("%s: alias %q takes a name the router reserves; choose another", where, name)
		}
		if len(t) == 0 {
			return fmt.Errorf("%s: alias %q has no targets", where, name)
		}
		for _, x := range t {
			if _, ok := c.Aliases[x]; ok {
				return fmt.Errorf("%s: alias %q points at alias %q; aliases name models, not other aliases", where, name, x)
			}
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("%s: log.level %q is not one of debug, info, warn, error", where, c.Log.Level)
	}
	switch c.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("%s: log.format %q is not text or json", where, c.Log.Format)
	}
	switch c.Ledger.Durability {
	case DurabilityBatched, DurabilityStrict:
	default:
		return fmt.Errorf("%s: ledger.durability %q is not batched or strict", where, c.Ledger.Durability)
	}
	if c.Ledger.LocalRate < 0 {
		return fmt.Errorf("%s: ledger.local_rate_per_mtok must not be negative", where)
	}
	for k, p := range c.Prices {
		if !strings.Contains(k, "/") {
			return fmt.Errorf("%s: prices key %q must be \"provider/model\"", where, k)
		}
		for _, v := range []*float64{p.Input, p.Output, p.CachedInput, p.CacheWrite} {
			if v != nil && *v < 0 {
				return fmt.Errorf("%s: prices %q has a negative price", where, k)
			}
		}
	}
	if q := c.Route.Quality; q != nil && (*q < 0 || *q > 1 || *q != *q) {
		return fmt.Errorf("%s: route.quality %v must be between 0 and 1", where, *q)
	}
	switch c.Route.Cascade {
	case "", "off", "on":
	default:
		return fmt.Errorf("%s: route.cascade %q is not on or off", where, c.Route.Cascade)
	}
	switch c.Route.CascadeStreams {
	case "", "hold", "off":
	default:
		return fmt.Errorf("%s: route.cascade_streams %q is not hold or off", where, c.Route.CascadeStreams)
	}
	for _, name := range c.Route.Routed {
		if _, ok := c.Aliases[name]; ok || strings.Contains(name, "/") {
			return fmt.Errorf("%s: route.routed %q must be a bare model name, not an alias or provider/model", where, name)
		}
	}
	if err := c.Privacy.validate(); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("%s: max_body_bytes %d is too small (at least 1KiB)", where, c.MaxBodyBytes)
	}
	return nil
}

func checkURL(s string) error {
	if s == "" {
		return errors.New("missing")
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q must start with http:// or https://", s)
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", s)
	}
	return nil
}

// IsLoopbackURL reports whether s points at this machine.
func IsLoopbackURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Redacted returns a copy safe to print: secrets show only where they come from.
func (c *Config) Redacted() Config {
	out := *c
	out.Providers = append([]Provider(nil), c.Providers...)
	for i := range out.Providers {
		p := &out.Providers[i]
		p.APIKey = p.APIKey.redacted()
		if p.Headers != nil {
			h := make(map[string]Secret, len(p.Headers))
			for k, v := range p.Headers {
				h[k] = v.redacted()
			}
			p.Headers = h
		}
	}
	return out
}

// Duration is a time.Duration written as "30s" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string or a number of seconds.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected a duration such as \"30s\"", n.Line)
	}
	if s, err := strconv.ParseFloat(n.Value, 64); err == nil {
		*d = Duration(s * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration such as \"30s\" or \"2m\"", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// ByteSize is a size in bytes written as "20MB", "512KiB" or a number in YAML.
type ByteSize int64

var sizeRe = regexp.MustCompile(`^\s*(\d+(?:\.\d+)?)\s*([KMGkmg]i?[Bb]?|[Bb])?\s*$`)

// UnmarshalYAML parses a size.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	m := sizeRe.FindStringSubmatch(n.Value)
	if n.Kind != yaml.ScalarNode || m == nil {
		return fmt.Errorf("line %d: %q is not a size such as \"20MB\"", n.Line, n.Value)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	mult := 1.0
	switch strings.ToUpper(strings.TrimSuffix(strings.TrimSuffix(m[2], "B"), "b")) {
	case "K", "KI":
		mult = 1 << 10
	case "M", "MI":
		mult = 1 << 20
	case "G", "GI":
		mult = 1 << 30
	}
	*b = ByteSize(v * mult)
	return nil
}

// Targets is an alias's list of models; YAML accepts one string or a list.
type Targets []string

// UnmarshalYAML accepts a scalar or a sequence of scalars.
func (t *Targets) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*t = Targets{n.Value}
		return nil
	case yaml.SequenceNode:
		var s []string
		if err := n.Decode(&s); err != nil {
			return err
		}
		*t = s
		return nil
	}
	return fmt.Errorf("line %d: an alias is a model name or a list of model names", n.Line)
}

// Secret is a value that must not be printed. In YAML, "${VAR}" reads the environment.
type Secret struct {
	// Ref is the environment variable it came from, "" for a literal.
	Ref   string
	value string
}

// NewSecret returns a literal secret.
func NewSecret(v string) Secret { return Secret{value: v} }

var envRef = regexp.MustCompile(`^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$`)

// UnmarshalYAML reads "${VAR}" from the environment, or takes a literal.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: expected a string", n.Line)
	}
	if m := envRef.FindStringSubmatch(n.Value); m != nil {
		s.Ref = m[1] + m[2]
		s.value = os.Getenv(s.Ref)
		return nil
	}
	s.value = n.Value
	return nil
}

// MarshalYAML never writes the value.
func (s Secret) MarshalYAML() (any, error) { return s.String(), nil }

// Value returns the secret itself.
func (s Secret) Value() string { return s.value }

// String shows where the secret comes from, never its value.
func (s Secret) String() string {
	switch {
	case s.Ref != "" && s.value != "":
		return "${" + s.Ref + "} (set)"
	case s.Ref != "":
		return "${" + s.Ref + "} (not set)"
	case s.value != "":
		return "(literal, hidden)"
	}
	return ""
}

// GoString keeps %#v from printing the value.
func (s Secret) GoString() string { return s.String() }

func (s Secret) redacted() Secret {
	return Secret{Ref: s.Ref, value: map[bool]string{true: "redacted", false: ""}[s.value != ""]}
}
