package e2e_test

// The local-first router through a real gateway process: "auto" decided by the shipped quality
// model against the quality knob (configuration and the x-sovereign-quality header), names
// routed like "auto", the explanation in a header and in the ledger, and cascades that escalate
// a failed local answer to the cloud, plain and streamed.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// refusal is what a local model says when it gives up; the cascade's refusal check knows it.
const refusal = "I'm sorry, but I can't help with that."

// refusingChat answers like the recorded plain and streamed answers, with the text replaced by
// a refusal.
func refusingChat(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !bytes.Contains(body, []byte(`"stream":true`)) {
			var m map[string]any
			_ = json.Unmarshal(load(t, "openai-chat/plain.response.json"), &m)
			m["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"] = refusal
			b, _ := json.Marshal(m)
			writeJSON(w, http.StatusOK, b)
			return
		}
		var out bytes.Buffer
		first := true
		for _, ev := range sseEvents(load(t, "openai-chat/stream_text_include_usage.response.sse")) {
			data, ok := bytes.CutPrefix(bytes.TrimSpace(ev), []byte("data: "))
			var m map[string]any
			if !ok || json.Unmarshal(data, &m) != nil {
				out.Write(ev)
				continue
			}
			for _, c := range m["choices"].([]any) {
				d := c.(map[string]any)["delta"].(map[string]any)
				if s, _ := d["content"].(string); s != "" {
					d["content"] = ""
					if first {
						d["content"], first = refusal, false
					}
				}
			}
			b, _ := json.Marshal(m)
			fmt.Fprintf(&out, "data: %s\n\n", b)
		}
		writeSSE(w, out.Bytes())
	}
}

// chatAnswer sends p through c, streamed or not, and returns the answer's text and the HTTP
// response (for its headers).
func chatAnswer(ctx context.Context, t *testing.T, c openai.Client, p openai.ChatCompletionNewParams, stream bool) (string, *http.Response) {
	t.Helper()
	var raw *http.Response
	if !stream {
		resp, err := c.Chat.Completions.New(ctx, p, option.WithResponseInto(&raw))
		if err != nil {
			t.Fatal(err)
		}
		return resp.Choices[0].Message.Content, raw
	}
	s := c.Chat.Completions.NewStreaming(ctx, p, option.WithResponseInto(&raw))
	var b strings.Builder
	for s.Next() {
		for _, ch := range s.Current().Choices {
			b.WriteString(ch.Delta.Content)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return b.String(), raw
}

func routeConfig(local, cloud string, extra string) string {
	return fmt.Sprintf(`providers:
  - name: home
    type: openai
    base_url: %s/v1
    local: true
  - name: cloud
    type: openai
    base_url: %s/v1
    local: false
    api_key: %s
defaults:
  cloud: cloud/gpt-4o-mini
%s`, local, cloud, testAPIKey, extra)
}

func TestRouteAuto(t *testing.T) {
	local := newFakeOpenAI(t, nil)
	cloud := newFakeOpenAI(t, nil)
	dataDir := t.TempDir()
	g := startGatewayIn(t, routeConfig(local.URL, cloud.URL, "route:\n  quality: 0.5\n  routed: [gpt-4o]\n"), dataDir)
	ctx := testCtx(t)
	c := g.client()

	ask := func(model, quality string) (*http.Response, error) {
		var raw *http.Response
		opts := []option.RequestOption{option.WithResponseInto(&raw)}
		if quality != "" {
			opts = append(opts, option.WithHeader("X-Sovereign-Quality", quality))
		}
		_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: model,
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi! What is the capital of France?")}}, opts...)
		return raw, err
	}
	for _, tc := range []struct {
		name, model, quality string
		route, reason        string
	}{
		// Quality 0 keeps everything local, 1 sends everything to the cloud.
		{"quality 0", "auto", "0", "local", "auto: local, p(local ok)="},
		{"quality 1", "auto", "1", "cloud", "auto: cloud, p(local ok)="},
		{"routed name", "gpt-4o", "1", "cloud", "auto: cloud, p(local ok)="},
		{"local", "local", "", "local", "local: requested"},
		{"explicit", "cloud/gpt-4o-mini", "", "cloud", "explicit: cloud/gpt-4o-mini"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := ask(tc.model, tc.quality)
			if err != nil {
				t.Fatal(err)
			}
			if got := resp.Header.Get("X-Sovereign-Route"); got != tc.route {
				t.Errorf("route %q, want %q", got, tc.route)
			}
			if got := resp.Header.Get("X-Sovereign-Route-Reason"); !strings.HasPrefix(got, tc.reason) {
				t.Errorf("reason %q, want it to begin %q", got, tc.reason)
			}
		})
	}

	// The default knob, 0.5, decides by the model's estimate: an easy question stays home.
	resp, err := ask("auto", "")
	if err != nil {
		t.Fatal(err)
	}
	reason := resp.Header.Get("X-Sovereign-Route-Reason")
	if !strings.HasPrefix(reason, "auto: local, p(local ok)=") || !strings.HasSuffix(reason, ">= 0.50") {
		t.Errorf("easy question: reason %q, want local at threshold 0.50", reason)
	}

	// A knob that is not a number from 0 to 1 is the caller's mistake.
	_, err = ask("auto", "high")
	if e := sdkError(t, err, wantError{status: 400, typ: "invalid_request_error", code: "invalid_value"}); e != nil && !strings.Contains(e.Message, "X-Sovereign-Quality") {
		t.Errorf("message %q does not name the header", e.Message)
	}

	// A request the privacy policy keeps from the cloud stays home, whatever the knob says.
	var raw *http.Response
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "auto",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Why is " + secretKey + " refused?")}},
		option.WithResponseInto(&raw), option.WithHeader("X-Sovereign-Quality", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if raw.Header.Get("X-Sovereign-Route") != "local" || raw.Header.Get("X-Sovereign-Route-Reason") != "auto: local, privacy: secret=block" ||
		raw.Header.Get("X-Sovereign-Privacy") != "secret=allow" {
		t.Errorf("secret: route %q reason %q privacy %q, want it kept local", raw.Header.Get("X-Sovereign-Route"),
			raw.Header.Get("X-Sovereign-Route-Reason"), raw.Header.Get("X-Sovereign-Privacy"))
	}

	g.stop(t)
	recs := readLedger(t, dataDir)
	if len(recs) != 8 {
		t.Fatalf("%d records, want 8", len(recs))
	}
	for _, r := range recs {
		if r.Status != 200 {
			continue
		}
		if r.RouteReason == "" || len(r.Decision) == 0 {
			t.Errorf("record %s (%s) has no route reason or decision", r.RequestID, r.RequestedModel)
			continue
		}
		var d struct {
			Strategy string   `json:"strategy"`
			Order    []string `json:"order"`
			Reason   string   `json:"reason"`
			Score    *struct {
				P         float64        `json:"p_local_ok"`
				Threshold float64        `json:"threshold"`
				Tag       string         `json:"tag"`
				Features  map[string]any `json:"features"`
			} `json:"score"`
		}
		if err := json.Unmarshal(r.Decision, &d); err != nil {
			t.Fatalf("decision %s: %v", r.Decision, err)
		}
		if d.Reason != r.RouteReason || len(d.Order) == 0 {
			t.Errorf("decision %s does not match reason %q", r.Decision, r.RouteReason)
		}
		if (r.RequestedModel == "auto" || r.RequestedModel == "gpt-4o") && r.Privacy == "none" {
			if d.Strategy != "auto" || d.Score == nil || d.Score.Tag == "" || d.Score.Features["tokens"] == nil {
				t.Errorf("auto decision without its score: %s", r.Decision)
			}
			if strings.Contains(string(r.Decision), "capital of France") || strings.Contains(string(r.Decision), secretKey) {
				t.Error("the decision holds prompt text")
			}
		}
	}
}

func TestRouteCascade(t *testing.T) {
	local := newFakeOpenAI(t, refusingChat(t))
	cloud := newFakeOpenAI(t, nil)
	dataDir := t.TempDir()
	g := startGatewayIn(t, routeConfig(local.URL, cloud.URL, "route:\n  quality: 0\n  cascade: on\n"), dataDir)
	ctx := testCtx(t)
	c := g.client()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi! What is the capital of France?")}

	text, raw := chatAnswer(ctx, t, c, openai.ChatCompletionNewParams{Model: "auto", Messages: msgs}, false)
	if raw.Header.Get("X-Sovereign-Route") != "cloud" || text == refusal ||
		!strings.HasPrefix(raw.Header.Get("X-Sovereign-Route-Reason"), "cascade: local answer failed refusal; escalated to cloud") {
		t.Errorf("plain: route %q reason %q answer %q: want the refusal escalated to the cloud",
			raw.Header.Get("X-Sovereign-Route"), raw.Header.Get("X-Sovereign-Route-Reason"), text)
	}
	text, raw = chatAnswer(ctx, t, c, openai.ChatCompletionNewParams{Model: "auto", Messages: msgs}, true)
	if raw.Header.Get("X-Sovereign-Route") != "cloud" || strings.Contains(text, refusal) || text == "" {
		t.Errorf("stream: route %q answer %q: want the held refusal replaced by the cloud's answer", raw.Header.Get("X-Sovereign-Route"), text)
	}
	if local.seen.count("/v1/chat/completions") != 2 || cloud.seen.count("/v1/chat/completions") != 2 {
		t.Errorf("local saw %d requests, cloud %d; want 2 each", local.seen.count("/v1/chat/completions"), cloud.seen.count("/v1/chat/completions"))
	}

	g.stop(t)
	recs := readLedger(t, dataDir)
	if len(recs) != 2 {
		t.Fatalf("%d records, want 2 (one per request, the local attempt inside it)", len(recs))
	}
	for _, r := range recs {
		var d struct {
			Cascade struct {
				Target    string   `json:"target"`
				Failed    []string `json:"failed"`
				Escalated bool     `json:"escalated"`
			} `json:"cascade"`
		}
		if err := json.Unmarshal(r.Decision, &d); err != nil {
			t.Fatal(err)
		}
		if r.Provider != "cloud" || !d.Cascade.Escalated || d.Cascade.Target == "" || len(d.Cascade.Failed) == 0 || d.Cascade.Failed[0] != "refusal" {
			t.Errorf("record %s: provider %s, decision %s", r.RequestID, r.Provider, r.Decision)
		}
	}
}

// When the cloud cannot answer either, the cascade keeps the local answer that failed its
// checks rather than failing the request, and says so.
func TestRouteCascadeCloudDown(t *testing.T) {
	local := newFakeOpenAI(t, refusingChat(t))
	cloud := newFakeOpenAI(t, func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusTooManyRequests, load(t, "openai-compatible/openrouter_error_429_rate_limit.response.json"))
	})
	dataDir := t.TempDir()
	g := startGatewayIn(t, routeConfig(local.URL, cloud.URL, "retry:\n  max_retries: 0\nroute:\n  quality: 0\n  cascade: on\n"), dataDir)
	ctx := testCtx(t)
	c := g.client()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi! What is the capital of France?")}
	for _, stream := range []bool{false, true} {
		text, raw := chatAnswer(ctx, t, c, openai.ChatCompletionNewParams{Model: "auto", Messages: msgs}, stream)
		reason := raw.Header.Get("X-Sovereign-Route-Reason")
		if raw.Header.Get("X-Sovereign-Route") != "local" || text != refusal ||
			!strings.HasPrefix(reason, "cascade: local answer failed refusal, cloud failed too (rate_limit_exceeded); local answer kept") {
			t.Errorf("stream=%v: route %q reason %q answer %q: want the local answer kept", stream, raw.Header.Get("X-Sovereign-Route"), reason, text)
		}
	}
	g.stop(t)
	for _, r := range readLedger(t, dataDir) {
		if r.Provider != "home" || r.Status != 200 || !strings.Contains(string(r.Decision), `"cloud_error":"rate_limit_exceeded"`) {
			t.Errorf("record %s: provider %s status %d decision %s", r.RequestID, r.Provider, r.Status, r.Decision)
		}
	}
}
