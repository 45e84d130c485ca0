package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// chat sends one prompt through a running gateway and prints the answer as it streams. It
// speaks plain OpenAI JSON, as any client would.
func chat(ctx context.Context, args []string, env Env) error {
	fs := newFlags("chat", env)
	url := fs.String("url", "", "gateway URL (default $SOVEREIGN_URL, else http://127.0.0.1:8420)")
	model := fs.String("model", "auto", "model: auto, local, cloud, an alias, or provider/model")
	system := fs.String("system", "", "system prompt")
	if err := parse(fs, args); err != nil {
		return err
	}
	prompt := strings.Join(fs.Args(), " ")
	if prompt == "" || prompt == "-" {
		b, err := io.ReadAll(env.Stdin)
		if err != nil {
			return err
		}
		prompt = strings.TrimSpace(string(b))
	}
	if prompt == "" {
		return errors.New("no prompt: pass it as an argument or on standard input")
	}
	base := *url
	if base == "" {
		base = env.Getenv("SOVEREIGN_URL")
	}
	if base == "" {
		base = "http://127.0.0.1:8420"
	}
	base = strings.TrimSuffix(strings.TrimSuffix(base, "/"), "/v1")

	type msg struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	var msgs []msg
	if *system != "" {
		msgs = append(msgs, msg{"system", *system})
	}
	msgs = append(msgs, msg{"user", prompt})
	body, _ := json.Marshal(map[string]any{"model": *model, "messages": msgs, "stream": true,
		"stream_options": map[string]bool{"include_usage": true}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/chat/completions", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the gateway at %s: %w; start it with `sovereign serve`", base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return fmt.Errorf("gateway answered %s: %s", resp.Status, errorMessage(b))
	}
	fmt.Fprintf(env.Stderr, "[%s via %s]\n", resp.Header.Get("X-Sovereign-Model"), resp.Header.Get("X-Sovereign-Route"))
	r := sse.NewReader(resp.Body)
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return errors.New("the stream ended early")
		}
		if err != nil {
			return err
		}
		if string(ev.Data) == "[DONE]" {
			fmt.Fprintln(env.Stdout)
			return nil
		}
		var c struct {
			Choices []struct {
				Delta struct {
					Content   string `json:"content"`
					Reasoning string `json:"reasoning_content"`
					ToolCalls []struct {
						Function struct {
							Name      string `json:"name"`
							Arguments string `json:"arguments"`
						} `json:"function"`
					} `json:"tool_calls"`
				} `json:"delta"`
			} `json:"choices"`
			Usage *struct {
				Prompt     int `json:"prompt_tokens"`
				Completion int `json:"completion_tokens"`
			} `json:"usage"`
			Error *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(ev.Data, &c); err != nil {
			return fmt.Errorf("unreadable event from the gateway: %w", err)
		}
		if c.Error != nil {
			fmt.Fprintln(env.Stdout)
			return fmt.Errorf("the answer failed midway: %s", c.Error.Message)
		}
		for _, ch := range c.Choices {
			fmt.Fprint(env.Stdout, ch.Delta.Content)
			for _, tc := range ch.Delta.ToolCalls {
				fmt.Fprint(env.Stdout, tc.Function.Name, tc.Function.Arguments)
			}
		}
		if c.Usage != nil {
			defer fmt.Fprintf(env.Stderr, "[%d prompt + %d completion tokens]\n", c.Usage.Prompt, c.Usage.Completion)
		}
	}
}

func errorMessage(b []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	return strings.TrimSpace(string(b))
}
