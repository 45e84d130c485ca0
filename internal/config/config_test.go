package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParseUnknownKeyNamesKeyAndLine(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"top level", "addr: 127.0.0.1:1\nlisten: x\n", `x.yaml:2: unknown key "listen" (in the top level)`},
		{"provider", "providers:\n  - name: a\n    base_url: http://h\n    apikey: k\n", `x.yaml:4: unknown key "apikey" (in a provider)`},
		{"engine", "discovery:\n  engines:\n    - kind: ollama\n      port: 1\n", `x.yaml:4: unknown key "port" (in discovery.engines)`},
		{"section", "retry:\n  retries: 3\n", `x.yaml:2: unknown key "retries" (in retry)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "x.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestParseValues(t *testing.T) {
	t.Setenv("SOV_TEST_KEY", "sk-secret-value")
	cfg, err := Parse([]byte(`
addr: 127.0.0.1:9000
max_body_bytes: 512KiB
providers:
  - name: groq2
    base_url: https://api.groq.com/openai/v1/
    api_key: ${SOV_TEST_KEY}
    timeout: 5s
    stream_idle_timeout: 1.5
aliases:
  fast: ollama/qwen2.5:3b
  smart: [openai/gpt-4o, groq2/llama]
`), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p := cfg.Providers[0]
	if p.APIKey.Value() != "sk-secret-value" || p.APIKey.Ref != "SOV_TEST_KEY" {
		t.Errorf("api key = %q ref %q", p.APIKey.Value(), p.APIKey.Ref)
	}
	if p.BaseURL != "https://api.groq.com/openai/v1" {
		t.Errorf("base url = %q", p.BaseURL)
	}
	if p.Timeout.D() != 5*time.Second || p.StreamIdleTimeout.D() != 1500*time.Millisecond {
		t.Errorf("timeouts = %v %v", p.Timeout.D(), p.StreamIdleTimeout.D())
	}
	if cfg.MaxBodyBytes != 512<<10 {
		t.Errorf("max body = %d", cfg.MaxBodyBytes)
	}
	if got := cfg.Aliases["fast"]; len(got) != 1 || got[0] != "ollama/qwen2.5:3b" {
		t.Errorf("fast = %v", got)
	}
	if got := cfg.Aliases["smart"]; len(got) != 2 {
		t.Errorf("smart = %v", got)
	}
	if p.IsLocal() {
		t.Error("cloud provider marked local")
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	t.Setenv("SOV_TEST_KEY2", "sk-very-secret")
	cfg, err := Parse([]byte("providers:\n  - name: a\n    base_url: http://h\n    api_key: ${SOV_TEST_KEY2}\n  - name: b\n    base_url: http://h2\n    api_key: literal-secret\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	red := cfg.Redacted()
	for _, s := range []string{red.Providers[0].APIKey.String(), red.Providers[1].APIKey.String(),
		cfg.Providers[0].APIKey.String(), cfg.Providers[1].APIKey.String()} {
		if strings.Contains(s, "secret") {
			t.Errorf("secret printed: %q", s)
		}
	}
	if cfg.Providers[1].APIKey.Value() != "literal-secret" {
		t.Error("literal lost")
	}
}

func TestFromEnvZeroConfig(t *testing.T) {
	cfg := &Config{}
	cfg.FromEnv(env(map[string]string{
		"OPENAI_API_KEY":     "sk-1",
		"OPENROUTER_API_KEY": "or-1",
		"OLLAMA_HOST":        "0.0.0.0:11500",
		"SOVEREIGN_DATA":     "/tmp/sov",
	}))
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8420" {
		t.Errorf("addr = %q; the gateway must listen on loopback by default", cfg.Addr)
	}
	names := map[string]Provider{}
	for _, p := range cfg.Providers {
		names[p.Name] = p
	}
	if p := names["openai"]; p.BaseURL != "https://api.openai.com/v1" || p.APIKey.Value() != "sk-1" {
		t.Errorf("openai = %+v", p)
	}
	if p := names["openrouter"]; p.BaseURL != "https://openrouter.ai/api/v1" {
		t.Errorf("openrouter = %+v", p)
	}
	if len(cfg.Discovery.Engines) != 1 || cfg.Discovery.Engines[0].URL != "http://127.0.0.1:11500" {
		t.Errorf("engines = %+v", cfg.Discovery.Engines)
	}
	if cfg.DataDir != "/tmp/sov" {
		t.Errorf("data dir = %q", cfg.DataDir)
	}
	if cfg.Defaults.Cloud != "openai/gpt-4o-mini" {
		t.Errorf("cloud default = %q", cfg.Defaults.Cloud)
	}
	if cfg.MaxBodyBytes != 20<<20 {
		t.Errorf("max body = %d", cfg.MaxBodyBytes)
	}
}

func TestFromEnvBaseURLOnlyIsLocal(t *testing.T) {
	cfg := &Config{}
	cfg.FromEnv(env(map[string]string{"OPENAI_BASE_URL": "http://localhost:8000/v1"}))
	cfg.ApplyDefaults()
	if len(cfg.Providers) != 1 || !cfg.Providers[0].IsLocal() {
		t.Fatalf("providers = %+v", cfg.Providers)
	}
	if cfg.Providers[0].Timeout.D() != 300*time.Second {
		t.Errorf("local timeout = %v", cfg.Providers[0].Timeout.D())
	}
}

func TestFileProviderOverridesEnv(t *testing.T) {
	cfg, err := Parse([]byte("providers:\n  - name: openai\n    base_url: http://127.0.0.1:9/v1\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg.FromEnv(env(map[string]string{"OPENAI_API_KEY": "sk-1"}))
	if len(cfg.Providers) != 1 || cfg.Providers[0].BaseURL != "http://127.0.0.1:9/v1" {
		t.Fatalf("providers = %+v", cfg.Providers)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"bad addr", "addr: nope", "not host:port"},
		{"provider without name", "providers:\n  - base_url: http://h\n", "needs a name"},
		{"bad provider name", "providers:\n  - name: Open AI\n    base_url: http://h\n", "lower-case"},
		{"duplicate", "providers:\n  - name: a\n    base_url: http://h\n  - name: a\n    base_url: http://h\n", "declared twice"},
		{"bad type", "providers:\n  - name: a\n    type: grpc\n    base_url: http://h\n", `type "grpc"`},
		{"bad url", "providers:\n  - name: a\n    base_url: ftp://h\n", "http://"},
		{"missing url", "providers:\n  - name: a\n", "missing"},
		{"unset key var", "providers:\n  - name: a\n    base_url: http://h\n    api_key: ${SOV_SURELY_UNSET_VAR}\n", "SOV_SURELY_UNSET_VAR"},
		{"bad engine kind", "discovery:\n  engines:\n    - kind: tgi\n      url: http://h\n", `kind "tgi"`},
		{"alias of alias", "aliases:\n  a: b\n  b: x/y\n", "points at alias"},
		{"bad log level", "log:\n  level: loud\n", "log.level"},
		{"tiny body", "max_body_bytes: 10\n", "too small"},
		{"bad duration", "retry:\n  backoff: soon\n", "not a duration"},
		{"bad size", "max_body_bytes: lots\n", "not a size"},
		{"reserved alias", "aliases:\n  auto: x/y\n", "reserves"},
		{"quality out of range", "route:\n  quality: 1.5\n", "route.quality"},
		{"bad cascade", "route:\n  cascade: maybe\n", "route.cascade"},
		{"routed alias", "aliases:\n  fast: x/y\nroute:\n  routed: [fast]\n", "bare model name"},
		{"unknown privacy category", "privacy:\n  cloud:\n    emails: redact\n", `unknown category "emails"`},
		{"unknown privacy action", "privacy:\n  local:\n    secret: hide\n", `action "hide"`},
		{"custom without pattern", "privacy:\n  custom:\n    - name: x\n", "needs a pattern or words"},
		{"bad custom pattern", "privacy:\n  custom:\n    - name: x\n      pattern: '('\n", "pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.yaml), "c.yaml")
			if err == nil {
				cfg.ApplyDefaults()
				err = cfg.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestLoadExplicitMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil {
		t.Fatal("want an error for a named file that does not exist")
	}
}

func TestLoadEmptyFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != p || cfg.Addr != DefaultAddr {
		t.Fatalf("cfg = %+v", cfg)
	}
}

func TestOllamaURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                        "http://127.0.0.1:11434",
		"0.0.0.0":                 "http://127.0.0.1:11434",
		"localhost:11500":         "http://localhost:11500",
		"http://10.0.0.5:11434/":  "http://10.0.0.5:11434",
		"https://ollama.internal": "https://ollama.internal:11434",
		"[::]:11434":              "http://127.0.0.1:11434",
	} {
		if got := OllamaURL(in); got != want {
			t.Errorf("OllamaURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("addr: 127.0.0.1:1\n"))
	f.Add([]byte("providers:\n  - name: a\n    base_url: http://h\n    timeout: 5s\n"))
	f.Add([]byte("aliases:\n  a: [x/y, z/w]\nmax_body_bytes: 1MB\n"))
	f.Add([]byte("discovery: {engines: [{kind: ollama, url: 'http://h'}]}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := Parse(b, "f.yaml")
		if err != nil {
			return
		}
		cfg.ApplyDefaults()
		_ = cfg.Validate()
		_ = cfg.Redacted()
	})
}
