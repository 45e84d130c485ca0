package privacy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

func testRequest() *llm.Request {
	return &llm.Request{
		Model: "gpt-test",
		Messages: []llm.Message{
			{Role: llm.RoleSystem, Content: []llm.Part{llm.TextPart("You help Maria Gonzalez with mail.")}},
			{Role: llm.RoleUser, Content: []llm.Part{
				llm.TextPart("Write to maria@example.com about the invoice."),
				{Type: llm.PartImage, ImageURL: "https://example.com/x.png"},
			}},
			{Role: llm.RoleAssistant, ToolCalls: []llm.ToolCall{{ID: "c1", Name: "send_mail",
				Arguments: `{"to":"maria@example.com","password":"C:\\temp\\Xk9#mQ2$vL7pW4"}`}},
				Thinking: []llm.ThinkingBlock{{Text: "maria@example.com is the address", Signature: "sig"}}},
			{Role: llm.RoleTool, ToolCallID: "c1", Content: []llm.Part{llm.TextPart("sent to maria@example.com")}},
		},
	}
}

func TestRedactRequest(t *testing.T) {
	s := newTestScanner(t, Options{})
	req := testRequest()
	before, _ := json.Marshal(req)
	locs := ScanRequest(s, req)
	if Evaluate(Findings(locs), DefaultCloud()).Action != ActionBlock {
		t.Fatal("a secret does not block by default")
	}
	v := Evaluate(Findings(locs), Policy{Default: ActionRedact})
	if v.Action != ActionRedact {
		t.Fatalf("verdict %v", v.Header())
	}
	var fixed int
	for _, l := range locs {
		if l.Fixed {
			fixed++
			if l.Field != FieldThinking {
				t.Errorf("fixed finding in %s", l.Field)
			}
		}
	}
	if fixed == 0 {
		t.Error("the signed thinking block's finding is not reported")
	}
	vault := NewVault()
	out := RedactRequest(req, vault, Select(locs, v))
	after, _ := json.Marshal(req)
	if string(before) != string(after) {
		t.Fatal("the inbound request changed")
	}
	if got := out.Messages[0].Content[0].Text; got != "You help <PERSON_1> with mail." {
		t.Errorf("system = %q", got)
	}
	if got := out.Messages[1].Content[0].Text; got != "Write to <EMAIL_1> about the invoice." {
		t.Errorf("user = %q", got)
	}
	if got := out.Messages[2].ToolCalls[0].Arguments; got != `{"to":"<EMAIL_1>","password":"<SECRET_1>"}` {
		t.Errorf("tool arguments = %q", got)
	}
	if got := out.Messages[3].Content[0].Text; got != "sent to <EMAIL_1>" {
		t.Errorf("tool result = %q", got)
	}
	// Signed thinking is left alone; the image part and untouched messages are shared.
	if out.Messages[2].Thinking[0].Text != req.Messages[2].Thinking[0].Text {
		t.Error("signed thinking changed")
	}
	if !reflect.DeepEqual(out.Messages[1].Content[1], req.Messages[1].Content[1]) {
		t.Error("image part changed")
	}
	// The model answers with the placeholders; the answer gets the originals back, the
	// JSON-escaped value included.
	resp := &llm.Response{Raw: []byte("{}"), RawFormat: llm.FormatOpenAIChat, Choices: []llm.Choice{{Message: llm.Message{
		Role: llm.RoleAssistant, Content: []llm.Part{llm.TextPart("Sent to <EMAIL_1> with <SECRET_1>, <PERSON_1>.")},
		ToolCalls: []llm.ToolCall{{Arguments: `{"pw":"<SECRET_1>"}`}},
	}}}}
	if !RestoreResponse(resp, vault) {
		t.Fatal("nothing restored")
	}
	if got := resp.Choices[0].Message.Content[0].Text; got != `Sent to maria@example.com with C:\temp\Xk9#mQ2$vL7pW4, Maria Gonzalez.` {
		t.Errorf("restored text = %q", got)
	}
	var args map[string]string
	if err := json.Unmarshal([]byte(resp.Choices[0].Message.ToolCalls[0].Arguments), &args); err != nil || args["pw"] != `C:\temp\Xk9#mQ2$vL7pW4` {
		t.Errorf("restored arguments = %q (%v)", resp.Choices[0].Message.ToolCalls[0].Arguments, err)
	}
	if resp.Raw != nil {
		t.Error("raw bytes kept after restoring")
	}
}

func TestVerdict(t *testing.T) {
	fs := []Finding{{Category: CategoryEmail}, {Category: CategorySecret}, {Category: CategoryEmail}}
	v := Evaluate(fs, DefaultCloud())
	if v.Action != ActionBlock || v.Header() != "secret=block;email=redact" {
		t.Fatalf("verdict %s %q", v.Action, v.Header())
	}
	if m := v.BlockMessage(); !strings.Contains(m, "a secret") || strings.Contains(m, "email") {
		t.Errorf("block message %q", m)
	}
	if v := Evaluate(fs, DefaultLocal()); v.Action != ActionAllow {
		t.Errorf("local verdict %s", v.Action)
	}
	if v := Evaluate(nil, DefaultCloud()); v.Action != ActionAllow || v.Header() != "" {
		t.Errorf("empty verdict %s %q", v.Action, v.Header())
	}
	p := Policy{Default: ActionAllow, Categories: map[Category]Action{CategoryPerson: ActionLocalOnly}}
	if v := Evaluate([]Finding{{Category: CategoryPerson}, {Category: CategoryEmail}}, p); v.Action != ActionLocalOnly {
		t.Errorf("local-only verdict %s", v.Action)
	}
	if _, err := ParseAction("nope"); err == nil {
		t.Error("bad action parsed")
	}
	if a, _ := ParseAction("Local-Only"); a != ActionLocalOnly {
		t.Error("local-only")
	}
}

// chunk returns a decoded chunk with one choice.
func chunk(text string, tools ...llm.ToolCallDelta) *llm.Chunk {
	return &llm.Chunk{Decoded: true, Raw: []byte("raw"), RawFormat: llm.FormatOpenAIChat,
		Choices: []llm.ChunkChoice{{Delta: llm.Delta{Content: text, ToolCalls: tools}}}}
}

func TestChunkRestorer(t *testing.T) {
	v := NewVault()
	v.Redact("ada@example.com", []Finding{{Category: CategoryEmail, Start: 0, End: 15}})
	v.Redact(`a"b@x.io`, []Finding{{Category: CategoryEmail, Start: 0, End: 8}})
	stream := "Mail <EMAIL_1> now, then <EMAIL_2>."
	args := `{"to":"<EMAIL_2>"}`
	for size := 1; size <= len(stream); size++ {
		cr := NewChunkRestorer(v)
		var text, targs strings.Builder
		var touched bool
		for i := 0; i < len(stream) || i < len(args); i += size {
			var tools []llm.ToolCallDelta
			if i < len(args) {
				tools = []llm.ToolCallDelta{{Index: 0, Arguments: args[i:min(i+size, len(args))]}}
			}
			c := chunk("", tools...)
			if i < len(stream) {
				c.Choices[0].Delta.Content = stream[i:min(i+size, len(stream))]
			}
			if err := cr.Restore(c); err != nil {
				t.Fatal(err)
			}
			if c.Raw == nil {
				touched = true
			}
			text.WriteString(c.Choices[0].Delta.Content)
			for _, tc := range c.Choices[0].Delta.ToolCalls {
				targs.WriteString(tc.Arguments)
			}
		}
		fin := chunk("")
		fin.Choices[0].FinishReason = llm.FinishStop
		if err := cr.Restore(fin); err != nil {
			t.Fatal(err)
		}
		text.WriteString(fin.Choices[0].Delta.Content)
		for _, tc := range fin.Choices[0].Delta.ToolCalls {
			targs.WriteString(tc.Arguments)
		}
		if want := "Mail ada@example.com now, then a\"b@x.io."; text.String() != want {
			t.Fatalf("size %d: text %q", size, text.String())
		}
		if want := `{"to":"a\"b@x.io"}`; targs.String() != want {
			t.Fatalf("size %d: arguments %q", size, targs.String())
		}
		if !touched {
			t.Fatal("changed chunks kept their raw bytes")
		}
	}
	// With an empty vault, chunks stay raw and undecoded.
	raw := llm.NewRawChunk([]byte("x"), llm.FormatOpenAIChat, func(*llm.Chunk) error { t.Fatal("decoded"); return nil })
	if err := NewChunkRestorer(NewVault()).Restore(raw); err != nil || raw.Raw == nil {
		t.Fatal("empty vault touched the chunk")
	}
	// A stream that ends without a finish reason gives back what is held.
	cr := NewChunkRestorer(v)
	c := chunk("end <EMA")
	_ = cr.Restore(c)
	if c.Choices[0].Delta.Content != "end " {
		t.Fatalf("held %q", c.Choices[0].Delta.Content)
	}
	if f := cr.Flush(); f == nil || f.Choices[0].Delta.Content != "<EMA" {
		t.Fatalf("flush %+v", f)
	}
}
