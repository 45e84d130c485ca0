package e2e_test

// Integration tests against a real local engine: llama.cpp's llama-server serving a tiny GGUF
// model with random weights. Its text is gibberish, so these tests assert the protocol (status
// codes, streaming, usage, finish reasons, model discovery, embeddings), never the words.
//
// The server binary is $SOVEREIGN_LLAMA_SERVER, else what scripts/build-llama-server.sh prints
// (it answers at once when the build is cached). The model is $SOVEREIGN_TEST_MODEL, else
// ../shared/models/llama-2-tiny-random.gguf next to the repository. -short skips these tests.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// llamaCtx is the context size llama-server runs with, which the gateway must report.
const llamaCtx = 2048

func llamaServerBin(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("SOVEREIGN_LLAMA_SERVER"); bin != "" {
		return bin
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(repoRoot, "scripts", "build-llama-server.sh"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/build-llama-server.sh: %v\n%s\n(set SOVEREIGN_LLAMA_SERVER to a llama-server binary, or run with -short to skip)", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

func testModel(t *testing.T) string {
	t.Helper()
	path := os.Getenv("SOVEREIGN_TEST_MODEL")
	if path == "" {
		path = filepath.Join(repoRoot, "..", "shared", "models", "llama-2-tiny-random.gguf")
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("test model missing: %v; set SOVEREIGN_TEST_MODEL to llama-2-tiny-random.gguf (see ../shared/models/PROVENANCE.md)", err)
	}
	return path
}

// startLlamaServer runs llama-server on a free port until the test ends and returns its root URL.
func startLlamaServer(t *testing.T) string {
	t.Helper()
	bin, model := llamaServerBin(t), testModel(t)
	var log syncBuffer
	for range 5 {
		addr := freeAddr(t)
		_, port, _ := strings.Cut(addr, ":")
		cmd := exec.Command(bin, "-m", model, "--alias", "tiny", "--host", "127.0.0.1", "--port", port,
			"--embeddings", "--pooling", "mean", "-c", fmt.Sprint(llamaCtx))
		cmd.Env = cleanEnv(t)
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() {
			_ = cmd.Wait()
			close(exited)
		}()
		stop := func() {
			_ = cmd.Process.Kill()
			<-exited
		}
		url := "http://" + addr
		if err := waitLlama(url, exited); err != nil {
			stop()
			if strings.Contains(log.String(), "bind") || strings.Contains(log.String(), "address already in use") {
				continue
			}
			t.Fatalf("llama-server: %v\n%s", err, log.String())
		}
		t.Cleanup(func() {
			stop()
			if t.Failed() {
				t.Logf("llama-server log (tail):\n%s", tail(log.String(), 4000))
			}
		})
		return url
	}
	t.Fatalf("llama-server found no free port:\n%s", log.String())
	return ""
}

func waitLlama(url string, exited <-chan struct{}) error {
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("exited")
		default:
		}
		if resp, err := c.Get(url + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond) // polling interval, not an assertion
	}
	return errors.New("no healthy answer within 60s")
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func TestLlamaCPP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real llama-server; skipped with -short")
	}
	t.Parallel()
	llama := startLlamaServer(t)
	g := startGateway(t, fmt.Sprintf("discovery:\n  skip_default_ports: true\n  engines:\n    - kind: llamacpp\n      url: %s\n", llama))
	c := g.client()

	t.Run("models", func(t *testing.T) {
		t.Parallel()
		page, err := c.Models.List(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, m := range page.Data {
			if m.ID != "llamacpp/tiny" {
				continue
			}
			found = true
			var info struct {
				Route         string `json:"route"`
				ContextLength int    `json:"context_length"`
			}
			if err := json.Unmarshal([]byte(m.RawJSON()), &info); err != nil {
				t.Fatal(err)
			}
			if info.Route != "local" || info.ContextLength != llamaCtx {
				t.Errorf("llamacpp/tiny: %+v, want route local and context_length %d (the server's n_ctx)", info, llamaCtx)
			}
		}
		if !found {
			t.Errorf("models %+v lack llamacpp/tiny", page.Data)
		}
		m, err := c.Models.Get(testCtx(t), "llamacpp/tiny")
		if err != nil || m.ID != "llamacpp/tiny" {
			t.Errorf("get llamacpp/tiny: %+v, %v", m, err)
		}
	})

	for _, model := range []string{"llamacpp/tiny", "tiny"} {
		t.Run("chat "+model, func(t *testing.T) {
			t.Parallel()
			var httpResp *http.Response
			resp, err := c.Chat.Completions.New(testCtx(t), openai.ChatCompletionNewParams{Model: model,
				Messages: userMessage(), MaxTokens: openai.Int(5)}, option.WithResponseInto(&httpResp))
			if err != nil {
				t.Fatal(err)
			}
			checkRoute(t, httpResp, "local", "llamacpp/tiny")
			if resp.Object != "chat.completion" || resp.ID == "" || len(resp.Choices) != 1 {
				t.Fatalf("answer %s", resp.RawJSON())
			}
			if ch := resp.Choices[0]; ch.FinishReason != "length" || ch.Message.Role != "assistant" {
				t.Errorf("finish_reason %q role %q, want length (max_tokens 5) and assistant", ch.FinishReason, ch.Message.Role)
			}
			if u := resp.Usage; u.CompletionTokens != 5 || u.PromptTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
				t.Errorf("usage %+v, want 5 completion tokens and some prompt tokens", u)
			}
		})
	}

	t.Run("stream", func(t *testing.T) {
		t.Parallel()
		for _, include := range []bool{true, false} {
			p := openai.ChatCompletionNewParams{Model: "llamacpp/tiny", Messages: userMessage(), MaxTokens: openai.Int(5)}
			if include {
				p.StreamOptions.IncludeUsage = openai.Bool(true)
			}
			var httpResp *http.Response
			s := c.Chat.Completions.NewStreaming(testCtx(t), p, option.WithResponseInto(&httpResp))
			var content, usageChunks int
			var finish []string
			var usage openai.CompletionUsage
			for s.Next() {
				ch := s.Current()
				if ch.Object != "chat.completion.chunk" {
					t.Errorf("object %q", ch.Object)
				}
				for _, c := range ch.Choices {
					if c.Delta.Content != "" {
						content++
					}
					if c.FinishReason != "" {
						finish = append(finish, c.FinishReason)
					}
				}
				if ch.JSON.Usage.Valid() && ch.Usage.TotalTokens > 0 {
					usageChunks++
					usage = ch.Usage
					if len(ch.Choices) != 0 {
						t.Errorf("usage chunk with %d choices", len(ch.Choices))
					}
				}
			}
			if err := s.Err(); err != nil {
				t.Fatalf("include_usage %v: %v", include, err)
			}
			checkRoute(t, httpResp, "local", "llamacpp/tiny")
			if content == 0 {
				t.Errorf("include_usage %v: no content chunk", include)
			}
			if !slices.Equal(finish, []string{"length"}) {
				t.Errorf("include_usage %v: finish reasons %q, want one length", include, finish)
			}
			switch {
			case include && (usageChunks != 1 || usage.CompletionTokens != 5 || usage.PromptTokens <= 0):
				t.Errorf("usage chunks %d, usage %+v; want one, with 5 completion tokens", usageChunks, usage)
			case !include && usageChunks != 0:
				t.Errorf("%d usage chunks though the caller did not ask for usage", usageChunks)
			}
		}
	})

	t.Run("stream ends with DONE", func(t *testing.T) {
		t.Parallel()
		resp, body := g.post(testCtx(t), t, "/v1/chat/completions", chatBody("llamacpp/tiny", map[string]any{"stream": true, "max_tokens": 3}))
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
			t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		lines := dataLines(body)
		if len(lines) < 2 || lines[len(lines)-1] != "[DONE]" {
			t.Errorf("stream does not end with [DONE]: %s", body)
		}
		for _, l := range lines[:len(lines)-1] {
			if !json.Valid([]byte(l)) || strings.HasPrefix(l, `{"error"`) {
				t.Errorf("event %s", l)
			}
		}
	})

	t.Run("embeddings", func(t *testing.T) {
		t.Parallel()
		var httpResp *http.Response
		resp, err := c.Embeddings.New(testCtx(t), openai.EmbeddingNewParams{Model: "llamacpp/tiny",
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{secretPrompt, "a second input"}}},
			option.WithResponseInto(&httpResp))
		if err != nil {
			t.Fatal(err)
		}
		checkRoute(t, httpResp, "local", "llamacpp/tiny")
		if len(resp.Data) != 2 {
			t.Fatalf("%d vectors, want 2", len(resp.Data))
		}
		for i, d := range resp.Data {
			if d.Index != int64(i) || len(d.Embedding) == 0 || len(d.Embedding) != len(resp.Data[0].Embedding) {
				t.Errorf("vector %d: index %d, %d dimensions", i, d.Index, len(d.Embedding))
			}
		}
		if resp.Usage.PromptTokens <= 0 {
			t.Errorf("usage %+v, want prompt tokens", resp.Usage)
		}
	})

	t.Run("tools", func(t *testing.T) {
		t.Parallel()
		// The model is random and its template knows no tools: the engine either answers
		// (any finish reason) or refuses clearly. Either way the protocol must hold.
		resp, body := g.post(testCtx(t), t, "/v1/chat/completions", chatBody("llamacpp/tiny", map[string]any{
			"max_tokens": 5, "tool_choice": "auto",
			"tools": []any{map[string]any{"type": "function", "function": map[string]any{"name": "get_weather",
				"parameters": map[string]any{"type": "object", "properties": map[string]any{"city": map[string]string{"type": "string"}}}}}}}))
		t.Logf("status %d", resp.StatusCode)
		switch resp.StatusCode {
		case http.StatusOK:
			var cc openai.ChatCompletion
			if err := json.Unmarshal(body, &cc); err != nil || len(cc.Choices) != 1 {
				t.Fatalf("answer %s (%v)", body, err)
			}
			if fr := cc.Choices[0].FinishReason; !slices.Contains([]string{"stop", "length", "tool_calls"}, fr) {
				t.Errorf("finish_reason %q", fr)
			}
			for _, tc := range cc.Choices[0].Message.ToolCalls {
				if tc.ID == "" || tc.Function.Name == "" {
					t.Errorf("tool call without id or name: %+v", tc)
				}
			}
		case http.StatusBadRequest:
			checkError(t, resp, body, wantError{status: http.StatusBadRequest})
		default:
			t.Errorf("status %d, want 200 or 400: %s", resp.StatusCode, body)
		}
	})

	t.Run("prompt longer than the context", func(t *testing.T) {
		t.Parallel()
		long := strings.Repeat("word ", 20000)
		for _, stream := range []bool{false, true} {
			body, _ := json.Marshal(map[string]any{"model": "llamacpp/tiny", "stream": stream, "max_tokens": 5,
				"messages": []map[string]string{{"role": "user", "content": long}}})
			resp, b := g.post(testCtx(t), t, "/v1/chat/completions", body)
			// llama-server refuses it; the gateway passes that on as a 400, never a 200 with
			// an answer to a truncated prompt. (Its type, exceed_context_size_error, is passed
			// on as it is, with code null; docs/ERRORS.md promises context_length_exceeded.)
			checkError(t, resp, b, wantError{status: http.StatusBadRequest})
			t.Logf("stream %v: %s", stream, b)
			if !strings.Contains(string(b), "context") {
				t.Errorf("stream %v: error %s does not say the context is too small", stream, b)
			}
		}
	})
}
