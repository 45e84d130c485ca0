package anthropicwire

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// object is a JSON object split into its members, for decoding a client's body member by
// member with precise parameter paths in errors.
type object map[string]json.RawMessage

// decodeObject parses raw as a JSON object; param names it in errors ("" for the body).
func decodeObject(raw []byte, param string) (object, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		if param == "" {
			if len(raw) == 0 {
				return nil, llm.InvalidRequest(llm.CodeInvalidJSON, "", "request body is empty; send a JSON object")
			}
			if !json.Valid(raw) {
				return nil, syntaxError(json.Unmarshal(raw, new(any)))
			}
			return nil, llm.InvalidRequest(llm.CodeInvalidType, "", "request body must be a JSON object")
		}
		return nil, llm.InvalidRequest(llm.CodeInvalidType, param, "%s: expected an object, got %s", param, jsonKind(raw))
	}
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		if param == "" {
			return nil, syntaxError(err)
		}
		return nil, llm.InvalidRequest(llm.CodeInvalidType, param, "%s: expected an object", param)
	}
	return o, nil
}

func syntaxError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return llm.InvalidRequest(llm.CodeInvalidJSON, "",
			"request body is not valid JSON (%s at byte %d); check the request's encoding", se.Error(), se.Offset)
	}
	return llm.InvalidRequest(llm.CodeInvalidJSON, "", "request body is not valid JSON; check the request's encoding")
}

// has reports whether the member is present and not null.
func (o object) has(key string) bool {
	v, ok := o[key]
	return ok && !isNull(v)
}

// str reads a string member; a missing or null member gives "" and false.
func (o object) str(key, param string) (string, bool, error) {
	v, ok := o[key]
	if !ok || isNull(v) {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false, typeError(param, "a string", v)
	}
	return s, true, nil
}

// reqStr reads a string member that must be present.
func (o object) reqStr(key, param string) (string, error) {
	s, ok, err := o.str(key, param)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", missing(param)
	}
	return s, nil
}

// boolean reads a boolean member.
func (o object) boolean(key, param string) (*bool, error) {
	v, ok := o[key]
	if !ok || isNull(v) {
		return nil, nil
	}
	var b bool
	if err := json.Unmarshal(v, &b); err != nil {
		return nil, typeError(param, "a boolean", v)
	}
	return &b, nil
}

// integer reads an integer member.
func (o object) integer(key, param string) (*int, error) {
	v, ok := o[key]
	if !ok || isNull(v) {
		return nil, nil
	}
	var n int
	if err := json.Unmarshal(v, &n); err != nil {
		return nil, typeError(param, "an integer", v)
	}
	return &n, nil
}

// number reads a number member.
func (o object) number(key, param string) (*float64, error) {
	v, ok := o[key]
	if !ok || isNull(v) {
		return nil, nil
	}
	var f float64
	if err := json.Unmarshal(v, &f); err != nil {
		return nil, typeError(param, "a number", v)
	}
	return &f, nil
}

// array reads an array member as its raw elements.
func (o object) array(key, param string) ([]json.RawMessage, bool, error) {
	v, ok := o[key]
	if !ok || isNull(v) {
		return nil, false, nil
	}
	var a []json.RawMessage
	if err := json.Unmarshal(v, &a); err != nil {
		return nil, false, typeError(param, "an array", v)
	}
	return a, true, nil
}

// cacheControl reads a cache_control member, kept raw once checked to be an object.
func (o object) cacheControl(param string) (json.RawMessage, error) {
	v, ok := o["cache_control"]
	if !ok || isNull(v) {
		return nil, nil
	}
	if t := bytes.TrimSpace(v); len(t) == 0 || t[0] != '{' {
		return nil, typeError(param+".cache_control", "an object", v)
	}
	return compact(v), nil
}

// extras returns the members of o not in known as one JSON object, or nil when there are
// none.
func (o object) extras(known ...string) json.RawMessage {
	var keys []string
	for k := range o {
		if !slices.Contains(known, k) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = append(b, compact(o[k])...)
	}
	return append(b, '}')
}

func missing(param string) error {
	return llm.InvalidRequest(llm.CodeMissingField, param, "%s: field required", param)
}

func typeError(param, want string, got json.RawMessage) error {
	return llm.InvalidRequest(llm.CodeInvalidType, param, "%s: expected %s, got %s", param, want, jsonKind(got))
}

// jsonKind names the JSON type of v for error messages, without showing the value.
func jsonKind(v []byte) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return "nothing"
	}
	switch v[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	if !json.Valid(v) {
		return "invalid JSON"
	}
	return "a number"
}

func isNull(v json.RawMessage) bool {
	v = bytes.TrimSpace(v)
	return len(v) == 4 && string(v) == "null"
}

// compact returns v without insignificant white space.
func compact(v []byte) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, v) != nil {
		return json.RawMessage(v)
	}
	return b.Bytes()
}

// mergeMembers appends the members of the JSON object extra to the encoded object b, leaving
// out those b's encoder sets itself (known). Members go in key order.
func mergeMembers(b []byte, extra map[string]json.RawMessage, known func(string) bool) []byte {
	if len(extra) == 0 {
		return b
	}
	b = bytes.TrimRight(b, " \n")
	b = b[:len(b)-1] // the closing brace
	empty := len(b) > 0 && b[len(b)-1] == '{'
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if known(k) || len(extra[k]) == 0 {
			continue
		}
		if !empty {
			b = append(b, ',')
		}
		empty = false
		b = appendString(b, k)
		b = append(b, ':')
		b = append(b, extra[k]...)
	}
	return append(b, '}')
}

// mergeRawObject appends the members of the raw JSON object extra (nil is none) to b.
func mergeRawObject(b []byte, extra json.RawMessage, known ...string) []byte {
	if len(extra) == 0 {
		return b
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(extra, &m) != nil {
		return b
	}
	return mergeMembers(b, m, func(k string) bool { return slices.Contains(known, k) })
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string as Anthropic writes it: <, > and & stay literal,
// invalid UTF-8 becomes U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but end lines in JavaScript.
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newID returns prefix followed by 24 random letters and digits, like Anthropic's ids.
func newID(prefix string) string {
	var sb strings.Builder
	sb.Grow(len(prefix) + 24)
	sb.WriteString(prefix)
	for range 24 {
		sb.WriteByte(idAlphabet[rand.IntN(len(idAlphabet))])
	}
	return sb.String()
}
