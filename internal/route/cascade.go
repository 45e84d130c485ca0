package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// Check names: stable, for the ledger and metrics.
const (
	CheckEmpty      = "empty"      // no text, no tool call
	CheckRefusal    = "refusal"    // a refusal or "I don't know"
	CheckTruncated  = "truncated"  // stopped at the token limit
	CheckJSON       = "json"       // JSON was asked for; the answer is not JSON or breaks the schema
	CheckToolCall   = "tool_call"  // a call to an unknown tool, bad arguments, or a required call missing
	CheckConfidence = "confidence" // the answer's logprobs say the model was unsure
)

// Verdict is the result of Check: OK, or the names of the checks that failed, in the order of
// the constants above.
type Verdict struct {
	OK     bool     `json:"ok"`
	Failed []string `json:"failed,omitempty"`
}

// CheckOptions tunes Check.
type CheckOptions struct {
	// MinConfidence is the least Confidence an answer that carries logprobs must reach; 0 means
	// 0.5, negative turns the check off. Answers without logprobs pass it.
	MinConfidence float64
}

// Check judges a local answer to req before it is returned, so a cascade can retry in the cloud
// when it fails. It looks at the first choice only. It is pure: it changes neither argument.
func Check(req *llm.Request, resp *llm.Response, opts CheckOptions) Verdict {
	minConf := opts.MinConfidence
	if minConf == 0 {
		minConf = 0.5
	}
	var failed []string
	if resp == nil || len(resp.Choices) == 0 {
		return Verdict{Failed: []string{CheckEmpty}}
	}
	ch := &resp.Choices[0]
	text := ch.Message.Text()
	calls := ch.Message.ToolCalls
	if Empty(&ch.Message) {
		failed = append(failed, CheckEmpty)
	}
	if ch.Message.Refusal != "" || (len(calls) == 0 && IsRefusal(text)) {
		failed = append(failed, CheckRefusal)
	}
	if Truncated(ch) {
		failed = append(failed, CheckTruncated)
	}
	if len(calls) == 0 && req.ResponseFormat != nil && strings.TrimSpace(text) != "" {
		if err := CheckJSONAnswer(req.ResponseFormat, text); err != nil {
			failed = append(failed, CheckJSON)
		}
	}
	if err := CheckToolCalls(req, calls); err != nil {
		failed = append(failed, CheckToolCall)
	}
	if minConf > 0 && len(ch.Logprobs) > 0 {
		if lp, err := Logprobs(ch.Logprobs); err == nil && len(lp) > 0 && Confidence(lp) < minConf {
			failed = append(failed, CheckConfidence)
		}
	}
	return Verdict{OK: len(failed) == 0, Failed: failed}
}

// Empty reports whether m has neither text (beyond white space) nor tool calls nor a refusal.
func Empty(m *llm.Message) bool {
	return len(m.ToolCalls) == 0 && m.Refusal == "" && strings.TrimSpace(m.Text()) == ""
}

// Truncated reports whether the answer stopped at the token limit.
func Truncated(ch *llm.Choice) bool { return ch.FinishReason == llm.FinishLength }

// refusalHead is how far into an answer a refusal phrase is looked for, and refusalMaxLen the
// longest answer that still counts as a refusal: a long answer that opens with "I'm sorry, but
// X is not possible" usually goes on to help.
const (
	refusalHead   = 200
	refusalMaxLen = 1200
)

// refusalPhrases are lowercase openings of refusals and admissions of not knowing, in English,
// French, German, Spanish, Italian, Portuguese, Russian, Chinese, Japanese and Korean.
var refusalPhrases = []string{
	"i'm sorry, but", "i am sorry, but", "sorry, but i can", "i can't help", "i cannot help",
	"i can't assist", "i cannot assist", "i can't provide", "i cannot provide", "i can't do that",
	"i'm unable to", "i am unable to", "i'm not able to", "i am not able to", "i won't be able to",
	"i must decline", "as an ai language model, i can", "i don't know", "i do not know",
	"i'm not sure", "i am not sure", "i don't have enough information", "i'm afraid i can",
	"i’m sorry, but", "i can’t help", "i can’t assist", "i don’t know", "i’m not sure", "i’m unable to",
	"je ne peux pas", "je suis désolé", "désolé, mais", "je ne sais pas",
	"ich kann nicht", "ich kann ihnen nicht", "es tut mir leid", "ich weiß nicht",
	"lo siento", "no puedo", "no lo sé", "no sé la respuesta",
	"mi dispiace", "non posso", "non lo so",
	"desculpe", "não posso", "não sei", "sinto muito",
	"извините", "я не могу", "не знаю", "к сожалению, я не",
	"抱歉", "对不起", "我不能", "我无法", "我不知道",
	"申し訳ありません", "できません", "わかりません",
	"죄송합니다", "할 수 없습니다", "모르겠습니다",
}

// IsRefusal reports whether text is a refusal or an "I don't know": a refusal phrase in its
// first 200 bytes, in an answer of less than 1,200 bytes.
func IsRefusal(text string) bool {
	t := strings.TrimSpace(text)
	if t == "" || len(t) >= refusalMaxLen {
		return false
	}
	head := t[:min(len(t), refusalHead)]
	head = strings.ToLower(head)
	for _, p := range refusalPhrases {
		if strings.Contains(head, p) {
			return true
		}
	}
	return false
}

// CheckJSONAnswer checks text against a response format that asks for JSON: it must be one JSON
// value (an object for json_object), and for json_schema it must satisfy the schema (see
// ValidateSchema). Other formats pass.
func CheckJSONAnswer(rf *llm.ResponseFormat, text string) error {
	if rf == nil || (rf.Type != llm.ResponseJSONObject && rf.Type != llm.ResponseJSONSchema) {
		return nil
	}
	v, err := decodeJSON([]byte(text))
	if err != nil {
		return fmt.Errorf("answer is not JSON: %w", err)
	}
	if rf.Type == llm.ResponseJSONObject {
		if _, ok := v.(map[string]any); !ok {
			return errors.New("answer is not a JSON object")
		}
		return nil
	}
	if len(rf.Schema) == 0 {
		return nil
	}
	return ValidateSchema(rf.Schema, v)
}

// CheckToolCalls checks the tool calls of an answer to req: each names a function tool of the
// request, its arguments are a JSON object that satisfies the tool's parameter schema, and a
// required call (tool_choice required or a named function) is there.
func CheckToolCalls(req *llm.Request, calls []llm.ToolCall) error {
	if tc := req.ToolChoice; tc != nil && len(calls) == 0 &&
		(tc.Mode == llm.ToolChoiceRequired || tc.Mode == llm.ToolChoiceFunction) {
		return errors.New("a tool call was required")
	}
	for _, c := range calls {
		var tool *llm.Tool
		for i := range req.Tools {
			if req.Tools[i].Hosted == "" && req.Tools[i].Name == c.Name {
				tool = &req.Tools[i]
				break
			}
		}
		if tool == nil {
			return fmt.Errorf("call to unknown tool %q", c.Name)
		}
		if tc := req.ToolChoice; tc != nil && tc.Mode == llm.ToolChoiceFunction && tc.Name != c.Name {
			return fmt.Errorf("call to %q, but %q was required", c.Name, tc.Name)
		}
		args := strings.TrimSpace(c.Arguments)
		if args == "" {
			args = "{}" // some engines send no arguments for a call without parameters
		}
		v, err := decodeJSON([]byte(args))
		if err != nil {
			return fmt.Errorf("tool %q: arguments are not JSON: %w", c.Name, err)
		}
		if _, ok := v.(map[string]any); !ok {
			return fmt.Errorf("tool %q: arguments are not a JSON object", c.Name)
		}
		if len(tool.Parameters) > 0 {
			if err := ValidateSchema(tool.Parameters, v); err != nil {
				return fmt.Errorf("tool %q: %w", c.Name, err)
			}
		}
	}
	return nil
}

// decodeJSON decodes exactly one JSON value, numbers as json.Number.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}

// maxSchemaDepth bounds how deep ValidateSchema follows a schema, $refs included.
const maxSchemaDepth = 32

// ValidateSchema checks a decoded JSON value (from encoding/json, numbers as float64 or
// json.Number) against a JSON Schema. It implements the practical subset that structured output
// and tool schemas use: type (one or a list), enum, const, properties, required,
// additionalProperties (false or a schema), items, minItems, maxItems, minLength, maxLength,
// pattern, minimum, maximum, anyOf, oneOf, allOf and local $ref ("#/$defs/…",
// "#/definitions/…"). Other keywords are ignored, so an unsupported schema errs towards passing.
func ValidateSchema(schema json.RawMessage, v any) error {
	var s any
	if err := json.Unmarshal(schema, &s); err != nil {
		return fmt.Errorf("schema is not JSON: %w", err)
	}
	return validate(s, s, v, "$", 0)
}

func validate(root, s, v any, path string, depth int) error {
	if depth > maxSchemaDepth {
		return fmt.Errorf("%s: schema nested too deep", path)
	}
	switch s := s.(type) {
	case bool:
		if !s {
			return fmt.Errorf("%s: not allowed", path)
		}
		return nil
	case map[string]any:
		return validateObject(root, s, v, path, depth)
	}
	return nil // not a schema: ignore
}

func validateObject(root any, s map[string]any, v any, path string, depth int) error {
	if ref, ok := s["$ref"].(string); ok {
		target, err := resolveRef(root, ref)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := validate(root, target, v, path, depth+1); err != nil {
			return err
		}
	}
	if t, ok := s["type"]; ok {
		if err := checkType(t, v, path); err != nil {
			return err
		}
	}
	if e, ok := s["enum"].([]any); ok {
		found := false
		for _, x := range e {
			if jsonEqual(x, v) {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%s: not one of the enum values", path)
		}
	}
	if c, ok := s["const"]; ok && !jsonEqual(c, v) {
		return fmt.Errorf("%s: not the const value", path)
	}
	switch v := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				if name, ok := r.(string); ok {
					if _, present := v[name]; !present {
						return fmt.Errorf("%s: missing required %q", path, name)
					}
				}
			}
		}
		for k, x := range v {
			if ps, ok := props[k]; ok {
				if err := validate(root, ps, x, path+"."+k, depth+1); err != nil {
					return err
				}
				continue
			}
			if ap, ok := s["additionalProperties"]; ok {
				if err := validate(root, ap, x, path+"."+k, depth+1); err != nil {
					return err
				}
			}
		}
	case []any:
		if items, ok := s["items"]; ok {
			for i, x := range v {
				if err := validate(root, items, x, fmt.Sprintf("%s[%d]", path, i), depth+1); err != nil {
					return err
				}
			}
		}
		if n, ok := number(s["minItems"]); ok && float64(len(v)) < n {
			return fmt.Errorf("%s: fewer than %v items", path, n)
		}
		if n, ok := number(s["maxItems"]); ok && float64(len(v)) > n {
			return fmt.Errorf("%s: more than %v items", path, n)
		}
	case string:
		runes := float64(len([]rune(v)))
		if n, ok := number(s["minLength"]); ok && runes < n {
			return fmt.Errorf("%s: shorter than %v", path, n)
		}
		if n, ok := number(s["maxLength"]); ok && runes > n {
			return fmt.Errorf("%s: longer than %v", path, n)
		}
		if p, ok := s["pattern"].(string); ok {
			if re, err := regexp.Compile(p); err == nil && !re.MatchString(v) {
				return fmt.Errorf("%s: does not match pattern", path)
			}
		}
	default:
		if x, ok := number(v); ok {
			if n, ok := number(s["minimum"]); ok && x < n {
				return fmt.Errorf("%s: less than %v", path, n)
			}
			if n, ok := number(s["maximum"]); ok && x > n {
				return fmt.Errorf("%s: more than %v", path, n)
			}
		}
	}
	if all, ok := s["allOf"].([]any); ok {
		for _, sub := range all {
			if err := validate(root, sub, v, path, depth+1); err != nil {
				return err
			}
		}
	}
	if anyOf, ok := s["anyOf"].([]any); ok && len(anyOf) > 0 {
		ok := false
		for _, sub := range anyOf {
			if validate(root, sub, v, path, depth+1) == nil {
				ok = true
				break
			}
		}
		if !ok {
			return fmt.Errorf("%s: matches none of anyOf", path)
		}
	}
	if oneOf, ok := s["oneOf"].([]any); ok && len(oneOf) > 0 {
		n := 0
		for _, sub := range oneOf {
			if validate(root, sub, v, path, depth+1) == nil {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s: matches %d of oneOf, want 1", path, n)
		}
	}
	return nil
}

func resolveRef(root any, ref string) (any, error) {
	var rest string
	switch {
	case ref == "#":
		return root, nil
	case strings.HasPrefix(ref, "#/"):
		rest = ref[2:]
	default:
		return nil, fmt.Errorf("unsupported $ref %q", ref)
	}
	cur := root
	for _, part := range strings.Split(rest, "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("unresolvable $ref %q", ref)
		}
		if cur, ok = m[part]; !ok {
			return nil, fmt.Errorf("unresolvable $ref %q", ref)
		}
	}
	return cur, nil
}

func checkType(t, v any, path string) error {
	switch t := t.(type) {
	case string:
		if !isType(t, v) {
			return fmt.Errorf("%s: not of type %s", path, t)
		}
	case []any:
		for _, x := range t {
			if name, ok := x.(string); ok && isType(name, v) {
				return nil
			}
		}
		return fmt.Errorf("%s: not of any allowed type", path)
	}
	return nil
}

func isType(t string, v any) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := number(v)
		return ok
	case "integer":
		x, ok := number(v)
		return ok && x == math.Trunc(x)
	}
	return true // an unknown type name: ignore
}

func number(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case json.Number:
		x, err := v.Float64()
		return x, err == nil
	case int:
		return float64(v), true
	}
	return 0, false
}

func jsonEqual(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	ab, err1 := json.Marshal(a)
	bb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ab, bb)
}

// Logprobs returns the token log-probabilities of an answer's logprobs, which the canonical
// response carries as raw JSON in OpenAI's shape: {"content":[{"token":…,"logprob":…},…]}.
func Logprobs(raw json.RawMessage) ([]float64, error) {
	var lp struct {
		Content []struct {
			Logprob *float64 `json:"logprob"`
		} `json:"content"`
	}
	if err := json.Unmarshal(raw, &lp); err != nil {
		return nil, fmt.Errorf("logprobs: %w", err)
	}
	out := make([]float64, 0, len(lp.Content))
	for _, t := range lp.Content {
		if t.Logprob != nil {
			out = append(out, *t.Logprob)
		}
	}
	return out, nil
}

// Confidence returns the geometric mean token probability of an answer, exp(mean logprob), in
// [0, 1]; 1 for no tokens.
func Confidence(logprobs []float64) float64 {
	if len(logprobs) == 0 {
		return 1
	}
	var sum float64
	for _, lp := range logprobs {
		sum += min(lp, 0)
	}
	return math.Exp(sum / float64(len(logprobs)))
}

// Agreement returns the share of answers that agree with the most common one, after folding
// case, white space and trailing punctuation: a self-consistency measure over N samples of the
// same request. It is 0 for no answers.
func Agreement(answers []string) float64 {
	if len(answers) == 0 {
		return 0
	}
	counts := make(map[string]int, len(answers))
	best := 0
	for _, a := range answers {
		k := normalizeAnswer(a)
		counts[k]++
		best = max(best, counts[k])
	}
	return float64(best) / float64(len(answers))
}

func normalizeAnswer(s string) string {
	s = strings.ToLower(strings.Join(strings.Fields(s), " "))
	return strings.TrimRightFunc(s, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSpace(r) })
}
