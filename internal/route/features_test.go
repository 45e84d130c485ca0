package route

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

func user(text string) llm.Message {
	return llm.Message{Role: llm.RoleUser, Content: []llm.Part{llm.TextPart(text)}}
}

func msg(role, text string) llm.Message {
	return llm.Message{Role: role, Content: []llm.Part{llm.TextPart(text)}}
}

func request(msgs ...llm.Message) *llm.Request {
	return &llm.Request{Model: "auto", Messages: msgs}
}

func TestExtractCues(t *testing.T) {
	tests := []struct {
		name  string
		req   *llm.Request
		check func(t *testing.T, f *Features, s Summary)
		tag   string
	}{
		{
			name: "code fence",
			req:  request(user("Why does this panic?\n```go\nfunc main() { var m map[string]int; m[\"a\"] = 1 }\n```")),
			check: func(t *testing.T, f *Features, s Summary) {
				if !s.Code || f.cues.fences != 2 {
					t.Errorf("code = %v, fences = %v", s.Code, f.cues.fences)
				}
			},
			tag: TagCode,
		},
		{
			name: "code keywords without fences",
			req:  request(user("Write a Python function that returns the array sorted; implement it recursively.")),
			check: func(t *testing.T, f *Features, s Summary) {
				if !s.Code {
					t.Errorf("code words %v not detected", f.cues.codeWords)
				}
			},
			tag: TagCode,
		},
		{
			name: "latex math",
			req:  request(user(`Evaluate \int_0^1 x^2 \, dx and give the result as a fraction.`)),
			check: func(t *testing.T, f *Features, s Summary) {
				if !s.Math || f.cues.latex < 1 || f.Dense[DenseMathOps] == 0 {
					t.Errorf("math = %v, latex = %v, ops = %v", s.Math, f.cues.latex, f.Dense[DenseMathOps])
				}
			},
			tag: TagMath,
		},
		{
			name: "equation",
			req:  request(user("If 3x + 5 = 20, what is x?")),
			check: func(t *testing.T, f *Features, s Summary) {
				if !s.Math || f.cues.equations == 0 || f.Dense[DenseDigits] == 0 {
					t.Errorf("math = %v, equations = %v", s.Math, f.cues.equations)
				}
			},
			tag: TagMath,
		},
		{
			name: "step by step",
			req:  request(user("Think step by step: a bat and a ball cost 1.10 together.")),
			check: func(t *testing.T, f *Features, s Summary) {
				if !s.MultiStep || f.cues.multiStep != 1 {
					t.Errorf("multi-step = %v (%v)", s.MultiStep, f.cues.multiStep)
				}
			},
			tag: TagReasoning,
		},
		{
			name: "explain why and prove",
			req:  request(user("Explain why the square root of 2 is irrational, then prove it.")),
			check: func(t *testing.T, f *Features, s Summary) {
				if f.cues.multiStep != 2 {
					t.Errorf("multi-step cues = %v, want 2", f.cues.multiStep)
				}
			},
			tag: TagReasoning,
		},
		{
			name: "numbered sub-questions",
			req:  request(user("Answer these:\n1. Who wrote it?\n2. When?\n3) Where?")),
			check: func(t *testing.T, f *Features, s Summary) {
				if f.cues.numbered != 3 || !s.MultiStep {
					t.Errorf("numbered = %v", f.cues.numbered)
				}
			},
		},
		{
			name: "multiple choice",
			req:  request(user("Which planet is largest?\nA. Mars\nB. Jupiter\nC. Venus\nD. Pluto\nAnswer:")),
			check: func(t *testing.T, f *Features, s Summary) {
				if !s.MultipleChoice || f.Dense[DenseNumericChoices] != 0 || f.Dense[DenseOptionLen] == 0 {
					t.Errorf("choice = %v, numeric = %v", s.MultipleChoice, f.Dense[DenseNumericChoices])
				}
			},
			tag: TagReasoning,
		},
		{
			name: "numeric options",
			req:  request(user("How many moons has Mars?\n(a) 0\n(b) 1\n(c) 2\n(d) 3")),
			check: func(t *testing.T, f *Features, s Summary) {
				if !s.MultipleChoice || f.Dense[DenseNumericChoices] < 1 {
					t.Errorf("choice = %v, numeric = %v", s.MultipleChoice, f.Dense[DenseNumericChoices])
				}
			},
			tag: TagMath,
		},
		{
			name: "true/false options",
			req:  request(user("Statement 1 | p. Statement 2 | q.\nA. True, True\nB. False, False\nC. True, False\nD. False, True")),
			check: func(t *testing.T, f *Features, s Summary) {
				if f.Dense[DenseJudgement] < 1.6 || f.Dense[DensePipes] == 0 {
					t.Errorf("judgement = %v, pipes = %v", f.Dense[DenseJudgement], f.Dense[DensePipes])
				}
			},
		},
		{
			name: "two options are not multiple choice",
			req:  request(user("A. yes\nB. no")),
			check: func(t *testing.T, f *Features, s Summary) {
				if s.MultipleChoice {
					t.Error("two options taken for multiple choice")
				}
			},
		},
		{
			name: "non-Latin script",
			req:  request(user("请用中文解释量子纠缠是什么")),
			check: func(t *testing.T, f *Features, s Summary) {
				if s.NonLatin < 0.99 || len(f.Hashed) < 10 {
					t.Errorf("non-Latin = %v, hashed = %d", s.NonLatin, len(f.Hashed))
				}
			},
			tag: TagChat,
		},
		{
			name: "tools",
			req: &llm.Request{Messages: []llm.Message{user("What's the weather in Paris?")},
				Tools: []llm.Tool{{Name: "get_weather"}, {Name: "search"}}},
			check: func(t *testing.T, f *Features, s Summary) {
				if s.Tools != 2 {
					t.Errorf("tools = %d", s.Tools)
				}
			},
			tag: TagTools,
		},
		{
			name: "json schema",
			req: &llm.Request{Messages: []llm.Message{user("Give me a user record.")},
				ResponseFormat: &llm.ResponseFormat{Type: llm.ResponseJSONSchema, Schema: json.RawMessage(`{"type":"object"}`)}},
			check: func(t *testing.T, f *Features, s Summary) {
				if !s.JSON || f.Dense[DenseJSON] != 1 {
					t.Error("JSON not detected")
				}
			},
			tag: TagExtraction,
		},
		{
			name: "image",
			req: request(llm.Message{Role: llm.RoleUser, Content: []llm.Part{
				llm.TextPart("What is in this picture?"), {Type: llm.PartImage, ImageURL: "https://example.com/a.png"}}}),
			check: func(t *testing.T, f *Features, s Summary) {
				if s.Images != 1 {
					t.Errorf("images = %d", s.Images)
				}
			},
		},
		{
			name: "writing",
			req:  request(user("Compose an engaging travel blog post about a recent trip to Hawaii.")),
			tag:  TagWriting,
		},
		{
			name: "chat",
			req:  request(user("Hi! How are you today?")),
			tag:  TagChat,
		},
		{
			name: "depth",
			req: request(msg(llm.RoleSystem, "You are terse."), user("hello"), msg(llm.RoleAssistant, "hi"),
				user("and now?"), msg(llm.RoleAssistant, "yes"), user("thanks")),
			check: func(t *testing.T, f *Features, s Summary) {
				if s.UserTurns != 3 || s.Messages != 6 || f.Dense[DenseSystem] != 1 {
					t.Errorf("turns = %d, messages = %d, system = %v", s.UserTurns, s.Messages, f.Dense[DenseSystem])
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Extract(tt.req)
			s := f.Summarize()
			if tt.check != nil {
				tt.check(t, &f, s)
			}
			if tt.tag != "" {
				if got := Tag(&f); got != tt.tag {
					t.Errorf("Tag = %q, want %q", got, tt.tag)
				}
			}
			var ones int
			for _, x := range f.Dense[DenseTagTools : DenseTagChat+1] {
				if x == 1 {
					ones++
				}
			}
			if ones != 1 {
				t.Errorf("%d tag one-hots set", ones)
			}
		})
	}
}

// The last user turn weighs most; earlier user turns half; system text a quarter; assistant
// text not at all.
func TestExtractTurnWeights(t *testing.T) {
	f := Extract(request(msg(llm.RoleSystem, "sys"), user("first"), msg(llm.RoleAssistant, "reply words here"), user("second")))
	got := map[float32]int{}
	for _, h := range f.Hashed {
		got[h.Value]++
	}
	want := map[float32]int{1: 1, 0.5: 1, 0.25: 1} // one unigram each
	if !reflect.DeepEqual(got, want) {
		t.Errorf("weights = %v, want %v", got, want)
	}
	if f.LastTokens != 2 || f.Tokens != (3+5+16+6+3)/4 {
		t.Errorf("tokens = %d last %d", f.Tokens, f.LastTokens)
	}
	// 1/sqrt(1 + 0.25 + 0.0625)
	if d := f.HashNorm - 0.8728716; d > 1e-5 || d < -1e-5 {
		t.Errorf("HashNorm = %v", f.HashNorm)
	}
}

// A pasted 1 MB file must not make a decision slow: the scan is bounded, the token count is not.
func TestExtractBoundsScan(t *testing.T) {
	huge := strings.Repeat("lorem ipsum dolor sit amet ", 40000) // ~1 MB
	f := Extract(request(msg(llm.RoleSystem, huge), user(huge)))
	if f.Tokens < 500000 {
		t.Errorf("tokens = %d", f.Tokens)
	}
	if n := len(f.Hashed); n > maxScan {
		t.Errorf("%d n-grams hashed from a bounded scan of %d bytes", n, maxScan)
	}
}

func TestExtractDoesNotChangeRequest(t *testing.T) {
	req := request(msg(llm.RoleSystem, "Be brief."), user("What is 2+2?\nA. 3\nB. 4\nC. 5"))
	before, _ := json.Marshal(req)
	Extract(req)
	after, _ := json.Marshal(req)
	if string(before) != string(after) {
		t.Error("Extract changed the request")
	}
}

// Case folds, numbers hash by shape, and bigrams follow word order.
func TestExtractHashing(t *testing.T) {
	a := Extract(request(user("Hello World 1984")))
	b := Extract(request(user("hello world 2025")))
	c := Extract(request(user("world hello 2025")))
	if !reflect.DeepEqual(a.Hashed, b.Hashed) {
		t.Error("case or digits changed the hashes")
	}
	if reflect.DeepEqual(b.Hashed, c.Hashed) {
		t.Error("word order did not change the bigrams")
	}
	for _, h := range a.Hashed {
		if fam := h.Family(); fam != FamilyUnigram && fam != FamilyBigram {
			t.Errorf("family %d", fam)
		}
	}
	if len(a.Hashed) != 5 { // 3 unigrams, 2 bigrams
		t.Errorf("%d n-grams, want 5", len(a.Hashed))
	}
}
