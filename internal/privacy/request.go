package privacy

import (
	"slices"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/llm"
)

// Request-level helpers over the canonical llm types.
//
// What is scanned: every message's text parts (system and developer messages included), plain-
// text document parts, tool results (tool messages' parts), tool-call arguments (as JSON text),
// refusals, and reasoning text. Signed thinking blocks (Message.Thinking with a Signature) are
// scanned but can never be redacted: Anthropic checks their signatures, so an altered block
// fails the request. Findings in them are returned with Fixed set, and the caller must treat
// them by policy without redaction (keep the request local, or block it). Encrypted (redacted)
// thinking, images, binary documents, opaque parts (PartOther), tool definitions, metadata and
// user ids are not scanned.

// Field names where a finding lies.
const (
	FieldText          = "text"           // Message.Content[Part].Text (text and plain-text document parts)
	FieldToolArguments = "tool_arguments" // Message.ToolCalls[ToolCall].Arguments (JSON)
	FieldRefusal       = "refusal"        // Message.Refusal
	FieldReasoning     = "reasoning"      // Message.Reasoning
	FieldThinking      = "thinking"       // Message.Thinking[Part].Text (signed blocks: Fixed)
)

// Location says which text of a request a finding is in.
type Location struct {
	Message  int    // index in Request.Messages
	Field    string // one of the Field constants
	Part     int    // content part or thinking block index; -1 when not applicable
	ToolCall int    // tool call index; -1 when not applicable
}

// Located is a finding with its location. Fixed marks findings in text that must not be
// changed (signed thinking blocks).
type Located struct {
	Finding
	Location
	Fixed bool
}

// Findings returns the findings of located ones, for Evaluate.
func Findings(locs []Located) []Finding {
	out := make([]Finding, len(locs))
	for i, l := range locs {
		out[i] = l.Finding
	}
	return out
}

// visit calls f for every scanned text of req.
func visit(req *llm.Request, f func(loc Location, text string, fixed bool)) {
	for mi := range req.Messages {
		m := &req.Messages[mi]
		for pi, p := range m.Content {
			if scannablePart(p) {
				f(Location{mi, FieldText, pi, -1}, p.Text, false)
			}
		}
		for ti, tc := range m.ToolCalls {
			if tc.Arguments != "" {
				f(Location{mi, FieldToolArguments, -1, ti}, tc.Arguments, false)
			}
		}
		if m.Refusal != "" {
			f(Location{mi, FieldRefusal, -1, -1}, m.Refusal, false)
		}
		if m.Reasoning != "" {
			f(Location{mi, FieldReasoning, -1, -1}, m.Reasoning, false)
		}
		for bi, b := range m.Thinking {
			if b.Text != "" {
				f(Location{mi, FieldThinking, bi, -1}, b.Text, b.Signature != "")
			}
		}
	}
}

func scannablePart(p llm.Part) bool {
	switch p.Type {
	case llm.PartText:
		return p.Text != ""
	case llm.PartDocument:
		return p.Text != "" && (p.MediaType == "" || strings.HasPrefix(p.MediaType, "text/"))
	}
	return false
}

// ScanRequest scans every text of req (see the list above) and returns the findings with their
// locations, in request order.
func ScanRequest(s *Scanner, req *llm.Request) []Located {
	var out []Located
	visit(req, func(loc Location, text string, fixed bool) {
		for _, f := range s.Scan(text) {
			out = append(out, Located{Finding: f, Location: loc, Fixed: fixed})
		}
	})
	return out
}

// Select returns the located findings whose category the verdict redacts, leaving out fixed
// ones.
func Select(locs []Located, v Verdict) []Located {
	var out []Located
	for _, l := range locs {
		if !l.Fixed && v.Redacts(l.Category) {
			out = append(out, l)
		}
	}
	return out
}

// RedactRequest returns a copy of req with the given findings replaced by the vault's
// placeholders; req itself is not changed. Only what changes is copied: the messages slice,
// the changed messages' content and tool-call slices, and their strings. Fixed findings are
// skipped. The vault first reserves any placeholder-shaped text the request already holds.
func RedactRequest(req *llm.Request, v *Vault, found []Located) *llm.Request {
	out := *req
	visit(req, func(_ Location, text string, _ bool) { v.Reserve(text) })
	if len(found) == 0 {
		return &out
	}
	byLoc := map[Location][]Finding{}
	for _, l := range found {
		if l.Fixed || l.Field == FieldThinking {
			continue
		}
		byLoc[l.Location] = append(byLoc[l.Location], l.Finding)
	}
	if len(byLoc) == 0 {
		return &out
	}
	out.Messages = slices.Clone(req.Messages)
	copiedContent := map[int]bool{}
	copiedCalls := map[int]bool{}
	// Visit in request order so that placeholders are numbered in reading order.
	visit(req, func(loc Location, text string, _ bool) {
		fs := byLoc[loc]
		if len(fs) == 0 {
			return
		}
		fs = resolve(slices.Clone(fs))
		m := &out.Messages[loc.Message]
		switch loc.Field {
		case FieldText:
			if !copiedContent[loc.Message] {
				m.Content = slices.Clone(m.Content)
				copiedContent[loc.Message] = true
			}
			m.Content[loc.Part].Text = v.Redact(text, fs)
		case FieldToolArguments:
			if !copiedCalls[loc.Message] {
				m.ToolCalls = slices.Clone(m.ToolCalls)
				copiedCalls[loc.Message] = true
			}
			// Values found in JSON text are kept unescaped, so that a placeholder the model
			// repeats in prose restores to the plain value and one in JSON re-escapes it.
			m.ToolCalls[loc.ToolCall].Arguments = v.redact(text, fs, jsonUnescape)
		case FieldRefusal:
			m.Refusal = v.Redact(text, fs)
		case FieldReasoning:
			m.Reasoning = v.Redact(text, fs)
		}
	})
	return &out
}

// RestoreResponse puts the vault's originals back into a complete answer: text parts,
// refusals, reasoning and tool-call arguments (JSON-escaped). It changes resp in place and,
// when anything changed, drops resp.Raw so that the upstream's bytes are not relayed stale
// (llm.Response has no Touch; this is its equivalent). It reports whether anything changed.
func RestoreResponse(resp *llm.Response, v *Vault) bool {
	if v == nil || v.Len() == 0 {
		return false
	}
	changed := false
	set := func(dst *string, s string) {
		if s != *dst {
			*dst = s
			changed = true
		}
	}
	for ci := range resp.Choices {
		m := &resp.Choices[ci].Message
		for pi := range m.Content {
			if m.Content[pi].Type == llm.PartText || m.Content[pi].Type == llm.PartDocument {
				set(&m.Content[pi].Text, v.Restore(m.Content[pi].Text))
			}
		}
		for ti := range m.ToolCalls {
			set(&m.ToolCalls[ti].Arguments, v.RestoreJSON(m.ToolCalls[ti].Arguments))
		}
		set(&m.Refusal, v.Restore(m.Refusal))
		set(&m.Reasoning, v.Restore(m.Reasoning))
		// Signed thinking blocks stay as they are (see the package's request notes).
		for bi := range m.Thinking {
			if m.Thinking[bi].Signature == "" {
				set(&m.Thinking[bi].Text, v.Restore(m.Thinking[bi].Text))
			}
		}
	}
	if changed {
		resp.Raw = nil
		resp.RawFormat = ""
	}
	return changed
}

// ChunkRestorer restores placeholders in a streamed answer, chunk by chunk, keeping one
// Restorer per choice for content, refusal and reasoning deltas and one per (choice, tool
// index) for tool-call argument deltas. A chunk it changes is decoded first and touched
// (llm.Chunk.Touch), so its raw bytes are not relayed stale; with an empty vault it does
// nothing, and chunks stay raw.
type ChunkRestorer struct {
	// KeepReasoning leaves reasoning deltas as they came: a provider that signs its thinking
	// text (Anthropic) checks the signature against the text with its placeholders.
	KeepReasoning bool

	v       *Vault
	streams map[streamKey]*Restorer
	order   []streamKey
}

type streamKey struct {
	choice int
	field  string
	tool   int
}

// NewChunkRestorer returns a restorer for one streamed answer.
func NewChunkRestorer(v *Vault) *ChunkRestorer {
	return &ChunkRestorer{v: v, streams: map[streamKey]*Restorer{}}
}

func (c *ChunkRestorer) stream(k streamKey) *Restorer {
	r := c.streams[k]
	if r == nil {
		if k.field == FieldToolArguments {
			r = NewJSONRestorer(c.v)
		} else {
			r = NewRestorer(c.v)
		}
		c.streams[k] = r
		c.order = append(c.order, k)
	}
	return r
}

// Restore rewrites ch's deltas in place. Text that may be the start of a placeholder is held
// back and sent with a later chunk; a chunk with a finish reason carries everything still held
// for its choice. It returns the error of decoding a raw chunk.
func (c *ChunkRestorer) Restore(ch *llm.Chunk) error {
	if c.v == nil || c.v.Len() == 0 {
		return nil
	}
	if err := ch.Decode(); err != nil {
		return err
	}
	changed := false
	write := func(k streamKey, dst *string) {
		if *dst == "" && c.streams[k] == nil {
			return
		}
		out := c.stream(k).Write(*dst)
		if out != *dst {
			*dst = out
			changed = true
		}
	}
	for ci := range ch.Choices {
		cc := &ch.Choices[ci]
		idx := cc.Index
		d := &cc.Delta
		write(streamKey{idx, FieldText, -1}, &d.Content)
		write(streamKey{idx, FieldRefusal, -1}, &d.Refusal)
		if !c.KeepReasoning {
			write(streamKey{idx, FieldReasoning, -1}, &d.Reasoning)
		}
		if len(d.ToolCalls) > 0 {
			// A new tool call ends the arguments of the ones before it: what they still hold
			// goes out first, ahead of this chunk's deltas.
			var pre []llm.ToolCallDelta
			for _, k := range c.order {
				if k.choice != idx || k.field != FieldToolArguments || !c.streams[k].Pending() {
					continue
				}
				if !slices.ContainsFunc(d.ToolCalls, func(tc llm.ToolCallDelta) bool { return tc.Index == k.tool }) {
					pre = append(pre, llm.ToolCallDelta{Index: k.tool, Arguments: c.streams[k].Flush()})
				}
			}
			for ti := range d.ToolCalls {
				write(streamKey{idx, FieldToolArguments, d.ToolCalls[ti].Index}, &d.ToolCalls[ti].Arguments)
			}
			if len(pre) > 0 {
				d.ToolCalls = append(pre, d.ToolCalls...)
				changed = true
			}
		}
		if cc.FinishReason != "" {
			if c.flushChoice(idx, d) {
				changed = true
			}
		}
	}
	if changed {
		ch.Touch()
	}
	return nil
}

// flushChoice adds everything still held for choice idx to d.
func (c *ChunkRestorer) flushChoice(idx int, d *llm.Delta) bool {
	changed := false
	for _, k := range c.order {
		if k.choice != idx {
			continue
		}
		r := c.streams[k]
		if !r.Pending() {
			continue
		}
		tail := r.Flush()
		changed = true
		switch k.field {
		case FieldText:
			d.Content += tail
		case FieldRefusal:
			d.Refusal += tail
		case FieldReasoning:
			d.Reasoning += tail
		case FieldToolArguments:
			d.ToolCalls = append(d.ToolCalls, llm.ToolCallDelta{Index: k.tool, Arguments: tail})
		}
	}
	return changed
}

// Flush returns a chunk with everything still held, for a stream that ends without a finish
// reason, or nil when nothing is held.
func (c *ChunkRestorer) Flush() *llm.Chunk {
	var ch *llm.Chunk
	for _, k := range c.order {
		if !c.streams[k].Pending() {
			continue
		}
		if ch == nil {
			ch = &llm.Chunk{Decoded: true}
		}
		var cc *llm.ChunkChoice
		for i := range ch.Choices {
			if ch.Choices[i].Index == k.choice {
				cc = &ch.Choices[i]
			}
		}
		if cc == nil {
			ch.Choices = append(ch.Choices, llm.ChunkChoice{Index: k.choice})
			cc = &ch.Choices[len(ch.Choices)-1]
		}
		c.flushChoice(k.choice, &cc.Delta)
	}
	return ch
}
