package route

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

func TestDecideThreshold(t *testing.T) {
	m := handModel(t, 0, map[string]float64{"easy": logit(0.83), "hard": logit(0.41), "exact": logit(0.7)})
	exact := Extract(request(user("exact")))
	pExact := m.Score(&exact) // 0.7 up to float32 rounding
	tests := []struct {
		word    string
		quality float64
		local   bool
		reason  string
	}{
		{"easy", 0.7, true, "auto: local, p(local ok)=0.83 >= 0.70"},
		{"hard", 0.7, false, "auto: cloud, p(local ok)=0.41 < 0.70"},
		{"hard", 0.4, true, "auto: local, p(local ok)=0.41 >= 0.40"},
		{"exact", pExact, true, "auto: local, p(local ok)=0.70 >= 0.70"}, // ties stay local
		{"easy", 0, true, "auto: local, p(local ok)=0.83 >= 0.00"},       // 0: everything local
		{"easy", 1, false, "auto: cloud, p(local ok)=0.83 < 1.00"},       // 1: everything to the cloud
		{"easy", 7, false, "auto: cloud, p(local ok)=0.83 < 1.00"},       // clamped
		{"hard", -3, true, "auto: local, p(local ok)=0.41 >= 0.00"},
	}
	for _, tt := range tests {
		d := Decide(m, request(user(tt.word)), Input{Quality: tt.quality})
		if d.Local != tt.local || d.Reason != tt.reason {
			t.Errorf("%s at %v: local = %v, reason %q; want %v, %q", tt.word, tt.quality, d.Local, d.Reason, tt.local, tt.reason)
		}
		if d.Model != "hand" || d.Tag != TagChat || d.Offset != 0 {
			t.Errorf("decision = %+v", d)
		}
	}
}

// A p of 1 or 0 would make the knob's ends ambiguous; Score keeps p strictly inside.
func TestDecideExtremes(t *testing.T) {
	m := handModel(t, 0, map[string]float64{"sure": 80, "never": -80})
	for _, w := range []string{"sure", "never"} {
		if d := Decide(m, request(user(w)), Input{Quality: 1}); d.Local {
			t.Errorf("%s: quality 1 kept it local", w)
		}
		if d := Decide(m, request(user(w)), Input{Quality: 0}); !d.Local {
			t.Errorf("%s: quality 0 sent it to the cloud", w)
		}
	}
}

func TestDecideOffsets(t *testing.T) {
	m := handModel(t, 0, map[string]float64{"easy": logit(0.83)})
	adj := NewAdjuster(AdjusterOpts{})
	if err := adj.Restore([]TagState{{Tag: TagChat, FailureRate: 0.5}}); err != nil { // offset +0.2 (bounded)
		t.Fatal(err)
	}
	d := Decide(m, request(user("easy")), Input{Quality: 0.7, Offsets: adj})
	if d.Local || d.Offset != 0.2 || d.Threshold < 0.9-1e-9 || d.Reason != "auto: cloud, p(local ok)=0.83 < 0.90 (chat +0.20)" {
		t.Errorf("decision = %+v", d)
	}
	if err := adj.Restore([]TagState{{Tag: TagChat, FailureRate: 0}}); err != nil { // offset -0.15
		t.Fatal(err)
	}
	d = Decide(m, request(user("easy")), Input{Quality: 0.95, Offsets: adj})
	if !d.Local || d.Reason != "auto: local, p(local ok)=0.83 >= 0.80 (chat -0.15)" {
		t.Errorf("decision = %+v", d)
	}
}

// The decision goes into the ledger as JSON with stable field names.
func TestDecisionJSON(t *testing.T) {
	d := Decide(Default(), request(user("Write a short poem about the sea.")), Input{Quality: 0.5})
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"local", "p_local_ok", "threshold", "quality", "tag", "model", "features", "reason"} {
		if _, ok := back[k]; !ok {
			t.Errorf("no %q in %s", k, b)
		}
	}
	if !strings.HasPrefix(d.Reason, "auto: ") || d.Tag != TagWriting {
		t.Errorf("decision = %+v", d)
	}
	for _, r := range d.Reason {
		if r > 127 {
			t.Errorf("reason %q is not ASCII", d.Reason)
		}
	}
}

func BenchmarkDecide(b *testing.B) {
	m := Default()
	req := typicalRequest()
	in := Input{Quality: 0.8, Offsets: NewAdjuster(AdjusterOpts{})}
	b.ReportAllocs()
	for b.Loop() {
		Decide(m, req, in)
	}
}

func BenchmarkExtract(b *testing.B) {
	req := typicalRequest()
	b.ReportAllocs()
	for b.Loop() {
		Extract(req)
	}
}

// An agent-sized request: a 60 KB system prompt, tools, and a long conversation. The scan
// bounds keep the decision's cost near the typical one.
func BenchmarkDecideLarge(b *testing.B) {
	m := Default()
	req := typicalRequest()
	req.Messages[0] = msg(llm.RoleSystem, strings.Repeat("You are an agent. Follow the repository's conventions. ", 1100))
	for range 20 {
		req.Messages = append(req.Messages, msg(llm.RoleAssistant, "Done; next step."), user("Now run the tests and fix what fails."))
	}
	for i := range 10 {
		req.Tools = append(req.Tools, llm.Tool{Name: "tool" + strconv.Itoa(i)})
	}
	in := Input{Quality: 0.8}
	b.ReportAllocs()
	for b.Loop() {
		Decide(m, req, in)
	}
}
