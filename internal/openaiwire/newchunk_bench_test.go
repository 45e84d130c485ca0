package openaiwire

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
)

// BenchmarkNewChunk measures the per-chunk cost of relaying a recorded stream's chunks.
func BenchmarkNewChunk(b *testing.B) {
	raw, err := os.ReadFile("testdata/openai-chat/stream_text_include_usage.response.sse")
	if err != nil {
		b.Fatal(err)
	}
	var chunks [][]byte
	for _, l := range bytes.Split(raw, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("data: {")) {
			chunks = append(chunks, l[6:])
		}
	}
	b.Run("NewChunk", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, c := range chunks {
				if _, err := NewChunk(c); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("jsonValid", func(b *testing.B) {
		for b.Loop() {
			for _, c := range chunks {
				_ = json.Valid(c)
			}
		}
	})
}

// BenchmarkDecodeChatRequest measures decoding the load benchmark's recorded request, and a
// longer conversation with tools.
func BenchmarkDecodeChatRequest(b *testing.B) {
	small, err := os.ReadFile("../../bench/gatewaybench/testdata/plain_raw.request.json")
	if err != nil {
		b.Fatal(err)
	}
	tools, err := os.ReadFile("testdata/openai-chat/tool_call_followup.request.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		body []byte
	}{{"recorded", small}, {"tools", tools}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeChatRequest(c.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
