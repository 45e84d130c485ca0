// Package privacy is Sovereign's privacy guard: it finds secrets and personal data in the text
// of a request, applies the caller's policy (allow, redact, local-only, block per category),
// and redacts reversibly, so that an answer from a cloud model gets the original values back.
//
// A Scanner finds Findings (category, rule, byte span, confidence) in one pass of cheap
// prefilters: a keyword automaton decides which secret rules run at all (gitleaks' approach),
// and a tokenizer hands digits, '@' and words to checksum- and context-validated detectors for
// emails, phones, payment cards, IBANs, national ids, IP addresses, postal addresses, dates of
// birth and person names (a gazetteer of about 200,000 names, see testdata/PROVENANCE.md).
// Findings never hold values, so they, a Verdict and its Header may be logged.
//
// A Vault holds one request's redactions. The same value gets the same placeholder in every
// text of the request; Restore puts values back, and a Restorer does so on a stream, holding
// back only a trailing piece that could still become a placeholder.
//
//	s, _ := privacy.New(privacy.Options{})
//	found := privacy.ScanRequest(s, req)
//	verdict := privacy.Evaluate(privacy.Findings(found), privacy.DefaultCloud())
//	switch verdict.Action {
//	case privacy.ActionBlock:
//		return errors.New(verdict.BlockMessage()) // categories only, never values
//	case privacy.ActionRedact:
//		vault := privacy.NewVault()
//		out := privacy.RedactRequest(req, vault, privacy.Select(found, verdict))
//		// send out; then privacy.RestoreResponse(resp, vault), or per streamed chunk:
//		// cr := privacy.NewChunkRestorer(vault); cr.Restore(chunk) … cr.Flush()
//	}
//	w.Header().Set("x-sovereign-privacy", verdict.Header()) // "secret=block;email=redact"
//
// Signed thinking blocks (Anthropic) are scanned but never changed: their signature covers
// their text. ScanRequest marks findings in them Fixed; RedactRequest leaves them, and the
// caller decides by policy (keep the request local or block it).
package privacy
