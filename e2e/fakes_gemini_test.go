package e2e_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeGemini is a Gemini API upstream (under /v1beta) replaying recorded answers. Like Google
// it refuses a request without the configured key in x-goog-api-key; a key in the URL, where
// it would end up in logs, is refused too.
type fakeGemini struct {
	*httptest.Server
	seen seen
}

// geminiModels is the fake's model list, written for these tests in the shape of Gemini's
// models.list: empty, so that the configured models are used.
const geminiModels = `{"models":[]}`

// newFakeGemini starts a Gemini upstream. generate, when not nil, answers
// models/{model}:generateContent and :streamGenerateContent instead of the recorded replay.
func newFakeGemini(t *testing.T, generate http.HandlerFunc) *fakeGemini {
	t.Helper()
	f := &fakeGemini{}
	mux := http.NewServeMux()
	authorized := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("X-Goog-Api-Key") != testAPIKey || r.URL.Query().Has("key") {
			writeJSON(w, http.StatusForbidden, load(t, "gemini/error_403_permission_denied.response.json"))
			return false
		}
		return true
	}
	mux.HandleFunc("GET /v1beta/models", func(w http.ResponseWriter, r *http.Request) {
		f.seen.add(r, nil)
		if authorized(w, r) {
			writeJSON(w, http.StatusOK, []byte(geminiModels))
		}
	})
	mux.HandleFunc("POST /v1beta/models/{call}", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.seen.add(r, body)
		if !authorized(w, r) {
			return
		}
		_, method, _ := strings.Cut(r.PathValue("call"), ":")
		if method != "generateContent" && method != "streamGenerateContent" {
			writeJSON(w, http.StatusNotFound, []byte(`{"error":{"code":404,"message":"fake: no such method","status":"NOT_FOUND"}}`))
			return
		}
		if generate != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			generate(w, r)
			return
		}
		model, _, _ := strings.Cut(r.PathValue("call"), ":")
		replayRecorded(t, w, geminiCase(model, body, method == "streamGenerateContent"), nil)
	})
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

// baseURL is what the gateway's configuration names: the API root with its version.
func (f *fakeGemini) baseURL() string { return f.URL + "/v1beta" }

// geminiRawModel is the model whose requests the fake answers with the second set of
// recordings (a plain answer with numeric enums, and three parallel calls of one function).
const geminiRawModel = "gemini-2.0-flash"

// geminiCase picks the recording that answers a generateContent request: the final answer
// once the request carries a function response, a function call when it offers tools, else
// text. The streamed final answer is the one recording of a function-response follow-up,
// which Gemini streamed as a JSON array (no alt=sse).
func geminiCase(model string, body []byte, stream bool) string {
	var req struct {
		Contents []struct {
			Parts []struct {
				FunctionResponse json.RawMessage `json:"functionResponse"`
			} `json:"parts"`
		} `json:"contents"`
		Tools []json.RawMessage `json:"tools"`
	}
	_ = json.Unmarshal(body, &req)
	results := false
	if n := len(req.Contents); n > 0 {
		for _, p := range req.Contents[n-1].Parts {
			results = results || p.FunctionResponse != nil
		}
	}
	raw := model == geminiRawModel
	switch {
	case raw && !stream && (results || len(req.Tools) == 0):
		return "gemini/generate_content_raw.response.json"
	case raw && !stream:
		return "gemini/function_call.response.json"
	case results && stream:
		return "gemini/function_response_followup_raw.response.json"
	case results:
		return "gemini/generate_content.response.json"
	case len(req.Tools) > 0 && stream:
		return "gemini/stream_function_call.response.sse"
	case len(req.Tools) > 0:
		return "gemini/function_call_raw.response.json"
	case stream:
		return "gemini/stream_generate_content.response.sse"
	}
	return "gemini/generate_content.response.json"
}
