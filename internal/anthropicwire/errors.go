package anthropicwire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// Anthropic's error types (https://docs.claude.com/en/api/errors).
const (
	ErrInvalidRequest  = "invalid_request_error"
	ErrAuthentication  = "authentication_error"
	ErrBilling         = "billing_error"
	ErrPermission      = "permission_error"
	ErrNotFound        = "not_found_error"
	ErrRequestTooLarge = "request_too_large"
	ErrRateLimit       = "rate_limit_error"
	ErrAPI             = "api_error"
	ErrTimeout         = "timeout_error"
	ErrOverloaded      = "overloaded_error"
)

// StatusOverloaded is the status Anthropic answers with when it is short of capacity.
const StatusOverloaded = 529

// ErrorType returns the Anthropic error type for e, chosen by its HTTP status, as Anthropic's
// SDKs decide how to react by it.
func ErrorType(e *llm.Error) string {
	switch e.Status {
	case http.StatusBadRequest:
		return ErrInvalidRequest
	case http.StatusUnauthorized:
		return ErrAuthentication
	case http.StatusPaymentRequired:
		return ErrBilling
	case http.StatusForbidden:
		return ErrPermission
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusRequestEntityTooLarge:
		return ErrRequestTooLarge
	case http.StatusTooManyRequests:
		return ErrRateLimit
	case http.StatusGatewayTimeout, http.StatusRequestTimeout:
		return ErrTimeout
	case http.StatusServiceUnavailable, StatusOverloaded:
		return ErrOverloaded
	}
	if e.Status >= 500 || e.Status == 0 {
		return ErrAPI
	}
	return ErrInvalidRequest
}

// errorBody is Anthropic's error envelope.
type errorBody struct {
	Type  string      `json:"type"`
	Error errorObject `json:"error"`
}

type errorObject struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// EncodeError renders e as Anthropic's error JSON:
// {"type":"error","error":{"type":"…","message":"…"}}.
func EncodeError(e *llm.Error) []byte {
	b, _ := json.Marshal(errorBody{Type: "error", Error: errorObject{Type: ErrorType(e), Message: e.Message}})
	return b
}

// EncodeStreamError is the data of the "error" event that ends a stream which has already
// started; it has the same shape as EncodeError's body.
func EncodeStreamError(e *llm.Error) []byte { return EncodeError(e) }

// IsErrorBody reports whether body is an error object: Anthropic's envelope
// ({"type":"error",…}) or any JSON object with a non-null "error" member.
func IsErrorBody(body []byte) bool {
	if !bytes.Contains(body, []byte(`"error"`)) {
		return false
	}
	var env struct {
		Type  string          `json:"type"`
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil {
		return false
	}
	return env.Type == "error" || (len(env.Error) > 0 && string(env.Error) != "null")
}

// statusOfType gives the HTTP status Anthropic uses for an error type, for errors that arrive
// without one (a stream's error event).
func statusOfType(t string) int {
	switch t {
	case ErrInvalidRequest:
		return http.StatusBadRequest
	case ErrAuthentication:
		return http.StatusUnauthorized
	case ErrBilling:
		return http.StatusPaymentRequired
	case ErrPermission:
		return http.StatusForbidden
	case ErrNotFound:
		return http.StatusNotFound
	case ErrRequestTooLarge:
		return http.StatusRequestEntityTooLarge
	case ErrRateLimit:
		return http.StatusTooManyRequests
	case ErrTimeout:
		return http.StatusGatewayTimeout
	case ErrOverloaded:
		return StatusOverloaded
	}
	return http.StatusInternalServerError
}

// UpstreamError turns an Anthropic error answer into an *llm.Error for the caller, with the
// status semantics of openaiwire.UpstreamError: the upstream refusing the gateway's own key or
// account is a 502 (upstream_auth_failed), not the caller's 401; 429 is retryable with its
// Retry-After; 5xx and 529 (overloaded) are retryable upstream errors; a prompt too long for
// the model is context_length_exceeded; an unknown model is a 404 model_not_found. The
// upstream's message is passed on: Anthropic's messages describe the request, never echo it.
func UpstreamError(provider string, status int, body []byte) *llm.Error {
	msg, typ, detail := parseErrorBody(body)
	if msg == "" {
		msg = strings.TrimSpace(http.StatusText(status))
		if status == StatusOverloaded {
			msg = "Overloaded"
		}
	}
	e := &llm.Error{}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden ||
		status == http.StatusPaymentRequired || typ == ErrBilling || detail == "enforced_spend_limit_reached" ||
		(status == http.StatusBadRequest && isAccountProblem(msg)):
		// About the gateway's key or account, not the caller's request: the text goes to the
		// log only, and another provider may still answer.
		e.Status, e.Type, e.Code = http.StatusBadGateway, llm.TypeUpstream, llm.CodeUpstreamAuth
		e.Message = fmt.Sprintf("provider %q refused the gateway's credentials or account (HTTP %d); check its API key, billing and limits in the gateway's configuration", provider, status)
		e.Cause = fmt.Errorf("provider %s answered HTTP %d: %s", provider, status, msg)
		return e
	case status == http.StatusTooManyRequests:
		e.Status, e.Type, e.Code, e.Retryable = status, llm.TypeRateLimit, llm.CodeRateLimited, true
	case status == http.StatusNotFound:
		e.Status, e.Type = status, llm.TypeNotFound
		if strings.HasPrefix(msg, "model:") {
			// "model: claude-does-not-exist": the model is unknown, which the dispatcher
			// treats like a model this gateway does not have.
			e.Type, e.Code, e.Param = llm.TypeInvalidRequest, llm.CodeModelNotFound, "model"
		}
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		e.Status, e.Type, e.Code, e.Retryable = http.StatusGatewayTimeout, llm.TypeTimeout, llm.CodeUpstreamTimeout, true
	case status == StatusOverloaded || (status == http.StatusServiceUnavailable && typ == ErrOverloaded):
		// 503, so that an Anthropic client of the gateway reads overloaded_error, as from
		// Anthropic itself.
		e.Status, e.Type, e.Code, e.Retryable = http.StatusServiceUnavailable, llm.TypeUpstream, llm.CodeUpstreamError, true
	case status >= 500:
		e.Status, e.Type, e.Code, e.Retryable = http.StatusBadGateway, llm.TypeUpstream, llm.CodeUpstreamError, true
	case status == http.StatusRequestEntityTooLarge:
		e.Status, e.Type, e.Code = status, llm.TypeInvalidRequest, llm.CodeBodyTooLarge
	case status >= 400:
		e.Status, e.Type = http.StatusBadRequest, llm.TypeInvalidRequest
		if isContextOverflow(msg) {
			e.Code = llm.CodeContextLength
		}
	default:
		e.Status, e.Type, e.Code = http.StatusBadGateway, llm.TypeUpstream, llm.CodeUpstreamBadResponse
	}
	e.Message = fmt.Sprintf("provider %q answered HTTP %d: %s", provider, status, msg)
	return e
}

// isContextOverflow recognises Anthropic's ways of saying a prompt does not fit the window:
// "prompt is too long: 201234 tokens > 200000 maximum" and "input length and `max_tokens`
// exceed context limit: …".
func isContextOverflow(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"prompt is too long", "exceed context limit", "context window", "context length"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// isAccountProblem recognises the 400 Anthropic answers when the account behind the
// gateway's key cannot pay: "Your credit balance is too low…", a reached spend limit.
func isAccountProblem(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "credit balance") || strings.Contains(m, "spend limit") || strings.Contains(m, "usage limits")
}

func parseErrorBody(body []byte) (msg, typ, detail string) {
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && len(env.Error) > 0 {
		var s string
		if json.Unmarshal(env.Error, &s) == nil {
			return printable(s, maxUpstreamMessage), "", ""
		}
		var o struct {
			Type    string `json:"type"`
			Message string `json:"message"`
			Details struct {
				ErrorCode string `json:"error_code"`
			} `json:"details"`
		}
		if json.Unmarshal(env.Error, &o) == nil {
			return printable(o.Message, maxUpstreamMessage), o.Type, o.Details.ErrorCode
		}
	}
	// Not JSON (an HTML page from a proxy, a stack trace): keep a short, printable excerpt.
	return printable(string(body), maxExcerpt), "", ""
}

// Bounds on upstream text passed on in a message: the message of a JSON error, and an excerpt
// of any other body.
const (
	maxUpstreamMessage = 1000
	maxExcerpt         = 200
)

// printable is llm.Printable.
func printable(s string, max int) string { return llm.Printable(s, max) }
