package privacy

import (
	"regexp"
	"strings"
)

// Postal addresses are found from their street word: a house number before the street's name
// ("99 Park Avenue", "3022 Benson Park Drive") or after it ("Hochstrasse 96", "Rua Papoula
// 1998", "Via Verbano 62"), and from unit words ("Apt. 441", "Suite 992", "P.O. Box 249").
// Postcodes count when they follow an address closely (see classify) or a US state code.

const trigStreetSuffix = 100

// streetSuffixByte marks the last bytes of streetSuffixes, a cheap first test.
var streetSuffixByte = func() (t [256]bool) {
	for _, s := range streetSuffixes {
		c := s[len(s)-1]
		t[c] = true
		if isLower(c) {
			t[c-'a'+'A'] = true
		}
	}
	return t
}()

// streetByEnd groups streetSuffixes by their last two bytes.
var streetByEnd = func() map[[2]byte][]string {
	m := map[[2]byte][]string{}
	for _, s := range streetSuffixes {
		k := [2]byte{s[len(s)-2], s[len(s)-1]}
		m[k] = append(m[k], s)
	}
	return m
}()

func hasStreetSuffix(w string) bool {
	if len(w) < 5 {
		return false
	}
	k := [2]byte{lowerASCII(w[len(w)-2]), lowerASCII(w[len(w)-1])}
	for _, s := range streetByEnd[k] {
		if len(w) > len(s)+2 && strings.EqualFold(w[len(w)-len(s):], s) {
			return true
		}
	}
	return false
}

// weakLowerSuffix reports street suffixes that end common lower-case words too (offering,
// necktie, substr): in lower case they do not make a street.
func weakLowerSuffix(w string) bool {
	return strings.HasSuffix(w, "ring") || strings.HasSuffix(w, "tie") || strings.HasSuffix(w, "str")
}

// numberBefore reports whether a number and one space stand right before i.
func numberBefore(t string, i int) bool { return i >= 2 && t[i-1] == ' ' && isDigit(t[i-2]) }

// numberAfter reports whether one space and a number stand right after j.
func numberAfter(t string, j int) bool { return j+1 < len(t) && t[j] == ' ' && isDigit(t[j+1]) }

// military finds a US military address line at the word APO, FPO or DPO [i, j): "APO AE
// 09012", with the unit or ship line before it ("PSC 1234, Box 5678", "Unit 2050 Box 4190",
// "USNS Comfort"). It returns the end of the address, or j.
func (p *piiScan) military(i, j int) int {
	t := p.text
	if !p.s.wants(CategoryAddress) || j+9 > len(t) || t[j] != ' ' || t[j+1] != 'A' || t[j+3] != ' ' ||
		(t[j+2] != 'A' && t[j+2] != 'E' && t[j+2] != 'P') {
		return j
	}
	e := j + 4
	for e < len(t) && isDigit(t[e]) && e-j-4 < 5 {
		e++
	}
	if e-j-4 != 5 {
		return j
	}
	if e+5 <= len(t) && t[e] == '-' && isDigit(t[e+1]) && isDigit(t[e+2]) && isDigit(t[e+3]) && isDigit(t[e+4]) {
		e += 5
	}
	if isWordByteAt(t, e) {
		return j
	}
	start := i
	// The line before, or the part before ", " on the same line.
	k := i
	for k > 0 && (t[k-1] == ' ' || t[k-1] == ',' || t[k-1] == '\n') && i-k < 3 {
		k--
	}
	if k < i {
		seg := t[max(0, k-48):k]
		if nl := strings.LastIndexByte(seg, '\n'); nl >= 0 {
			seg = seg[nl+1:]
		}
		segStart := k - len(seg)
		for _, pre := range []string{"PSC ", "Unit ", "UNIT ", "CMR ", "USNS ", "USNV ", "USS ", "USCGC "} {
			if m := strings.LastIndex(seg, pre); m >= 0 && (m == 0 || !isLetter(seg[m-1])) {
				start = segStart + m
				break
			}
		}
	}
	p.flushPerson()
	p.add(CategoryAddress, "military-address", start, e, 0.85)
	p.lastAddrEnd = e
	return e
}

// zipCueBefore reports whether a postal-code cue ("zip code is", "postcode:", "PLZ") stands
// right before i.
func zipCueBefore(t string, i int) bool {
	k := i
	post := false
	for w := 0; w < 4 && k > 0 && i-k < 40; w++ {
		for k > 0 && (t[k-1] == ' ' || t[k-1] == ':' || t[k-1] == '#' || t[k-1] == '-' || t[k-1] == '.') {
			k--
		}
		e := k
		for k > 0 && isLetter(t[k-1]) {
			k--
		}
		if k == e {
			return false
		}
		var kb [16]byte
		switch string(lowerKey(kb[:0], t[k:e])) {
		case "zip", "zipcode", "postcode", "postal", "postalcode", "plz", "postleitzahl":
			return true
		case "post":
			return post
		case "code":
			post = true
		case "is", "was", "number", "no", "my", "the", "our", "your", "their", "his", "her":
		default:
			return false
		}
	}
	return false
}

// numberLead returns the start of a building or flat number that stands one space before the
// address start ns ("77 3658 Sunburst Drive", "lives at 71 34 Avenue…", "98 P.O. Box 101"), or
// ns: up to 4 digits at the start of a line or after a comma or colon, up to 3 inside a
// sentence, where 4 digits are more often a year ("in 2019 42 Main Street").
func numberLead(t string, ns int) int {
	bs, be, ok := houseNumberBefore(t, ns)
	if !ok || ns-be != 1 || t[be] != ' ' || be-bs > 4 {
		return ns
	}
	k := bs
	for k > 0 && (t[k-1] == ' ' || t[k-1] == '\t') {
		k--
	}
	if k == 0 {
		return bs
	}
	switch t[k-1] {
	case '\n', '>', ',', ':':
		return bs
	}
	if k < bs && be-bs <= 3 {
		return bs
	}
	return ns
}

// houseNumber returns the span of a house number (1–5 digits, maybe a letter: 12B) that ends
// just before position i (spaces between), or ok=false.
func houseNumberBefore(t string, i int) (int, int, bool) {
	k := i
	for k > 0 && t[k-1] == ' ' {
		k--
	}
	e := k
	if k > 0 && isLetter(t[k-1]) && k > 1 && isDigit(t[k-2]) {
		k--
	}
	for k > 0 && isDigit(t[k-1]) && e-k < 6 {
		k--
	}
	if k == e || !isDigit(t[k]) || isWordByteBefore(t, k) {
		return 0, 0, false
	}
	return k, e, true
}

// houseNumberAfter returns the span of a house number that starts after position j (spaces
// between), or ok=false.
func houseNumberAfter(t string, j int) (int, int, bool) {
	k := j
	for k < len(t) && t[k] == ' ' && k-j < 2 {
		k++
	}
	s := k
	for k < len(t) && isDigit(t[k]) && k-s < 6 {
		k++
	}
	if k == s {
		return 0, 0, false
	}
	if k < len(t) && isLetter(t[k]) && !isWordByteAt(t, k+1) {
		k++
	}
	if isWordByteAt(t, k) {
		return 0, 0, false
	}
	return s, k, true
}

// capWordsBefore walks back over up to n capitalized words (with single spaces, '.' or '-'
// inside) before i and returns where they start.
func capWordsBefore(t string, i, n int) int {
	start := i
	k := i
	for c := 0; c < n; c++ {
		e := k
		for e > 0 && t[e-1] == ' ' {
			e--
		}
		if e == k && c > 0 {
			break
		}
		b := e
		for b > 0 && (isLetter(t[b-1]) || t[b-1] >= 0x80 || t[b-1] == '.' || t[b-1] == '\'') {
			b--
		}
		if b > 0 && isDigit(t[b-1]) && isOrdinalSuffix(t[b:e]) { // 184th Street
			for b > 0 && isDigit(t[b-1]) {
				b--
			}
			start, k = b, b
			continue
		}
		if b == e || !(isUpper(t[b]) || t[b] >= 0x80) {
			break
		}
		start, k = b, b
	}
	return start
}

func isOrdinalSuffix(s string) bool {
	switch s {
	case "st", "nd", "rd", "th", "St", "Nd", "Rd", "Th", "ST", "ND", "RD", "TH":
		return true
	}
	return false
}

// capWordsAfter walks forward over up to n words (capitalized, or lowercase particles) after j
// and returns where they end.
func capWordsAfter(t string, j, n int) int {
	end := j
	k := j
	for c := 0; c < n; c++ {
		s := k
		for s < len(t) && t[s] == ' ' && s-k < 2 {
			s++
		}
		if s == k {
			break
		}
		e := s
		for e < len(t) && (isLetter(t[e]) || t[e] >= 0x80 || t[e] == '\'' || t[e] == '-') {
			e++
		}
		if e == s {
			break
		}
		end, k = e, e
	}
	return end
}

// street handles a street or unit word at [i, j); it reports whether it was consumed.
func (p *piiScan) street(kind uint8, i, j int) bool {
	if !p.s.wants(CategoryAddress) {
		return false
	}
	t := p.text
	capital := isUpper(t[i])
	switch kind {
	case trigUnit:
		e := j
		if e < len(t) && t[e] == '.' {
			e++
		}
		if e < len(t) && t[e] == ' ' {
			e++
		}
		if e < len(t) && t[e] == '#' {
			e++
		}
		if strings.EqualFold(t[i:j], "box") {
			// P.O. Box
			k := i
			for k > 0 && t[k-1] == ' ' {
				k--
			}
			if k < 4 || !strings.EqualFold(strings.ReplaceAll(t[max(0, k-4):k], " ", ""), "p.o.") && !strings.EqualFold(t[max(0, k-2):k], "po") {
				return false
			}
			i = max(0, k-4)
			if !isLetter(t[i]) {
				i++
			}
			i = numberLead(t, i)
		}
		ns, ne, ok := houseNumberAfter(t, e-1)
		if !ok || ns != e {
			return false
		}
		p.flushPerson()
		p.addAddress(i, ne, 0.7)
		return true
	case trigStreet:
		if !capital {
			// "57 avenue Jules Ferry": French puts the street word first, in lower case, after
			// the number ("the best way Microsoft 365 works" has none before); "Erzsébet tér
			// 92": Hungarian street words follow the name in lower case (with a number, as
			// trigStreetPre words do).
			return numberBefore(t, i) && p.streetFirst(i, j, false) || p.streetLast(trigStreetPre, i, j)
		}
		// "Avenue des Sartiaux 318": no name before the street word, maybe one after.
		return p.streetLast(kind, i, j) || capWordsBefore(t, i, 3) == i && p.streetFirst(i, j, true)
	case trigStreetSuffix:
		return p.streetLast(kind, i, j)
	case trigStreetPre:
		// "Gosposka ulica 47": some of these words also follow the name.
		return p.streetFirst(i, j, capital) || p.streetLast(kind, i, j)
	}
	return false
}

// streetLast handles a street word that ends the street's name at [i, j): "99 Park Avenue",
// "Hornsey Road 12", "Hochstrasse 96" (the word itself, kind trigStreetSuffix).
func (p *piiScan) streetLast(kind uint8, i, j int) bool {
	t := p.text
	// Abbreviations need their dot or a number: "St." could be a saint, "Dr" a doctor.
	lw := strings.ToLower(t[i:j])
	if (lw == "st" || lw == "dr" || lw == "ct" || lw == "pl" || lw == "ave" || lw == "rd" || lw == "ln" || lw == "sq") &&
		!(j < len(t) && t[j] == '.') && kind == trigStreet {
		if _, _, ok := houseNumberBefore(t, capWordsBefore(t, i, 3)); !ok {
			return false
		}
	}
	end := j
	if end < len(t) && t[end] == '.' && (kind != trigStreetSuffix || strings.HasSuffix(lw, "str")) {
		end++ // St., Chausseestr.
	}
	start := i
	if kind != trigStreetSuffix {
		start = capWordsBefore(t, i, 3)
		if start == i {
			return false // "the street"
		}
	}
	conf := 0.5
	ns, _, before := houseNumberBefore(t, start)
	_, ne, after := houseNumberAfter(t, end)
	switch {
	case before:
		start = numberLead(t, ns)
		conf = 0.8
		if after && kind != trigStreet {
			end = ne // "31 Vesturgata 66": a building number before the street and its number
		}
	case after:
		end = ne
		conf = 0.75
	case kind != trigStreet:
		return false
	}
	p.flushPerson()
	p.addAddress(start, end, conf)
	return true
}

// streetFirst handles a street word that comes before the street's name (rue, via, ul.,
// "Avenue des Sartiaux 318") at [i, j): the address needs a house number before the word or
// after the name. A lower-case word (rue, via, ul. are written so) needs a capitalized name
// after it or a number before it, unless the whole text is in lower case.
func (p *piiScan) streetFirst(i, j int, capital bool) bool {
	t := p.text
	k := j
	if k < len(t) && t[k] == '.' { // ul., av.
		k++
	}
	we := capWordsAfter(t, k, 4)
	if we == k {
		return false
	}
	start := i
	ns, _, numBefore := houseNumberBefore(t, i)
	if numBefore {
		start = numberLead(t, ns)
	}
	if !capital && !numBefore && !p.caseless {
		n := skipBlanks(t, k, false)
		if n >= len(t) || !(isUpper(t[n]) || t[n] >= 0x80) {
			return false
		}
		// English uses "via" and <ul> too: "connect via SSH 22".
		if lw := t[i:j]; lw == "via" || lw == "ul" && k == j {
			return false
		}
	}
	// The number comes after the street's name.
	for m := k; m < we; m++ {
		if _, ne, ok := houseNumberAfter(t, m); ok {
			we = ne
			break
		}
	}
	if _, ne, ok := houseNumberAfter(t, we); ok {
		we = ne
	} else if !numBefore {
		return false
	}
	p.flushPerson()
	p.addAddress(start, we, 0.75)
	return true
}

func (p *piiScan) addAddress(start, end int, conf float64) {
	p.add(CategoryAddress, "street-address", start, end, conf)
	p.lastAddrEnd = end
}

var dobDateRe = regexp.MustCompile(`(?i)^[^\n\d]{0,24}?((?:\d{1,2}[/.\-]\d{1,2}[/.\-](?:\d{4}|\d{2})|\d{4}[/.\-]\d{1,2}[/.\-]\d{1,2}|\d{1,2}(?:st|nd|rd|th)?\.?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+\d{4}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}))`)

// dob looks for a date right after a date-of-birth cue ending at j.
func (p *piiScan) dob(j int) {
	if !p.s.wants(CategoryDateOfBirth) {
		return
	}
	t := p.text
	win := t[j:min(len(t), j+64)]
	m := dobDateRe.FindStringSubmatchIndex(win)
	if m == nil {
		return
	}
	s, e := j+m[2], j+m[3]
	if isWordByteAt(t, e) {
		return
	}
	p.add(CategoryDateOfBirth, "date-of-birth", s, e, 0.85)
}
