package responseswire_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/wiretest"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/sse"
)

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

// The helpers every wire package's tests share (internal/wiretest).
func fixture(t testing.TB, name string) []byte       { return wiretest.Fixture(t, name) }
func fixtures(t testing.TB, pattern string) []string { return wiretest.Fixtures(t, pattern) }
func decodeAny(t testing.TB, b []byte) any           { return wiretest.DecodeAny(t, b) }
func jsonDiff(want, got any) []string                { return wiretest.Diff(want, got) }
func jsonSubset(want, got any) []string              { return wiretest.Subset(want, got) }
func obj(v any) map[string]any                       { return wiretest.Obj(v) }
func arr(v any) []any                                { return wiretest.Arr(v) }
func asLLMError(t testing.TB, err error) *llm.Error  { return wiretest.AsLLMError(t, err) }
func ptr[T any](v T) *T                              { return wiretest.Ptr(v) }
