package route

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// FuzzDecide feeds arbitrary conversations (any bytes, any script, code, numbers) through the
// production decision: it must not panic, p(local ok) must stay a probability, and the reason
// must stay printable ASCII, since it travels in a response header. (That the decision holds
// no prompt text is checked end to end, in e2e/route_test.go.)
func FuzzDecide(f *testing.F) {
	f.Add("What is the capital of France?", "You are helpful.", 1)
	f.Add("```go\nfunc main() { fmt.Println(1/0) }\n```\nWhy does this not compile?", "", 3)
	f.Add("Prove that √2 is irrational. $$x^2 = 2y^2$$", "", 1)
	f.Add("A) 1\nB) 2\nC) 3\nD) 4\nAnswer:", "", 1)
	f.Add("日本の首都はどこですか？ 1. 東京 2. 大阪", "", 2)
	f.Add("\x00\xff\xfe step by step \u202e", "\t", 0)
	m := Default()
	f.Fuzz(func(t *testing.T, user, system string, turns int) {
		turns = max(0, min(turns, 8))
		req := &llm.Request{Model: "auto"}
		if system != "" {
			req.Messages = append(req.Messages, llm.Message{Role: llm.RoleSystem, Content: []llm.Part{{Type: llm.PartText, Text: system}}})
		}
		for i := 0; i <= turns; i++ {
			req.Messages = append(req.Messages, llm.Message{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: user}}})
			if i < turns {
				req.Messages = append(req.Messages, llm.Message{Role: llm.RoleAssistant, Content: []llm.Part{{Type: llm.PartText, Text: system}}})
			}
		}
		d := Decide(m, req, Input{Quality: 0.5})
		if math.IsNaN(d.P) || d.P < 0 || d.P > 1 {
			t.Fatalf("p(local ok) = %v", d.P)
		}
		for i := 0; i < len(d.Reason); i++ {
			if c := d.Reason[i]; c < 0x20 || c > 0x7e {
				t.Fatalf("reason %q is not printable ASCII", d.Reason)
			}
		}
		if !strings.HasPrefix(d.Reason, "auto: ") {
			t.Fatalf("reason %q", d.Reason)
		}
		if b, err := json.Marshal(d); err != nil || !json.Valid(b) {
			t.Fatalf("decision %s does not encode: %v", b, err)
		}
	})
}
