package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/ledger/sqlite"
)

// doctor checks everything the gateway depends on and says in plain words what to fix.
func doctor(ctx context.Context, args []string, env Env) error {
	fs := newFlags("doctor", env)
	cfgPath := fs.String("config", "", "configuration file")
	if err := parse(fs, args); err != nil {
		return err
	}
	out := env.Stdout
	problems := 0
	ok := func(format string, a ...any) { fmt.Fprintf(out, "  ok    "+format+"\n", a...) }
	warn := func(format string, a ...any) { fmt.Fprintf(out, "  warn  "+format+"\n", a...) }
	bad := func(format string, a ...any) {
		problems++
		fmt.Fprintf(out, "  FAIL  "+format+"\n", a...)
	}

	fmt.Fprintln(out, "Configuration")
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		bad("%v", err)
		return fmt.Errorf("the configuration has an error; fix it and run `sovereign doctor` again")
	}
	if cfg.File != "" {
		ok("read %s", cfg.File)
	} else {
		ok("no configuration file: using defaults and the environment (`sovereign init` writes one)")
	}

	fmt.Fprintln(out, "Listen address")
	checkPort(cfg.Addr, ok, warn, bad)

	fmt.Fprintln(out, "Data directory")
	if err := checkDataDir(cfg.DataDir); err != nil {
		bad("%s is not writable: %v; set SOVEREIGN_DATA or data_dir to a directory you own", cfg.DataDir, err)
	} else {
		ok("%s is writable", cfg.DataDir)
	}

	fmt.Fprintln(out, "Ledger")
	if path := LedgerPath(cfg); fileExists(path) {
		if st, err := sqlite.Open(path, sqlite.Options{}); err != nil {
			bad("%v", err)
		} else {
			st.Close()
			ok("%s opens and passes its integrity check (durability: %s)", path, cfg.Ledger.Durability)
		}
	} else {
		ok("%s will be created on start (durability: %s)", path, cfg.Ledger.Durability)
	}

	fmt.Fprintln(out, "Cloud keys")
	for _, k := range []string{"OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY", "GROQ_API_KEY", "MISTRAL_API_KEY", "DEEPSEEK_API_KEY"} {
		if env.Getenv(k) != "" {
			ok("%s is set", k)
		}
	}
	for _, p := range cfg.Providers {
		if p.APIKey.Ref != "" && p.APIKey.Value() == "" {
			bad("provider %s needs $%s, which is not set", p.Name, p.APIKey.Ref)
		}
	}

	fmt.Fprintln(out, "Providers and local engines")
	cat := probe(ctx, cfg)
	reachable := 0
	for _, e := range cat.Entries() {
		switch {
		case e.Reachable:
			reachable++
			ok("%-12s %-5s %s: %d models", e.Name, e.Route(), e.BaseURL, len(e.Models))
		case e.Local:
			bad("%-12s %-5s %s: %s; start the engine or correct its URL", e.Name, e.Route(), e.BaseURL, e.LastError)
		default:
			bad("%-12s %-5s %s: %s; check the key and the network", e.Name, e.Route(), e.BaseURL, e.LastError)
		}
	}
	if !cfg.Discovery.Disabled && !cfg.Discovery.SkipDefaultPorts {
		for _, d := range []struct{ name, hint string }{
			{"ollama", "Ollama (port 11434): install from ollama.com, then `ollama pull qwen2.5:3b`"},
			{"llamacpp", "llama.cpp (port 8080): `llama-server -m MODEL.gguf`"},
			{"lmstudio", "LM Studio (port 1234): enable its local server"},
			{"vllm", "vLLM (port 8000): `vllm serve MODEL`"},
		} {
			if cat.Get(d.name) == nil {
				warn("not running: %s", d.hint)
			}
		}
	}
	if reachable == 0 {
		bad("no provider is reachable: the gateway will start, but every request will fail until a local engine runs or a cloud key is set")
	}
	if problems > 0 {
		return fmt.Errorf("%d problem(s) found", problems)
	}
	fmt.Fprintln(out, "All good.")
	return nil
}

func checkPort(addr string, ok, warn, bad func(string, ...any)) {
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		ln.Close()
		ok("%s is free", addr)
		host, _, _ := net.SplitHostPort(addr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			warn("%s is reachable from other machines; keep it on 127.0.0.1 unless you mean that", addr)
		}
		return
	}
	c := &http.Client{Timeout: 2 * time.Second}
	resp, herr := c.Get("http://" + addr + "/healthz")
	if herr == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			ok("%s: a gateway is already running there", addr)
			return
		}
	}
	bad("%s is taken by another program; stop it or start the gateway with --addr 127.0.0.1:PORT", addr)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func checkDataDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".doctor-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	if err := os.Remove(name); err != nil {
		return err
	}
	if filepath.Clean(dir) == "" {
		return errors.New("empty path")
	}
	return nil
}
