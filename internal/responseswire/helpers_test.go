package responseswire_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/sse"
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
	diffAt("", want, got, false, &out)
	return out
}

// jsonSubset is jsonDiff that allows got to have object members want lacks: every member of
// want must be in got with the same value.
func jsonSubset(want, got any) []string {
	var out []string
	diffAt("", want, got, true, &out)
	return out
}

func diffAt(path string, want, got any, subset bool, out *[]string) {
	wm, wok := want.(map[string]any)
	gm, gok := got.(map[string]any)
	if wok && gok {
		keys := make([]string, 0, len(wm)+len(gm))
		for k := range wm {
			keys = append(keys, k)
		}
		for k := range gm {
			if _, ok := wm[k]; !ok && !subset {
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
				diffAt(path+"."+k, wv, gv, subset, out)
			}
		}
		return
	}
	ws, wok := want.([]any)
	gs, gok := got.([]any)
	if wok && gok && len(ws) == len(gs) {
		for i := range ws {
			diffAt(fmt.Sprintf("%s[%d]", path, i), ws[i], gs[i], subset, out)
		}
		return
	}
	if !reflect.DeepEqual(want, got) {
		*out = append(*out, fmt.Sprintf("%s: %s -> %s", path, short(want), short(got)))
	}
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 120 {
		return string(b[:120]) + "…"
	}
	return string(b)
}

// obj returns the object at v, or nil.
func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// arr returns the array at v, or nil.
func arr(v any) []any { a, _ := v.([]any); return a }

// keyOrder returns the member names of the JSON object b in the order they appear.
func keyOrder(t testing.TB, b []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", b)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
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

// sseEvent is one event of a stream, with its payload decoded.
type sseEvent struct {
	Name string
	Data []byte
	JSON map[string]any
}

// readEvents parses an SSE stream into its events; comments count on the event after them.
func readEvents(t testing.TB, r io.Reader) ([]sseEvent, int) {
	t.Helper()
	rd := sse.NewReader(r)
	var out []sseEvent
	comments := 0
	for {
		ev, err := rd.Next()
		if err == io.EOF {
			return out, comments
		}
		if err != nil {
			t.Fatal(err)
		}
		comments += ev.Comments
		var m map[string]any
		if err := json.Unmarshal(ev.Data, &m); err != nil {
			t.Fatalf("event %q: data is not a JSON object: %v\n%s", ev.Event, err, ev.Data)
		}
		out = append(out, sseEvent{Name: ev.Event, Data: ev.Data, JSON: m})
	}
}

// recorder is an SSE writer on an in-memory response.
func recorder() (*sse.Writer, *httptest.ResponseRecorder) {
	rec := httptest.NewRecorder()
	return sse.NewWriter(rec), rec
}
