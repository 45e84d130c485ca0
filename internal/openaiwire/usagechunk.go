package openaiwire

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// decodeUsageChunk decodes the last chunk of a stream with include_usage, the one chunk of
// every stream that the gateway must read: no choices, only the usage. It walks the payload
// and its usage object by hand, where a full json.Unmarshal of the chunk was the most expensive
// step of relaying a stream (on the stream's fresh goroutine, encoding/json's recursion also
// made the runtime grow and copy the goroutine's stack).
//
// It fills c exactly as decodeChunk would, or reports false and leaves c alone: it takes only
// what it can decode with the same result. Anything else goes to the full decoder: choices
// that are not an empty array, a member spelled in another case than the known ones
// (encoding/json would take it), a known member given twice, or a value of the wrong type.
func decodeUsageChunk(c *llm.Chunk, data []byte) bool {
	var (
		id, model, tier, fingerprint string
		hasFingerprint               bool
		created                      int64
		usage                        *Usage
		seen                         seenSet
	)
	const (
		seenID = 1 << iota
		seenModel
		seenTier
		seenFingerprint
		seenCreated
		seenChoices
		seenUsage
		seenObject
	)
	once := seen.first
	ok := walkObject(data, func(key, value []byte) bool {
		switch string(key) {
		case "id":
			return once(seenID) && jsonString(value, &id)
		case "model":
			return once(seenModel) && jsonString(value, &model)
		case "service_tier":
			return once(seenTier) && jsonString(value, &tier)
		case "object":
			var s string
			return once(seenObject) && jsonString(value, &s)
		case "system_fingerprint":
			if !once(seenFingerprint) {
				return false
			}
			if string(value) == "null" {
				return true
			}
			hasFingerprint = true
			return jsonString(value, &fingerprint)
		case "created":
			if !once(seenCreated) {
				return false
			}
			if string(value) == "null" {
				return true
			}
			n, ok := jsonInt(value)
			created = n
			return ok
		case "choices":
			return once(seenChoices) && emptyArray(value)
		case "usage":
			if !once(seenUsage) || string(value) == "null" {
				return false // a chunk with usage null is no usage chunk
			}
			u, ok := decodeUsage(value)
			usage = u
			return ok
		}
		if foldsTo(key, "id", "model", "service_tier", "object", "system_fingerprint", "created", "choices", "usage") {
			return false
		}
		return validValue(value) // an unknown member, such as "obfuscation"
	})
	if !ok || usage == nil {
		return false
	}
	c.ID, c.Model, c.Created, c.ServiceTier = id, model, created, tier
	c.SystemFingerprint = ""
	if hasFingerprint {
		c.SystemFingerprint = fingerprint
	}
	c.Usage = usageToCanonical(usage)
	c.Choices = []llm.ChunkChoice{}
	return true
}

// walkObject calls fn with each member of the JSON object data, its key as written between
// the quotes and its value's bytes, in order. It returns false when data is not one object
// that it can walk (a syntax error, a key with an escape or not in UTF-8, trailing bytes) or
// when fn returns false. Values are delimited, not checked: fn decodes the ones it takes.
func walkObject(data []byte, fn func(key, value []byte) bool) bool {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return false
		}
		end := stringEnd(data, i)
		if end < 0 {
			return false
		}
		key := data[i+1 : end-1]
		for _, b := range key {
			if b < 0x20 || b == '\\' {
				return false // a key with an escape, or one encoding/json refuses
			}
		}
		if !utf8.Valid(key) {
			return false // encoding/json would replace the bad bytes
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		vend := valueEnd(data, i)
		if vend < 0 || !fn(key, data[i:vend]) {
			return false
		}
		i = skipSpace(data, vend)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string that starts at data[i] (a quote), or
// -1 when it does not end.
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// valueEnd returns the index just past the JSON value that starts at data[i], by its
// delimiters alone, or -1.
func valueEnd(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				end := stringEnd(data, j)
				if end < 0 {
					return -1
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	default:
		j := i
		for j < len(data) && bytes.IndexByte([]byte(",}] \t\r\n"), data[j]) < 0 {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}

// jsonString decodes a JSON string value into s, or null (s unchanged), with encoding/json's
// result; it reports false for any other value.
func jsonString(value []byte, s *string) bool {
	if string(value) == "null" {
		return true
	}
	if len(value) < 2 || value[0] != '"' || value[len(value)-1] != '"' {
		return false
	}
	inner := value[1 : len(value)-1]
	plain := utf8.Valid(inner)
	for _, b := range inner {
		if b < 0x20 || b == '\\' || b == '"' {
			plain = false
			break
		}
	}
	if plain {
		*s = string(inner)
		return true
	}
	return json.Unmarshal(value, s) == nil
}

// jsonInt decodes a JSON number that encoding/json takes for an int64: an integer, without a
// fraction or an exponent.
func jsonInt(value []byte) (int64, bool) {
	digits := value
	if len(digits) > 0 && digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || (digits[0] == '0' && len(digits) > 1) {
		return 0, false
	}
	for _, b := range digits {
		if b < '0' || b > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(string(value), 10, 64)
	return n, err == nil
}

// emptyArray reports whether value is [] (with any white space inside).
func emptyArray(value []byte) bool {
	return len(value) >= 2 && value[0] == '[' && value[len(value)-1] == ']' && skipSpace(value, 1) == len(value)-1
}

// decodeUsage decodes a usage object as json.Unmarshal into Usage would, or reports false
// when it cannot be sure to (see decodeUsageChunk).
func decodeUsage(value []byte) (*Usage, bool) {
	if len(value) == 0 || value[0] != '{' {
		return nil, false
	}
	u := &Usage{}
	var seen seenSet
	once := seen.first
	ok := walkObject(value, func(key, v []byte) bool {
		switch string(key) {
		case "prompt_tokens":
			return once(1) && jsonIntField(v, &u.PromptTokens)
		case "completion_tokens":
			return once(2) && jsonIntField(v, &u.CompletionTokens)
		case "total_tokens":
			return once(4) && jsonIntField(v, &u.TotalTokens)
		case "prompt_tokens_details":
			return once(8) && detailObject(v, "cached_tokens", func(n int) {
				u.PromptTokensDetails = &PromptTokensDetails{CachedTokens: n}
			})
		case "completion_tokens_details":
			return once(16) && detailObject(v, "reasoning_tokens", func(n int) {
				u.CompletionTokensDetails = &CompletionTokensDetails{ReasoningTokens: n}
			})
		}
		if foldsTo(key, "prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details", "completion_tokens_details") {
			return false
		}
		return validValue(v)
	})
	return u, ok
}

// detailObject decodes a tokens-details object that has one member the gateway reads, and
// calls set with that member's value (0 when absent); for null it calls nothing.
func detailObject(value []byte, name string, set func(int)) bool {
	if string(value) == "null" {
		return true
	}
	if len(value) == 0 || value[0] != '{' {
		return false
	}
	var seen seenSet
	n := 0
	ok := walkObject(value, func(key, v []byte) bool {
		if string(key) == name {
			return seen.first(1) && jsonIntField(v, &n)
		}
		return !foldsTo(key, name) && validValue(v)
	})
	set(n)
	return ok
}

// seenSet records which known members an object has had: encoding/json merges or overwrites a
// member given twice, which the quick decoders leave to it.
type seenSet uint16

// first reports whether bit was not yet set, and sets it.
func (s *seenSet) first(bit uint16) bool {
	if *s&seenSet(bit) != 0 {
		return false
	}
	*s |= seenSet(bit)
	return true
}

// foldsTo reports whether key is one of names in another case, which encoding/json would take
// for it.
func foldsTo(key []byte, names ...string) bool {
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

// jsonIntField decodes a JSON integer into an int field, or null (n unchanged).
func jsonIntField(value []byte, n *int) bool {
	if string(value) == "null" {
		return true
	}
	v, ok := jsonInt(value)
	if !ok || int64(int(v)) != v {
		return false
	}
	*n = int(v)
	return true
}

// validValue reports whether value is one valid JSON value, as the full decoder's check of a
// member it skips would find it.
func validValue(value []byte) bool {
	if len(value) == 0 {
		return false
	}
	switch value[0] {
	case '"':
		var s string
		return jsonString(value, &s)
	case '{', '[':
		return json.Valid(value)
	case 't':
		return string(value) == "true"
	case 'f':
		return string(value) == "false"
	case 'n':
		return string(value) == "null"
	}
	return jsonNumber(value)
}

// jsonNumber reports whether value is a number by JSON's grammar.
func jsonNumber(value []byte) bool {
	i := 0
	if i < len(value) && value[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(value) && value[i] >= '0' && value[i] <= '9' {
			i++
		}
		return i - start
	}
	switch {
	case i < len(value) && value[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(value) && value[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(value) && (value[i] == 'e' || value[i] == 'E') {
		i++
		if i < len(value) && (value[i] == '+' || value[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(value)
}
