package privacy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// The name gazetteer: about 200,000 first and last names from public lists (see
// testdata/PROVENANCE.md), each flagged when it is also a common English word or a place name.
// A capitalized word found there is a name candidate; the decision about a run of candidates is
// made in flushPerson.
//
//go:embed data/names.txt.gz
var namesGz []byte

// Gazetteer flags.
const (
	gFirst  = 1
	gLast   = 2
	gName   = 4  // a name of either kind
	gCommon = 8  // also a common English word or a place name
	gNot    = 16 // never a name (function words, countries…; see wordlists.go)
)

// gazetteer is an open-addressing hash table of 32-bit entries: a 24-bit fingerprint of the
// lowercased name's 64-bit FNV-1a hash and 8 bits of flags. One probe is usually one cache
// line, where a map[string] look-up costs two misses (bucket and key); a fingerprint collision
// (about one in 16 million per look-up) would only make one word a name candidate.
type gazetteer struct {
	slots []uint32
	mask  uint64
}

func (g *gazetteer) insert(h uint64, f uint8) {
	fp := fingerprint(h)
	for i := h & g.mask; ; i = (i + 1) & g.mask {
		e := g.slots[i]
		if e == 0 {
			g.slots[i] = fp<<8 | uint32(f)
			return
		}
		if e>>8 == fp {
			g.slots[i] |= uint32(f)
			return
		}
	}
}

func fingerprint(h uint64) uint32 {
	fp := uint32(h >> 40)
	if fp == 0 {
		fp = 1
	}
	return fp
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// loadGazetteer decodes the embedded list once per process; the table is never written after.
var loadGazetteer = sync.OnceValue(func() *gazetteer {
	zr, err := gzip.NewReader(bytes.NewReader(namesGz))
	if err != nil {
		panic("privacy: embedded name list: " + err.Error())
	}
	g := &gazetteer{slots: make([]uint32, 1<<19), mask: 1<<19 - 1}
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		line := sc.Bytes()
		tab := bytes.IndexByte(line, '\t')
		if tab < 0 {
			continue
		}
		var f uint8
		for _, c := range line[tab+1:] {
			switch c {
			case 'f':
				f |= gFirst | gName
			case 'l':
				f |= gLast | gName
			case 'n':
				f |= gName
			case 'c':
				f |= gCommon
			}
		}
		h := uint64(fnvOffset)
		for _, c := range line[:tab] {
			h = (h ^ uint64(c)) * fnvPrime
		}
		g.insert(h, f)
	}
	if err := sc.Err(); err != nil {
		panic("privacy: embedded name list: " + err.Error())
	}
	// The word lists go into the same table, so that one probe answers everything.
	hash := func(w string) uint64 {
		h := uint64(fnvOffset)
		for i := 0; i < len(w); i++ {
			h = (h ^ uint64(w[i])) * fnvPrime
		}
		return h
	}
	for w := range notNameWords {
		g.insert(hash(w), gNot)
	}
	for w := range ambiguousPlaceWords {
		g.insert(hash(w), gCommon)
	}
	return g
})

// lookup returns the flags of a word in any case.
func (g *gazetteer) lookup(w string) uint8 {
	h := uint64(fnvOffset)
	ascii := true
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		h = (h ^ uint64(lowerASCII(c))) * fnvPrime
	}
	if !ascii {
		h = fnvOffset
		lw := strings.ToLower(w)
		for i := 0; i < len(lw); i++ {
			h = (h ^ uint64(lw[i])) * fnvPrime
		}
	}
	fp := fingerprint(h)
	for i := h & g.mask; ; i = (i + 1) & g.mask {
		e := g.slots[i]
		if e == 0 {
			return 0
		}
		if e>>8 == fp {
			return uint8(e)
		}
	}
}

// surnameSuffixes are endings typical of surnames in many languages; a capitalized word not in
// the gazetteer with one of them counts as a weak name.
var surnameSuffixes = []string{"ović", "ević", "ić", "sson", "sen", "dóttir", "dottir", "poulos", "opoulos",
	"escu", "enko", "chuk", "czyk", "ski", "ska", "wicz", "owski", "ov", "ova", "ev", "eva", "yan", "ian",
	"idze", "shvili", "berg", "stein", "mann", "ez", "oglu", "oğlu", "aki", "uchi", "moto", "yama", "ström",
	"qvist", "quist", "lund", "gaard", "vich", "ovich", "eau", "elli", "etti", "ini", "ucci"}

// surnameSuffixByte marks the last bytes of surnameSuffixes, a cheap first test.
var surnameSuffixByte = func() (t [256]bool) {
	for _, s := range surnameSuffixes {
		t[s[len(s)-1]] = true
	}
	return t
}()

// surnameByEnd groups surnameSuffixes by their last two bytes.
var surnameByEnd = func() map[string][]string {
	m := map[string][]string{}
	for _, s := range surnameSuffixes {
		k := s[len(s)-2:]
		m[k] = append(m[k], s)
	}
	return m
}()

func hasSurnameSuffix(w string) bool {
	if !surnameSuffixByte[w[len(w)-1]] {
		return false
	}
	// Name candidates are capitalized: the ending is in lower case already.
	if len(w) < 4 {
		return false
	}
	for _, s := range surnameByEnd[w[len(w)-2:]] {
		if len(w) > len(s)+2 && strings.HasSuffix(w, s) {
			return true
		}
	}
	return false
}

// nameWord classifies the word [i, j) as a name token and adds it to the span being built.
// It reports whether the word was taken as part of a name.
func (p *piiScan) nameWord(i, j, upper, lower int) bool {
	t := p.text
	// Possessives: Alex's address.
	if strings.HasSuffix(t[i:j], "'s") {
		j -= 2
	} else if strings.HasSuffix(t[i:j], "’s") {
		j -= 4
	}
	w := t[i:j]
	if len(w) < 2 {
		return false
	}
	first, _ := utf8.DecodeRuneInString(w)
	capitalized := unicode.IsUpper(first) && lower > 0 && upper <= 3
	if !capitalized && !p.caseless {
		return false
	}
	// Contractions (I'm, We'll) are no names; O'Brien and D'Angelo are.
	if k := strings.IndexByte(w, '\''); k >= 0 && (k != 1 || k+1 >= len(w) || !isUpper(w[k+1])) {
		return false
	}
	if strings.IndexByte(w, 0xE2) >= 0 && strings.Contains(w, "’") {
		return false
	}
	if p.caseless && !caselessBoundary(t, i, j) {
		return false
	}
	f := p.s.names.lookup(w)
	if f&gNot != 0 {
		return false
	}
	kind := uint8(nameUnknown)
	switch {
	case f&gName != 0 && f&gCommon == 0:
		kind = nameStrong
	case f&gName != 0:
		kind = nameAmbiguous
	case hasSurnameSuffix(w):
		kind = nameSuffix
	case capitalized && !isASCII(w) && len(w) >= 5:
		kind = nameForeign
	}
	if p.caseless && kind != nameStrong && !(p.pStart >= 0 && kind != nameUnknown && p.adjacent(i)) {
		return false
	}
	tok := nameTok{start: i, end: j, kind: kind, flags: f, initial: sentenceStart(t, i)}
	if p.pStart >= 0 && p.adjacent(i) {
		p.pToks = append(p.pToks, tok)
		p.pEnd = j
		p.particleEnd = -1
		return true
	}
	p.flushPerson()
	p.pStart, p.pEnd = i, j
	p.pToks = append(p.pToks[:0], tok)
	p.pCtx = i <= p.cueEnd
	p.pCtxWeak = p.cueWeak
	p.pTitle = -1
	if p.pCtx && p.cueTitle >= 0 {
		p.pTitle = p.cueTitle
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// adjacent reports whether a name token at i continues the current span: separated by one
// space or hyphen, or by name particles (van der, de la).
func (p *piiScan) adjacent(i int) bool {
	t := p.text
	from := p.pEnd
	if p.particleEnd > from {
		from = p.particleEnd
	}
	gap := t[from:i]
	return gap == " " || gap == "-" || gap == " - " || (from == p.pEnd && gap == ". " && p.pEnd-p.pToks[len(p.pToks)-1].start == 1)
}

// sentenceStart reports whether i starts a sentence or line, where capitals say nothing.
func sentenceStart(t string, i int) bool {
	k := i
	for k > 0 && (t[k-1] == ' ' || t[k-1] == '"' || t[k-1] == '\'' || t[k-1] == '(' || t[k-1] == '*' || t[k-1] == '\t') {
		k--
	}
	if k == 0 {
		return true
	}
	switch t[k-1] {
	case '.', '!', '?', '\n', '\r', ':', ';', '-':
		return true
	}
	return false
}

// flushPerson decides about the span of name tokens built so far.
func (p *piiScan) flushPerson() {
	if p.pStart < 0 {
		return
	}
	t := p.text
	toks := p.pToks
	ctx := p.pCtx
	title := p.pTitle
	p.pStart = -1
	p.particleEnd = -1
	p.pToks = p.pToks[:0]
	// Unknown capitalized words at the front are not part of a name unless a cue says so
	// (Project Alice, Tuesday Maria); at the end, one unknown word may be a surname.
	if !ctx {
		for len(toks) > 0 && (toks[0].kind == nameUnknown || len(toks) > 1 && toks[0].initial && toks[0].kind == nameAmbiguous) {
			toks = toks[1:]
		}
	}
	for len(toks) > 1 && toks[len(toks)-1].kind == nameUnknown && toks[len(toks)-2].kind == nameUnknown {
		toks = toks[:len(toks)-1]
	}
	if len(toks) == 0 {
		return
	}
	start, end := toks[0].start, toks[len(toks)-1].end
	// "52 Stubben 149": a house number on both sides makes it a street.
	if ns, _, ok := houseNumberBefore(t, start); ok && start-ns <= 7 && (ns == 0 || t[ns-1] == '\n' || t[ns-1] == ' ' || t[ns-1] == ',') {
		if _, ne, ok := houseNumberAfter(t, end); ok && p.s.wants(CategoryAddress) {
			p.addAddress(ns, ne, 0.6)
			return
		}
	}
	var strong, amb, suffix, foreign int
	firstName := false // some ambiguous token is a given name
	for _, tk := range toks {
		if tk.kind == nameAmbiguous && tk.flags&gFirst != 0 {
			firstName = true
		}
		switch tk.kind {
		case nameStrong:
			strong++
		case nameAmbiguous:
			amb++
		case nameSuffix:
			suffix++
		case nameForeign:
			foreign++
		}
	}
	conf := 0.0
	switch {
	case ctx && p.pCtxWeak && strong+suffix+foreign == 0 && len(toks) == 1:
		// "this morning from Kenya": after "from" a lone common word is a place as often.
	case ctx:
		conf = 0.85
	case strong >= 1 && len(toks) >= 2:
		conf = 0.9
	case strong >= 1:
		conf = 0.75
	case amb+suffix+foreign >= 2 && (suffix+foreign > 0 || firstName):
		// Common words alone ("The Big Three", "White Stripes") need a given name among them.
		conf = 0.6
	case suffix == 1 && len(toks) == 1 && (!toks[0].initial || end-start >= 7):
		conf = 0.5
	case amb == 1 && len(toks) >= 2 && !toks[0].initial && firstName:
		conf = 0.55
	}
	if p.caseless && len(toks) < 2 && !ctx && strong == 0 {
		conf = 0
	}
	maybe := conf == 0 && len(toks) == 1 && (toks[0].kind == nameAmbiguous || toks[0].kind == nameForeign || toks[0].kind == nameSuffix)
	if conf == 0 && !maybe || p.notPerson(toks, start, end, ctx) {
		return
	}
	if maybe {
		// A lone ambiguous name may still be one in a list of names (Lee in "Kovalev, Lee and
		// Phillips"); the list pass decides.
		p.maybe = append(p.maybe, [2]int{start, end})
		return
	}
	if title >= 0 {
		start = title
	}
	p.add(CategoryPerson, "person-name", start, end, conf)
}

// notPerson reports whether a name-like span [start, end) of toks is an organisation, a place
// or a street rather than a person. It runs only for spans that would be taken.
func (p *piiScan) notPerson(toks []nameTok, start, end int, ctx bool) bool {
	t := p.text
	// "Smith Ltd", "Boston Consulting Group": an organisation.
	var kb [32]byte
	for _, tk := range toks {
		if orgSuffixes[string(lowerKey(kb[:0], t[tk.start:tk.end]))] {
			return true
		}
	}
	// "San Sebastián", "El Tornadizo", "Horka nad Moravou": a place.
	if placeArticleBefore(t, start) || p.placeContext(start, end) || placeConnectorAround(t, start, end) {
		return true
	}
	if len(toks) >= 2 && placeArticles[string(lowerKey(kb[:0], t[toks[0].start:toks[0].end]))] {
		return true
	}
	if k := end; k+1 < len(t) && t[k] == ' ' {
		e := k + 1
		for e < len(t) && (isLetter(t[e]) || t[e] == '.') {
			e++
		}
		// The suffix is written as a name (Ltd, AS): "Simpson as a beneficiary" is no company.
		if w := t[k+1 : e]; e > k+1 && (isUpper(w[0]) || p.caseless && !orgSuffixAmbiguous[string(lowerKey(kb[:0], w))]) &&
			orgSuffixes[string(lowerKey(kb[:0], w))] {
			return true
		}
	}
	if p.multiWordPlace(start, end, len(toks)) {
		return true
	}
	// "Becker-Shaffer" alone, without a given name, title or cue, is a firm's name
	// (double-barrelled given names such as Anne-Lise stay names).
	if !ctx && len(toks) == 2 && t[toks[0].end:toks[1].start] == "-" && (toks[0].flags&gFirst == 0 || toks[1].flags&gFirst == 0) {
		return true
	}
	// "Ludwig is from Solar Census", "we moved here from Pelhrimov": after "is from" comes a
	// place or an organisation, unless it is a full name (given name and surname).
	if start <= p.originEnd && !(len(toks) >= 2 && toks[0].flags&gFirst != 0 && toks[len(toks)-1].flags&gLast != 0) {
		return true
	}
	// "in Berlin", "near Lyon": a lone word after a place preposition is a place.
	if len(toks) == 1 && !ctx && (strings.HasSuffix(t[:start], " in ") || strings.HasSuffix(t[:start], " near ")) {
		return true
	}
	return false
}

// orgSuffixAmbiguous are company-form suffixes that are also common lower-case words.
var orgSuffixAmbiguous = map[string]bool{"as": true, "ab": true, "co": true, "co.": true, "sa": true, "ag": true,
	"oy": true, "nv": true, "bv": true, "kk": true, "spa": true}

// placeConnectors join the parts of place names: Horka nad Moravou, Kámen u Pacova,
// Stratford upon Avon, Châlons sur Marne.
var placeConnectors = map[string]bool{"nad": true, "pod": true, "u": true, "upon": true, "sur": true, "sous": true}

// placeConnectorAround reports whether a place connector joins the span [start, end) to a
// capitalized word after it, or to one before it.
func placeConnectorAround(t string, start, end int) bool {
	var kb [8]byte
	if end+3 < len(t) && (t[end] == ' ' || t[end] == '-') {
		e := end + 1
		for e < len(t) && isLower(t[e]) && e-end <= 5 {
			e++
		}
		if e > end+1 && e+1 < len(t) && (t[e] == ' ' || t[e] == '-') && (isUpper(t[e+1]) || t[e+1] >= 0x80) &&
			placeConnectors[string(lowerKey(kb[:0], t[end+1:e]))] {
			return true
		}
	}
	if start >= 4 && (t[start-1] == ' ' || t[start-1] == '-') {
		b := start - 1
		for b > 0 && isLower(t[b-1]) && start-b <= 5 {
			b--
		}
		if b < start-1 && b >= 2 && (t[b-1] == ' ' || t[b-1] == '-') && isLetterRuneBefore(t, b-1) &&
			placeConnectors[string(lowerKey(kb[:0], t[b:start-1]))] {
			return true
		}
	}
	return false
}

// isLetterRuneBefore reports whether a letter ends at i.
func isLetterRuneBefore(t string, i int) bool {
	if i <= 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(t[:i])
	return unicode.IsLetter(r)
}

// placeFollowers end multi-word country names: "Democratic Republic", "Cayman Islands".
var placeFollowers = map[string]bool{"republic": true, "islands": true, "island": true, "emirates": true, "kingdom": true}

// multiWordPlace reports whether the span [start, end) of n tokens is, or with the word
// before or after it makes, the name of a country or region ("Saudi Arabia", "Equatorial
// Guinea", "People's Republic").
func (p *piiScan) multiWordPlace(start, end, n int) bool {
	t := p.text
	var kb [48]byte // lowerKey gives nil, which no map holds, for longer keys
	if n >= 2 && multiWordPlaces[string(lowerKey(kb[:0], t[start:end]))] {
		return true
	}
	// The word after (past a possessive).
	k := end
	if strings.HasPrefix(t[k:], "'s") {
		k += 2
	}
	if k+1 < len(t) && t[k] == ' ' && (isUpper(t[k+1]) || p.caseless) {
		e := k + 1
		for e < len(t) && (isLetter(t[e]) || t[e] >= 0x80) {
			e++
		}
		if placeFollowers[string(lowerKey(kb[:0], t[k+1:e]))] {
			return true
		}
		if k == end && multiWordPlaces[string(lowerKey(kb[:0], t[start:e]))] {
			return true
		}
	}
	// The word before.
	if start >= 2 && t[start-1] == ' ' && (isUpper(t[start-2]) || isLower(t[start-2]) || t[start-2] >= 0x80) {
		b := start - 1
		for b > 0 && (isLetter(t[b-1]) || t[b-1] >= 0x80) {
			b--
		}
		if b < start-1 && (isUpper(t[b]) || t[b] >= 0x80 || p.caseless) && multiWordPlaces[string(lowerKey(kb[:0], t[b:end]))] {
			return true
		}
	}
	return false
}

// placeArticles start place names: San Sebastián, Las Toscas, Den Haag, Saint Vincent.
var placeArticles = map[string]bool{"san": true, "santa": true, "santo": true, "são": true, "saint": true,
	"sainte": true, "st": true, "st.": true, "el": true, "las": true, "los": true, "den": true, "puerto": true,
	"porto": true, "villa": true, "vila": true, "monte": true, "mount": true, "lake": true, "fort": true,
	"port": true, "bad": true, "sankt": true, "nueva": true, "nuevo": true, "new": true, "colle": true,
	"castel": true, "isla": true, "ile": true, "île": true, "cape": true, "cap": true}

// placeArticleBefore reports whether a place article stands right before i ("San |Sebastián").
func placeArticleBefore(t string, i int) bool {
	if i < 2 || t[i-1] != ' ' {
		return false
	}
	k := i - 1
	for k > 0 && (isLetter(t[k-1]) || t[k-1] >= 0x80 || t[k-1] == '.') {
		k--
	}
	var kb [32]byte
	return k < i-1 && placeArticles[string(lowerKey(kb[:0], t[k:i-1]))]
}

// lowerKey lowercases s (ASCII letters) into buf for a map look-up without allocating; a long
// word gives a key no map holds.
func lowerKey(buf []byte, s string) []byte {
	if len(s) > cap(buf) {
		return nil
	}
	for i := 0; i < len(s); i++ {
		buf = append(buf, lowerASCII(s[i]))
	}
	return buf
}

// placeContext reports whether a name candidate at [start, end) reads as part of a postal
// address: followed by a postcode or a state or province code ("Melo, CA 13241", "Gabon
// 66298", "Hamilton ON"), or alone on its line in the lines that follow an address.
func (p *piiScan) placeContext(start, end int) bool {
	t := p.text
	k := end
	if k < len(t) && t[k] == ',' {
		k++
	}
	if k+2 < len(t) && t[k] == ' ' && isUpper(t[k+1]) && isUpper(t[k+2]) && (k+3 == len(t) || !isLetter(t[k+3])) {
		// A state or province code, but "Joshua Okamoto MD" (no comma, no postcode after) is
		// a doctor.
		if k > end || !degreeCodes[t[k+1:k+3]] || numberAfter(t, k+3) {
			return true
		}
	}
	if k < len(t) && t[k] == ' ' {
		if _, ne, ok := houseNumberAfter(t, k); ok && ne-k >= 5 {
			return true // postcode
		}
	}
	if p.lastAddrEnd < 0 || start < p.lastAddrEnd || start-p.lastAddrEnd > 160 {
		return false
	}
	if strings.Count(t[p.lastAddrEnd:start], "\n") > 4 {
		return false
	}
	// Alone on its line (after indentation or '>' quoting), or between commas.
	b := start
	for b > 0 && (t[b-1] == ' ' || t[b-1] == '>' || t[b-1] == '\t') {
		b--
	}
	e := end
	for e < len(t) && (t[e] == ' ' || t[e] == ',') {
		e++
	}
	lineStart := b == 0 || t[b-1] == '\n' || t[b-1] == ','
	lineEnd := e == len(t) || t[e] == '\n' || isDigit(t[e]) || end < len(t) && t[end] == ','
	return lineStart && lineEnd
}

// degreeCodes are two-letter codes that follow names as degrees or generations as well as
// being state codes (MD Maryland, PA Pennsylvania).
var degreeCodes = map[string]bool{"MD": true, "DO": true, "RN": true, "NP": true, "PA": true, "JR": true, "SR": true,
	"II": true, "IV": true}

// caselessBoundary reports whether [i, j) stands alone as a word in text without capitals:
// spaces or sentence punctuation around it, not dots, dashes or slashes of a domain or path.
func caselessBoundary(t string, i, j int) bool {
	if i > 0 {
		switch t[i-1] {
		case ' ', '\n', '\t', '"', '(', ',':
		default:
			return false
		}
	}
	if j < len(t) {
		switch t[j] {
		case ' ', '\n', '\t', '"', ')', ',', '!', '?', ':', ';':
		case '.':
			return j+1 == len(t) || t[j+1] == ' ' || t[j+1] == '\n'
		default:
			return false
		}
	}
	return true
}

// nameLists accepts the doubtful single names that stand in a list with accepted ones:
// separated by ", ", " and ", " or " or " & ".
func (p *piiScan) nameLists() {
	if len(p.maybe) == 0 || !p.s.wants(CategoryPerson) {
		return
	}
	// Spans in text order, accepted or not; a doubtful one next to an accepted one (in either
	// direction, along a chain) is accepted. Two passes, forward and backward.
	type span struct {
		s, e int
		ok   bool
	}
	var spans []span
	for _, f := range p.out {
		if f.Category == CategoryPerson {
			spans = append(spans, span{f.Start, f.End, true})
		}
	}
	for _, m := range p.maybe {
		spans = append(spans, span{m[0], m[1], false})
	}
	slices.SortFunc(spans, func(a, b span) int { return a.s - b.s })
	sep := func(a, b span) bool {
		if b.s < a.e || b.s-a.e > 6 {
			return false
		}
		switch p.text[a.e:b.s] {
		case ", ", " and ", ", and ", " or ", " & ", " und ", " et ", " y ", " e ":
			return true
		}
		return false
	}
	for i := 1; i < len(spans); i++ {
		if !spans[i].ok && spans[i-1].ok && sep(spans[i-1], spans[i]) {
			spans[i].ok = true
			p.add(CategoryPerson, "person-name-list", spans[i].s, spans[i].e, 0.55)
		}
	}
	for i := len(spans) - 2; i >= 0; i-- {
		if !spans[i].ok && spans[i+1].ok && sep(spans[i], spans[i+1]) {
			spans[i].ok = true
			p.add(CategoryPerson, "person-name-list", spans[i].s, spans[i].e, 0.55)
		}
	}
}

// Trigger words: cues that change how the following words are read.
const (
	trigTitle     = iota + 1 // Mr, Mrs, Dr… (a name follows)
	trigCue                  // dear, hi, regards, "my name is"… (a name may follow)
	trigParticle             // van, de, della… (inside a name)
	trigDOB                  // born, DOB, birthday… (a date of birth may follow)
	trigStreet               // street, road, avenue… (after the street's name)
	trigStreetPre            // rue, via, calle… (before the street's name)
	trigUnit                 // apt, suite, unit… (a number follows)
)

var triggerWords = func() map[string]uint8 {
	m := map[string]uint8{}
	for _, w := range strings.Fields("mr mrs ms miss mx dr prof sir dame lady lord herr frau mme mlle sr sra srta dott madam mister monsieur madame señor señora signor signora") {
		m[w] = trigTitle
	}
	for _, w := range strings.Fields("dear hi hello hey name named called regards sincerely thanks cheers signed from cc attn attention patient client customer employee contact spoke met says said told asked replied wrote me") {
		m[w] = trigCue
	}
	for _, w := range strings.Fields("van der den de la le da del della di du von zu ter ten bin ibn al el dos das do y") {
		m[w] = trigParticle
	}
	for _, w := range strings.Fields("born dob birth birthday birthdate bday geboren geburtsdatum nacimiento naissance nascita née") {
		m[w] = trigDOB
	}
	for _, w := range strings.Fields("street st road rd avenue ave av lane ln drive boulevard blvd court ct way place pl terrace close crescent square sq highway hwy parkway pkwy alley circle cir plaza row grove gardens mews walk hill utca út tér körút") {
		m[w] = trigStreet
	}
	for _, w := range strings.Fields("rue via calle avenida rua viale piazza strada ulica ul trg carrer travessa largo praça praca rambla paseo chemin allée allee boulevard rúa carretera ctra camino avda ronda plaça passeig corso vicolo piazzale lungomare alameda estrada quai impasse cours aleja plac cesta") {
		if m[w] == 0 {
			m[w] = trigStreetPre
		}
	}
	for _, w := range strings.Fields("apt apartment suite ste unit flat box") {
		m[w] = trigUnit
	}
	return m
}()

// triggerFilter has bit n set at [a][b] when a trigger word of length n starts with the letters
// a, b: one table look-up rejects almost every word before any map look-up.
var triggerFilter = func() (f [26 * 26]uint32) {
	for w := range triggerWords {
		if len(w) < 2 || !isLower(w[0]) || !isLower(w[1]) || len(w) > 31 {
			continue
		}
		f[int(w[0]-'a')*26+int(w[1]-'a')] |= 1 << len(w)
	}
	return f
}()

// streetSuffixes end street names written as one word (Hochstrasse, Hornsey Road is two).
var streetSuffixes = []string{"strasse", "straße", "gasse", "weg", "vej", "gatan", "vägen", "straat", "laan",
	"veien", "katu", "tie", "utca", "gade", "steig", "ring", "damm", "allee", "platz",
	// Nordic, Dutch, Baltic and Slavic endings, and the abbreviation str. (Chausseestr. 32).
	"gata", "gaten", "vegur", "vegen", "vejen", "gyde", "stræti", "straeti", "stígur", "braut", "torg", "torget",
	"plads", "plein", "kade", "gracht", "dijk", "singel", "steeg", "kuja", "polku", "tänav", "str"}

// triggerLast has bit c-'a' set at [a][n] when a trigger word of length n that starts with
// letter a ends in letter c: with triggerFilter, it leaves about one word in twenty of running
// text for the map look-up (one in nine when the last letter was keyed by length alone).
var triggerLast = func() (f [26 * 32]uint32) {
	for w := range triggerWords {
		if c := w[len(w)-1]; isLower(w[0]) && isLower(c) && len(w) < 32 {
			f[int(w[0]-'a')*32+len(w)] |= 1 << (c - 'a')
		}
	}
	return f
}()

// maybeTrigger is triggerWord's first test, small enough to be inlined into the word loop:
// most words stop here without a call.
func maybeTrigger(w string) bool {
	a, b := w[0]|0x20, w[1]|0x20 // lower case for letters; other bytes fail the tests below
	return 'a' <= a && a <= 'z' && 'a' <= b && b <= 'z' && triggerFilter[int(a-'a')*26+int(b-'a')]&(1<<len(w)) != 0
}

func triggerWord(w string) (uint8, bool) {
	a, b := lowerASCII(w[0]), lowerASCII(w[1])
	if !isLower(a) || !isLower(b) {
		return 0, false
	}
	if triggerFilter[int(a-'a')*26+int(b-'a')]&(1<<len(w)) == 0 {
		return 0, false
	}
	if z := lowerASCII(w[len(w)-1]); !isLower(z) || triggerLast[int(a-'a')*32+len(w)]&(1<<(z-'a')) == 0 {
		return 0, false
	}
	var buf [32]byte
	for i := 0; i < len(w); i++ {
		buf[i] = lowerASCII(w[i])
	}
	k, ok := triggerWords[string(buf[:len(w)])]
	return k, ok
}

// originFrom reports whether the word "from" at i tells where someone comes from: after a
// form of "be", "here", "originally", "come" or "moved".
func originFrom(t string, i int) bool {
	k := i
	for k > 0 && t[k-1] == ' ' {
		k--
	}
	b := k
	for b > 0 && isLetter(t[b-1]) {
		b--
	}
	var kb [16]byte
	switch string(lowerKey(kb[:0], t[b:k])) {
	case "is", "am", "are", "was", "were", "be", "been", "here", "originally", "come", "comes", "came", "moved", "hails":
		return true
	}
	return false
}

// triggerWordFold looks up a trigger word with letters beyond ASCII (rúa, praça, señora).
func triggerWordFold(w string) (uint8, bool) {
	if !isLetter(w[0]) {
		return 0, false
	}
	var buf [32]byte
	b := buf[:0]
	for _, r := range w {
		b = utf8.AppendRune(b, unicode.ToLower(r))
		if len(b) > len(buf) {
			return 0, false
		}
	}
	k, ok := triggerWords[string(b)]
	return k, ok
}

// trigger acts on a trigger word [i, j); it reports whether the word was consumed.
func (p *piiScan) trigger(kind uint8, i, j int) bool {
	t := p.text
	switch kind {
	case trigTitle:
		if j-i <= 4 || isUpper(t[i]) {
			p.flushPerson()
			e := j
			if e < len(t) && t[e] == '.' {
				e++
			}
			p.cueEnd = e + 1
			p.cueTitle = i
			p.cueWeak = false
			return true
		}
	case trigCue:
		p.flushPerson()
		lw := strings.ToLower(t[i:j])
		e := j
		// "name is", "name:", "called", "dear X," "regards,\nX"
		for e < len(t) && e-j < 6 && (t[e] == ' ' || t[e] == ':' || t[e] == ',' || t[e] == '\n' || t[e] == '-') {
			e++
		}
		if lw == "name" || lw == "named" {
			if strings.HasPrefix(t[e:], "is ") {
				e += 3
			}
		}
		if lw == "named" || lw == "called" { // "named him Mark"
			for _, pr := range []string{"him ", "her ", "them ", "me ", "it ", "us "} {
				if strings.HasPrefix(t[e:], pr) {
					e += len(pr)
					break
				}
			}
		}
		if lw == "from" && originFrom(t, i) {
			// "is from Redfin", "moved here from Pelhrimov": an origin, not a sender.
			p.originEnd = e
			return true
		}
		p.cueEnd = e
		p.cueTitle = -1
		p.cueWeak = lw == "from"
		return true
	case trigParticle:
		if p.pStart >= 0 && isLower(t[i]) {
			from := p.pEnd
			if p.particleEnd > from {
				from = p.particleEnd
			}
			if t[from:i] == " " {
				p.particleEnd = j
				return true
			}
		}
	case trigDOB:
		p.flushPerson()
		p.dob(j)
		return false
	case trigStreet, trigStreetPre, trigUnit:
		return p.street(kind, i, j)
	}
	return false
}
