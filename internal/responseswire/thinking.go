package responseswire

import (
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// thinkingEnvelope starts the encrypted_content of a reasoning item that carries signed
// thinking blocks (Anthropic's). The Responses format has no place for a thinking block's
// signature, which Anthropic needs back unchanged in later turns (a tool loop with extended
// thinking fails without it). The gateway therefore puts the blocks, signatures included, in
// encrypted_content, which clients treat as opaque and send back as they got it; decoding the
// item gives the blocks again. OpenAI's own encrypted content never starts with this prefix.
const thinkingEnvelope = "sovereign.thinking.v1."

type envelopeBlock struct {
	Text      string `json:"text,omitempty"`
	Signature string `json:"signature,omitempty"`
	Redacted  string `json:"redacted,omitempty"`
	// Format is the provider format that signed the block (llm.ThinkingBlock.Format).
	Format string `json:"format,omitempty"`
}

// signed reports whether any of blocks has a signature.
func signed(blocks []llm.ThinkingBlock) bool {
	for _, b := range blocks {
		if b.Signature != "" {
			return true
		}
	}
	return false
}

// sealThinking returns the encrypted_content that carries blocks.
func sealThinking(blocks []llm.ThinkingBlock) string {
	env := make([]envelopeBlock, len(blocks))
	for i, b := range blocks {
		env[i] = envelopeBlock{Text: b.Text, Signature: b.Signature, Redacted: b.Redacted, Format: string(b.Format)}
	}
	j, _ := json.Marshal(env)
	return thinkingEnvelope + base64.RawURLEncoding.EncodeToString(j)
}

// openThinking returns the blocks sealed in s; ok is false when s is not such an envelope.
func openThinking(s string) (blocks []llm.ThinkingBlock, ok bool) {
	rest, ok := strings.CutPrefix(s, thinkingEnvelope)
	if !ok {
		return nil, false
	}
	j, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return nil, false
	}
	var env []envelopeBlock
	if err := json.Unmarshal(j, &env); err != nil || len(env) == 0 {
		return nil, false
	}
	for _, b := range env {
		blocks = append(blocks, llm.ThinkingBlock{Text: b.Text, Signature: b.Signature, Redacted: b.Redacted, Format: llm.Format(b.Format)})
	}
	return blocks, true
}
