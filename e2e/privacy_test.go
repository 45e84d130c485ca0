package e2e_test

// The privacy guard through a real gateway process, with the official OpenAI and Anthropic SDKs
// as clients and a cloud provider fake: personal data is redacted before the request leaves
// (the fake must never see an original value) and restored in the answer, plain and streamed,
// with placeholders split across stream chunks; secrets are blocked with an error in the
// client's format that names the category and never the value; the header and the ledger say
// what was found and done.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
)

// Personal data and a secret of the tests; none of them may reach the cloud fake.
const (
	piiEmail  = "jane.doe@example.com"
	piiPhone  = "+44 20 7946 0958"
	piiCard   = "4111 1111 1111 1111"
	secretKey = "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" // the shape of an OpenAI key, made up
)

var placeholder = regexp.MustCompile(`<[A-Z_]+_[0-9]+>`)

// echoingChat answers with the placeholders the request carried ("Noted: <EMAIL_1>, …"), in
// the recorded plain or streamed shape; streamed text goes out three bytes a chunk, so every
// placeholder is split across chunks.
func echoingChat(t *testing.T) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		body.ReadFrom(r.Body)
		seen := map[string]bool{}
		var found []string
		for _, p := range placeholder.FindAllString(unescapeAngles(body.Bytes()), -1) {
			if !seen[p] {
				seen[p] = true
				found = append(found, p)
			}
		}
		answer := "Noted: " + strings.Join(found, ", ") + "."
		stream := bytes.Contains(body.Bytes(), []byte(`"stream":true`))
		if bytes.Contains(body.Bytes(), []byte(`"tools":`)) {
			echoToolCall(t, w, `{"to":"`+strings.Join(found, " ")+`"}`, stream)
			return
		}
		if !stream {
			var m map[string]any
			_ = json.Unmarshal(load(t, "openai-chat/plain.response.json"), &m)
			m["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)["content"] = answer
			b, _ := json.Marshal(m)
			writeJSON(w, http.StatusOK, b)
			return
		}
		writeSSE(w, restream(t, "openai-chat/stream_text_include_usage.response.sse", answer, func(d map[string]any) func(string) {
			if s, _ := d["content"].(string); s == "" {
				return nil
			}
			return func(v string) { d["content"] = v }
		}))
	}
}

// unescapeAngles undoes JSON's \u003c and \u003e escapes of < and >.
func unescapeAngles(b []byte) string {
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(string(b))
}

// echoToolCall answers with one call of the recorded tool-call answers, its arguments replaced
// by args (streamed three bytes a chunk).
func echoToolCall(t *testing.T, w http.ResponseWriter, args string, stream bool) {
	if !stream {
		var m map[string]any
		_ = json.Unmarshal(load(t, "openai-chat/tool_call.response.json"), &m)
		msg := m["choices"].([]any)[0].(map[string]any)["message"].(map[string]any)
		call := msg["tool_calls"].([]any)[0].(map[string]any)
		call["function"].(map[string]any)["arguments"] = args
		msg["tool_calls"] = []any{call}
		b, _ := json.Marshal(m)
		writeJSON(w, http.StatusOK, b)
		return
	}
	writeSSE(w, restream(t, "openai-chat/stream_tool_call_include_usage.response.sse", args, func(d map[string]any) func(string) {
		calls, _ := d["tool_calls"].([]any)
		if len(calls) == 0 {
			return nil
		}
		if _, first := calls[0].(map[string]any)["id"]; first {
			return nil // the call's id and name, with empty arguments, go out as recorded
		}
		fn := calls[0].(map[string]any)["function"].(map[string]any)
		return func(v string) { fn["arguments"] = v }
	}))
}

// restream replays a recorded stream with one delta field's text replaced: the chunks that
// carry the field (pick returns a setter for it, nil for other chunks) give way to text, sent
// three bytes a chunk so that every placeholder is split across chunks.
func restream(t *testing.T, fixture, text string, pick func(delta map[string]any) func(string)) []byte {
	var out bytes.Buffer
	done := false
	for _, ev := range sseEvents(load(t, fixture)) {
		data, ok := bytes.CutPrefix(bytes.TrimSpace(ev), []byte("data: "))
		var m map[string]any
		if !ok || json.Unmarshal(data, &m) != nil || len(m["choices"].([]any)) == 0 {
			out.Write(ev)
			continue
		}
		set := pick(m["choices"].([]any)[0].(map[string]any)["delta"].(map[string]any))
		if set == nil {
			out.Write(ev)
			continue
		}
		if done {
			continue
		}
		done = true
		for i := 0; i < len(text); i += 3 {
			set(text[i:min(i+3, len(text))])
			b, _ := json.Marshal(m)
			fmt.Fprintf(&out, "data: %s\n\n", b)
		}
	}
	return out.Bytes()
}

func TestPrivacy(t *testing.T) {
	cloud := newFakeOpenAI(t, echoingChat(t))
	dataDir := t.TempDir()
	g := startGatewayIn(t, fmt.Sprintf(`providers:
  - name: cloud
    type: openai
    base_url: %s/v1
    local: false
    api_key: %s
    models: [gpt-4o-mini]
defaults:
  cloud: cloud/gpt-4o-mini
`, cloud.URL, testAPIKey), dataDir)
	ctx := testCtx(t)
	prompt := "Please write to " + piiEmail + ", call " + piiPhone + " and charge card " + piiCard + "."
	want := "Noted: " + piiEmail + ", " + piiPhone + ", " + piiCard + "."
	const wantHeader = "email=redact;phone=redact;payment_card=redact"

	// What left the machine: placeholders, never the values.
	checkUpstream := func(t *testing.T) {
		t.Helper()
		got := cloud.seen.last(t, "/v1/chat/completions").Body
		for _, v := range []string{piiEmail, piiPhone, piiCard, "4111111111111111", secretKey} {
			if bytes.Contains(got, []byte(v)) {
				t.Errorf("the cloud received %q: %s", v, got)
			}
		}
		if !strings.Contains(unescapeAngles(got), "<EMAIL_1>") {
			t.Errorf("the cloud's request has no placeholder: %s", got)
		}
	}

	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("openai stream=%v", stream), func(t *testing.T) {
			c := g.client()
			p := openai.ChatCompletionNewParams{Model: "cloud/gpt-4o-mini", Messages: []openai.ChatCompletionMessageParamUnion{
				openai.SystemMessage("You help " + piiEmail + "."), openai.UserMessage(prompt)}}
			text, raw := chatAnswer(ctx, t, c, p, stream)
			if text != want {
				t.Errorf("answer %q, want the originals restored: %q", text, want)
			}
			if got := raw.Header.Get("X-Sovereign-Privacy"); got != wantHeader {
				t.Errorf("x-sovereign-privacy %q, want %q", got, wantHeader)
			}
			checkUpstream(t)
		})
		t.Run(fmt.Sprintf("anthropic stream=%v", stream), func(t *testing.T) {
			tr, _ := messagesTurn(ctx, t, g, messagesParams("cloud/gpt-4o-mini",
				[]anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))}, nil), stream)
			if tr.text != want {
				t.Errorf("answer %q, want the originals restored: %q", tr.text, want)
			}
			if got := tr.resp.Header.Get("X-Sovereign-Privacy"); got != wantHeader {
				t.Errorf("x-sovereign-privacy %q, want %q", got, wantHeader)
			}
			checkUpstream(t)
		})
	}

	// Tool calls: what a tool returned is redacted on its way out, and the arguments of the
	// call the model makes come back with the originals.
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("tool call stream=%v", stream), func(t *testing.T) {
			c := g.client()
			p := openai.ChatCompletionNewParams{Model: "cloud/gpt-4o-mini",
				Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
					Name: "send_mail", Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{"to": map[string]any{"type": "string"}}}})},
				Messages: []openai.ChatCompletionMessageParamUnion{
					openai.UserMessage("Who is our contact?"),
					{OfAssistant: &openai.ChatCompletionAssistantMessageParam{ToolCalls: []openai.ChatCompletionMessageToolCallUnionParam{{
						OfFunction: &openai.ChatCompletionMessageFunctionToolCallParam{ID: "call_1",
							Function: openai.ChatCompletionMessageFunctionToolCallFunctionParam{Name: "lookup", Arguments: `{}`}}}}}},
					openai.ToolMessage(`{"contact":"`+piiEmail+`"}`, "call_1"),
					openai.UserMessage("Mail them."),
				}}
			var args string
			if stream {
				s := c.Chat.Completions.NewStreaming(ctx, p)
				var acc openai.ChatCompletionAccumulator
				for s.Next() {
					acc.AddChunk(s.Current())
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
				args = acc.Choices[0].Message.ToolCalls[0].Function.Arguments
			} else {
				resp, err := c.Chat.Completions.New(ctx, p)
				if err != nil {
					t.Fatal(err)
				}
				args = resp.Choices[0].Message.ToolCalls[0].Function.Arguments
			}
			if want := `{"to":"` + piiEmail + `"}`; args != want {
				t.Errorf("tool-call arguments %s, want %s", args, want)
			}
			checkUpstream(t)
		})
	}

	// A secret is refused before anything leaves, in each client's error format.
	before := cloud.seen.count("/v1/chat/completions")
	oc := g.client()
	_, err := oc.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "cloud/gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Why does " + secretKey + " not work?")}})
	e := sdkError(t, err, wantError{status: 403, typ: "permission_error", code: "privacy_blocked"})
	if e != nil && (!strings.Contains(e.Message, "secret") || strings.Contains(e.Message, secretKey[:12])) {
		t.Errorf("block message %q: want the category, never the value", e.Message)
	}
	_, err = g.anthropicClient().Messages.New(ctx, messagesParams("auto",
		[]anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Use " + secretKey))}, nil))
	anthropicError(t, err, 403, anthropic.ErrorTypePermissionError)
	if n := cloud.seen.count("/v1/chat/completions"); n != before {
		t.Errorf("the cloud got %d requests with a secret in them", n-before)
	}

	g.stop(t)
	recs := readLedger(t, dataDir)
	if len(recs) != 8 {
		t.Fatalf("%d records, want 8", len(recs))
	}
	for _, r := range recs {
		switch r.Status {
		case 200:
			if r.Privacy != wantHeader && r.Privacy != "email=redact" {
				t.Errorf("record %s privacy %q, want %q", r.RequestID, r.Privacy, wantHeader)
			}
		case 403:
			if r.Privacy != "secret=block" || r.ErrorCode != "privacy_blocked" {
				t.Errorf("record %s: privacy %q code %q, want secret=block privacy_blocked", r.RequestID, r.Privacy, r.ErrorCode)
			}
		default:
			t.Errorf("record %s: status %d", r.RequestID, r.Status)
		}
		for _, v := range []string{piiEmail, piiCard, secretKey} {
			if strings.Contains(fmt.Sprintf("%+v %s", r, r.Decision), v) {
				t.Errorf("record %s holds %q", r.RequestID, v)
			}
		}
	}
}
