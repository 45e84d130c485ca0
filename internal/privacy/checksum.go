package privacy

import "strings"

// Checksums and format checks used to tell identifiers from arbitrary digits.

// luhn reports whether the digits (ASCII, nothing else) pass the Luhn mod-10 check.
func luhn(digits string) bool {
	if len(digits) < 2 {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// cardBrand names the card network of a Luhn-valid number from its issuer prefix (IIN) and
// length, or "" when no known network issues such numbers.
func cardBrand(d string) string {
	n := len(d)
	p := func(k int) int {
		v := 0
		for i := 0; i < k && i < n; i++ {
			v = v*10 + int(d[i]-'0')
		}
		return v
	}
	switch {
	case d[0] == '4' && (n == 13 || n == 16 || n == 19):
		return "visa"
	case (p(2) >= 51 && p(2) <= 55 || p(4) >= 2221 && p(4) <= 2720) && n == 16:
		return "mastercard"
	case (p(2) == 34 || p(2) == 37) && n == 15:
		return "amex"
	case (p(4) == 6011 || p(2) == 65 || p(3) >= 644 && p(3) <= 649) && n >= 16 && n <= 19:
		return "discover"
	case p(4) >= 3528 && p(4) <= 3589 && n >= 16 && n <= 19:
		return "jcb"
	case (p(3) >= 300 && p(3) <= 305 || p(2) == 36 || p(2) == 38 || p(2) == 39) && n >= 14 && n <= 19:
		return "diners"
	case p(2) == 62 && n >= 16 && n <= 19:
		return "unionpay"
	case (p(2) == 50 || p(2) >= 56 && p(2) <= 69) && n >= 12 && n <= 19:
		return "maestro"
	case p(4) == 2200 || p(4) == 2201 || p(4) >= 2202 && p(4) <= 2204:
		return "mir"
	case d[0] == '1' && n == 15:
		return "uatp"
	}
	return ""
}

// ibanLengths gives each country's IBAN length (SWIFT IBAN registry).
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
	"BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
	"EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
	"GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
	"JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
	"MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
	"NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
	"SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

// validIBAN checks an IBAN given without spaces, in either case: country length and the
// ISO 7064 mod-97 check.
func validIBAN(s string) bool {
	if len(s) < 15 || len(s) > 34 {
		return false
	}
	cc := strings.ToUpper(s[:2])
	if ibanLengths[cc] != len(s) || !isDigit(s[2]) || !isDigit(s[3]) {
		return false
	}
	rem := 0
	feed := func(c byte) bool {
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case isUpper(c):
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		case isLower(c):
			v := int(c-'a') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
		return true
	}
	for i := 4; i < len(s); i++ {
		if !feed(s[i]) {
			return false
		}
	}
	for i := 0; i < 4; i++ {
		if !feed(s[i]) {
			return false
		}
	}
	return rem == 1
}

// validSSN checks a US Social Security number's area, group and serial (digits only).
func validSSN(d string) bool {
	if len(d) != 9 {
		return false
	}
	area, group, serial := d[:3], d[3:5], d[5:]
	if area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000" {
		return false
	}
	// Numbers published in advertising and widely misused.
	switch d {
	case "078051120", "219099999", "123456789":
		return false
	}
	// Repeated digits are test data.
	return strings.Count(d, d[:1]) != 9
}

// validNINO checks a UK National Insurance number (letters and digits, no spaces).
func validNINO(s string) bool {
	if len(s) != 9 {
		return false
	}
	s = strings.ToUpper(s)
	a, b := s[0], s[1]
	if !isUpper(a) || !isUpper(b) || strings.IndexByte("DFIQUV", a) >= 0 || strings.IndexByte("DFIOQUV", b) >= 0 {
		return false
	}
	switch s[:2] {
	case "BG", "GB", "NK", "KN", "TN", "NT", "ZZ":
		return false
	}
	for i := 2; i < 8; i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return strings.IndexByte("ABCD", s[8]) >= 0
}

// validNHS checks a UK NHS number's mod-11 check digit (10 digits).
func validNHS(d string) bool {
	if len(d) != 10 {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		sum += int(d[i]-'0') * (10 - i)
	}
	c := 11 - sum%11
	if c == 11 {
		c = 0
	}
	return c != 10 && c == int(d[9]-'0')
}

const nifLetters = "TRWAGMYFPDXBNJZSQVHLCKE"

// validNIF checks a Spanish DNI/NIF (8 digits and a letter) or NIE (X, Y or Z, 7 digits and a
// letter).
func validNIF(s string) bool {
	if len(s) != 9 {
		return false
	}
	s = strings.ToUpper(s)
	n := 0
	switch s[0] {
	case 'X', 'Y', 'Z':
		n = int(s[0] - 'X')
	default:
		if !isDigit(s[0]) {
			return false
		}
		n = int(s[0] - '0')
	}
	for i := 1; i < 8; i++ {
		if !isDigit(s[i]) {
			return false
		}
		n = n*10 + int(s[i]-'0')
	}
	return nifLetters[n%23] == s[8]
}

// validItalianFiscalCode checks a codice fiscale's shape and check letter (16 characters).
func validItalianFiscalCode(s string) bool {
	if len(s) != 16 {
		return false
	}
	s = strings.ToUpper(s)
	// Digits may be replaced by letters (omocodia) in positions 6,7,9,10,12,13,14.
	const omo = "LMNPQRSTUV"
	for i := 0; i < 16; i++ {
		c := s[i]
		switch i {
		case 0, 1, 2, 3, 4, 5, 8, 11, 15:
			if !isUpper(c) {
				return false
			}
		default:
			if !isDigit(c) && strings.IndexByte(omo, c) < 0 {
				return false
			}
		}
	}
	if strings.IndexByte("ABCDEHLMPRST", s[8]) < 0 {
		return false
	}
	odd := [...]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}
	sum := 0
	for i := 0; i < 15; i++ {
		c := s[i]
		v := 0
		if isDigit(c) {
			v = int(c - '0')
		} else {
			v = int(c - 'A')
		}
		if i%2 == 0 { // odd position, 1-based
			sum += odd[v]
		} else {
			sum += v
		}
	}
	return s[15] == byte('A'+sum%26)
}

// validFinnishPIC checks a Finnish personal identity code DDMMYYCZZZQ.
func validFinnishPIC(s string) bool {
	if len(s) != 11 {
		return false
	}
	s = strings.ToUpper(s)
	if strings.IndexByte("+-ABCDEFUVWXY", s[6]) < 0 {
		return false
	}
	n := 0
	for i, c := range []byte(s[:6] + s[7:10]) {
		_ = i
		if !isDigit(c) {
			return false
		}
		n = n*10 + int(c-'0')
	}
	if !plausibleDate(s[0:2], s[2:4]) {
		return false
	}
	return "0123456789ABCDEFHJKLMNPRSTUVWXY"[n%31] == s[10]
}

// validSwedishPN checks a Swedish personnummer's date and Luhn digit (10 digits YYMMDDNNNC).
func validSwedishPN(d string) bool {
	if len(d) != 10 {
		return false
	}
	day := d[4:6]
	if day[0] >= '6' { // samordningsnummer: day + 60
		day = string(day[0]-6) + day[1:]
	}
	return plausibleDate(day, d[2:4]) && luhn(d)
}

// validPESEL checks a Polish PESEL (11 digits): date and check digit.
func validPESEL(d string) bool {
	if len(d) != 11 {
		return false
	}
	w := [...]int{1, 3, 7, 9, 1, 3, 7, 9, 1, 3}
	sum := 0
	for i := 0; i < 10; i++ {
		sum += int(d[i]-'0') * w[i]
	}
	if (10-sum%10)%10 != int(d[10]-'0') {
		return false
	}
	m := int(d[2]-'0')*10 + int(d[3]-'0')
	m %= 20
	return m >= 1 && m <= 12 && plausibleDate(d[4:6], "01")
}

// validTCKN checks a Turkish national identity number (11 digits, two check digits).
func validTCKN(d string) bool {
	if len(d) != 11 || d[0] == '0' {
		return false
	}
	v := func(i int) int { return int(d[i] - '0') }
	odd := v(0) + v(2) + v(4) + v(6) + v(8)
	even := v(1) + v(3) + v(5) + v(7)
	if ((odd*7-even)%10+10)%10 != v(9) {
		return false
	}
	sum := 0
	for i := 0; i < 10; i++ {
		sum += v(i)
	}
	return sum%10 == v(10)
}

var verhoeffD = [10][10]int{
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5}, {2, 3, 4, 0, 1, 7, 8, 9, 5, 6},
	{3, 4, 0, 1, 2, 8, 9, 5, 6, 7}, {4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
	{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3}, {8, 7, 6, 5, 9, 3, 2, 1, 0, 4},
	{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}}
var verhoeffP = [8][10]int{
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4}, {5, 8, 0, 3, 7, 9, 6, 1, 4, 2},
	{8, 9, 1, 6, 0, 4, 3, 5, 2, 7}, {9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
	{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8}}

// validAadhaar checks an Indian Aadhaar number (12 digits, Verhoeff).
func validAadhaar(d string) bool {
	if len(d) != 12 || d[0] < '2' {
		return false
	}
	c := 0
	for i := 0; i < 12; i++ {
		c = verhoeffD[c][verhoeffP[i%8][int(d[11-i]-'0')]]
	}
	return c == 0 && strings.Count(d, d[:1]) != 12
}

// validNRIC checks a Singapore NRIC/FIN (letter, 7 digits, check letter).
func validNRIC(s string) bool {
	if len(s) != 9 {
		return false
	}
	s = strings.ToUpper(s)
	w := [...]int{2, 7, 6, 5, 4, 3, 2}
	sum := 0
	for i := 1; i < 8; i++ {
		if !isDigit(s[i]) {
			return false
		}
		sum += int(s[i]-'0') * w[i-1]
	}
	switch s[0] {
	case 'S':
		return "JZIHGFEDCBA"[sum%11] == s[8]
	case 'T':
		return "JZIHGFEDCBA"[(sum+4)%11] == s[8]
	case 'F':
		return "XWUTRQPNMLK"[sum%11] == s[8]
	case 'G':
		return "XWUTRQPNMLK"[(sum+4)%11] == s[8]
	case 'M':
		return "KLJNPQRTUWX"[(sum+3)%11] == s[8]
	}
	return false
}

// plausibleDate checks a two-digit day and month.
func plausibleDate(day, month string) bool {
	if len(day) != 2 || len(month) != 2 || !isDigit(day[0]) || !isDigit(day[1]) || !isDigit(month[0]) || !isDigit(month[1]) {
		return false
	}
	dd := int(day[0]-'0')*10 + int(day[1]-'0')
	mm := int(month[0]-'0')*10 + int(month[1]-'0')
	return dd >= 1 && dd <= 31 && mm >= 1 && mm <= 12
}
