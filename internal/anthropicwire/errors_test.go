package anthropicwire_test

import (
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/anthropicwire"
	"github.com/sovereign-gateway/sovereign/internal/llm"
)

func TestErrorType(t *testing.T) {
	for _, tt := range []struct {
		status int
		want   string
	}{
		{400, "invalid_request_error"}, {401, "authentication_error"}, {402, "billing_error"}, {403, "permission_error"},
		{404, "not_found_error"}, {405, "invalid_request_error"}, {413, "request_too_large"}, {429, "rate_limit_error"},
		{500, "api_error"}, {502, "api_error"}, {503, "overloaded_error"}, {504, "timeout_error"}, {529, "overloaded_error"},
		{0, "api_error"},
	} {
		if got := anthropicwire.ErrorType(&llm.Error{Status: tt.status}); got != tt.want {
			t.Errorf("ErrorType(%d) = %q, want %q", tt.status, got, tt.want)
		}
	}
}

func TestEncodeError(t *testing.T) {
	e := llm.ModelNotFound("claude-9", "see GET /v1/models")
	got := string(anthropicwire.EncodeError(e))
	want := `{"type":"error","error":{"type":"not_found_error","message":"model \"claude-9\" is not available through this gateway; see GET /v1/models"}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestUpstreamError(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		wantSt    int
		typ       string
		code      string
		param     string
		msg       string // a piece of the message
		retryable bool
	}{
		{"recorded 400", 400, string(fixture(t, "anthropic/error_400_invalid_request.response.json")), 400, llm.TypeInvalidRequest, "", "",
			`provider "anthropic" answered HTTP 400: This model does not support effort level 'xhigh'. Supported levels: high, low, max, medium.`, false},
		{"recorded 404 of count_tokens", 404, string(fixture(t, "anthropic/error_404_count_tokens.response.json")), 404, llm.TypeInvalidRequest, llm.CodeModelNotFound, "model",
			"model: claude-does-not-exist", false},
		{"404 of something else", 404, `{"type":"error","error":{"type":"not_found_error","message":"Not found"}}`, 404, llm.TypeNotFound, "", "", "Not found", false},
		{"prompt too long", 400, `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}`,
			400, llm.TypeInvalidRequest, llm.CodeContextLength, "", "prompt is too long", false},
		{"input and max_tokens exceed the window", 400, `{"type":"error","error":{"type":"invalid_request_error","message":"input length and ` + "`max_tokens`" + ` exceed context limit: 188240 + 21333 > 200000"}}`,
			400, llm.TypeInvalidRequest, llm.CodeContextLength, "", "exceed context limit", false},
		{"401", 401, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, 502, llm.TypeUpstream, llm.CodeUpstreamAuth, "", "credentials", false},
		{"403", 403, `{"type":"error","error":{"type":"permission_error","message":"no access"}}`, 502, llm.TypeUpstream, llm.CodeUpstreamAuth, "", "credentials", false},
		{"credit balance", 400, `{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API."}}`, 502, llm.TypeUpstream, llm.CodeUpstreamAuth, "", "billing", false},
		{"spend limit 429", 429, `{"type":"error","error":{"type":"rate_limit_error","message":"limit","details":{"error_code":"enforced_spend_limit_reached"}}}`, 502, llm.TypeUpstream, llm.CodeUpstreamAuth, "", "billing", false},
		{"413", 413, `{"type":"error","error":{"type":"request_too_large","message":"Request exceeds the maximum size"}}`, 413, llm.TypeInvalidRequest, llm.CodeBodyTooLarge, "", "maximum size", false},
		{"429", 429, `{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}`, 429, llm.TypeRateLimit, llm.CodeRateLimited, "", "rate limit", true},
		{"500", 500, `{"type":"error","error":{"type":"api_error","message":"Internal server error"}}`, 502, llm.TypeUpstream, llm.CodeUpstreamError, "", "Internal server error", true},
		{"529 overloaded", 529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, 503, llm.TypeUpstream, llm.CodeUpstreamError, "", "HTTP 529: Overloaded", true},
		{"529 without a body", 529, ``, 503, llm.TypeUpstream, llm.CodeUpstreamError, "", "Overloaded", true},
		{"504", 504, `<html>Gateway Timeout</html>`, 504, llm.TypeTimeout, llm.CodeUpstreamTimeout, "", "", true},
		{"502 html", 502, "<html>\n<body>Bad\tGateway</body></html>", 502, llm.TypeUpstream, llm.CodeUpstreamError, "", "<html> <body>Bad Gateway</body></html>", true},
		{"200 with an error", 200, `{"type":"error","error":{"type":"api_error","message":"x"}}`, 502, llm.TypeUpstream, llm.CodeUpstreamBadResponse, "", "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := anthropicwire.UpstreamError("anthropic", tt.status, []byte(tt.body))
			if e.Status != tt.wantSt || e.Type != tt.typ || e.Code != tt.code || e.Param != tt.param || e.Retryable != tt.retryable {
				t.Errorf("got %d %q %q %q retryable %v\nwant %d %q %q %q retryable %v (%s)", e.Status, e.Type, e.Code, e.Param, e.Retryable,
					tt.wantSt, tt.typ, tt.code, tt.param, tt.retryable, e.Message)
			}
			if !strings.Contains(e.Message, tt.msg) {
				t.Errorf("message %q should contain %q", e.Message, tt.msg)
			}
			if tt.code == llm.CodeUpstreamAuth && (strings.Contains(e.Message, "x-api-key") || strings.Contains(e.Message, "credit")) {
				t.Errorf("the upstream's text about the gateway's account reached the message: %q", e.Message)
			}
		})
	}
	// An Anthropic client of the gateway reads an overloaded Anthropic as overloaded.
	if typ := anthropicwire.ErrorType(anthropicwire.UpstreamError("a", 529, nil)); typ != "overloaded_error" {
		t.Errorf("529 is rendered as %q", typ)
	}
	long := strings.Repeat("é", 2000)
	if e := anthropicwire.UpstreamError("a", 400, []byte(`{"error":{"message":"`+long+`"}}`)); len(e.Message) > 1100 || !strings.HasSuffix(e.Message, "…") {
		t.Errorf("a long message is not cut: %d bytes", len(e.Message))
	}
	if !anthropicwire.IsErrorBody([]byte(`{"type":"error","error":{}}`)) || anthropicwire.IsErrorBody(fixture(t, "anthropic/plain.response.json")) {
		t.Error("IsErrorBody")
	}
}
