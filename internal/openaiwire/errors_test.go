package openaiwire_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
)

func TestUpstreamError(t *testing.T) {
	// Bodies as upstreams send them: recorded OpenAI, OpenRouter and Ollama errors, and
	// llama.cpp's envelope (numeric code), proxies' HTML pages and other garbage.
	var (
		openai400      = string(fixture(t, "openai-chat/error_400_unsupported_value.response.json"))
		openai400Null  = string(fixture(t, "openai-chat/error_400_model_not_supported.response.json"))
		openai404      = string(fixture(t, "openai-embeddings/error_404_model.response.json"))
		openrouter429  = string(fixture(t, "openai-compatible/openrouter_error_429_rate_limit.response.json"))
		ollama400      = string(fixture(t, "ollama/error_400_model_does_not_support_tools.response.json"))
		llamacpp400    = `{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"invalid_request_error"}}`
		openai401      = `{"error":{"message":"Incorrect API key provided: sk-proj-********************abcd. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`
		openai429      = `{"error":{"message":"Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 30000, Requested 10.","type":"tokens","param":null,"code":"rate_limit_exceeded"}}`
		html502        = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
		garbage        = "\x00\x1b[31mFATAL\x7f\u0085 " + strings.Repeat("ü", 150) + "\xff\xfe tail that is cut off"
		multiLineJSON  = `{"error":{"message":"line one\nline two\ttabbed\u0000","type":"invalid_request_error"}}`
		hugeJSONString = `{"error":"` + strings.Repeat("x", 5000) + `"}`
	)
	tests := []struct {
		name      string
		status    int
		body      string
		want      llm.Error // Message is a text the message must contain
		retryable bool
	}{
		{"openai 400", 400, openai400, llm.Error{Status: 400, Type: llm.TypeInvalidRequest, Code: "unsupported_value", Param: "messages[0].role",
			Message: `provider "up" answered HTTP 400: Unsupported value: 'messages[0].role' does not support 'system' with this model.`}, false},
		{"openai 400 code null", 400, openai400Null, llm.Error{Status: 400, Type: llm.TypeInvalidRequest, Param: "web_search_options",
			Message: "Web search options not supported with this model."}, false},
		{"llama.cpp 400", 400, llamacpp400, llm.Error{Status: 400, Type: llm.TypeInvalidRequest, Code: llm.CodeContextLength,
			Message: "the request exceeds the available context size, try increasing it"}, false},
		{"ollama 400", 400, ollama400, llm.Error{Status: 400, Type: llm.TypeInvalidRequest,
			Message: "registry.ollama.ai/library/gemma3:1b does not support tools"}, false},
		{"400 multi-line message", 400, multiLineJSON, llm.Error{Status: 400, Type: llm.TypeInvalidRequest,
			Message: "line one line two tabbed"}, false},
		{"413", 413, `{"error":"body too large"}`, llm.Error{Status: 400, Type: llm.TypeInvalidRequest, Message: "body too large"}, false},
		{"422", 422, `{"error":"bad field"}`, llm.Error{Status: 400, Type: llm.TypeInvalidRequest, Message: "bad field"}, false},
		{"401", 401, openai401, llm.Error{Status: 502, Type: llm.TypeUpstream, Code: llm.CodeUpstreamAuth, Message: "HTTP 401"}, false},
		{"403 llama.cpp form", 403, `{"error":{"code":403,"message":"Invalid API Key","type":"authentication_error"}}`,
			llm.Error{Status: 502, Type: llm.TypeUpstream, Code: llm.CodeUpstreamAuth, Message: "HTTP 403"}, false},
		{"403 ollama form", 403, `{"error":"forbidden"}`, llm.Error{Status: 502, Type: llm.TypeUpstream, Code: llm.CodeUpstreamAuth, Message: "credentials"}, false},
		{"openai 404", 404, openai404, llm.Error{Status: 404, Type: llm.TypeInvalidRequest, Code: "model_not_found",
			Message: "The model `nonexistent` does not exist or you do not have access to it."}, false},
		{"ollama 404", 404, `{"error":"model \"llama9\" not found, try pulling it first"}`, llm.Error{Status: 404, Type: llm.TypeInvalidRequest,
			Message: `model "llama9" not found, try pulling it first`}, false},
		{"404 empty body", 404, ``, llm.Error{Status: 404, Type: llm.TypeInvalidRequest, Message: "HTTP 404: Not Found"}, false},
		{"openrouter 429", 429, openrouter429, llm.Error{Status: 429, Type: llm.TypeRateLimit, Code: llm.CodeRateLimited,
			Message: "Rate limit exceeded: limit_rpm/meta-llama/llama-3.2-3b-instruct"}, true},
		{"openai 429", 429, openai429, llm.Error{Status: 429, Type: llm.TypeRateLimit, Code: "rate_limit_exceeded", Message: "Rate limit reached for gpt-4o"}, true},
		{"ollama 429", 429, `{"error":"too many requests"}`, llm.Error{Status: 429, Type: llm.TypeRateLimit, Code: llm.CodeRateLimited, Message: "too many requests"}, true},
		{"500 empty", 500, ``, llm.Error{Status: 502, Type: llm.TypeUpstream, Code: llm.CodeUpstreamError, Message: "HTTP 500: Internal Server Error"}, true},
		{"500 openai form", 500, `{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}`,
			llm.Error{Status: 502, Type: llm.TypeUpstream, Code: llm.CodeUpstreamError, Message: "The server had an error"}, true},
		{"502 html", 502, html502, llm.Error{Status: 502, Type: llm.TypeUpstream, Code: llm.CodeUpstreamError,
			Message: "<html> <head><title>502 Bad Gateway</title></head> <body>"}, true},
		{"503 garbage", 503, garbage, llm.Error{Status: 502, Type: llm.TypeUpstream, Code: llm.CodeUpstreamError, Message: "FATAL"}, true},
		{"504", 504, `{"error":"upstream timed out"}`, llm.Error{Status: 504, Type: llm.TypeTimeout, Code: llm.CodeUpstreamTimeout, Message: "upstream timed out"}, true},
		{"408", 408, ``, llm.Error{Status: 504, Type: llm.TypeTimeout, Code: llm.CodeUpstreamTimeout, Message: "Request Timeout"}, true},
		{"302", 302, `<a href="/login">Found</a>`, llm.Error{Status: 502, Type: llm.TypeUpstream, Code: llm.CodeUpstreamBadResponse, Message: "HTTP 302"}, false},
		{"huge message", 400, hugeJSONString, llm.Error{Status: 400, Type: llm.TypeInvalidRequest, Message: "xxxxx"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := openaiwire.UpstreamError("up", tt.status, []byte(tt.body))
			if e.Status != tt.want.Status || e.Type != tt.want.Type || e.Code != tt.want.Code || e.Param != tt.want.Param || e.Retryable != tt.retryable {
				t.Errorf("got status %d type %q code %q param %q retryable %v\nwant status %d type %q code %q param %q retryable %v",
					e.Status, e.Type, e.Code, e.Param, e.Retryable, tt.want.Status, tt.want.Type, tt.want.Code, tt.want.Param, tt.retryable)
			}
			if !strings.Contains(e.Message, tt.want.Message) || !strings.Contains(e.Message, `"up"`) {
				t.Errorf("message %q should contain %q and the provider's name", e.Message, tt.want.Message)
			}
			// Whatever the body, the message is short, valid UTF-8 text without control characters.
			if !utf8.ValidString(e.Message) || strings.IndexFunc(e.Message, unicode.IsControl) >= 0 || len(e.Message) > 1200 {
				t.Errorf("message is not short printable text (%d bytes): %q", len(e.Message), e.Message)
			}
		})
	}
}

func TestUpstreamErrorExcerpt(t *testing.T) {
	body := "<!DOCTYPE html>\n<html>" + strings.Repeat("é", 300) + "</html>"
	e := openaiwire.UpstreamError("up", 503, []byte(body))
	_, excerpt, _ := strings.Cut(e.Message, "HTTP 503: ")
	// 200 bytes of the body at most, cut at a character boundary, then an ellipsis.
	if !strings.HasPrefix(excerpt, "<!DOCTYPE html> <html>éé") || !strings.HasSuffix(excerpt, "é…") || len(excerpt) > 200+len("…") {
		t.Errorf("excerpt %q (%d bytes)", excerpt, len(excerpt))
	}
}

// The gateway's own key being refused is the gateway's problem: the caller gets a 502 that
// does not repeat the upstream's text (OpenAI's names part of the key); the log gets it.
func TestUpstreamErrorHidesCredentialText(t *testing.T) {
	body := `{"error":{"message":"Incorrect API key provided: sk-proj-abc****wxyz.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`
	e := openaiwire.UpstreamError("openai", http.StatusUnauthorized, []byte(body))
	if strings.Contains(e.Message, "sk-") || strings.Contains(string(openaiwire.EncodeError(e)), "sk-") {
		t.Errorf("message repeats the key: %q", e.Message)
	}
	if e.Cause == nil || !strings.Contains(e.Cause.Error(), "Incorrect API key provided") {
		t.Errorf("cause %v should keep the upstream's text for the log", e.Cause)
	}
	if e.Param != "" || e.Code != llm.CodeUpstreamAuth {
		t.Errorf("param %q code %q", e.Param, e.Code)
	}
}

func TestEncodeError(t *testing.T) {
	tests := []struct {
		err  *llm.Error
		want string
	}{
		{llm.InvalidRequest(llm.CodeMissingField, "model", "missing %q", "model"),
			`{"error":{"message":"missing \"model\"","type":"invalid_request_error","param":"model","code":"missing_required_parameter"}}`},
		{&llm.Error{Status: 500, Type: llm.TypeServer, Message: "boom"},
			`{"error":{"message":"boom","type":"server_error","param":null,"code":null}}`},
		{llm.ModelNotFound("x", ""),
			`{"error":{"message":"model \"x\" is not available through this gateway","type":"invalid_request_error","param":"model","code":"model_not_found"}}`},
	}
	for _, tt := range tests {
		if got := string(openaiwire.EncodeError(tt.err)); got != tt.want {
			t.Errorf("EncodeError = %s\nwant %s", got, tt.want)
		}
	}
}

func TestEncodeModels(t *testing.T) {
	got := string(openaiwire.EncodeModels([]openaiwire.Model{{ID: "openai/gpt-4o", Object: "model", Created: 1, OwnedBy: "openai"}}))
	want := `{"object":"list","data":[{"id":"openai/gpt-4o","object":"model","created":1,"owned_by":"openai"}]}`
	if got != want {
		t.Errorf("EncodeModels = %s\nwant %s", got, want)
	}
	if got := string(openaiwire.EncodeModels(nil)); got != `{"object":"list","data":[]}` {
		t.Errorf("EncodeModels(nil) = %s", got)
	}
}
