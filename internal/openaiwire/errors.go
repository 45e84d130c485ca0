package openaiwire

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// EncodeError renders e as OpenAI's error JSON.
func EncodeError(e *llm.Error) []byte {
	o := ErrorObject{Message: e.Message, Type: e.Type}
	if e.Param != "" {
		o.Param = &e.Param
	}
	if e.Code != "" {
		o.Code = &e.Code
	}
	b, _ := json.Marshal(ErrorBody{Error: o})
	return b
}

// UpstreamError turns an upstream's error answer into an *llm.Error for the caller. It accepts
// OpenAI's envelope, llama.cpp's (numeric code), and the plain {"error":"text"} of Ollama and
// others. The upstream's message is passed on; the status is mapped so that the caller's SDK
// reacts correctly: the gateway's own credentials being refused is a 502, not the caller's 401.
func UpstreamError(provider string, status int, body []byte) *llm.Error {
	msg, typ, code, param := parseErrorBody(body)
	if msg == "" {
		msg = strings.TrimSpace(http.StatusText(status))
	}
	e := &llm.Error{Type: typ, Code: code, Param: param}
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Status, e.Type, e.Code, e.Param = http.StatusBadGateway, llm.TypeUpstream, llm.CodeUpstreamAuth, ""
		// The upstream's text goes to the log only: it is about the gateway's key, not the
		// caller's request, and OpenAI's names part of the key ("Incorrect API key provided:
		// sk-proj-****abcd").
		e.Message = fmt.Sprintf("provider %q refused the gateway's credentials (HTTP %d); check its API key in the gateway's configuration", provider, status)
		e.Cause = fmt.Errorf("provider %s answered HTTP %d: %s", provider, status, msg)
		return e
	case status == http.StatusTooManyRequests:
		e.Status, e.Type = status, llm.TypeRateLimit
		if e.Code == "" {
			e.Code = llm.CodeRateLimited
		}
		e.Retryable = true
	case status == http.StatusNotFound:
		e.Status = status
		if e.Type == "" {
			e.Type = llm.TypeInvalidRequest
		}
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		e.Status, e.Type, e.Code, e.Retryable = http.StatusGatewayTimeout, llm.TypeTimeout, llm.CodeUpstreamTimeout, true
	case status >= 500:
		e.Status, e.Type, e.Code, e.Retryable = http.StatusBadGateway, llm.TypeUpstream, llm.CodeUpstreamError, true
	case status >= 400:
		e.Status = status
		if status == http.StatusRequestEntityTooLarge || status == http.StatusUnprocessableEntity || status == http.StatusConflict {
			e.Status = http.StatusBadRequest
		}
		if !knownTypes[e.Type] {
			// vLLM's "BadRequestError", llama.cpp's "exceed_context_size_error", …: SDKs and
			// the dispatcher act on OpenAI's own vocabulary.
			e.Type = llm.TypeInvalidRequest
		}
		if isContextOverflow(typ, code, msg) {
			e.Status, e.Type, e.Code = http.StatusBadRequest, llm.TypeInvalidRequest, llm.CodeContextLength
		}
	default:
		e.Status, e.Type, e.Code = http.StatusBadGateway, llm.TypeUpstream, llm.CodeUpstreamBadResponse
	}
	e.Message = fmt.Sprintf("provider %q answered HTTP %d: %s", provider, status, msg)
	return e
}

var knownTypes = map[string]bool{
	llm.TypeInvalidRequest: true, llm.TypeNotFound: true, llm.TypeAuthentication: true,
	llm.TypePermission: true, llm.TypeRateLimit: true,
}

// isContextOverflow recognises the ways engines say a prompt does not fit the model's window:
// OpenAI's code, llama.cpp's type, and the wording of vLLM, Ollama and others.
func isContextOverflow(typ, code, msg string) bool {
	if code == llm.CodeContextLength || typ == "exceed_context_size_error" {
		return true
	}
	m := strings.ToLower(msg)
	for _, s := range []string{"maximum context length", "context length", "context size", "context window", "exceeds the available context"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

func parseErrorBody(body []byte) (msg, typ, code, param string) {
	var env struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && len(env.Error) > 0 {
		var s string
		if json.Unmarshal(env.Error, &s) == nil {
			return printable(s, maxUpstreamMessage), "", "", ""
		}
		var o struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
			Param   *string         `json:"param"`
		}
		if json.Unmarshal(env.Error, &o) == nil {
			var c string
			if json.Unmarshal(o.Code, &c) != nil {
				c = ""
			}
			if o.Param != nil {
				param = *o.Param
			}
			return printable(o.Message, maxUpstreamMessage), o.Type, c, param
		}
	}
	// Not JSON (an HTML page from a proxy, a stack trace): keep a short, printable excerpt.
	return printable(string(body), maxExcerpt), "", "", ""
}

// Bounds on upstream text passed on in a message: the message of a JSON error, and an excerpt
// of any other body.
const (
	maxUpstreamMessage = 1000
	maxExcerpt         = 200
)

// printable is llm.Printable.
func printable(s string, max int) string { return llm.Printable(s, max) }

// EncodeModels renders a model list.
func EncodeModels(models []Model) []byte {
	if models == nil {
		models = []Model{} // "data": null breaks clients that iterate over it
	}
	b, _ := json.Marshal(struct {
		Object string  `json:"object"`
		Data   []Model `json:"data"`
	}{"list", models})
	return b
}

// EncodeModel renders one model object.
func EncodeModel(m Model) []byte {
	b, _ := json.Marshal(m)
	return b
}
