package privacy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Category names a kind of sensitive data. Categories are what policies speak about; rules are
// the individual detectors that find them.
type Category string

// Categories the scanner knows.
const (
	CategorySecret      Category = "secret"
	CategoryEmail       Category = "email"
	CategoryPhone       Category = "phone"
	CategoryPaymentCard Category = "payment_card"
	CategoryIBAN        Category = "iban"
	CategoryNationalID  Category = "national_id"
	CategoryIPAddress   Category = "ip_address"
	CategoryPerson      Category = "person"
	CategoryAddress     Category = "address"
	CategoryDateOfBirth Category = "date_of_birth"
	CategoryCustom      Category = "custom"
)

// Categories lists every category, in the order used for headers and reports.
func Categories() []Category {
	return []Category{CategorySecret, CategoryEmail, CategoryPhone, CategoryPaymentCard, CategoryIBAN,
		CategoryNationalID, CategoryIPAddress, CategoryPerson, CategoryAddress, CategoryDateOfBirth, CategoryCustom}
}

// rank orders categories when two findings overlap: the higher one wins the span.
func (c Category) rank() int {
	switch c {
	case CategorySecret:
		return 100
	case CategoryCustom:
		return 90
	case CategoryPaymentCard:
		return 80
	case CategoryIBAN:
		return 75
	case CategoryNationalID:
		return 70
	case CategoryEmail:
		return 65
	case CategoryIPAddress:
		return 60
	case CategoryPhone:
		return 55
	case CategoryDateOfBirth:
		return 50
	case CategoryAddress:
		return 40
	case CategoryPerson:
		return 30
	}
	return 0
}

// Finding is one piece of sensitive data in a text. Start and End are byte offsets into the
// scanned text (End exclusive); use RuneOffsets for code-point offsets. A Finding never holds
// the matched value itself, so that it can be logged and counted safely.
type Finding struct {
	Category   Category
	Rule       string
	Start, End int
	Confidence float64
}

// Pattern is a named regular expression (RE2 syntax) from configuration, such as a client's
// contract number format. A match is a finding of category custom with rule Name.
type Pattern struct {
	Name   string
	Regexp string
}

// Dictionary is a named list of words or phrases from configuration, such as client or project
// code names. They match case-insensitively and only as whole words.
type Dictionary struct {
	Name  string
	Words []string
}

// Options configures a Scanner. The zero value scans for every built-in category.
type Options struct {
	// Categories limits the scan to these categories; nil means all of them. Custom patterns
	// and dictionaries always run.
	Categories []Category
	// Custom holds configured patterns, matched as category custom.
	Custom []Pattern
	// Dictionaries holds configured word lists, matched as category custom.
	Dictionaries []Dictionary
	// MinConfidence drops findings below it; zero keeps all.
	MinConfidence float64
	// NoNames turns off the person-name gazetteer (and so the cost of loading it).
	NoNames bool
}

// Scanner finds sensitive data in text. It is safe for concurrent use; build one per
// configuration and share it.
type Scanner struct {
	want     [16]bool // indexed by categoryIndex
	pii      bool     // some category other than secret and custom is wanted
	minConf  float64
	secrets  *secretScanner
	names    *gazetteer
	custom   []customPattern
	dict     *keywordMatcher
	dictName []string // dictionary name per dict keyword
}

type customPattern struct {
	name string
	re   *regexp.Regexp
}

// categoryIndex gives c's place in Categories(), or -1. It runs for every finding and many
// checks (wants), so it is a switch rather than a search.
func categoryIndex(c Category) int {
	switch c {
	case CategorySecret:
		return 0
	case CategoryEmail:
		return 1
	case CategoryPhone:
		return 2
	case CategoryPaymentCard:
		return 3
	case CategoryIBAN:
		return 4
	case CategoryNationalID:
		return 5
	case CategoryIPAddress:
		return 6
	case CategoryPerson:
		return 7
	case CategoryAddress:
		return 8
	case CategoryDateOfBirth:
		return 9
	case CategoryCustom:
		return 10
	}
	return -1
}

// New builds a Scanner. It fails on an unknown category, an invalid pattern, or an empty name.
func New(opts Options) (*Scanner, error) {
	s := &Scanner{minConf: opts.MinConfidence}
	if opts.Categories == nil {
		for i := range Categories() {
			s.want[i] = true
		}
	}
	for _, c := range opts.Categories {
		i := categoryIndex(c)
		if i < 0 {
			return nil, fmt.Errorf("privacy: unknown category %q", c)
		}
		s.want[i] = true
	}
	s.want[categoryIndex(CategoryCustom)] = true
	if s.wants(CategorySecret) {
		s.secrets = secretRules()
	}
	for _, c := range Categories() {
		if c != CategorySecret && c != CategoryCustom && s.wants(c) {
			s.pii = true
		}
	}
	if s.wants(CategoryPerson) && !opts.NoNames {
		s.names = loadGazetteer()
	}
	for _, p := range opts.Custom {
		if p.Name == "" {
			return nil, fmt.Errorf("privacy: custom pattern %q has no name", p.Regexp)
		}
		re, err := regexp.Compile(p.Regexp)
		if err != nil {
			return nil, fmt.Errorf("privacy: custom pattern %q: %w", p.Name, err)
		}
		s.custom = append(s.custom, customPattern{p.Name, re})
	}
	var words []string
	for _, d := range opts.Dictionaries {
		if d.Name == "" {
			return nil, fmt.Errorf("privacy: dictionary has no name")
		}
		for _, w := range d.Words {
			w = strings.TrimSpace(w)
			if w == "" {
				continue
			}
			words = append(words, w)
			s.dictName = append(s.dictName, d.Name)
		}
	}
	if len(words) > 0 {
		s.dict = newKeywordMatcher(words)
	}
	return s, nil
}

func (s *Scanner) wants(c Category) bool {
	i := categoryIndex(c)
	return i >= 0 && s.want[i]
}

// Scan returns the findings in text, sorted by position and without overlaps: where two
// detectors claim overlapping bytes, the stronger category (secret over custom over payment
// card … over person) keeps the span.
func (s *Scanner) Scan(text string) []Finding {
	if len(text) == 0 {
		return nil
	}
	var out []Finding
	if s.secrets != nil {
		out = s.secrets.scan(text, out, !s.pii)
	}
	if s.pii {
		out = s.scanPII(text, out)
	}
	out = s.scanCustom(text, out)
	if s.minConf > 0 {
		out = slices.DeleteFunc(out, func(f Finding) bool { return f.Confidence < s.minConf })
	}
	return resolve(out)
}

func (s *Scanner) scanCustom(text string, out []Finding) []Finding {
	for _, p := range s.custom {
		for _, m := range p.re.FindAllStringIndex(text, -1) {
			if m[1] > m[0] {
				out = append(out, Finding{CategoryCustom, p.name, m[0], m[1], 1})
			}
		}
	}
	if s.dict != nil {
		s.dict.scan(text, func(kw, end int) {
			start := end - s.dict.length[kw]
			if isWordByteBefore(text, start) || isWordByteAt(text, end) {
				return
			}
			out = append(out, Finding{CategoryCustom, s.dictName[kw], start, end, 1})
		})
	}
	return out
}

// isWordByteBefore reports whether the character before i is a letter, digit or underscore.
func isWordByteBefore(text string, i int) bool {
	if i <= 0 {
		return false
	}
	c := text[i-1]
	if c < utf8.RuneSelf {
		return isAlnum(c) || c == '_'
	}
	r, _ := utf8.DecodeLastRuneInString(text[:i])
	return isLetterRune(r)
}

// isWordByteAt reports whether the character at i is a letter, digit or underscore.
func isWordByteAt(text string, i int) bool {
	if i >= len(text) {
		return false
	}
	c := text[i]
	if c < utf8.RuneSelf {
		return isAlnum(c) || c == '_'
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return isLetterRune(r)
}

// resolve sorts findings and removes overlaps, keeping the higher-ranked category (then the
// higher confidence, then the longer span). Overlapping findings of the same category merge.
func resolve(fs []Finding) []Finding {
	if len(fs) < 2 {
		return fs
	}
	slices.SortFunc(fs, func(a, b Finding) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return b.End - a.End
	})
	out := fs[:1]
	for _, f := range fs[1:] {
		last := &out[len(out)-1]
		if f.Start >= last.End {
			out = append(out, f)
			continue
		}
		if f.Category == last.Category {
			last.End = max(last.End, f.End)
			if f.Confidence > last.Confidence {
				last.Confidence, last.Rule = f.Confidence, f.Rule
			}
			continue
		}
		if stronger(f, *last) {
			// The stronger finding takes its whole span; the weaker one keeps what lies before
			// it. Findings in out never overlap, and f starts at or after last, so f cannot
			// reach back into the finding before last.
			if f.Start > last.Start {
				last.End = f.Start
				out = append(out, f)
			} else {
				*last = f
			}
			continue
		}
		// The weaker finding keeps only what lies past the stronger one.
		if f.End > last.End {
			f.Start = last.End
			out = append(out, f)
		}
	}
	return out
}

func stronger(a, b Finding) bool {
	if a.Category.rank() != b.Category.rank() {
		return a.Category.rank() > b.Category.rank()
	}
	if a.Confidence != b.Confidence {
		return a.Confidence > b.Confidence
	}
	return a.End-a.Start > b.End-b.Start
}

// RuneOffsets converts byte offsets into text to Unicode code-point offsets (as Python and
// most JSON consumers count). Offsets must be in ascending order is not required; each
// offset is converted independently, and one past the end is allowed.
func RuneOffsets(text string, offsets ...int) []int {
	out := make([]int, len(offsets))
	for i, off := range offsets {
		off = min(max(off, 0), len(text))
		out[i] = utf8.RuneCountInString(text[:off])
	}
	return out
}

// ByteOffset converts a code-point offset into text to a byte offset; an offset past the end
// gives len(text).
func ByteOffset(text string, runeOffset int) int {
	n := 0
	for i := range text {
		if n == runeOffset {
			return i
		}
		n++
	}
	return len(text)
}
