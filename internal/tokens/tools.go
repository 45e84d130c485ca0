package tokens

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// formatTools renders tool definitions the way OpenAI shows them to the model: a TypeScript
// namespace with one function type per tool and the JSON schema's properties as fields, in
// their original order. The layout was reverse-engineered by hmarr/openai-chat-tokens (MIT) and
// reproduces the provider's prompt_tokens on the recorded fixtures.
//
//	namespace functions {
//
//	// Get the weather for a location
//	type get_weather = (_: {
//	// The location to get weather for
//	location: string,
//	}) => any;
//
//	} // namespace functions
func formatTools(tools []llm.Tool) string {
	var b strings.Builder
	b.WriteString("namespace functions {\n\n")
	for i := range tools {
		t := &tools[i]
		if t.Description != "" {
			b.WriteString("// ")
			b.WriteString(t.Description)
			b.WriteByte('\n')
		}
		s := parseSchema(t.Parameters, 0)
		if len(s.props) > 0 {
			b.WriteString("type ")
			b.WriteString(t.Name)
			b.WriteString(" = (_: {\n")
			writeProps(&b, s, 0)
			b.WriteString("}) => any;\n\n")
		} else {
			b.WriteString("type ")
			b.WriteString(t.Name)
			b.WriteString(" = () => any;\n\n")
		}
	}
	b.WriteString("} // namespace functions")
	return b.String()
}

// schema is the part of a JSON schema that the rendering shows.
type schema struct {
	types       []string
	description string
	enum        []json.RawMessage
	props       []prop
	required    map[string]bool
	items       *schema
	anyOf       []*schema
}

type prop struct {
	name string
	s    *schema
}

// maxSchemaDepth bounds how deep parseSchema descends into nested schemas. Each level decodes
// its part of the JSON again, so a hostile, deeply nested schema would otherwise cost time in
// proportion to depth × size; real tool schemas are a few levels deep.
const maxSchemaDepth = 16

// parseSchema reads a JSON schema, keeping the order of properties. Anything it cannot read,
// or that lies deeper than maxSchemaDepth, becomes an empty schema, rendered as "any": a tool
// definition that is not valid JSON is the provider's to reject, and the count stays an
// estimate.
func parseSchema(raw json.RawMessage, depth int) *schema {
	s := &schema{}
	if depth > maxSchemaDepth {
		return s
	}
	fields, ok := objectFields(raw)
	if !ok {
		return s
	}
	for _, f := range fields {
		switch f.name {
		case "type":
			var one string
			if json.Unmarshal(f.value, &one) == nil {
				s.types = []string{one}
			} else {
				_ = json.Unmarshal(f.value, &s.types)
			}
		case "description":
			_ = json.Unmarshal(f.value, &s.description)
		case "enum":
			_ = json.Unmarshal(f.value, &s.enum)
		case "required":
			var req []string
			if json.Unmarshal(f.value, &req) == nil {
				s.required = make(map[string]bool, len(req))
				for _, r := range req {
					s.required[r] = true
				}
			}
		case "items":
			s.items = parseSchema(f.value, depth+1)
		case "anyOf", "oneOf":
			var alts []json.RawMessage
			if json.Unmarshal(f.value, &alts) == nil {
				for _, a := range alts {
					s.anyOf = append(s.anyOf, parseSchema(a, depth+1))
				}
			}
		case "properties":
			props, _ := objectFields(f.value)
			for _, p := range props {
				s.props = append(s.props, prop{name: p.name, s: parseSchema(p.value, depth+1)})
			}
		}
	}
	return s
}

type field struct {
	name  string
	value json.RawMessage
}

// objectFields returns the members of a JSON object in their order.
func objectFields(raw json.RawMessage) ([]field, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var out []field
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, field{name: name, value: v})
	}
	return out, true
}

func writeProps(b *strings.Builder, s *schema, indent int) {
	pad := strings.Repeat(" ", indent)
	for _, p := range s.props {
		if p.s.description != "" && indent < 2 {
			b.WriteString(pad)
			b.WriteString("// ")
			b.WriteString(p.s.description)
			b.WriteByte('\n')
		}
		b.WriteString(pad)
		b.WriteString(p.name)
		if !s.required[p.name] {
			b.WriteByte('?')
		}
		b.WriteString(": ")
		b.WriteString(formatType(p.s, indent))
		b.WriteString(",\n")
	}
}

func formatType(s *schema, indent int) string {
	if len(s.anyOf) > 0 {
		alts := make([]string, len(s.anyOf))
		for i, a := range s.anyOf {
			alts[i] = formatType(a, indent)
		}
		return strings.Join(alts, " | ")
	}
	if len(s.types) == 0 {
		return "any"
	}
	alts := make([]string, 0, len(s.types))
	for _, t := range s.types {
		alts = append(alts, formatOne(s, t, indent))
	}
	return strings.Join(alts, " | ")
}

func formatOne(s *schema, typ string, indent int) string {
	switch typ {
	case "string", "number", "integer":
		if len(s.enum) > 0 {
			vals := make([]string, len(s.enum))
			for i, v := range s.enum {
				vals[i] = string(v) // strings keep their quotes, as TypeScript literals
			}
			return strings.Join(vals, " | ")
		}
		if typ == "integer" {
			return "number"
		}
		return typ
	case "boolean", "null":
		return typ
	case "object":
		var b strings.Builder
		b.WriteString("{\n")
		writeProps(&b, s, indent+2)
		b.WriteString("}")
		return b.String()
	case "array":
		if s.items != nil {
			return formatType(s.items, indent) + "[]"
		}
		return "any[]"
	}
	return "any"
}

// compactJSON returns raw without insignificant white space, or raw itself if it is not JSON.
func compactJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}
