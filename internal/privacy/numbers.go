package privacy

import (
	"strings"
)

// A numeric run is digits in groups joined by single separators (space, '-', '.', '/', or
// parentheses around a group), on one line, with an optional leading '+' and a trailing phone
// extension (x123, ext. 123).
type numRun struct {
	start, end int // the run, extension included
	groups     [12][2]int
	ng         int
	plus       bool
	paren      bool // some group was in parentheses
	seps       string
	digits     string // all group digits, no separators
}

func (r *numRun) groupLen(k int) int { return r.groups[k][1] - r.groups[k][0] }

// numeric handles the numeric run that starts at i and returns where to continue.
func (p *piiScan) numeric(i int) int {
	p.flushPerson()
	t := p.text
	n := len(t)
	if isWordByteBefore(t, i) {
		// Digits inside a word (abc123): skip the rest of it.
		j := i
		for j < n && (isAlnum(t[j]) || t[j] == '_') {
			j++
		}
		return max(j, i+1)
	}
	// An IPv6 address may start with digits and go on with letters (684D:1111:…).
	if p.s.wants(CategoryIPAddress) {
		k := i
		for k < n && k-i < 5 && isHex(t[k]) {
			k++
		}
		if k < n && t[k] == ':' {
			if e := p.ipv6(i); e > i {
				return e
			}
		}
	}
	var r numRun
	r.start = i
	j := i
	if t[j] == '+' {
		r.plus = true
		j++
		if j < n && t[j] == ' ' {
			j++
		}
	}
	var seps []byte
	for j < n && r.ng < len(r.groups) {
		open := false
		if t[j] == '(' {
			open = true
			j++
		}
		if j >= n || !isDigit(t[j]) {
			if open {
				j--
			}
			break
		}
		gs := j
		for j < n && isDigit(t[j]) && j-gs < 20 {
			j++
		}
		r.groups[r.ng] = [2]int{gs, j}
		r.ng++
		if open {
			if j < n && t[j] == ')' {
				r.paren = true
				j++
			} else {
				break
			}
		}
		// A separator, then another group?
		k := j
		for k < n && k-j < 2 && (t[k] == ' ' || t[k] == '-' || t[k] == '.' || t[k] == '/') {
			k++
		}
		if k < n && k > j && (isDigit(t[k]) || t[k] == '(' && k+1 < n && isDigit(t[k+1])) {
			sep := t[j:k]
			if sep == ". " || sep == "  " || sep == "/ " || sep == "--" || sep == ".." {
				break
			}
			seps = append(seps, sep[0])
			j = k
			continue
		}
		if k == j && j < n && t[j] == '(' && j+1 < n && isDigit(t[j+1]) { // 555(123)
			seps = append(seps, '(')
			continue
		}
		if open && k == j && j < n && isDigit(t[j]) { // (555)123-4567, +49 (0)30 123456
			seps = append(seps, ')')
			continue
		}
		break
	}
	end := r.groups[r.ng-1][1]
	if r.paren && end < n && t[end] == ')' {
		end++
	}
	r.end = end
	r.seps = string(seps)
	var db strings.Builder
	for k := 0; k < r.ng; k++ {
		db.WriteString(t[r.groups[k][0]:r.groups[k][1]])
	}
	r.digits = db.String()
	// Extension: x123, ext 123, ext. 123
	ext := r.end
	if ext < n && (t[ext] == 'x' || t[ext] == 'X') && ext+1 < n && isDigit(t[ext+1]) {
		e := ext + 1
		for e < n && isDigit(t[e]) && e-ext < 8 {
			e++
		}
		if !isWordByteAt(t, e) {
			ext = e
		}
	}
	if p.classify(&r, ext) {
		return max(r.end, i+1)
	}
	// 55555555-K, 1111111-G: a Spanish DNI written with a dash (7 digits: a leading zero left
	// out).
	if r.ng == 1 && (r.groupLen(0) == 8 || r.groupLen(0) == 7) && r.end+1 < n && t[r.end] == '-' && isLetter(t[r.end+1]) &&
		!isWordByteAt(t, r.end+2) && validNIF(strings.Repeat("0", 8-r.groupLen(0))+r.digits+t[r.end+1:r.end+2]) {
		p.add(CategoryNationalID, "es-nif", r.start, r.end+2, 0.85)
		return r.end + 2
	}
	// The run ends in a letter (12345678Z, 131052-308T): ids with a letter.
	if r.end < n && isLetter(t[r.end]) {
		if p.digitsThenLetter(&r) {
			return r.end + 1
		}
		// Skip the rest of the word.
		j := r.end
		for j < n && isAlnum(t[j]) {
			j++
		}
		return j
	}
	return max(r.end, i+1)
}

// classify decides what a numeric run is. ext is the end of the run with a phone extension.
// It reports whether the run was taken.
func (p *piiScan) classify(r *numRun, ext int) bool {
	t := p.text
	d := r.digits
	nd := len(d)
	next := byte(0)
	if r.end < len(t) {
		next = t[r.end]
	}
	// A letter or digit right after the run makes it part of something else (1st, 10kg).
	if isLetter(next) && ext == r.end {
		return false
	}
	// IPv4, maybe with a prefix length (10.0.0.0/8).
	if r.ng == 5 && r.seps == ".../" && r.groupLen(4) <= 3 {
		r.ng = 4
		r.seps = "..."
		r.end = r.groups[3][1]
	}
	if r.ng == 4 && r.seps == "..." && !r.plus && !r.paren && !(next == '.' && r.end+1 < len(t) && isDigit(t[r.end+1])) {
		if ok, private := validIPv4(t, r); ok && !versionBefore(t, r.start) {
			conf := 0.9
			if private {
				conf = 0.6
			}
			p.add(CategoryIPAddress, "ipv4", r.start, r.end, conf)
			return true
		}
		return true // version numbers and the like
	}
	// Dotted runs are versions and addresses, except French phone numbers in pairs
	// (06.12.34.56.78) and international numbers (+1.555.123.4567).
	if r.ng >= 4 && strings.HasPrefix(r.seps, "...") && !r.plus && !frenchPairs(r) {
		return true
	}
	// IPv6 starting with digits (2001:db8::1).
	if next == ':' && r.ng == 1 && nd <= 4 && p.s.wants(CategoryIPAddress) {
		if e := p.ipv6(r.start); e > r.end {
			r.end = e
			return true
		}
	}
	// Dates are neither phones nor ids (dates of birth come from their cue words).
	if e := dateRun(t, r); e > 0 {
		r.end = e
		return true
	}
	// Payment cards: 13–19 digits, Luhn, a known issuer range; groups joined by one kind of
	// separator (or none).
	if !r.plus && !r.paren {
		for k := r.ng; k >= 1; k-- {
			cd := digitsOf(t, r, k)
			if len(cd) < 13 {
				break
			}
			if len(cd) <= 19 && uniformSeps(r.seps[:k-1], " -") && luhn(cd) && cardBrand(cd) != "" {
				p.add(CategoryPaymentCard, "card-"+cardBrand(cd), r.start, r.groups[k-1][1], 0.95)
				r.end = r.groups[k-1][1]
				return true
			}
		}
	}
	if p.nationalID(r) {
		return true
	}
	if p.phone(r, ext) {
		return true
	}
	// Postcodes and house numbers next to an address.
	if nd >= 4 && nd <= 6 && r.ng <= 2 && r.start-p.lastAddrEnd < 100 && r.start > p.lastAddrEnd &&
		strings.Count(t[p.lastAddrEnd:r.start], "\n") <= 4 {
		p.add(CategoryAddress, "postcode", r.start, r.end, 0.6)
		p.lastAddrEnd = r.end
		return true
	}
	if (nd >= 4 && nd <= 6 && r.ng <= 2 || nd == 9 && r.ng == 2 && r.seps == "-") && zipCueBefore(t, r.start) {
		p.add(CategoryAddress, "postcode", r.start, r.end, 0.7)
		p.lastAddrEnd = r.end
		return true
	}
	if (nd == 5 || nd == 9 && r.ng == 2 && r.seps == "-") && usStateBefore(t, r.start) {
		p.add(CategoryAddress, "us-zip", r.start, r.end, 0.7)
		p.lastAddrEnd = r.end
		return true
	}
	return false
}

// versionBefore reports whether a version word stands right before i ("version 1.2.3.4").
func versionBefore(t string, i int) bool {
	k := i
	for k > 0 && t[k-1] == ' ' {
		k--
	}
	if k > 0 && (t[k-1] == 'v' || t[k-1] == 'V') && (k == 1 || !isLetter(t[k-2])) {
		return true
	}
	return strings.HasSuffix(strings.ToLower(t[max(0, k-7):k]), "version") || strings.HasSuffix(strings.ToLower(t[max(0, k-3):k]), "ver")
}

func digitsOf(t string, r *numRun, k int) string {
	if k == r.ng {
		return r.digits
	}
	var b strings.Builder
	for i := 0; i < k; i++ {
		b.WriteString(t[r.groups[i][0]:r.groups[i][1]])
	}
	return b.String()
}

func uniformSeps(seps, allowed string) bool {
	for i := 0; i < len(seps); i++ {
		if seps[i] != seps[0] || strings.IndexByte(allowed, seps[i]) < 0 {
			return false
		}
	}
	return true
}

func validIPv4(t string, r *numRun) (ok, private bool) {
	var o [4]int
	for k := 0; k < 4; k++ {
		g := t[r.groups[k][0]:r.groups[k][1]]
		if len(g) > 3 || len(g) > 1 && g[0] == '0' {
			return false, false
		}
		for _, c := range []byte(g) {
			o[k] = o[k]*10 + int(c-'0')
		}
		if o[k] > 255 {
			return false, false
		}
	}
	private = o[0] == 10 || o[0] == 127 || o[0] == 0 || o[0] == 172 && o[1] >= 16 && o[1] <= 31 ||
		o[0] == 192 && o[1] == 168 || o[0] == 169 && o[1] == 254 || o[0] == 100 && o[1] >= 64 && o[1] <= 127 ||
		o[0] >= 224
	return true, private
}

// dateRun recognises a date at the start of the run (2024-03-15, 15/03/2024, 3.15.24) and
// returns where it ends, or 0.
func dateRun(t string, r *numRun) int {
	if r.ng < 3 || r.plus || r.paren {
		return 0
	}
	a, b, c := r.groupLen(0), r.groupLen(1), r.groupLen(2)
	s0, s1 := r.seps[0], r.seps[1]
	if s0 != s1 || s0 == ' ' || r.ng > 3 && r.seps[2] == s0 { // 06.12.34.56.78 is no date
		return 0
	}
	switch {
	case a == 4 && b <= 2 && c <= 2: // y-m-d
	case a <= 2 && b <= 2 && (c == 4 || c == 2): // d/m/y, m/d/y
	default:
		return 0
	}
	if !plausibleDMY(t, r) {
		return 0
	}
	return r.groups[2][1]
}

func plausibleDMY(t string, r *numRun) bool {
	v := func(k int) int {
		x := 0
		for _, c := range []byte(t[r.groups[k][0]:r.groups[k][1]]) {
			x = x*10 + int(c-'0')
		}
		return x
	}
	if r.groupLen(0) == 4 {
		return v(1) >= 1 && v(1) <= 12 && v(2) >= 1 && v(2) <= 31
	}
	x, y := v(0), v(1)
	return x >= 1 && y >= 1 && (x <= 12 && y <= 31 || x <= 31 && y <= 12)
}

// nationalID checks digit-only national identifiers.
func (p *piiScan) nationalID(r *numRun) bool {
	t := p.text
	d := r.digits
	lens := func(ls ...int) bool {
		if r.ng != len(ls) {
			return false
		}
		for k, l := range ls {
			if r.groupLen(k) != l {
				return false
			}
		}
		return true
	}
	if r.plus || r.paren {
		return false
	}
	switch {
	case lens(3, 2, 4) && (r.seps == "--" || r.seps == "  "):
		if validSSN(d) {
			p.add(CategoryNationalID, "us-ssn", r.start, r.end, 0.85)
			return true
		}
		// Area 9xx with group 50–65, 70–88, 90–92, 94–99 is an ITIN.
		if d[0] == '9' {
			g := int(d[3]-'0')*10 + int(d[4]-'0')
			if g >= 50 && g <= 65 || g >= 70 && g <= 88 || g >= 90 && g <= 92 || g >= 94 {
				p.add(CategoryNationalID, "us-itin", r.start, r.end, 0.8)
				return true
			}
		}
	case lens(9) && hasContext(t, r.start, r.end, ssnContext):
		if validSSN(d) {
			p.add(CategoryNationalID, "us-ssn", r.start, r.end, 0.7)
			return true
		}
	case (lens(3, 3, 3) && uniformSeps(r.seps, " -") || lens(9)) && hasContext(t, r.start, r.end, sinContext):
		if luhn(d) && d[0] != '0' && d[0] != '8' {
			p.add(CategoryNationalID, "ca-sin", r.start, r.end, 0.75)
			return true
		}
	case lens(3, 3, 3) && r.seps == "--" && !hasContext(t, r.start, r.end, phoneContext):
		// 123-456-782: hyphens in threes are the SIN's printed form and no quantity's (digit
		// groups in numbers use spaces, dots or commas), so the Luhn digit is enough; a phone
		// word near it makes it a phone number (Spanish numbers group in threes too).
		if luhn(d) && d[0] != '0' && d[0] != '8' {
			p.add(CategoryNationalID, "ca-sin", r.start, r.end, 0.6)
			return true
		}
	case (lens(3, 3, 4) && uniformSeps(r.seps, " -") || lens(10)) && hasContext(t, r.start, r.end, nhsContext):
		if validNHS(d) {
			p.add(CategoryNationalID, "uk-nhs", r.start, r.end, 0.8)
			return true
		}
	case lens(6, 4) && (r.seps == "-" || r.seps == "+") || lens(8, 4) && r.seps == "-":
		if validSwedishPN(d[len(d)-10:]) {
			p.add(CategoryNationalID, "se-personnummer", r.start, r.end, 0.8)
			return true
		}
	case lens(6, 7) && r.seps == "-":
		// Numbers issued since October 2020 carry no check digit: date and sex digit only.
		if plausibleDate(d[4:6], d[2:4]) && d[6] >= '1' && d[6] <= '8' {
			p.add(CategoryNationalID, "kr-rrn", r.start, r.end, 0.8)
			return true
		}
	case lens(12) && (d[:2] == "19" || d[:2] == "20" || d[:2] == "18") && validSwedishPN(d[2:]):
		p.add(CategoryNationalID, "se-personnummer", r.start, r.end, 0.75)
		return true
	case lens(13):
		if validKRRN(d) {
			p.add(CategoryNationalID, "kr-rrn", r.start, r.end, 0.7)
			return true
		}
	case lens(4, 4, 4) && uniformSeps(r.seps, " -") || lens(12):
		if validAadhaar(d) {
			p.add(CategoryNationalID, "in-aadhaar", r.start, r.end, 0.7)
			return true
		}
	case lens(11):
		if validPESEL(d) {
			p.add(CategoryNationalID, "pl-pesel", r.start, r.end, 0.6)
			return true
		}
		if validTCKN(d) {
			p.add(CategoryNationalID, "tr-tckn", r.start, r.end, 0.6)
			return true
		}
	case lens(10) && validSwedishPN(d) && hasContext(t, r.start, r.end, sePNContext):
		p.add(CategoryNationalID, "se-personnummer", r.start, r.end, 0.7)
		return true
	}
	return false
}

// validKRRN checks a Korean resident registration number (13 digits).
func validKRRN(d string) bool {
	if len(d) != 13 || !plausibleDate(d[4:6], d[2:4]) || d[6] < '1' || d[6] > '8' {
		return false
	}
	w := [...]int{2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5}
	sum := 0
	for i := 0; i < 12; i++ {
		sum += int(d[i]-'0') * w[i]
	}
	return (11-sum%11)%10 == int(d[12]-'0')
}

// digitsThenLetter checks ids made of digits and a final letter: Spanish DNI (12345678Z) and
// Finnish personal identity codes (131052-308T).
func (p *piiScan) digitsThenLetter(r *numRun) bool {
	t := p.text
	e := r.end + 1
	switch {
	case isWordByteAt(t, e):
	case r.ng == 1 && (r.groupLen(0) == 8 || r.groupLen(0) == 7) && validNIF(strings.Repeat("0", 8-r.groupLen(0))+t[r.start:e]):
		p.add(CategoryNationalID, "es-nif", r.start, e, 0.85)
		r.end = e
		return true
	case r.ng == 2 && r.groupLen(0) == 6 && r.groupLen(1) == 3 && (r.seps == "-" || r.seps == "+") &&
		validFinnishPIC(t[r.start:e]):
		p.add(CategoryNationalID, "fi-pic", r.start, e, 0.85)
		r.end = e
		return true
	}
	// 010101A123N: the century letter splits the digits.
	if r.ng == 1 && r.groupLen(0) == 6 && e+4 <= len(t) && strings.IndexByte("ABCDEFUVWXY", t[r.end]) >= 0 &&
		isDigit(t[r.end+1]) && isDigit(t[r.end+2]) && isDigit(t[r.end+3]) && e+4 <= len(t) && validFinnishPIC(t[r.start:r.start+11]) &&
		!isWordByteAt(t, r.start+11) && p.s.wants(CategoryNationalID) {
		p.add(CategoryNationalID, "fi-pic", r.start, r.start+11, 0.85)
		r.end = r.start + 11
		return true
	}
	return false
}

// phone decides whether a numeric run is a phone number: an international (+) number or a
// North American one by format alone; other national formats need a cue word near them
// (call, phone, fax, mobile, office…) or a trunk prefix 0 and grouping.
func (p *piiScan) phone(r *numRun, ext int) bool {
	t := p.text
	nd := len(r.digits)
	if nd < 6 || nd > 15 {
		return false
	}
	for k := 0; k < r.ng; k++ {
		if r.groupLen(k) > 12 {
			return false
		}
	}
	if strings.IndexByte(r.seps, '/') >= 0 && !hasContext(t, r.start, r.end, phoneContext) {
		return false
	}
	if r.ng == 3 && r.groupLen(0) == 3 && r.groupLen(1) == 2 && r.groupLen(2) == 4 && r.seps == "--" {
		return false // the shape of a US SSN (an invalid one, or it would have been taken)
	}
	end := ext
	switch {
	case r.plus && nd >= 8:
		p.add(CategoryPhone, "phone-international", r.start, end, 0.9)
		return true
	case r.ng >= 2 && nd >= 11 && nd <= 17 && r.digits[0] == '0' && r.digits[1] == '0' && r.digits[2] != '0':
		// 0044 20 7946 0958, 00 33 1 23 45 67 89: the international call prefix for '+'.
		p.add(CategoryPhone, "phone-international", r.start, end, 0.8)
		return true
	case nanp(t, r):
		p.add(CategoryPhone, "phone-nanp", r.start, end, 0.85)
		return true
	}
	// "number", "office" and the like also stand before licence, account and order numbers.
	ctx := hasContext(t, r.start, r.end, phoneContext) ||
		hasContext(t, r.start, r.end, phoneWeakContext) && !hasContext(t, r.start, r.end, otherNumberContext)
	switch {
	case ctx && (r.ng >= 2 || nd >= 8):
		p.add(CategoryPhone, "phone-national", r.start, end, 0.75)
		return true
	case ctx && end > r.end:
		p.add(CategoryPhone, "phone-national", r.start, end, 0.7)
		return true
	case r.digits[0] == '0' && r.ng >= 2 && nd >= 9 && nd <= 12 && !r.plus:
		p.add(CategoryPhone, "phone-national", r.start, end, 0.6)
		return true
	case r.paren && r.ng >= 2 && nd >= 7:
		p.add(CategoryPhone, "phone-national", r.start, end, 0.65)
		return true
	case r.ng == 1 && nd >= 10 && nd <= 12 && r.digits[0] == '0' && r.digits[1] != '0':
		p.add(CategoryPhone, "phone-national", r.start, end, 0.5)
		return true
	case r.ng >= 3 && nd >= 9 && nd <= 12 && uniformSeps(r.seps, "-. ") && r.groupLen(0) >= 2:
		p.add(CategoryPhone, "phone-national", r.start, end, 0.55)
		return true
	}
	return false
}

// frenchPairs reports a French national number written in five pairs of digits, starting
// with the trunk prefix 0 (01 23 45 67 89, 06.12.34.56.78).
func frenchPairs(r *numRun) bool {
	if r.ng != 5 || r.digits[0] != '0' || !uniformSeps(r.seps, " .-") {
		return false
	}
	for k := 0; k < 5; k++ {
		if r.groupLen(k) != 2 {
			return false
		}
	}
	return true
}

// nanp recognises North American numbers: 555-123-4567, (555) 123-4567, 555.123.4567,
// 1-555-123-4567, 001-555-123-4567.
func nanp(t string, r *numRun) bool {
	g := make([]int, r.ng)
	for k := range g {
		g[k] = r.groupLen(k)
	}
	first := 0
	if len(g) == 4 && (g[0] == 1 || g[0] == 3 && t[r.groups[0][0]:r.groups[0][1]] == "001") {
		first = 1
	}
	if len(g)-first != 3 || g[first] != 3 || g[first+1] != 3 || g[first+2] != 4 {
		return false
	}
	seps := r.seps[first:]
	if first == 1 && r.seps[0] != seps[0] && !r.paren {
		return false
	}
	if r.paren {
		return true
	}
	// Spaces only with the country code: 1 415 555 0132 (415 555 0132 alone is taken with a
	// lower confidence in phone).
	return seps[0] == seps[1] && (seps[0] == '-' || seps[0] == '.' || seps[0] == ' ' && first == 1)
}

var (
	phoneContext = []string{"phone", "phones", "tel", "tél", "telephone", "téléphone", "telefon", "telefono", "teléfono",
		"mobile", "mob", "cell", "cellphone", "call", "calling", "called", "fax", "whatsapp", "sms", "dial",
		"answering", "landline", "tlf", "handy", "ph", "hotline"}
	phoneWeakContext   = []string{"office", "reach", "contact", "number", "text", "ring", "home", "work", "direct"}
	otherNumberContext = []string{"license", "licence", "account", "acct", "order", "invoice", "passport", "policy",
		"serial", "tracking", "member", "membership", "customer", "case", "ticket", "routing", "vat", "tax", "reference",
		"ref", "confirmation", "booking", "transaction", "id", "card", "iban", "sku", "part", "model", "version",
		"zip", "postal", "postcode", "social", "security", "insurance", "registration", "employee", "student"}
	ssnContext  = []string{"ssn", "social", "security", "ss#", "ssn#"}
	sinContext  = []string{"sin", "social", "insurance", "nas"}
	nhsContext  = []string{"nhs"}
	sePNContext = []string{"personnummer", "personnr", "pnr"}
)

// hasContext reports whether one of the words (lowercase) occurs within a few words before
// [a, b) or right after it.
func hasContext(t string, a, b int, words []string) bool {
	lo := max(0, a-48)
	hi := min(len(t), b+24)
	check := func(s string) bool {
		i := 0
		for i < len(s) {
			for i < len(s) && !isLetter(s[i]) && s[i] < 0x80 {
				i++
			}
			j := i
			for j < len(s) && (isLetter(s[j]) || s[j] >= 0x80) {
				j++
			}
			if j > i {
				w := s[i:j]
				for _, c := range words {
					if strings.EqualFold(w, c) {
						return true
					}
				}
			}
			i = j
		}
		return false
	}
	return check(t[lo:a]) || check(t[b:hi])
}

// usStateBefore reports whether a US state code ("CA ", ", NY ") stands right before i.
func usStateBefore(t string, i int) bool {
	if i < 3 || t[i-1] != ' ' || !isUpper(t[i-2]) || !isUpper(t[i-3]) || (i >= 4 && isLetter(t[i-4])) {
		return false
	}
	return strings.Contains(usStates, t[i-3:i-1])
}

const usStates = "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP"
