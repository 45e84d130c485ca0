package openaiwire_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// fixture reads a file of testdata (see testdata/PROVENANCE.md).
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtures lists the testdata files that match pattern, relative to testdata.
func fixtures(t testing.TB, pattern string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(m) == 0 {
		t.Fatalf("no fixtures match %q (%v)", pattern, err)
	}
	for i := range m {
		m[i], _ = filepath.Rel("testdata", m[i])
	}
	return m
}

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

// decodeAny unmarshals JSON into a generic value.
func decodeAny(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	return v
}

// jsonDiff lists the paths where two generic JSON values differ, as "path: want -> got"; an
// empty list means they are semantically equal (key order and white space do not matter).
func jsonDiff(want, got any) []string {
	var out []string
	diffAt("", want, got, &out)
	return out
}

func diffAt(path string, want, got any, out *[]string) {
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if wok && gok {
		keys := make([]string, 0, len(wm)+len(gm))
		for k := range wm {
			keys = append(keys, k)
		}
		for k := range gm {
			if _, ok := wm[k]; !ok {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			wv, win := wm[k]
			gv, gin := gm[k]
			switch {
			case !win:
				*out = append(*out, fmt.Sprintf("%s.%s: absent -> %s", path, k, short(gv)))
			case !gin:
				*out = append(*out, fmt.Sprintf("%s.%s: %s -> absent", path, k, short(wv)))
			default:
				diffAt(path+"."+k, wv, gv, out)
			}
		}
		return
	}
	ws, wok := want.([]any)
	gs, gok := got.([]any)
	if wok && gok && len(ws) == len(gs) {
		for i := range ws {
			diffAt(fmt.Sprintf("%s[%d]", path, i), ws[i], gs[i], out)
		}
		return
	}
	if !reflect.DeepEqual(want, got) {
		*out = append(*out, fmt.Sprintf("%s: %s -> %s", path, short(want), short(got)))
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 100 {
		return string(b[:100]) + "…"
	}
	return string(b)
}

// obj returns the object at v, or nil.
func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// arr returns the array at v, or nil.
func arr(v any) []any { a, _ := v.([]any); return a }

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

// asLLMError asserts that err is an *llm.Error and returns it.
func asLLMError(t testing.TB, err error) *llm.Error {
	t.Helper()
	var e *llm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *llm.Error", err, err)
	}
	return e
}

func ptr[T any](v T) *T { return &v }
