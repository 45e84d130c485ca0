package gemini

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/openaiwire"
)

// upstreamError maps an error answer of the Gemini API,
// {"error":{"code":403,"message":"…","status":"PERMISSION_DENIED","details":[…]}}, to an
// *llm.Error with the gateway's usual status semantics (those of openaiwire.UpstreamError,
// which also renders the message). On top of those it knows Gemini's own signals: an invalid
// API key answered with 400, the retry delay in a RetryInfo detail, a prompt longer than the
// model's window, and an unknown model.
func upstreamError(name string, status int, body []byte) *llm.Error {
	var b errorBody
	_ = json.Unmarshal(body, &b) // not JSON: UpstreamError keeps an excerpt of the text
	if b.Error == nil {
		return openaiwire.UpstreamError(name, status, body)
	}
	ge := b.Error
	var retry time.Duration
	keyInvalid := false
	for _, d := range ge.Details {
		switch {
		case strings.HasSuffix(d.Type, "google.rpc.ErrorInfo") && d.Reason == "API_KEY_INVALID":
			keyInvalid = true
		case strings.HasSuffix(d.Type, "google.rpc.RetryInfo"):
			if v, err := time.ParseDuration(d.RetryDelay); err == nil && v > 0 {
				retry = v
			}
		}
	}
	if status == http.StatusBadRequest && keyInvalid {
		// "API key not valid. Please pass a valid API key.": the gateway's key, not the caller's request.
		e := openaiwire.UpstreamError(name, http.StatusUnauthorized, body)
		e.Message = strings.Replace(e.Message, "(HTTP 401)", "(HTTP 400, API_KEY_INVALID)", 1)
		return e
	}
	e := openaiwire.UpstreamError(name, status, body)
	if retry > 0 && e.Retryable {
		e.RetryAfter = retry
	}
	switch {
	case status == http.StatusNotFound:
		// "models/x is not found for API version v1beta, or is not supported for generateContent."
		e.Code, e.Param = llm.CodeModelNotFound, "model"
	case status == http.StatusBadRequest && isContextOverflow(ge.Message):
		e.Type, e.Code = llm.TypeInvalidRequest, llm.CodeContextLength
	}
	return e
}

// isContextOverflow recognises Gemini's words for a prompt larger than the model's window:
// "The input token count (1234567) exceeds the maximum number of tokens allowed (1048576)."
func isContextOverflow(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "input token count") && strings.Contains(m, "exceeds the maximum") ||
		strings.Contains(m, "exceeds the maximum number of tokens")
}

// bodyError maps an error object found in a 200 answer or in a stream event. Its code is the
// HTTP status the error would have had; without one it is a 502.
func bodyError(name string, body []byte) *llm.Error {
	var b errorBody
	status := http.StatusBadGateway
	if json.Unmarshal(body, &b) == nil && b.Error != nil && b.Error.Code >= 400 && b.Error.Code <= 599 {
		status = b.Error.Code
	}
	return upstreamError(name, status, body)
}
