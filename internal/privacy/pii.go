package privacy

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The personal-data pass walks the text once, token by token: a digit starts a numeric run
// (cards, phones, national ids, IPs, dates), '@' an email, a letter a word (names, IBANs,
// national ids with letters, postcodes, street words, date-of-birth cues). Each detector works
// on the few bytes around its token and validates with a checksum or a context word where the
// format alone is too weak.

// Byte classes for the main loop.
const (
	clsOther = iota
	clsDigit
	clsUpper
	clsLower
	clsHigh // first byte of a multi-byte UTF-8 sequence
	clsAt
	clsPlus  // '+' or '(' before a phone number
	clsColon // ':' before an IPv6 group
)

var byteClass = func() (t [256]uint8) {
	for c := '0'; c <= '9'; c++ {
		t[c] = clsDigit
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = clsUpper
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = clsLower
	}
	for c := 0xC0; c < 0x100; c++ {
		t[c] = clsHigh
	}
	t['@'] = clsAt
	t['+'] = clsPlus
	t['('] = clsPlus
	t[':'] = clsColon
	return t
}()

type piiScan struct {
	s        *Scanner
	text     string
	out      []Finding
	caseless bool // no ASCII capital anywhere: names can only be lowercase

	// The person-name span being built.
	pStart, pEnd int
	pToks        []nameTok
	pCtx         bool // a title or cue ("Dear", "my name is") came right before
	pCtxWeak     bool // the cue was "from", weak evidence
	cueWeak      bool // the cue that set cueEnd was "from"
	particleEnd  int  // end of a name particle (van, de, …) seen after the span

	cueEnd      int      // a name starting at or before here follows a title or cue
	cueTitle    int      // start of the title that set cueEnd, or -1
	pTitle      int      // start of the title before the span being built, or -1
	originEnd   int      // a span starting at or before here follows "is from", "moved here from"…
	maybe       [][2]int // doubtful single names, for the list pass
	lastAddrEnd int
}

type nameTok struct {
	start, end int
	kind       uint8
	flags      uint8 // gazetteer flags
	initial    bool  // at the start of a sentence
}

// Name token kinds.
const (
	nameUnknown   = iota // capitalized, not in the gazetteer
	nameSuffix           // not in the gazetteer, but shaped like a surname (-ić, -sson, -enko…)
	nameForeign          // not in the gazetteer, capitalized, with letters beyond ASCII (Ömür)
	nameAmbiguous        // in the gazetteer and a common word (Will, May, Grant)
	nameStrong           // in the gazetteer only
)

func (s *Scanner) scanPII(text string, out []Finding) []Finding {
	p := &piiScan{s: s, text: text, out: out, pStart: -1, particleEnd: -1, lastAddrEnd: -1000, cueEnd: -1, cueTitle: -1, pTitle: -1, originEnd: -1}
	if s.names != nil {
		p.caseless = len(text) >= 20 && !hasUpperASCII(text)
	}
	n := len(text)
	i := 0
	for i < n {
		switch byteClass[text[i]] {
		case clsOther:
			i++
		case clsDigit:
			i = p.numeric(i)
		case clsUpper, clsLower, clsHigh:
			i = p.word(i)
		case clsAt:
			i = p.email(i)
		case clsPlus:
			// '(' starts a phone number only as an area code: (555) 123-4567, (0)30 1234.
			if text[i] == '(' {
				k := strings.IndexByte(text[i:min(n, i+7)], ')')
				if k < 2 {
					i++
					continue
				}
			}
			if i+1 < n && (isDigit(text[i+1]) || text[i] == '+' && text[i+1] == ' ' && i+2 < n && isDigit(text[i+2])) &&
				!isWordByteBefore(text, i) {
				i = p.numeric(i)
			} else {
				i++
			}
		case clsColon:
			if i+1 < n && text[i+1] == ':' && p.s.wants(CategoryIPAddress) {
				if e := p.ipv6(i); e > i {
					i = e
					continue
				}
			}
			i++
		}
	}
	p.flushPerson()
	p.nameLists()
	return p.out
}

func hasUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if isUpper(s[i]) {
			return true
		}
	}
	return false
}

func (p *piiScan) add(c Category, rule string, start, end int, conf float64) {
	if p.s.wants(c) && end > start {
		p.out = append(p.out, Finding{c, rule, start, end, conf})
	}
}

// email handles an '@' at i and returns where to continue.
func (p *piiScan) email(i int) int {
	t := p.text
	a := i
	for a > 0 && i-a < 64 {
		c := t[a-1]
		if isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' || c == '\'' {
			a--
			continue
		}
		break
	}
	for a < i && (t[a] == '.' || t[a] == '\'' || t[a] == '-') {
		a++
	}
	if a == i || t[i-1] == '.' {
		return i + 1
	}
	b := i + 1
	lastDot := -1
	for b < len(t) && b-i < 254 {
		c := t[b]
		if isAlnum(c) || c == '-' {
			b++
			continue
		}
		if c == '.' && b+1 < len(t) && isAlnum(t[b+1]) && t[b-1] != '.' {
			lastDot = b
			b++
			continue
		}
		break
	}
	if lastDot < 0 || b-lastDot-1 < 2 || b == i+1 || t[i+1] == '.' || t[i+1] == '-' {
		return i + 1
	}
	if tld := t[lastDot+1 : b]; !strings.HasPrefix(tld, "xn--") {
		for k := 0; k < len(tld); k++ {
			if !isLetter(tld[k]) {
				return i + 1
			}
		}
	}
	p.add(CategoryEmail, "email", a, b, 0.95)
	return b
}

// word handles the word that starts at i and returns where it ends.
func (p *piiScan) word(i int) int {
	t := p.text
	n := len(t)
	j := i
	hasDigit, hasHigh := false, false
	upper, lower := 0, 0
	for j < n {
		c := t[j]
		switch byteClass[c] {
		case clsLower:
			k := j + 1
			for k < n && isLower(t[k]) {
				k++
			}
			lower += k - j
			j = k
			continue
		case clsUpper:
			upper++
			j++
			continue
		case clsDigit:
			hasDigit = true
			j++
			continue
		case clsHigh:
		default:
			if c >= utf8.RuneSelf {
				break // a continuation byte where a rune should start: not a letter
			}
			// O'Brien: an apostrophe between letters stays in the word.
			if c == '\'' && j+1 < n && j > i && isLetter(t[j+1]) && isLetter(t[j-1]) {
				j++
				continue
			}
			goto end
		}
		r, size := utf8.DecodeRuneInString(t[j:])
		if r == '’' && j > i && j+size < n && isLetter(t[j+size]) {
			j += size
			continue
		}
		if !unicode.IsLetter(r) && !unicode.IsMark(r) {
			break
		}
		if unicode.IsUpper(r) {
			upper++
		} else {
			lower++
		}
		hasHigh = true
		j += size
	}
end:
	if j == i { // a byte that is no letter
		p.flushPerson()
		return i + 1
	}
	w := t[i:j]
	if j < n && t[j] == '@' {
		p.flushPerson()
		return j
	}
	if j < n && t[j] == '.' && len(w) >= 24 && len(w) <= 26 {
		// A Discord bot token's first part (see findDiscordTokens): checked here, where every
		// word passes anyway, rather than in a pass over all dots.
		if e, ok := discordToken(t, i, j); ok {
			p.flushPerson()
			p.add(CategorySecret, "discord-bot-token", i, e, 0.9)
			return e
		}
	}
	if hasDigit {
		p.flushPerson()
		p.alnumWord(i, j)
		return j
	}
	if j < n && t[j] == ':' && len(w) <= 4 && isHexString(w) && p.s.wants(CategoryIPAddress) {
		if e := p.ipv6(i); e > j {
			p.flushPerson()
			return e
		}
	}
	if !hasHigh && len(w) >= 2 && len(w) <= 16 && maybeTrigger(w) {
		if trig, ok := triggerWord(w); ok {
			if p.trigger(trig, i, j) {
				return j
			}
		}
	} else if hasHigh && len(w) <= 16 {
		if trig, ok := triggerWordFold(w); ok && p.trigger(trig, i, j) { // rúa, praça, tér, señora
			return j
		}
	}
	// A street word ending in a street suffix (Hochstrasse); in lower case only in text
	// without capitals or between two numbers (17 rijksweg 145). Most words are in lower case
	// and have no digit before them: that test comes first.
	if upper > 0 {
		if len(w) >= 6 && streetSuffixByte[t[j-1]] && hasStreetSuffix(w) && p.street(trigStreetSuffix, i, j) {
			return j
		}
	} else if i >= 2 && isDigit(t[i-2]) || p.caseless {
		if len(w) >= 6 && streetSuffixByte[t[j-1]] && hasStreetSuffix(w) &&
			(p.caseless || t[i-1] == ' ' && numberAfter(t, j) && !weakLowerSuffix(w)) && p.street(trigStreetSuffix, i, j) {
			return j
		}
	}
	if upper == 3 && lower == 0 && len(w) == 3 && w[1] == 'P' && w[2] == 'O' && (w[0] == 'A' || w[0] == 'F' || w[0] == 'D') {
		if e := p.military(i, j); e > j {
			return e
		}
	}
	if upper == 2 && lower == 0 && len(w) == 2 {
		if e := p.spacedID(i, j); e > j {
			p.flushPerson()
			return e
		}
	}
	if p.s.names != nil {
		if p.nameWord(i, j, upper, lower) {
			return j
		}
	}
	p.flushPerson()
	return j
}

func isHexString(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

// alnumWord checks a word of letters and digits that starts with a letter: IBAN, national ids
// with letters, UK postcodes.
func (p *piiScan) alnumWord(i, j int) {
	t := p.text
	w := t[i:j]
	n := len(w)
	switch {
	case n >= 15 && n <= 34 && isLetter(w[0]) && isLetter(w[1]) && isDigit(w[2]) && isDigit(w[3]):
		if validIBAN(w) {
			p.add(CategoryIBAN, "iban", i, j, 0.95)
			return
		}
	case n == 4 && isLetter(w[0]) && isLetter(w[1]) && isDigit(w[2]) && isDigit(w[3]):
		if e := p.spacedIBAN(i, j); e > j {
			return
		}
	case n == 9:
		switch {
		case validNINO(w):
			p.add(CategoryNationalID, "uk-nino", i, j, 0.85)
			return
		case (w[0] == 'X' || w[0] == 'Y' || w[0] == 'Z' || w[0] == 'x' || w[0] == 'y' || w[0] == 'z') && validNIF(w):
			p.add(CategoryNationalID, "es-nie", i, j, 0.85)
			return
		case validNRIC(w):
			p.add(CategoryNationalID, "sg-nric", i, j, 0.8)
			return
		}
	case n == 8 && strings.IndexByte("XYZxyz", w[0]) >= 0 && j+1 < len(t) && t[j] == '-' && isLetter(t[j+1]) && !isWordByteAt(t, j+2):
		if validNIF(w + t[j+1:j+2]) {
			p.add(CategoryNationalID, "es-nie", i, j+2, 0.85)
			return
		}
	case n == 16:
		if validItalianFiscalCode(w) {
			p.add(CategoryNationalID, "it-fiscal-code", i, j, 0.9)
			return
		}
	}
	if j < len(t) && t[j] == ':' && n <= 4 && isHexString(w) && p.s.wants(CategoryIPAddress) {
		p.ipv6(i)
		return
	}
	// UK postcode: outward code (A9, A99, A9A, AA9, AA99, AA9A) then inward code (9AA).
	if n >= 2 && n <= 4 && isUpper(w[0]) && j+4 <= len(t) && t[j] == ' ' && isDigit(t[j+1]) && isUpper(t[j+2]) && isUpper(t[j+3]) &&
		!isWordByteAt(t, j+4) && ukOutward(w) && ukInwardLetter(t[j+2]) && ukInwardLetter(t[j+3]) {
		p.add(CategoryAddress, "uk-postcode", i, j+4, 0.8)
		p.lastAddrEnd = j + 4
	}
}

// ukInwardLetter reports the letters a postcode's inward code may end with: C, I, K, M, O
// and V are never used.
func ukInwardLetter(c byte) bool { return strings.IndexByte("CIKMOV", c) < 0 }

// ukOutward checks an outward code's shape and letters: Q, V and X never come first; I, J and
// Z never second.
func ukOutward(w string) bool {
	if strings.IndexByte("QVX", w[0]) >= 0 || len(w) > 2 && isLetter(w[1]) && strings.IndexByte("IJZ", w[1]) >= 0 {
		return false
	}
	switch len(w) {
	case 2:
		return isUpper(w[0]) && isDigit(w[1])
	case 3:
		return isUpper(w[0]) && (isDigit(w[1]) && (isDigit(w[2]) || isUpper(w[2])) || isUpper(w[1]) && isDigit(w[2]))
	case 4:
		return isUpper(w[0]) && isUpper(w[1]) && isDigit(w[2]) && (isDigit(w[3]) || isUpper(w[3]))
	}
	return false
}

// spacedIBAN handles an IBAN printed in groups of four ("GB82 WEST 1234 5698 7654 32") that
// starts with the word [i, j).
func (p *piiScan) spacedIBAN(i, j int) int {
	t := p.text
	var b strings.Builder
	b.WriteString(t[i:j])
	k := j
	end := j
	for k < len(t) && b.Len() < 34 {
		if t[k] != ' ' {
			break
		}
		g := k + 1
		for g < len(t) && g-k-1 < 4 && isAlnum(t[g]) {
			g++
		}
		if g == k+1 || (g < len(t) && isAlnum(t[g])) {
			break
		}
		b.WriteString(t[k+1 : g])
		end = g
		k = g
		if validIBAN(b.String()) {
			p.add(CategoryIBAN, "iban", i, end, 0.95)
			return end
		}
	}
	return j
}

// spacedID handles ids that start with a two-letter word: a UK NINO printed in groups
// ("QQ 12 34 56 C", "QQ 123456 C", "QQ 123456C").
func (p *piiScan) spacedID(i, j int) int {
	t := p.text
	if j+11 <= len(t) && t[j] == ' ' && t[j+3] == ' ' && t[j+6] == ' ' && t[j+9] == ' ' {
		s := t[i:j] + t[j+1:j+3] + t[j+4:j+6] + t[j+7:j+9] + t[j+10:j+11]
		if validNINO(s) && !isWordByteAt(t, j+11) {
			p.add(CategoryNationalID, "uk-nino", i, j+11, 0.85)
			return j + 11
		}
	}
	if j+8 <= len(t) && t[j] == ' ' && isDigit(t[j+1]) {
		e := j + 7 // end of the six digits
		if e < len(t) && t[e] == ' ' {
			e++
		}
		if e < len(t) && validNINO(t[i:j]+t[j+1:j+7]+t[e:e+1]) && (e == j+7 || isUpper(t[e])) && !isWordByteAt(t, e+1) {
			p.add(CategoryNationalID, "uk-nino", i, e+1, 0.85)
			return e + 1
		}
	}
	return j
}

// ipv6 tries an IPv6 address that starts at i; it returns its end, or i.
func (p *piiScan) ipv6(i int) int {
	t := p.text
	if isWordByteBefore(t, i) || (i > 0 && t[i-1] == ':') {
		return i
	}
	j := i
	groups, double := 0, false
	lastWasGroup := false
	for j < len(t) {
		g := j
		for g < len(t) && g-j < 5 && isHex(t[g]) {
			g++
		}
		if g > j {
			if g-j > 4 {
				return i
			}
			groups++
			j = g
			lastWasGroup = true
		}
		if j+1 < len(t) && t[j] == ':' && t[j+1] == ':' {
			if double {
				return i
			}
			double = true
			j += 2
			lastWasGroup = false
			continue
		}
		if j < len(t) && t[j] == ':' && lastWasGroup && j+1 < len(t) && isHex(t[j+1]) {
			j++
			lastWasGroup = false
			continue
		}
		break
	}
	if j < len(t) && (isAlnum(t[j]) || t[j] == '_') {
		return i
	}
	if groups > 8 || (!double && groups != 8) || (double && groups < 1) || groups+btoi(double) < 3 {
		return i
	}
	p.add(CategoryIPAddress, "ipv6", i, j, 0.85)
	return j
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
