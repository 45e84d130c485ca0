package openaiwire_test

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
)

func TestDecodeEmbeddingRequest(t *testing.T) {
	tests := []struct {
		name string
		body string
		want llm.EmbedRequest
	}{
		{"string", `{"model":"m","input":"hello"}`, llm.EmbedRequest{Model: "m", Input: []string{"hello"}}},
		{"strings", `{"model":"m","input":["a","b"]}`, llm.EmbedRequest{Model: "m", Input: []string{"a", "b"}}},
		{"token ids", `{"model":"m","input":[1,2,3]}`, llm.EmbedRequest{Model: "m", Tokens: [][]int{{1, 2, 3}}}},
		{"arrays of token ids", `{"model":"m","input":[[1,2],[3]]}`, llm.EmbedRequest{Model: "m", Tokens: [][]int{{1, 2}, {3}}}},
		{"options", `{"model":"m","input":"x","dimensions":256,"encoding_format":"base64","user":"u"}`,
			llm.EmbedRequest{Model: "m", Input: []string{"x"}, Dimensions: ptr(256), EncodingFormat: "base64", User: "u"}},
		{"nulls mean absent", `{"model":"m","input":"x","dimensions":null,"encoding_format":null}`, llm.EmbedRequest{Model: "m", Input: []string{"x"}}},
		{"unknown fields kept", `{"model":"m","input":"x","input_type":"query","truncate":"END"}`, llm.EmbedRequest{Model: "m", Input: []string{"x"},
			Extensions: map[string]json.RawMessage{"input_type": json.RawMessage(`"query"`), "truncate": json.RawMessage(`"END"`)}, ExtensionsFormat: llm.FormatOpenAIChat}},
		{"recorded base64", string(fixture(t, "openai-embeddings/base64.request.json")),
			llm.EmbedRequest{Model: "text-embedding-3-small", Input: []string{"Hello, world!"}, EncodingFormat: "base64"}},
		{"recorded dimensions", string(fixture(t, "openai-embeddings/float_with_dimensions.request.json")),
			llm.EmbedRequest{Model: "text-embedding-3-small", Input: []string{"Hello world"}, Dimensions: ptr(256)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := openaiwire.DecodeEmbeddingRequest([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*r, tt.want) {
				t.Errorf("decoded %+v\nwant    %+v", *r, tt.want)
			}
		})
	}
}

func TestDecodeEmbeddingRequestErrors(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		code  string
		param string
	}{
		{"empty body", ``, llm.CodeInvalidJSON, ""},
		{"not JSON", `{"model":`, llm.CodeInvalidJSON, ""},
		{"array body", `["x"]`, llm.CodeInvalidType, ""},
		{"missing model", `{"input":"x"}`, llm.CodeMissingField, "model"},
		{"model not a string", `{"model":1,"input":"x"}`, llm.CodeInvalidType, "model"},
		{"missing input", `{"model":"m"}`, llm.CodeMissingField, "input"},
		{"null input", `{"model":"m","input":null}`, llm.CodeMissingField, "input"},
		{"empty array", `{"model":"m","input":[]}`, llm.CodeInvalidValue, "input"},
		{"mixed array", `{"model":"m","input":["a",1]}`, llm.CodeInvalidType, "input"},
		{"object", `{"model":"m","input":{"text":"a"}}`, llm.CodeInvalidType, "input"},
		{"number", `{"model":"m","input":1}`, llm.CodeInvalidType, "input"},
		{"fractional token", `{"model":"m","input":[1.5]}`, llm.CodeInvalidType, "input"},
		{"bad encoding", `{"model":"m","input":"x","encoding_format":"hex"}`, llm.CodeInvalidValue, "encoding_format"},
		{"dimensions zero", `{"model":"m","input":"x","dimensions":0}`, llm.CodeInvalidValue, "dimensions"},
		{"dimensions not a number", `{"model":"m","input":"x","dimensions":"256"}`, llm.CodeInvalidType, "dimensions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := openaiwire.DecodeEmbeddingRequest([]byte(tt.body))
			if err == nil {
				t.Fatalf("no error; decoded %+v", r)
			}
			e := asLLMError(t, err)
			if e.Status != http.StatusBadRequest || e.Code != tt.code || e.Param != tt.param || !strings.Contains(e.Message, tt.param) {
				t.Errorf("error %+v, want 400 %q %q", e, tt.code, tt.param)
			}
		})
	}
}

func TestEncodeEmbeddingRequest(t *testing.T) {
	for _, name := range []string{"openai-embeddings/base64.request.json", "openai-embeddings/float_with_dimensions.request.json"} {
		in := fixture(t, name)
		r, err := openaiwire.DecodeEmbeddingRequest(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := openaiwire.EncodeEmbeddingRequest(r, r.Model, "openai")
		if err != nil {
			t.Fatal(err)
		}
		if d := jsonDiff(decodeAny(t, in), decodeAny(t, out)); len(d) > 0 {
			t.Errorf("%s: re-encoded request differs:\n  %s", name, strings.Join(d, "\n  "))
		}
	}
	tests := []struct {
		name string
		req  llm.EmbedRequest
		want string
	}{
		{"texts", llm.EmbedRequest{Model: "alias", Input: []string{"a"}}, `{"model":"up","input":["a"]}`},
		{"tokens", llm.EmbedRequest{Model: "alias", Tokens: [][]int{{1, 2}}, Dimensions: ptr(8)}, `{"model":"up","input":[[1,2]],"dimensions":8}`},
		// An unknown field that happens to share a chat field's name is still forwarded.
		{"extensions", llm.EmbedRequest{Model: "alias", Input: []string{"a"}, ExtensionsFormat: llm.FormatOpenAIChat,
			Extensions: map[string]json.RawMessage{"stream": json.RawMessage(`true`), "input_type": json.RawMessage(`"query"`)}},
			`{"model":"up","input":["a"],"input_type":"query","stream":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := openaiwire.EncodeEmbeddingRequest(&tt.req, "up", "openai")
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("body %s, want %s", out, tt.want)
			}
		})
	}
	req := llm.EmbedRequest{Model: "m", Input: []string{"a"}, ExtensionsFormat: llm.FormatOllama, Extensions: map[string]json.RawMessage{"keep_alive": json.RawMessage(`"5m"`)}}
	_, err := openaiwire.EncodeEmbeddingRequest(&req, "m", "vllm")
	if e := asLLMError(t, err); e.Code != llm.CodeUnsupportedParameter || e.Param != "keep_alive" {
		t.Errorf("error = %+v", e)
	}
}

// norm returns a vector's Euclidean length. OpenAI's embeddings are normalised to length 1,
// which makes a good check that a base64 vector was decoded with the right byte order.
func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

func TestEmbeddingResponseRecorded(t *testing.T) {
	tests := []struct {
		name     string
		dims     int
		encoding string
		usage    llm.Usage
	}{
		{"openai-embeddings/base64.response.json", 1536, "base64", llm.Usage{InputTokens: 4, TotalTokens: 4}},
		{"openai-embeddings/float_with_dimensions.response.json", 256, "float", llm.Usage{InputTokens: 2, TotalTokens: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := fixture(t, tt.name)
			r, err := openaiwire.DecodeEmbeddingResponse(body)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Vectors) != 1 || len(r.Vectors[0]) != tt.dims || r.Model != "text-embedding-3-small" || r.Usage == nil || *r.Usage != tt.usage {
				t.Fatalf("decoded %d vectors of %d, model %q, usage %+v", len(r.Vectors), len(r.Vectors[0]), r.Model, r.Usage)
			}
			if n := norm(r.Vectors[0]); math.Abs(n-1) > 1e-3 {
				t.Errorf("vector length %v, want 1", n)
			}
			if out, err := openaiwire.EncodeEmbeddingResponse(r, tt.encoding); err != nil || !bytes.Equal(out, body) {
				t.Fatalf("raw passthrough changed the body (err %v)", err)
			}

			// Re-encoded in the recording's encoding, the body means the same as the
			// recording; the only addition is "completion_tokens": 0 in the usage.
			want := obj(decodeAny(t, body))
			r.Raw, r.RawFormat = nil, ""
			out, err := openaiwire.EncodeEmbeddingResponse(r, tt.encoding)
			if err != nil {
				t.Fatal(err)
			}
			got := obj(decodeAny(t, out))
			if obj(got["usage"])["completion_tokens"] != 0.0 {
				t.Errorf("usage = %v", got["usage"])
			}
			delete(obj(got["usage"]), "completion_tokens")
			if d := jsonDiff(want, got); len(d) > 0 {
				t.Errorf("re-encoded response differs from the recording:\n  %s", strings.Join(d, "\n  "))
			}

			// In the other encoding, the vectors come back bit for bit.
			other := map[string]string{"float": "base64", "base64": "float"}[tt.encoding]
			out, err = openaiwire.EncodeEmbeddingResponse(r, other)
			if err != nil {
				t.Fatal(err)
			}
			back, err := openaiwire.DecodeEmbeddingResponse(out)
			if err != nil {
				t.Fatal(err)
			}
			if !sameBits(back.Vectors, r.Vectors) {
				t.Errorf("vectors differ after a round trip through %s", other)
			}
		})
	}
}

func TestEmbeddingRecordedValues(t *testing.T) {
	// The first values of the float recording, as written there.
	r, err := openaiwire.DecodeEmbeddingResponse(fixture(t, "openai-embeddings/float_with_dimensions.response.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{-0.0039325873, -0.092870116, 0.039631173, 0.059315916, -0.08571731}
	if !reflect.DeepEqual(r.Vectors[0][:5], want) {
		t.Errorf("first values %v, want %v", r.Vectors[0][:5], want)
	}
	// The base64 recording's first value: its first four bytes, little-endian.
	r, err = openaiwire.DecodeEmbeddingResponse(fixture(t, "openai-embeddings/base64.response.json"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Vectors[0][0], math.Float32frombits(0xbc9d3ab0); got != want {
		t.Errorf("first value %v, want %v", got, want)
	}
}

func sameBits(a, b [][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				return false
			}
		}
	}
	return true
}

func TestEncodeEmbeddingResponse(t *testing.T) {
	r := &llm.EmbedResponse{Model: "m", Vectors: [][]float32{{0.5, -1, 0}, {1.25}}, Usage: &llm.Usage{InputTokens: 3}}
	tests := []struct {
		encoding string
		want     string
	}{
		{"float", `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-1,0]},{"object":"embedding","index":1,"embedding":[1.25]}],` +
			`"model":"m","usage":{"prompt_tokens":3,"completion_tokens":0,"total_tokens":3}}`},
		{"", `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.5,-1,0]},{"object":"embedding","index":1,"embedding":[1.25]}],` +
			`"model":"m","usage":{"prompt_tokens":3,"completion_tokens":0,"total_tokens":3}}`},
		// 0.5 = 0x3f000000, -1 = 0xbf800000, 0 = 0, little-endian.
		{"base64", `{"object":"list","data":[{"object":"embedding","index":0,"embedding":"AAAAPwAAgL8AAAAA"},{"object":"embedding","index":1,"embedding":"AACgPw=="}],` +
			`"model":"m","usage":{"prompt_tokens":3,"completion_tokens":0,"total_tokens":3}}`},
	}
	for _, tt := range tests {
		t.Run(tt.encoding, func(t *testing.T) {
			out, err := openaiwire.EncodeEmbeddingResponse(r, tt.encoding)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("body %s\nwant %s", out, tt.want)
			}
			back, err := openaiwire.DecodeEmbeddingResponse(out)
			if err != nil || !sameBits(back.Vectors, r.Vectors) {
				t.Errorf("round trip: %v, %v", back, err)
			}
		})
	}
}

func TestDecodeEmbeddingResponseErrors(t *testing.T) {
	for name, body := range map[string]string{
		"not JSON":           `{"data":`,
		"index out of range": `{"data":[{"index":1,"embedding":[1]}]}`,
		"negative index":     `{"data":[{"index":-1,"embedding":[1]}]}`,
		// Before the fix, the second input silently got no vector.
		"index twice":          `{"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[2]}]}`,
		"null embedding":       `{"data":[{"index":0,"embedding":null}]}`,
		"missing embedding":    `{"data":[{"index":0}]}`,
		"bad base64":           `{"data":[{"index":0,"embedding":"!!!"}]}`,
		"base64 of odd length": `{"data":[{"index":0,"embedding":"AAAAAAA="}]}`,
		"strings in a vector":  `{"data":[{"index":0,"embedding":["a"]}]}`,
		// Before the fix, an error envelope decoded as a list of no vectors.
		"error envelope": string(fixture(t, "openai-embeddings/error_404_model.response.json")),
	} {
		if r, err := openaiwire.DecodeEmbeddingResponse([]byte(body)); err == nil {
			t.Errorf("%s: decoded %+v, want an error", name, r)
		}
	}
}

// FuzzDecodeEmbeddingRequest: no body makes the decoder panic; every refusal is a 400
// *llm.Error; whatever it accepts encodes again to a body that decodes to the same request.
func FuzzDecodeEmbeddingRequest(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `{"model":"m","input":"x"}`, `{"model":"m","input":[[1,2],[3]],"dimensions":3}`,
		`{"model":"m","input":["a","b"],"encoding_format":"base64","extra":{"k":[1]}}`, `{"model":"m","input":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := openaiwire.DecodeEmbeddingRequest(body)
		if err != nil {
			e := asLLMError(t, err)
			if e.Status != http.StatusBadRequest || e.Type != llm.TypeInvalidRequest || e.Message == "" {
				t.Fatalf("refusal is not a 400 invalid_request_error: %+v", e)
			}
			return
		}
		if (r.Input == nil) == (r.Tokens == nil) {
			t.Fatalf("want exactly one of Input and Tokens: %+v", r)
		}
		out, err := openaiwire.EncodeEmbeddingRequest(r, r.Model, "openai")
		if err != nil {
			t.Fatalf("EncodeEmbeddingRequest of a decoded request: %v", err)
		}
		r2, err := openaiwire.DecodeEmbeddingRequest(out)
		if err != nil {
			t.Fatalf("re-encoded body refused: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip changed the request:\n%+v\n%+v\n%s", r, r2, out)
		}
	})
}
