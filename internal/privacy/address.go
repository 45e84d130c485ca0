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

func hasStreetSuffix(w string) bool {
	lw := strings.ToLower(w)
	for _, s := range streetSuffixes {
		if len(lw) > len(s)+2 && strings.HasSuffix(lw, s) {
			return true
		}
	}
	return false
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
		if b == e || !(isUpper(t[b]) || t[b] >= 0x80) {
			break
		}
		start, k = b, b
	}
	return start
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
		}
		ns, ne, ok := houseNumberAfter(t, e-1)
		if !ok || ns != e {
			return false
		}
		p.flushPerson()
		p.addAddress(i, ne, 0.7)
		return true
	case trigStreet, trigStreetSuffix:
		if kind == trigStreet && !capital {
			return false
		}
		// Abbreviations need their dot or a number: "St." could be a saint, "Dr" a doctor.
		lw := strings.ToLower(t[i:j])
		if (lw == "st" || lw == "dr" || lw == "ct" || lw == "pl" || lw == "ave" || lw == "rd" || lw == "ln" || lw == "sq") &&
			!(j < len(t) && t[j] == '.') && kind == trigStreet {
			if _, _, ok := houseNumberBefore(t, capWordsBefore(t, i, 3)); !ok {
				return false
			}
		}
		end := j
		if end < len(t) && t[end] == '.' && kind == trigStreet {
			end++
		}
		var start int
		if kind == trigStreetSuffix {
			start = i
		} else {
			start = capWordsBefore(t, i, 3)
			if start == i {
				return false // "the street"
			}
		}
		conf := 0.5
		if ns, _, ok := houseNumberBefore(t, start); ok {
			start = ns
			conf = 0.8
		} else if _, ne, ok := houseNumberAfter(t, end); ok {
			end = ne
			conf = 0.75
		} else if kind == trigStreetSuffix {
			return false
		}
		p.flushPerson()
		p.addAddress(start, end, conf)
		return true
	case trigStreetPre:
		if !capital {
			return false
		}
		we := capWordsAfter(t, j, 4)
		if we == j {
			return false
		}
		start := i
		if ns, _, ok := houseNumberBefore(t, i); ok {
			start = ns
		}
		// The number comes after the street's name.
		k := j
		for k < we {
			if _, ne, ok := houseNumberAfter(t, k); ok {
				we = ne
				break
			}
			k++
		}
		if _, ne, ok := houseNumberAfter(t, we); ok {
			we = ne
		} else if start == i {
			return false
		}
		p.flushPerson()
		p.addAddress(start, we, 0.75)
		return true
	}
	return false
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
