package openai

import (
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
)

func TestSplitUsage(t *testing.T) {
	usage := &llm.Usage{InputTokens: 16, OutputTokens: 22, TotalTokens: 38}
	finish := func() *llm.Chunk {
		// An Ollama-style last chunk: the finish reason and the usage together.
		return &llm.Chunk{ID: "chatcmpl-1", Model: "m", Decoded: true, Usage: usage,
			Choices: []llm.ChunkChoice{{FinishReason: llm.FinishStop}}}
	}
	usageOnly := func() *llm.Chunk { return &llm.Chunk{ID: "chatcmpl-1", Decoded: true, Usage: usage} }
	raw := func() *llm.Chunk {
		c, err := openaiwire.NewChunk([]byte(`{"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tc := range []struct {
		name        string
		in          *llm.Chunk
		include     bool
		wantSent    bool // a chunk is sent now
		wantUsage   bool // the chunk sent now carries usage
		wantPending bool // a usage chunk is held for the end
	}{
		{"finish with usage, caller wants usage", finish(), true, true, false, true},
		{"finish with usage, caller does not", finish(), false, true, false, false},
		{"usage alone, caller wants usage", usageOnly(), true, false, false, true},
		{"usage alone, caller does not", usageOnly(), false, false, false, false},
		{"no usage", &llm.Chunk{Decoded: true, Choices: []llm.ChunkChoice{{}}}, true, true, false, false},
		// The gateway always asks upstreams for usage (the ledger needs it): relayed OpenAI
		// bytes keep it when the caller asked too, and lose it when the caller did not.
		{"raw OpenAI chunk, caller wants usage", raw(), true, true, true, false},
		{"raw OpenAI chunk, caller does not", raw(), false, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := *tc.in
			sent, pending := splitUsage(tc.in, nil, tc.include)
			if (sent != nil) != tc.wantSent {
				t.Fatalf("sent %+v, want sent=%v", sent, tc.wantSent)
			}
			if sent != nil && (sent.Usage != nil) != tc.wantUsage {
				t.Errorf("sent chunk usage %+v, want usage=%v", sent.Usage, tc.wantUsage)
			}
			if (pending != nil) != tc.wantPending {
				t.Fatalf("pending %+v, want pending=%v", pending, tc.wantPending)
			}
			if pending != nil {
				if pending.Usage != usage || len(pending.Choices) != 0 || pending.Choices == nil || pending.ID != "chatcmpl-1" {
					t.Errorf("usage chunk %+v, want the usage with an empty choices list and the stream's id", pending)
				}
				b, err := openaiwire.EncodeChunk(pending)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("usage chunk: %s", b)
			}
			if tc.in.Usage != in.Usage || len(tc.in.Choices) != len(in.Choices) {
				t.Errorf("the chunk received was changed")
			}
		})
	}
}
