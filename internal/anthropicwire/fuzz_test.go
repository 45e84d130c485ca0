package anthropicwire_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/anthropicwire"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

// FuzzDecodeRequest: no body makes the decoder panic; every refusal is a 400 *llm.Error; an
// accepted request encodes for Anthropic (or is refused with a 400), and encoding is stable:
// the encoded body decodes and encodes to the same bytes.
func FuzzDecodeRequest(f *testing.F) {
	for _, name := range fixtures(f, "anthropic/*.request.json") {
		f.Add(fixture(f, name))
	}
	f.Add(msgBody(`[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"x"}],"is_error":true},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA"}}]},{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"tool_use","id":"a b","name":"f","input":{}}]}]`))
	f.Add([]byte(`{"model":"m","max_tokens":1,"system":[{"type":"text","text":"s","cache_control":{"type":"ephemeral"}}],"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"any","disable_parallel_tool_use":true},"output_config":{"format":{"type":"json_schema","schema":{}}},"x":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := anthropicwire.DecodeRequest(body)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		out, err := anthropicwire.EncodeRequest(r, r.Model, "anthropic", 1024)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if !json.Valid(out) {
			t.Fatalf("encoded body is not JSON: %s", out)
		}
		r2, err := anthropicwire.DecodeRequest(out)
		if err != nil {
			t.Fatalf("re-encoded body refused: %v\nbody: %s", err, out)
		}
		out2, err := anthropicwire.EncodeRequest(r2, r2.Model, "anthropic", 1024)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("encoding is not stable (%v):\n%s\n%s", err, out, out2)
		}
	})
}

func checkRefusal(t *testing.T, err error) {
	t.Helper()
	var e *llm.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest || e.Type != llm.TypeInvalidRequest || e.Message == "" {
		t.Fatalf("refusal is not a 400 invalid_request_error: %v", err)
	}
}

// FuzzDecodeResponse: no body makes the decoder panic; an accepted answer encodes for a client
// under another model name into a message that decodes to the same content.
func FuzzDecodeResponse(f *testing.F) {
	for _, name := range fixtures(f, "anthropic/*.response.json") {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := anthropicwire.DecodeResponse(body)
		if err != nil {
			return
		}
		out, err := anthropicwire.EncodeResponse(r, "alias")
		if err != nil || !json.Valid(out) {
			t.Fatalf("EncodeResponse: %v\n%s", err, out)
		}
		r2, err := anthropicwire.DecodeResponse(out)
		if err != nil {
			t.Fatalf("our own answer does not decode: %v\n%s", err, out)
		}
		a, b := r.Choices[0].Message, r2.Choices[0].Message
		if a.Text() != b.Text() || len(a.ToolCalls) != len(b.ToolCalls) || len(a.Thinking) != len(b.Thinking) {
			t.Fatalf("content changed:\n%+v\n%+v", a, b)
		}
	})
}

// FuzzStreamDecoder feeds arbitrary streams to the decoder: it must never panic, every chunk
// must be whole, and what it decodes must survive StreamEncoder and a second decoding.
func FuzzStreamDecoder(f *testing.F) {
	for _, name := range fixtures(f, "anthropic/*.response.sse") {
		f.Add(fixture(f, name))
	}
	f.Add([]byte("event: message_start\ndata: " + evStart + "\n\nevent: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		d := anthropicwire.NewStreamDecoder()
		r := sse.NewReader(bytes.NewReader(stream))
		var chunks []*llm.Chunk
		for {
			ev, err := r.Next()
			if err != nil {
				if err != io.EOF && !errors.Is(err, sse.ErrEventTooLarge) {
					t.Fatal(err)
				}
				break
			}
			c, err := d.Decode(ev)
			if err != nil {
				var e *llm.Error
				if errors.As(err, &e) && (e.Status < 400 || e.Message == "") {
					t.Fatalf("error event gave %+v", e)
				}
				break
			}
			for _, ch := range c {
				if !ch.Decoded || len(ch.Choices) != 1 {
					t.Fatalf("chunk %+v", ch)
				}
			}
			chunks = append(chunks, c...)
		}
		want := accumulate(t, chunks)
		out := encodeStream(t, anthropicwire.NewStreamEncoder("", 0), chunks, "")
		back, _ := decodeStream(t, out)
		got := accumulate(t, back)
		got.ID, want.ID = "", ""
		if len(chunks) == 0 {
			got.Model, got.Usage, want.Usage, got.Finish, got.Text = "", nil, nil, "", ""
		}
		if want.Finish == "" && got.Finish == llm.FinishStop || (want.Finish == "" && got.Finish == llm.FinishToolCalls) {
			got.Finish = "" // Finish gives every stream a stop reason
		}
		if want.Finish == llm.FinishStop && got.Finish == llm.FinishToolCalls && len(want.Calls) > 0 {
			got.Finish = want.Finish // a stop with tool calls is tool_use for an Anthropic client
		}
		if want.Usage == nil {
			got.Usage = nil
		}
		for i := range min(len(got.Calls), len(want.Calls)) {
			// The encoder names a call that came without an id, and gives a call that came
			// without arguments Anthropic's {}.
			if want.Calls[i].ID == "" {
				got.Calls[i].ID = ""
			}
			if want.Calls[i].Arguments == "" && got.Calls[i].Arguments == "{}" {
				got.Calls[i].Arguments = ""
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("through the encoder\n%+v\nwant\n%+v", got, want)
		}
	})
}
