package route

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

func answer(text string) *llm.Response {
	return &llm.Response{Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant, Content: []llm.Part{llm.TextPart(text)}}, FinishReason: llm.FinishStop}}}
}

func withCalls(calls ...llm.ToolCall) *llm.Response {
	return &llm.Response{Choices: []llm.Choice{{Message: llm.Message{Role: llm.RoleAssistant, ToolCalls: calls, ContentNull: true}, FinishReason: llm.FinishToolCalls}}}
}

const userSchema = `{
	"type": "object",
	"properties": {
		"name": {"type": "string", "minLength": 1},
		"age": {"type": "integer", "minimum": 0},
		"tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
		"role": {"enum": ["admin", "user"]},
		"address": {"$ref": "#/$defs/address"}
	},
	"required": ["name", "age"],
	"additionalProperties": false,
	"$defs": {"address": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
}`

const weatherParams = `{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]}},"required":["city"]}`

func TestCheck(t *testing.T) {
	plain := request(user("What is the capital of France?"))
	jsonObj := &llm.Request{Messages: plain.Messages, ResponseFormat: &llm.ResponseFormat{Type: llm.ResponseJSONObject}}
	jsonSchema := &llm.Request{Messages: plain.Messages, ResponseFormat: &llm.ResponseFormat{Type: llm.ResponseJSONSchema, Schema: json.RawMessage(userSchema)}}
	tools := &llm.Request{Messages: plain.Messages, Tools: []llm.Tool{{Name: "get_weather", Parameters: json.RawMessage(weatherParams)}, {Name: "web_search", Hosted: "web_search"}}}
	required := *tools
	required.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceRequired}
	named := *tools
	named.ToolChoice = &llm.ToolChoice{Mode: llm.ToolChoiceFunction, Name: "get_weather"}

	truncated := answer("Paris is the capital and")
	truncated.Choices[0].FinishReason = llm.FinishLength
	refusalField := answer("")
	refusalField.Choices[0].Message.Refusal = "I can't help with that."
	confident := answer("Paris.")
	confident.Choices[0].Logprobs = json.RawMessage(`{"content":[{"token":"Paris","logprob":-0.01},{"token":".","logprob":-0.02}]}`)
	unsure := answer("Lyon.")
	unsure.Choices[0].Logprobs = json.RawMessage(`{"content":[{"token":"Ly","logprob":-1.5},{"token":"on","logprob":-0.9},{"token":".","logprob":-0.1}]}`)

	tests := []struct {
		name string
		req  *llm.Request
		resp *llm.Response
		opts CheckOptions
		want []string
	}{
		{"good answer", plain, answer("The capital of France is Paris."), CheckOptions{}, nil},
		{"no choices", plain, &llm.Response{}, CheckOptions{}, []string{CheckEmpty}},
		{"white space", plain, answer(" \n\t "), CheckOptions{}, []string{CheckEmpty}},
		{"refusal", plain, answer("I'm sorry, but I can't help with that request."), CheckOptions{}, []string{CheckRefusal}},
		{"refusal field", plain, refusalField, CheckOptions{}, []string{CheckRefusal}},
		{"don't know", plain, answer("I don't know."), CheckOptions{}, []string{CheckRefusal}},
		{"german refusal", plain, answer("Es tut mir leid, dabei kann ich nicht helfen."), CheckOptions{}, []string{CheckRefusal}},
		{"chinese refusal", plain, answer("抱歉，我无法回答这个问题。"), CheckOptions{}, []string{CheckRefusal}},
		{"truncated", plain, truncated, CheckOptions{}, []string{CheckTruncated}},
		{"json object ok", jsonObj, answer(` {"city": "Paris"} `), CheckOptions{}, nil},
		{"json object not json", jsonObj, answer("Paris"), CheckOptions{}, []string{CheckJSON}},
		{"json object fenced", jsonObj, answer("```json\n{\"city\": \"Paris\"}\n```"), CheckOptions{}, []string{CheckJSON}},
		{"json object is array", jsonObj, answer(`["Paris"]`), CheckOptions{}, []string{CheckJSON}},
		{"json object two values", jsonObj, answer(`{} {}`), CheckOptions{}, []string{CheckJSON}},
		{"schema ok", jsonSchema, answer(`{"name":"Ada","age":36,"tags":["x"],"role":"admin","address":{"city":"London"}}`), CheckOptions{}, nil},
		{"schema missing required", jsonSchema, answer(`{"name":"Ada"}`), CheckOptions{}, []string{CheckJSON}},
		{"schema wrong type", jsonSchema, answer(`{"name":"Ada","age":"36"}`), CheckOptions{}, []string{CheckJSON}},
		{"schema not integer", jsonSchema, answer(`{"name":"Ada","age":36.5}`), CheckOptions{}, []string{CheckJSON}},
		{"schema extra field", jsonSchema, answer(`{"name":"Ada","age":36,"email":"a@b"}`), CheckOptions{}, []string{CheckJSON}},
		{"schema enum", jsonSchema, answer(`{"name":"Ada","age":36,"role":"root"}`), CheckOptions{}, []string{CheckJSON}},
		{"schema ref", jsonSchema, answer(`{"name":"Ada","age":36,"address":{}}`), CheckOptions{}, []string{CheckJSON}},
		{"schema items", jsonSchema, answer(`{"name":"Ada","age":36,"tags":[1]}`), CheckOptions{}, []string{CheckJSON}},
		{"schema max items", jsonSchema, answer(`{"name":"Ada","age":36,"tags":["a","b","c","d"]}`), CheckOptions{}, []string{CheckJSON}},
		{"schema min length", jsonSchema, answer(`{"name":"","age":36}`), CheckOptions{}, []string{CheckJSON}},
		{"schema minimum", jsonSchema, answer(`{"name":"Ada","age":-1}`), CheckOptions{}, []string{CheckJSON}},
		{"tool call ok", tools, withCalls(llm.ToolCall{Name: "get_weather", Arguments: `{"city":"Paris","unit":"c"}`}), CheckOptions{}, nil},
		{"tool call unknown", tools, withCalls(llm.ToolCall{Name: "get_time", Arguments: `{}`}), CheckOptions{}, []string{CheckToolCall}},
		{"tool call to hosted tool", tools, withCalls(llm.ToolCall{Name: "web_search", Arguments: `{}`}), CheckOptions{}, []string{CheckToolCall}},
		{"tool call bad json", tools, withCalls(llm.ToolCall{Name: "get_weather", Arguments: `{"city":`}), CheckOptions{}, []string{CheckToolCall}},
		{"tool call missing required", tools, withCalls(llm.ToolCall{Name: "get_weather", Arguments: `{"unit":"c"}`}), CheckOptions{}, []string{CheckToolCall}},
		{"tool call bad enum", tools, withCalls(llm.ToolCall{Name: "get_weather", Arguments: `{"city":"Paris","unit":"k"}`}), CheckOptions{}, []string{CheckToolCall}},
		{"tool call args not object", tools, withCalls(llm.ToolCall{Name: "get_weather", Arguments: `"Paris"`}), CheckOptions{}, []string{CheckToolCall}},
		{"tool call required, text given", &required, answer("It is sunny."), CheckOptions{}, []string{CheckToolCall}},
		{"tool call required, call given", &required, withCalls(llm.ToolCall{Name: "get_weather", Arguments: `{"city":"Oslo"}`}), CheckOptions{}, nil},
		{"tool call named, other called", &named, withCalls(llm.ToolCall{Name: "web_search", Arguments: `{}`}), CheckOptions{}, []string{CheckToolCall}},
		{"confident", plain, confident, CheckOptions{}, nil},
		{"unsure", plain, unsure, CheckOptions{}, []string{CheckConfidence}},
		{"unsure, check off", plain, unsure, CheckOptions{MinConfidence: -1}, nil},
		{"unsure, lower bar", plain, unsure, CheckOptions{MinConfidence: 0.3}, nil},
		{"several at once", jsonObj, func() *llm.Response {
			r := answer("I don't know")
			r.Choices[0].FinishReason = llm.FinishLength
			return r
		}(),
			CheckOptions{}, []string{CheckRefusal, CheckTruncated, CheckJSON}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Check(tt.req, tt.resp, tt.opts)
			if !reflect.DeepEqual(v.Failed, tt.want) || v.OK != (len(tt.want) == 0) {
				t.Errorf("verdict = %+v, want failed %v", v, tt.want)
			}
		})
	}
}

func TestIsRefusal(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		{"I cannot help with that.", true},
		{"Je ne sais pas.", true},
		{"Lo siento, no puedo ayudar con eso.", true},
		{"Извините, я не могу помочь.", true},
		{"申し訳ありませんが、お答えできません。", true},
		{"Paris is the capital of France.", false},
		{"I'm not sure what the user meant at first, but here is the answer: " + string(make([]byte, 1300)), false},          // long answers help
		{"The answer is 42. " + strings.Repeat("It comes from a novel. ", 9) + "I don't know what the question was.", false}, // not at the start
		{"", false},
	}
	for _, tt := range tests {
		if got := IsRefusal(tt.text); got != tt.want {
			t.Errorf("IsRefusal(%.40q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}

func TestValidateSchemaCombinators(t *testing.T) {
	schema := json.RawMessage(`{"anyOf":[{"type":"string"},{"type":"integer"}],"oneOf":[{"type":"integer","maximum":5},{"type":"integer","minimum":3},{"type":"string"}]}`)
	tests := []struct {
		value string
		ok    bool
	}{
		{`"x"`, true},
		{`1`, true},    // anyOf integer; oneOf: only the first
		{`4`, false},   // oneOf: two match
		{`9`, true},    // oneOf: only the second
		{`1.5`, false}, // anyOf: neither
		{`null`, false},
	}
	for _, tt := range tests {
		v, err := decodeJSON([]byte(tt.value))
		if err != nil {
			t.Fatal(err)
		}
		if err := ValidateSchema(schema, v); (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok %v", tt.value, err, tt.ok)
		}
	}
	// A self-referencing schema stops at the depth bound instead of looping.
	loop := json.RawMessage(`{"$ref":"#"}`)
	if err := ValidateSchema(loop, map[string]any{}); err == nil {
		t.Error("endless $ref accepted")
	}
	if err := ValidateSchema(json.RawMessage(`{"$ref":"https://example.com/s.json"}`), "x"); err == nil {
		t.Error("remote $ref accepted")
	}
}

func TestConfidence(t *testing.T) {
	lp, err := Logprobs(json.RawMessage(`{"content":[{"token":"a","logprob":-0.5},{"token":"b","logprob":-1.5}],"refusal":null}`))
	if err != nil || len(lp) != 2 {
		t.Fatalf("logprobs = %v, %v", lp, err)
	}
	if got, want := Confidence(lp), math.Exp(-1); math.Abs(got-want) > 1e-12 {
		t.Errorf("Confidence = %v, want %v", got, want)
	}
	if Confidence(nil) != 1 {
		t.Error("no tokens should be confident")
	}
	if _, err := Logprobs(json.RawMessage(`[1,2]`)); err == nil {
		t.Error("malformed logprobs accepted")
	}
}

func TestAgreement(t *testing.T) {
	tests := []struct {
		answers []string
		want    float64
	}{
		{nil, 0},
		{[]string{"Paris"}, 1},
		{[]string{"Paris.", " paris ", "PARIS!", "Lyon"}, 0.75},
		{[]string{"a", "b", "c", "d"}, 0.25},
		{[]string{"The answer is  42", "the answer is 42.", "41"}, 2.0 / 3},
	}
	for _, tt := range tests {
		if got := Agreement(tt.answers); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Agreement(%q) = %v, want %v", tt.answers, got, tt.want)
		}
	}
}
