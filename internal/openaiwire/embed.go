package openaiwire

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

var knownEmbedFields = map[string]bool{"model": true, "input": true, "dimensions": true, "encoding_format": true, "user": true}

// DecodeEmbeddingRequest parses and validates a client's embeddings request.
func DecodeEmbeddingRequest(body []byte) (*llm.EmbedRequest, error) {
	fields, err := decodeObject(body)
	if err != nil {
		return nil, err
	}
	var w EmbeddingRequest
	r := &llm.EmbedRequest{}
	for k, v := range fields {
		if isNull(v) {
			continue
		}
		var dst any
		switch k {
		case "model":
			dst = &w.Model
		case "input":
			w.Input = v
			continue
		case "dimensions":
			dst = &w.Dimensions
		case "encoding_format":
			dst = &w.EncodingFormat
		case "user":
			dst = &w.User
		default:
			if r.Extensions == nil {
				r.Extensions = make(map[string]json.RawMessage)
				r.ExtensionsFormat = llm.FormatOpenAIChat
			}
			r.Extensions[k] = v
			continue
		}
		if err := decodeField(k, v, dst); err != nil {
			return nil, err
		}
	}
	if w.Model == "" {
		return nil, llm.InvalidRequest(llm.CodeMissingField, "model", "missing required parameter \"model\"")
	}
	if len(w.Input) == 0 {
		return nil, llm.InvalidRequest(llm.CodeMissingField, "input", "missing required parameter \"input\"")
	}
	switch w.EncodingFormat {
	case "", "float", "base64":
	default:
		return nil, llm.InvalidRequest(llm.CodeInvalidValue, "encoding_format", "\"encoding_format\" must be \"float\" or \"base64\"")
	}
	if w.Dimensions != nil && *w.Dimensions < 1 {
		return nil, llm.InvalidRequest(llm.CodeInvalidValue, "dimensions", "\"dimensions\" must be at least 1")
	}
	r.Model, r.Dimensions, r.EncodingFormat, r.User = w.Model, w.Dimensions, w.EncodingFormat, w.User
	if err := decodeEmbedInput(w.Input, r); err != nil {
		return nil, err
	}
	return r, nil
}

func decodeEmbedInput(raw json.RawMessage, r *llm.EmbedRequest) error {
	bad := llm.InvalidRequest(llm.CodeInvalidType, "input",
		"\"input\" must be a string, an array of strings, an array of token ids or an array of such arrays")
	raw = bytes.TrimSpace(raw)
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		r.Input = []string{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(raw, &ss); err == nil {
		if len(ss) == 0 {
			return llm.InvalidRequest(llm.CodeInvalidValue, "input", "\"input\" must not be empty")
		}
		r.Input = ss
		return nil
	}
	var toks []int
	if err := json.Unmarshal(raw, &toks); err == nil {
		if len(toks) == 0 {
			return llm.InvalidRequest(llm.CodeInvalidValue, "input", "\"input\" must not be empty")
		}
		r.Tokens = [][]int{toks}
		return nil
	}
	var many [][]int
	if err := json.Unmarshal(raw, &many); err == nil && len(many) > 0 {
		r.Tokens = many
		return nil
	}
	return bad
}

// EncodeEmbeddingRequest builds the upstream body for r.
func EncodeEmbeddingRequest(r *llm.EmbedRequest, model, provider string) ([]byte, error) {
	w := EmbeddingRequest{Model: model, Dimensions: r.Dimensions, EncodingFormat: r.EncodingFormat, User: r.User}
	if r.Tokens != nil {
		w.Input, _ = json.Marshal(r.Tokens)
	} else {
		w.Input, _ = json.Marshal(r.Input)
	}
	if len(r.Extensions) > 0 {
		if r.ExtensionsFormat != llm.FormatOpenAIChat {
			for k := range r.Extensions {
				return nil, llm.Unsupported(provider, k, "")
			}
		}
		return marshalWithExtra(&w, r.Extensions, knownEmbedFields)
	}
	return json.Marshal(&w)
}

// DecodeEmbeddingResponse parses an upstream embeddings list in either encoding.
func DecodeEmbeddingResponse(body []byte) (*llm.EmbedResponse, error) {
	if IsErrorBody(body) {
		return nil, errors.New("decode embeddings: the body is an error object")
	}
	var w EmbeddingResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("decode embeddings: %w", err)
	}
	r := &llm.EmbedResponse{Model: w.Model, Usage: usageToCanonical(w.Usage), Raw: body, RawFormat: llm.FormatOpenAIChat}
	r.Vectors = make([][]float32, len(w.Data))
	for i, d := range w.Data {
		if d.Index < 0 || d.Index >= len(w.Data) {
			return nil, fmt.Errorf("decode embeddings: index %d out of range", d.Index)
		}
		if r.Vectors[d.Index] != nil {
			// Otherwise another input would silently get no vector.
			return nil, fmt.Errorf("decode embeddings: index %d given twice", d.Index)
		}
		v, err := decodeVector(d.Embedding)
		if err != nil {
			return nil, fmt.Errorf("decode embeddings: item %d: %w", i, err)
		}
		r.Vectors[d.Index] = v
	}
	return r, nil
}

func decodeVector(raw json.RawMessage) ([]float32, error) {
	if len(raw) == 0 || isNull(raw) {
		return nil, errors.New("no embedding")
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, err
		}
		if len(b)%4 != 0 {
			return nil, fmt.Errorf("base64 vector of %d bytes is not a whole number of float32s", len(b))
		}
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return v, nil
	}
	var v []float32
	err := json.Unmarshal(raw, &v)
	return v, err
}

// EncodeEmbeddingResponse renders r for a client that asked for encoding ("float" or "base64").
// Raw upstream bytes are relayed when they are in this format, since the upstream was asked
// for the same encoding.
func EncodeEmbeddingResponse(r *llm.EmbedResponse, encoding string) ([]byte, error) {
	if r.Raw != nil && r.RawFormat == llm.FormatOpenAIChat {
		return r.Raw, nil
	}
	w := EmbeddingResponse{Object: "list", Model: r.Model, Data: make([]Embedding, len(r.Vectors))}
	if r.Usage != nil {
		w.Usage = &Usage{PromptTokens: r.Usage.InputTokens, TotalTokens: r.Usage.InputTokens}
	}
	for i, v := range r.Vectors {
		var raw []byte
		if encoding == "base64" {
			b := make([]byte, 4*len(v))
			for j, f := range v {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(f))
			}
			raw, _ = json.Marshal(base64.StdEncoding.EncodeToString(b))
		} else {
			var err error
			if raw, err = json.Marshal(v); err != nil {
				return nil, err
			}
		}
		w.Data[i] = Embedding{Object: "embedding", Index: i, Embedding: raw}
	}
	return json.Marshal(&w)
}
