// Package e2e_test drives the built sovereign binary from the outside, as a user would: it
// starts `sovereign serve` as a subprocess against upstream fakes that replay recorded provider
// traffic byte for byte (and, in llamacpp_test.go, against a real llama.cpp server), and talks
// to it with the official OpenAI Go SDK and plain net/http.
//
// Every test starts its own gateway on its own port with its own configuration, data directory
// and HOME, and a clean environment, so tests run in parallel and never depend on what else
// runs on the machine (discovery of the standard local ports is always off).
package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// Built once by TestMain.
var (
	sovereignBin string // path of the built binary
	repoRoot     string // module root
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	repoRoot = root
	dir, err := os.MkdirTemp("", "sovereign-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	sovereignBin = filepath.Join(dir, "sovereign")
	build := exec.Command("go", "build", "-o", sovereignBin, "./cmd/sovereign")
	build.Dir = root
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building sovereign:", err)
		return 1
	}
	return m.Run()
}

// moduleRoot is the directory of go.mod, found from this file's location.
func moduleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the test source")
	}
	dir := filepath.Dir(filepath.Dir(file))
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", fmt.Errorf("no go.mod above %s: %w", file, err)
	}
	return dir, nil
}

// Secrets and prompt text used in tests. The gateway's log must never contain any of them.
const (
	testAPIKey   = "test-key-123"
	secretPrompt = "e2e-private-prompt-7f3a9c: what is the capital of the UK?"
)

// cleanEnv is the environment a gateway or CLI runs with: PATH only, plus extra. No provider
// keys, no OLLAMA_HOST, no proxies leak in from the machine running the tests.
func cleanEnv(t *testing.T, extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "SOVEREIGN_DATA=" + t.TempDir()}
	return append(env, extra...)
}

// gateway is a running `sovereign serve`.
type gateway struct {
	URL    string // http://127.0.0.1:PORT
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{}
}

// syncBuffer is a bytes.Buffer safe for the process's writer goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startGateway writes cfg (YAML without addr) to a file and runs `sovereign serve` on a free
// loopback port until the test ends. Standard-port discovery is off unless cfg says otherwise.
// After the gateway stops, its log is checked for the test's secrets and prompt text.
func startGateway(t *testing.T, cfg string) *gateway {
	t.Helper()
	if !strings.Contains(cfg, "skip_default_ports") {
		cfg = "discovery:\n  skip_default_ports: true\n" + cfg
	}
	cfg = "log:\n  level: debug\n" + cfg
	path := filepath.Join(t.TempDir(), "sovereign.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// A free port can be taken between choosing and binding it; try again then.
	var lastLog string
	for range 5 {
		g, err := tryStart(t, path)
		if err == nil {
			return g
		}
		lastLog = g.stderr.String()
		if !strings.Contains(lastLog, "address already in use") {
			t.Fatalf("gateway did not start: %v\nconfig:\n%s\nlog:\n%s", err, cfg, lastLog)
		}
	}
	t.Fatalf("gateway did not start: no free port\nlog:\n%s", lastLog)
	return nil
}

func tryStart(t *testing.T, cfgPath string) (*gateway, error) {
	t.Helper()
	addr := freeAddr(t)
	g := &gateway{URL: "http://" + addr, stderr: &syncBuffer{}, exited: make(chan struct{})}
	g.cmd = exec.Command(sovereignBin, "serve", "--config", cfgPath, "--addr", addr)
	g.cmd.Dir = t.TempDir() // no stray ./sovereign.yaml
	g.cmd.Env = cleanEnv(t)
	g.cmd.Stdout = g.stderr
	g.cmd.Stderr = g.stderr
	if err := g.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = g.cmd.Wait()
		close(g.exited)
	}()
	if err := g.waitHealthy(30 * time.Second); err != nil {
		g.kill()
		return g, err
	}
	t.Cleanup(func() {
		g.stop(t)
		if t.Failed() {
			t.Logf("gateway log:\n%s", g.stderr.String())
		}
		checkLogPrivate(t, g.stderr.String())
	})
	return g, nil
}

func (g *gateway) waitHealthy(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-g.exited:
			return fmt.Errorf("sovereign exited: %v", g.cmd.ProcessState)
		default:
		}
		resp, err := c.Get(g.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not an assertion
	}
	return fmt.Errorf("no healthy answer from %s within %v", g.URL, limit)
}

// stop sends SIGTERM and waits for a graceful exit (status 0), killing the process if it hangs.
func (g *gateway) stop(t *testing.T) {
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.exited:
		if code := g.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("gateway exited with status %d after SIGTERM, want 0", code)
		}
	case <-time.After(20 * time.Second): // a failure bound, not a timing assertion
		t.Errorf("gateway did not stop within 20s of SIGTERM")
		g.kill()
	}
}

func (g *gateway) kill() {
	_ = g.cmd.Process.Kill()
	<-g.exited
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// checkLogPrivate fails the test if the gateway's log shows an API key or prompt text.
func checkLogPrivate(t *testing.T, log string) {
	t.Helper()
	for _, s := range []string{testAPIKey, secretPrompt, "e2e-private-prompt"} {
		if strings.Contains(log, s) {
			t.Errorf("the gateway's log contains %q; it must never log keys or prompt text", s)
		}
	}
}

// client returns an OpenAI SDK client for g.
func (g *gateway) client(opts ...option.RequestOption) openai.Client {
	base := []option.RequestOption{option.WithBaseURL(g.URL + "/v1"), option.WithAPIKey("anything"),
		option.WithMaxRetries(0)}
	return openai.NewClient(append(base, opts...)...)
}

// post sends body to path on g and returns the status, headers and body.
func (g *gateway) post(ctx context.Context, t *testing.T, path string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", req.Method, req.URL, err)
	}
	return resp, b
}

// testCtx bounds a test's calls; the bound is a failure guard, not a timing assertion.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// apiError is OpenAI's error envelope, with every field kept raw so that its shape (strings or
// null, present or not) can be checked.
type apiError struct {
	Error struct {
		Message *string         `json:"message"`
		Type    *string         `json:"type"`
		Param   json.RawMessage `json:"param"`
		Code    json.RawMessage `json:"code"`
	} `json:"error"`
}

// wantError describes an expected error answer. Empty fields are not checked, except that
// message and type must always be non-empty strings, and param and code must be present
// (a string or null).
type wantError struct {
	status int
	typ    string
	code   string
	param  string
}

// checkError asserts that resp/body is OpenAI error JSON matching want.
func checkError(t *testing.T, resp *http.Response, body []byte, want wantError) {
	t.Helper()
	if resp.StatusCode != want.status {
		t.Errorf("status %d, want %d; body: %s", resp.StatusCode, want.status, body)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	checkErrorJSON(t, body, want)
}

func checkErrorJSON(t *testing.T, body []byte, want wantError) {
	t.Helper()
	var e apiError
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, body)
	}
	if e.Error.Message == nil || *e.Error.Message == "" {
		t.Errorf("error.message missing or empty: %s", body)
	}
	if e.Error.Type == nil || *e.Error.Type == "" {
		t.Errorf("error.type missing or empty: %s", body)
	} else if want.typ != "" && *e.Error.Type != want.typ {
		t.Errorf("error.type %q, want %q: %s", *e.Error.Type, want.typ, body)
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		want string
	}{{"code", e.Error.Code, want.code}, {"param", e.Error.Param, want.param}} {
		if f.raw == nil {
			t.Errorf("error.%s is missing (OpenAI always sends it, as a string or null): %s", f.name, body)
			continue
		}
		if f.want == "" {
			continue
		}
		var s string
		if err := json.Unmarshal(f.raw, &s); err != nil || s != f.want {
			t.Errorf("error.%s = %s, want %q", f.name, f.raw, f.want)
		}
	}
}

// sdkError asserts that err is an *openai.Error with the wanted status and fields.
func sdkError(t *testing.T, err error, want wantError) *openai.Error {
	t.Helper()
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v (%T), want *openai.Error with status %d", err, err, want.status)
	}
	if apiErr.StatusCode != want.status {
		t.Errorf("SDK error status %d, want %d: %s", apiErr.StatusCode, want.status, apiErr.RawJSON())
	}
	checkErrorJSON(t, []byte(`{"error":`+apiErr.RawJSON()+`}`), want)
	return apiErr
}

// fixture reads testdata/name.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dataLines returns the payloads of an SSE stream's data lines, in order.
func dataLines(stream []byte) []string {
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(string(stream), "\r\n", "\n"), "\n") {
		if p, ok := strings.CutPrefix(line, "data: "); ok {
			out = append(out, p)
		}
	}
	return out
}
