package llm

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Error types, in the vocabulary of OpenAI's error object; the Anthropic ingress maps them to its own.
const (
	TypeInvalidRequest = "invalid_request_error"
	TypeNotFound       = "not_found_error"
	TypeAuthentication = "authentication_error"
	TypePermission     = "permission_error"
	TypeRateLimit      = "rate_limit_error"
	TypeUpstream       = "upstream_error"
	TypeTimeout        = "timeout_error"
	TypeServer         = "server_error"
)

// Error codes the gateway itself gives. Together with the constructors below they are the catalog
// of public errors; docs/ERRORS.md explains each.
const (
	CodeInvalidJSON          = "invalid_json"
	CodeMissingField         = "missing_required_parameter"
	CodeInvalidType          = "invalid_type"
	CodeInvalidValue         = "invalid_value"
	CodeModelNotFound        = "model_not_found"
	CodeModelAmbiguous       = "model_ambiguous"
	CodeBodyTooLarge         = "request_too_large"
	CodeUnsupportedParameter = "unsupported_parameter"
	CodeContextLength        = "context_length_exceeded"
	CodeUpstreamUnavailable  = "upstream_unavailable"
	CodeUpstreamTimeout      = "upstream_timeout"
	CodeUpstreamError        = "upstream_error"
	CodeUpstreamAuth         = "upstream_auth_failed"
	CodeUpstreamBadResponse  = "upstream_bad_response"
	CodeRateLimited          = "rate_limit_exceeded"
	CodeNotFound             = "not_found"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeInternal             = "internal_error"
)

// Error is an error meant for the caller: an HTTP status plus a message that is safe to show
// (it never contains prompt text or keys). Ingress packages render it in their wire format.
type Error struct {
	Status  int
	Type    string
	Code    string
	Param   string
	Message string
	// RetryAfter, when positive, is sent as a Retry-After header.
	RetryAfter time.Duration
	// Retryable marks an upstream failure that may succeed on another attempt and has not
	// yet sent anything to the caller (connect error, 429, 5xx before the first byte).
	Retryable bool
	// Cause is internal detail for logs and errors.Is; never shown to the caller.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.Cause)
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// AsError returns err as an *Error, turning any other error into a 500 that hides its detail.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Type: TypeServer, Code: CodeInternal,
		Message: "internal error in the gateway; see its log for the request id", Cause: err}
}

// InvalidRequest returns a 400 error about param.
func InvalidRequest(code, param, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Type: TypeInvalidRequest, Code: code, Param: param,
		Message: fmt.Sprintf(format, args...)}
}

// Unsupported returns a 400 error for a parameter the chosen provider cannot honour.
func Unsupported(provider, param, why string) *Error {
	msg := fmt.Sprintf("parameter %q is not supported by provider %q", param, provider)
	if why != "" {
		msg += ": " + why
	}
	return &Error{Status: http.StatusBadRequest, Type: TypeInvalidRequest, Code: CodeUnsupportedParameter,
		Param: param, Message: msg + "; remove it or choose a model of another provider"}
}

// ModelNotFound returns a 404 for an unknown model.
func ModelNotFound(model, hint string) *Error {
	msg := fmt.Sprintf("model %q is not available through this gateway", model)
	if hint != "" {
		msg += "; " + hint
	}
	return &Error{Status: http.StatusNotFound, Type: TypeInvalidRequest, Code: CodeModelNotFound,
		Param: "model", Message: msg}
}

// Printable makes upstream text fit for an error message: valid UTF-8 without control
// characters, runs of white space folded into one space, cut to at most max bytes (plus an
// ellipsis) at a character boundary. Adapters pass a provider's own error text through it.
func Printable(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
	if len(s) > max {
		for max > 0 && !utf8.RuneStart(s[max]) {
			max--
		}
		s = s[:max] + "…"
	}
	return s
}
