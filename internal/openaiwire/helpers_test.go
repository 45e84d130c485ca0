package openaiwire_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/wiretest"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// meta is a fixture's *.meta.json.
type meta struct {
	Method      string `json:"method"`
	URL         string `json:"url"`
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
}

func fixtureMeta(t testing.TB, name string) meta {
	t.Helper()
	var m meta
	base := name[:strings.Index(name, ".")]
	if err := json.Unmarshal(fixture(t, base+".meta.json"), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// dropNulls removes every object member whose value is null: in OpenAI's wire format a null
// member means the same as an absent one.
func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = dropNulls(e)
		}
	case []any:
		for i := range x {
			x[i] = dropNulls(x[i])
		}
	}
	return v
}

// unmodelledUsage drops the usage fields that llm.Usage has no place for: OpenAI's audio and
// predicted-output token counts and OpenRouter's cost fields. A client that needs them gets
// the upstream's bytes (Raw); they are lost only when a stage re-encodes.
func unmodelledUsage(u map[string]any) {
	if u == nil {
		return
	}
	delete(u, "cost")
	delete(u, "is_byok")
	delete(u, "cost_details")
	if d := obj(u["prompt_tokens_details"]); d != nil {
		delete(d, "audio_tokens")
	}
	if d := obj(u["completion_tokens_details"]); d != nil {
		delete(d, "audio_tokens")
		delete(d, "accepted_prediction_tokens")
		delete(d, "rejected_prediction_tokens")
	}
}

// The helpers every wire package's tests share (internal/wiretest).
func fixture(t testing.TB, name string) []byte       { return wiretest.Fixture(t, name) }
func fixtures(t testing.TB, pattern string) []string { return wiretest.Fixtures(t, pattern) }
func decodeAny(t testing.TB, b []byte) any           { return wiretest.DecodeAny(t, b) }
func jsonDiff(want, got any) []string                { return wiretest.Diff(want, got) }
func obj(v any) map[string]any                       { return wiretest.Obj(v) }
func arr(v any) []any                                { return wiretest.Arr(v) }
func asLLMError(t testing.TB, err error) *llm.Error  { return wiretest.AsLLMError(t, err) }
func ptr[T any](v T) *T                              { return wiretest.Ptr(v) }
