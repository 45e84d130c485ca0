package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cliResult is what one run of the sovereign command did.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runCLI runs the built binary with args in a clean environment and a scratch directory.
func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, sovereignBin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = cleanEnv(t)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := cliResult{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("sovereign %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("sovereign %v did not finish within 60s", args)
	}
	return r
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCLIVersion(t *testing.T) {
	t.Parallel()
	r := runCLI(t, "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "sovereign ") {
		t.Errorf("exit %d, stdout %q; want 0 and \"sovereign VERSION\"", r.code, r.stdout)
	}
	if r := runCLI(t, "no-such-command"); r.code != 2 || !strings.Contains(r.stderr, "unknown command") {
		t.Errorf("unknown command: exit %d, stderr %q; want 2 and the usage", r.code, r.stderr)
	}
}

func TestCLIInit(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sovereign.yaml")
	if r := runCLI(t, "init", path); r.code != 0 || !strings.Contains(r.stdout, "wrote "+path) {
		t.Fatalf("init: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	written, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	// It does not overwrite a file unless told to.
	if err := os.WriteFile(path, []byte("# mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "init", path)
	if r.code == 0 || !strings.Contains(r.stderr, "already exists") || !strings.Contains(r.stderr, "--force") {
		t.Errorf("init over a file: exit %d, stderr %q; want a failure that mentions --force", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(path); string(b) != "# mine\n" {
		t.Errorf("init changed an existing file without --force")
	}
	if r := runCLI(t, "init", "--force", path); r.code != 0 {
		t.Fatalf("init --force: exit %d, stderr %q", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(path); !bytes.Equal(b, written) {
		t.Errorf("init --force did not write the example again")
	}

	// The file it writes is a valid configuration. Keep this test off the standard ports.
	cfg := strings.Replace(string(written), "skip_default_ports: false", "skip_default_ports: true", 1)
	cfg = strings.Replace(cfg, "addr: 127.0.0.1:8420", "addr: "+freeAddr(t), 1)
	if cfg == string(written) {
		t.Fatal("the example no longer has the lines this test edits")
	}
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, "models", "--config", path, "--json")
	if r.code != 0 {
		t.Fatalf("models on the example: exit %d, stderr %q", r.code, r.stderr)
	}
	var out struct {
		Models []any `json:"models"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Models) != 0 {
		t.Errorf("models --json: %q (%v), want an empty list", r.stdout, err)
	}
	// With nothing to reach, doctor reads the file, checks every section and says what is wrong.
	r = runCLI(t, "doctor", "--config", path)
	for _, want := range []string{"Configuration", "read " + path, "Listen address", "Data directory", "Providers and local engines", "no provider is reachable"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("doctor output lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code != 1 {
		t.Errorf("doctor with no provider: exit %d, want 1", r.code)
	}
}

func TestCLIDoctorAllGood(t *testing.T) {
	t.Parallel()
	f := newFakeOpenAI(t, nil)
	path := writeFile(t, "sovereign.yaml", "addr: "+freeAddr(t)+"\ndiscovery:\n  skip_default_ports: true\n"+fakeaiConfig(f))
	r := runCLI(t, "doctor", "--config", path)
	if r.code != 0 || !strings.Contains(r.stdout, "All good.") || !strings.Contains(r.stdout, "fakeai") {
		t.Errorf("doctor: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, testAPIKey) {
		t.Errorf("doctor printed the API key")
	}
}

func TestCLIServeRejectsUnknownKey(t *testing.T) {
	t.Parallel()
	path := writeFile(t, "sovereign.yaml", "addr: "+freeAddr(t)+"\ndiscovery:\n  skip_default_ports: true\nmax_body_byte: 1MB\n")
	r := runCLI(t, "serve", "--config", path)
	if r.code == 0 {
		t.Fatal("serve started with an unknown key in its configuration")
	}
	if want := path + `:4: unknown key "max_body_byte"`; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q, want it to name the file, line and key: %s", r.stderr, want)
	}

	// A nested section names it too.
	path = writeFile(t, "sovereign.yaml", "discovery:\n  skip_default_ports: true\n  enginez: []\n")
	r = runCLI(t, "serve", "--config", path)
	if r.code == 0 || !strings.Contains(r.stderr, path+`:3: unknown key "enginez"`) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestCLIModels(t *testing.T) {
	t.Parallel()
	f := newFakeOpenAI(t, nil)
	o := newFakeOllama(t, nil)
	path := writeFile(t, "sovereign.yaml", ollamaConfig(o)+fakeaiConfig(f))
	r := runCLI(t, "models", "--config", path, "--json")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var out struct {
		Models []struct {
			Model         string   `json:"model"`
			Route         string   `json:"route"`
			ContextLength int      `json:"context_length"`
			Capabilities  []string `json:"capabilities"`
		} `json:"models"`
		Unreachable []string `json:"unreachable"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	got := map[string]string{}
	for _, m := range out.Models {
		got[m.Model] = m.Route
	}
	for model, route := range map[string]string{"fakeai/gpt-4o-mini": "cloud", "fakeai/text-embedding-3-small": "cloud",
		"ollama/llama3.2:latest": "local", "ollama/gemma3:1b": "local"} {
		if got[model] != route {
			t.Errorf("%s: route %q, want %q (all: %v)", model, got[model], route, got)
		}
	}
	if len(out.Unreachable) != 0 {
		t.Errorf("unreachable %v", out.Unreachable)
	}
	// Local models come first.
	if len(out.Models) == 0 || out.Models[0].Route != "local" {
		t.Errorf("first model %+v, want a local one", out.Models)
	}

	r = runCLI(t, "models", "--config", path)
	if r.code != 0 || !strings.Contains(r.stdout, "MODEL") || !strings.Contains(r.stdout, "ollama/llama3.2:latest") {
		t.Errorf("table: exit %d\n%s", r.code, r.stdout)
	}
}

func TestCLIChat(t *testing.T) {
	t.Parallel()
	f := newFakeOpenAI(t, nil)
	o := newFakeOllama(t, nil)
	g := startGateway(t, ollamaConfig(o)+fakeaiConfig(f))
	ollamaText, _ := recordedOllamaStream(t, fixture(t, "ollama/chat_stream.response.ndjson"))

	for _, tc := range []struct {
		model, text, header string
	}{
		{"fakeai/gpt-4o-mini", "The capital of the UK is London.", "[fakeai/gpt-4o-mini via cloud]"},
		{"ollama/gemma3:1b", ollamaText, "[ollama/gemma3:1b via local]"},
	} {
		t.Run(tc.model, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, "chat", "--url", g.URL, "--model", tc.model, secretPrompt)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
			}
			if r.stdout != tc.text+"\n" {
				t.Errorf("stdout %q, want %q", r.stdout, tc.text+"\n")
			}
			if !strings.Contains(r.stderr, tc.header) || !strings.Contains(r.stderr, "completion tokens]") {
				t.Errorf("stderr %q, want the route and the usage", r.stderr)
			}
		})
	}

	t.Run("unknown model", func(t *testing.T) {
		t.Parallel()
		r := runCLI(t, "chat", "--url", g.URL+"/v1", "--model", "nope/x", "hi")
		if r.code != 1 || !strings.Contains(r.stderr, "404") || !strings.Contains(r.stderr, "not available") {
			t.Errorf("exit %d, stderr %q; want 1 and the gateway's 404 message", r.code, r.stderr)
		}
	})
	t.Run("no gateway", func(t *testing.T) {
		t.Parallel()
		r := runCLI(t, "chat", "--url", closedURL(t), "hi")
		if r.code != 1 || !strings.Contains(r.stderr, "cannot reach the gateway") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
}
