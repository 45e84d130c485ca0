package openaiwire

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// decodeChatRequestReference is DecodeChatRequest with encoding/json alone: the whole object
// into a map, then every field with decodeField. The quick paths must not change any result.
func decodeChatRequestReference(body []byte) (any, error) {
	var fields map[string]json.RawMessage
	if _, err := decodeObject(body); err != nil {
		return nil, err // the same checks before the split
	}
	if err := json.Unmarshal(bytes.TrimSpace(body), &fields); err != nil {
		return nil, syntaxError(err)
	}
	var w ChatRequest
	for k, v := range fields {
		if !knownChatFields[k] {
			if w.Extra == nil {
				w.Extra = make(map[string]json.RawMessage)
			}
			w.Extra[k] = v
			continue
		}
		if isNull(v) {
			continue
		}
		if err := decodeField(k, v, fieldPtr(&w, k)); err != nil {
			return nil, err
		}
	}
	return w.toCanonical()
}

func sameDecode(t *testing.T, body []byte) {
	t.Helper()
	got, gotErr := DecodeChatRequest(body)
	want, wantErr := decodeChatRequestReference(body)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		// Several bad fields: which one is named depends on map order, in both decoders.
		if gotErr != nil && wantErr != nil && strings.Count(string(body), ":") > 1 {
			return
		}
		t.Fatalf("%q: error %v, reference %v", body, gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(any(got), want) {
		t.Fatalf("%q:\ngot       %+v\nreference %+v", body, got, want)
	}
}

// The recorded requests and edge cases decode as with encoding/json alone.
func TestDecodeChatRequestMatchesReference(t *testing.T) {
	files, err := filepath.Glob("testdata/*/*.request.json")
	if err != nil || len(files) < 5 {
		t.Fatalf("%d recorded requests, %v", len(files), err)
	}
	for _, f := range files {
		body, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sameDecode(t, body)
	}
	for _, s := range decodeEdgeCases {
		sameDecode(t, []byte(s))
	}
}

var decodeEdgeCases = []string{
	`{"model":"m","messages":[{"role":"user","content":"hi"}],"temperature":0,"top_p":1e-3,"seed":-5,"n":1,"stream":true,"logprobs":false,"parallel_tool_calls":true}`,
	`{"model":"caf\u00e9","messages":[],"user":"a\"b","reasoning_effort":"low"}`,
	`{"model":"m","model":"n","messages":[]}`,
	`{"mod\u0065l":"m","messages":[]}`,
	`{"model":"m","messages":[],"temperature":1e400}`,
	`{"model":"m","messages":[],"max_tokens":1.5}`,
	`{"model":"m","messages":[],"max_tokens":9223372036854775808}`,
	`{"model":"m","messages":[],"seed":"1"}`,
	`{"model":"m","messages":[],"stream":"yes"}`,
	`{"model":7,"messages":[]}`,
	`{"model":"m","messages":[],"temperature":-0}`,
	"{\"model\":\"a\xffb\",\"messages\":[]}",
	`{"model":"m","messages":[],"x-extra":{"a":[1,2]}}`,
	`{"model":"m","messages":[],"max_completion_tokens":null}`,
	` {"model" : "m" , "messages" : [ ] } `,
	`{"model":"m","messages":[]} x`,
}

// FuzzDecodeChatRequestReference: the quick paths decode every body as encoding/json alone
// would, errors included.
func FuzzDecodeChatRequestReference(f *testing.F) {
	for _, s := range decodeEdgeCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sameDecode(t, body)
	})
}
