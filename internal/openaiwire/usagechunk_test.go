package openaiwire

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// recordedUsageChunks returns the usage chunks (no choices) of the recorded streams.
func recordedUsageChunks(tb testing.TB) [][]byte {
	tb.Helper()
	files, err := filepath.Glob("testdata/*/*.sse")
	if err != nil {
		tb.Fatal(err)
	}
	var out [][]byte
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, l := range bytes.Split(raw, []byte("\n")) {
			if bytes.HasPrefix(l, []byte("data: {")) && bytes.Contains(l, []byte(`"usage":{`)) && bytes.Contains(l, []byte(`"choices":[]`)) {
				out = append(out, bytes.TrimPrefix(l, []byte("data: ")))
			}
		}
	}
	if len(out) < 3 {
		tb.Fatalf("only %d recorded usage chunks", len(out))
	}
	return out
}

// usageChunkCases are payloads at the edges of what the quick decoder takes.
var usageChunkCases = []struct {
	payload string
	quick   bool // decodeUsageChunk takes it
}{
	{`{"id":"a","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`, true},
	{` { "id" : "a" , "choices" : [ ] , "usage" : { "prompt_tokens" : 3 } , "obfuscation" : "x" } `, true},
	{`{"usage":{"prompt_tokens":3}}`, true},
	{`{"id":null,"model":null,"created":null,"system_fingerprint":null,"usage":{}}`, true},
	{`{"id":"caf\u00e9","usage":{"prompt_tokens":1}}`, true},
	{`{"id":"a\"b","usage":{"prompt_tokens":1},"x":"}{]["}`, true},
	{`{"id":"a","created":-0,"usage":{"prompt_tokens":1}}`, true},
	{`{"id":"a","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":{"prompt_tokens":1}}`, false},
	{`{"id":"a","usage":null}`, false},
	{`{"id":"a","usage":{"prompt_tokens":1},"usage":{"completion_tokens":2}}`, false},
	{`{"ID":"a","usage":{"prompt_tokens":1}}`, false},
	{`{"id":"a","Usage":{"prompt_tokens":1}}`, false},
	{`{"\u0069d":"a","usage":{"prompt_tokens":1}}`, false},
	{`{"id":"a","usage":{"prompt_tokens":1},"extra":{"k":[1,"}",null]}}`, true},
	{`{"id":"a","usage":{"prompt_tokens":1},"extra":-12.5e+3,"more":true,"less":false}`, true},
	{`{"usage":{"prompt_tokens":-1,"cost":1e400,"prompt_tokens_details":{"cached_tokens":2,"audio_tokens":0},"completion_tokens_details":null}}`, true},
	{`{"usage":{"prompt_tokens":1,"prompt_tokens_details":null,"completion_tokens_details":{"reasoning_tokens":null}}}`, true},
	{`{"id":"a","usage":{"prompt_tokens":1},"extra":{"k":}}`, false},
	{`{"id":"a","usage":{"prompt_tokens":1},"extra":01}`, false},
	{`{"id":"a","usage":{"prompt_tokens":1},"extra":1.}`, false},
	{`{"id":"a","usage":{"prompt_tokens":1},"extra":-}`, false},
	{`{"id":"a","usage":{"prompt_tokens":1},"extra":tru}`, false},
	{`{"usage":{"prompt_tokens":1e2}}`, false},
	{`{"usage":{"prompt_tokens":9223372036854775808}}`, false},
	{`{"usage":{"prompt_tokens":1,"Prompt_Tokens":2}}`, false},
	{`{"usage":{"prompt_tokens_details":{"cached_tokens":1},"prompt_tokens_details":{"audio_tokens":1}}}`, false},
	{`{"usage":{"prompt_tokens_details":{"cached_tokens":"1"}}}`, false},
	{`{"usage":{"prompt_tokens_details":{"cached_tokens":1,"CACHED_TOKENS":2}}}`, false},
	{`{"usage":{"completion_tokens_details":[]}}`, false},
	{`{"id":"a","created":1.5,"usage":{"prompt_tokens":1}}`, false},
	{`{"id":"a","created":01,"usage":{"prompt_tokens":1}}`, false},
	{`{"id":"a","created":"1","usage":{"prompt_tokens":1}}`, false},
	{`{"id":7,"usage":{"prompt_tokens":1}}`, false},
	{`{"id":"a","usage":{"prompt_tokens":"1"}}`, false},
	{`{"id":"a","usage":{"prompt_tokens":1}} x`, false},
	{`{"id":"a","usage":{"prompt_tokens":1},}`, false},
	{`{"id":"a" "usage":{"prompt_tokens":1}}`, false},
	{`{"id":"a","usage":{"prompt_tokens":1}`, false},
	{"{\"id\":\"a\x01\",\"usage\":{\"prompt_tokens\":1}}", false},
}

// The quick decoder gives exactly what the full decoder gives, for the recorded usage chunks
// and for the edge cases it takes; the ones it declines, the full decoder still gets.
func TestDecodeUsageChunkMatchesFullDecode(t *testing.T) {
	for _, p := range recordedUsageChunks(t) {
		if !sameAsFullDecode(t, p) {
			t.Errorf("recorded usage chunk not taken by the quick decoder: %s", p)
		}
	}
	for _, tc := range usageChunkCases {
		if got := sameAsFullDecode(t, []byte(tc.payload)); got != tc.quick {
			t.Errorf("%s: quick decoder took it = %v, want %v", tc.payload, got, tc.quick)
		}
	}
}

// NewChunk decodes a usage chunk at once, with the quick decoder, and relays it untouched.
func TestNewChunkUsesQuickDecoder(t *testing.T) {
	for _, p := range recordedUsageChunks(t) {
		c, err := NewChunk(p)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Decoded || c.Usage == nil || c.Usage.InputTokens == 0 || c.Choices == nil || len(c.Choices) != 0 {
			t.Fatalf("usage chunk %s: decoded %v, usage %+v, choices %#v", p, c.Decoded, c.Usage, c.Choices)
		}
		if out, err := EncodeChunk(c); err != nil || !bytes.Equal(out, p) {
			t.Fatalf("usage chunk not relayed untouched: %s (err %v)", out, err)
		}
	}
}

// sameAsFullDecode reports whether decodeUsageChunk took data, and fails the test if what it
// decoded differs from decodeChunk's result.
func sameAsFullDecode(t *testing.T, data []byte) bool {
	t.Helper()
	quick := &llm.Chunk{}
	if !decodeUsageChunk(quick, data) {
		return false
	}
	full := &llm.Chunk{Raw: data}
	if err := decodeChunk(full); err != nil {
		t.Fatalf("quick decoder took %q, the full decoder fails: %v", data, err)
	}
	full.Raw = nil
	if !reflect.DeepEqual(quick, full) {
		t.Fatalf("%q:\nquick %+v\nfull  %+v", data, quick, full)
	}
	return true
}

// FuzzDecodeUsageChunk: whatever the quick decoder takes, the full decoder decodes to the
// same chunk.
func FuzzDecodeUsageChunk(f *testing.F) {
	for _, p := range recordedUsageChunks(f) {
		f.Add(p)
	}
	for _, tc := range usageChunkCases {
		f.Add([]byte(tc.payload))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameAsFullDecode(t, data)
	})
}
