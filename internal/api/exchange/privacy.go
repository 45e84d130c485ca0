package exchange

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/sovereign-gateway/sovereign/internal/catalog"
	"github.com/sovereign-gateway/sovereign/internal/llm"
	"github.com/sovereign-gateway/sovereign/internal/privacy"
)

// HeaderPrivacy says what the privacy guard found in a request and what it did, by category,
// never the values: "email=redact;secret=block", or "none".
const HeaderPrivacy = "X-Sovereign-Privacy"

// Error codes of requests the privacy policy refuses.
const (
	CodePrivacyBlocked   = "privacy_blocked"
	CodePrivacyLocalOnly = "privacy_local_only"
)

// Privacy is the privacy guard: before a request may go to a target, its texts are scanned and
// the target's policy decides — allow, redact (the values are replaced by placeholders on the
// way out and put back in the answer, streamed too), local-only (only local or trusted targets
// may take it) or block.
type Privacy struct {
	Scanner *privacy.Scanner
	// Cloud is the policy for cloud targets, Local for local engines and trusted providers.
	Cloud, Local privacy.Policy
	// Models override the route's policy for one target, keyed "provider/model" or "provider";
	// their categories (and their default, when set) take precedence.
	Models map[string]privacy.Policy
	// Trusted names cloud providers treated as local.
	Trusted map[string]bool
}

// home reports whether t counts as local for privacy.
func (p *Privacy) home(t catalog.Target) bool {
	return t.Entry.Local || p.Trusted[t.Entry.Name]
}

// policy returns the policy for target t.
func (p *Privacy) policy(t catalog.Target) privacy.Policy {
	base := p.Cloud
	if p.home(t) {
		base = p.Local
	}
	o, ok := p.Models[t.Name()]
	if !ok {
		o, ok = p.Models[t.Entry.Name]
	}
	if !ok {
		return base
	}
	// The override's categories win; its default applies to what neither names (so that a
	// model's "default: allow" does not let secrets through that the route blocks by name).
	merged := privacy.Policy{Default: base.Default, Categories: map[privacy.Category]privacy.Action{}}
	if o.Default != "" {
		merged.Default = o.Default
	}
	for c, a := range base.Categories {
		merged.Categories[c] = a
	}
	for c, a := range o.Categories {
		merged.Categories[c] = a
	}
	return merged
}

// allowsAll reports whether pol lets everything through, so that scanning is pointless.
func allowsAll(pol privacy.Policy) bool {
	if pol.Default != "" && pol.Default != privacy.ActionAllow {
		return false
	}
	for _, a := range pol.Categories {
		if a != privacy.ActionAllow {
			return false
		}
	}
	return true
}

// guard is one request's privacy state.
type guard struct {
	scanned bool
	found   []privacy.Located
	// opaque are findings in what the guard cannot rewrite but a target of the same wire
	// format may receive: extension fields, hints, opaque content parts, base64 documents.
	opaque   []privacy.Finding
	verdicts map[string]privacy.Verdict // by target name
	vault    *privacy.Vault
	// redacted caches the outbound copies, by the inbound request and the verdict's header.
	redacted map[redactKey]*llm.Request
	// embedFound are an embeddings request's findings, by input.
	embedFound [][]privacy.Finding
}

type redactKey struct {
	req    *llm.Request
	header string
}

// scan scans req once, unless no target's policy could act on a finding.
func (x *Exchange) scan(req *llm.Request, targets []catalog.Target) {
	p := x.p.Privacy
	if p == nil || x.guard.scanned {
		return
	}
	need := false
	for _, t := range targets {
		if !allowsAll(p.policy(t)) {
			need = true
			break
		}
	}
	if !need {
		return
	}
	x.guard.scanned = true
	x.guard.found = privacy.ScanRequest(p.Scanner, req)
	x.guard.opaque = scanOpaque(p.Scanner, req)
}

// scanOpaque scans the texts a request carries in raw form, which redaction cannot reach.
func scanOpaque(sc *privacy.Scanner, req *llm.Request) []privacy.Finding {
	var out []privacy.Finding
	scan := func(raw []byte) {
		if len(raw) > 0 {
			out = append(out, sc.Scan(string(raw))...)
		}
	}
	for _, v := range req.Extensions {
		scan(v)
	}
	for _, v := range req.Hints {
		scan(v)
	}
	for i := range req.Messages {
		for _, p := range req.Messages[i].Content {
			switch {
			case p.Type == llm.PartOther:
				scan(p.Raw)
			case p.Type == llm.PartDocument && p.Data != "" && (p.MediaType == "" || strings.HasPrefix(p.MediaType, "text/")):
				if b, err := base64.StdEncoding.DecodeString(p.Data); err == nil {
					scan(b)
				}
			}
		}
	}
	return out
}

// formatOf is the wire format a target speaks, for signed thinking blocks (a provider gets
// back only the blocks it signed).
func formatOf(t catalog.Target) llm.Format {
	switch t.Entry.Kind {
	case "anthropic":
		return llm.FormatAnthropic
	case "gemini":
		return llm.FormatGemini
	case "ollama":
		return llm.FormatOllama
	}
	return llm.FormatOpenAIChat
}

// unredactable is the verdict of t's policy over the findings t would receive but that cannot
// be redacted: signed thinking blocks of t's own format, and the raw texts of scanOpaque.
func (x *Exchange) unredactable(req *llm.Request, t catalog.Target, pol privacy.Policy) privacy.Verdict {
	fs := x.guard.opaque
	format := formatOf(t)
	for _, l := range x.guard.found {
		if l.Fixed && l.Field == privacy.FieldThinking && l.Message < len(req.Messages) &&
			l.Part < len(req.Messages[l.Message].Thinking) && req.Messages[l.Message].Thinking[l.Part].Format == format {
			fs = append(fs[:len(fs):len(fs)], l.Finding)
		}
	}
	return privacy.Evaluate(fs, pol)
}

// constrain applies the privacy policy to targets: a target that the request's findings may
// not go to is dropped, with the reason in the decision. When none is left, the error says
// why, naming the categories and never the values.
func (x *Exchange) constrain(d *Decision, req *llm.Request, ts []catalog.Target) ([]catalog.Target, error) {
	p := x.p.Privacy
	if p == nil || len(ts) == 0 {
		return ts, nil
	}
	x.scan(req, ts)
	if len(x.guard.found) == 0 && len(x.guard.opaque) == 0 {
		return ts, nil
	}
	findings := append(privacy.Findings(x.guard.found), x.guard.opaque...)
	if x.guard.verdicts == nil {
		x.guard.verdicts = map[string]privacy.Verdict{}
	}
	out := ts[:0:0]
	var blocked, localOnly *privacy.Verdict
	for _, t := range ts {
		pol := p.policy(t)
		v := privacy.Evaluate(findings, pol)
		home := p.home(t)
		why := ""
		switch {
		case v.Action == privacy.ActionBlock:
			why = "privacy: " + v.Header()
			blocked = &v
		case v.Action == privacy.ActionLocalOnly && !home:
			why = "privacy: " + v.Header()
			localOnly = &v
		case !t.Entry.Local && v.Action == privacy.ActionRedact:
			// What the policy redacts but the guard cannot rewrite (a signed thinking block,
			// whose signature the provider checks; a raw field) keeps the request home.
			if u := x.unredactable(req, t, pol); u.Action != privacy.ActionAllow {
				why = "privacy: " + u.Header() + " in text that cannot be redacted (signed thinking or raw fields)"
				lv := u
				lv.Action = privacy.ActionLocalOnly
				for i := range lv.Found {
					lv.Found[i].Action = privacy.ActionLocalOnly
				}
				localOnly = &lv
			}
		}
		if why != "" {
			d.Rejected = append(d.Rejected, catalog.Rejected{Target: t.Name(), Why: why})
			continue
		}
		x.guard.verdicts[t.Name()] = v
		out = append(out, t)
	}
	if len(out) < len(ts) {
		d.Constraints = append(d.Constraints, "privacy: "+firstHeader(blocked, localOnly))
	}
	if len(out) > 0 {
		return out, nil
	}
	if blocked != nil {
		x.setPrivacy(blocked.Header())
		return nil, &llm.Error{Status: http.StatusForbidden, Type: llm.TypePermission, Code: CodePrivacyBlocked,
			Message: blocked.BlockMessage()}
	}
	x.setPrivacy(localOnly.Header())
	return nil, &llm.Error{Status: http.StatusForbidden, Type: llm.TypePermission, Code: CodePrivacyLocalOnly,
		Message: localOnly.LocalOnlyMessage() + "; start a local engine, or change privacy.cloud in the gateway's configuration"}
}

func firstHeader(vs ...*privacy.Verdict) string {
	for _, v := range vs {
		if v != nil {
			return v.Header()
		}
	}
	return ""
}

// setPrivacy puts the verdict in the response header and the record.
func (x *Exchange) setPrivacy(h string) {
	if h == "" {
		h = "none"
	}
	x.w.Header().Set(HeaderPrivacy, h)
	x.rec.Privacy = h
}

// privacyAnswered notes the verdict for the target that answered, or was tried last.
func (x *Exchange) privacyAnswered(t catalog.Target) {
	if x.p.Privacy == nil || !x.guard.scanned || t.Entry == nil {
		return
	}
	x.setPrivacy(x.guard.verdicts[t.Name()].Header())
}

// outbound is the request target t gets: req itself, or a copy with the findings its policy
// redacts replaced by placeholders.
func (x *Exchange) outbound(req *llm.Request, t catalog.Target) *llm.Request {
	v, ok := x.guard.verdicts[t.Name()]
	if !ok && len(x.guard.found) > 0 && !x.p.Privacy.home(t) {
		// A target that constrain never saw: it gets nothing the guard found.
		v = privacy.Evaluate(privacy.Findings(x.guard.found), privacy.Policy{Default: privacy.ActionRedact})
		if x.guard.verdicts == nil {
			x.guard.verdicts = map[string]privacy.Verdict{}
		}
		x.guard.verdicts[t.Name()] = v
	}
	if len(v.CategoriesFor(privacy.ActionRedact)) == 0 {
		return req
	}
	k := redactKey{req, v.Header()}
	if out := x.guard.redacted[k]; out != nil {
		return out
	}
	if x.guard.vault == nil {
		x.guard.vault = privacy.NewVault()
	}
	if x.guard.redacted == nil {
		x.guard.redacted = map[redactKey]*llm.Request{}
	}
	out := privacy.RedactRequest(req, x.guard.vault, privacy.Select(x.guard.found, v))
	x.guard.redacted[k] = out
	return out
}

// Outbound is the request as target t may receive it under the privacy policy (for an
// ingress that calls a provider itself, as count_tokens does).
func (x *Exchange) Outbound(req *llm.Request, t catalog.Target) *llm.Request {
	return x.outbound(req, t)
}

// redactedFor reports whether target t got a redacted request.
func (x *Exchange) redactedFor(t catalog.Target) bool {
	v, ok := x.guard.verdicts[t.Name()]
	return ok && x.guard.vault != nil && len(v.CategoriesFor(privacy.ActionRedact)) > 0
}

// restore puts the originals back into the answer of a target that got a redacted request.
func (x *Exchange) restore(resp *llm.Response, t catalog.Target) {
	if x.redactedFor(t) {
		privacy.RestoreResponse(resp, x.guard.vault)
	}
}

// restoring wraps the stream of a target that got a redacted request.
func (x *Exchange) restoring(s llm.Stream, t catalog.Target) llm.Stream {
	if !x.redactedFor(t) {
		return s
	}
	r := privacy.NewChunkRestorer(x.guard.vault)
	// Anthropic signs thinking text: restoring it would break the signature a client sends
	// back, so its placeholders stay (as in a complete answer, see privacy.RestoreResponse).
	r.KeepReasoning = formatOf(t) == llm.FormatAnthropic || formatOf(t) == llm.FormatGemini
	return &restoringStream{Stream: s, r: r}
}

// restoringStream puts the originals back into a stream's chunks, holding back only what may
// be the start of a placeholder split across chunks.
type restoringStream struct {
	llm.Stream
	r         *privacy.ChunkRestorer
	id, model string
	ended     bool
}

func (s *restoringStream) Recv() (*llm.Chunk, error) {
	if s.ended {
		return nil, io.EOF
	}
	ch, err := s.Stream.Recv()
	if errors.Is(err, io.EOF) {
		s.ended = true
		if tail := s.r.Flush(); tail != nil {
			tail.ID, tail.Model = s.id, s.model
			return tail, nil
		}
		return nil, io.EOF
	}
	if err != nil {
		return nil, err
	}
	if err := s.r.Restore(ch); err != nil {
		return nil, err
	}
	if ch.Decoded && s.id == "" {
		s.id, s.model = ch.ID, ch.Model
	}
	return ch, nil
}

// constrainEmbed applies the privacy policy to an embeddings request's inputs, and returns
// the inputs target t may get.
func (x *Exchange) constrainEmbed(req *llm.EmbedRequest, ts []catalog.Target) ([]catalog.Target, error) {
	p := x.p.Privacy
	if p == nil {
		return ts, nil
	}
	texts := &llm.Request{}
	for _, in := range req.Input {
		texts.Messages = append(texts.Messages, llm.Message{Role: llm.RoleUser, Content: []llm.Part{{Type: llm.PartText, Text: in}}})
	}
	d := &Decision{}
	out, err := x.constrain(d, texts, ts)
	if err == nil && len(x.guard.found) > 0 {
		x.guard.embedFound = make([][]privacy.Finding, len(req.Input))
		for _, l := range x.guard.found {
			x.guard.embedFound[l.Message] = append(x.guard.embedFound[l.Message], l.Finding)
		}
	}
	return out, err
}

// embedOutbound is the embeddings request target t may get.
func (x *Exchange) embedOutbound(req *llm.EmbedRequest, t catalog.Target) *llm.EmbedRequest {
	v, ok := x.guard.verdicts[t.Name()]
	if !ok || len(v.CategoriesFor(privacy.ActionRedact)) == 0 {
		return req
	}
	if x.guard.vault == nil {
		x.guard.vault = privacy.NewVault()
	}
	out := *req
	out.Input = make([]string, len(req.Input))
	for i, in := range req.Input {
		var fs []privacy.Finding
		for _, f := range x.guard.embedFound[i] {
			if v.Redacts(f.Category) {
				fs = append(fs, f)
			}
		}
		out.Input[i] = x.guard.vault.Redact(in, fs)
	}
	return &out
}
