package e2e_test

// Real coding agents through the gateway: Claude Code (Anthropic Messages) and OpenAI Codex
// (Responses), headless, each with a local model (Ollama) and a cloud model, each completing a
// tool-use round trip: the model asks for a shell command, the agent runs it, and the command's
// output reaches the model in the next request.
//
// The agents come from the npm registry (e2e/agents/package.json, installed by
// scripts/install-agents.sh). Telemetry, update checks, plugins and every other outside call
// are turned off through their environment and configuration; they talk to the gateway only.
// The upstream fakes answer in the providers' recorded wire formats, with the tool call the
// test needs.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/ledger"
)

var (
	agentsOnce sync.Once
	agentsBin  string
	agentsErr  error
)

// agentBin returns the path of an installed agent launcher ("claude" or "codex"), installing
// the pinned packages once. Under -short the agent tests are skipped.
func agentBin(t *testing.T, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("coding-agent tests install Claude Code and Codex from npm; skipped with -short")
	}
	agentsOnce.Do(func() {
		cmd := exec.Command("bash", filepath.Join(repoRoot, "scripts", "install-agents.sh"))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			agentsErr = fmt.Errorf("scripts/install-agents.sh: %v\n%s", err, stderr.String())
			return
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		agentsBin = lines[len(lines)-1]
	})
	if agentsErr != nil {
		t.Fatal(agentsErr)
	}
	return filepath.Join(agentsBin, name)
}

// The shell command every agent is asked to run, and what the model says once it saw the
// command's output.
const (
	agentMarker    = "sovereign-ok"
	agentFinalText = "The command printed sovereign-ok."
)

// hasToolResult reports whether a request body carries the marker in a tool result: the agent
// ran the command.
func hasToolResult(body []byte) bool {
	return bytes.Contains(body, []byte(agentMarker)) &&
		(bytes.Contains(body, []byte(`"tool"`)) || bytes.Contains(body, []byte(`"tool_result"`)))
}

// offersTool reports whether a request offers a tool of that name.
func offersTool(body []byte, name string) bool {
	return bytes.Contains(body, []byte(`"name":"`+name+`"`))
}

// ollamaAgentChat answers /api/chat as Ollama streams: a tool call of tool with args on the
// first turn, the final text once the tool result is there. The lines have the shape of the
// recorded docs_chat_tools_stream and chat_stream fixtures.
func ollamaAgentChat(t *testing.T, tool string, args map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var lines []map[string]any
		msg := map[string]any{"role": "assistant", "content": ""}
		switch {
		case hasToolResult(body):
			msg["content"] = agentFinalText
		case offersTool(body, tool):
			msg["tool_calls"] = []any{map[string]any{"function": map[string]any{"name": tool, "arguments": args}}}
		default:
			msg["content"] = "Hello."
		}
		lines = append(lines, map[string]any{"model": "llama3.2", "created_at": "2025-07-07T20:22:19.184789Z", "message": msg, "done": false},
			map[string]any{"model": "llama3.2", "created_at": "2025-07-07T20:22:19.19314Z", "message": map[string]any{"role": "assistant", "content": ""},
				"done_reason": "stop", "done": true, "total_duration": 182242375, "load_duration": 41295167,
				"prompt_eval_count": 169, "prompt_eval_duration": 24573166, "eval_count": 15, "eval_duration": 115959084})
		var out bytes.Buffer
		for _, l := range lines {
			b, _ := json.Marshal(l)
			out.Write(b)
			out.WriteByte('\n')
		}
		writeNDJSON(w, out.Bytes())
	}
}

// openAIAgentChat answers /v1/chat/completions as OpenAI streams (the shape of the recorded
// stream_tool_call_include_usage and stream_text_include_usage fixtures).
func openAIAgentChat(t *testing.T, tool string, args map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		chunk := func(delta map[string]any, finish any) map[string]any {
			return map[string]any{"id": "chatcmpl-agent", "object": "chat.completion.chunk", "created": 1782955817,
				"model": "gpt-4o-mini-2024-07-18", "choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}}}
		}
		var chunks []map[string]any
		switch {
		case hasToolResult(body) || !offersTool(body, tool):
			text := agentFinalText
			if !hasToolResult(body) {
				text = "Hello."
			}
			chunks = append(chunks, chunk(map[string]any{"role": "assistant", "content": ""}, nil),
				chunk(map[string]any{"content": text}, nil), chunk(map[string]any{}, "stop"))
		default:
			a, _ := json.Marshal(args)
			chunks = append(chunks,
				chunk(map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{"index": 0, "id": "call_agent1",
					"type": "function", "function": map[string]any{"name": tool, "arguments": ""}}}}, nil),
				chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": string(a)}}}}, nil),
				chunk(map[string]any{}, "tool_calls"))
		}
		usage := map[string]any{"id": "chatcmpl-agent", "object": "chat.completion.chunk", "created": 1782955817,
			"model": "gpt-4o-mini-2024-07-18", "choices": []any{},
			"usage": map[string]any{"prompt_tokens": 1200, "completion_tokens": 20, "total_tokens": 1220}}
		var out bytes.Buffer
		for _, c := range append(chunks, usage) {
			b, _ := json.Marshal(c)
			fmt.Fprintf(&out, "data: %s\n\n", b)
		}
		out.WriteString("data: [DONE]\n\n")
		writeSSE(w, out.Bytes())
	}
}

// fakeAnthropicAgent is an Anthropic upstream for Claude Code: it streams a Bash tool_use on
// the first turn and the final text after the tool result, as the recorded Anthropic streams
// do, and keeps what it was sent.
type fakeAnthropicAgent struct {
	*httptest.Server
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
}

func newFakeAnthropicAgent(t *testing.T) *fakeAnthropicAgent {
	f := &fakeAnthropicAgent{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, []byte(`{"data":[{"type":"model","id":"claude-sonnet-4-5","display_name":"Claude Sonnet 4.5","created_at":"2025-09-29T00:00:00Z"}],"has_more":false,"first_id":"claude-sonnet-4-5","last_id":"claude-sonnet-4-5"}`))
	})
	mux.HandleFunc("POST /v1/messages", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, body)
		f.headers = append(f.headers, r.Header.Clone())
		f.mu.Unlock()
		ev := func(name string, v any) string {
			b, _ := json.Marshal(v)
			return "event: " + name + "\ndata: " + string(b) + "\n\n"
		}
		var s strings.Builder
		s.WriteString(ev("message_start", map[string]any{"type": "message_start", "message": map[string]any{
			"model": "claude-sonnet-4-5", "id": "msg_01AgentTest", "type": "message", "role": "assistant", "content": []any{},
			"stop_reason": nil, "stop_sequence": nil, "usage": map[string]any{"input_tokens": 702, "cache_creation_input_tokens": 0,
				"cache_read_input_tokens": 0, "output_tokens": 1}}}))
		stop := "end_turn"
		index := 0
		var req struct {
			Thinking struct {
				Type string `json:"type"`
			} `json:"thinking"`
		}
		_ = json.Unmarshal(body, &req)
		if req.Thinking.Type == "enabled" || req.Thinking.Type == "adaptive" {
			// With thinking on, Anthropic's answer starts with a signed thinking block, which
			// the client must send back with a tool result.
			s.WriteString(ev("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
				"content_block": map[string]any{"type": "thinking", "thinking": "", "signature": ""}}))
			s.WriteString(ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
				"delta": map[string]any{"type": "thinking_delta", "thinking": "The user wants the marker printed."}}))
			s.WriteString(ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
				"delta": map[string]any{"type": "signature_delta", "signature": "EqQBCkgIARABGAIiQL2e2e-signature"}}))
			s.WriteString(ev("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0}))
			index = 1
		}
		if !hasToolResult(body) && offersTool(body, "Bash") {
			stop = "tool_use"
			input, _ := json.Marshal(map[string]any{"command": "echo " + agentMarker, "description": "Print the marker"})
			s.WriteString(ev("content_block_start", map[string]any{"type": "content_block_start", "index": index,
				"content_block": map[string]any{"type": "tool_use", "id": "toolu_01AgentTest", "name": "Bash", "input": map[string]any{}}}))
			half := len(input) / 2
			for _, part := range []string{"", string(input[:half]), string(input[half:])} {
				s.WriteString(ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": index,
					"delta": map[string]any{"type": "input_json_delta", "partial_json": part}}))
			}
		} else {
			text := agentFinalText
			if !hasToolResult(body) {
				text = "Hello."
			}
			s.WriteString(ev("content_block_start", map[string]any{"type": "content_block_start", "index": index,
				"content_block": map[string]any{"type": "text", "text": ""}}))
			s.WriteString(ev("content_block_delta", map[string]any{"type": "content_block_delta", "index": index,
				"delta": map[string]any{"type": "text_delta", "text": text}}))
		}
		s.WriteString(ev("content_block_stop", map[string]any{"type": "content_block_stop", "index": index}))
		s.WriteString(ev("message_delta", map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stop, "stop_sequence": nil},
			"usage": map[string]any{"output_tokens": 25}}))
		s.WriteString(ev("message_stop", map[string]any{"type": "message_stop"}))
		writeSSE(w, []byte(s.String()))
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// agentGateway starts a gateway with a local Ollama engine and a cloud provider of the given
// type, both fakes; it returns the gateway, its data directory and its config.
func agentGateway(t *testing.T, ollama *fakeOllama, cloudType, cloudURL string) (*gateway, string) {
	t.Helper()
	dataDir := t.TempDir()
	cfg := fmt.Sprintf(`discovery:
  skip_default_ports: true
  engines:
    - name: ollama
      kind: ollama
      url: %s
providers:
  - name: cloud
    type: %s
    base_url: %s
    api_key: %s
    local: false
`, ollama.URL, cloudType, cloudURL, testAPIKey)
	if cloudType == "openai" {
		cfg += "    models: [gpt-4o-mini]\n"
	} else {
		cfg += "    models: [claude-sonnet-4-5]\n"
	}
	return startGatewayIn(t, cfg, dataDir), dataDir
}

// runAgent runs an agent command with env until it exits or two minutes pass.
func runAgent(t *testing.T, dir string, env []string, name string, args ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = strings.NewReader("")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", filepath.Base(name), strings.Join(args, " "), err, out.String(), tail(errb.String(), 6000))
	}
	return out.String(), errb.String()
}

// agentRecords returns the ledger records of the ingress after the gateway stopped.
func agentRecords(t *testing.T, g *gateway, dataDir, ingress string) []ledger.Record {
	t.Helper()
	g.terminate(t)
	var out []ledger.Record
	for _, r := range readLedger(t, dataDir) {
		if r.Ingress == ingress {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		t.Fatalf("the ledger has no %s record", ingress)
	}
	return out
}

func TestClaudeCode(t *testing.T) {
	claude := agentBin(t, "claude")
	cases := []struct {
		name, model, provider, route string
	}{
		{"local ollama", "ollama/llama3.2:latest", "ollama", "local"},
		{"cloud anthropic", "cloud/claude-sonnet-4-5", "cloud", "cloud"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ollama := newFakeOllama(t, ollamaAgentChat(t, "Bash", map[string]any{"command": "echo " + agentMarker, "description": "Print the marker"}))
			anth := newFakeAnthropicAgent(t)
			g, dataDir := agentGateway(t, ollama, "anthropic", anth.URL)
			home := t.TempDir()
			work := t.TempDir()
			env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "CLAUDE_CONFIG_DIR=" + filepath.Join(home, ".claude"),
				"TERM=dumb", "LANG=C.UTF-8", "ANTHROPIC_BASE_URL=" + g.URL, "ANTHROPIC_API_KEY=sk-ant-e2e-not-a-real-key",
				"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1", "DISABLE_TELEMETRY=1", "DISABLE_AUTOUPDATER=1",
				"DISABLE_ERROR_REPORTING=1", "CLAUDE_CODE_MAX_RETRIES=0"}
			out, _ := runAgent(t, work, env, claude, "-p", "Run the shell command: echo "+agentMarker,
				"--model", tc.model, "--allowedTools", "Bash(echo:*)")
			if !strings.Contains(out, agentFinalText) {
				t.Errorf("Claude Code's answer %q does not hold the model's final text", out)
			}
			recs := agentRecords(t, g, dataDir, "anthropic.messages")
			sawTool := false
			for _, r := range recs {
				if r.Provider != tc.provider || r.Route != tc.route || r.Outcome != ledger.OutcomeOK || !r.Stream {
					t.Errorf("record %+v: want provider %s, route %s, ok, streamed", r, tc.provider, tc.route)
				}
				if r.InputTokens == 0 || r.OutputTokens == 0 {
					t.Errorf("record %s has no tokens", r.RequestID)
				}
			}
			switch tc.provider {
			case "ollama":
				for _, req := range ollama.seen.all() {
					if req.Path == "/api/chat" && hasToolResult(req.Body) {
						sawTool = true
					}
				}
				// Claude Code's prompt-cache breakpoints and thinking have no Ollama equivalent.
				if d := recs[0].Dropped; !strings.Contains(d, "cache_control") || !strings.Contains(d, "context_management") {
					t.Errorf("dropped %q, want cache_control and context_management listed", d)
				}
			case "cloud":
				anth.mu.Lock()
				for i, body := range anth.bodies {
					if hasToolResult(body) {
						sawTool = true
					}
					// Toward Anthropic, what Claude Code sends passes through intact.
					var req struct {
						System []struct {
							CacheControl json.RawMessage `json:"cache_control"`
						} `json:"system"`
						Thinking          json.RawMessage `json:"thinking"`
						ContextManagement json.RawMessage `json:"context_management"`
						Metadata          struct {
							UserID string `json:"user_id"`
						} `json:"metadata"`
						Model string `json:"model"`
					}
					if err := json.Unmarshal(body, &req); err != nil {
						t.Fatal(err)
					}
					cached := 0
					for _, s := range req.System {
						if len(s.CacheControl) > 0 {
							cached++
						}
					}
					if req.Model != "claude-sonnet-4-5" || cached == 0 || len(req.Thinking) == 0 || len(req.ContextManagement) == 0 || req.Metadata.UserID == "" {
						t.Errorf("request %d to Anthropic lost fields: model %q, %d cached system blocks, thinking %s, context_management %s, user_id %q",
							i, req.Model, cached, req.Thinking, req.ContextManagement, req.Metadata.UserID)
					}
					h := anth.headers[i]
					if !strings.Contains(strings.Join(h.Values("Anthropic-Beta"), ","), "claude-code-20250219") {
						t.Errorf("request %d: anthropic-beta %q lost Claude Code's betas", i, h.Values("Anthropic-Beta"))
					}
					if h.Get("X-Api-Key") != testAPIKey {
						t.Errorf("request %d: the upstream got x-api-key %q, want the configured key (never the client's)", i, h.Get("X-Api-Key"))
					}
				}
				anth.mu.Unlock()
			}
			if !sawTool {
				t.Error("no upstream request carried the command's output: the tool round trip did not happen")
			}
		})
	}
}

func TestCodex(t *testing.T) {
	codex := agentBin(t, "codex")
	cases := []struct {
		name, model, provider, route string
	}{
		{"local ollama", "ollama/llama3.2:latest", "ollama", "local"},
		{"cloud openai-compatible", "cloud/gpt-4o-mini", "cloud", "cloud"},
	}
	args := map[string]any{"cmd": "echo " + agentMarker}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ollama := newFakeOllama(t, ollamaAgentChat(t, "exec_command", args))
			cloud := newFakeOpenAI(t, openAIAgentChat(t, "exec_command", args))
			g, dataDir := agentGateway(t, ollama, "openai", cloud.URL+"/v1")
			root := t.TempDir()
			home, codexHome, tmp, work := filepath.Join(root, "home"), filepath.Join(root, "codex"), filepath.Join(root, "tmp"), filepath.Join(root, "work")
			for _, d := range []string{home, codexHome, tmp, work} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			config := fmt.Sprintf(`model = %q
model_provider = "sovereign"
approval_policy = "never"
sandbox_mode = "danger-full-access"
check_for_update_on_startup = false
web_search = "disabled"

[model_providers.sovereign]
name = "Sovereign"
base_url = "%s/v1"
env_key = "SOVEREIGN_API_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[feedback]
enabled = false

[history]
persistence = "none"

[features]
plugins = false
unbounded_connection_retries = false
`, tc.model, g.URL)
			if err := os.WriteFile(filepath.Join(codexHome, "config.toml"), []byte(config), 0o600); err != nil {
				t.Fatal(err)
			}
			env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "CODEX_HOME=" + codexHome, "TMPDIR=" + tmp,
				"TERM=dumb", "LANG=C.UTF-8", "SOVEREIGN_API_KEY=sk-e2e-not-a-real-key"}
			out, _ := runAgent(t, work, env, codex, "exec", "--skip-git-repo-check", "--strict-config",
				"Run the shell command: echo "+agentMarker)
			if !strings.Contains(out, agentFinalText) {
				t.Errorf("Codex's answer %q does not hold the model's final text", out)
			}
			recs := agentRecords(t, g, dataDir, "openai.responses")
			for _, r := range recs {
				if r.Provider != tc.provider || r.Route != tc.route || r.Outcome != ledger.OutcomeOK || !r.Stream {
					t.Errorf("record %+v: want provider %s, route %s, ok, streamed", r, tc.provider, tc.route)
				}
			}
			var reqs []seenRequest
			if tc.provider == "ollama" {
				reqs = ollama.seen.all()
			} else {
				reqs = cloud.seen.all()
			}
			sawTool := false
			for _, req := range reqs {
				if hasToolResult(req.Body) {
					sawTool = true
				}
			}
			if !sawTool {
				t.Error("no upstream request carried the command's output: the tool round trip did not happen")
			}
		})
	}
}

// all returns a copy of every request seen so far.
func (s *seen) all() []seenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seenRequest(nil), s.reqs...)
}
