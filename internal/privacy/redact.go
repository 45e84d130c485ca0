package privacy

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
)

// Vault holds one request's redactions: each redacted value and the placeholder that stands for
// it (<EMAIL_1>, <SECRET_1>, <PERSON_2>). The same value gets the same placeholder in every text
// of the request, so the model can still tell two people apart and refer back to one. A Vault
// lives as long as its request and answer; it is safe for concurrent use.
type Vault struct {
	mu       sync.Mutex
	byValue  map[string]string // original -> placeholder
	byName   map[string]string // placeholder name (EMAIL_1) -> original
	reserved map[string]bool   // placeholder names already present in the request's own text
	next     map[Category]int
}

// NewVault returns an empty vault.
func NewVault() *Vault {
	return &Vault{byValue: map[string]string{}, byName: map[string]string{}, reserved: map[string]bool{}, next: map[Category]int{}}
}

// Len returns how many distinct values the vault holds.
func (v *Vault) Len() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.byName)
}

// maxPlaceholder bounds a placeholder's length: "<" + name + ">" where the name is a category in
// capitals, '_' and a number.
const maxPlaceholder = 32

// Reserve notes placeholder-shaped text that the caller wrote itself ("<EMAIL_1>" in a prompt
// about this very feature), so that the vault never hands out those names and Restore leaves
// them alone. RedactRequest reserves every text of the request before redacting any.
func (v *Vault) Reserve(text string) {
	if strings.IndexByte(text, '<') < 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for i := 0; i < len(text); i++ {
		if text[i] != '<' {
			continue
		}
		if end, name, st := parsePlaceholder(text, i, false); st == phComplete {
			if _, ours := v.byName[name]; !ours {
				v.reserved[name] = true
			}
			i = end - 1
		}
	}
}

// placeholderFor returns the placeholder for a value, making one if needed. Called with mu held.
func (v *Vault) placeholderFor(c Category, value string) string {
	if p, ok := v.byValue[value]; ok {
		return p
	}
	prefix := strings.ToUpper(string(c)) + "_"
	for {
		v.next[c]++
		name := prefix + strconv.Itoa(v.next[c])
		if v.reserved[name] {
			continue
		}
		v.byName[name] = value
		p := "<" + name + ">"
		v.byValue[value] = p
		return p
	}
}

// Redact replaces each finding in text with its placeholder. Findings must not overlap (Scan's
// never do) and must lie within text; others are skipped.
func (v *Vault) Redact(text string, findings []Finding) string {
	return v.redact(text, findings, nil)
}

// redact is Redact with decode, when set, turning a finding's raw bytes into the value to keep
// (JSON text: the unescaped string content).
func (v *Vault) redact(text string, findings []Finding, decode func(string) string) string {
	if len(findings) == 0 {
		return text
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	var b strings.Builder
	b.Grow(len(text))
	last := 0
	for _, f := range findings {
		if f.Start < last || f.End > len(text) || f.End <= f.Start {
			continue
		}
		raw := text[f.Start:f.End]
		value := raw
		if decode != nil {
			value = decode(raw)
		}
		b.WriteString(text[last:f.Start])
		b.WriteString(v.placeholderFor(f.Category, value))
		last = f.End
	}
	b.WriteString(text[last:])
	return b.String()
}

// Restore puts the originals back in place of their placeholders. Unknown placeholders and
// anything placeholder-like that is not complete stay as they are.
func (v *Vault) Restore(text string) string { return v.restore(text, false) }

// RestoreJSON restores placeholders that stand inside JSON string literals (tool-call
// arguments): each original goes in JSON-escaped, so quotes and backslashes in it keep the
// JSON valid. It also recognises placeholders written with \u003c and \u003e escapes.
func (v *Vault) RestoreJSON(text string) string { return v.restore(text, true) }

func (v *Vault) restore(text string, inJSON bool) string {
	first := firstPlaceholderStart(text, inJSON)
	if first < 0 {
		return text
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.byName) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for i := first; i < len(text); {
		c := text[i]
		if c != '<' && !(inJSON && c == '\\') {
			i++
			continue
		}
		end, name, st := parsePlaceholder(text, i, inJSON)
		if st != phComplete {
			i++
			continue
		}
		orig, ok := v.byName[name]
		if !ok {
			i = end
			continue
		}
		b.WriteString(text[last:i])
		if inJSON {
			b.WriteString(jsonEscape(orig))
		} else {
			b.WriteString(orig)
		}
		last, i = end, end
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

func firstPlaceholderStart(text string, inJSON bool) int {
	i := strings.IndexByte(text, '<')
	if inJSON {
		if j := strings.IndexByte(text, '\\'); j >= 0 && (i < 0 || j < i) {
			i = j
		}
	}
	return i
}

// Placeholder parse states.
const (
	phNone     = iota // not a placeholder
	phComplete        // a whole placeholder
	phPartial         // the text ends inside what could still become one
)

// parsePlaceholder parses a placeholder at text[i:]: '<' (or, in JSON, \u003c), a name of
// capitals and underscores, '_', digits, '>' (or \u003e). It returns the end, the name in
// capitals and the state. The category part is matched case-insensitively, since models
// sometimes rewrite <EMAIL_1> as <Email_1>.
func parsePlaceholder(text string, i int, inJSON bool) (end int, name string, state int) {
	j, st := matchToken(text, i, '<', inJSON)
	if st != phComplete {
		return 0, "", st
	}
	ns := j
	letters := 0
	for j < len(text) && j-ns < maxPlaceholder && (isLetter(text[j]) || text[j] == '_') {
		letters++
		j++
	}
	if j == len(text) {
		if letters < maxPlaceholder {
			return 0, "", phPartial
		}
		return 0, "", phNone
	}
	if letters < 2 || text[j-1] != '_' {
		return 0, "", phNone
	}
	ds := j
	for j < len(text) && j-ds < 6 && isDigit(text[j]) {
		j++
	}
	if j == len(text) {
		if j-ds < 6 {
			return 0, "", phPartial
		}
		return 0, "", phNone
	}
	if j == ds {
		return 0, "", phNone
	}
	ne := j
	j, st = matchToken(text, j, '>', inJSON)
	switch st {
	case phPartial:
		return 0, "", phPartial
	case phNone:
		return 0, "", phNone
	}
	return j, strings.ToUpper(text[ns:ne]), phComplete
}

// matchToken matches c at text[i:], or in JSON its \u00XX escape (any hex case).
func matchToken(text string, i int, c byte, inJSON bool) (int, int) {
	if i >= len(text) {
		return i, phPartial
	}
	if text[i] == c {
		return i + 1, phComplete
	}
	if !inJSON || text[i] != '\\' {
		return i, phNone
	}
	esc := `\u003c`
	if c == '>' {
		esc = `\u003e`
	}
	k := 0
	for k < len(esc) {
		if i+k >= len(text) {
			return i, phPartial
		}
		if lowerASCII(text[i+k]) != esc[k] {
			return i, phNone
		}
		k++
	}
	return i + k, phComplete
}

func jsonEscape(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return s
	}
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	return string(out[1 : len(out)-1])
}

// jsonUnescape decodes the escapes of a fragment of a JSON string literal (no quotes around it).
// A fragment that does not decode is kept as it is.
func jsonUnescape(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw
	}
	var s string
	if err := json.Unmarshal([]byte(`"`+raw+`"`), &s); err != nil {
		return raw
	}
	return s
}

// Restorer restores placeholders in a streamed answer. Write takes each piece of text as it
// arrives and returns what can be sent now: everything except a trailing piece that could still
// become a placeholder ("<EMA" waits for "IL_1>"). Flush returns what is left at the end.
// Whatever the split of the stream into pieces, the concatenation of everything Write and Flush
// return equals Restore of the whole text. It holds back at most a placeholder's length.
type Restorer struct {
	v       *Vault
	inJSON  bool
	pending string
}

// NewRestorer returns a restorer for plain text.
func NewRestorer(v *Vault) *Restorer { return &Restorer{v: v} }

// NewJSONRestorer returns a restorer for text inside JSON strings (streamed tool-call
// arguments); see RestoreJSON.
func NewJSONRestorer(v *Vault) *Restorer { return &Restorer{v: v, inJSON: true} }

// Write adds delta to the stream and returns the text that is safe to emit now.
func (r *Restorer) Write(delta string) string {
	if r.pending == "" && strings.IndexByte(delta, '<') < 0 && (!r.inJSON || strings.IndexByte(delta, '\\') < 0) {
		return delta
	}
	buf := r.pending + delta
	cut := holdFrom(buf, r.inJSON)
	r.pending = buf[cut:]
	return r.v.restore(buf[:cut], r.inJSON)
}

// Flush returns what the restorer still holds.
func (r *Restorer) Flush() string {
	p := r.pending
	r.pending = ""
	return r.v.restore(p, r.inJSON)
}

// Pending reports whether the restorer holds text back.
func (r *Restorer) Pending() bool { return r.pending != "" }

// holdFrom returns where the tail that may still grow into a placeholder starts (len(buf) when
// there is none). Only the last maxPlaceholder+32 bytes can hold such a tail.
func holdFrom(buf string, inJSON bool) int {
	lo := max(0, len(buf)-(maxPlaceholder+32))
	for i := lo; i < len(buf); i++ {
		c := buf[i]
		if c != '<' && !(inJSON && c == '\\') {
			continue
		}
		if _, _, st := parsePlaceholder(buf, i, inJSON); st == phPartial {
			// Never split a UTF-8 sequence: i is at an ASCII byte, so it cannot.
			return i
		}
	}
	return len(buf)
}
