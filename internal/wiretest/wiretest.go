// Package wiretest holds what the tests of the wire-format packages and provider adapters
// share: reading recorded fixtures from testdata, and comparing JSON documents by meaning (key
// order and white space do not count). Only tests import it.
//
//	if d := wiretest.Diff(wiretest.DecodeAny(t, want), wiretest.DecodeAny(t, got)); len(d) > 0 {
//		t.Errorf("body differs:\n  %s", strings.Join(d, "\n  "))
//	}
package wiretest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// Fixture reads testdata/name.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Fixtures lists the testdata files that match pattern, relative to testdata; none is an error.
func Fixtures(t testing.TB, pattern string) []string {
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

// DecodeAny unmarshals JSON into a generic value, failing the test when it is not JSON.
func DecodeAny(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, b)
	}
	return v
}

// JSONEqual fails the test when got and want are not the same JSON document.
func JSONEqual(t testing.TB, got []byte, want string) {
	t.Helper()
	if d := Diff(DecodeAny(t, []byte(want)), DecodeAny(t, got)); len(d) > 0 {
		t.Errorf("body:\n got %s\nwant %s\ndiffers at %v", got, want, d)
	}
}

// Diff lists the paths where two generic JSON values differ, as "path: want -> got"; an empty
// list means they are the same document.
func Diff(want, got any) []string {
	var out []string
	diffAt("", want, got, false, &out)
	return out
}

// Subset is Diff that lets got have object members want lacks: every member of want must be in
// got with the same value.
func Subset(want, got any) []string {
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

// Obj returns the object at v, or nil.
func Obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// Arr returns the array at v, or nil.
func Arr(v any) []any { a, _ := v.([]any); return a }

// AsLLMError asserts that err is an *llm.Error and returns it.
func AsLLMError(t testing.TB, err error) *llm.Error {
	t.Helper()
	var e *llm.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *llm.Error", err, err)
	}
	return e
}

// Ptr returns a pointer to v.
func Ptr[T any](v T) *T { return &v }
